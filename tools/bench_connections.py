"""Other clients' searches while one address holds hundreds of slow or idle connections.

Starts the real server (``praxisfinder serve`` over the current snapshot and model, in a
child process, uploads on with a random token) and, for each attack kind in turn, opens
``--connections`` connections from 127.0.0.1 that reconnect when dropped (after
``--reconnect-delay`` seconds), while another client from 127.0.0.2 sends one cache-cold
search every ``--interval`` seconds. Kinds:

- ``idle``: connect and send nothing;
- ``slowloris``: a request head, one byte per second, never finished;
- ``slow-body``: a complete upload head (valid token, ``Content-Length`` 1 MB), then one
  body byte per second;
- ``no-read``: one search with a large answer (``k=100``, 4 KiB receive buffer), never
  reading a byte of it;
- ``pipeline``: ``GET /api/documents`` requests pipelined 200 at a time, never reading.

A ``baseline`` phase without an attack comes first. For each phase the victim's status
codes and latency (p50/p95/max, ms) and the attacker's connection outcomes are reported.
Only loopback addresses are used; every phase ends by itself after ``--duration`` s.

    .venv/bin/python -m tools.bench_connections --connections 300 --duration 45 --out docs/bench-connections.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import socket
import time
from pathlib import Path

import httpx
import numpy as np

from tools.liveserver import ServerProcess
from tools.loadtest import cold_queries, load_queries

ATTACKER = "127.0.0.1"
VICTIM = "127.0.0.2"
KINDS = ("idle", "slowloris", "slow-body", "no-read", "pipeline")


async def _attacker(kind: str, host: str, port: int, n: int, duration: float, delay: float, token: str,
                    stats: dict) -> None:
    deadline = time.monotonic() + duration
    head = b"GET /api/search?q=Ehrenamt HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 4000
    upload = (b"POST /api/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token.encode() +
              b"\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 1000000\r\n\r\n"
              b'--B\r\nContent-Disposition: form-data; name="file"; filename="x.txt"\r\n\r\n' + b"a" * 100_000)
    pipelined = b"GET /api/documents HTTP/1.1\r\nHost: x\r\n\r\n" * 200
    big = b"GET /api/search?q=Ehrenamt+Kommune+Integration&k=100&floor=false HTTP/1.1\r\nHost: x\r\n\r\n"

    async def one() -> None:
        loop = asyncio.get_running_loop()
        while time.monotonic() < deadline:
            sock = socket.socket()
            sock.setblocking(False)
            if kind in ("no-read", "pipeline"):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            try:
                sock.bind((host, 0))
                await loop.sock_connect(sock, (host, port))
                stats["connects"] += 1
                if kind == "slow-body":
                    await loop.sock_sendall(sock, upload[: -100_000])
                elif kind == "no-read":
                    await loop.sock_sendall(sock, big)
                first = True
                while time.monotonic() < deadline:
                    if kind == "no-read":  # never read the answer; only notice a refusal or a reset
                        await asyncio.sleep(0.5)
                        state = _peek(sock)
                        if state is None or state.startswith((b"HTTP/1.1 429", b"HTTP/1.1 503")):
                            if state:
                                key = "answer " + state[9:12].decode()
                                stats[key] = stats.get(key, 0) + 1
                            break
                        continue
                    if kind == "idle":
                        try:
                            data = await asyncio.wait_for(loop.sock_recv(sock, 4096), 1.0)
                        except asyncio.TimeoutError:
                            continue
                    elif kind == "pipeline":  # keep pipelining while the server reads; never read answers
                        try:
                            await asyncio.wait_for(loop.sock_sendall(sock, pipelined), 1.0)
                        except asyncio.TimeoutError:
                            pass
                        await asyncio.sleep(0.5)
                        if _peek(sock) is None:
                            break
                        continue
                    else:
                        chunk = head if kind == "slowloris" else upload
                        i = stats.setdefault(f"pos{id(sock)}", 0)
                        await loop.sock_sendall(sock, chunk[i % len(chunk): i % len(chunk) + 1])
                        stats[f"pos{id(sock)}"] = i + 1
                        try:
                            data = await asyncio.wait_for(loop.sock_recv(sock, 4096), 1.0)
                        except asyncio.TimeoutError:
                            continue
                    if first and data.startswith(b"HTTP/1.1 "):
                        code = data.split(b" ", 2)[1].decode()
                        stats[f"answer {code}"] = stats.get(f"answer {code}", 0) + 1
                        first = False
                    if not data:
                        break
            except (OSError, asyncio.TimeoutError):
                pass
            finally:
                stats.pop(f"pos{id(sock)}", None)
                sock.close()
                stats["closed"] += 1
            await asyncio.sleep(delay)

    await asyncio.gather(*(one() for _ in range(n)))


def _peek(sock: socket.socket) -> bytes | None:
    """The first bytes waiting on ``sock`` without reading them (b"" if none yet), or None
    once the peer has closed or reset it."""
    try:
        data = sock.recv(12, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        return data if data else None
    except BlockingIOError:
        return b""
    except OSError:
        return None


def _attack_process(kind, host, port, n, duration, delay, token, queue) -> None:
    stats = {"connects": 0, "closed": 0}
    asyncio.run(_attacker(kind, host, port, n, duration, delay, token, stats))
    queue.put({k: v for k, v in stats.items() if not k.startswith("pos")})


def victim(url: str, duration: float, interval: float, queries) -> dict:
    """Cache-cold searches from ``VICTIM`` every ``interval`` s for ``duration`` s."""
    latencies, codes = [], {}
    transport = httpx.HTTPTransport(local_address=VICTIM)
    deadline, n = time.monotonic() + duration, 0
    with httpx.Client(base_url=url, timeout=30, transport=transport) as client:
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            try:
                r = client.get("/api/search", params={"q": queries(n), "k": 10})
                key = str(r.status_code)
            except httpx.HTTPError as exc:
                key = type(exc).__name__
            latencies.append((time.perf_counter() - t0) * 1000)
            codes[key] = codes.get(key, 0) + 1
            n += 1
            time.sleep(max(0.0, interval - (time.perf_counter() - t0)))
    lat = np.array(latencies)
    return {"requests": n, "codes": codes, "p50_ms": round(float(np.percentile(lat, 50)), 1),
            "p95_ms": round(float(np.percentile(lat, 95)), 1), "max_ms": round(float(lat.max()), 1),
            "over_1s": int((lat > 1000).sum())}


def run(connections: int, duration: float, interval: float, delay: float, kinds: tuple[str, ...],
        baseline: float) -> list[dict]:
    """Start the server, run the baseline and every attack kind; returns one row per phase."""
    token = secrets.token_hex(12)
    queries = cold_queries(load_queries())
    rows = []
    with ServerProcess(env={"PRAXISFINDER_UPLOAD_TOKEN": token}) as server:
        httpx.get(server.url + "/api/search", params={"q": "Ehrenamt Aufwärmen"}, timeout=60)
        if baseline > 0:
            rows.append({"phase": "baseline", **victim(server.url, baseline, interval, queries),
                         "loadavg": os.getloadavg()[0]})
        for kind in kinds:
            queue = multiprocessing.get_context("fork").Queue()
            proc = multiprocessing.get_context("fork").Process(
                target=_attack_process, args=(kind, ATTACKER, server.port, connections, duration + 2, delay, token, queue))
            proc.start()
            time.sleep(2)  # let the connections pile up
            row = {"phase": kind, **victim(server.url, duration, interval, queries), "loadavg": os.getloadavg()[0]}
            proc.join(timeout=60)
            if proc.is_alive():
                proc.kill()
            row["attacker"] = queue.get(timeout=10) if not queue.empty() else {}
            rows.append(row)
            print(json.dumps(row), flush=True)
            time.sleep(3)  # the server closes what is left
    return rows


def main(argv: list[str] | None = None) -> int:
    """CLI; prints a table and writes JSON with ``--out``; exit 1 if any victim search failed or took over 1 s."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--connections", type=int, default=300, help="Attacker connections (at most 1,000).")
    ap.add_argument("--duration", type=float, default=45.0, help="Seconds per attack kind (at most 600).")
    ap.add_argument("--baseline", type=float, default=20.0, help="Seconds without an attack first (0: none).")
    ap.add_argument("--interval", type=float, default=0.25, help="Seconds between the other client's searches.")
    ap.add_argument("--reconnect-delay", type=float, default=0.5, help="Seconds an attacker waits after a drop.")
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    connections, duration = min(args.connections, 1000), min(args.duration, 600.0)
    kinds = tuple(k for k in args.kinds.split(",") if k in KINDS)
    rows = run(connections, duration, args.interval, args.reconnect_delay, kinds, args.baseline)
    print(f"{'phase':>10} {'searches':>8} {'codes':>14} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'>1 s':>5}  attacker")
    for r in rows:
        print(f"{r['phase']:>10} {r['requests']:>8} {json.dumps(r['codes']):>14} {r['p50_ms']:>7} {r['p95_ms']:>7} "
              f"{r['max_ms']:>7} {r['over_1s']:>5}  {json.dumps(r.get('attacker', {}))}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"connections": connections, "duration_s": duration,
                                        "interval_s": args.interval, "reconnect_delay_s": args.reconnect_delay,
                                        "rows": rows}, indent=2) + "\n")
    bad = any(set(r["codes"]) != {"200"} or r["over_1s"] for r in rows)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
