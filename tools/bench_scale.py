"""How the dense index scales: a million synthetic passages on one machine.

Builds an approximate FAISS index (the same ``index.ann`` backends and the same
Settings the service uses) over N synthetic unit vectors, then measures, in a fresh
process that only loads the saved index (what a serving replica holds):
build time, resident memory, single-query latency (p50/p95, 1 and 2 threads) and
recall@10 against exact inner-product search on 1,000 held-out queries; then filtered
searches (``--filter 0.01``: a random 1 % of the ids allowed) with their recall against
exact search over the allowed vectors (``index.ann.subset``).

The vectors imitate sentence embeddings: cluster centres (the real snapshot's passage
vectors when one exists, else random), a shared low-dimensional variation (intrinsic
dimension 32, like real text embeddings) and a little isotropic noise. Ground truth is
computed chunk by chunk while generating, so the full matrix is never held twice.

    python -m tools.bench_scale --n 1000000 --backend faiss-hnsw --hnsw-m 16 \\
        --ef-construction 80 --ef-search 64,128,256 --out var/bench/scale-hnsw.json
    python -m tools.bench_scale --serve-only var/bench/scale1m --filter 0.001,0.01,0.05,0.2  # a kept --workdir
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from index import ann as vector_backends
from index.snapshot import SnapshotStore
from core.settings import Settings

DIM = 384
K = 10
LATENT = 32


def rss_mb() -> dict[str, float]:
    """Current and peak resident set size of this process, in MiB."""
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out["rss_mb" if line.startswith("VmRSS") else "peak_rss_mb"] = int(line.split()[1]) / 1024
    return out


class Generator:
    """Chunks of clustered, low-intrinsic-dimension unit vectors (float32)."""

    def __init__(self, dim: int = DIM, seed: int = 7, centres: np.ndarray | None = None, n_centres: int = 2000):
        self.rng = np.random.default_rng(seed)
        if centres is None or len(centres) == 0:
            centres = self.rng.standard_normal((n_centres, dim), dtype=np.float32)
        self.centres = _normalise(np.asarray(centres, dtype=np.float32))
        self.basis = (self.rng.standard_normal((LATENT, dim), dtype=np.float32) / np.sqrt(LATENT)).astype(np.float32)
        self.dim = dim

    def sample(self, n: int) -> np.ndarray:
        """``n`` unit vectors, float32 (n, dim): a random centre + 0.6 × a 32-dim latent
        variation + 0.15 × isotropic noise, L2-normalised."""
        which = self.rng.integers(0, len(self.centres), n)
        z = self.rng.standard_normal((n, LATENT), dtype=np.float32)
        noise = self.rng.standard_normal((n, self.dim), dtype=np.float32) / np.sqrt(self.dim)
        return _normalise(self.centres[which] + 0.6 * (z @ self.basis) + 0.15 * noise)


def _normalise(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def real_centres(settings: Settings) -> np.ndarray | None:
    """The current snapshot's passage vectors (float32 (n, 384)) as cluster centres, or
    None when there is no snapshot or its dimension is not 384."""
    path = SnapshotStore(settings.storage.snapshots_dir).current_path()
    if path is None or not (path / "vectors.npy").exists():
        return None
    vecs = np.load(path / "vectors.npy")
    return vecs if vecs.shape[1] == DIM else None


def dense_params(settings: Settings, ef_construction: int) -> dict:
    """The service's vector-index parameters (``index.ann.factory.dense_params``) with the
    benchmark's own HNSW ``ef_construction``."""
    from index.ann.factory import dense_params as params_of

    return {**params_of(settings.ann), "hnsw_ef_construction": ef_construction}


def build(settings: Settings, n: int, n_queries: int, chunk: int, ef_construction: int, out_dir: Path) -> dict:
    """Generate, index and save; exact top-10 of the queries is kept on the way."""
    gen = Generator(centres=real_centres(settings))
    queries = gen.sample(n_queries)
    index = vector_backends.create(settings.ann.vector_backend, DIM, dense_params(settings, ef_construction))
    best_s = np.full((n_queries, K), -np.inf, dtype=np.float32)
    best_i = np.full((n_queries, K), -1, dtype=np.int64)
    t0, t_gen = time.perf_counter(), 0.0
    if settings.ann.vector_backend == "faiss-ivfpq":  # IVF-PQ trains on a sample before the first add
        index.add(gen.sample(min(n, 100_000)))
        index._index.reset()  # keep the trained quantizers, drop the training vectors
    for start in range(0, n, chunk):
        tg = time.perf_counter()
        x = gen.sample(min(chunk, n - start))
        sims = queries @ x.T
        local = np.argpartition(-sims, K - 1, axis=1)[:, :K]
        cand_s = np.concatenate([best_s, np.take_along_axis(sims, local, 1)], axis=1)
        cand_i = np.concatenate([best_i, local + start], axis=1)
        del sims
        top = np.argpartition(-cand_s, K - 1, axis=1)[:, :K]
        best_s, best_i = np.take_along_axis(cand_s, top, 1), np.take_along_axis(cand_i, top, 1)
        t_gen += time.perf_counter() - tg
        index.add(x)
        print(f"  added {start + len(x):,}/{n:,}  {time.perf_counter() - t0:.0f}s  {rss_mb()}", file=sys.stderr, flush=True)
    build_s = time.perf_counter() - t0 - t_gen
    out_dir.mkdir(parents=True, exist_ok=True)
    index.save(out_dir / "dense")
    np.save(out_dir / "queries.npy", queries)
    np.save(out_dir / "truth.npy", best_i)
    return {"n": n, "backend": settings.ann.vector_backend, "params": getattr(index, "params", {}), "build_s": round(build_s, 1),
            "generate_and_truth_s": round(t_gen, 1), "build_process": rss_mb(),
            "index_bytes_on_disk": sum(f.stat().st_size for f in (out_dir / "dense").iterdir())}


def serve(out_dir: Path, ef_search: list[int], nprobe: list[int], filters: list[float] = (),
          filter_exact_max: int | None = None) -> dict:
    """In a fresh process: load the saved index like a replica does, then measure queries."""
    import faiss

    before = rss_mb()
    t0 = time.perf_counter()
    index = vector_backends.load(out_dir / "dense", {} if filter_exact_max is None else {"filter_exact_max": filter_exact_max})
    load_s = time.perf_counter() - t0
    loaded = rss_mb()
    queries, truth = np.load(out_dir / "queries.npy"), np.load(out_dir / "truth.npy")
    knobs = [("ef_search", v) for v in ef_search] if "hnsw" in index.backend else [("nprobe", v) for v in nprobe]
    rows = []
    for name, value in knobs:
        if name == "ef_search":
            index._index.hnsw.efSearch = value
        else:
            index._index.nprobe = value
        row = {name: value}
        for threads in (1, 2):
            faiss.omp_set_num_threads(threads)
            lat, found = [], []
            for q in queries:
                t = time.perf_counter()
                _, ids = index.search(q[None, :], K)
                lat.append((time.perf_counter() - t) * 1000)
                found.append(ids[0])
            lat_arr = np.array(lat)
            row[f"p50_ms_{threads}t"] = round(float(np.percentile(lat_arr, 50)), 3)
            row[f"p95_ms_{threads}t"] = round(float(np.percentile(lat_arr, 95)), 3)
        hits = [len(set(f.tolist()) & set(t.tolist())) for f, t in zip(found, truth)]
        row["recall_at_10"] = round(float(np.mean(hits)) / K, 4)
        rows.append(row)
    filtered = [filtered_rows(index, queries, share, faiss) for share in filters]
    return {"load_s": round(load_s, 1), "rss_before_load_mb": round(before["rss_mb"], 1),
            "rss_loaded_mb": round(loaded["rss_mb"], 1), "serving_process": rss_mb(), "queries": rows,
            "filtered": filtered}


def filtered_rows(index, queries: np.ndarray, share: float, faiss, seed: int = 11) -> dict:
    """Filtered search keeping ``share`` of the vectors (a random id set, like a filter on
    a field that does not follow the vectors): p50/p95 per query (the ``allowed`` ids
    passed each time, as the searcher does) and recall@10 against exact search over the
    allowed vectors. Two plans: the backend's own choice (``filter_exact_max``) and,
    for comparison, always the graph/cells with an ID selector. With one thread the
    searching thread's CPU time is reported too (``time.thread_time``): on a shared,
    overloaded machine the wall time also counts the time the thread waited for a core."""
    n = index.ntotal
    allowed = np.sort(np.random.default_rng(seed).choice(n, max(1, int(round(share * n))), replace=False))
    sims = queries @ index._index.reconstruct_batch(allowed).T  # exact answer over the allowed vectors
    truth = allowed[np.argsort(-sims, axis=1)[:, :K]]
    del sims
    out = {"share": share, "allowed": int(len(allowed)), "filter_exact_max": int(index.params["filter_exact_max"])}
    default_exact_max = index.params["filter_exact_max"]
    plans = [("auto", default_exact_max, (1, 2)), ("selector", 0, (1,))]
    for plan, exact_max, thread_counts in plans:
        index.params["filter_exact_max"] = exact_max
        for threads in thread_counts:
            faiss.omp_set_num_threads(threads)
            lat, cpu, found = [], [], []
            for q in queries:
                t, c = time.perf_counter(), time.thread_time()
                _, ids = index.search(q[None, :], K, allowed=allowed)
                lat.append((time.perf_counter() - t) * 1000)
                cpu.append((time.thread_time() - c) * 1000)
                found.append(ids[0])
            out[f"{plan}_p50_ms_{threads}t"] = round(float(np.percentile(lat, 50)), 3)
            out[f"{plan}_p95_ms_{threads}t"] = round(float(np.percentile(lat, 95)), 3)
            if threads == 1:  # CPU time of the searching thread: the wall time a machine not shared would show
                out[f"{plan}_cpu_p50_ms_1t"] = round(float(np.percentile(cpu, 50)), 3)
        hits = [len(set(f.tolist()) & set(t.tolist())) for f, t in zip(found, truth)]
        out[f"{plan}_recall_at_10"] = round(float(np.mean(hits)) / K, 4)
    index.params["filter_exact_max"] = default_exact_max
    return out


def main(argv: list[str] | None = None) -> int:
    """CLI (usage in the module docstring): build in this process, measure in a fresh one
    (``--serve-only``), print the result as JSON (``--out`` also writes it). Returns 0;
    a failed serving process raises ``subprocess.CalledProcessError``."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--chunk", type=int, default=50_000)
    ap.add_argument("--backend", default="faiss-hnsw", help="faiss-hnsw | faiss-hnsw-sq8 | faiss-ivfpq")
    ap.add_argument("--hnsw-m", type=int, default=16)
    ap.add_argument("--ef-construction", type=int, default=80)
    ap.add_argument("--ef-search", default="64,128,256")
    ap.add_argument("--ivf-nlist", type=int, default=4096)
    ap.add_argument("--nprobe", default="16,32,64")
    ap.add_argument("--pq-m", type=int, default=48)
    ap.add_argument("--filter", default="0.01",
                    help="Shares of the vectors a filtered search keeps, comma-separated (0.01 = 1 %%); empty = none.")
    ap.add_argument("--filter-exact-max", type=int, default=None,
                    help="Override the backend's filter_exact_max (default: the setting's value).")
    ap.add_argument("--workdir", type=Path, default=None, help="Keep the built index here (default: a temp dir).")
    ap.add_argument("--out", type=Path, default=None, help="Write the result as JSON here.")
    ap.add_argument("--serve-only", type=Path, default=None, help="Only load and measure an index kept with --workdir.")
    args = ap.parse_args(argv)
    ef_search = [int(v) for v in args.ef_search.split(",")]
    nprobe = [int(v) for v in args.nprobe.split(",")]
    filters = [float(v) for v in args.filter.split(",") if v.strip()]
    exact_max = args.filter_exact_max if args.filter_exact_max is not None else Settings.from_env().ann.filter_exact_max
    if args.serve_only:
        print(json.dumps(serve(args.serve_only, ef_search, nprobe, filters, exact_max)))
        return 0
    settings = Settings.from_env(vector_backend=args.backend, hnsw_m=args.hnsw_m, hnsw_ef_search=ef_search[0],
                                 ivf_nlist=args.ivf_nlist, ivf_nprobe=nprobe[0], pq_m=args.pq_m)
    with tempfile.TemporaryDirectory(prefix="pf-scale-") as tmp:
        work = args.workdir or Path(tmp)
        result = {"machine": {"cpus": os.cpu_count(), "loadavg_start": os.getloadavg()}}
        result["build"] = build(settings, args.n, args.queries, args.chunk, args.ef_construction, work)
        proc = subprocess.run([sys.executable, "-m", "tools.bench_scale", "--serve-only", str(work),
                               "--ef-search", args.ef_search, "--nprobe", args.nprobe, "--filter", args.filter,
                               "--filter-exact-max", str(exact_max)],
                              capture_output=True, text=True, check=True)
        result["serve"] = json.loads(proc.stdout.strip().splitlines()[-1])
        result["machine"]["loadavg_end"] = os.getloadavg()
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
