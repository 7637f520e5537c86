"""The store seam: the vector-index lifecycle (delete, close, drop), the embedded store
behind ``index.store.Store``, and the questions the retrievers ask a store."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import ConfigError
from index import ann
from index.bm25 import top_k
from index.build import build_index
from index.store import open_store
from index.store.embedded import EmbeddedStore


@pytest.mark.parametrize("backend", ["numpy", "faiss-flat", "faiss-hnsw"])
def test_delete_keeps_ids_and_hides_the_deleted(backend):
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((50, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = ann.create(backend, 8, {})
    index.add(vectors)
    _, before = index.search(vectors[:3], 5)
    assert before[:, 0].tolist() == [0, 1, 2]  # each vector finds itself first
    index.delete(np.array([0, 2]))
    scores, ids = index.search(vectors[:3], 5)
    assert 0 not in ids and 2 not in ids
    assert ids[1, 0] == 1 and scores[1, 0] == pytest.approx(1.0, abs=1e-5)  # the others keep their ids
    _, filtered = index.search(vectors[:1], 3, allowed=np.array([0, 2, 7]))
    assert filtered[0].tolist() == [7, -1, -1]
    with pytest.raises(ValueError):
        index.delete(np.array([50]))
    index.drop()
    assert index.ntotal == 0


def test_close_releases_the_vectors():
    index = ann.create("faiss-flat", 4, {})
    index.add(np.eye(4, dtype=np.float32))
    index.close()
    assert index.ntotal == 0


def test_embedded_store_lifecycle(small_index):
    settings, emb = small_index
    store = open_store(settings)
    assert isinstance(store, EmbeddedStore) and store.kind == "embedded"
    snap = store.open_current(expected_model=emb.fingerprint)
    assert store.current_name() == snap.path.name == snap.id
    assert store.current_manifest()["snapshot_id"] == snap.id
    ids = np.array([0, 2, 1])
    np.testing.assert_array_equal(snap.passage_vectors(ids), np.asarray(snap.vectors)[ids])
    for q in ("Sprachkurse", "Ehrenamt Wohnen"):  # the BM25 store question = top_k over all scores
        w = dict.fromkeys(q.lower().split(), 1.0)
        from index.analyzer import analyze

        w = dict.fromkeys(analyze(q), 1.0)
        assert snap.bm25.top(w, 5) == top_k(snap.bm25.weighted_scores(w), 5)
    # two more generations: drop_old keeps the newest 2, never the serving one
    build_index(settings, emb, force=True)
    build_index(settings, emb, force=True)
    assert len(store.files.snapshot_dirs()) >= 3
    dropped = store.drop_old(2)
    assert len(dropped) >= 1 and snap.id in dropped
    assert len(store.files.snapshot_dirs()) == 2 and store.current_name() == store.files.snapshot_dirs()[0].name
    store.close()
    snap.close()


def test_postgres_store_needs_a_url(small_index):
    settings, _ = small_index
    with pytest.raises(ConfigError, match="PRAXISFINDER_DATABASE_URL"):
        open_store(settings.with_(store="postgres"))
    with pytest.raises(ConfigError):
        settings.with_(store="sqlite")


def test_snapshot_ids_sort_in_build_order():
    from index.snapshot import new_snapshot_id

    ids = [new_snapshot_id("abcdef0123") for _ in range(2000)]
    assert ids == sorted(ids)
