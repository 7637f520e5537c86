"""BM25 over analysed German terms, backed by the bm25s library (Lucene variant)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from index.analyzer import analyze


class BM25Index:
    """BM25 (Lucene variant, Robertson et al.; library ``bm25s``) over the terms of
    :func:`index.analyzer.analyze`. Passages are addressed by their index in the
    snapshot's passage list; score arrays are float32 of shape (n_passages,).
    ``k1`` (term-frequency saturation) and ``b`` (length normalisation) default to
    Lucene's 1.2 and 0.75.
    """

    def __init__(self, k1: float = 1.2, b: float = 0.75):
        # lazy: bm25s and its SciPy (~0.4 s) load only when a BM25 index is built or read, not for passage_text/top_k
        import bm25s

        self.k1, self.b = k1, b
        self._bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
        self.size = 0

    def build(self, texts: list[str]) -> "BM25Index":
        """Index ``texts`` (one per passage, analysed here); returns ``self``."""
        tokens = [analyze(t) or [""] for t in texts]
        self._bm25.index(tokens, show_progress=False)
        self.size = len(texts)
        return self

    def scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every passage for already-analysed query terms: float32 (n_passages,);
        unknown terms add nothing, all zeros when none is known."""
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

    def top(self, weights: dict[str, float], depth: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Up to ``depth`` ``(passage index, weighted BM25 score)`` with a positive score
        inside ``mask`` (bool (n_passages,) or None), best first, ties by index: the
        retriever's whole question to a BM25 store (``index.store``). Here
        ``top_k(weighted_scores(weights))``; the PostgreSQL store answers it in SQL."""
        return top_k(self.weighted_scores(weights), depth, mask)

    def postings(self, term: str) -> np.ndarray:
        """Sorted indices of the passages that contain an analysed term (empty if unknown)."""
        col = self._bm25.vocab_dict.get(term)
        if col is None:
            return np.zeros(0, dtype=np.int64)
        indptr, indices = self._bm25.scores["indptr"], self._bm25.scores["indices"]
        return np.sort(np.asarray(indices[indptr[col] : indptr[col + 1]], dtype=np.int64))

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Analyse ``query`` and return up to ``k`` (passage index, BM25 score) pairs with a
        positive score, best first; ``mask``: bool (n_passages,), False excludes a passage."""
        return top_k(self.scores(analyze(query)), k, mask)

    @property
    def vocabulary(self) -> dict[str, int]:
        """Term -> document frequency (number of passages containing it)."""
        indptr = self._bm25.scores["indptr"]
        return {t: int(indptr[i + 1] - indptr[i]) for t, i in self._bm25.vocab_dict.items() if t}

    def save(self, path: Path) -> None:
        """Write the index into the directory ``path`` (bm25s' own files: vocabulary, CSC scores, params)."""
        self._bm25.save(str(path))

    @classmethod
    def load(cls, path: Path) -> "BM25Index":
        """Read an index written by :meth:`save` (bm25s errors propagate for a missing or broken directory)."""
        # lazy: bm25s and its SciPy (~0.4 s) load only when a BM25 index is built or read, not for passage_text/top_k
        import bm25s

        obj = cls.__new__(cls)
        obj._bm25 = bm25s.BM25.load(str(path))
        obj.k1, obj.b = obj._bm25.k1, obj._bm25.b
        obj.size = int(obj._bm25.scores["num_docs"])
        return obj


def passage_text(p) -> str:
    """The text BM25 indexes for a passage (``core.schema.Passage``): its section headings
    (municipality names, chapter titles) and its text; both stores index exactly this."""
    return f"{p.section}\n{p.text}" if p.section_path else p.text


def top_k(scores: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
    """Indices and scores of the k best positive scores, best first (ties by index).

    ``scores``: 1-d array; ``mask`` (same shape, bool) zeroes the excluded entries first.
    Returns at most ``k`` ``(index, score)`` pairs; O(n) selection with ``argpartition``.
    """
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
