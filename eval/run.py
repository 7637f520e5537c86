"""Score search systems against the relevance judgments with ranx.

A *system* is a function ``(query, k) -> ranked hits``; a hit is anything
:func:`eval.judgments.hit_fields` understands (a ``Hit``, a ``Passage``, a hit dict or a
``(doc_id, passage_id, text)`` tuple). Our own systems are the three modes of the one
search function, ``Searcher.search(query, k, mode)``; peers (see ``eval.peer_haystack``)
are registered by name through ``extra_systems``.

Scoring: for each system, its run is turned into qrels by :func:`eval.judgments.qrels`
(placeholders on), so a system's scores depend on its own ranking only; ranx computes
nDCG@k, Recall@k and MRR@k per query; means are taken overall, per language and per
query kind. Entry recall (share of relevant facts found in the top k) is a secondary
column. The result has one shape for every evaluator::

    {"snapshot": {...}, "settings": {...}, "date": ..., "judgments": {...}, "k": 10,
     "systems": {name: {"overall": {...}, "by_lang": {...}, "by_kind": {...},
                        "per_query": {qid: {...}}, "latency_ms": {...}}}}
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from core.errors import BadRequest
from eval.judgments import KINDS, LANGS, Judgment, entry_recall, hit_fields, qrels
from index.snapshot import manifest_hash

OUR_SYSTEMS = ("bm25", "dense", "hybrid")
PEER_SYSTEMS = ("haystack", "haystack-bm25", "haystack-dense", "haystack-ctx")
VALID_SYSTEMS = OUR_SYSTEMS + PEER_SYSTEMS
METRICS = ("ndcg", "recall", "mrr")
EMPTY_RUN = "<no hits>"

SearchFn = Callable[[str, int], Sequence[Any]]


def parse_systems(text: str, valid: Iterable[str] = VALID_SYSTEMS) -> list[str]:
    """Split a comma-separated system list; raise ``BadRequest`` naming the valid ones."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    check_systems(names, valid)
    return list(dict.fromkeys(names))


def check_systems(names: Sequence[str], valid: Iterable[str]) -> None:
    """Raise ``BadRequest`` for an empty list or unknown names (``detail``: unknown, valid)."""
    valid = list(valid)
    if not names:
        raise BadRequest(f"no system given; choose from: {', '.join(valid)}")
    unknown = [n for n in names if n not in valid]
    if unknown:
        raise BadRequest(f"unknown system(s): {', '.join(unknown)}; valid systems: {', '.join(valid)}",
                         detail={"unknown": unknown, "valid": valid})


def our_system(searcher, mode: str) -> SearchFn:
    """``search(query, k) -> hits`` over ``Searcher.search`` in ``mode`` ("bm25", "dense",
    "hybrid"), with the query-vector cache emptied before each call (cold latency)."""
    def search(query: str, k: int) -> list:
        forget_queries(searcher)
        return searcher.search(query, k=k, mode=mode).hits

    search.description = f"praxisfinder Searcher.search(mode={mode!r})"
    return search


def forget_queries(searcher) -> None:
    """Empty the searcher's query-vector cache so each timed call encodes its query (cold latency).

    Uses ``Searcher.clear_cache()`` when it exists, else the dense arm's cache dict.
    """
    clear = getattr(searcher, "clear_cache", None)
    if callable(clear):
        clear()
        return
    cache = getattr(getattr(searcher, "dense", None), "_cache", None)
    if hasattr(cache, "clear"):
        cache.clear()


def evaluate(
    searcher,
    judgments: Sequence[Judgment],
    systems: list[str],
    k: int = 10,
    extra_systems: Mapping[str, SearchFn] | None = None,
    runs_out: dict[str, dict[str, list]] | None = None,
) -> dict[str, Any]:
    """Run every named system over all judgments and score it (see the module docstring).

    With ``runs_out`` each system's ranked hits per query id are stored there too
    (``eval.pool`` pools them for assessment). ``extra_systems`` adds peers by name.
    Raises ``BadRequest`` for an unknown system or no judgments. Latencies are wall-clock
    milliseconds per call (mean, median).
    """
    registry: dict[str, SearchFn] = {name: our_system(searcher, name) for name in OUR_SYSTEMS}
    registry.update(extra_systems or {})
    check_systems(systems, registry)
    if not judgments:
        raise BadRequest("no judgments to evaluate")
    header = describe_searcher(searcher)  # before the runs: date and machine load at the start
    results = {}
    for name in systems:
        runs, latencies = run_system(registry[name], judgments, k)
        if runs_out is not None:
            runs_out[name] = runs
        results[name] = {"description": getattr(registry[name], "description", name), **score_run(judgments, runs, k)}
        results[name]["latency_ms"] = {
            "mean": round(statistics.fmean(latencies), 2),
            "median": round(statistics.median(latencies), 2),
        }
    return {**header, "judgments": {"queries": len(judgments)}, "k": k, "systems": results}


JUDGMENT_SETS = {"written": "eval/judgments.jsonl", "pooled": "eval/judgments-pooled.jsonl",
                 "heldout": "eval/judgments-heldout.jsonl"}  # the three sets every quality lever is measured on


def hybrid_scores(searcher, judgments: Sequence[Judgment], digits: int | None = None) -> dict[str, float]:
    """``{"ndcg@10", "recall@10"}`` of the searcher's hybrid mode over ``judgments`` (``evaluate``),
    rounded to ``digits`` when given: the figure lever tools compare."""
    overall = evaluate(searcher, judgments, ["hybrid"])["systems"]["hybrid"]["overall"]
    return {m: overall[m] if digits is None else round(overall[m], digits) for m in ("ndcg@10", "recall@10")}


def write_json(path: Path, payload: Any) -> None:
    """Write ``payload`` as indented JSON (plus a newline) to ``path``, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def run_system(system: SearchFn, judgments: Sequence[Judgment], k: int) -> tuple[dict[str, list], list[float]]:
    """Ranked hits per query id, and the wall-clock time of each call in milliseconds (after one warm-up call)."""
    runs: dict[str, list] = {}
    latencies = []
    if judgments:
        system(judgments[0].query, k)  # warm-up (lazy loads, caches): not timed
    for j in judgments:
        t0 = time.perf_counter()
        hits = list(system(j.query, k))[:k]
        latencies.append((time.perf_counter() - t0) * 1000)
        runs[j.id] = hits
    return runs, latencies


def score_run(judgments: Sequence[Judgment], runs: Mapping[str, Sequence[Any]], k: int) -> dict[str, Any]:
    """Per-query ranx scores plus means overall, by language and by kind.

    Metrics: ranx nDCG@k, Recall@k, MRR@k over the qrels of :func:`eval.judgments.qrels`
    (placeholders for unfound facts) plus ``entry_recall@k``; every mean dict also has
    ``queries``. ``per_query[qid]`` holds query, lang, kind, the metrics and the top 3 ids.
    """
    # lazy: ranx loads numba (~4 s); only scoring a run needs it
    from ranx import Qrels, Run, evaluate as ranx_evaluate

    names = [f"{m}@{k}" for m in METRICS]
    run_dict = {}
    for j in judgments:
        ranked = [hit_fields(h)[1] for h in runs.get(j.id, ())]
        # ranx orders by score: give strictly decreasing scores that keep our order.
        run_dict[j.id] = {pid: float(len(ranked) - i) for i, pid in enumerate(ranked)} or {EMPTY_RUN: 0.0}
    run = Run.from_dict(run_dict)
    ranx_evaluate(Qrels.from_dict(qrels(judgments, runs)), run, names, return_mean=False)
    per_query = {}
    for j in judgments:
        row: dict[str, Any] = {"query": j.query, "lang": j.lang, "kind": j.kind}
        row.update({m: round(float(run.scores[m][j.id]), 4) for m in names})
        row[f"entry_recall@{k}"] = round(entry_recall(j, runs.get(j.id, ()), k), 4)
        row["top"] = [hit_fields(h)[1] for h in runs.get(j.id, ())[:3]]
        per_query[j.id] = row
    columns = names + [f"entry_recall@{k}"]
    rows = list(per_query.values())
    return {
        "overall": _means(rows, columns),
        "by_lang": {lang: _means([r for r in rows if r["lang"] == lang], columns) for lang in LANGS
                    if any(r["lang"] == lang for r in rows)},
        "by_kind": {kind: _means([r for r in rows if r["kind"] == kind], columns) for kind in KINDS
                    if any(r["kind"] == kind for r in rows)},
        "per_query": per_query,
    }


def _means(rows: list[dict[str, Any]], columns: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {c: round(statistics.fmean(r[c] for r in rows), 4) for c in columns}
    out["queries"] = len(rows)
    return out


def describe_searcher(searcher) -> dict[str, Any]:
    """What was measured: the snapshot (id, manifest hash, model) and the search settings."""

    snapshot = searcher.snapshot
    manifest = snapshot.manifest
    settings = searcher.settings
    return {
        "snapshot": {
            "id": snapshot.id,
            "manifest_hash": manifest_hash(manifest),
            "created_at": manifest.get("created_at"),
            "model": manifest.get("model", {}).get("name"),
            "model_fingerprint": str(manifest.get("model", {}).get("fingerprint", ""))[:12],
            "vector_backend": manifest.get("vector_backend"),
            "documents": len(snapshot.documents),
            "passages": len(snapshot.passages),
        },
        "settings": search_settings(settings),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "loadavg": [round(x, 2) for x in os.getloadavg()]},
    }


def search_settings(settings) -> dict[str, Any]:
    """The settings that can change a ranking: fusion, rrf_k, candidate_depth first, then the rest.

    Paths, server, upload and limit settings and secrets are left out.
    """
    out = {name: settings.get(name) for name in ("fusion", "rrf_k", "candidate_depth")}
    for e in settings.entries():
        value = settings.get(e.name)
        if e.field.metadata.get("secret") or isinstance(value, Path) or e.name in ("host", "port", "cors_origins", "reload_check_seconds", "embed_batch_size"):
            continue
        if e.name.startswith(("upload_", "max_")):
            continue
        out.setdefault(e.name, value)
    return out
