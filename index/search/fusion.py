"""Rank fusion: pure functions over rankings of passage indices, and the ``Fusion``
component ``Searcher`` uses to combine its retrievers.

A ranking is a list of ``(index, score)`` pairs, best first. Each mode returns the
fused ranking as ``(index, fused_score)`` pairs, best first, ties broken by index so
results are deterministic.

- ``minmax``: convex combination of min-max normalised scores (the "linear combination"
  of Fox & Shaw 1994 / Lee 1997; Elasticsearch's and Weaviate's "relativeScoreFusion").
  ``weighted`` is the old name and still accepted.
- ``rrf``: reciprocal rank fusion (Cormack, Clarke & Büttcher 2009).

To change the fusion weights, change the settings ``hybrid_dense_weight`` and
``hybrid_dense_weight_en`` (``core/settings.py``); to add a mode, add a function here
and its name to ``MODES``.
"""

from __future__ import annotations

from collections import defaultdict

from core.errors import ConfigError

MODES = ("minmax", "rrf")
# Dense weight by language and query form ("de-keyword", "en-question", "en-statement", ...), where it differs
# from the language's setting; empty: the settings decide alone.
KIND_WEIGHTS: dict[str, float] = {}
ALIASES = {"weighted": "minmax"}

Ranking = list[tuple[int, float]]


def rrf(rankings: list[Ranking], k: int = 60, weights: list[float] | None = None) -> Ranking:
    """Reciprocal rank fusion: sum over rankings of weight / (k + rank), rank starting at 1.

    Cormack, Clarke & Büttcher (SIGIR 2009), with their k = 60 as default and one
    optional weight per ranking (default 1 each). Input scores are ignored; a passage
    missing from a ranking gets nothing from it. Returns every passage of any ranking."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[int, float] = defaultdict(float)
    for ranking, weight in zip(rankings, weights):
        for rank, (idx, _score) in enumerate(ranking, start=1):
            fused[idx] += weight / (k + rank)
    return _sorted(fused)


def minmax(rankings: list[Ranking], weights: list[float] | None = None) -> Ranking:
    """Convex combination of min-max normalised scores, each in [0, 1]; a passage missing
    from a ranking scores 0 there; a ranking whose scores are all equal gives each 1.

    ``weights``: one per ranking (default 1 each); with weights summing to 1 the fused
    scores are in [0, 1]. Normalisation is per ranking over the scores it holds (the
    retrieved candidates, not the whole corpus). Returns every passage of any ranking."""
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


weighted = minmax  # the mode's old name


def canonical_mode(mode: str) -> str:
    """``mode`` with aliases resolved ("weighted" -> "minmax"); ``ConfigError`` if unknown."""
    mode = ALIASES.get(mode, mode)
    if mode not in MODES:
        raise ConfigError(f"unknown fusion mode {mode!r}; choose one of: {', '.join(MODES + tuple(ALIASES))}")
    return mode


def fuse(mode: str, rankings: list[Ranking], weights: list[float] | None = None, rrf_k: int = 60) -> Ranking:
    """Fuse ``rankings`` with ``mode`` ("minmax", its alias "weighted", or "rrf") and one
    weight per ranking. Raises ``ConfigError`` for an unknown mode."""
    if canonical_mode(mode) == "rrf":
        return rrf(rankings, k=rrf_k, weights=weights)
    return minmax(rankings, weights=weights)


class Fusion:
    """Combines the retrievers' rankings of one query.

    The dense ranking gets ``dense_weight`` (``dense_weight_en`` for English queries,
    whose BM25 side searches dictionary translations), BM25 the rest. A single ranking
    passes through unchanged.

    :param mode: "minmax", "weighted" (alias) or "rrf" (setting ``fusion``).
    :param dense_weight: weight of the dense ranking for German queries, in [0, 1]
        (setting ``hybrid_dense_weight``).
    :param dense_weight_en: the same for English queries (``hybrid_dense_weight_en``).
    :param rrf_k: the RRF constant (setting ``rrf_k``; used only by "rrf").
    :raises ConfigError: unknown ``mode``.
    """

    def __init__(self, mode: str, dense_weight: float, dense_weight_en: float, rrf_k: int = 60,
                 kind_weights: dict[str, float] | None = None):
        self.mode = canonical_mode(mode)
        self.dense_weight = dense_weight
        self.dense_weight_en = dense_weight_en
        self.rrf_k = rrf_k
        self.kind_weights = dict(kind_weights or KIND_WEIGHTS)

    def __call__(self, lang: str, rankings: dict[str, Ranking], kind: str | None = None) -> Ranking:
        """``rankings`` by retriever name ("dense", "bm25") -> one fused ranking; ``lang``
        ("de"/"en") picks the dense weight, and ``kind`` ("keyword"/"question"/"statement",
        ``index.search.kinds.query_form``) the one in ``kind_weights`` ("en-keyword", ...) where given."""
        if len(rankings) == 1:
            return next(iter(rankings.values()))
        w = self.dense_weight_en if lang == "en" else self.dense_weight
        w = self.kind_weights.get(f"{lang}-{kind}", w)
        weights = [w if name == "dense" else 1.0 - w for name in rankings]
        return fuse(self.mode, list(rankings.values()), weights, rrf_k=self.rrf_k)


def _sorted(fused: dict[int, float]) -> Ranking:
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))
