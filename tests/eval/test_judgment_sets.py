"""The pooled and held-out judgment sets stay consistent with the written judgments and the corpus."""

from __future__ import annotations

from collections import Counter

import pytest

from eval.judgments import KINDS, load_judgments, normalize
from eval.pool import RELEVANT_GRADE, load_assessments
from core.settings import PROJECT_ROOT

EVAL = PROJECT_ROOT / "eval"
CORPUS = PROJECT_ROOT / "corpus"
DOC_IDS = sorted(p.stem for p in CORPUS.glob("*.txt"))


@pytest.fixture(scope="module")
def written():
    return load_judgments(EVAL / "judgments.jsonl", DOC_IDS)


@pytest.fixture(scope="module")
def pooled():
    return load_judgments(EVAL / "judgments-pooled.jsonl", DOC_IDS)


@pytest.fixture(scope="module")
def heldout():
    return load_judgments(EVAL / "judgments-heldout.jsonl", DOC_IDS)


@pytest.fixture(scope="module")
def texts():
    return {doc: normalize((CORPUS / f"{doc}.txt").read_text(encoding="utf-8")) for doc in DOC_IDS}


def test_pooled_judgments_only_add_to_the_written_ones(written, pooled):
    assert [(j.id, j.query, j.lang, j.kind, j.topic) for j in pooled] == \
        [(j.id, j.query, j.lang, j.kind, j.topic) for j in written]
    for w, p in zip(written, pooled):
        assert p.relevant[: len(w.relevant)] == w.relevant, w.id


def test_every_added_entry_comes_from_a_relevant_assessment(written, pooled):
    relevant = {(a.qid, a.doc, a.contains) for a in load_assessments(EVAL / "assessments.jsonl")
                if a.grade == RELEVANT_GRADE}
    added = [(p.id, r.doc, r.contains) for w, p in zip(written, pooled) for r in p.relevant[len(w.relevant):]]
    assert added, "the pooled set adds nothing"
    assert [a for a in added if a not in relevant] == []


def test_assessments_cover_every_query_with_all_three_grades(written):
    assessments = load_assessments(EVAL / "assessments.jsonl")
    assert {a.qid for a in assessments} == {j.id for j in written}
    assert set(Counter(a.grade for a in assessments)) == {0, 1, 2}
    assert len({(a.qid, a.pid) for a in assessments}) == len(assessments)  # one grade per pooled passage


@pytest.mark.parametrize("name", ["judgments-pooled.jsonl", "judgments-heldout.jsonl", "judgments-blind.jsonl",
                                  "judgments-dev.jsonl"])
def test_every_phrase_is_in_its_document(name, texts):
    judgments = load_judgments(EVAL / name, DOC_IDS)
    assert [(j.id, r.contains) for j in judgments for r in j.relevant if r.needle not in texts[r.doc]] == []


def test_heldout_queries_are_new_and_mixed(written, heldout):
    assert len(heldout) >= 40
    assert {j.id for j in heldout}.isdisjoint({j.id for j in written})
    assert {normalize(j.query) for j in heldout}.isdisjoint({normalize(j.query) for j in written})
    langs = Counter(j.lang for j in heldout)
    assert langs["de"] >= 15 and langs["en"] >= 15
    assert {j.kind for j in heldout} == set(KINDS)
    assert {doc for j in heldout for doc in j.docs} == set(DOC_IDS)


def test_blind_set_is_large_half_english_and_mostly_questions():
    """Issue 23's blind set: at least 60 queries, half English, half questions and paraphrases,
    written from the documents alone (eval/judgments-blind-NOTES.md); no setting is chosen on it."""
    blind = load_judgments(EVAL / "judgments-blind.jsonl", DOC_IDS)
    assert len(blind) >= 60
    assert sum(j.lang == "en" for j in blind) >= len(blind) / 2
    assert sum(j.kind in ("question", "paraphrase") for j in blind) >= len(blind) / 2
