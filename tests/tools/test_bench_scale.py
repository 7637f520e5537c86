"""The scale benchmark's code path on a small synthetic index (the 1M run is a script only)."""

from __future__ import annotations

import numpy as np
import pytest

from tools.bench_scale import Generator, build, serve
from index import ann as vectors
from core.settings import Settings


@pytest.mark.parametrize("backend", ["faiss-hnsw", "faiss-hnsw-sq8"])
def test_small_scale_build_and_serve(tmp_path, backend):
    settings = Settings.from_env(data_dir=tmp_path / "none", vector_backend=backend, hnsw_m=16, hnsw_ef_search=64)
    built = build(settings, n=8000, n_queries=100, chunk=3000, ef_construction=80, out_dir=tmp_path)
    assert built["n"] == 8000 and built["params"]["hnsw_ef_construction"] == 80
    truth = np.load(tmp_path / "truth.npy")
    assert truth.shape == (100, 10) and truth.min() >= 0 and truth.max() < 8000
    result = serve(tmp_path, ef_search=[16, 128], nprobe=[])
    low, high = (row["recall_at_10"] for row in result["queries"])
    assert high >= 0.9 and high >= low  # a wider search finds at least as much
    assert result["rss_loaded_mb"] > 0


def test_chunked_truth_equals_brute_force(tmp_path):
    settings = Settings.from_env(data_dir=tmp_path / "none", vector_backend="numpy")
    build(settings, n=3000, n_queries=50, chunk=700, ef_construction=80, out_dir=tmp_path)
    gen = Generator()  # same seed and draw order as build(): queries first, then the chunks
    queries = gen.sample(50)
    x = np.concatenate([gen.sample(min(700, 3000 - s)) for s in range(0, 3000, 700)])
    expected = np.argsort(-(queries @ x.T), axis=1)[:, :10]
    truth = np.load(tmp_path / "truth.npy")
    assert all(set(a) == set(b) for a, b in zip(truth.tolist(), expected.tolist()))


def test_hnsw_sq8_round_trip(tmp_path):
    gen = Generator(seed=5)
    x = gen.sample(2000)
    index = vectors.create("faiss-hnsw-sq8", x.shape[1], {"hnsw_m": 16, "hnsw_ef_search": 128})
    index.add(x)
    index.save(tmp_path / "dense")
    loaded = vectors.load(tmp_path / "dense")
    assert loaded.backend == "faiss-hnsw-sq8" and loaded.ntotal == 2000
    _, ids = loaded.search(x[:20], 1)
    assert (ids[:, 0] == np.arange(20)).mean() >= 0.9  # a stored vector finds itself despite 8-bit codes
