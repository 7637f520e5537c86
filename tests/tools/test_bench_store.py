"""The store benchmark's code path on a small synthetic corpus (embedded side; the
PostgreSQL side runs the same Searcher over ``index.store.postgres``, tested in tests/index/store)."""

from __future__ import annotations

import numpy as np
import pytest

from core.settings import Settings
from index.model.embedder import HashEmbedder
from index.search import Filters, Searcher
from tools.bench_store import latency, recall_at_10, snapshot_of, synthetic, twenty_pages

pytestmark = pytest.mark.slow  # reads the real snapshot's words and vectors


def test_small_synthetic_corpus_and_measures(real_searcher):
    settings = Settings.from_env(vector_backend="faiss-hnsw", late_interaction=False, window_vectors=False)
    documents, passages, vectors, words = synthetic(400, settings)
    assert len(passages) == 400 and len(documents) == 4 and vectors.shape == (400, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert all(60 <= len(p.text.split()) <= 120 for p in passages)
    snap = snapshot_of(documents, passages, vectors, "faiss-hnsw")
    assert recall_at_10(snap.dense, vectors, vectors[:20]) > 0.9
    searcher = Searcher(snap, HashEmbedder(384), settings)
    one = latency(searcher, ["Sprachkurse", "Ehrenamt"], 2, None, 3)
    assert one["queries"] == 6 and one["p95_ms"] >= one["p50_ms"] > 0
    filtered = latency(searcher, ["Sprachkurse"], 1, Filters(doc_ids=[documents[0].id]), 2)
    assert filtered["queries"] == 2
    doc, new, vecs = twenty_pages(words)
    assert len(new) == 60 and vecs.shape == (60, 384) and all(p.doc_id == doc.id for p in new)
