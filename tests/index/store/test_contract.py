"""The same questions to both stores give the same answers (fixture corpus, HashEmbedder).

The embedded snapshot is copied into PostgreSQL (``praxisfinder store-copy``'s function);
then BM25 scores, dense scores, hybrid rankings, filters and the document registry are
compared. Only the store differs: retrievers, fusion and reranker are one implementation.
"""

from __future__ import annotations

import numpy as np
import pytest

from index.analyzer import analyze
from index.runtime import open_searcher
from index.search import Filters
from index.store import copy_snapshot, open_store

pytestmark = pytest.mark.integration  # a real PostgreSQL server process

QUERIES = ["Sprachkurse im Landkreis", "Ehrenamt und Wohnen", "Willkommenskultur in der Kleinstadt",
           "Integrationsbeirat", "volunteers help refugees find housing", "language courses for women",
           "Patenschaften Familien Behörden", "xyzzy-unbekannt"]


@pytest.fixture(scope="module")
def both(small_index, pg_server):
    from tests.index.store.conftest import new_database

    settings, emb = small_index
    pg = settings.with_(store="postgres", database_url=new_database(pg_server))
    copy_snapshot(pg)
    return open_searcher(settings, emb), open_searcher(pg, emb)


def test_bm25_scores_equal_on_every_passage(both):
    embedded, postgres = both
    assert len(embedded.passages) == len(postgres.passages) > 10
    assert [p.id for p in embedded.passages] == [p.id for p in postgres.passages]
    assert embedded.snapshot.bm25.vocabulary == postgres.snapshot.bm25.vocabulary
    for q in QUERIES:
        for lang in ("de", "en"):
            w = embedded.bm25.weights(q, lang)
            assert w == postgres.bm25.weights(q, lang)
            a = embedded.snapshot.bm25.weighted_scores(w)
            b = postgres.snapshot.bm25.weighted_scores(w)
            np.testing.assert_allclose(b, a, rtol=2e-6, atol=1e-6)
            assert (a > 0).sum() == (b > 0).sum()


def test_postings_equal(both):
    embedded, postgres = both
    for term in list(embedded.snapshot.bm25.vocabulary)[:200]:
        assert embedded.snapshot.bm25.postings(term).tolist() == postgres.snapshot.bm25.postings(term).tolist()


def _ranking(result):
    return [(h.passage.id, round(h.score, 5)) for h in result.hits]


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_same_top_10(both, mode):
    embedded, postgres = both
    for q in QUERIES:
        a, b = embedded.search(q, k=10, mode=mode), postgres.search(q, k=10, mode=mode)
        assert [h.passage.id for h in a.hits] == [h.passage.id for h in b.hits], q
        np.testing.assert_allclose([h.score for h in b.hits], [h.score for h in a.hits], rtol=1e-5, atol=1e-6)


def test_filtered_search_equal(both):
    embedded, postgres = both
    doc = embedded.snapshot.documents[0].id
    for q in QUERIES[:4]:
        a = embedded.search(q, k=5, filters=Filters(doc_ids=[doc]))
        b = postgres.search(q, k=5, filters=Filters(doc_ids=[doc]))
        assert [h.passage.id for h in a.hits] == [h.passage.id for h in b.hits]
        assert all(h.passage.doc_id == doc for h in b.hits)


def test_generation_carries_manifest_catalogue_and_registry(both):
    embedded, postgres = both
    e, p = embedded.snapshot, postgres.snapshot
    assert p.id == e.id and p.path.name == f"{e.id}@0"
    assert p.manifest["registry"] == e.manifest["registry"]
    assert p.catalogue == e.catalogue and p.translations == e.translations
    assert [d.to_dict() for d in p.documents] == [d.to_dict() for d in e.documents]
    np.testing.assert_allclose(p.passage_vectors(np.array([0, 3])), e.vectors[[0, 3]], atol=1e-7)


def test_hnsw_generation_answers_like_exact_search_on_a_small_corpus(small_index, pg_server):
    """An approximate backend setting builds HNSW indexes; on a few dozen passages the graph
    finds the exact top 10, also under a filter searched through the graph
    (``filter_exact_max=0``: iterative index scan instead of the exact scan)."""
    from tests.index.store.conftest import new_database

    settings, emb = small_index
    pg = settings.with_(store="postgres", database_url=new_database(pg_server), vector_backend="faiss-hnsw",
                        filter_exact_max=0)
    copy_snapshot(pg)
    store = open_store(pg)
    gen = store.serving()[0]
    indexes = store.conn.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", (f"g{gen}_passages",)).fetchall()
    storage = store.conn.execute("SELECT attstorage FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'vec'",
                                 (f"g{gen}_passages",)).fetchone()[0]
    store.close()
    assert any("hnsw" in d and "halfvec_ip_ops" in d for (d,) in indexes)  # the graph over half precision
    assert storage == "p"  # vectors inline in the heap row, never moved to TOAST (a read per vector)
    exact, graph = open_searcher(settings, emb), open_searcher(pg, emb)
    assert graph.snapshot.dense.approximate and graph.snapshot.dense.halfvec
    doc = exact.snapshot.documents[1].id
    for q in QUERIES[:5]:
        a, b = exact.search(q, k=10, mode="dense"), graph.search(q, k=10, mode="dense")
        assert [h.passage.id for h in a.hits] == [h.passage.id for h in b.hits], q
        assert [h.score for h in a.hits] == pytest.approx([h.score for h in b.hits], abs=1e-6)  # float32 scores
        f = Filters(doc_ids=[doc])
        a, b = exact.search(q, k=5, mode="dense", filters=f), graph.search(q, k=5, mode="dense", filters=f)
        assert [h.passage.id for h in a.hits] == [h.passage.id for h in b.hits], q
