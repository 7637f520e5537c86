"""Filtered vector search: the helpers every backend shares.

A filtered search gets ``allowed``, the ids a hit may have (an int64 array; a search
filter such as a document or a Bundesland keeps some passages). Every backend answers
it inside the index, so the result is the top k *of the allowed ids*, never a top k
that is filtered afterwards (which returns fewer than k hits for a restrictive filter).

How the engines do it, and what is copied here:

- exact backends (``numpy``, ``faiss-flat``) score only the allowed vectors;
- graph indexes lose recall and speed when the filter is restrictive, because the
  search must walk past many vectors that do not pass it (Elasticsearch's kNN docs,
  "Approximate kNN search and filtering"; FAISS issue #4727). Lucene and OpenSearch
  (``index.knn.advanced.filtered_exact_search_threshold``) therefore search the allowed
  vectors exactly when there are few of them. ``index.ann.faiss`` does the same below
  ``filter_exact_max`` allowed vectors and otherwise searches the HNSW graph with a FAISS
  ``IDSelectorBitmap`` and a wider ``efSearch``.
"""

from __future__ import annotations

import numpy as np

# Allowed vectors up to which an approximate backend searches them exactly. At a million
# 384-dim vectors the exact scan over 1 % (10,000) costs 8 ms of CPU at recall 1.0 against
# 13 ms and recall 0.92 through the HNSW graph; at 5 % (50,000) both cost about the same
# (26 vs 22 ms) and the graph loses 2.4 % recall. README "Scaling", tools.bench_scale --filter.
FILTER_EXACT_MAX = 50_000
# Upper bound of the widened efSearch of a filtered HNSW search.
FILTER_EF_MAX = 2048


def check_allowed(allowed: np.ndarray | list[int] | None, ntotal: int) -> np.ndarray | None:
    """The allowed ids as a sorted, duplicate-free int64 array (None stays None).

    :param allowed: ids a hit may have, any order, repeats allowed.
    :param ntotal: number of vectors in the index; ids must lie in ``[0, ntotal)``.
    :raises ValueError: for a non-integer or multi-dimensional array or an id out of range.
    """
    if allowed is None:
        return None
    arr = np.asarray(allowed)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"allowed ids must be a 1-d integer array, got shape {arr.shape} of {arr.dtype}")
    arr = np.unique(arr.astype(np.int64, copy=False))
    if arr[0] < 0 or arr[-1] >= ntotal:
        raise ValueError(f"allowed ids must lie in [0, {ntotal}), got {int(arr[0])}..{int(arr[-1])}")
    return arr


def empty_result(n_queries: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores -inf and ids -1, each (n_queries, k): the answer for an empty filter."""
    return np.full((n_queries, k), -np.inf, dtype=np.float32), np.full((n_queries, k), -1, dtype=np.int64)


def exact_top_k(queries: np.ndarray, vectors: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact inner-product top k of ``queries`` over ``vectors`` (row j has id ``ids[j]``).

    :param queries: float32 (n_queries, dim).
    :param vectors: float32 (m, dim), the candidate vectors.
    :param ids: int64 (m,), their ids.
    :returns: (scores, ids), each (n_queries, k), best first, ties by smaller id; slots
        beyond m hold -inf and -1.
    """
    scores, out = empty_result(queries.shape[0], k)
    kk = min(k, len(ids))
    if kk == 0:
        return scores, out
    sims = queries @ np.asarray(vectors, dtype=np.float32).T
    for row in range(queries.shape[0]):
        top = np.argpartition(-sims[row], kk - 1)[:kk] if kk < len(ids) else np.arange(len(ids))
        top = top[np.lexsort((ids[top], -sims[row, top]))]
        scores[row, :kk] = sims[row, top]
        out[row, :kk] = ids[top]
    return scores, out


def bitmap(allowed: np.ndarray, ntotal: int) -> np.ndarray:
    """The allowed ids as a little-endian bitmap (uint8, ceil(ntotal / 8) bytes): bit
    ``i & 7`` of byte ``i >> 3`` is set for an allowed id i, the layout of FAISS's
    ``IDSelectorBitmap``."""
    mask = np.zeros(ntotal, dtype=bool)
    mask[allowed] = True
    return np.packbits(mask, bitorder="little")


def filtered_ef(ef_search: int, k: int, n_allowed: int, ntotal: int) -> int:
    """efSearch for an HNSW search restricted to ``n_allowed`` of ``ntotal`` vectors.

    The candidate list of FAISS's HNSW search holds vectors that pass the filter and
    vectors that do not; widening it by 1 / selectivity keeps about ``ef_search`` allowed
    candidates in it. Bounded by ``FILTER_EF_MAX`` and never below k.
    """
    selectivity = max(n_allowed, 1) / max(ntotal, 1)
    return int(max(k, min(FILTER_EF_MAX, max(ef_search, np.ceil(ef_search / selectivity)))))


class OwnerMap:
    """Rows grouped by owner (the sentence windows of each passage), built once.

    :param owner: int64 (n_rows,), the owner id of each row, any order.
    :param n_owners: number of owners; owner ids lie in ``[0, n_owners)``.
    """

    def __init__(self, owner: np.ndarray, n_owners: int):
        owner = np.asarray(owner, dtype=np.int64)
        self.rows = np.argsort(owner, kind="stable").astype(np.int64)
        self.offsets = np.zeros(n_owners + 1, dtype=np.int64)
        if len(owner):
            self.offsets[1:] = np.cumsum(np.bincount(owner, minlength=n_owners))

    def rows_of(self, owners: np.ndarray) -> np.ndarray:
        """Sorted int64 ids of the rows whose owner is in ``owners`` (int64 ids, no repeats).
        Cost grows with the number of owners and their rows, not with n_rows."""
        owners = np.asarray(owners, dtype=np.int64)
        starts, ends = self.offsets[owners], self.offsets[owners + 1]
        lengths = ends - starts
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(0, dtype=np.int64)
        shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        return np.sort(self.rows[shift + np.arange(total)])
