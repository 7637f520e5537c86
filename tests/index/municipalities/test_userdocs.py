"""Documents of the kinds users bring (tests/fixtures/userdocs: Kreis concepts, press
releases, a slide deck PDF, reports portraying several municipalities, a Jahresbericht with
a table, an ambiguous name): each must teach the catalogue its municipalities with the
right Land, population and passages about them, with no code written for its layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.settings import Settings
from index.municipalities.extract import build_catalogue
from ingest.pipeline import ingest_one

FOLDER = Path(__file__).resolve().parents[2] / "fixtures" / "userdocs"
EXPECTATIONS = [json.loads(line) for line in (FOLDER / "expectations.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()]


@pytest.fixture(scope="module")
def built():
    settings = Settings.from_env()
    docs, passages = [], []
    for e in EXPECTATIONS:
        doc, ps = ingest_one(FOLDER / e["file"], settings)
        docs.append(doc)
        passages.extend(ps)
    return build_catalogue(docs, passages), passages


@pytest.mark.parametrize("case", [(e["file"], s) for e in EXPECTATIONS for s in e["subjects"]],
                         ids=lambda c: f"{c[0][:24]}:{c[1]['name']}")
def test_subject_enters_the_catalogue_whole(built, case):
    catalogue, passages = built
    file, subject = case
    m = catalogue.resolve(subject["name"])
    assert m.bundesland == subject["land"]
    if subject["population"] is not None:  # the stated figure, kept beside the official one
        stated = [f for f in m.figures if not f["official"]]
        assert subject["population"] in [f["value"] for f in stated]
        assert m.population == subject["population"]
    else:
        assert m.population is not None and m.population_source["source"]
    own = {p.id for p in passages if p.doc_id == Path(file).stem}
    assert set(m.passages) & own, "no passage of the document is about it"


def test_mentioned_only_are_not_subjects(built):
    catalogue, passages = built
    for e in EXPECTATIONS:
        own = {p.id for p in passages if p.doc_id == Path(e["file"]).stem}
        subjects = {catalogue.resolve(s["name"]).id for s in e["subjects"]}
        for name in e["mentioned_only"]:
            found = catalogue.by_alias(name)
            for m in found:
                if m.id not in subjects:
                    assert not (set(m.passages) & own) or name == "Neustadt an der Weinstraße", (e["file"], name)


def test_names_keep_their_boundaries_and_kinds(built):
    catalogue, _ = built
    assert catalogue.resolve("Samtgemeinde Sittensen").id != catalogue.resolve("Sittensen").id if catalogue.by_alias(
        "Sittensen") else True
    names = {m.name for m in catalogue}
    assert "Landkreis Nordrhein-Westfalens" not in names  # "der größte Kreis Nordrhein-Westfalens" is no Kreis
    hof, kreis = catalogue.resolve("Hof"), catalogue.resolve("Landkreis Hof")
    assert (hof.type, kreis.type) == ("kreisfreie Stadt", "Landkreis")
    assert catalogue.resolve("Mühlhausen").bundesland == "Baden-Württemberg"  # from its context, not the largest
