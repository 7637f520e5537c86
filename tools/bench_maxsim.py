"""MaxSim rerank cost, side by side in one run: the former way (the candidates' token
vectors copied into one matrix, NumPy's BLAS at its default thread count) and the current
one (``TokenStore.maxsim``: each candidate's rows multiplied in place, BLAS capped at one
thread, ``index.blas``).

    python -m tools.bench_maxsim --rounds 200

Uses the current snapshot's token vectors; each round takes 30 random candidates and 16
random token vectors of another passage as the query, and times both ways alternately.
"""

from __future__ import annotations

import argparse
import json

import numpy as np


def concatenated(store, q: np.ndarray, candidates: list[int]) -> list[tuple[int, float]]:
    """The former MaxSim: one product over a copy of all the candidates' tokens."""
    spans = [(i, int(store.offsets[i]), int(store.offsets[i + 1])) for i in candidates]
    spans = [(i, a, b) for i, a, b in spans if b > a]
    tokens = np.concatenate([store.matrix[a:b] for _, a, b in spans])
    sims = q.astype(tokens.dtype) @ tokens.T
    starts = np.cumsum([0] + [b - a for _, a, b in spans[:-1]])
    best = np.maximum.reduceat(sims, starts, axis=1)
    return sorted(((i, float(s)) for (i, _, _), s in zip(spans, best.mean(axis=0))), key=lambda x: (-x[1], x[0]))


def main(argv: list[str] | None = None) -> int:
    """Time the old (copying) and the new (in-place) MaxSim side by side; prints p50/p95 in ms, returns 0."""
    import time

    from threadpoolctl import threadpool_limits

    from core.settings import Settings
    from index.snapshot import SnapshotStore, load_snapshot

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--candidates", type=int, default=30)
    args = ap.parse_args(argv)
    snap = load_snapshot(SnapshotStore(Settings.from_env().storage.snapshots_dir).current_path())
    store = snap.tokens
    store.matrix = np.asarray(store.matrix, dtype=np.float32)  # as DenseArm holds it
    rng = np.random.default_rng(5)
    n = len(store.offsets) - 1
    times: dict[str, list[float]] = {"former (copy, default BLAS threads)": [], "current (in place, 1 BLAS thread)": []}
    for _ in range(args.rounds):
        cands = [int(i) for i in rng.choice(n, args.candidates, replace=False)]
        src = store.get(int(rng.integers(n)))
        q = np.asarray(src[rng.choice(len(src), min(16, len(src)), replace=False)], dtype=np.float32)
        t = time.perf_counter()
        old = concatenated(store, q, cands)
        times["former (copy, default BLAS threads)"].append((time.perf_counter() - t) * 1000)
        with threadpool_limits(limits=1, user_api="blas"):
            t = time.perf_counter()
            new = store.maxsim(q, cands)
            times["current (in place, 1 BLAS thread)"].append((time.perf_counter() - t) * 1000)
        assert [i for i, _ in old] == [i for i, _ in new]
    report = {k: {"p50_ms": round(float(np.percentile(v, 50)), 2), "p95_ms": round(float(np.percentile(v, 95)), 2)}
              for k, v in times.items()}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
