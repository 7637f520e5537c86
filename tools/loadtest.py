"""A bounded load test against a praxisfinder server on this machine.

N concurrent clients (httpx.AsyncClient) send ``GET /api/search`` for a fixed time (and
at most ``max_requests``) each; the report gives throughput, p50/p95/p99 latency, errors
and the load average, separately for

- ``cold``: every request a query the server has never seen (an evaluation query plus a
  per-run unique suffix), so the query-vector cache never hits: the cost of a new query;
- ``warm``: a fixed set of ``WARM_QUERIES`` evaluation queries, primed once, then repeated:
  the cost of a repeated query (cache hit; no query embedding).

Only loopback addresses are accepted as targets.

    PRAXISFINDER_READ_RATE_PER_MINUTE=0 .venv/bin/praxisfinder serve --port 8765 &
    .venv/bin/python -m tools.loadtest --url http://127.0.0.1:8765 --concurrency 1,4,8 --duration 60
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import httpx
import numpy as np

QUERIES = Path(__file__).resolve().parents[1] / "eval" / "judgments.jsonl"
FALLBACK = ["Wie organisieren ländliche Gemeinden Ehrenamtliche?", "Sprachkurse für Geflüchtete",
            "Wohnraum für Zugewanderte", "Willkommenskultur in Kleinstädten", "Integrationsbeirat"]


def loopback_only(url: str) -> None:
    """Return if ``url``'s host is ``localhost`` or a loopback address (127.0.0.0/8, ::1);
    otherwise raise ``SystemExit`` with the reason (this tool must not load other hosts)."""
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
    """The ``query`` of every line of a judgments JSONL file (default eval/judgments.jsonl),
    in file order; the five built-in ``FALLBACK`` queries when it cannot be read or parsed."""
    try:
        return [json.loads(line)["query"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError, KeyError):
        return FALLBACK


WARM_QUERIES = 20
MAX_REQUESTS = 100_000


def cold_queries(queries: list[str], salt: str | None = None):
    """Query n: an evaluation query plus a suffix unique to this run and request."""
    salt = salt or uuid.uuid4().hex[:6]
    return lambda n: f"{queries[n % len(queries)]} {salt}{n}"


async def run_level(url: str, concurrency: int, duration: float, queries, k: int = 10,
                    timeout: float = 30.0, max_requests: int = MAX_REQUESTS, cache: str = "warm") -> dict:
    """``concurrency`` clients send searches until ``duration`` seconds have passed or
    ``max_requests`` were sent; ``queries`` is a list (looped) or a function of the request number.

    Returns one row: ``cache``, ``concurrency``, ``seconds`` (wall time), ``requests``
    (successful ones), ``throughput_rps``, ``p50_ms``/``p95_ms``/``p99_ms`` (latency of
    successful requests, milliseconds, NumPy percentiles), ``errors`` (count per
    ``"http <status>"`` or httpx exception name) and the 1/5/15-minute load averages
    before and after. ``timeout`` is per request, in seconds."""
    pick = queries if callable(queries) else (lambda n: queries[n % len(queries)])
    latencies: list[float] = []
    errors: dict[str, int] = {}
    counter = iter(range(max_requests))
    deadline = time.monotonic() + duration

    async def client(session: httpx.AsyncClient) -> None:
        for n in counter:
            if time.monotonic() >= deadline:
                return
            q = pick(n)
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
    return {"cache": cache, "concurrency": concurrency, "seconds": round(elapsed, 1), "requests": len(latencies),
            "throughput_rps": round(len(latencies) / elapsed, 2),
            "p50_ms": round(float(np.percentile(lat, 50)), 1), "p95_ms": round(float(np.percentile(lat, 95)), 1),
            "p99_ms": round(float(np.percentile(lat, 99)), 1), "errors": errors,
            "loadavg_before": [round(v, 2) for v in load_before],
            "loadavg_after": [round(v, 2) for v in os.getloadavg()]}


async def run(url: str, levels: list[int], duration: float, warmup: float = 5.0,
              caches: tuple[str, ...] = ("cold", "warm"), max_requests: int = MAX_REQUESTS) -> list[dict]:
    """Each cache mode at each concurrency level, one after another (in ``caches`` order;
    cold first by default); returns the ``run_level`` rows.

    Checks ``GET /readyz`` first (``httpx.HTTPStatusError`` if not ready), then warms up for
    ``warmup`` seconds with unique queries. Raises ``SystemExit`` for a non-loopback
    ``url`` and ``ValueError`` for a cache mode other than cold or warm."""
    queries = load_queries()
    loopback_only(url)
    async with httpx.AsyncClient(base_url=url, timeout=60) as session:
        (await session.get("/readyz")).raise_for_status()
    if warmup > 0:  # load the model and the snapshot; unique queries, so nothing warm is left behind
        await run_level(url, 1, warmup, cold_queries(queries), max_requests=max_requests, cache="warmup")
    rows = []
    for cache in caches:
        if cache not in ("cold", "warm"):
            raise ValueError(f"unknown cache mode {cache!r}; choose cold or warm")
        if cache == "warm":
            async with httpx.AsyncClient(base_url=url, timeout=60) as session:
                for q in queries[:WARM_QUERIES]:  # prime the cache
                    await session.get("/api/search", params={"q": q, "k": 10})
        for c in levels:  # a fresh suffix per cold level: no level repeats another's queries
            source = cold_queries(queries) if cache == "cold" else queries[:WARM_QUERIES]
            rows.append(await run_level(url, c, duration, source, max_requests=max_requests, cache=cache))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Command line (``python -m tools.loadtest --help``): run, print a table, optionally
    write the rows as JSON (``--out``); exit code 1 if any request failed, else 0."""
    ap = argparse.ArgumentParser(description="Bounded load test of GET /api/search on a loopback server.")
    ap.add_argument("--url", default="http://127.0.0.1:8765")
    ap.add_argument("--concurrency", default="1,2,4,8", help="Comma-separated client counts, run one after another.")
    ap.add_argument("--duration", type=float, default=60.0, help="Seconds per concurrency level.")
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--cache", default="cold,warm", help="cold (unique queries), warm (repeated queries), or both.")
    ap.add_argument("--max-requests", type=int, default=MAX_REQUESTS, help="Upper bound on requests per level.")
    ap.add_argument("--out", type=Path, default=None, help="Write the results as JSON here.")
    args = ap.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",")]
    caches = tuple(c.strip() for c in args.cache.split(",") if c.strip())
    rows = asyncio.run(run(args.url, levels, args.duration, args.warmup, caches, args.max_requests))
    print(f"{'cache':>5} {'clients':>7} {'req':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}  errors  load(1m)")
    for r in rows:
        print(f"{r['cache']:>5} {r['concurrency']:>7} {r['requests']:>6} {r['throughput_rps']:>7} {r['p50_ms']:>7} {r['p95_ms']:>7} "
              f"{r['p99_ms']:>7}  {sum(r['errors'].values()):>6}  {r['loadavg_after'][0]}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=2) + "\n")
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
