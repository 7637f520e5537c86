"""The one registry of vector backends: names -> classes, ``create`` and ``load``.

Add a backend by writing one module under ``index/ann/`` whose class follows
``index.ann.base.VectorIndex`` (with ``create(backend, dim, params)`` and
``load(path, meta)`` class methods) and adding its name(s) to ``REGISTRY`` below.
The ``vector_backend`` setting takes its choices from here (``check``); backend
modules are imported only when used, so FAISS is loaded only for a FAISS backend.
Method after txtai's ``ANNFactory`` (one name -> class table, lazily imported).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from core.errors import ConfigError, SnapshotError
from core.settings import AnnSettings
from index.ann.base import VectorIndex

# name -> "module:Class"; the class decides what the name means (e.g. FAISS index type)
REGISTRY: dict[str, str] = {
    "numpy": "index.ann.numpy:NumpyIndex",
    "faiss-flat": "index.ann.faiss:FaissIndex",
    "faiss-hnsw": "index.ann.faiss:FaissIndex",
    "faiss-hnsw-sq8": "index.ann.faiss:FaissIndex",
    "faiss-ivfpq": "index.ann.faiss:FaissIndex",
}
BACKENDS: tuple[str, ...] = tuple(REGISTRY)


def check(backend: str) -> str:
    """``backend`` if it is a registered name; otherwise ``ConfigError`` naming the choices."""
    if backend not in REGISTRY:
        raise ConfigError(f"unknown vector backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
    return backend


def _class(backend: str):
    module, _, name = REGISTRY[check(backend)].partition(":")
    return getattr(importlib.import_module(module), name)


def create(backend: str, dim: int, params: dict[str, Any] | None = None) -> VectorIndex:
    """An empty index of ``backend`` for ``dim``-dimensional vectors.

    ``params`` are backend options (``hnsw_m``, ``hnsw_ef_search``, ``ivf_nlist``, ...;
    see ``index.ann.factory.dense_params``). Raises ``ConfigError`` for an unknown backend or
    options the backend rejects.
    """
    return _class(backend).create(backend, dim, params or {})


def load(path: Path, params: dict[str, Any] | None = None) -> VectorIndex:
    """The index saved in the folder ``path`` (its ``vectors.json`` names the backend), read
    once. ``params`` override the saved query-time parameters of a FAISS backend (efSearch,
    nprobe, filter_exact_max); numpy ignores them.

    Raises ``SnapshotError`` when the folder, its metadata or its backend is unknown.
    """
    path = Path(path)
    try:
        meta = json.loads((path / "vectors.json").read_text())
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"vector index at {path} is missing or unreadable") from exc
    backend = meta.get("backend")
    if not isinstance(backend, str) or backend not in REGISTRY:
        raise SnapshotError(f"vector index at {path} has unknown backend {backend!r}")
    return _class(backend).load(path, meta, params)


def dense_params(ann: AnnSettings) -> dict[str, Any]:
    """Vector-backend options from the ANN settings, as ``create``/``load`` take them (HNSW M/efSearch/efConstruction, IVF nlist/nprobe, PQ m)."""
    return {
        "hnsw_m": ann.hnsw_m,
        "hnsw_ef_search": ann.hnsw_ef_search,
        "ivf_nlist": ann.ivf_nlist,
        "ivf_nprobe": ann.ivf_nprobe,
        "pq_m": ann.pq_m,
        "hnsw_ef_construction": ann.hnsw_ef_construction,
    }
