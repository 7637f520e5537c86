"""`praxisfinder eval`: score systems against judgments, print a table, write JSON and the report.

``service/cli.py`` holds the typer command; this module does the work so that plain
Python callers and tests use the same code.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any, Callable

from eval.judgments import load_judgments, set_suffix
from eval.run import OUR_SYSTEMS, PEER_SYSTEMS, VALID_SYSTEMS, check_systems, evaluate
from core.errors import PraxisError
from core.settings import PROJECT_ROOT, Settings

REPORT_DIR = PROJECT_ROOT / "eval"


def run_eval(queries: Path, systems: list[str], k: int, json_out: Path | None, report: bool,
             settings: Settings | None = None, open_searcher: Callable[[Settings], Any] | None = None,
             report_dir: Path = REPORT_DIR, pool_out: Path | None = None) -> int:
    """Evaluate ``systems`` on the judgments in ``queries``; return 0 (the process exit code).

    Raises ``PraxisError`` (``BadRequest`` for an unknown system, ``JudgmentError`` for a
    malformed file, ``SnapshotError`` without an index); the CLI maps it to an exit code.

    ``systems`` may hold comma-separated names (``["bm25,dense", "haystack"]``).
    ``open_searcher`` (default: the real model and the current snapshot) lets tests
    pass a searcher over a tiny snapshot. ``pool_out`` also writes the blind pool of
    every system's top k for assessment (see ``eval.pool``).
    """
    systems = list(dict.fromkeys(n.strip() for item in systems for n in item.split(",") if n.strip()))
    check_systems(systems, VALID_SYSTEMS)
    settings = settings or Settings.from_env()
    searcher = (open_searcher or _open_real)(settings)
    judgments = load_judgments(queries, [d.id for d in searcher.snapshot.documents])
    peers = [s for s in systems if s in PEER_SYSTEMS]
    extra = {}
    if peers:
        # lazy: CLI start-up: each command loads only what it runs (`--help` stays fast)
        from eval.peer_haystack import haystack_systems

        extra = haystack_systems(searcher, settings, peers)
    runs: dict[str, dict[str, list]] = {}
    results = evaluate(searcher, judgments, systems, k=k, extra_systems=extra, runs_out=runs)
    results["judgments"].update(path=_rel(queries), sha256=_sha256(queries))
    results["command"] = reproduce_command(queries, systems, k, json_out, report)
    print(format_table(results))
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"\nJSON: {json_out}")
    if pool_out is not None:
        # lazy: CLI start-up: each command loads only what it runs (`--help` stays fast)
        from eval.pool import blind_pool, write_pool

        total = write_pool(blind_pool(judgments, runs, depth=k), pool_out)
        print(f"Pool: {total} passages for {len(judgments)} queries in {pool_out}")
    if report:
        # lazy: CLI start-up: each command loads only what it runs (`--help` stays fast)
        from eval.report import write_report

        print(f"Report: {write_report(results, report_dir, report_name(queries))}")
    return 0


def report_name(queries: Path) -> str:
    """``REPORT-pooled`` for ``judgments-pooled.jsonl`` (``judgments-<x>`` -> ``REPORT-<x>``), else ``REPORT``."""
    return "REPORT" + (set_suffix(queries) or "")


def run_merge(queries: Path, assessments: Path, out: Path, settings: Settings | None = None) -> int:
    """Write pooled judgments: ``queries`` plus an entry per grade-2 assessed passage (see ``eval.pool``)."""
    # lazy: CLI start-up: each command loads only what it runs (`--help` stays fast)
    from eval.pool import load_assessments, merge_assessments, snapshot_passages, write_judgments
    from index.snapshot import SnapshotStore

    settings = settings or Settings.from_env()
    current = SnapshotStore(settings.storage.snapshots_dir).current_path()
    if current is None:
        raise PraxisError("no snapshot: run `praxisfinder ingest` first (the merge needs the assessed passages)")
    judgments = load_judgments(queries)
    rows, stats = merge_assessments(judgments, load_assessments(assessments), snapshot_passages(current))
    write_judgments(rows, out)
    original = stats["original_relevant_graded"]
    print(f"{stats['assessed']} assessed passages (grade 2/1/0: {stats['graded'][2]}/{stats['graded'][1]}/"
          f"{stats['graded'][0]}); {stats['added_entries']} entries added to {stats['queries']} queries -> {out}")
    if stats["original_relevant_assessed"]:
        print(f"passages the written judgments call relevant: {stats['original_relevant_assessed']}, "
              f"graded 2/1/0: {original[2]}/{original[1]}/{original[0]}")
    return 0


def _open_real(settings: Settings):
    # lazy: CLI start-up: each command loads only what it runs (`--help` stays fast)
    from index.runtime import load_embedder, open_searcher

    return open_searcher(settings, load_embedder(settings))


def reproduce_command(queries: Path, systems: list[str], k: int, json_out: Path | None, report: bool) -> str:
    """The ``praxisfinder eval ...`` command line that reproduces a run (paths relative to
    the project root where possible); stored in reports and JSON results."""
    parts = ["praxisfinder eval", f"--queries {_rel(queries)}", f"--system {','.join(systems)}", f"-k {k}"]
    if json_out is not None:
        parts.append(f"--json {_rel(json_out)}")
    if report:
        parts.append("--report")
    return " ".join(parts)


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def format_table(results: dict[str, Any]) -> str:
    """System x nDCG/Recall/MRR@k, overall and per language, plus mean latency."""
    k = results["k"]
    metrics = [f"ndcg@{k}", f"recall@{k}", f"mrr@{k}"]
    langs = sorted({lang for s in results["systems"].values() for lang in s["by_lang"]})
    header = ["system"] + [f"{m}" for m in metrics] + [f"{m.split('@')[0]}[{lang}]" for lang in langs for m in metrics]
    header += [f"entry_recall@{k}", "ms/query"]
    rows = []
    for name, s in results["systems"].items():
        row = [name] + [f"{s['overall'][m]:.3f}" for m in metrics]
        row += [f"{s['by_lang'][lang][m]:.3f}" if lang in s["by_lang"] else "-" for lang in langs for m in metrics]
        row += [f"{s['overall'][f'entry_recall@{k}']:.3f}", f"{s['latency_ms']['mean']:.1f}"]
        rows.append(row)
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in [header] + rows]
    snap = results["snapshot"]
    title = (f"{results['judgments']['queries']} queries, snapshot {snap['id']} "
             f"(manifest {snap['manifest_hash']}), model {snap['model']}")
    return "\n".join([title, lines[0], "-" * len(lines[0])] + lines[1:])


__all__ = ["run_eval", "format_table", "reproduce_command", "OUR_SYSTEMS", "PEER_SYSTEMS", "VALID_SYSTEMS"]
