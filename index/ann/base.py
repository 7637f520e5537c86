"""The vector-index contract and the backend registry.

A backend stores L2-normalised float32 vectors and answers inner-product top-k
queries. ``numpy`` is the brute-force reference; ``faiss-*`` are the production
engines. FAISS is imported only when a FAISS backend is built.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from core.errors import ConfigError, SnapshotError

BACKENDS = ("numpy", "faiss-flat", "faiss-hnsw", "faiss-hnsw-sq8", "faiss-ivfpq")


class VectorIndex(Protocol):
    backend: str
    dim: int

    def add(self, vectors: np.ndarray) -> None: ...

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each of shape (n_queries, k), best first; missing slots have id -1.

        ``allowed`` (int64 ids, any order) restricts the hits to those ids inside the
        backend: the top k of the allowed vectors, padded with -1 when fewer are allowed,
        all -1 for an empty array (see ``index.ann.subset``). ValueError for an id
        outside ``[0, ntotal)``.
        """
        ...

    def save(self, path: Path) -> None: ...

    @property
    def ntotal(self) -> int: ...


def create(backend: str, dim: int, params: dict[str, Any] | None = None) -> VectorIndex:
    params = params or {}
    if backend == "numpy":
        from index.ann.numpy import NumpyIndex

        return NumpyIndex(dim)
    if backend.startswith("faiss-") and backend in BACKENDS:
        from index.ann.faiss import FaissIndex

        return FaissIndex(backend, dim, params)
    raise ConfigError(f"unknown vector backend {backend!r}; choose one of: {', '.join(BACKENDS)}")


def load(path: Path, params: dict[str, Any] | None = None) -> VectorIndex:
    """The index saved at ``path``, read once. ``params`` override the saved query-time
    parameters of a FAISS backend (efSearch, nprobe, filter_exact_max); numpy ignores them.
    Raises ``SnapshotError`` when the directory is missing, unreadable or of an unknown backend."""
    path = Path(path)
    try:
        meta = json.loads((path / "vectors.json").read_text())
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"vector index at {path} is missing or unreadable") from exc
    backend = meta.get("backend")
    if backend == "numpy":
        from index.ann.numpy import NumpyIndex

        return NumpyIndex.load(path, meta)
    if isinstance(backend, str) and backend.startswith("faiss-"):
        from index.ann.faiss import FaissIndex

        return FaissIndex.load(path, meta, params)
    raise SnapshotError(f"vector index at {path} has unknown backend {backend!r}")


def write_meta(path: Path, meta: dict[str, Any]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / "vectors.json").write_text(json.dumps(meta, indent=2))


def as_matrix(vectors: np.ndarray, dim: int) -> np.ndarray:
    arr = np.ascontiguousarray(vectors, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.shape[1] != dim:
        raise ValueError(f"expected vectors of dimension {dim}, got {arr.shape[1]}")
    return arr
