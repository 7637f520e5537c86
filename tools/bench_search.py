"""Latency of ``GET /api/search`` over HTTP beside one bare query embedding, in one run.

    python -m tools.bench_search                      # start a server on the current snapshot
    python -m tools.bench_search --url http://127.0.0.1:8000
    python -m tools.bench_search --hash-dim 64        # HashEmbedder snapshot (smoke test)
    PRAXISFINDER_ENCODER_BACKEND=onnx python -m tools.bench_search   # the server's encoder runtime

Sequential requests over a fixed German/English question list on one keep-alive
connection (the whole hybrid search: encoding, BM25, fusion, MaxSim rerank, snippets,
case examples, JSON). Interleaved with them, on the same query texts, the reference: one
bare sentence-transformers query embedding on torch (``SentenceTransformer(model_dir,
backend="torch").encode([q], prompt_name="query")``, in a process of its own so that the
server encoder's runtime cannot starve it or be starved by it, timed there), and the
server encoder's own ``encode_queries``.
Prints a table and writes JSON. Target: HTTP p50 at most 1.0x the bare torch p50.
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
TARGET_RATIO = 1.0


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile ``q`` in [0, 1] of ``values`` (milliseconds here)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summary(values: list[float]) -> dict[str, float]:
    """p50, p95 and mean (rounded to 3 decimals, same unit as ``values``) and the count ``n``."""
    return {"p50": round(percentile(values, 0.5), 3), "p95": round(percentile(values, 0.95), 3),
            "mean": round(statistics.fmean(values), 3), "n": len(values)}


def bare_torch_encoder(model_dir: Path):
    """The reference: the provisioned model in plain sentence-transformers on torch (CPU).
    Returns ``encode(text) -> None``; raises ``ModelError`` when the model is missing."""
    from sentence_transformers import SentenceTransformer

    from core.errors import ModelError

    if not (Path(model_dir) / "modules.json").exists():
        raise ModelError(f"no sentence-transformers model at {model_dir}; run `praxisfinder provision` first")
    model = SentenceTransformer(str(model_dir), device="cpu", backend="torch", local_files_only=True)

    def encode(text: str) -> None:
        model.encode([text], prompt_name="query", normalize_embeddings=True, convert_to_numpy=True)

    return encode


class ReferenceProcess:
    """The bare torch reference in a process of its own, so that the server encoder's
    thread pools (ONNX Runtime's spinning intra-op threads) and torch's do not starve each
    other. Calling it with a text returns the embedding time in ms, measured in the child."""

    def __init__(self, model_dir: Path):
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_reference_worker, args=(str(model_dir), child), daemon=True)
        self._proc.start()
        if self._conn.recv() != "ready":
            raise SystemExit("the torch reference process did not start")

    def __call__(self, text: str) -> float:
        self._conn.send(text)
        return self._conn.recv()

    def close(self) -> None:
        """Stop the reference process (terminate, then kill after a grace period)."""
        self._conn.send(None)
        self._proc.join(timeout=10)


def _reference_worker(model_dir: str, conn) -> None:
    encode = bare_torch_encoder(Path(model_dir))
    conn.send("ready")
    while (text := conn.recv()) is not None:
        t0 = time.perf_counter()
        encode(text)
        conn.send((time.perf_counter() - t0) * 1000)


def run(url: str, embedder, requests: int, k: int, mode: str, warmup: int = 20, reference=None) -> dict:
    """Time ``requests`` searches over HTTP, each followed by the bare reference embedding
    and the server encoder's ``encode_queries`` of the same text (milliseconds).
    ``reference(text)`` defaults to ``embedder.encode_queries([text])`` (hash smoke test)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=60)
    reference = reference or (lambda text: embedder.encode_queries([text]))

    def request(q: str) -> tuple[float, float]:
        nonlocal conn
        path = "/api/search?" + urlencode({"q": q, "k": k, "mode": mode})
        t0 = time.perf_counter()
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError):
            # the server closes keep-alive connections idle longer than http_keep_alive_seconds,
            # which the embeddings between two requests can exceed on a loaded machine
            conn.close()
            conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=60)
            t0 = time.perf_counter()
            conn.request("GET", path)
            resp = conn.getresponse()
        body = resp.read()
        elapsed = (time.perf_counter() - t0) * 1000
        if resp.status != 200:
            raise SystemExit(f"{path} -> {resp.status}: {body[:300]!r}")
        return elapsed, json.loads(body)["took_ms"]

    def timed(fn, q: str) -> float:
        t0 = time.perf_counter()
        measured = fn(q)
        elapsed = (time.perf_counter() - t0) * 1000
        return float(measured) if isinstance(measured, (int, float)) else elapsed  # a child's own timing

    def encoder(q: str) -> None:
        embedder.encode_queries([q])

    for i in range(warmup):
        q = QUERIES[i % len(QUERIES)]
        request(q)
        reference(q)
        encoder(q)
    http_ms, search_ms, bare_ms, embed_ms = [], [], [], []
    for i in range(requests):
        # a unique text per request: the server caches query vectors, the bench must not hit that cache
        q = f"{QUERIES[i % len(QUERIES)]} {i}"
        bare_ms.append(timed(reference, q))
        embed_ms.append(timed(encoder, q))
        total, took = request(q)
        http_ms.append(total)
        search_ms.append(took)
    conn.close()
    report = {"url": url, "requests": requests, "k": k, "mode": mode, "embedder": getattr(embedder, "name", "?"),
              "encoder_backend": getattr(embedder, "backend", "torch"),
              "http_ms": summary(http_ms), "search_ms": summary(search_ms), "bare_torch_ms": summary(bare_ms),
              "embed_ms": summary(embed_ms)}
    report["ratio_p50"] = round(report["http_ms"]["p50"] / report["bare_torch_ms"]["p50"], 3)
    report["target_ratio"] = TARGET_RATIO
    report["meets_target"] = report["ratio_p50"] <= TARGET_RATIO
    return report


def print_table(report: dict) -> None:
    """Print the bench report as a table: p50/p95 in ms per measurement and the ratio to the bare embedding."""
    print(f"{report['requests']} sequential requests, k={report['k']}, mode={report['mode']}, "
          f"embedder={report['embedder']} ({report['encoder_backend']}), {report['url']}")
    print(f"{'':36}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}")
    for key, label in (("http_ms", "GET /api/search (HTTP)"), ("search_ms", "  of which Searcher.search"),
                       ("bare_torch_ms", "bare sentence-transformers (torch)"),
                       ("embed_ms", f"server encoder ({report['encoder_backend']})")):
        s = report[key]
        print(f"{label:36}{s['p50']:>10.2f}{s['p95']:>10.2f}{s['mean']:>10.2f}")
    verdict = "meets" if report["meets_target"] else "MISSES"
    print(f"p50 ratio HTTP / bare torch embedding: {report['ratio_p50']:.2f} ({verdict} the target {TARGET_RATIO})")


def main(argv: list[str] | None = None) -> int:
    """Command line of ``python -m tools.bench_search``; returns the process exit code (0)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="Benchmark this running server instead of starting one.")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--mode", default="hybrid", choices=("hybrid", "dense", "bm25"))
    parser.add_argument("--hash-dim", type=int, help="Use HashEmbedder(dim) (snapshot must be built with it).")
    parser.add_argument("--out", type=Path, help="JSON report path (default: <data_dir>/bench/search-latency.json).")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    reference = None
    if args.hash_dim:
        from index.model.embedder import HashEmbedder

        embedder = HashEmbedder(args.hash_dim)
    else:
        from index.runtime import load_embedder

        embedder = load_embedder(settings)
        reference = ReferenceProcess(settings.model.dir)
    if args.url:
        report = run(args.url.rstrip("/"), embedder, args.requests, args.k, args.mode, reference=reference)
    else:
        from service.api import create_app
        from service.application import Application
        from tools.liveserver import LiveServer

        application = Application(settings, embedder=embedder)
        application.readiness()  # load the snapshot before timing
        with LiveServer(create_app(settings, application)) as server:
            report = run(server.url, embedder, args.requests, args.k, args.mode, reference=reference)
        report["snapshot_id"] = application.searcher.snapshot.id
    if isinstance(reference, ReferenceProcess):
        reference.close()
    print_table(report)
    out = args.out or Path(settings.storage.data_dir) / "bench" / "search-latency.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
