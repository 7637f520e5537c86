"""Database-backed stores run the retrievers of a hybrid search at once (``Searcher._retrieve``).

The PostgreSQL store marks its snapshot ``concurrent_retrieval``; the search then asks the
BM25 arm on a thread pool while the dense arm runs in the caller, and must return exactly
what the sequential search returns. Here an in-memory snapshot is marked the same way, so
the difference is only the threading.
"""

from __future__ import annotations

import threading

import numpy as np

from core.settings import Settings
from index.model.embedder import HashEmbedder
from index.search import Searcher
from tests.index.search.test_components import _snapshot

TEXTS = ["Sprachkurse für Geflüchtete im Landkreis", "Ehrenamtliche Paten begleiten Familien",
         "Wohnraum für Neuzugewanderte in der Kleinstadt", "Der Integrationsbeirat tagt monatlich",
         "Willkommenskultur in ländlichen Gemeinden", "Sprachcafé und Sprachkurse im Bürgerhaus"]


def _searcher(concurrent: bool) -> Searcher:
    emb = HashEmbedder(32)
    snap = _snapshot(TEXTS, emb.encode_passages(TEXTS))
    if concurrent:
        snap.concurrent_retrieval = True
    return Searcher(snap, emb, Settings.from_env(late_interaction=False, window_vectors=False))


def test_concurrent_arms_give_the_sequential_ranking_and_run_on_two_threads():
    sequential, concurrent = _searcher(False), _searcher(True)
    seen: dict[str, set[str]] = {"dense": set(), "bm25": set()}
    for name, retriever in concurrent.retrievers.items():
        original = retriever.retrieve

        def recording(q, _name=name, _original=original):
            seen[_name].add(threading.current_thread().name)
            return _original(q)

        retriever.retrieve = recording
    for q in ["Sprachkurse Landkreis", "Paten für Familien", "Wohnraum Kleinstadt", "language courses"]:
        a, b = sequential.search(q, k=5), concurrent.search(q, k=5)
        assert [h.passage.id for h in a.hits] == [h.passage.id for h in b.hits]
        np.testing.assert_array_equal([h.score for h in a.hits], [h.score for h in b.hits])
        assert [h.scores for h in a.hits] == [h.scores for h in b.hits]
    assert seen["dense"] == {threading.current_thread().name}  # the first arm in the caller
    assert seen["bm25"] and all(n.startswith("retrieve") for n in seen["bm25"])  # the other on the pool
    # single-arm modes stay in the caller
    seen["bm25"].clear()
    concurrent.search("Sprachkurse", k=3, mode="bm25")
    assert seen["bm25"] == {threading.current_thread().name}
