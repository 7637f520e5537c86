"""BM25 over analysed German terms, backed by the bm25s library (Lucene variant)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from index.analyzer import analyze


class BM25Index:
    def __init__(self, k1: float = 1.2, b: float = 0.75):
        import bm25s

        self.k1, self.b = k1, b
        self._bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
        self.size = 0

    def build(self, texts: list[str]) -> "BM25Index":
        tokens = [analyze(t) or [""] for t in texts]
        self._bm25.index(tokens, show_progress=False)
        self.size = len(texts)
        return self

    def scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every passage for already-analysed query terms."""
        if not terms or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        known = [t for t in terms if t in self._bm25.vocab_dict]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def weighted_scores(self, weights: dict[str, float]) -> np.ndarray:
        """BM25 score of every passage for distinct analysed terms, each term's contribution scaled by its weight.

        Terms of equal weight are scored together (one call for an unweighted German query).
        """
        by_weight: dict[float, list[str]] = defaultdict(list)
        for term, weight in weights.items():
            if weight > 0 and term in self._bm25.vocab_dict:
                by_weight[weight].append(term)
        total = np.zeros(self.size, dtype=np.float32)
        for weight, terms in by_weight.items():
            total += weight * np.asarray(self._bm25.get_scores(terms), dtype=np.float32)
        return total

    def postings(self, term: str) -> np.ndarray:
        """Sorted indices of the passages that contain an analysed term (empty if unknown)."""
        col = self._bm25.vocab_dict.get(term)
        if col is None:
            return np.zeros(0, dtype=np.int64)
        indptr, indices = self._bm25.scores["indptr"], self._bm25.scores["indices"]
        return np.sort(np.asarray(indices[indptr[col] : indptr[col + 1]], dtype=np.int64))

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        return top_k(self.scores(analyze(query)), k, mask)

    @property
    def vocabulary(self) -> dict[str, int]:
        """Term -> document frequency (number of passages containing it)."""
        indptr = self._bm25.scores["indptr"]
        return {t: int(indptr[i + 1] - indptr[i]) for t, i in self._bm25.vocab_dict.items() if t}

    def save(self, path: Path) -> None:
        self._bm25.save(str(path))

    @classmethod
    def load(cls, path: Path) -> "BM25Index":
        import bm25s

        obj = cls.__new__(cls)
        obj._bm25 = bm25s.BM25.load(str(path))
        obj.k1, obj.b = obj._bm25.k1, obj._bm25.b
        obj.size = int(obj._bm25.scores["num_docs"])
        return obj


def top_k(scores: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
    """Indices and scores of the k best positive scores, best first (ties by index)."""
    if mask is not None:
        scores = np.where(mask, scores, 0.0)
    positive = np.flatnonzero(scores > 0)
    if positive.size == 0:
        return []
    if positive.size > k:
        part = np.argpartition(-scores[positive], k - 1)[:k]
        positive = positive[part]
    order = sorted(positive.tolist(), key=lambda i: (-float(scores[i]), i))
    return [(i, float(scores[i])) for i in order]
