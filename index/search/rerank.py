"""Rerankers: re-score the head of a fused ranking.

``MaxSimReranker`` is late interaction (ColBERT, Khattab & Zaharia 2020) over the e5
model's own output token vectors: a candidate's score is the mean over query tokens of
the best-matching passage token. Its score is fused with the first-stage score by
min-max fusion (weight ``rerank_weight``); the tail below ``depth`` keeps its order.
Measured: +0.02 nDCG@10 on eval/judgments.jsonl (see ``index.multivector``).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from index.multivector import TokenStore
from index.search.fusion import Ranking, minmax
from index.search.query import Query

# MaxSim weight by language and query form ("en-statement", ...; ``index.search.kinds.query_form``),
# where it differs from the language's weight; empty: the settings decide alone.
KIND_WEIGHTS: dict[str, float] = {}


class Reranker(Protocol):
    """Re-scores the head of a ranking.

    ``rerank`` returns ``(new ranking, own scores)``: the whole ranking with its head
    re-ordered, and this reranker's raw scores of the candidates it scored (empty when
    it did nothing), which hits report per component.
    """

    name: str

    def rerank(self, query: Query, ranking: Ranking) -> tuple[Ranking, Ranking]:
        """``ranking`` (``(passage index, score)``, best first) -> ``(new ranking, own
        scores)``; the new ranking holds the same passages as ``ranking``."""
        ...


class MaxSimReranker:
    """MaxSim over stored passage token vectors (``TokenStore``, float16 on disk).

    :param tokens: the snapshot's token store, or None (then ``rerank`` is a no-op). Its
        matrix (n_tokens, dim) is converted to float32 in place once, here.
    :param depth: how many of the best fused candidates are re-scored (``rerank_depth``).
    :param weight: share of the MaxSim score in the final head score, in [0, 1]
        (``rerank_weight``).
    :param weight_en: the same for English queries (default: ``weight``).
    """

    name = "maxsim"

    def __init__(self, tokens: TokenStore | None, depth: int, weight: float, weight_en: float | None = None):
        self.tokens = tokens
        self.depth = depth
        self.weight = weight
        self.weight_en = weight if weight_en is None else weight_en  # English queries (``Query.lang``)
        if tokens is not None:
            # float16 on disk; float32 in memory, because converting per query costs more than the MaxSim
            tokens.matrix = np.asarray(tokens.matrix, dtype=np.float32)

    def rerank(self, query: Query, ranking: Ranking) -> tuple[Ranking, Ranking]:
        """Re-score ``ranking[:depth]`` by MaxSim and min-max fuse it with the first-stage
        scores; returns ``(ranking, maxsim scores)``, unchanged and empty when there are no
        token vectors or no candidates.

        The head's new scores are in [0, 1] (``fusion.minmax``, weights ``1 - weight`` and
        ``weight``); the MaxSim scores are in [-1, 1]. The query's token vectors come from
        ``query.token_vectors`` (encoding the query if no retriever has yet)."""
        head = ranking[: self.depth]
        if self.tokens is None or not head:
            return ranking, []
        query_tokens = query.token_vectors
        if query_tokens is None:
            return ranking, []
        scores = self.tokens.maxsim(query_tokens, [i for i, _ in head])
        if not scores:
            return ranking, []
        weight = self.weight_en if query.lang == "en" else self.weight
        weight = KIND_WEIGHTS.get(f"{query.lang}-{query.kind}", weight)
        fused_head = minmax([head, scores], [1.0 - weight, weight])
        return fused_head + ranking[self.depth :], scores
