"""Hostile uploads against the real server while another client searches.

Starts ``praxisfinder serve`` (real model, a copy of the current snapshot in a temporary
data directory, uploads on with a random token) and uploads each document of ``CASES`` in
turn, then deletes the last one added. Meanwhile a client from 127.0.0.2 sends one
cache-cold search every ``--interval`` seconds. For each write: status, wall time, the
build's own timings, and the server's resident memory (``VmRSS``) before and after; for
the searches during it: count, status codes, p50/p95/max latency.

    .venv/bin/python -m tools.bench_upload [--cases token,words,...] [--out docs/bench-upload.json]
    .venv/bin/python -m tools.bench_upload --cwd /tmp/old-checkout   # the same against other code

Only loopback addresses are used; every upload ends within the server's own time limit.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from core.settings import Settings
from tools.liveserver import ServerProcess
from tools.loadtest import cold_queries, load_queries

PROSE = ("Die Gemeinde Alheim richtet ein Willkommensbüro für Zugewanderte ein. Ehrenamtliche Sprachpatinnen "
         "begleiten Familien zu Behörden, Kitas und Schulen. Der Landkreis Osnabrück fördert die Integrationsarbeit "
         "mit einer Koordinationsstelle. ")
CASES = {
    "token": ("token.txt", lambda: b"A" * 1_800_000),
    "words": ("drei-woerter.txt", lambda: (("Willkommenskultur" * 300)[:5000].encode() + b" ") * 3),
    "at": ("at.txt", lambda: b"a@" * 500_000),
    "lines": ("zeilen.txt", lambda: b"Wort\n" * 200_000),
    "prose": ("prosa.txt", lambda: ((PROSE * 8 + "\n\n") * 80).encode()),
}


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (``VmRSS``), 0 if unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def searching(url: str, interval: float, stop: threading.Event, out: list, queries) -> None:
    """Cache-cold searches from 127.0.0.2 until ``stop``; appends (status or error, ms)."""
    n = 0
    with httpx.Client(base_url=url, timeout=60, transport=httpx.HTTPTransport(local_address="127.0.0.2")) as c:
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                key = str(c.get("/api/search", params={"q": queries(n), "k": 10}).status_code)
            except httpx.HTTPError as exc:
                key = type(exc).__name__
            ms = (time.perf_counter() - t0) * 1000
            out.append((key, ms))
            n += 1
            time.sleep(max(0.0, interval - ms / 1000))


def summary(samples: list) -> dict:
    """Count, status codes and latency percentiles (ms) of ``(status, ms)`` samples."""
    if not samples:
        return {"searches": 0}
    lat = np.array([ms for _, ms in samples])
    codes: dict[str, int] = {}
    for key, _ in samples:
        codes[key] = codes.get(key, 0) + 1
    return {"searches": len(samples), "codes": codes, "p50_ms": round(float(np.percentile(lat, 50)), 1),
            "p95_ms": round(float(np.percentile(lat, 95)), 1), "max_ms": round(float(lat.max()), 1),
            "over_1s": int((lat > 1000).sum())}


def run(cases: list[str], interval: float, cwd: str | None = None, env: dict | None = None) -> list[dict]:
    """Copy the current snapshot to a temporary data dir, start the server there and run the writes."""
    settings = Settings.from_env()
    token = secrets.token_hex(12)
    queries = cold_queries(load_queries())
    rows = []
    with tempfile.TemporaryDirectory(prefix="praxisfinder-bench-upload-") as tmp:
        data = Path(tmp) / "var"
        shutil.copytree(settings.storage.data_dir / "snapshots", data / "snapshots",
                        ignore=shutil.ignore_patterns(".lock", ".tmp-*"))
        server_env = {"PRAXISFINDER_UPLOAD_TOKEN": token, "PRAXISFINDER_DATA_DIR": str(data),
                      "PRAXISFINDER_UPLOAD_RATE_PER_MINUTE": "100", **(env or {})}
        with ServerProcess(env=server_env, cwd=cwd) as server, \
                httpx.Client(base_url=server.url, timeout=3600) as admin:
            admin.get("/api/search", params={"q": "Ehrenamt Aufwärmen"})
            rows.append({"write": "start", "rss_mb": rss_mb(server.pid)})
            last_added = None
            writes = [(c, "upload") for c in cases] + [(None, "delete")]
            for case, action in writes:
                samples: list = []
                stop = threading.Event()
                t = threading.Thread(target=searching, args=(server.url, interval, stop, samples, queries))
                before = rss_mb(server.pid)
                t.start()
                t0 = time.perf_counter()
                if action == "upload":
                    name, make = CASES[case]
                    r = admin.post("/api/documents", files={"file": (name, make())},
                                   headers={"Authorization": f"Bearer {token}"})
                else:
                    if last_added is None:
                        stop.set()
                        t.join()
                        continue
                    r = admin.delete(f"/api/documents/{last_added}", headers={"Authorization": f"Bearer {token}"})
                wall = time.perf_counter() - t0
                time.sleep(min(2.0, interval * 4))  # a few searches after the swap as well
                stop.set()
                t.join(timeout=60)
                body = r.json()
                if action == "upload" and r.status_code == 201:
                    last_added = body.get("doc_id")
                row = {"write": case or f"delete {last_added}", "status": r.status_code, "wall_s": round(wall, 1),
                       "timings": body.get("timings"), "passages": (body.get("checked") or {}).get("passages"),
                       "error": (body.get("error") or {}).get("message"), "rss_before_mb": before,
                       "rss_after_mb": rss_mb(server.pid), **summary(samples)}
                rows.append(row)
                print(json.dumps(row, ensure_ascii=False), flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    """CLI (``--help``); prints one JSON row per write and writes them with ``--out``;
    exit 1 if a search failed or took over 1 s."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=",".join(CASES), help=f"Comma-separated, of: {', '.join(CASES)}.")
    ap.add_argument("--interval", type=float, default=0.25, help="Seconds between the other client's searches.")
    ap.add_argument("--cwd", default=None, help="Run the server from this checkout (to compare code).")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    rows = run([c for c in args.cases.split(",") if c in CASES], args.interval, args.cwd)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    bad = any(r.get("over_1s") or set(r.get("codes", {"200": 0})) != {"200"} for r in rows[1:])
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
