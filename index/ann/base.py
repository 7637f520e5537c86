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

    def delete(self, ids: np.ndarray) -> None:
        """Never return the vectors ``ids`` (int64) again; the other ids keep their numbers
        (ids are passage rows, so they must not shift). ValueError for an id outside
        ``[0, ntotal)``. Deleting is not saved: a snapshot is immutable, a new one is built
        without the deleted passages (the PostgreSQL store deletes the rows)."""
        ...

    def close(self) -> None:
        """Release what the index holds (memory, connections); it answers nothing afterwards."""
        ...

    def drop(self) -> None:
        """Remove every vector for good (an in-memory index: release it; a database index:
        drop its table) and close."""
        ...

    @property
    def ntotal(self) -> int:
        """Number of vectors stored."""
        ...


class Tombstones:
    """Deleted ids of an index whose engine cannot remove a vector without renumbering
    (FAISS HNSW cannot remove at all; ``IndexFlat.remove_ids`` shifts the ids after it).

    ``allowed_after_delete`` turns a search's ``allowed`` ids into the same set without the
    deleted ones, so deletion reuses the filtered search of each backend."""

    def __init__(self) -> None:
        self.deleted: np.ndarray = np.zeros(0, dtype=np.int64)

    def add(self, ids: np.ndarray, ntotal: int) -> None:
        """Record ``ids`` as deleted; ValueError for an id outside ``[0, ntotal)``."""
        arr = np.asarray(ids, dtype=np.int64).ravel()
        if arr.size and (arr.min() < 0 or arr.max() >= ntotal):
            raise ValueError(f"ids to delete must lie in [0, {ntotal})")
        self.deleted = np.union1d(self.deleted, arr)

    def allowed(self, allowed: np.ndarray | None, ntotal: int) -> np.ndarray | None:
        """``allowed`` (sorted int64 or None = all) minus the deleted ids; unchanged when none is deleted."""
        if self.deleted.size == 0:
            return allowed
        base = np.arange(ntotal, dtype=np.int64) if allowed is None else allowed
        return np.setdiff1d(base, self.deleted, assume_unique=True)


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
