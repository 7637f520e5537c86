"""Recall@k and nDCG@10 of comparable-municipality recommendations against case sets.

A case (one line of ``eval/cases/*.jsonl``)::

    {"id": "c01", "municipality": "Kaiserslautern", "topic": "...", "comparable": ["Landkreis Kassel"],
     "source": "where in the documents the grouping comes from"}

Comparable-municipality sets: ``comparable.jsonl`` (32 cases written with the system in
view), ``comparable-blind.jsonl`` (62 cases written blind, from the documents' own
groupings, by a session that never ran the recommender) and ``comparable-blind2.jsonl``
(52 more, written blind the same way on 2026-12-07, see ``cases/BLIND-2-NOTES.md``).
"Who does X?" sets (``evaluate_who_does``): ``who-does-blind.jsonl`` (64 practices, 20 in
English, each with every municipality the documents show doing it, written blind). Names are resolved through the catalogue
(aliases, so "Kempten" finds "Kempten (Allgäu)"); a name the catalogue cannot resolve
still counts as relevant (the system cannot recommend what it does not know) and is
listed under ``unresolved``. Metrics come from ranx (binary relevance): recall@5,
recall@10, nDCG@10. The output has one shape: ``overall`` plus ``per_case``.

``eval/floor-recommend.json`` holds the recorded figures per set; CI
(``tests/eval/test_recommend_floor.py``) fails when recall@10 or nDCG@10 of a set drops
more than ``TOLERANCE`` below them. Record new floors with
``praxisfinder eval-recommend --record-floor``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ranx import Qrels, Run, evaluate

from core.errors import PraxisError
from core.settings import PROJECT_ROOT

RecommendFn = Callable[..., list]  # (catalogue, query, topic=..., k=...) -> [objects with .id]
CASE_SETS = (PROJECT_ROOT / "eval" / "cases" / "comparable.jsonl",
             PROJECT_ROOT / "eval" / "cases" / "comparable-blind.jsonl",
             PROJECT_ROOT / "eval" / "cases" / "comparable-blind2.jsonl")
# "who does X?" cases: {"id", "topic", "municipalities": [...], "source"}
WHO_DOES_SETS = (PROJECT_ROOT / "eval" / "cases" / "who-does-blind.jsonl",)
ALL_SETS = CASE_SETS + WHO_DOES_SETS
FLOOR_PATH = PROJECT_ROOT / "eval" / "floor-recommend.json"
METRICS = ("recall@5", "recall@10", "ndcg@10")
DEPTH = 10
TOLERANCE = 0.03


def load_cases(path: Path) -> list[dict[str, Any]]:
    """The cases of one JSONL file: comparable-municipality cases (id, municipality,
    comparable) or "who does X?" cases (id, topic, municipalities); raises ``ValueError``
    on a line that is neither."""
    cases = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    for case in cases:
        keys = ("id", "topic", "municipalities") if is_who_does(case) else ("id", "municipality", "comparable")
        missing = [key for key in keys if key not in case]
        if missing:
            raise ValueError(f"case {case.get('id', '?')} lacks {', '.join(missing)}")
    return cases


def is_who_does(case: dict[str, Any]) -> bool:
    """True for a "who does X?" case (it lists ``municipalities`` for a ``topic``)."""
    return "municipalities" in case and "comparable" not in case


def evaluate_who_does(catalogue, cases: Iterable[dict[str, Any]], who_does_fn: Callable[..., list]) -> dict[str, Any]:
    """Run ``who_does_fn(topic, k)`` on every "who does X?" case and score its top ``DEPTH``.

    :returns: the shape of :func:`evaluate_recommendations`; names the catalogue cannot
        resolve still count as relevant and are listed under ``unresolved``.
    """
    per_case, unresolved = [], []
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for case in cases:
        wanted = _wanted(catalogue, case["id"], case["municipalities"], unresolved)
        qrels[case["id"]] = {w: 1 for w in wanted}
        ranked = [r.id for r in who_does_fn(case["topic"], DEPTH)]
        run[case["id"]] = {mid: float(DEPTH - i) for i, mid in enumerate(ranked)}
        per_case.append({"id": case["id"], "topic": case["topic"], "lang": case.get("lang"), "expected": wanted,
                         "ranks": {w: (ranked.index(w) + 1 if w in ranked else None) for w in wanted},
                         "top": ranked[:DEPTH]})
    return _scored(qrels, run, per_case, unresolved)


def evaluate_set(catalogue, path: Path, recommend_fn: RecommendFn, who_does_fn: Callable[..., list]) -> dict[str, Any]:
    """Score one case file, of either kind (:func:`is_who_does`)."""
    cases = load_cases(path)
    if cases and is_who_does(cases[0]):
        return evaluate_who_does(catalogue, cases, who_does_fn)
    return evaluate_recommendations(catalogue, cases, recommend_fn)


def evaluate_recommendations(catalogue, cases: Iterable[dict[str, Any]], recommend_fn: RecommendFn) -> dict[str, Any]:
    """Run ``recommend_fn`` on every case and score the top ``DEPTH`` with ranx.

    :returns: ``{"overall": {metric: mean, "cases": n}, "per_case": [...], "unresolved": [...]}``;
        a case whose query cannot be resolved scores 0 on every metric.
    """
    per_case, unresolved = [], []
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for case in cases:
        row: dict[str, Any] = {"id": case["id"], "municipality": case["municipality"], "topic": case.get("topic")}
        wanted = _wanted(catalogue, case["id"], case["comparable"], unresolved)
        qrels[case["id"]] = {w: 1 for w in wanted}
        try:
            query = catalogue.resolve(case["municipality"])
        except PraxisError as exc:
            unresolved.append({"case": case["id"], "name": case["municipality"], "error": exc.code})
            row["error"] = "query not resolved"
            run[case["id"]] = {}
            per_case.append(row)
            continue
        ranked = [r.id for r in recommend_fn(catalogue, query, topic=case.get("topic"), k=DEPTH)]
        run[case["id"]] = {mid: float(DEPTH - i) for i, mid in enumerate(ranked)}
        row["expected"] = wanted
        row["ranks"] = {w: (ranked.index(w) + 1 if w in ranked else None) for w in wanted}
        row["top"] = ranked[:DEPTH]
        per_case.append(row)
    return _scored(qrels, run, per_case, unresolved)


def _wanted(catalogue, case_id: str, names: list[str], unresolved: list[dict]) -> list[str]:
    """Catalogue ids of the expected names; a name that does not resolve stays relevant as
    ``<unresolved>:name`` and is recorded in ``unresolved``."""
    wanted = []
    for name in names:
        try:
            wanted.append(catalogue.resolve(name).id)
        except PraxisError as exc:
            unresolved.append({"case": case_id, "name": name, "error": exc.code})
            wanted.append(f"<unresolved>:{name}")
    return wanted


def _scored(qrels, run, per_case: list[dict], unresolved: list[dict]) -> dict[str, Any]:
    """Per-case and mean ``METRICS`` (ranx) in the result shape of :func:`evaluate_recommendations`."""
    scores = _ranx(qrels, run)
    for row in per_case:
        row.update({m: round(scores[m].get(row["id"], 0.0), 4) for m in METRICS})
    n = len(per_case)
    overall: dict[str, Any] = {m: round(sum(r[m] for r in per_case) / n, 4) if n else 0.0 for m in METRICS}
    overall["cases"] = n
    return {"overall": overall, "per_case": per_case, "unresolved": unresolved}


def _ranx(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Per-case scores for ``METRICS``; ranx needs one scored item per run entry, so an
    empty run gets a placeholder that matches nothing."""
    filled = {q: (docs or {"<none>": 0.0}) for q, docs in run.items()}
    if not qrels:
        return {m: {} for m in METRICS}
    result = evaluate(Qrels(qrels), Run(filled), list(METRICS), return_mean=False, make_comparable=True)
    return {m: dict(zip(qrels.keys(), map(float, result[m]))) for m in METRICS} if isinstance(result, dict) else {}


def set_name(path: Path) -> str:
    """'comparable' / 'comparable-blind' for a case file."""
    return Path(path).stem


def read_floor(path: Path = FLOOR_PATH) -> dict[str, Any]:
    """The stored recommendation floors (``eval/floor-recommend.json``, written by
    :func:`record_floor`); file and JSON errors propagate."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def record_floor(results: dict[str, dict[str, Any]], snapshot_id: str, path: Path = FLOOR_PATH) -> dict[str, Any]:
    """Store ``{set name: overall}`` as the new floors (with the snapshot they came from)."""
    floor = {"snapshot_id": snapshot_id, "tolerance": TOLERANCE,
             "sets": {name: {m: r["overall"][m] for m in METRICS} | {"cases": r["overall"]["cases"]}
                      for name, r in results.items()}}
    Path(path).write_text(json.dumps(floor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return floor
