"""Confidence intervals and paired tests in the evaluation report (eval.report.interval_rows)."""

from __future__ import annotations

from eval.report import interval_rows, uncertainty


def _results(per_system: dict[str, list[float]]) -> dict:
    systems = {}
    for name, scores in per_system.items():
        systems[name] = {"per_query": {f"q{i:02d}": {"ndcg@10": v} for i, v in enumerate(scores)}}
    return {"k": 10, "systems": systems}


def test_a_clearly_better_hybrid_is_significant_and_its_interval_excludes_zero():
    hybrid = [0.9, 0.8, 1.0, 0.7, 0.9, 0.95, 0.85, 0.8, 1.0, 0.9] * 3
    weak = [v - 0.3 + 0.05 * (i % 3) for i, v in enumerate(hybrid)]
    rows, comparisons = interval_rows(_results({"hybrid": hybrid, "bm25": weak}))
    name, mean, low, high = rows[0]
    assert name == "hybrid" and low <= mean <= high
    (other, diff, dlow, dhigh, p), = comparisons
    assert other == "bm25" and 0 < dlow <= diff <= dhigh and p == "< 0.001"


def test_identical_systems_are_not_significant():
    scores = [0.1, 0.5, 0.9, 0.3, 0.7, 0.2, 0.6, 0.8]
    _, comparisons = interval_rows(_results({"hybrid": scores, "dense": list(scores)}))
    assert comparisons == [["dense", 0.0, 0.0, 0.0, "1.0000"]]


def test_noise_is_not_called_a_difference():
    hybrid = [0.0, 1.0] * 10
    other = [1.0, 0.0] * 10  # same mean, opposite queries
    _, comparisons = interval_rows(_results({"hybrid": hybrid, "bm25": other}))
    (_, diff, low, high, p), = comparisons
    assert diff == 0.0 and low < 0 < high and float(p) > 0.5


def test_report_section_is_reproducible():
    results = _results({"hybrid": [0.2, 0.9, 0.4, 1.0, 0.6], "bm25": [0.1, 0.8, 0.5, 0.7, 0.3]})
    assert uncertainty(results) == uncertainty(results)
    assert any("Paired against `hybrid`" in line for line in uncertainty(results))
