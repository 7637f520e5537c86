"""Incremental writes on PostgreSQL: one document per transaction, searchable at commit,
BM25 statistics refreshed without re-reading the corpus, a killed writer changes nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from core.errors import Busy
from index.build import build_index
from index.runtime import open_searcher
from index.store import copy_snapshot, open_store
from index.store.postgres import idf, passage_terms, tfc

pytestmark = pytest.mark.integration  # a real PostgreSQL server process

ROOT = Path(__file__).resolve().parents[3]
NEW = ("Die Gemeinde Quellental gründet einen Zwergpinscherverein für Neuzugewanderte. "
       "Der Zwergpinscherverein trifft sich donnerstags im Bürgerhaus. ") * 3


@pytest.fixture
def pg(small_index, pg_url):
    settings, emb = small_index
    pg = settings.with_(store="postgres", database_url=pg_url)
    copy_snapshot(pg)
    return pg, emb


def test_add_replace_delete_one_transaction_each(pg, tmp_path):
    settings, emb = pg
    before = open_searcher(settings, emb)
    n0 = before.snapshot.bm25.n
    assert not before.search("Zwergpinscherverein", k=3, mode="bm25").hits

    doc = tmp_path / "quellental.txt"
    doc.write_text(NEW, encoding="utf-8")
    out = build_index(settings, emb, [doc], add=True)
    assert out.rebuilt and out.reason == "written" and out.counts == {"documents_written": 1}
    assert str(out.snapshot_path).endswith("@1")  # the generation's version 1: readers reload
    after = open_searcher(settings, emb)  # a new reader sees the commit at once
    hits = after.search("Zwergpinscherverein", k=3, mode="bm25").hits
    assert hits and all(h.passage.doc_id == "quellental" for h in hits)
    assert after.search("Zwergpinscherverein Bürgerhaus", k=1).hits[0].passage.doc_id == "quellental"
    assert "quellental" in after.snapshot.manifest["registry"]["documents"]
    # N and df refreshed from the written rows alone; the new passage's score is exact BM25
    # with the generation's frozen avgdl
    new_passages = [p for p in after.passages if p.doc_id == "quellental"]
    bm25 = after.snapshot.bm25
    assert bm25.n == n0 + len(new_passages)
    term = "zwergpinscherverein"
    assert bm25.vocabulary[term] == len(new_passages)
    store = open_store(settings)
    avgdl, k1, b = store.conn.execute("SELECT avgdl, k1, b FROM pf_generations").fetchone()
    store.close()
    p = new_passages[0]
    terms = Counter(passage_terms(p))
    expected = idf(len(new_passages), bm25.n) * tfc(terms[term], sum(terms.values()), avgdl, k1, b)
    got = dict(bm25.top({term: 1.0}, 10))[after.passage_index(p.id)]
    assert got == pytest.approx(expected, rel=1e-6)

    doc.write_text(NEW.replace("donnerstags", "freitags"), encoding="utf-8")  # replace
    out = build_index(settings, emb, [doc], add=True)
    assert str(out.snapshot_path).endswith("@2")
    replaced = open_searcher(settings, emb)
    texts = [p.text for p in replaced.passages if p.doc_id == "quellental"]
    assert texts and all("donnerstags" not in t for t in texts) and any("freitags" in t for t in texts)
    assert replaced.snapshot.bm25.n == n0 + len(texts)
    assert not replaced.search("donnerstags", k=5, mode="bm25").hits or all(
        h.passage.doc_id != "quellental" for h in replaced.search("donnerstags", k=5, mode="bm25").hits)

    unchanged = build_index(settings, emb, [doc], add=True)  # same content again: nothing written
    assert not unchanged.rebuilt and unchanged.report[0]["action"] == "unchanged"

    out = build_index(settings, emb, remove=("quellental",))
    assert out.rebuilt and str(out.snapshot_path).endswith("@3")
    gone = open_searcher(settings, emb)
    assert not any(p.doc_id == "quellental" for p in gone.passages)
    assert not gone.search("Zwergpinscherverein", k=3, mode="bm25").hits
    assert gone.snapshot.bm25.n == n0 and "zwergpinscherverein" not in gone.snapshot.bm25.vocabulary
    assert "quellental" in gone.snapshot.manifest["registry"]["tombstones"]
    assert [p.id for p in gone.passages] == [p.id for p in before.passages]
    for q in ("Sprachkurse im Landkreis", "Ehrenamt und Wohnen"):  # back to the original answers
        assert [h.passage.id for h in gone.search(q).hits] == [h.passage.id for h in before.search(q).hits]
    assert build_index(settings, emb, remove=("quellental",)).report[0]["status"] == "skipped"


def test_killed_writer_leaves_the_last_commit_serving(pg):
    settings, emb = pg
    store = open_store(settings)
    name = store.current_name()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, str(Path(__file__).with_name("pg_writer_child.py")),
                              settings.storage.database_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env, cwd=ROOT)
    try:
        line = child.stdout.readline()
        assert line.strip() == "in-transaction", child.stderr.read()[-2000:]
        with pytest.raises(Busy):  # the writer holds the lock
            with store.writer_lock():
                pass
        os.kill(child.pid, signal.SIGKILL)  # mid-transaction: rows written, not committed
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
    assert store.current_name() == name
    reader = open_searcher(settings, emb)
    assert "verloren" not in {d.id for d in reader.snapshot.documents}
    assert not reader.search("Zwergpinscherverein", k=3, mode="bm25").hits
    with store.writer_lock():  # the dead writer's lock went with its session
        pass
    store.close()


def test_full_ingest_into_an_empty_database_then_up_to_date(small_index, pg_url):
    """`PRAXISFINDER_STORE=postgres praxisfinder ingest` from nothing: a full build publishes a
    generation; the next ingest finds it up to date; a forced one publishes a new generation
    and drops none but the oldest beyond three."""
    settings, emb = small_index
    pg = settings.with_(store="postgres", database_url=pg_url)
    first = build_index(pg, emb)
    assert first.rebuilt and str(first.snapshot_path).endswith("@0")
    searcher = open_searcher(pg, emb)
    embedded = open_searcher(settings, emb)
    assert [p.id for p in searcher.passages] == [p.id for p in embedded.passages]
    for q in ("Sprachkurse im Landkreis", "Ehrenamt und Wohnen"):
        assert [h.passage.id for h in searcher.search(q).hits] == [h.passage.id for h in embedded.search(q).hits]
    again = build_index(pg, emb)
    assert not again.rebuilt and again.reason.startswith("up to date")
    for _ in range(3):
        assert build_index(pg, emb, force=True).rebuilt
    store = open_store(pg)
    assert len(store.generations()) == 3  # the newest three kept, the first dropped with its tables
    tables = store.conn.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'g%%_passages'").fetchone()[0]
    assert tables == 3
    store.close()


def test_staged_write_bm25_first_then_vectors(pg, tmp_path):
    """A staged write (uploads): BM25 finds the document after the first commit, the dense
    arm only after the second; the document says "partial" in between; the end state ranks
    as an unstaged write of the same document does."""
    settings, emb = pg
    doc = tmp_path / "quellental.txt"
    doc.write_text(NEW, encoding="utf-8")
    store = open_store(settings)
    seen: dict[str, object] = {}
    fill = store.fill_vectors

    def look_then_fill(*args):  # between the two transactions: what a new reader sees
        s = open_searcher(settings, emb)
        seen["bm25"] = [h.passage.doc_id for h in s.search("Zwergpinscherverein", k=3, mode="bm25").hits]
        seen["dense"] = [h.passage.doc_id for h in s.search(NEW, k=20, mode="dense").hits]
        seen["meta"] = next(d.meta for d in s.snapshot.documents if d.id == "quellental")
        seen["registry"] = s.snapshot.manifest["registry"]["documents"]["quellental"]
        return fill(*args)

    store.fill_vectors = look_then_fill
    from index.build import BuildOutcome, _embed_document
    from index.store.incremental import write_incremental

    with store.writer_lock():
        out = write_incremental(settings, emb, store, _embed_document, BuildOutcome, [doc], staged=True)
    store.close()
    assert seen["bm25"] and set(seen["bm25"]) == {"quellental"}
    assert "quellental" not in seen["dense"]  # no vectors yet: the dense arm cannot see it
    assert seen["meta"].get("indexing") == "partial" and seen["registry"].get("indexing") == "partial"
    assert str(out.snapshot_path).endswith("@2")  # two commits
    assert 0 < out.timings["bm25_searchable_s"] <= out.timings["searchable_s"]
    staged = open_searcher(settings, emb)
    assert "indexing" not in next(d.meta for d in staged.snapshot.documents if d.id == "quellental")
    assert "indexing" not in staged.snapshot.manifest["registry"]["documents"]["quellental"]
    assert "quellental" in [h.passage.doc_id for h in staged.search(NEW, k=20, mode="dense").hits]
    # the same document written in one transaction: the same rankings in every mode (the
    # staged answers read first: a PgSnapshot queries the live tables)
    queries = [(q, mode) for q in ("Zwergpinscherverein im Bürgerhaus", "Sprachkurse im Landkreis", NEW)
               for mode in ("hybrid", "dense", "bm25")]

    def answers(s):
        return [[(h.passage.id, round(h.score, 5)) for h in s.search(q, k=10, mode=mode).hits] for q, mode in queries]

    before = answers(staged)
    assert any(h[0].startswith("quellental") for a in before for h in a)
    build_index(settings, emb, remove=("quellental",))
    build_index(settings, emb, [doc], add=True)
    assert answers(open_searcher(settings, emb)) == before


def test_staged_write_cut_short_is_indexed_again(pg, tmp_path):
    """A staged write that stopped after its first stage leaves a "partial" document that
    still answers BM25; adding the same file again completes it (not "unchanged")."""
    settings, emb = pg
    doc = tmp_path / "quellental.txt"
    doc.write_text(NEW, encoding="utf-8")
    from index.build import BuildOutcome, _embed_document
    from index.store.incremental import write_incremental

    store = open_store(settings)

    def crash(*args):
        raise RuntimeError("writer stopped between the stages")

    store.fill_vectors = crash
    with store.writer_lock(), pytest.raises(RuntimeError):
        write_incremental(settings, emb, store, _embed_document, BuildOutcome, [doc], staged=True)
    store.close()
    partial = open_searcher(settings, emb)
    assert next(d.meta for d in partial.snapshot.documents if d.id == "quellental")["indexing"] == "partial"
    assert partial.search("Zwergpinscherverein", k=1, mode="bm25").hits[0].passage.doc_id == "quellental"
    assert partial.search("Zwergpinscherverein", k=5, mode="hybrid").hits  # a NULL vector breaks nothing
    again = build_index(settings, emb, [doc], add=True)
    assert again.rebuilt and again.report[-1]["action"] != "unchanged"
    done = open_searcher(settings, emb)
    assert "indexing" not in next(d.meta for d in done.snapshot.documents if d.id == "quellental")
    assert "quellental" in [h.passage.doc_id for h in done.search(NEW, k=20, mode="dense").hits]


def _state(snap) -> dict:
    """Everything a serving process loads from a PostgreSQL generation, comparable."""
    w = snap.windows
    return {"path": str(snap.path), "passages": [p.to_dict() for p in snap.passages],
            "rows": snap.rowmap.rows.tolist(), "documents": [d.to_dict() for d in snap.documents],
            "windows": None if w is None else (w.index.rowmap.rows.tolist(), np.asarray(w.owner).tolist(), w.keys),
            "vocab": dict(snap.bm25._vocab), "n": snap.bm25.n, "manifest": snap.manifest,
            "tokens": snap.tokens is not None}


def _tables(searcher) -> dict:
    """A searcher's per-passage tables, comparable across searchers (document codes as ids)."""
    fm = searcher.filter_mask
    code_to_doc = {c: d for d, c in fm._doc_code.items()}
    return {"ids": [p.id for p in searcher.passages], "by_id": dict(searcher._by_id),
            "reference": searcher._reference.tolist(), "questions": searcher._question_lists.tolist(),
            "doc_of": [code_to_doc[int(c)] for c in fm._doc_of], "years": (fm._first_year.tolist(), fm._last_year.tolist()),
            "doc_ids": sorted(fm.doc_ids)}


def test_refresh_equals_a_fresh_open(pg, tmp_path):
    """A serving process that read a generation, then refreshed it after adds, a staged add,
    a replace and a delete, holds what a fresh open of that version holds, and answers alike."""
    settings, emb = pg
    settings = settings.with_(window_vectors=True)
    old = open_searcher(settings, emb)
    a, b = tmp_path / "quellental.txt", tmp_path / "bergdorf.txt"
    a.write_text(NEW, encoding="utf-8")
    b.write_text(NEW.replace("Quellental", "Bergdorf").replace("Zwergpinscherverein", "Alpakahof"), encoding="utf-8")
    build_index(settings, emb, [a], add=True)
    mid = old.snapshot.refresh()
    assert _state(mid) == _state(open_searcher(settings, emb).snapshot)
    from index.runtime import refresh_searcher

    added_only = refresh_searcher(old, settings, emb)  # nothing removed: positions kept, tables extended
    assert added_only.passages[:len(old.passages)] == old.passages
    assert _tables(added_only) == _tables(open_searcher(settings, emb))
    assert mid.bm25.cache is old.snapshot.bm25.cache  # the frozen segment's posting lists stay warm
    build_index(settings, emb, [b], add=True, staged=True)
    a.write_text(NEW.replace("donnerstags", "freitags"), encoding="utf-8")
    build_index(settings, emb, [a], add=True)  # replace
    first = sorted(d.id for d in old.snapshot.documents)[0]
    build_index(settings, emb, remove=(first,))
    fresh = open_searcher(settings, emb)
    new = mid.refresh()
    assert new is not mid and _state(new) == _state(fresh.snapshot)
    assert any(p.doc_id == first for p in old.passages) and not any(p.doc_id == first for p in new.passages)
    assert fresh.snapshot.windows is not None and len(fresh.snapshot.windows.keys) > 0
    assert {"quellental", "bergdorf"} <= {p.doc_id for p in new.passages}
    assert new.refresh() is new  # nothing changed since
    from index.runtime import refresh_searcher

    old.search("Zwergpinscher im Bürgerhaus")  # builds the old searcher's corpus word forms
    refreshed = refresh_searcher(old, settings, emb)
    assert _tables(refreshed) == _tables(fresh)  # reused for kept passages, computed for new ones
    from index.search.normalize import WordForms

    carried, whole = refreshed.normalizer._forms, WordForms([p.text for p in fresh.passages])
    assert carried is not None and carried.forms == whole.forms and carried.surface == whole.surface
    assert carried.counts == whole.counts
    for q in ("Zwergpinscherverein", "Alpakahof donnerstags", "Sprachkurse im Landkreis", "freitags im Bürgerhaus"):
        for mode in ("hybrid", "bm25", "dense"):
            assert ([(h.passage.id, h.score) for h in refreshed.search(q, k=10, mode=mode).hits]
                    == [(h.passage.id, h.score) for h in fresh.search(q, k=10, mode=mode).hits]), (q, mode)
    # another generation serves (a full build): no delta, the caller opens it whole
    build_index(settings, emb, force=True)
    assert new.refresh() is None and refresh_searcher(refreshed, settings, emb) is None
