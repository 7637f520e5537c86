"""Rank fusion: pure functions over rankings of passage indices.

A ranking is a list of ``(index, score)`` pairs, best first. Each mode returns the
fused ranking as ``(index, fused_score)`` pairs, best first, ties broken by index so
results are deterministic.
"""

from __future__ import annotations

from collections import defaultdict

from core.errors import ConfigError

MODES = ("rrf", "weighted")

Ranking = list[tuple[int, float]]


def rrf(rankings: list[Ranking], k: int = 60, weights: list[float] | None = None) -> Ranking:
    """Reciprocal rank fusion: sum over arms of weight / (k + rank), rank starting at 1."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[int, float] = defaultdict(float)
    for ranking, weight in zip(rankings, weights):
        for rank, (idx, _score) in enumerate(ranking, start=1):
            fused[idx] += weight / (k + rank)
    return _sorted(fused)


def weighted(rankings: list[Ranking], weights: list[float] | None = None) -> Ranking:
    """Convex combination of min-max normalised scores; a missing passage scores 0 in that arm."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[int, float] = defaultdict(float)
    for ranking, weight in zip(rankings, weights):
        if not ranking:
            continue
        scores = [s for _, s in ranking]
        lo, hi = min(scores), max(scores)
        span = hi - lo
        for idx, score in ranking:
            fused[idx] += weight * ((score - lo) / span if span > 0 else 1.0)
    return _sorted(fused)


def fuse(mode: str, rankings: list[Ranking], weights: list[float] | None = None, rrf_k: int = 60) -> Ranking:
    if mode == "rrf":
        return rrf(rankings, k=rrf_k, weights=weights)
    if mode == "weighted":
        return weighted(rankings, weights=weights)
    raise ConfigError(f"unknown fusion mode {mode!r}; choose one of: {', '.join(MODES)}")


def _sorted(fused: dict[int, float]) -> Ranking:
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))
