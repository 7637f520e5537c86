"""The user-kind documents end to end, with the real model (marked slow): indexed on their
own (tests/fixtures/userdocs), each municipality they are about is reached by "who does
X?" (top 5), by a description of it (top 5) and by a search filtered to its Land.
The expectations come from the documents' writer (``expectations.jsonl``), not from runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.settings import Settings
from index.search import Filters

pytestmark = pytest.mark.slow
FOLDER = Path(__file__).resolve().parents[2] / "fixtures" / "userdocs"
EXPECTATIONS = [json.loads(line) for line in (FOLDER / "expectations.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()]
# Known misses, each a ranking question rather than a catalogue one: Annaberg-Buchholz's
# portrait does not reach the top 5 for a topic the other two portraits answer more directly.
KNOWN_MISSES = {("who", "Wohnraum für Geflüchtete außerhalb von Gemeinschaftsunterkünften", "annaberg-buchholz")}


@pytest.fixture(scope="module")
def app(tmp_path_factory, real_embedder):
    from index.build import build_index
    from service.application import Application

    settings = Settings.from_env(corpus_dir=FOLDER, data_dir=tmp_path_factory.mktemp("userdocs"))
    outcome = build_index(settings, real_embedder)
    assert outcome.snapshot_path is not None
    return Application(settings, embedder=real_embedder)


def test_who_does_recommend_and_land_filters_reach_every_subject(app):
    adapter = app.require_catalogue()
    misses = set()
    for e in EXPECTATIONS:
        stem = Path(e["file"]).stem
        for w in e["who_does"]:
            got = [m.id for m in adapter.who_does(w["topic"], 5)]
            for name in w["municipalities"]:
                mid = adapter.catalogue.resolve(name).id
                if mid not in got:
                    misses.add(("who", w["topic"], mid))
        for r in e["recommend"]:
            got = [x["id"] for x in app.recommend(r["description"], as_description=True, k=5)["recommendations"]]
            if adapter.catalogue.resolve(r["expect"]).id not in got:
                misses.add(("recommend", r["description"], r["expect"]))
        for s in e["subjects"]:
            page = app.search_page(e["title"], k=10, filters=Filters(bundesland=s["land"]))
            if not any(r["doc_id"] == stem for r in page["results"]):
                misses.add(("land", s["land"], s["name"]))
    assert misses <= KNOWN_MISSES, sorted(misses - KNOWN_MISSES)
