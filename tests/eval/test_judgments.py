"""The ground truth itself (eval/judgments.jsonl) and the matching rules in eval.judgments."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from eval.judgments import (
    KINDS,
    TOPICS,
    Judgment,
    JudgmentError,
    entry_recall,
    is_relevant,
    load_judgments,
    normalize,
    parse_judgment,
    qrels,
)
from core.schema import Hit, Passage
from core.settings import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "corpus"
JUDGMENTS = PROJECT_ROOT / "eval" / "judgments.jsonl"
DOC_IDS = sorted(p.stem for p in CORPUS.glob("*.txt"))


@pytest.fixture(scope="module")
def judgments() -> list[Judgment]:
    return load_judgments(JUDGMENTS, DOC_IDS)


@pytest.fixture(scope="module")
def corpus_units() -> dict[str, list[str]]:
    """Normalised paragraphs (split at blank lines) and table cells (split at tabs)."""
    units = {}
    for doc in DOC_IDS:
        raw = (CORPUS / f"{doc}.txt").read_text(encoding="utf-8")
        units[doc] = [normalize(cell) for para in re.split(r"\n[ \t\u00a0]*\n", raw) for cell in para.split("\t")]
    return units


# --- the data -------------------------------------------------------------------------


def test_corpus_has_the_five_documents():
    assert len(DOC_IDS) == 5


def test_enough_queries_and_unique_ids(judgments):
    assert len(judgments) >= 90
    ids = [j.id for j in judgments]
    assert len(ids) == len(set(ids))


def test_language_kind_and_topic_mix(judgments):
    langs = Counter(j.lang for j in judgments)
    assert langs["en"] >= 30 and langs["de"] >= 30
    assert set(Counter(j.kind for j in judgments)) == set(KINDS)
    assert set(Counter(j.topic for j in judgments)) == set(TOPICS) - {"fact"}  # "fact": the blind set's topic
    for lang in ("de", "en"):
        assert {j.kind for j in judgments if j.lang == lang} == set(KINDS), lang


def test_every_document_has_at_least_five_queries(judgments):
    per_doc = Counter(doc for j in judgments for doc in j.docs)
    assert {doc: per_doc[doc] for doc in DOC_IDS if per_doc[doc] < 5} == {}


def test_every_phrase_occurs_in_its_document(judgments, corpus_units):
    texts = {doc: normalize((CORPUS / f"{doc}.txt").read_text(encoding="utf-8")) for doc in DOC_IDS}
    missing = [(j.id, r.contains) for j in judgments for r in j.relevant if r.needle not in texts[r.doc]]
    assert missing == []


def test_every_phrase_lies_inside_one_paragraph_or_table_cell(judgments, corpus_units):
    """A phrase spanning a paragraph break, page break or tab could never fall in one passage."""
    texts = {doc: normalize((CORPUS / f"{doc}.txt").read_text(encoding="utf-8")) for doc in DOC_IDS}
    spanning = []
    for j in judgments:
        for r in j.relevant:
            inside = sum(unit.count(r.needle) for unit in corpus_units[r.doc])
            if inside == 0 or inside != texts[r.doc].count(r.needle):
                spanning.append((j.id, r.contains))
    assert spanning == []


def test_phrases_are_short_and_specific(judgments):
    texts = {doc: normalize((CORPUS / f"{doc}.txt").read_text(encoding="utf-8")) for doc in DOC_IDS}
    too_long = [(j.id, r.contains) for j in judgments for r in j.relevant if len(r.needle.split()) > 12]
    too_common = [(j.id, r.contains) for j in judgments for r in j.relevant if texts[r.doc].count(r.needle) > 3]
    assert too_long == [] and too_common == []


def test_the_two_volunteer_coordination_queries_are_present(judgments):
    by_query = {j.query: j for j in judgments}
    de = by_query["Wie organisieren ländliche Gemeinden die Koordination von Ehrenamtlichen?"]
    en = by_query["how do rural municipalities organise volunteer coordination"]
    assert (de.lang, en.lang) == ("de", "en")
    assert de.relevant == en.relevant
    assert "difu-zusammenleben-hand-in-hand-2018" in de.docs and "desi-resilienz-kommunen-2025" in de.docs


# --- normalize ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Unter-\nstützung", "unterstützung"),
        ("Struktur-\r\n   aufbau", "strukturaufbau"),
        ("Unter- stützung", "unterstützung"),
        ("Unter\u00adstützung", "unterstützung"),
        ("Anti- \n\nDiskriminierung", "anti-diskriminierung"),
        ("Baden-Württemberg", "baden-württemberg"),
        ("  viele\t\nLeer \u00a0 zeichen ", "viele leer zeichen"),
        ("GROSSE Straße", "grosse strasse"),
        ("\ufb01nanziert", "finanziert"),
        ("„Zitat“ – 2017–2019", '"zitat" - 2017-2019'),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_normalize_treats_suspended_hyphens_the_same_on_both_sides():
    assert normalize("Sprach- und\nKulturmittler") == normalize("Sprach- und Kulturmittler")
    assert normalize("Sprach-\nund Kulturmittler") == normalize("Sprach- und Kulturmittler")


# --- loading and validation -----------------------------------------------------------


def _line(**changes) -> str:
    data = {"id": "q1", "query": "Mitfahrerbänke", "lang": "de", "kind": "keyword", "topic": "practice",
            "relevant": [{"doc": "d1", "contains": "Bänke gebaut"}]}
    data.update(changes)
    return json.dumps(data, ensure_ascii=False)


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "j.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_load_skips_blank_lines(tmp_path):
    path = _write(tmp_path, _line(), "", _line(id="q2"))
    assert [j.id for j in load_judgments(path)] == ["q1", "q2"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "invalid JSON"),
        (_line(lang="fr"), "lang='fr'"),
        (_line(kind="guess"), "kind='guess'"),
        (_line(relevant=[]), "1 to 40"),
        (_line(relevant=[{"doc": "d1"}]), "relevant[0]"),
        (_line(relevant=[{"doc": "d1", "contains": "  "}]), "non-empty"),
        (_line(id="q1"), "duplicate id"),
        (json.dumps({"id": "q9"}), "missing field"),
    ],
)
def test_load_names_the_bad_line(tmp_path, bad, message):
    path = _write(tmp_path, _line(), "", bad)
    with pytest.raises(JudgmentError) as err:
        load_judgments(path)
    assert "j.jsonl:3: " in err.value.message and message in err.value.message
    assert err.value.detail == {"line": 3}


def test_load_rejects_unknown_documents(tmp_path):
    with pytest.raises(JudgmentError, match="unknown document 'd1'"):
        load_judgments(_write(tmp_path, _line()), doc_ids=["d2"])


def test_load_missing_file_is_a_judgment_error(tmp_path):
    with pytest.raises(JudgmentError, match="cannot read"):
        load_judgments(tmp_path / "nope.jsonl")


# --- matching ---------------------------------------------------------------------------

J = parse_judgment(
    {"id": "q7", "query": "Ehrenamt", "lang": "de", "kind": "keyword", "topic": "practice",
     "relevant": [{"doc": "d1", "contains": "Unterstützung des Ehrenamts"},
                  {"doc": "d1", "contains": "Runder Tisch"},
                  {"doc": "d2", "contains": "Runder Tisch"}]}
)


def test_is_relevant_matches_through_line_break_hyphens_and_case():
    text = "Die Unter-\nstützung  des EHRENAMTS und ein runder\nTisch."
    assert is_relevant("d1", text, J) == {0, 1}
    assert is_relevant("d2", text, J) == {2}
    assert is_relevant("d3", text, J) == set()
    assert is_relevant("d1", "Unterstützung von Vereinen", J) == set()


def test_qrels_grades_relevant_passages_and_adds_placeholders():
    run = {"q7": [("d1", "p1", "nichts"), ("d1", "p2", "Runder Tisch"), ("d2", "p3", "Runder Tisch")]}
    assert qrels([J], run) == {"q7": {"p2": 1, "p3": 1, "<missing>:q7:0": 1}}
    assert qrels([J], run, placeholders=False) == {"q7": {"p2": 1, "p3": 1}}
    assert qrels([J], {}) == {"q7": {f"<missing>:q7:{i}": 1 for i in range(3)}}


def test_entry_recall_counts_entries_within_the_cutoff():
    hits = [("d1", "p1", "Runder Tisch"), ("d1", "p9", "Runder Tisch"), ("d1", "p2", "Unterstützung des Ehrenamts")]
    assert entry_recall(J, hits) == pytest.approx(2 / 3)
    assert entry_recall(J, hits, k=2) == pytest.approx(1 / 3)
    assert entry_recall(J, []) == 0.0


def test_matching_accepts_hit_objects_and_dicts():
    passage = Passage(id="p5", doc_id="d2", doc_title="T", text="ein Runder Tisch", page=1,
                      section_path=[], start=0, end=16, index=0)
    hit = Hit(passage=passage, score=1.0, rank=1)
    assert qrels([J], {"q7": [hit]}, placeholders=False) == {"q7": {"p5": 1}}
    assert entry_recall(J, [hit.to_dict()]) == pytest.approx(1 / 3)
    assert entry_recall(J, [passage]) == pytest.approx(1 / 3)


def test_objects_are_matched_with_their_section_heading():
    """The cleaner turns short lines into headings; a hit shows its heading, so it counts."""
    passage = Passage(id="p6", doc_id="d1", doc_title="T", text="Teilnehmer: Vereine.", page=1,
                      section_path=["Kapitel 2", "Runder Tisch"], start=0, end=20, index=0)
    assert entry_recall(J, [passage]) == pytest.approx(1 / 3)
    assert entry_recall(J, [Hit(passage=passage, score=1.0, rank=1).to_dict()]) == pytest.approx(1 / 3)
    assert entry_recall(J, [("d1", "p6", passage.text)]) == 0.0
