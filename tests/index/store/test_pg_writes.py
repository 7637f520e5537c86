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
