"""Hybrid nDCG@10 on the real snapshot must not drop more than the tolerance below eval/floor.json."""

from __future__ import annotations

import pytest

from eval.floor import FLOOR_PATH, METRIC, SYSTEM, check_floor, read_floor
from eval.judgments import load_judgments
from eval.run import evaluate
from ingest.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow


def test_hybrid_ndcg_stays_above_the_recorded_floor(floor_searcher):
    floor = read_floor(FLOOR_PATH)
    judgments = load_judgments(PROJECT_ROOT / "eval" / "judgments.jsonl", [d.id for d in floor_searcher.snapshot.documents])
    results = evaluate(floor_searcher, judgments, [SYSTEM], k=10)
    measured = results["systems"][SYSTEM]["overall"][METRIC]
    problem = check_floor(measured, floor)
    assert problem is None, problem
