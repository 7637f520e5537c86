"""Filtered search inside every vector backend (``search(queries, k, allowed=...)``).

Hand-checkable data: unit vectors on a circle in the first two dimensions, vector i at
angle i * 3 degrees, so the query at angle 0 ranks vector i by cos(3i degrees): the
allowed id with the smallest angle first. The answer of every filter below can be
read off by hand, e.g. allowed {7, 40, 90, 2} -> 2, 7, 90 (at 6°, 21°, 270°: cosines
0.995, 0.934, 0), then 40 (120°: -0.5).
"""

import numpy as np
import pytest

from index import ann as vectors
from index.ann.subset import OwnerMap, bitmap, check_allowed, filtered_ef

N, DIM = 120, 8  # 120 * 3 degrees = a full circle
BACKENDS = ["numpy", "faiss-flat", "faiss-hnsw", "faiss-hnsw-sq8", "faiss-ivfpq"]


def _circle(n=N, dim=DIM):
    angles = np.deg2rad(3.0 * np.arange(n))
    x = np.zeros((n, dim), dtype=np.float32)
    x[:, 0], x[:, 1] = np.cos(angles), np.sin(angles)
    return x


def _query(degrees=0.0):
    q = np.zeros((1, DIM), dtype=np.float32)
    q[0, 0], q[0, 1] = np.cos(np.deg2rad(degrees)), np.sin(np.deg2rad(degrees))
    return q


def _index(backend, x, **params):
    params = {"pq_m": 4, "ivf_nlist": 2, "ivf_nprobe": 1, "hnsw_m": 8, **params}
    index = vectors.create(backend, x.shape[1], params)
    if backend == "faiss-ivfpq":  # PQ needs 256 training vectors: train on a denser circle
        index.add(_circle(360 * 4)[: 256 * 4])
        index._index.reset()
    index.add(x)
    return index


def _by_hand(allowed, degrees=0.0):
    """Allowed ids ordered by angular distance to the query (the tests avoid ties)."""
    dist = [min(abs(3 * i - degrees) % 360, 360 - abs(3 * i - degrees) % 360) for i in allowed]
    return [i for _, i in sorted(zip(dist, allowed))]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("exact_max", [0, 10_000])  # graph/cells with an ID selector, or the exact fallback
def test_filtered_search_gives_the_hand_computed_answer(backend, exact_max):
    x = _circle()
    index = _index(backend, x, filter_exact_max=exact_max)
    allowed = np.array([90, 7, 40, 2], dtype=np.int64)  # unsorted on purpose
    scores, ids = index.search(_query(), 3, allowed=allowed)
    assert ids.tolist() == [[2, 7, 90]]
    expected = np.cos(np.deg2rad([6.0, 21.0, 270.0]))
    tol = 1e-5 if backend in ("numpy", "faiss-flat", "faiss-hnsw") else 0.05  # SQ8 / PQ codes are approximate
    np.testing.assert_allclose(scores[0], expected, atol=tol)


@pytest.mark.parametrize("backend", BACKENDS)
def test_filter_of_one_id_and_k_larger_than_the_filter(backend):
    x = _circle()
    index = _index(backend, x)
    scores, ids = index.search(_query(181.0), 5, allowed=np.array([33], dtype=np.int64))
    assert ids.tolist() == [[33, -1, -1, -1, -1]]
    assert np.isneginf(scores[0, 1:]).all()
    _, ids = index.search(_query(181.0), 6, allowed=np.array([59, 61, 0, 30], dtype=np.int64))
    # 61 at 183° (2° off), 59 at 177° (4°), 30 at 90° (91°), 0 at 0° (179°)
    assert ids.tolist() == [_by_hand([59, 61, 0, 30], 181.0) + [-1, -1]] == [[61, 59, 30, 0, -1, -1]]


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_filter_finds_nothing(backend):
    index = _index(backend, _circle())
    scores, ids = index.search(np.vstack([_query(), _query(90.0)]), 4, allowed=np.zeros(0, dtype=np.int64))
    assert ids.shape == (2, 4) and (ids == -1).all() and np.isneginf(scores).all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_filter_of_every_id_equals_the_unfiltered_search(backend):
    index = _index(backend, _circle(), filter_exact_max=0)
    queries = np.vstack([_query(d) for d in (0.5, 100.6, 271.3)])  # no ties
    _, plain = index.search(queries, 5)
    _, filtered = index.search(queries, 5, allowed=np.arange(N))
    np.testing.assert_array_equal(filtered, plain)
    if backend in ("numpy", "faiss-flat", "faiss-hnsw"):  # SQ8 / PQ codes blur 1-degree differences
        assert filtered[0].tolist() == _by_hand(list(range(N)), 0.5)[:5] == [0, 1, 119, 2, 118]


@pytest.mark.parametrize("backend", ["numpy", "faiss-flat", "faiss-hnsw", "faiss-ivfpq"])
def test_allowed_ids_out_of_range_are_refused(backend):
    index = _index(backend, _circle())
    with pytest.raises(ValueError, match=r"\[0, 120\)"):
        index.search(_query(), 3, allowed=np.array([5, N]))
    with pytest.raises(ValueError, match="integer"):
        index.search(_query(), 3, allowed=np.array([0.5, 2.0]))


@pytest.mark.parametrize("backend", ["faiss-flat", "faiss-hnsw", "faiss-hnsw-sq8"])
def test_random_filters_match_the_exact_answer(backend):
    """Against brute force over the allowed vectors, at several selectivities, both
    HNSW paths (selector in the graph, exact fallback)."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3000, 32)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    q = rng.normal(size=(20, 32)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    for exact_max in (0, 10**6):
        index = vectors.create(backend, 32, {"hnsw_m": 16, "hnsw_ef_search": 64, "filter_exact_max": exact_max})
        index.add(x)
        for share in (0.01, 0.1, 0.5):
            allowed = np.sort(rng.choice(len(x), int(share * len(x)), replace=False))
            _, ids = index.search(q, 10, allowed=allowed)
            truth = allowed[np.argsort(-(q @ x[allowed].T), axis=1)[:, :10]]
            recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids.tolist(), truth.tolist())])
            assert set(ids.ravel().tolist()) <= set(allowed.tolist())
            floor = 1.0 if backend == "faiss-flat" or (exact_max and backend == "faiss-hnsw") else 0.9
            assert recall >= floor, (backend, exact_max, share, recall)


def test_filtered_search_survives_save_and_load(tmp_path):
    index = _index("faiss-hnsw", _circle(), filter_exact_max=0)
    index.save(tmp_path / "dense")
    again = vectors.load(tmp_path / "dense", {"filter_exact_max": 5})
    assert again.params["filter_exact_max"] == 5
    _, ids = again.search(_query(1.0), 2, allowed=np.array([119, 1, 60]))  # 1 is 2° off, 119 4°
    assert ids.tolist() == [[1, 119]]


def test_helpers():
    assert check_allowed(None, 5) is None
    assert check_allowed([3, 1, 3], 5).tolist() == [1, 3]
    assert check_allowed(np.array([], dtype=np.int64), 5).dtype == np.int64
    # bit i & 7 of byte i >> 3
    assert bitmap(np.array([0, 3, 9]), 12).tolist() == [0b00001001, 0b00000010]
    assert filtered_ef(128, 10, 10_000, 1_000_000) == 2048  # capped
    assert filtered_ef(128, 10, 500_000, 1_000_000) == 256
    assert filtered_ef(16, 50, 900, 1000) == 50  # never below k
    owners = OwnerMap(np.array([2, 0, 2, 1, 2]), 4)
    assert owners.rows_of(np.array([2])).tolist() == [0, 2, 4]
    assert owners.rows_of(np.array([0, 1])).tolist() == [1, 3]
    assert owners.rows_of(np.array([3])).tolist() == []
