"""Latency of ``GET /api/search`` over HTTP beside the bare query-embedding time.

    python -m service.bench                      # start a server on the current snapshot
    python -m service.bench --url http://127.0.0.1:8000
    python -m service.bench --hash-dim 64        # HashEmbedder snapshot (smoke test)

Sequential requests over a fixed German/English question list on one keep-alive
connection; in the same run (interleaved, same queries) the bare
``embedder.encode_queries([q])`` time. Prints a table and writes JSON. Target: p50 of
the HTTP request within 1.3x of the p50 embedding time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from core.settings import Settings

QUERIES = [
    "Wie koordinieren kleine Gemeinden Ehrenamtliche in der Flüchtlingshilfe?",
    "Welche Kommunen haben einen Integrationsbeirat eingerichtet?",
    "Wohnraum für Geflüchtete vermitteln",
    "Sprachkurse für Erwachsene mit Kinderbetreuung",
    "Ausländerbehörde als Willkommensbehörde",
    "Willkommenskultur in Partnerstädten",
    "Patenschaften zwischen Einheimischen und Zugewanderten",
    "Integrationskonzept eines Landkreises",
    "Beteiligung von Migrantenorganisationen an der Stadtentwicklung",
    "Wie stärken Kommunen ihre Resilienz bei der Aufnahme von Geflüchteten?",
    "Dialogveranstaltungen für gesellschaftlichen Zusammenhalt",
    "Arbeitsmarktintegration und Anerkennung ausländischer Berufsabschlüsse",
    "Ehrenamtskoordination im ländlichen Raum",
    "Quartiersarbeit und Nachbarschaftsfeste",
    "How do rural municipalities coordinate volunteers?",
    "housing for refugees in small towns",
    "Interkulturelle Öffnung der Verwaltung",
    "Mobilität im ländlichen Raum für Geflüchtete",
    "Bildungsangebote für geflüchtete Kinder und Jugendliche",
    "Selbstcheck weltoffene Kommune",
]
TARGET_RATIO = 1.3


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summary(values: list[float]) -> dict[str, float]:
    return {"p50": round(percentile(values, 0.5), 3), "p95": round(percentile(values, 0.95), 3),
            "mean": round(statistics.fmean(values), 3), "n": len(values)}


def run(url: str, embedder, requests: int, k: int, mode: str, warmup: int = 20) -> dict:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=60)

    def request(q: str) -> tuple[float, float]:
        path = "/api/search?" + urlencode({"q": q, "k": k, "mode": mode})
        t0 = time.perf_counter()
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        elapsed = (time.perf_counter() - t0) * 1000
        if resp.status != 200:
            raise SystemExit(f"{path} -> {resp.status}: {body[:300]!r}")
        return elapsed, json.loads(body)["took_ms"]

    def embed(q: str) -> float:
        t0 = time.perf_counter()
        embedder.encode_queries([q])
        return (time.perf_counter() - t0) * 1000

    for i in range(warmup):
        q = QUERIES[i % len(QUERIES)]
        request(q)
        embed(q)
    http_ms, search_ms, embed_ms = [], [], []
    for i in range(requests):
        # a unique text per request: the server caches query vectors, the bench must not hit that cache
        q = f"{QUERIES[i % len(QUERIES)]} {i}"
        embed_ms.append(embed(q))
        total, took = request(q)
        http_ms.append(total)
        search_ms.append(took)
    conn.close()
    report = {"url": url, "requests": requests, "k": k, "mode": mode, "embedder": getattr(embedder, "name", "?"),
              "http_ms": summary(http_ms), "search_ms": summary(search_ms), "embed_ms": summary(embed_ms)}
    report["ratio_p50"] = round(report["http_ms"]["p50"] / report["embed_ms"]["p50"], 3)
    report["target_ratio"] = TARGET_RATIO
    report["meets_target"] = report["ratio_p50"] <= TARGET_RATIO
    return report


def print_table(report: dict) -> None:
    print(f"{report['requests']} sequential requests, k={report['k']}, mode={report['mode']}, "
          f"embedder={report['embedder']}, {report['url']}")
    print(f"{'':28}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}")
    for key, label in (("http_ms", "GET /api/search (HTTP)"), ("search_ms", "  of which Searcher.search"),
                       ("embed_ms", "bare encode_queries")):
        s = report[key]
        print(f"{label:28}{s['p50']:>10.2f}{s['p95']:>10.2f}{s['mean']:>10.2f}")
    verdict = "meets" if report["meets_target"] else "MISSES"
    print(f"p50 ratio HTTP/embedding: {report['ratio_p50']:.2f} ({verdict} the target {TARGET_RATIO})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="Benchmark this running server instead of starting one.")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--mode", default="hybrid", choices=("hybrid", "dense", "bm25"))
    parser.add_argument("--hash-dim", type=int, help="Use HashEmbedder(dim) (snapshot must be built with it).")
    parser.add_argument("--out", type=Path, help="JSON report path (default: <data_dir>/bench/search-latency.json).")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    if args.hash_dim:
        from index.model.embedder import HashEmbedder

        embedder = HashEmbedder(args.hash_dim)
    else:
        from index.runtime import load_embedder

        embedder = load_embedder(settings)
    if args.url:
        report = run(args.url.rstrip("/"), embedder, args.requests, args.k, args.mode)
    else:
        from service.api import create_app
        from service.application import Application
        from service.liveserver import LiveServer

        application = Application(settings, embedder=embedder)
        application.readiness()  # load the snapshot before timing
        with LiveServer(create_app(settings, application)) as server:
            report = run(server.url, embedder, args.requests, args.k, args.mode)
        report["snapshot_id"] = application.searcher.snapshot.id
    print_table(report)
    out = args.out or Path(settings.data_dir) / "bench" / "search-latency.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
