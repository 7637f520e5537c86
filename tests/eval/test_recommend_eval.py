"""recall@k for recommendations, with a fake recommender (hand-computed values)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from eval.recommend_eval import evaluate_recommendations
from index.municipalities.model import Catalogue, Municipality

CAT = Catalogue([Municipality(f"m{i}", f"Stadt{i}", aliases=[f"S{i}"]) for i in range(12)])
RANKING = [f"m{i}" for i in range(1, 12)]  # the fake always ranks m1, m2, ..., m11


def fake(catalogue, query, topic=None, k=10):
    return [SimpleNamespace(id=i) for i in RANKING if i != query.id][:k]


def test_recall_and_ndcg_per_case_and_overall():
    cases = [
        {"id": "a", "municipality": "Stadt0", "comparable": ["Stadt1", "S9"]},  # ranks 1 and 9
        {"id": "b", "municipality": "S0", "topic": "x", "comparable": ["Stadt11", "Unbekanntstadt"]},
    ]
    out = evaluate_recommendations(CAT, cases, fake)
    a, b = out["per_case"]
    assert (a["recall@5"], a["recall@10"]) == (0.5, 1.0)
    # binary nDCG@10: (1/log2(2) + 1/log2(10)) / (1/log2(2) + 1/log2(3))
    assert a["ndcg@10"] == pytest.approx((1 + 1 / math.log2(10)) / (1 + 1 / math.log2(3)), abs=1e-4)
    assert (b["recall@5"], b["recall@10"], b["ndcg@10"]) == (0.0, 0.0, 0.0)  # m11 is rank 11
    assert out["overall"]["recall@10"] == 0.5 and out["overall"]["cases"] == 2
    assert out["overall"]["ndcg@10"] == pytest.approx(a["ndcg@10"] / 2, abs=1e-4)
    assert out["unresolved"] == [{"case": "b", "name": "Unbekanntstadt", "error": "not_found"}]
    assert a["ranks"] == {"m1": 1, "m9": 9}


def test_unresolvable_query_scores_zero():
    out = evaluate_recommendations(CAT, [{"id": "c", "municipality": "Nirgendwo", "comparable": ["S1"]}], fake)
    assert out["overall"]["recall@5"] == 0.0 and out["per_case"][0]["error"] == "query not resolved"
    assert out["overall"]["ndcg@10"] == 0.0


def test_case_sets_are_well_formed():
    """Both sets parse, have ids that are unique across sets, and say where each grouping
    comes from; the blind set has at least 30 cases."""
    from eval.recommend_eval import CASE_SETS, load_cases

    sets = [load_cases(path) for path in CASE_SETS]
    ids = [c["id"] for cases in sets for c in cases]
    assert len(ids) == len(set(ids))
    assert len(sets[1]) >= 30
    assert all(c.get("source") and c["comparable"] for cases in sets for c in cases)


def test_load_cases_rejects_a_case_without_comparables(tmp_path):
    from eval.recommend_eval import load_cases

    path = tmp_path / "cases.jsonl"
    path.write_text('{"id": "x", "municipality": "A"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="comparable"):
        load_cases(path)
