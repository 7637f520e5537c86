"""Filtered hybrid search through the vector backends, and one read per snapshot file.

``reference_rank`` is the dense ranking of a filtered search as it was computed before
the backends took ``allowed`` ids: every allowed passage scored in NumPy, max-pooled with
its windows. The searcher must return the same hits with the filter now applied inside
the backend (FAISS ``IDSelectorBitmap`` or NumPy over the allowed rows).
"""

import itertools
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from index.build import build_index
from index.model.embedder import HashEmbedder
from index.multivector import max_pool
from index.runtime import open_searcher
from index.search import Filters
from index.search.dense import DenseRetriever
from index.snapshot import SnapshotStore
from core.settings import Settings

FIXTURE_CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "corpus"
EMB = HashEmbedder(32)
QUERIES = ["Ehrenamt koordinieren", "Sprachkurse für Geflüchtete", "Wohnraum", "Willkommenskultur in der Kleinstadt",
           "how do volunteers help refugees"]


def reference_rank(self, q, depth, mask):
    """DenseRetriever.rank of a filtered search before this change (exact NumPy scan with a mask)."""
    if mask is None:
        return ORIGINAL_RANK(self, q, depth, mask)
    snap = self.snapshot
    n = len(snap.passages)
    allowed = np.flatnonzero(mask)
    if allowed.size == 0:
        return []
    sims = np.full(n, -np.inf, dtype=np.float32)
    sims[allowed] = np.asarray(snap.vectors[allowed]) @ q
    if snap.windows is not None and len(snap.windows.keys):
        in_mask = mask[snap.windows.owner]
        wsims = np.asarray(snap.windows.vectors[in_mask]) @ q
        sims = np.maximum(sims, max_pool(wsims, snap.windows.owner[in_mask], n))
    order = allowed[np.lexsort((allowed, -sims[allowed]))][:depth]
    return [(int(i), float(sims[i])) for i in order]


ORIGINAL_RANK = DenseRetriever.rank


@pytest.fixture(scope="module", params=["faiss-flat", "faiss-hnsw", "numpy"])
def built(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)
    shutil.copytree(FIXTURE_CORPUS, tmp / "corpus")
    settings = Settings.from_env(data_dir=tmp / "var", corpus_dir=tmp / "corpus", vector_backend=request.param,
                                 chunk_target_words=40, chunk_min_words=10)
    build_index(settings, EMB)
    return settings


def _filters(searcher):
    docs = sorted({p.doc_id for p in searcher.passages})
    out = [Filters(doc_ids=[d]) for d in docs] + [Filters(doc_ids=list(pair)) for pair in itertools.combinations(docs, 2)]
    if searcher.catalogue is not None:
        lands = sorted({m.bundesland for m in searcher.catalogue.municipalities if getattr(m, "bundesland", None)})
        out += [Filters(bundesland=land) for land in lands[:3]]
    return out


def _hits(result):
    return [(h.passage.id, h.score) for h in result.hits]


def test_filtered_hybrid_search_gives_the_same_hits_as_the_numpy_mask(built, monkeypatch):
    searcher = open_searcher(built, EMB)
    windows = searcher.snapshot.windows
    assert windows is not None and len(windows.keys) > 0  # the window arm is exercised too
    filters = _filters(searcher)
    assert len(filters) >= 6
    now = {(q, i, mode): _hits(searcher.search(q, k=8, mode=mode, filters=f))
           for q in QUERIES for i, f in enumerate(filters) for mode in ("hybrid", "dense")}
    monkeypatch.setattr(DenseRetriever, "rank", reference_rank)
    searcher.clear_cache()
    before = {(q, i, mode): _hits(searcher.search(q, k=8, mode=mode, filters=f))
              for q in QUERIES for i, f in enumerate(filters) for mode in ("hybrid", "dense")}
    assert {key: [pid for pid, _ in hits] for key, hits in now.items()} == \
        {key: [pid for pid, _ in hits] for key, hits in before.items()}
    for key, hits in now.items():  # FAISS and NumPy sum the products in another order
        np.testing.assert_allclose([s for _, s in hits], [s for _, s in before[key]], atol=1e-5)
    assert sum(1 for hits in now.values() if hits) > len(now) // 2  # filters that keep something


def test_filter_that_keeps_nothing_returns_no_dense_hits(built):
    searcher = open_searcher(built, EMB)
    mask = np.zeros(len(searcher.passages), dtype=bool)
    q, _ = searcher.dense.encode("Ehrenamt")
    assert searcher.dense.rank(q, 10, mask) == []
    mask[3] = True
    assert [i for i, _ in searcher.dense.rank(q, 10, mask)] == [3]


def test_each_index_file_is_read_once_per_snapshot_load(built, monkeypatch):
    """Loading a snapshot and opening a searcher reads every FAISS and NumPy file once."""
    reads: Counter[str] = Counter()
    real_np_load = np.load
    monkeypatch.setattr(np, "load", lambda path, *a, **kw: reads.update([str(path)]) or real_np_load(path, *a, **kw))
    if built.ann.vector_backend.startswith("faiss"):
        import faiss

        real_read = faiss.read_index
        monkeypatch.setattr(faiss, "read_index", lambda path, *a: reads.update([str(path)]) or real_read(path, *a))
    searcher = open_searcher(built, EMB)
    root = SnapshotStore(built.storage.snapshots_dir).current_path()
    files = {str(p) for p in root.rglob("*") if p.suffix in (".faiss", ".npy")}
    assert searcher.snapshot.windows is not None and searcher.snapshot.tokens is not None
    assert files and set(reads) == files
    assert max(reads.values()) == 1, reads
    searcher.search("Ehrenamt", k=5, filters=Filters(doc_ids=[searcher.passages[0].doc_id]))
    assert max(reads.values()) == 1  # a (filtered) search reads nothing again
