"""A bounded load test against a praxisfinder server on this machine.

N concurrent clients (httpx.AsyncClient) send ``GET /api/search`` with the evaluation
queries for a fixed time each; the report gives throughput, p50/p95/p99 latency, errors
and the load average. Only loopback addresses are accepted as targets.

    .venv/bin/praxisfinder serve --port 8765 &
    .venv/bin/python -m service.loadtest --url http://127.0.0.1:8765 --concurrency 1,2,4,8 --duration 60
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import numpy as np

QUERIES = Path(__file__).resolve().parents[1] / "eval" / "judgments.jsonl"
FALLBACK = ["Wie organisieren ländliche Gemeinden Ehrenamtliche?", "Sprachkurse für Geflüchtete",
            "Wohnraum für Zugewanderte", "Willkommenskultur in Kleinstädten", "Integrationsbeirat"]


def loopback_only(url: str) -> None:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise SystemExit(f"refusing to load-test {host!r}: only loopback addresses (127.0.0.0/8, ::1, localhost)")


def load_queries(path: Path = QUERIES) -> list[str]:
    try:
        return [json.loads(line)["query"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError, KeyError):
        return FALLBACK


async def run_level(url: str, concurrency: int, duration: float, queries: list[str], k: int = 10,
                    timeout: float = 30.0, max_requests: int = 1_000_000) -> dict:
    """``concurrency`` clients loop over the queries until ``duration`` seconds have passed."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    counter = iter(range(max_requests))
    deadline = time.monotonic() + duration

    async def client(session: httpx.AsyncClient) -> None:
        for n in counter:
            if time.monotonic() >= deadline:
                return
            q = queries[n % len(queries)]
            t0 = time.perf_counter()
            try:
                r = await session.get("/api/search", params={"q": q, "k": k})
                ok = r.status_code == 200
                key = f"http {r.status_code}"
            except httpx.HTTPError as exc:
                ok, key = False, type(exc).__name__
            if ok:
                latencies.append((time.perf_counter() - t0) * 1000)
            else:
                errors[key] = errors.get(key, 0) + 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    load_before = os.getloadavg()
    start = time.monotonic()
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as session:
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
    elapsed = time.monotonic() - start
    lat = np.array(latencies) if latencies else np.zeros(1)
    return {"concurrency": concurrency, "seconds": round(elapsed, 1), "requests": len(latencies),
            "throughput_rps": round(len(latencies) / elapsed, 2),
            "p50_ms": round(float(np.percentile(lat, 50)), 1), "p95_ms": round(float(np.percentile(lat, 95)), 1),
            "p99_ms": round(float(np.percentile(lat, 99)), 1), "errors": errors,
            "loadavg_before": [round(v, 2) for v in load_before],
            "loadavg_after": [round(v, 2) for v in os.getloadavg()]}


async def run(url: str, levels: list[int], duration: float, warmup: float = 5.0) -> list[dict]:
    queries = load_queries()
    loopback_only(url)
    async with httpx.AsyncClient(base_url=url, timeout=60) as session:
        (await session.get("/readyz")).raise_for_status()
    if warmup > 0:
        await run_level(url, 1, warmup, queries)
    return [await run_level(url, c, duration, queries) for c in levels]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Bounded load test of GET /api/search on a loopback server.")
    ap.add_argument("--url", default="http://127.0.0.1:8765")
    ap.add_argument("--concurrency", default="1,2,4,8", help="Comma-separated client counts, run one after another.")
    ap.add_argument("--duration", type=float, default=60.0, help="Seconds per concurrency level.")
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--out", type=Path, default=None, help="Write the results as JSON here.")
    args = ap.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",")]
    rows = asyncio.run(run(args.url, levels, args.duration, args.warmup))
    print(f"{'clients':>7} {'req':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}  errors  load(1m)")
    for r in rows:
        print(f"{r['concurrency']:>7} {r['requests']:>6} {r['throughput_rps']:>7} {r['p50_ms']:>7} {r['p95_ms']:>7} "
              f"{r['p99_ms']:>7}  {sum(r['errors'].values()):>6}  {r['loadavg_after'][0]}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=2) + "\n")
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
