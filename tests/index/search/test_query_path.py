"""MaxSim without copies and the BLAS thread cap of a searching process."""

import numpy as np

from index.blas import limit_blas_threads
from index.multivector import TokenStore


def test_maxsim_by_hand():
    # passage 0: tokens e1, e2; passage 1: none; passage 2: e3, (e1+e2)/sqrt2
    e = np.eye(3, dtype=np.float32)
    mid = (e[0] + e[1]) / np.sqrt(2)
    store = TokenStore.from_list([np.stack([e[0], e[1]]), np.zeros((0, 3), np.float32), np.stack([e[2], mid])], 3)
    store.matrix = store.matrix.astype(np.float32)
    query = np.stack([e[0], e[2]])  # best matches: p0 -> (1, 0) mean 0.5; p2 -> (0.707, 1) mean 0.854
    ranked = store.maxsim(query, [0, 1, 2])
    assert [i for i, _ in ranked] == [2, 0, 1]
    np.testing.assert_allclose([s for _, s in ranked], [(1 + 1 / np.sqrt(2)) / 2, 0.5, 0.0], atol=1e-4)  # tokens kept in float16


def test_maxsim_equals_the_dense_formula_on_random_tokens():
    rng = np.random.default_rng(4)
    per = [rng.normal(size=(n, 16)).astype(np.float32) for n in (5, 1, 9, 3)]
    store = TokenStore.from_list(per, 16)
    store.matrix = store.matrix.astype(np.float32)
    q = rng.normal(size=(4, 16)).astype(np.float32)
    got = dict(store.maxsim(q, [3, 0, 2]))
    want = {i: float((q @ per[i].astype(np.float16).astype(np.float32).T).max(axis=1).mean()) for i in (3, 0, 2)}
    assert got.keys() == want.keys()
    np.testing.assert_allclose([got[i] for i in want], list(want.values()), atol=1e-5)


def test_blas_threads_are_capped():
    from threadpoolctl import threadpool_info

    limit_blas_threads(1)
    blas = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert blas and all(lib["num_threads"] == 1 for lib in blas)
