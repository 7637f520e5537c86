"""Brute-force NumPy inner-product search: the reference every backend is tested against."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from index.ann.base import Tombstones, as_matrix, write_meta
from index.ann.subset import check_allowed, exact_top_k


class NumpyIndex:
    """Exact inner-product search by one NumPy matrix product: the reference backend."""

    backend = "numpy"

    @classmethod
    def create(cls, backend: str, dim: int, params: dict[str, Any]) -> "NumpyIndex":
        """An empty index (``backend`` is always "numpy"; ``params`` are ignored)."""
        return cls(dim)

    def __init__(self, dim: int):
        self.dim = dim
        self._vectors = np.zeros((0, dim), dtype=np.float32)
        self._tombstones = Tombstones()

    @property
    def ntotal(self) -> int:
        """Number of vectors stored."""
        return int(self._vectors.shape[0])

    def add(self, vectors: np.ndarray) -> None:
        """Append float32 vectors (n, dim)."""
        self._vectors = np.vstack([self._vectors, as_matrix(vectors, self.dim)])

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Exact top k by inner product, optionally only among the ``allowed`` ids (int64;
        only their vectors are scored). Shapes and errors as ``FaissIndex.search``."""
        q = as_matrix(queries, self.dim)
        allowed = self._tombstones.allowed(check_allowed(allowed, self.ntotal), self.ntotal)
        if allowed is not None:
            return exact_top_k(q, self._vectors[allowed], allowed, k)
        n, kk = q.shape[0], min(k, self.ntotal)
        scores = np.full((n, k), -np.inf, dtype=np.float32)
        ids = np.full((n, k), -1, dtype=np.int64)
        if kk == 0:
            return scores, ids
        sims = q @ self._vectors.T
        for row in range(n):
            top = np.argpartition(-sims[row], kk - 1)[:kk]
            top = top[np.lexsort((top, -sims[row, top]))]
            scores[row, :kk] = sims[row, top]
            ids[row, :kk] = top
        return scores, ids

    def delete(self, ids: np.ndarray) -> None:
        """Exclude ``ids`` from every later search (``index.ann.base.Tombstones``)."""
        self._tombstones.add(ids, self.ntotal)

    def close(self) -> None:
        """Release the matrix (a memory map closes with it)."""
        self._vectors = np.zeros((0, self.dim), dtype=np.float32)

    def drop(self) -> None:
        """Remove every vector (nothing is on disk but what ``save`` wrote, which the store removes)."""
        self.close()
        self._tombstones = Tombstones()

    def save(self, path: Path) -> None:
        """Write ``vectors.npy`` and ``vectors.json`` into the folder ``path``."""
        write_meta(path, {"backend": self.backend, "dim": self.dim, "ntotal": self.ntotal})
        np.save(path / "vectors.npy", self._vectors)

    @classmethod
    def load(cls, path: Path, meta: dict[str, Any], params: dict[str, Any] | None = None) -> "NumpyIndex":
        """Read ``vectors.npy`` (``params`` are ignored: exact search has none)."""
        obj = cls(int(meta["dim"]))
        obj._vectors = np.load(path / "vectors.npy")
        return obj
