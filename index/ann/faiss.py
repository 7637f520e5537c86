"""FAISS backends: exact inner product (default), HNSW and IVF-PQ for large corpora.

``faiss-hnsw-sq8`` is HNSW over 8-bit scalar-quantised vectors: a quarter of the
memory of ``faiss-hnsw`` (384 B instead of 1,536 B per 384-dim vector) at a small
recall cost; ``tools/bench_scale.py`` measures both at a million vectors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from index.ann.base import Tombstones, as_matrix, write_meta
from index.ann.subset import FILTER_EXACT_MAX, bitmap, check_allowed, empty_result, filtered_ef
from core.errors import ConfigError

DEFAULTS = {"hnsw_m": 32, "hnsw_ef_construction": 200, "hnsw_ef_search": 128,
            "ivf_nlist": 4096, "ivf_nprobe": 64, "pq_m": 48, "pq_bits": 8,
            "filter_exact_max": FILTER_EXACT_MAX}


def _faiss():
    try:
        # lazy: FAISS loads only for its vector backends
        import faiss
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ConfigError("FAISS backends need faiss-cpu: pip install faiss-cpu") from exc
    return faiss


class FaissIndex:
    """A FAISS index (``faiss-flat``, ``faiss-hnsw``, ``faiss-hnsw-sq8`` or ``faiss-ivfpq``)
    behind ``index.ann.base.VectorIndex``; inner product over L2-normalised vectors."""

    @classmethod
    def create(cls, backend: str, dim: int, params: dict[str, Any]) -> "FaissIndex":
        """An empty index of the FAISS type ``backend``; ``params`` override ``DEFAULTS``."""
        return cls(backend, dim, params)

    def __init__(self, backend: str, dim: int, params: dict[str, Any] | None = None, index=None):
        faiss = _faiss()
        self.backend, self.dim = backend, dim
        self.params = {**DEFAULTS, **(params or {})}
        self._index = index if index is not None else self._make(faiss)
        self._tombstones = Tombstones()
        self._configure()

    def _make(self, faiss):
        p, ip = self.params, faiss.METRIC_INNER_PRODUCT
        if self.backend == "faiss-flat":
            return faiss.IndexFlatIP(self.dim)
        if self.backend == "faiss-hnsw":
            index = faiss.IndexHNSWFlat(self.dim, int(p["hnsw_m"]), ip)
            index.hnsw.efConstruction = int(p["hnsw_ef_construction"])
            return index
        if self.backend == "faiss-hnsw-sq8":
            index = faiss.IndexHNSWSQ(self.dim, faiss.ScalarQuantizer.QT_8bit, int(p["hnsw_m"]), ip)
            index.hnsw.efConstruction = int(p["hnsw_ef_construction"])
            return index
        if self.backend == "faiss-ivfpq":
            if self.dim % int(p["pq_m"]):
                raise ConfigError(f"pq_m={p['pq_m']} must divide the dimension {self.dim}")
            quantizer = faiss.IndexFlatIP(self.dim)
            return faiss.IndexIVFPQ(quantizer, self.dim, int(p["ivf_nlist"]), int(p["pq_m"]), int(p["pq_bits"]), ip)
        raise ConfigError(f"unknown FAISS backend {self.backend!r}")

    def _configure(self) -> None:
        if self.backend in ("faiss-hnsw", "faiss-hnsw-sq8"):
            self._index.hnsw.efSearch = int(self.params["hnsw_ef_search"])
        elif self.backend == "faiss-ivfpq":
            self._index.nprobe = int(self.params["ivf_nprobe"])

    @property
    def ntotal(self) -> int:
        """Number of vectors stored."""
        return int(self._index.ntotal)

    def add(self, vectors: np.ndarray) -> None:
        """Append float32 vectors (n, dim). An untrained index is trained on this first batch: SQ8
        learns its value ranges, IVF-PQ its cells (fewer cells for small corpora); ``ConfigError``
        when IVF-PQ gets fewer than 2**pq_bits vectors."""
        x = as_matrix(vectors, self.dim)
        if not self._index.is_trained and self.backend == "faiss-hnsw-sq8":
            self._index.train(x)  # SQ8 learns per-dimension ranges from the first batch
        elif not self._index.is_trained:
            if x.shape[0] < 2 ** int(self.params["pq_bits"]):
                raise ConfigError(f"faiss-ivfpq needs at least {2 ** int(self.params['pq_bits'])} vectors to train")
            nlist = min(int(self.params["ivf_nlist"]), max(1, x.shape[0] // 39))
            if nlist != int(self.params["ivf_nlist"]):  # small corpora: fewer cells
                self.params["ivf_nlist"] = nlist
                self._index = self._make(_faiss())
                self._configure()
            self._index.train(x)
        self._index.add(x)

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top k by inner product, optionally only among the ``allowed`` ids.

        :param queries: float32 (n_queries, dim).
        :param allowed: int64 ids a hit may have (see ``index.ann.subset``); None = all.
        :returns: (scores, ids), each (n_queries, k), best first; missing slots -1 / -inf.
        :raises ValueError: wrong dimension or an allowed id outside ``[0, ntotal)``.

        A filtered search runs inside FAISS with an ``IDSelectorBitmap``
        (``SearchParameters(sel=...)``): ``faiss-flat`` scores only the allowed vectors;
        HNSW and IVF search the stored vectors exactly when at most ``filter_exact_max``
        are allowed (as Lucene and OpenSearch do for restrictive filters), else HNSW
        walks its graph with ``efSearch`` widened by 1 / selectivity
        (``index.ann.subset.filtered_ef``) and IVF probes as many more cells.
        """
        q = as_matrix(queries, self.dim)
        allowed = self._tombstones.allowed(check_allowed(allowed, self.ntotal), self.ntotal)
        if allowed is None:
            scores, ids = self._index.search(q, k)
            return scores, ids.astype(np.int64)
        if allowed.size == 0:
            return empty_result(q.shape[0], k)
        faiss = _faiss()
        bits = bitmap(allowed, self.ntotal)  # referenced until the search returns
        sel = faiss.IDSelectorBitmap(bits)
        target, params = self._filtered_plan(faiss, sel, allowed.size, k)
        scores, ids = target.search(q, k, params=params)
        ids = ids.astype(np.int64)
        scores[ids < 0] = -np.inf
        return scores, ids

    def _filtered_plan(self, faiss, sel, n_allowed: int, k: int):
        """(index to search, its SearchParameters) for a filter keeping ``n_allowed`` vectors."""
        exact = n_allowed <= int(self.params["filter_exact_max"])
        if self.backend == "faiss-flat":
            return self._index, faiss.SearchParameters(sel=sel)
        if self.backend in ("faiss-hnsw", "faiss-hnsw-sq8"):
            if exact:  # the graph's own storage (flat or SQ8 codes), scanned over the allowed ids
                return faiss.downcast_index(self._index.storage), faiss.SearchParameters(sel=sel)
            ef = filtered_ef(int(self.params["hnsw_ef_search"]), k, n_allowed, self.ntotal)
            return self._index, faiss.SearchParametersHNSW(sel=sel, efSearch=ef)
        nlist = int(self._index.nlist)
        if exact:
            nprobe = nlist
        else:
            nprobe = int(min(nlist, max(1, np.ceil(int(self.params["ivf_nprobe"]) * self.ntotal / n_allowed))))
        return self._index, faiss.SearchParametersIVF(sel=sel, nprobe=nprobe)

    def delete(self, ids: np.ndarray) -> None:
        """Exclude ``ids`` from every later search: a tombstone the filtered search honours
        (``index.ann.base.Tombstones``), because FAISS renumbers on removal or cannot remove."""
        self._tombstones.add(ids, self.ntotal)

    def close(self) -> None:
        """Free the FAISS index's memory (``reset``); the object answers nothing afterwards."""
        self._index.reset()

    def drop(self) -> None:
        """Remove every vector and close (the store removes the files ``save`` wrote)."""
        self.close()
        self._tombstones = Tombstones()

    def save(self, path: Path) -> None:
        """Write ``dense.faiss`` and ``vectors.json`` (backend, dim, params) into the folder ``path``."""
        faiss = _faiss()
        write_meta(path, {"backend": self.backend, "dim": self.dim, "ntotal": self.ntotal, "params": self.params})
        faiss.write_index(self._index, str(path / "dense.faiss"))

    @classmethod
    def load(cls, path: Path, meta: dict[str, Any], params: dict[str, Any] | None = None) -> "FaissIndex":
        """Read ``dense.faiss`` once; ``params`` override the saved query-time options."""
        faiss = _faiss()
        index = faiss.read_index(str(path / "dense.faiss"))
        merged = {**meta.get("params", {}), **(params or {})}
        return cls(meta["backend"], int(meta["dim"]), merged, index=index)
