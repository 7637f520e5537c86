"""Where a hybrid search on the PostgreSQL store spends its time, and what each latency
lever buys, side by side with the baseline and the embedded store in one run.

    python -m tools.pg_levers prepare --n 100000 --dir /tmp/pf-levers-100k
    python -m tools.pg_levers measure --dir /tmp/pf-levers-100k --out docs/pg-levers-100k.json
    python -m tools.pg_levers prepare --n 1000000 --dir /tmp/pf-levers-1m      # 40 min on 2 cores
    python -m tools.pg_levers scale --dir /tmp/pf-levers-1m --rounds 2 --embed --no-whole-reload \
        --out docs/pg-scale-1m.json

``scale`` compares both stores in their default configuration at the prepared size (see
its docstring); ``measure`` is the lever study at 100,000.

``prepare`` builds the synthetic corpus of ``tools.bench_store`` once (the embedded
snapshot written to ``DIR/snap``, the PostgreSQL generation published into the server
under ``DIR/pg``) so ``measure`` can be re-run against the same data without the
build (about 10 minutes at 100,000 passages on 2 cores). ``measure`` loads both, runs
the judgment queries on each configuration (every lever on its own, interleaved in
rounds so a change in the machine's load hits all of them alike), checks that every
configuration returns the same hybrid top 10 as the baseline, and prints p50/p95.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
PG_SETTINGS = {"shared_buffers": "512MB", "maintenance_work_mem": "1GB", "max_wal_size": "8GB", "fsync": "on"}


def pg_settings(n: int) -> dict[str, str]:
    """The server settings for ``n`` passages: above 200,000 the HNSW graph (about 1.2 KB
    per passage over ``halfvec(384)``) must fit ``maintenance_work_mem`` or pgvector builds
    it on disk, far slower, and shared buffers hold the graph (about 1.1 GB at 1,000,000)."""
    if n <= 200_000:
        return dict(PG_SETTINGS)
    return {**PG_SETTINGS, "shared_buffers": "2GB", "maintenance_work_mem": "3GB"}


def _root_settings(root: Path) -> dict[str, str]:
    """The settings ``prepare`` started the server in ``root`` with (``root/pg_settings.json``)."""
    f = root / "pg_settings.json"
    return json.loads(f.read_text(encoding="utf-8")) if f.exists() else dict(PG_SETTINGS)


def bench_settings() -> Settings:
    """The settings ``tools.bench_store`` measures with (HNSW, no MaxSim, no windows)."""
    return Settings.from_env(vector_backend="faiss-hnsw", late_interaction=False, window_vectors=False,
                             typo_tolerance=True)


def prepare(n: int, root: Path) -> dict:
    """Build the synthetic corpus at ``n`` passages: the embedded snapshot in ``root/snap``,
    a PostgreSQL server in ``root/pg`` with the same generation published; build seconds."""
    from index.store.pg_local import LocalPostgres
    from index.store.postgres import PostgresStore
    from tools.bench_store import snapshot_of, synthetic

    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o711)
    documents, passages, vectors, words = synthetic(n, bench_settings())
    (root / "words.json").write_text(json.dumps(words), encoding="utf-8")
    snap = snapshot_of(documents, passages, vectors, "faiss-hnsw")
    out = {"n": n, "embedded_build_s": round(snap.build_s, 1)}
    snap.write(root / "snap")
    snap.dense = None  # the FAISS graph is on disk now; publishing reads vectors, not it (GBs at 1M)
    settings = pg_settings(n)
    (root / "pg_settings.json").write_text(json.dumps(settings), encoding="utf-8")
    server = LocalPostgres(root / "pg", settings).start()
    try:
        store = PostgresStore(server.url, backend="faiss-hnsw", hnsw={"m": 16, "ef_construction": 64})
        t = time.perf_counter()
        with store.writer_lock():
            store.publish(snap)
        out["pg_build_s"] = round(time.perf_counter() - t, 1)
        store.close()
    finally:
        server.stop()
    out["load_average_end"] = os.getloadavg()
    (root / "prepare.json").write_text(json.dumps(out), encoding="utf-8")
    print(json.dumps(out))
    return out


def _timed(fn, *args) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn(*args)
    return (time.perf_counter() - t) * 1000, out


def _stats(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {"p50_ms": round(statistics.median(ms), 2), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 2),
            "mean_ms": round(statistics.fmean(ms), 2)}


def _top10(result) -> list[str]:
    return [h.passage.id for h in result.hits]


def profile(searcher, queries: list[str]) -> dict:
    """Per query: the dense arm, the BM25 arm, and the whole hybrid search, ms (p50/p95)."""
    from index.search import Filters

    dense, bm25, total = [], [], []
    for text in queries:
        q = searcher.prepare(text, 10, "hybrid", Filters())
        q.vector  # the query encoding (hash embedder, cached) is not the store's time
        dense.append(_timed(searcher.retrievers["dense"].retrieve, q)[0])
        bm25.append(_timed(searcher.retrievers["bm25"].retrieve, q)[0])
        total.append(_timed(searcher.search, text, 10, "hybrid")[0])
    return {"dense_arm": _stats(dense), "bm25_arm": _stats(bm25), "hybrid": _stats(total)}


def sql_profile(view, searcher, queries: list[str]) -> dict:
    """The SQL statements alone (as the arms send them, timed from this process: a round
    trip plus the server's work), and one EXPLAIN ANALYZE of each."""
    from index.search import Filters
    from index.store.pg_schema import sparse_text, vec_text

    conn = view.reader.conn()
    dense, bm25, encode = [], [], []
    d = view.dense
    ef = min(max(d.ef_search, 100), 1000)
    conn.execute(f"SET hnsw.ef_search = {ef}; SET hnsw.iterative_scan = off")
    view.reader._configured.pop(id(conn), None)
    plans = {}
    b = view.bm25
    for j, text in enumerate(queries):
        q = searcher.prepare(text, 10, "hybrid", Filters())
        vec = q.vector
        t_enc, vt = _timed(vec_text, vec)
        encode.append(t_enc)
        sql = f"SELECT row, (vec <#> %s::vector) * -1 FROM {d.table} ORDER BY vec <#> %s::vector, row LIMIT 100"
        dense.append(_timed(lambda: conn.execute(sql, [vt, vt]).fetchall())[0])
        entries = b._query_entries(q.bm25_weights)
        if not entries:
            continue
        ids = sorted(entries)
        bsql = (f"SELECT id, rows, tfc FROM {b.postings_table} WHERE id = ANY(%s) "
                f"UNION ALL SELECT -1, coalesce(string_agg(int4send(row::int), ''::bytea), ''::bytea), ''::bytea "
                f"FROM {b.deleted_table} "
                f"UNION ALL SELECT -2, coalesce(string_agg(int4send(row::int), ''::bytea ORDER BY row), ''::bytea), "
                f"coalesce(string_agg(float4send(((bm25 <#> %s::sparsevec) * -1)::real), ''::bytea ORDER BY row), ''::bytea) "
                f"FROM {b.table} WHERE row >= %s AND terms && %s::int[]")
        params = [ids, sparse_text(entries), b.base_rows, ids]
        bm25.append(_timed(lambda: conn.cursor(binary=True).execute(bsql, params).fetchall())[0])
        if j == 0:
            plans["dense"] = [r[0] for r in conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, [vt, vt]).fetchall()]
            plans["bm25"] = [r[0] for r in conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + bsql, params).fetchall()]
            plans["bm25_bytes"] = sum(len(r[1]) + len(r[2]) for r in conn.cursor(binary=True).execute(bsql, params).fetchall())
    return {"dense_sql": _stats(dense), "bm25_sql": _stats(bm25), "vec_text": _stats(encode), "plans": plans}


def writes(store, view, searcher, settings, emb, root: Path, whole: bool = True) -> dict:
    """A 20-page document (60 passages) written staged into the generation, and how soon a
    serving process that holds ``searcher`` (its word forms built) shows it: the first
    commit (BM25), its delta reload (``index.runtime.refresh_searcher``) and first search,
    against a whole reload (``open_current``, a new ``Searcher`` and its first search, which
    builds the corpus word forms); then the second commit (vectors) and the delta reload
    again. The document is deleted afterwards (the prepared data stays reusable)."""
    from index.runtime import refresh_searcher
    from index.search import Searcher
    from tools.bench_store import twenty_pages

    words = json.loads((root / "words.json").read_text(encoding="utf-8"))
    doc, passages, vectors = twenty_pages(words)
    query = "Quellentaler Zwergpinscherverein"
    out: dict = {}
    t0 = time.perf_counter()
    store.write_document(doc, passages, None, None, None)
    out["stage1_commit_s"] = round(time.perf_counter() - t0, 2)
    t = time.perf_counter()
    s1 = refresh_searcher(searcher, settings, emb)
    out["delta_reload_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    hits = s1.search(query, 5, "bm25").hits
    out["first_search_after_delta_s"] = round(time.perf_counter() - t, 2)
    out["bm25_finds_it"] = bool(hits) and all(h.passage.doc_id == doc.id for h in hits)
    out["bm25_searchable_in_serving_process_s"] = round(time.perf_counter() - t0, 2)
    if whole:  # ``whole``: also time a whole reload (a new generation's path), for comparison
        t = time.perf_counter()
        again = store.open_current(dense_params={"hnsw_ef_search": 64, "filter_exact_max": 50_000})
        out["whole_reload_open_s"] = round(time.perf_counter() - t, 2)
        ws = Searcher(again, emb, settings)
        ws.search(query, 5, "bm25")
        out["whole_reload_with_first_search_s"] = round(time.perf_counter() - t, 2)
        again.close()
    t = time.perf_counter()
    store.fill_vectors(doc, vectors, None, None)
    out["stage2_commit_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    s2 = refresh_searcher(s1, settings, emb)
    s2.search(query, 5, "hybrid")
    out["delta_reload_2_with_first_search_s"] = round(time.perf_counter() - t, 2)
    got = s2.snapshot.dense.search(vectors[:1], 10)[1][0]
    out["dense_finds_it"] = any(s2.passages[i].doc_id == doc.id for i in got if i >= 0)
    for s in (s1, s2):
        s.snapshot.close()
    store.delete_document(doc.id)
    return out


def writes_only(root: Path, out: Path | None) -> dict:
    """``writes`` alone, against what ``prepare`` built (``pg_levers writes``)."""
    from index.model.embedder import HashEmbedder
    from index.search import Searcher
    from index.store.pg_local import LocalPostgres
    from index.store.postgres import PostgresStore

    settings = bench_settings()
    emb = HashEmbedder(384)
    server = LocalPostgres(root / "pg", _root_settings(root)).start()
    try:
        store = PostgresStore(server.url, backend="faiss-hnsw", hnsw={"m": 16, "ef_construction": 64})
        view = store.open_current(dense_params={"hnsw_ef_search": 64, "filter_exact_max": 50_000})
        pg = Searcher(view, emb, settings)
        t = time.perf_counter()
        pg.search("Wohnraum für Geflüchtete", 10, "hybrid")  # the first search builds the word forms
        result = {"n": len(view.passages), "first_search_s": round(time.perf_counter() - t, 2),
                  "load_average": os.getloadavg(), "writes": writes(store, view, pg, settings, emb, root)}
        view.close()
        store.close()
    finally:
        server.stop()
    return _report(result, out)


def _report(result: dict, out: Path | None) -> dict:
    """Print ``result`` as JSON, also write it to ``out`` when given; returns ``result``."""
    print(json.dumps(result, indent=1))
    if out:
        out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result


def measure(root: Path, rounds: int, out: Path | None) -> dict:
    """Load what ``prepare`` built, profile, and measure every lever beside the baseline."""
    from index.model.embedder import HashEmbedder
    from index.search import Searcher
    from index.snapshot import load_snapshot
    from index.store.pg_local import LocalPostgres
    from index.store.postgres import PostingCache, PostgresStore
    from tools.bench_store import latency

    settings = bench_settings()
    emb = HashEmbedder(384)
    queries = [json.loads(line)["query"] for line in (ROOT / "eval" / "judgments.jsonl").open(encoding="utf-8")]
    snap = load_snapshot(root / "snap", dense_params={"hnsw_ef_search": 64})
    embedded = Searcher(snap, emb, settings)
    server = LocalPostgres(root / "pg", _root_settings(root)).start()
    result: dict = {"n": len(snap.passages), "queries": len(queries), "rounds": rounds,
                    "load_average_start": os.getloadavg()}
    try:
        store = PostgresStore(server.url, backend="faiss-hnsw", hnsw={"m": 16, "ef_construction": 64})
        t = time.perf_counter()
        view = store.open_current(dense_params={"hnsw_ef_search": 64, "filter_exact_max": 50_000})
        result["open_generation_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        pg = Searcher(view, emb, settings)
        result["searcher_init_s"] = round(time.perf_counter() - t, 2)
        gen = view.generation
        have_half = store.conn.execute("SELECT count(*) FROM pg_indexes WHERE tablename = %s AND indexdef LIKE "
                                       "'%%halfvec%%'", (f"g{gen}_passages",)).fetchone()[0]
        store.conn.commit()
        if not have_half:
            t = time.perf_counter()
            store.conn.execute("SET maintenance_work_mem = '1GB'")
            store.conn.execute(f"CREATE INDEX g{gen}_passages_vec_half ON g{gen}_passages USING hnsw "
                               f"((vec::halfvec(384)) halfvec_ip_ops) WITH (m = 16, ef_construction = 64)")
            store.conn.commit()
            result["halfvec_index_build_s"] = round(time.perf_counter() - t, 1)
        sizes = store.conn.execute("SELECT indexrelname, pg_relation_size(indexrelid) FROM pg_stat_user_indexes "
                                   "WHERE relname = %s", (f"g{gen}_passages",)).fetchall()
        store.conn.commit()
        result["index_mb"] = {name: round(size / 2**20, 1) for name, size in sizes}
        view.bm25.cache, view.dense.halfvec = None, False  # the baseline: as before this lever study
        for text in queries:  # warm both (buffers, the query encodings, the analyses)
            embedded.search(text, 10, "hybrid")
            pg.search(text, 10, "hybrid")
        baseline = {text: _top10(pg.search(text, 10, "hybrid")) for text in queries}
        emb_top = {text: _top10(embedded.search(text, 10, "hybrid")) for text in queries}
        result["top10_equal_pg_vs_embedded"] = sum(baseline[t] == emb_top[t] for t in queries)
        from tools.bench_scale import Generator, real_centres
        from tools.bench_store import recall_at_10

        held = Generator(384, 5, real_centres(settings)).sample(200)
        exact = np.asarray(snap.vectors, dtype=np.float32)
        result["dense_recall@10_vs_exact"] = {"embedded": round(recall_at_10(snap.dense, exact, held), 3)}
        for half in (False, True):
            view.dense.halfvec = half
            result["dense_recall@10_vs_exact"]["halfvec" if half else "vector"] = round(
                recall_at_10(view.dense, exact, held), 3)
        view.dense.halfvec = False
        result["profile"] = {"embedded": profile(embedded, queries), "postgres": profile(pg, queries)}
        result["sql"] = sql_profile(view, pg, queries)

        cache = PostingCache()  # one per serving process: warm after the first queries

        def setup(name: str) -> None:
            view.bm25.cache = cache if "cache" in name else None
            view.dense.halfvec = "halfvec" in name
            view.concurrent_retrieval = "sequential" not in name

        configs = ["baseline", "sequential", "cache", "halfvec", "cache+halfvec"]
        times: dict[str, list[float]] = {c: [] for c in ["embedded", *configs]}
        same: dict[str, int] = {}
        for r in range(rounds):  # interleaved per query: a load spike of the shared machine hits every column
            for text in queries:
                times["embedded"].append(_timed(embedded.search, text, 10, "hybrid")[0])
                for c in configs:
                    setup(c)
                    ms, res = _timed(pg.search, text, 10, "hybrid")
                    times[c].append(ms)
                    if r == 0:
                        same[c] = same.get(c, 0) + (_top10(res) == baseline[text])
        result["hybrid_1_client"] = {c: _stats(v) for c, v in times.items()}
        result["hybrid_1_client_ratio_to_embedded"] = {  # median of the per-query ratios (paired)
            c: round(statistics.median(a / e for a, e in zip(times[c], times["embedded"])), 2) for c in configs}
        result["top10_equal_to_baseline"] = same
        eight = {}
        sub = queries[:40]
        eight["embedded"] = latency(embedded, sub, 8, None, 20)
        for c in ["baseline", "cache", "halfvec", "cache+halfvec"]:
            setup(c)
            eight[c] = latency(pg, sub, 8, None, 20)
        result["hybrid_8_clients"] = eight
        setup("cache+halfvec")
        result["profile"]["postgres_cache+halfvec"] = profile(pg, queries)
        result["posting_cache_mb"] = round(view.bm25.cache.bytes / 2**20, 1)
        result["writes"] = writes(store, view, pg, settings, emb, root)
        result["load_average_end"] = os.getloadavg()
        view.close()
        store.close()
    finally:
        server.stop()
    return _report(result, out)


def _exact_top10(exact: np.ndarray, queries: np.ndarray, chunk: int = 100_000) -> np.ndarray:
    """int (q, 10): the exact inner-product top 10 of each query over ``exact`` (n, d),
    scanned in chunks of ``chunk`` rows (memory q x chunk, not q x n), best first."""
    best_s = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(queries), 0), dtype=np.int64)
    for start in range(0, len(exact), chunk):
        s = queries @ np.asarray(exact[start:start + chunk], dtype=np.float32).T
        top = np.argpartition(-s, min(10, s.shape[1] - 1), axis=1)[:, :10]
        best_s = np.hstack([best_s, np.take_along_axis(s, top, 1)])
        best_i = np.hstack([best_i, top + start])
        keep = np.argsort(-best_s, axis=1, kind="stable")[:, :10]
        best_s, best_i = np.take_along_axis(best_s, keep, 1), np.take_along_axis(best_i, keep, 1)
    return best_i


def _recall(index, truth: np.ndarray, queries: np.ndarray) -> float:
    """Mean overlap of ``index.search(queries, 10)`` with ``truth`` (recall@10 against exact search)."""
    _, got = index.search(queries, 10)
    return float(np.mean([len(set(g.tolist()) & set(t.tolist())) / 10 for g, t in zip(got, truth)]))


def _pss_mb(pid: int) -> float:
    """Proportional set size of ``pid`` and its children (MiB): a PostgreSQL server's
    backends share its buffers, so summing their RSS would count them once per backend."""
    import psutil

    proc = psutil.Process(pid)
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_full_info().pss
        except (psutil.Error, AttributeError):
            total += p.memory_info().rss
    return round(total / 2**20, 1)


def _own_rss_mb() -> float:
    """Resident memory of this process alone, MiB (not the PostgreSQL server it started)."""
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _dir_mb(path: Path) -> float:
    """Bytes of the regular files under ``path``, MiB."""
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 1)


def scale(root: Path, rounds: int, out: Path | None, embed: bool, whole: bool = True) -> dict:
    """Both stores at the size ``prepare`` built, in one run, in the default configuration
    (PostgreSQL: posting cache and the ``halfvec`` graph; embedded: FAISS HNSW + bm25s):
    load time and memory of a serving process, disk, dense recall@10 against exact
    search, hybrid p50/p95 at 1 client (the two stores interleaved per query, ``rounds``
    passes over the 180 judgment queries) and at 8 clients, the same with a filter keeping
    1 % of the documents (exact over the allowed passages on both, below
    ``filter_exact_max``), each arm's p50, and time-to-searchable of a 20-page document
    (60 passages): PostgreSQL by ``writes`` (staged first commit and delta reload in this
    serving process); embedded by its components measured here (writing the snapshot,
    loading it in a serving process and its first search) plus the rebuild of its
    indexes at this size, which ``prepare`` timed (``embedded_build_s``: the same work,
    vectors reused). ``embed``: also the real encoder's time for the document's 60
    passages (the "with embedding" figure; the model is loaded first, not timed)."""
    import gc
    import shutil

    from index.model.embedder import HashEmbedder
    from index.search import Filters, Searcher
    from index.snapshot import load_snapshot
    from index.store.pg_local import LocalPostgres
    from index.store.postgres import PostgresStore
    from tools.bench_scale import Generator, real_centres
    from tools.bench_store import _pid_rss_mb, latency

    settings = bench_settings()
    emb = HashEmbedder(384)
    queries = [json.loads(line)["query"] for line in (ROOT / "eval" / "judgments.jsonl").open(encoding="utf-8")]
    prep = json.loads((root / "prepare.json").read_text(encoding="utf-8")) if (root / "prepare.json").exists() else {}
    result: dict = {"n": None, "queries": len(queries), "rounds": rounds, "prepare": prep,
                    "pg_settings": _root_settings(root), "load_average_start": os.getloadavg()}
    rss0 = _own_rss_mb()
    t = time.perf_counter()
    snap = load_snapshot(root / "snap", dense_params={"hnsw_ef_search": 64})
    embedded = Searcher(snap, emb, settings)
    embedded.search(queries[0], 10, "hybrid")  # the first search builds the corpus word forms
    e: dict = {"load_with_first_search_s": round(time.perf_counter() - t, 1),
               "process_rss_growth_mb": round(_own_rss_mb() - rss0, 1), "disk_mb": _dir_mb(root / "snap")}
    result["n"] = len(snap.passages)
    docs = sorted({p.doc_id for p in snap.passages})
    filt = Filters(doc_ids=docs[::100])  # 1 % of the documents (and of the passages)
    allowed = set(filt.doc_ids)
    result["filter_passages"] = sum(1 for p in snap.passages if p.doc_id in allowed)
    server = LocalPostgres(root / "pg", _root_settings(root)).start()
    try:
        store = PostgresStore(server.url, backend="faiss-hnsw", hnsw={"m": 16, "ef_construction": 64})
        rss1 = _own_rss_mb()
        t = time.perf_counter()
        view = store.open_current(dense_params={"hnsw_ef_search": 64, "filter_exact_max": 50_000})
        pg = Searcher(view, emb, settings)
        pg.search(queries[0], 10, "hybrid")
        p: dict = {"load_with_first_search_s": round(time.perf_counter() - t, 1),
                   "process_rss_growth_mb": round(_own_rss_mb() - rss1, 1)}
        gen = view.generation
        row = store.conn.execute("SELECT pg_database_size(current_database()), pg_total_relation_size(%s), "
                                 "pg_indexes_size(%s)", (f"g{gen}_passages", f"g{gen}_passages")).fetchone()
        sizes = store.conn.execute("SELECT indexrelname, pg_relation_size(indexrelid) FROM pg_stat_user_indexes "
                                   "WHERE relname = %s", (f"g{gen}_passages",)).fetchall()
        post = store.conn.execute(f"SELECT pg_total_relation_size('g{gen}_postings')").fetchone()[0]
        store.conn.commit()
        p.update({"disk_mb": round(row[0] / 2**20, 1), "passages_table_with_indexes_mb": round(row[1] / 2**20, 1),
                  "postings_table_mb": round(post / 2**20, 1),
                  "index_mb": {name: round(size / 2**20, 1) for name, size in sizes},
                  "halfvec_graph": bool(view.dense.halfvec)})
        for text in queries:  # warm both: buffers, posting cache, query analyses
            embedded.search(text, 10, "hybrid")
            pg.search(text, 10, "hybrid")
        p["server_pss_after_warm_mb"] = _pss_mb(server.pid)
        held = Generator(384, 5, real_centres(settings)).sample(200)
        t = time.perf_counter()
        truth = _exact_top10(snap.vectors, held)
        result["exact_search_s"] = round(time.perf_counter() - t, 1)
        e["dense_recall@10_vs_exact"] = round(_recall(snap.dense, truth, held), 3)
        p["dense_recall@10_vs_exact"] = round(_recall(view.dense, truth, held), 3)
        del truth
        gc.collect()

        def interleaved(filters) -> dict:
            times: dict[str, list[float]] = {"embedded": [], "postgres": []}
            same = 0
            for r in range(rounds):  # per query one after the other: a load spike hits both
                for text in queries:
                    ms_e, res_e = _timed(embedded.search, text, 10, "hybrid", filters)
                    ms_p, res_p = _timed(pg.search, text, 10, "hybrid", filters)
                    times["embedded"].append(ms_e)
                    times["postgres"].append(ms_p)
                    if r == 0:
                        same += _top10(res_e) == _top10(res_p)
            st = {k: _stats(v) for k, v in times.items()}
            return {**st, "p50_ratio_pg_to_embedded": round(st["postgres"]["p50_ms"] / st["embedded"]["p50_ms"], 2),
                    "paired_ratio_median": round(statistics.median(
                        a / b for a, b in zip(times["postgres"], times["embedded"])), 2),
                    "top10_equal_across_stores": same, "load_average": os.getloadavg()}

        result["hybrid_1_client"] = interleaved(None)
        result["filtered_1pct_1_client"] = interleaved(filt)
        result["hybrid_8_clients"] = {"embedded": latency(embedded, queries, 8, None, 20),
                                      "postgres": latency(pg, queries, 8, None, 20), "load_average": os.getloadavg()}
        result["filtered_1pct_8_clients"] = {"embedded": latency(embedded, queries, 8, filt, 20),
                                             "postgres": latency(pg, queries, 8, filt, 20),
                                             "load_average": os.getloadavg()}
        result["profile"] = {"embedded": profile(embedded, queries), "postgres": profile(pg, queries)}
        p["posting_cache_mb"] = round(view.bm25.cache.bytes / 2**20, 1) if view.bm25.cache is not None else None
        p["server_pss_mb"] = _pss_mb(server.pid)
        p["server_rss_mb_incl_shared"] = round(_pid_rss_mb(server.pid), 1)
        e["serving_process_rss_mb_both_loaded"] = round(_own_rss_mb(), 1)
        p["build_s"], e["build_s"] = prep.get("pg_build_s"), prep.get("embedded_build_s")
        # the embedded store: a new snapshot of the whole corpus; its parts, timed here
        tmp = root / "snap-rewrite"
        shutil.rmtree(tmp, ignore_errors=True)
        t = time.perf_counter()
        snap.write(tmp)
        e["snapshot_write_s"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        again = load_snapshot(tmp, dense_params={"hnsw_ef_search": 64})
        s2 = Searcher(again, emb, settings)
        s2.search("Quellentaler Zwergpinscherverein", 5, "bm25")
        e["reload_with_first_search_s"] = round(time.perf_counter() - t, 1)
        del s2, again
        shutil.rmtree(tmp, ignore_errors=True)
        e["time_to_searchable_without_embedding_s"] = round(
            (e["build_s"] or 0) + e["snapshot_write_s"] + e["reload_with_first_search_s"], 1)
        del embedded, snap
        gc.collect()  # the embedded store's memory is not needed for the writes (a whole reload loads 1M passages)
        p["writes"] = writes(store, view, pg, settings, emb, root, whole)
        p["time_to_searchable_without_embedding_s"] = p["writes"]["bm25_searchable_in_serving_process_s"]
        if embed:
            from index.build import _embed_document
            from index.runtime import load_embedder
            from tools.bench_store import twenty_pages

            words = json.loads((root / "words.json").read_text(encoding="utf-8"))
            _, passages, _ = twenty_pages(words)
            real = load_embedder(Settings.from_env())
            real.encode_passages(["warm"])
            t = time.perf_counter()
            _embed_document(passages, real, settings)
            result["embed_60_passages_s"] = round(time.perf_counter() - t, 1)
            e["time_to_searchable_with_embedding_s"] = round(
                e["time_to_searchable_without_embedding_s"] + result["embed_60_passages_s"], 1)
            # staged: BM25 is searchable before the encoder runs; every arm after it and the second commit
            p["time_to_bm25_searchable_with_embedding_s"] = p["time_to_searchable_without_embedding_s"]
            p["time_to_fully_searchable_with_embedding_s"] = round(
                p["writes"]["bm25_searchable_in_serving_process_s"] + result["embed_60_passages_s"]
                + p["writes"]["stage2_commit_s"] + p["writes"]["delta_reload_2_with_first_search_s"], 1)
        result["embedded"], result["postgres"] = e, p
        result["load_average_end"] = os.getloadavg()
        view.close()
        store.close()
    finally:
        server.stop()
    return _report(result, out)


def main() -> None:
    """Command line (``--help``)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--dir", type=Path, required=True)
    m = sub.add_parser("measure")
    m.add_argument("--dir", type=Path, required=True)
    m.add_argument("--rounds", type=int, default=3)
    m.add_argument("--out", type=Path)
    s = sub.add_parser("scale", help="both stores in their default configuration, at the size prepared")
    s.add_argument("--dir", type=Path, required=True)
    s.add_argument("--rounds", type=int, default=3)
    s.add_argument("--out", type=Path)
    s.add_argument("--embed", action="store_true", help="also time the real encoder on the 20-page document")
    s.add_argument("--no-whole-reload", action="store_true", help="skip timing a whole reload of the generation")
    w = sub.add_parser("writes")
    w.add_argument("--dir", type=Path, required=True)
    w.add_argument("--out", type=Path)
    args = ap.parse_args()
    os.nice(10)
    from index.blas import limit_blas_threads

    limit_blas_threads(1)
    if args.cmd == "prepare":
        prepare(args.n, args.dir)
    elif args.cmd == "scale":
        scale(args.dir, args.rounds, args.out, args.embed, not args.no_whole_reload)
    elif args.cmd == "writes":
        writes_only(args.dir, args.out)
    else:
        measure(args.dir, args.rounds, args.out)


if __name__ == "__main__":
    main()
