"""Both stores at one size, in one run: build, hybrid latency, filtered search, recall,
disk, memory, and time-to-searchable of one 20-page document.

Synthetic corpus of ``--n`` passages: texts of 60-120 words drawn from the real corpus'
word frequencies (the passages of the current snapshot, so BM25 sees German with its real
Zipf curve), grouped into documents of 100 passages; vectors from
``tools.bench_scale.Generator`` (clusters around the real passage vectors, intrinsic
dimension 32). No token vectors (MaxSim is off: a million passages' token vectors are
~230 GB) and no sentence windows. Query texts are the judgment queries, encoded by the
64-dim-free ``HashEmbedder(384)`` (latency only, not quality).

The same ``Snapshot`` is served embedded (FAISS HNSW + bm25s, in this process) and
written into a local PostgreSQL (``index.store.pg_local``, as ``praxisfinder store-copy``
does): HNSW (m 16, ef_construction 64), GIN on term ids, exact BM25 as sparsevec.
Measured per store: build seconds, hybrid ``Searcher.search`` p50/p95 at 1 and 8 client
threads, the same with a filter keeping 1 % of the documents, dense-arm recall@10 against
exact search, disk (PostgreSQL: ``pg_database_size``; embedded: the snapshot directory),
memory (server RSS; embedded: this process' RSS growth), and time-to-searchable of a
20-page document (60 passages): PostgreSQL = one ``write_document`` transaction until a
new reader finds it; embedded = a rebuild of the BM25 and vector indexes over N + 60
passages (what ``build_index`` redoes; embedding time excluded on both).

    python -m tools.bench_store --n 100000 --out docs/bench-store-100k.json
    python -m tools.bench_store --real postgresql://... --out docs/bench-store-real.json
    python -m tools.bench_store --http postgresql://... --out docs/bench-store-http.json
    python -m tools.bench_store --http embedded --http-rounds 1 --out docs/bench-store-http-embedded.json

Runs niced; at 100,000 passages about 10 minutes on the 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np

from core.schema import Document, Passage
from core.settings import Settings
from index import ann
from index.bm25 import BM25Index
from index.model.embedder import HashEmbedder
from index.search import Filters, Searcher
from index.snapshot import Snapshot, SnapshotStore, load_snapshot
from tools.bench_scale import Generator, real_centres

DIM = 384
PER_DOC = 100
ROOT = Path(__file__).resolve().parents[1]


def synthetic(n: int, settings: Settings, seed: int = 11) -> tuple[list[Document], list[Passage], np.ndarray, list[str]]:
    """(documents, passages, vectors float32 (n, 384), the word list) as the module docstring says."""
    real = load_snapshot(SnapshotStore(settings.storage.snapshots_dir).current_path())
    counts = Counter(w for p in real.passages for w in p.text.split())
    words, freq = zip(*counts.items())
    p = np.asarray(freq, dtype=np.float64) / sum(freq)
    rng = np.random.default_rng(seed)
    gen = Generator(DIM, seed, real_centres(settings))
    documents, passages = [], []
    vectors = np.zeros((n, DIM), dtype=np.float32)
    for start in range(0, n, 10_000):
        m = min(10_000, n - start)
        vectors[start:start + m] = gen.sample(m)
    lengths = rng.integers(60, 121, n)
    draws = rng.choice(len(words), size=int(lengths.sum()), p=p)
    pos = 0
    for i in range(n):
        text = " ".join(words[j] for j in draws[pos:pos + lengths[i]])
        pos += lengths[i]
        doc_id = f"syn-{i // PER_DOC:06d}"
        if i % PER_DOC == 0:
            documents.append(Document(doc_id, f"Synthetisch {i // PER_DOC}", f"{doc_id}.txt", "0" * 64, "txt", ""))
        passages.append(Passage(f"{doc_id}-{i % PER_DOC:03d}", doc_id, documents[-1].title, text, None, [], 0,
                                len(text), i % PER_DOC, {"kind": "prose"}))
    return documents, passages, vectors, list(words)


def snapshot_of(documents, passages, vectors, backend: str) -> Snapshot:
    """An in-memory snapshot: bm25s over the texts, an ``index.ann`` index over the vectors."""
    t0 = time.perf_counter()
    bm25 = BM25Index().build([p.text for p in passages])
    dense = ann.create(backend, DIM, {"hnsw_m": 16, "hnsw_ef_construction": 64, "hnsw_ef_search": 64})
    dense.add(vectors)
    manifest = {"snapshot_id": f"bench-{len(passages)}", "schema_version": 1,
                "model": {"name": "hash", "fingerprint": HashEmbedder(DIM).fingerprint, "dim": DIM},
                "counts": {"passages": len(passages), "documents": len(documents)}, "registry": {}}
    snap = Snapshot(Path(), manifest, documents, passages, vectors, dense, bm25)
    snap.build_s = time.perf_counter() - t0
    return snap


def latency(searcher: Searcher, queries: list[str], clients: int, filters: Filters | None, rounds: int) -> dict:
    """p50/p95 milliseconds of ``searcher.search`` with ``clients`` threads, each running ``rounds`` queries."""
    times: list[float] = []
    lock = threading.Lock()

    def run(offset: int) -> None:
        mine = []
        for r in range(rounds):
            q = queries[(offset * 7 + r) % len(queries)]
            t = time.perf_counter()
            searcher.search(q, k=10, mode="hybrid", filters=filters)
            mine.append((time.perf_counter() - t) * 1000)
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=run, args=(c,)) for c in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    times.sort()
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
            "qps": round(len(times) / wall, 1), "queries": len(times)}


def recall_at_10(index, exact: np.ndarray, queries: np.ndarray) -> float:
    """Mean overlap of the index's top 10 with exact inner-product top 10."""
    _, got = index.search(queries, 10)
    truth = np.argsort(-(queries @ exact.T), axis=1)[:, :10]
    return float(np.mean([len(set(g) & set(t)) / 10 for g, t in zip(got, truth)]))


def twenty_pages(words: list[str], seed: int = 3) -> tuple[Document, list[Passage], np.ndarray]:
    """A 20-page document: 60 passages of ~100 words, vectors from the generator's clusters."""
    rng = random.Random(seed)
    doc = Document("neu-20-seiten", "Neues Dokument (20 Seiten)", "neu.txt", "1" * 64, "txt", "")  # ids "neu-..."
    passages = [Passage(f"neu-{i:03d}", doc.id, doc.title, "Quellentaler Zwergpinscherverein " +
                        " ".join(rng.choice(words) for _ in range(100)), None, [], 0, 100, i, {"kind": "prose"})
                for i in range(60)]
    vectors = Generator(DIM, 99).sample(60)
    return doc, passages, vectors


def main() -> None:
    """Command line of ``python -m tools.bench_store`` (``--help`` lists the options): builds the
    synthetic corpus, serves it from both stores and prints the measurements as JSON; with
    ``--real``, the time-to-searchable on the real corpus instead (``real_corpus``)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=20, help="queries per client thread")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--real", metavar="DATABASE_URL", help="instead: time-to-searchable of a 20-page PDF on the "
                    "real corpus, both stores (the database must hold the current generation: store-copy)")
    ap.add_argument("--http", metavar="DATABASE_URL", help="instead: the whole upload path through `praxisfinder "
                    "serve`, fresh and warm upload workers side by side, on the PostgreSQL store at DATABASE_URL "
                    "(http_upload); `embedded` for the embedded store")
    ap.add_argument("--http-rounds", type=int, default=2, help="uploads per arm with --http")
    ap.add_argument("--http-load", type=int, default=0, help="busy-looping processes during --http (a loaded machine)")
    args = ap.parse_args()
    os.nice(10)
    if args.http:
        http_upload(None if args.http == "embedded" else args.http, args.out, args.http_rounds, args.http_load)
        return
    if args.real:
        real_corpus(args.real, args.out)
        return
    from index.blas import limit_blas_threads
    from index.store.pg_local import LocalPostgres, scratch_dir
    from index.store.postgres import PostgresStore
    from index.store.pg_write import write_document

    settings = Settings.from_env(vector_backend="faiss-hnsw", late_interaction=False, window_vectors=False,
                                 typo_tolerance=True)
    limit_blas_threads(1)
    queries = [json.loads(line)["query"] for line in (ROOT / "eval" / "judgments.jsonl").open(encoding="utf-8")]
    t = time.perf_counter()
    documents, passages, vectors, words = synthetic(args.n, settings)
    result: dict = {"n": args.n, "generate_s": round(time.perf_counter() - t, 1)}
    emb = HashEmbedder(DIM)
    rss0 = _rss_mb()
    snap = snapshot_of(documents, passages, vectors, "faiss-hnsw")
    tmp = Path(tempfile.mkdtemp(prefix="bench-store-"))
    snap.write(tmp / "snap")
    emb_disk = sum(f.stat().st_size for f in (tmp / "snap").rglob("*") if f.is_file())
    embedded = Searcher(snap, emb, settings)
    held = Generator(DIM, 5, real_centres(settings)).sample(200)
    filt = Filters(doc_ids=[d.id for d in documents[:: 100]])  # 1 % of the documents
    result["embedded"] = {"build_s": round(snap.build_s, 1), "disk_mb": round(emb_disk / 2**20, 1),
                          "memory_mb": round(_rss_mb() - rss0, 1),
                          "recall@10": round(recall_at_10(snap.dense, vectors, held), 3),
                          "hybrid_1": latency(embedded, queries, 1, None, args.rounds),
                          "hybrid_8": latency(embedded, queries, 8, None, args.rounds),
                          "filtered_1pct_1": latency(embedded, queries, 1, filt, args.rounds)}
    doc, new_passages, new_vectors = twenty_pages(words)
    t = time.perf_counter()  # what the embedded store redoes for one more document
    snapshot_of(documents + [doc], passages + new_passages, np.vstack([vectors, new_vectors]), "faiss-hnsw")
    result["embedded"]["time_to_searchable_s"] = round(time.perf_counter() - t, 1)
    print(json.dumps(result, indent=1), flush=True)

    root = scratch_dir()
    server = LocalPostgres(root / "pg", {"shared_buffers": "512MB", "maintenance_work_mem": "1GB",
                                         "max_wal_size": "8GB", "fsync": "on"}).start()
    try:
        store = PostgresStore(server.url, backend="faiss-hnsw", hnsw={"m": 16, "ef_construction": 64})
        t = time.perf_counter()
        with store.writer_lock():
            store.publish(snap)
        pg_build = time.perf_counter() - t
        view = store.open_current(dense_params={"hnsw_ef_search": 64, "filter_exact_max": 50_000})
        postgres = Searcher(view, emb, settings)
        size = store.conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        store.conn.commit()
        pg = {"build_s": round(pg_build, 1), "disk_mb": round(size / 2**20, 1),
              "server_rss_mb": round(_pid_rss_mb(server.pid), 1),
              "recall@10": round(recall_at_10(view.dense, vectors, held), 3),
              "hybrid_1": latency(postgres, queries, 1, None, args.rounds),
              "hybrid_8": latency(postgres, queries, 8, None, args.rounds),
              "filtered_1pct_1": latency(postgres, queries, 1, filt, args.rounds)}
        from index.analyzer import analyze
        from index.store.pg_schema import idf, sparse_text

        terms = analyze("Quellentaler Zwergpinscherverein")
        t = time.perf_counter()
        write_document(store.conn, doc, new_passages, new_vectors, None, None)
        pg["write_commit_s"] = round(time.perf_counter() - t, 2)
        # searchable at commit: the BM25 question in SQL over the generation's table finds the new rows
        gen = view.generation
        ids = [i for (i,) in store.conn.execute(f"SELECT id FROM g{gen}_terms WHERE term = ANY(%s)", (terms,))]
        rows = store.conn.execute(f"SELECT passage_id FROM g{gen}_passages WHERE terms && %s::int[] ORDER BY "
                                  f"bm25 <#> %s::sparsevec LIMIT 5", (ids, sparse_text({i: 1.0 for i in ids}))).fetchall()
        store.conn.commit()
        pg["time_to_searchable_s"] = round(time.perf_counter() - t, 2)
        pg["found_after_write"] = bool(rows) and all(r[0].startswith("neu-") for r in rows)
        t = time.perf_counter()  # a serving process reloads the generation (passages, vocabulary) to return it
        reader = store.open_current()
        pg["reader_reload_s"] = round(time.perf_counter() - t, 2)
        result["postgres"] = pg
        result["hybrid_p50_ratio_pg_to_embedded"] = round(pg["hybrid_1"]["p50_ms"] / result["embedded"]["hybrid_1"]["p50_ms"], 2)
        reader.close()
        view.close()
        store.close()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


def _rss_mb() -> float:
    return _pid_rss_mb(os.getpid())


def _pid_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its children (PostgreSQL's backends), MiB."""
    import psutil

    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20


class _ServingWatch:
    """What a serving process sees during a staged upload: a thread that, like
    ``service.snapshots.SnapshotHolder``, checks the store's version every 50 ms, reads the
    delta (``index.runtime.refresh_searcher``) and searches; it records the seconds from the
    upload's start until the marker is found by BM25 (``bm25_searchable_s``) and until the
    dense arm finds one of the document's passages (``fully_searchable_s``), and each
    delta reload's duration."""

    def __init__(self, settings, emb, searcher):
        self.settings, self.emb, self.searcher = settings, emb, searcher
        self.out: dict = {"delta_reload_s": []}
        self._stop = threading.Event()

    def start(self, t0: float) -> None:
        self.t0 = t0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        from index.runtime import refresh_searcher
        from index.store import open_store

        store = open_store(self.settings)
        seen = Path(self.searcher.snapshot.path).name
        try:
            while not self._stop.is_set() and "fully_searchable_s" not in self.out:
                name = store.current_name()
                if name and name != seen:
                    t = time.perf_counter()
                    self.searcher = refresh_searcher(self.searcher, self.settings, self.emb) or self.searcher
                    self.out["delta_reload_s"].append(round(time.perf_counter() - t, 2))
                    seen = Path(self.searcher.snapshot.path).name
                    hits = self.searcher.search("Quellentaler Zwergpinscherverein", k=3, mode="bm25").hits
                    if hits and hits[0].passage.doc_id == "zwanzig-seiten":
                        self.out.setdefault("bm25_searchable_s", round(time.perf_counter() - self.t0, 1))
                    # the dense arm restricted to the document: hits once its vectors are written
                    dense = hits and self.searcher.search("Quellentaler Zwergpinscherverein", k=3, mode="dense",
                                                          filters=Filters(doc_ids=["zwanzig-seiten"])).hits
                    if dense:
                        self.out["fully_searchable_s"] = round(time.perf_counter() - self.t0, 1)
                time.sleep(0.05)
        finally:
            store.close()

    def stop(self) -> dict:
        deadline = time.monotonic() + 30  # the last version's reload
        while "fully_searchable_s" not in self.out and time.monotonic() < deadline:
            time.sleep(0.05)
        self._stop.set()
        self.thread.join()
        return self.out


def twenty_page_pdf(tmp: Path) -> Path:
    """A 20-page PDF of full pages (~300 words each) from a real corpus text, every page
    opening with the marker "Quellentaler Zwergpinscherverein"."""
    from fpdf import FPDF

    source = (ROOT / "corpus" / "phineo-weltoffene-kommune.txt").read_text(encoding="utf-8")
    words = source.split()
    words = words * (6000 // max(len(words), 1) + 1)  # 20 full pages of ~300 words, however short the text
    pdf = FPDF()
    pdf.set_font("helvetica", size=10)
    for page in range(20):
        chunk = " ".join(words[page * 300:(page + 1) * 300]) or "Seite"
        pdf.add_page()
        pdf.multi_cell(0, 5, ("Quellentaler Zwergpinscherverein. " + chunk).encode("latin-1", "replace").decode("latin-1"))
    doc = tmp / "zwanzig-seiten.pdf"
    pdf.output(str(doc))
    return doc


def http_upload(database_url: str | None, out: Path | None, rounds: int = 2, load: int = 0) -> dict:
    """The whole user path: ``praxisfinder serve`` with the real model, a 20-page PDF uploaded
    through ``POST /api/documents`` (sandboxed parse, the build child, on the PostgreSQL
    store the staged write), while a second client asks ``/api/search`` (BM25 for the
    marker; the dense arm restricted to the document) and ``/api/documents`` every 0.1 s.

    Two servers run side by side, one per arm: ``PRAXISFINDER_UPLOAD_WORKER=fresh`` (a new
    Python process for the parse and for the build, as before) and ``warm`` (both forked
    from fork servers started with the server; measured once ``/readyz`` reports them
    ready). The arms alternate, ``rounds`` uploads each (fresh, warm, fresh, warm, ...), so
    the shared machine's load hits both alike. On the PostgreSQL store at
    ``database_url`` both servers share the database; with ``database_url`` None, the
    embedded store, each serves its own copy of the current snapshot. Seconds from sending
    the upload until: the document is listed ``partial``, BM25 finds it, the dense arm finds
    it, the upload's response (with its ``timings`` and ``workers``). Each document is
    deleted after its round."""
    import secrets

    import httpx

    from tools.liveserver import ServerProcess

    settings = Settings.from_env()
    tmp = Path(tempfile.mkdtemp(prefix="bench-http-"))
    doc = twenty_page_pdf(tmp)
    token = secrets.token_hex(16)
    store = "postgres" if database_url else "embedded"
    servers: dict[str, ServerProcess] = {}
    result: dict = {"store": store, "rounds": [], "load_average_before": os.getloadavg()}
    loaders: list[subprocess.Popen] = []
    try:
        _start_arms(servers, tmp, token, store, database_url, settings)
        for arm, server in servers.items():
            httpx.get(server.url + "/api/search", params={"q": "Sprachkurse", "k": 3}, timeout=120)  # warm
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:  # the warm arm's fork servers have loaded
            ready = httpx.get(servers["warm"].url + "/readyz", timeout=30).json().get("upload_workers") or {}
            if ready and all(v == "ready" for v in ready.values()):
                break
            time.sleep(0.5)
        result["warm_workers_ready_after_start_s"] = round(300 - (deadline - time.monotonic()), 1)
        result["rss_mb"] = {arm: _tree_rss_mb(server.pid) for arm, server in servers.items()}
        loaders += [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(load)]
        if load:
            time.sleep(20)  # the load average follows
            result["busy_loops"] = load
        for n in range(rounds):
            for arm, server in servers.items():
                seen = _one_upload(server.url, doc, token)
                seen.update(arm=arm, round=n + 1, load_average=[round(x, 2) for x in os.getloadavg()])
                result["rounds"].append(seen)
                print(json.dumps(seen), flush=True)
    finally:
        for loader in loaders:
            loader.kill()
            loader.wait()
        for server in servers.values():
            server.__exit__(None, None, None)
        shutil.rmtree(tmp, ignore_errors=True)
    summary = {}
    for arm in servers:
        mine = [r for r in result["rounds"] if r["arm"] == arm]
        summary[arm] = {key: statistics.median(r[key] for r in mine if key in r) for key in
                        ("listed_partial_s", "bm25_s", "dense_s", "response_s") if any(key in r for r in mine)}
    result["median"] = summary
    result["load_average_after"] = os.getloadavg()
    print(json.dumps(result, indent=1))
    if out:
        out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result


def _start_arms(servers: dict, tmp: Path, token: str, store: str, database_url: str | None, settings) -> None:
    """Start one ``praxisfinder serve`` per arm of :func:`http_upload` into ``servers``."""
    from tools.liveserver import ServerProcess

    for arm in ("fresh", "warm"):
        env = {"PRAXISFINDER_STORE": store, "PRAXISFINDER_DATA_DIR": str(tmp / arm / "var"),
               "PRAXISFINDER_UPLOAD_TOKEN": token, "PRAXISFINDER_UPLOAD_WORKER": arm,
               "PRAXISFINDER_RELOAD_CHECK_SECONDS": "0.2", "PRAXISFINDER_READ_RATE_PER_MINUTE": "0"}
        if database_url:
            env["PRAXISFINDER_DATABASE_URL"] = database_url
        else:
            shutil.copytree(settings.storage.snapshots_dir, tmp / arm / "var" / "snapshots",
                            ignore=lambda d, names: [n for n in names if n.startswith(".")])
        servers[arm] = ServerProcess(env=env, log=tmp / f"server-{arm}.log").__enter__()


def _tree_rss_mb(pid: int) -> dict[str, float]:
    """Resident memory (MiB) of the server ``pid`` and of each of its fork servers' zygotes
    (children whose command line names ``ingest.forkserver``), read from /proc."""
    def rss(p: int) -> float:
        status = Path(f"/proc/{p}/status").read_text()
        return round(int(next(x.split()[1] for x in status.splitlines() if x.startswith("VmRSS:"))) / 1024, 1)

    out = {"server": rss(pid)}
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                cmd = (proc / "cmdline").read_bytes().decode(errors="replace")
                if "ingest.forkserver" in cmd:
                    out["zygote " + cmd.split("\0")[3].split(":")[0]] = rss(int(proc.name))
        except (OSError, ValueError, IndexError):
            continue
    return out


def _one_upload(base: str, doc: Path, token: str) -> dict:
    """One round of :func:`http_upload` against the server at ``base``: upload, watch,
    wait for the response and the dense arm, delete."""
    import httpx

    seen: dict = {}
    done = threading.Event()

    def watch(t0: float) -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            while not done.is_set() and "dense_s" not in seen:
                docs = {d["id"]: d.get("indexing") for d in c.get("/api/documents").json()}
                if docs.get("zwanzig-seiten") == "partial":
                    seen.setdefault("listed_partial_s", round(time.perf_counter() - t0, 2))
                hits = c.get("/api/search", params={"q": "Quellentaler Zwergpinscherverein", "k": 3,
                                                    "mode": "bm25"}).json().get("results", [])
                if hits and hits[0]["doc_id"] == "zwanzig-seiten":
                    seen.setdefault("bm25_s", round(time.perf_counter() - t0, 2))
                    dense = c.get("/api/search", params={"q": "Quellentaler Zwergpinscherverein", "k": 3,
                                                         "mode": "dense", "doc": "zwanzig-seiten"})
                    if dense.status_code == 200 and dense.json().get("results"):
                        seen["dense_s"] = round(time.perf_counter() - t0, 2)
                time.sleep(0.1)

    t0 = time.perf_counter()
    watcher = threading.Thread(target=watch, args=(t0,), daemon=True)
    watcher.start()
    with doc.open("rb") as fh:
        r = httpx.post(base + "/api/documents", files={"file": (doc.name, fh, "application/pdf")},
                       headers={"Authorization": f"Bearer {token}"}, timeout=900)
    seen["response_s"] = round(time.perf_counter() - t0, 2)
    seen["status"] = r.status_code
    body = r.json()
    seen["timings"] = body.get("timings")
    seen["workers"] = body.get("workers")
    deadline = time.monotonic() + 30
    while "dense_s" not in seen and time.monotonic() < deadline:
        time.sleep(0.1)
    done.set()
    watcher.join()
    httpx.delete(base + "/api/documents/zwanzig-seiten", headers={"Authorization": f"Bearer {token}"}, timeout=900)
    time.sleep(1.0)  # both servers see the delete before the next round
    return seen


def real_corpus(database_url: str, out: Path | None) -> dict:
    """Time-to-searchable of one 20-page PDF on the real corpus with the real model, both
    stores: the embedded store on a copy of the current snapshot (``build_index(add=True)``:
    parse, embed the new passages, rebuild BM25/catalogue/vectors, publish), the PostgreSQL
    store at ``database_url`` holding the same generation (``praxisfinder store-copy``):
    parse, a staged write (BM25 first, then embed and the vectors; ``build_index(staged=True)``),
    until a newly opened searcher finds the document; beside it, a serving process' view
    (``_ServingWatch``: delta reloads, time to BM25-searchable and to fully searchable)."""
    from fpdf import FPDF

    from index.build import build_index
    from index.runtime import load_embedder, open_searcher

    settings = Settings.from_env()
    emb = load_embedder(settings)
    source = (ROOT / "corpus" / "phineo-weltoffene-kommune.txt").read_text(encoding="utf-8")
    words = source.split()
    words = words * (6000 // max(len(words), 1) + 1)  # 20 full pages of ~300 words, however short the text
    tmp = Path(tempfile.mkdtemp(prefix="bench-real-"))
    pdf = FPDF()
    pdf.set_font("helvetica", size=10)
    for page in range(20):  # 20 pages of ~300 words each from a real corpus text, with one marker word
        chunk = " ".join(words[page * 300:(page + 1) * 300]) or "Seite"
        pdf.add_page()
        pdf.multi_cell(0, 5, ("Quellentaler Zwergpinscherverein. " + chunk).encode("latin-1", "replace").decode("latin-1"))
    doc = tmp / "zwanzig-seiten.pdf"
    pdf.output(str(doc))
    result = {}
    data = tmp / "var"
    shutil.copytree(settings.storage.snapshots_dir.parent / "snapshots", data / "snapshots",
                    ignore=lambda d, names: [n for n in names if n.startswith(".")])
    for name, s in (("embedded", settings.with_(data_dir=data)),
                    ("postgres", settings.with_(store="postgres", database_url=database_url))):
        before = open_searcher(s, emb)
        watch = _ServingWatch(s, emb, before) if name == "postgres" else None
        t = time.perf_counter()
        if watch:
            watch.start(t)
        outcome = build_index(s, emb, [doc], add=True, staged=name == "postgres")
        written = time.perf_counter() - t
        found = open_searcher(s, emb).search("Quellentaler Zwergpinscherverein", k=3, mode="bm25").hits
        result[name] = {"passages_before": len(before.passages), "write_s": round(written, 1),
                        "time_to_searchable_s": round(time.perf_counter() - t, 1),
                        "found": bool(found) and found[0].passage.doc_id == "zwanzig-seiten",
                        "timings": outcome.timings}
        if watch:
            result[name]["serving_process"] = watch.stop()
    build_index(settings.with_(store="postgres", database_url=database_url), emb, remove=("zwanzig-seiten",))
    shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result, indent=1))
    if out:
        out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
