"""The quality floor: the recorded hybrid nDCG@10 that a later build may not fall below.

``eval/floor.json`` holds the figure for the written judgments (``eval/judgments.jsonl``)
and the snapshot it came from; ``eval/floor-pooled.json`` and ``eval/floor-heldout.json``
do the same for ``judgments-pooled.jsonl`` and ``judgments-heldout.jsonl`` (each floor
names its judgments file). Record a new one from an evaluation JSON
(``praxisfinder eval --queries FILE ... --json OUT``) with::

    python -m eval.floor OUT.json              # -> the floor file of OUT's judgments

``tests/eval/test_quality_floor.py`` (marked ``slow``) re-measures hybrid search on every
floor's judgments and fails when nDCG@10 drops more than ``tolerance`` below the
recorded figure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from eval.judgments import set_suffix
from core.settings import PROJECT_ROOT

FLOOR_PATH = PROJECT_ROOT / "eval" / "floor.json"
FLOOR_PATHS = (FLOOR_PATH, PROJECT_ROOT / "eval" / "floor-pooled.json", PROJECT_ROOT / "eval" / "floor-heldout.json")
DEFAULT_JUDGMENTS = "eval/judgments.jsonl"
SYSTEM = "hybrid"
METRIC = "ndcg@10"
TOLERANCE = 0.02


def read_floor(path: Path = FLOOR_PATH) -> dict[str, Any]:
    """The stored floor (a JSON object written by :func:`record_floor`); ``FileNotFoundError``
    or ``json.JSONDecodeError`` propagate for a missing or broken file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def record_floor(results: dict[str, Any], path: Path = FLOOR_PATH) -> dict[str, Any]:
    """Store the hybrid nDCG@10 of ``results`` (an evaluate() dict) as the new floor."""
    if SYSTEM not in results["systems"]:
        raise ValueError(f"the results hold no {SYSTEM!r} system")
    floor = {
        "system": SYSTEM,
        "metric": METRIC,
        "value": results["systems"][SYSTEM]["overall"][METRIC],
        "tolerance": TOLERANCE,
        "queries": results["judgments"]["queries"],
        "judgments": results["judgments"].get("path", DEFAULT_JUDGMENTS),
        "snapshot": results["snapshot"],
        "settings": results.get("settings", {}),
        "date": results.get("date"),
    }
    Path(path).write_text(json.dumps(floor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return floor


def floor_path_for(judgments: str) -> Path:
    """``eval/floor.json`` for ``eval/judgments.jsonl``, ``eval/floor-<x>.json`` for ``judgments-<x>.jsonl``
    (and ``floor-<stem>.json`` for any other file)."""
    suffix = set_suffix(judgments)
    return PROJECT_ROOT / "eval" / f"floor{f'-{Path(judgments).stem}' if suffix is None else suffix}.json"


def check_floor(measured: float, floor: dict[str, Any]) -> str | None:
    """None when ``measured`` is within tolerance of the floor, else a message saying why not.

    ``floor`` as from :func:`read_floor`; the tolerance is the floor's ``tolerance``
    (default ``TOLERANCE`` = 0.02 nDCG@10 points). A floor without a value gives a message.
    """
    if floor.get("value") is None:
        return "no quality floor recorded yet: run `praxisfinder eval --json OUT` and `python -m eval.floor OUT`"
    limit = floor["value"] - floor.get("tolerance", TOLERANCE)
    if measured < limit:
        return (f"{floor['system']} {floor['metric']} fell to {measured:.4f}, more than {floor.get('tolerance', TOLERANCE)} "
                f"below the recorded {floor['value']:.4f} (snapshot {floor.get('snapshot', {}).get('id')})")
    return None


if __name__ == "__main__":  # pragma: no cover - thin command line
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: python -m eval.floor RESULTS.json [FLOOR.json]")
    results = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    target = Path(sys.argv[2]) if len(sys.argv) == 3 else floor_path_for(results["judgments"].get("path", DEFAULT_JUDGMENTS))
    recorded = record_floor(results, target)
    print(f"recorded {recorded['system']} {recorded['metric']} = {recorded['value']} ({recorded['judgments']}) in {target}")
