"""eval.hit_floor on the tiny Searcher of tests/index/search/test_answer.py and a two-query judgment file."""

from __future__ import annotations

import json

from eval import hit_floor
from index.search import answer
from tests.index.search.test_answer import searcher  # noqa: F401  (the fixture)


def test_measure_reports_kept_share_counts_and_no_match(searcher, tmp_path):  # noqa: F811
    path = tmp_path / "judgments.jsonl"
    rows = [{"id": "q1", "query": "Wohnraumbörse Geflüchtete", "lang": "de", "kind": "keyword", "topic": "practice",
             "relevant": [{"doc": "doc", "contains": "Wohnraumbörse"}]},
            {"id": "q2", "query": "Sprachkurse Alheim", "lang": "de", "kind": "keyword", "topic": "place",
             "relevant": [{"doc": "doc", "contains": "organisieren Sprachkurse"}]}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    out = hit_floor.measure(searcher, str(path), "hybrid", sweep=True)
    assert out["queries"] == 2 and out["judged_relevant_in_top100"] == 2
    assert out["kept"] == 2 and out["kept_share"] == 1.0 and out["no_match"] == []
    assert set(out["sweep"]) == {str(v) for v in hit_floor.SWEEP["hybrid"]}
    assert out["analyse_ms_p50"] >= 0


def test_sweep_count_restores_the_floor():
    before = answer.RELATIVE_FLOOR["hybrid"]
    assert hit_floor._count([1.0, 0.5, 0.3], "hybrid", 0.4) == 2
    assert hit_floor._count([1.0, 0.5, 0.3], "hybrid", 0.25) == 3
    assert answer.RELATIVE_FLOOR["hybrid"] == before
