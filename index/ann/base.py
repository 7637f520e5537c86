"""The vector-index contract every backend follows, and helpers shared by backends.

A backend stores L2-normalised float32 vectors and answers inner-product top-k
queries. ``numpy`` is the brute-force reference; ``faiss-*`` are the production
engines. The registry of names lives in ``index.ann.factory``; this module imports no
backend, so backends can import it without a cycle.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import numpy as np



class VectorIndex(Protocol):
    """A store of L2-normalised float32 vectors of one dimension, searched by inner product.

    Ids are insertion order (0 .. ntotal-1). Implementations: ``index.ann.numpy`` and
    ``index.ann.faiss``; register new ones in ``index.ann.factory.REGISTRY``.
    """

    backend: str
    dim: int

    def add(self, vectors: np.ndarray) -> None:
        """Append float32 vectors of shape (n, dim); they get the next n ids."""
        ...

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each of shape (n_queries, k), best first; missing slots have id -1.

        ``allowed`` (int64 ids, any order) restricts the hits to those ids inside the
        backend: the top k of the allowed vectors, padded with -1 when fewer are allowed,
        all -1 for an empty array (see ``index.ann.subset``). ValueError for an id
        outside ``[0, ntotal)``.
        """
        ...

    def save(self, path: Path) -> None:
        """Write the index into the folder ``path`` (with ``vectors.json`` naming the backend)."""
        ...

    @property
    def ntotal(self) -> int:
        """Number of vectors stored."""
        ...


def write_meta(path: Path, meta: dict[str, Any]) -> None:
    """Create the folder ``path`` and write ``meta`` (backend, dim, ...) as ``vectors.json``."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "vectors.json").write_text(json.dumps(meta, indent=2))


def as_matrix(vectors: np.ndarray, dim: int) -> np.ndarray:
    """``vectors`` as a C-contiguous float32 matrix (n, dim); one vector becomes (1, dim).

    Raises ``ValueError`` when the second dimension is not ``dim``."""
    arr = np.ascontiguousarray(vectors, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.shape[1] != dim:
        raise ValueError(f"expected vectors of dimension {dim}, got {arr.shape[1]}")
    return arr
