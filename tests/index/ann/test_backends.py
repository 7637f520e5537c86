"""One shared test for every vector backend: build, search, save, reload, search again."""

import numpy as np
import pytest

from index import ann as vectors
from core.errors import ConfigError, SnapshotError


def _data(n=600, dim=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    q = x[:20] + 0.05 * rng.normal(size=x[:20].shape).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return x, q


@pytest.mark.parametrize("backend", ["numpy", "faiss-flat", "faiss-hnsw", "faiss-ivfpq"])
def test_backend_contract(backend, tmp_path):
    x, q = _data()
    params = {"pq_m": 8, "ivf_nlist": 8, "ivf_nprobe": 8}
    index = vectors.create(backend, x.shape[1], params)
    index.add(x)
    assert index.ntotal == len(x)
    scores, ids = index.search(q, 5)
    assert ids.shape == (20, 5)
    # the perturbed copy of vector i should find vector i first
    recall = np.mean(ids[:, 0] == np.arange(20))
    assert recall >= (1.0 if backend in ("numpy", "faiss-flat") else 0.85)
    assert np.all(np.diff(scores, axis=1) <= 1e-5)  # best first
    index.save(tmp_path / "dense")
    again = vectors.load(tmp_path / "dense")
    assert again.backend == backend and again.ntotal == len(x)
    s2, i2 = again.search(q, 5)
    np.testing.assert_array_equal(i2, ids)


def test_exact_backends_agree():
    x, q = _data(seed=3)
    a, b = vectors.create("numpy", 48), vectors.create("faiss-flat", 48)
    a.add(x)
    b.add(x)
    sa, ia = a.search(q, 10)
    sb, ib = b.search(q, 10)
    np.testing.assert_array_equal(ia, ib)
    np.testing.assert_allclose(sa, sb, atol=1e-5)


def test_more_k_than_vectors_pads_with_minus_one():
    x, q = _data(n=3)
    idx = vectors.create("numpy", 48)
    idx.add(x)
    _, ids = idx.search(q[:1], 5)
    assert list(ids[0][3:]) == [-1, -1]


def test_unknown_backend_and_bad_dimension(tmp_path):
    with pytest.raises(ConfigError, match="faiss-flat"):
        vectors.create("annoy", 8)
    idx = vectors.create("faiss-flat", 8)
    with pytest.raises(ValueError):
        idx.add(np.zeros((2, 9), np.float32))
    with pytest.raises(SnapshotError):
        vectors.load(tmp_path / "nothing")
