"""Hybrid nDCG@10 on the real snapshot must not drop more than the tolerance below each recorded floor.

One floor per judgment set: the written judgments (eval/floor.json), the pooled ones
(eval/floor-pooled.json) and the held-out queries written after tuning (eval/floor-heldout.json).
"""

from __future__ import annotations

import pytest

from eval.floor import FLOOR_PATHS, METRIC, SYSTEM, check_floor, read_floor
from eval.judgments import load_judgments
from eval.run import evaluate
from core.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("floor_path", FLOOR_PATHS, ids=lambda p: p.stem)
def test_hybrid_ndcg_stays_above_the_recorded_floor(floor_searcher, floor_path):
    floor = read_floor(floor_path)
    judgments = load_judgments(PROJECT_ROOT / floor["judgments"], [d.id for d in floor_searcher.snapshot.documents])
    assert len(judgments) == floor["queries"]
    results = evaluate(floor_searcher, judgments, [SYSTEM], k=10)
    measured = results["systems"][SYSTEM]["overall"][METRIC]
    problem = check_floor(measured, floor)
    assert problem is None, f"{floor['judgments']}: {problem}"
