"""Recall@k of comparable-municipality recommendations against hand-made cases.

A case (one line of ``eval/cases/comparable.jsonl``)::

    {"id": "c01", "municipality": "Kaiserslautern", "topic": "...", "comparable": ["Landkreis Kassel"]}

Names are resolved through the catalogue (aliases, so "Kempten" finds "Kempten
(Allgäu)"). recall@k = share of a case's resolvable comparable municipalities among
the top k recommendations; a name the catalogue cannot resolve still counts in the
denominator (the system cannot recommend what it does not know) and is listed under
``unresolved``. The output has one shape: ``overall`` plus ``per_case``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ingest.errors import PraxisError

RecommendFn = Callable[..., list]  # (catalogue, query, topic=..., k=...) -> [Recommendation]


def load_cases(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate_recommendations(
    catalogue, cases: Iterable[dict[str, Any]], recommend_fn: RecommendFn, ks: tuple[int, ...] = (5, 10)
) -> dict[str, Any]:
    per_case, unresolved = [], []
    depth = max(ks)
    for case in cases:
        row: dict[str, Any] = {"id": case["id"], "municipality": case["municipality"], "topic": case.get("topic")}
        try:
            query = catalogue.resolve(case["municipality"])
        except PraxisError as exc:
            unresolved.append({"case": case["id"], "name": case["municipality"], "error": exc.code})
            row.update({f"recall@{k}": 0.0 for k in ks}, error="query not resolved")
            per_case.append(row)
            continue
        wanted = []
        for name in case["comparable"]:
            try:
                wanted.append(catalogue.resolve(name).id)
            except PraxisError as exc:
                unresolved.append({"case": case["id"], "name": name, "error": exc.code})
                wanted.append(f"<unresolved>:{name}")
        recs = recommend_fn(catalogue, query, topic=case.get("topic"), k=depth)
        ranked = [r.id for r in recs]
        for k in ks:
            top = set(ranked[:k])
            row[f"recall@{k}"] = sum(w in top for w in wanted) / len(wanted) if wanted else 0.0
        row["expected"] = wanted
        row["ranks"] = {w: (ranked.index(w) + 1 if w in ranked else None) for w in wanted}
        per_case.append(row)
    n = len(per_case)
    overall = {f"recall@{k}": round(sum(r[f"recall@{k}"] for r in per_case) / n, 4) if n else 0.0 for k in ks}
    overall["cases"] = n
    return {"overall": overall, "per_case": per_case, "unresolved": unresolved}
