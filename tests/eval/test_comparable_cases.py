"""Ground truth for municipality recommendations (eval/cases/comparable.jsonl)."""

from __future__ import annotations

import json

import pytest

from eval.judgments import normalize
from core.settings import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "corpus"
CASES = PROJECT_ROOT / "eval" / "cases" / "comparable.jsonl"
DOC_IDS = sorted(p.stem for p in CORPUS.glob("*.txt"))


@pytest.fixture(scope="module")
def cases() -> list[dict]:
    return [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_shape_and_count(cases):
    assert len(cases) >= 25
    assert len({c["id"] for c in cases}) == len(cases)
    for case in cases:
        assert set(case) <= {"id", "municipality", "topic", "comparable", "source"}, case["id"]
        assert {"id", "municipality", "comparable", "source"} <= set(case), case["id"]
        assert case["comparable"] and len(set(case["comparable"])) == len(case["comparable"]), case["id"]
        assert case["municipality"] not in case["comparable"], case["id"]


def test_every_source_names_a_document(cases):
    assert [c["id"] for c in cases if not any(c["source"].startswith(doc) for doc in DOC_IDS)] == []


def test_names_are_spelled_as_in_the_cited_documents(cases):
    texts = {doc: normalize((CORPUS / f"{doc}.txt").read_text(encoding="utf-8")) for doc in DOC_IDS}
    unknown = []
    for case in cases:
        cited = [doc for doc in DOC_IDS if doc in case["source"]]
        for name in [case["municipality"], *case["comparable"]]:
            if not any(normalize(name) in texts[doc] for doc in cited):
                unknown.append((case["id"], name))
    assert unknown == []
