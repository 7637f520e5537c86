"""The PostgreSQL store's pruned BM25 top-k (MaxScore) returns exactly the unpruned top-k.

A synthetic corpus of 3,000 passages whose words follow a Zipf curve (a few very common
words, many rare ones) is written to a real PostgreSQL; random queries mixing common and
rare words are answered by ``PgBM25.top`` (pruned) and by the unpruned SQL (every passage
sharing a query term scored), and by the embedded bm25s index over the same texts. The
upper bounds must be raised by an incremental write (a bound that is too low would lose
passages) and the pruning must actually prune.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from core.schema import Document, Passage
from index import ann
from index.bm25 import BM25Index
from index.model.embedder import HashEmbedder
from index.snapshot import Snapshot
from index.store.pg_schema import sparse_text, tfc
from index.store.pg_write import write_document
from index.store.postgres import PostgresStore

pytestmark = pytest.mark.integration  # a real PostgreSQL server process

N, PER_DOC, DIM = 3000, 50, 32
# analysed forms stay as written: lower-case ASCII words the German analyzer keeps whole
VOCAB = [f"wort{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}{chr(97 + i // 676)}x" for i in range(2000)]


def _texts(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, len(VOCAB) + 1) ** 1.1
    p /= p.sum()
    lengths = rng.integers(20, 80, n)
    return [" ".join(VOCAB[j] for j in rng.choice(len(VOCAB), size=m, p=p)) for m in lengths]


@pytest.fixture(scope="module")
def zipf(pg_server):
    from tests.index.store.conftest import new_database

    texts = _texts(N, 7)
    documents, passages = [], []
    for i, text in enumerate(texts):
        doc_id = f"z-{i // PER_DOC:04d}"
        if i % PER_DOC == 0:
            documents.append(Document(doc_id, f"Zipf {i // PER_DOC}", f"{doc_id}.txt", "0" * 64, "txt", ""))
        passages.append(Passage(f"{doc_id}-{i % PER_DOC:03d}", doc_id, documents[-1].title, text, None, [], 0,
                                len(text), i % PER_DOC, {"kind": "prose"}))
    emb = HashEmbedder(DIM)
    vectors = emb.encode_passages(texts)
    bm25 = BM25Index().build(texts)
    dense = ann.create("faiss-flat", DIM, {})
    dense.add(vectors)
    manifest = {"snapshot_id": "zipf", "schema_version": 1,
                "model": {"name": "hash", "fingerprint": emb.fingerprint, "dim": DIM},
                "counts": {"passages": N, "documents": len(documents)}, "registry": {}}
    from index.snapshot import SCHEMA_VERSION

    manifest["schema_version"] = SCHEMA_VERSION
    snap = Snapshot(Path(), manifest, documents, passages, vectors, dense, bm25)
    store = PostgresStore(new_database(pg_server))
    with store.writer_lock():
        store.publish(snap)
    view = store.open_current()
    yield store, view, bm25
    view.close()
    store.close()


def _unpruned(view, entries: dict[int, float], depth: int) -> list[tuple[int, float]]:
    """Every passage sharing a query term scored (the store's query before pruning)."""
    bm = view.bm25
    rows = bm.reader.query(f"SELECT row, (bm25 <#> %s::sparsevec) * -1 AS s FROM {bm.table} WHERE terms && %s::int[] "
                           f"ORDER BY s DESC, row LIMIT %s", [sparse_text(entries), sorted(entries), depth])
    pos = view.rowmap.pos_of(r for r, _ in rows)
    return [(int(p), float(np.float32(s))) for p, (_, s) in zip(pos, rows) if p >= 0 and s > 0]


def _queries(seed: int, count: int) -> list[dict[str, float]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):  # 1-2 common words, 1-3 mid-frequency or rare ones
        words = rng.sample(VOCAB[:15], rng.randint(1, 2)) + rng.sample(VOCAB[15:1500], rng.randint(1, 3))
        out.append({w: rng.choice([1.0, 1.0, 0.5]) for w in words})
    return out


def _ties_aside(got, ref):
    """Same scores; the same passages above the cut's score (float32 sums may order equal
    scores at the cut differently)."""
    np.testing.assert_allclose([s for _, s in got], [s for _, s in ref], rtol=2e-6, atol=1e-6)
    last = ref[-1][1] if ref else 0.0
    assert [p for p, s in got if s > last * (1 + 1e-5)] == [p for p, s in ref if s > last * (1 + 1e-5)]


@pytest.mark.parametrize("path", ["segment", "maxscore"])
def test_top_k_equals_unpruned_sql_and_bm25s(zipf, path):
    """Both ways the store answers: the posting-list segment (generations written now) and
    the MaxScore-pruned SQL (generations without a segment)."""
    _, view, embedded = zipf
    bm = view.bm25
    saved = bm.base_rows
    if path == "maxscore":
        bm.base_rows = None
    pruned_any = 0
    try:
        for weights in _queries(1, 60):
            for depth in (10, 100):
                entries = bm._query_entries(weights)
                got = bm.top(weights, depth)
                want = _unpruned(view, entries, depth)
                if path == "maxscore":  # the same SQL arithmetic: identical, ties included
                    assert [p for p, _ in got] == [p for p, _ in want], weights
                    np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=1e-6)
                else:
                    _ties_aside(got, want)
                _ties_aside(got, embedded.top(weights, depth))  # bm25s in process
                plan = bm.plan(entries, depth)
                assert plan["theta"] <= want[-1][1] * (1 + 1e-6)  # a lower bound of the k-th score
                pruned_any += len(plan["essential"]) < len(entries)
        assert pruned_any >= 60  # the common words are non-essential in most of the 120 questions
        mask = np.zeros(len(view.passages), dtype=bool)
        mask[::7] = True
        for weights in _queries(3, 10):
            _ties_aside(bm.top(weights, 10, mask), embedded.top(weights, 10, mask))
    finally:
        bm.base_rows = saved


def test_bounds_are_the_largest_stored_value_and_rise_with_a_write(zipf):
    store, view, _ = zipf
    common = VOCAB[0]
    tid = view.bm25._vocab[common][0]
    bm = view.bm25
    before = bm.reader.query(f"SELECT max_tfc FROM {bm.terms} WHERE id = %s", (tid,))[0][0]
    # the bound is the largest value any passage stores for the term (here from the texts)
    k1, b = float(bm.k1), float(bm.b)
    avgdl = store.conn.execute("SELECT avgdl FROM pf_generations WHERE gen = %s", (view.generation,)).fetchone()[0]
    store.conn.commit()
    counts = [Counter(t.split()) for t in _texts(N, 7)]
    exact = max(tfc(c[common], sum(c.values()), avgdl, k1, b) for c in counts if common in c)
    assert np.float32(before) >= exact and np.float32(before) == pytest.approx(exact, rel=1e-6)

    # a short passage of the common word repeated stores a larger value: the bound rises to it
    text = " ".join([common] * 12)
    doc = Document("z-neu", "Neu", "neu.txt", "1" * 64, "txt", "")
    passage = Passage("z-neu-000", "z-neu", "Neu", text, None, [], 0, len(text), 0, {"kind": "prose"})
    write_document(store.conn, doc, [passage], HashEmbedder(DIM).encode_passages([text]), None, None)
    after = bm.reader.query(f"SELECT max_tfc FROM {bm.terms} WHERE id = %s", (tid,))[0][0]
    assert after == pytest.approx(tfc(12, 12, avgdl, k1, b), rel=1e-6) and after > before
    # a reader opened after the write finds it first for the common word alone: its score
    # exceeds every other passage's, which a stale bound would have pruned away
    fresh = store.open_current()
    try:
        got = fresh.bm25.top({common: 1.0, VOCAB[400]: 1.0}, 10)
        entries = fresh.bm25._query_entries({common: 1.0, VOCAB[400]: 1.0})
        assert [p for p, _ in got] == [p for p, _ in _unpruned(fresh, entries, 10)]
        best, score = fresh.bm25.top({common: 1.0}, 1)[0]
        assert fresh.passages[best].id == "z-neu-000"  # a row written after the build: scored in SQL
        q = np.float32(fresh.bm25._query_entries({common: 1.0})[tid])
        assert score == pytest.approx(float(q) * float(np.float32(tfc(12, 12, avgdl, k1, b))), rel=1e-6)
        fresh.bm25.base_rows = None  # the pruned SQL finds it too (its bound was raised)
        assert fresh.bm25.top({common: 1.0}, 1)[0][0] == best
    finally:
        fresh.close()


def test_deleted_rows_leave_the_segment_scores(zipf):
    """A document deleted after the build: its rows stay in the posting lists but score 0,
    for a reader opened before the delete and one opened after."""
    store, view, _ = zipf
    doc = view.passages[0].doc_id
    words = Counter(view.passages[0].text.split())
    rare = min(words, key=lambda w: view.bm25._vocab[w][1])
    before = view.bm25.top({rare: 1.0}, 50)
    assert any(view.passages[p].doc_id == doc for p, _ in before)
    from index.store.pg_write import delete_document

    assert delete_document(store.conn, doc) is not None
    for reader in (view, store.open_current()):
        hits = reader.bm25.top({rare: 1.0}, 50)
        assert hits and not any(reader.passages[p].doc_id == doc for p, _ in hits)
        rows = reader.bm25.weighted_scores({rare: 1.0})
        assert all(rows[i] == 0 for i, p in enumerate(reader.passages) if p.doc_id == doc)
        # the other passages keep their order (a reader opened after the delete has a
        # refreshed IDF: its scores are all scaled alike for one term)
        kept = [view.passages[p].id for p, _ in before if view.passages[p].doc_id != doc]
        assert [reader.passages[p].id for p, _ in hits][:len(kept)] == kept[:len(hits)]


def test_a_generation_without_stored_bounds_stays_exact(zipf):
    """Generations written before the bounds existed (no ``max_tfc`` column) use 1, the
    bound of every saturated frequency: less pruning, the same answers."""
    _, view, _ = zipf
    bm = view.bm25
    saved = bm._max_col
    bm._max_col = "1.0::real"
    try:
        for weights in _queries(2, 10):
            entries = bm._query_entries(weights)
            assert [p for p, _ in bm.top(weights, 10)] == [p for p, _ in _unpruned(view, entries, 10)]
            assert all(v == pytest.approx(entries[i]) for i, v in bm.plan(entries, 10)["bounds"].items())
    finally:
        bm._max_col = saved
