"""Build and query cost beside the Haystack peer and one bare encoder pass, in ONE run.

    python -m tools.bench_build [--queries 60] [--json var/bench-build.json] [--backend torch,onnx]

Steps, all in one process on the same passages and the same model:

1. ingest the corpus once (no embedding) to get the passages;
2. **bare pass**: one sentence-transformers (torch) ``encode`` over the passages'
   embedding texts (title and section as context, ``passage: `` prompt, batch
   ``PRAXISFINDER_EMBED_BATCH_SIZE``) -- the least a peer pipeline does;
3. **praxisfinder build** from scratch (an empty data directory under
   ``var/bench-build/``; ``build_index(force=True)``) for each encoder backend asked for,
   with the settings in force (windows, token vectors, late chunking, catalogue, BM25,
   translations); the derived-data cache (``PRAXISFINDER_CACHE_DIR``) stays warm, as it is
   on any machine after the first build -- ``--cold-cache`` points it at a directory holding
   only what ``praxisfinder provision`` puts there (``index.build.prepare_cache``: the parsed
   dictionary and the GeoNames index): the first build
   of a corpus on a new machine (a fresh copy for every build, the process's memos of
   derived data dropped);
4. **Haystack build**: Haystack's indexing pipeline (``SentenceTransformersDocumentEmbedder``
   with the same model, prefix and context text, ``DocumentWriter`` into an
   ``InMemoryDocumentStore``);
5. **query p50**: the same ``--queries`` queries (the first of eval/judgments.jsonl, German
   and English, each new so its embedding is computed) through praxisfinder's hybrid
   ``Searcher.search`` (k 10, MaxSim rerank) and through the Haystack hybrid pipeline
   (``eval.peer_haystack``'s: BM25 + embedding retriever, RRF joiner).

The bare pass is timed before the builds and again after them (``--rounds N`` repeats the
builds and the bare pass after them N times): the torch pass alone varied 44-68 s between
runs on this machine, so one sample of the reference decides too much. Each figure is the
median of its samples and the ratio is median build / median bare pass; every sample is in
the JSON (``bare_pass_runs_s``, ``build_runs_s``).

Prints a Markdown table (seconds, and each build as a multiple of the bare pass) and
writes JSON. Wall-clock times on a shared machine: compare rows of one run only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from core.settings import Settings

TARGET_BUILD_RATIO = 1.5


def _passages(settings: Settings):
    from ingest.pipeline import discover, doc_id_for, ingest_one

    passages = []
    for path in discover([Path(settings.storage.corpus_dir)]):
        _, doc_passages = ingest_one(path, settings, doc_id_for(path))
        passages.extend(doc_passages)
    return passages


def bare_pass(settings: Settings, texts: list[str]) -> float:
    """Seconds for one sentence-transformers encode over ``texts`` (model already loaded)."""
    from index.model.embedder import SentenceTransformerEmbedder

    model = SentenceTransformerEmbedder(settings.model.dir).model
    model.encode(texts[:4], prompt_name="passage", batch_size=4)  # warm-up
    t = time.perf_counter()
    model.encode(texts, prompt_name="passage", batch_size=settings.model.embed_batch_size, normalize_embeddings=True)
    return time.perf_counter() - t


def first_build_cache(template: Path, root: Path) -> Path:
    """A new derived-data cache holding only what ``provision`` leaves (a copy of ``template``),
    with this process's memos of derived data dropped (parsed dictionary, GeoNames index,
    compound splits and the splitter module): the next build is a first build."""
    import sys

    from index import compounds
    from index.municipalities import geodata
    from index.search.translate import forget_loaded

    target = Path(tempfile.mkdtemp(prefix="cache-", dir=root))
    shutil.copytree(template, target, dirs_exist_ok=True)
    forget_loaded()
    geodata.install_index(None)
    compounds.forget_splits()
    for name in [m for m in sys.modules if m == "compound_split" or m.startswith("compound_split.")]:
        del sys.modules[name]
    return target


def praxisfinder_build(settings: Settings, backend: str, workdir: Path):
    """(seconds, outcome, searcher) of a from-scratch build into ``workdir`` with ``backend``."""
    from index.build import build_index
    from index.model.encoders import create_encoder
    from index.runtime import open_searcher

    local = settings.with_(data_dir=workdir, encoder_backend=backend)
    embedder = create_encoder(local, provision=True)
    embedder.encode_queries(["warm up"])
    t = time.perf_counter()
    outcome = build_index(local, embedder, force=True)
    seconds = time.perf_counter() - t
    return seconds, outcome, open_searcher(local, embedder)


def haystack_build(settings: Settings, passages):
    """(seconds, query function) of Haystack's indexing pipeline over the same passages."""
    from eval.peer_haystack import _haystack

    haystack, st = _haystack()
    from haystack import Document
    from haystack.components.joiners import DocumentJoiner
    from haystack.components.retrievers.in_memory import InMemoryBM25Retriever, InMemoryEmbeddingRetriever
    from haystack.components.writers import DocumentWriter
    from haystack.document_stores.in_memory import InMemoryDocumentStore

    model = str(settings.model.dir)
    store = InMemoryDocumentStore()
    docs = [Document(id=p.id, content=p.text,
                     meta={"doc_id": p.doc_id,
                           "context": f"{p.doc_title} — {p.section}" if p.section_path else p.doc_title})
            for p in passages]
    embedder = st.SentenceTransformersDocumentEmbedder(
        model=model, prefix="passage: ", local_files_only=True, normalize_embeddings=True,
        batch_size=settings.model.embed_batch_size, progress_bar=False, meta_fields_to_embed=["context"],
        embedding_separator="\n")
    indexing = haystack.Pipeline()
    indexing.add_component("embedder", embedder)
    indexing.add_component("writer", DocumentWriter(document_store=store))
    indexing.connect("embedder.documents", "writer.documents")
    indexing.warm_up()
    t = time.perf_counter()
    indexing.run({"embedder": {"documents": docs}})
    seconds = time.perf_counter() - t

    depth = settings.search.candidate_depth
    query = haystack.Pipeline()
    query.add_component("text_embedder", st.SentenceTransformersTextEmbedder(
        model=model, prefix="query: ", local_files_only=True, normalize_embeddings=True, progress_bar=False))
    query.add_component("bm25_retriever", InMemoryBM25Retriever(document_store=store, top_k=depth))
    query.add_component("embedding_retriever", InMemoryEmbeddingRetriever(document_store=store, top_k=depth))
    query.add_component("joiner", DocumentJoiner(join_mode="reciprocal_rank_fusion"))
    query.connect("text_embedder.embedding", "embedding_retriever.query_embedding")
    query.connect("bm25_retriever", "joiner")
    query.connect("embedding_retriever", "joiner")
    query.warm_up()

    def run(q: str, k: int = 10):
        return query.run({"text_embedder": {"text": q}, "bm25_retriever": {"query": q}, "joiner": {"top_k": k}})

    return seconds, run


def p50_ms(fn, queries: list[str]) -> float:
    """Median wall time in milliseconds of ``fn(q)`` over ``queries`` (after one warm-up call)."""
    fn("Aufwärmen der Suche")
    times = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    """Command line of ``python -m tools.bench_build``: bare passes around our builds, the Haystack build and both query p50s in one run; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=60, help="queries per system for the p50 (default 60)")
    parser.add_argument("--backend", default=None,
                        help="encoder backends to build with, comma-separated (default: the setting in force)")
    parser.add_argument("--json", type=Path, default=Path("var/bench-build.json"))
    parser.add_argument("--cold-cache", action="store_true",
                        help="start from a derived-data cache holding only what `provision` leaves (first build)")
    parser.add_argument("--no-peer", action="store_true", help="skip the Haystack build")
    parser.add_argument("--rounds", type=int, default=1,
                        help="builds per backend, each followed by another bare pass (default 1: bare, build, bare)")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    backends = (args.backend or settings.model.encoder_backend).split(",")
    root = Path(settings.storage.data_dir) / "bench-build"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    template = None
    if args.cold_cache:
        from index.build import prepare_cache

        template = root / "provisioned-cache"
        prepare_cache(template)  # what `praxisfinder provision` leaves in any cache
    queries = [json.loads(line)["query"] for line in Path("eval/judgments.jsonl").read_text(encoding="utf-8").splitlines()
               if line.strip()][: args.queries]

    passages = _passages(settings)
    texts = [p.embedding_text() for p in passages]
    report: dict = {"passages": len(passages), "queries": len(queries), "late_chunking": settings.model.late_chunking,
                    "window_vectors": settings.model.window_vectors, "late_interaction": settings.search.late_interaction}
    bare_runs = [bare_pass(settings, texts)]
    print(f"bare sentence-transformers pass over {len(passages)} passages: {bare_runs[-1]:.1f} s", flush=True)
    builds: dict[str, list] = {backend: [] for backend in backends}
    for _ in range(max(1, args.rounds)):
        for backend in backends:
            local = settings.with_(cache_dir=first_build_cache(template, root)) if template else settings
            seconds, outcome, searcher = praxisfinder_build(local, backend, root / f"pf-{backend}-{len(builds[backend])}")
            builds[backend].append((seconds, outcome, searcher))
            print(f"praxisfinder build ({backend}): {seconds:.1f} s {outcome.timings}", flush=True)
        bare_runs.append(bare_pass(settings, texts))
        print(f"bare sentence-transformers pass again: {bare_runs[-1]:.1f} s", flush=True)
    report["bare_pass_s"] = round(statistics.median(bare_runs), 2)
    report["bare_pass_runs_s"] = [round(b, 2) for b in bare_runs]
    report["praxisfinder"] = {}
    for backend, runs in builds.items():
        seconds = statistics.median(r[0] for r in runs)
        outcome, searcher = runs[-1][1], runs[-1][2]
        searcher.search("Aufwärmen", k=10)
        q50 = p50_ms(lambda q: searcher.search(q, k=10, mode="hybrid"), queries)
        report["praxisfinder"][backend] = {
            "build_s": round(seconds, 2), "build_runs_s": [round(r[0], 2) for r in runs],
            "timings": outcome.timings, "counts": outcome.counts,
            "build_ratio": round(seconds / report["bare_pass_s"], 3), "query_p50_ms": round(q50, 1)}
        print(f"praxisfinder build ({backend}): median {seconds:.1f} s = {seconds / report['bare_pass_s']:.2f}x "
              f"the median bare pass; query p50 {q50:.1f} ms", flush=True)
    if not args.no_peer:
        seconds, run = haystack_build(settings, passages)
        q50 = p50_ms(run, queries)
        report["haystack"] = {"build_s": round(seconds, 2), "build_ratio": round(seconds / report["bare_pass_s"], 3),
                              "query_p50_ms": round(q50, 1)}
        print(f"Haystack build: {seconds:.1f} s; query p50 {q50:.1f} ms", flush=True)
    print_table(report)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    shutil.rmtree(root, ignore_errors=True)
    return 0


def print_table(report: dict) -> None:
    """Print the build/query comparison: seconds, ratio to the bare pass, query p50 in ms."""
    bare = report["bare_pass_s"]
    print(f"\n| system | build s | × bare pass | query p50 ms |\n|---|---:|---:|---:|")
    runs = ", ".join(f"{b:.1f}" for b in report.get("bare_pass_runs_s", [bare]))
    print(f"| bare sentence-transformers pass ({report['passages']} passages; median of {runs}) | {bare:.1f} | 1.00 | – |")
    for backend, row in report["praxisfinder"].items():
        runs = row.get("build_runs_s", [])
        label = f"praxisfinder, encoder {backend}" + (f" (median of {', '.join(f'{r:.1f}' for r in runs)})" if len(runs) > 1 else "")
        print(f"| {label} | {row['build_s']:.1f} | {row['build_ratio']:.2f} | {row['query_p50_ms']:.1f} |")
    if "haystack" in report:
        row = report["haystack"]
        print(f"| Haystack (same passages and model) | {row['build_s']:.1f} | {row['build_ratio']:.2f} | {row['query_p50_ms']:.1f} |")
    print(f"\ntarget: praxisfinder build <= {TARGET_BUILD_RATIO}x the bare pass")


if __name__ == "__main__":
    raise SystemExit(main())
