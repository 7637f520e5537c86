"""recall@k for recommendations, with a fake recommender (hand-computed values)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from eval.recommend_eval import evaluate_recommendations
from index.catalogue import Catalogue, Municipality

CAT = Catalogue([Municipality(f"m{i}", f"Stadt{i}", aliases=[f"S{i}"]) for i in range(12)])
RANKING = [f"m{i}" for i in range(1, 12)]  # the fake always ranks m1, m2, ..., m11


def fake(catalogue, query, topic=None, k=10):
    return [SimpleNamespace(id=i) for i in RANKING if i != query.id][:k]


def test_recall_per_case_and_overall():
    cases = [
        {"id": "a", "municipality": "Stadt0", "comparable": ["Stadt1", "S9"]},  # ranks 1 and 9
        {"id": "b", "municipality": "S0", "topic": "x", "comparable": ["Stadt11", "Unbekanntstadt"]},
    ]
    out = evaluate_recommendations(CAT, cases, fake, ks=(5, 10))
    a, b = out["per_case"]
    assert (a["recall@5"], a["recall@10"]) == (0.5, 1.0)
    assert (b["recall@5"], b["recall@10"]) == (0.0, 0.0)  # m11 is rank 11
    assert out["overall"] == {"recall@5": 0.25, "recall@10": 0.5, "cases": 2}
    assert out["unresolved"] == [{"case": "b", "name": "Unbekanntstadt", "error": "not_found"}]
    assert a["ranks"] == {"m1": 1, "m9": 9}


def test_unresolvable_query_scores_zero():
    out = evaluate_recommendations(CAT, [{"id": "c", "municipality": "Nirgendwo", "comparable": ["S1"]}], fake)
    assert out["overall"]["recall@5"] == 0.0 and out["per_case"][0]["error"] == "query not resolved"


@pytest.mark.slow
def test_real_cases_run_end_to_end():
    from pathlib import Path

    from eval.recommend_eval import load_cases
    from index.catalogue import build_catalogue
    from index.catalogue.recommend import recommend
    from ingest.pipeline import ingest_paths
    from ingest.settings import PROJECT_ROOT, Settings

    result = ingest_paths([PROJECT_ROOT / "corpus"], Settings.from_env())
    catalogue = build_catalogue(result.documents, result.passages)
    out = evaluate_recommendations(catalogue, load_cases(Path(PROJECT_ROOT / "eval/cases/comparable.jsonl")), recommend)
    assert out["unresolved"] == []
    assert out["overall"]["recall@10"] >= 0.5
