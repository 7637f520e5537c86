"""The quality floor: the recorded hybrid nDCG@10 that a later build may not fall below.

``eval/floor.json`` holds the figure and the snapshot it came from. Record a new one
from an evaluation JSON (``praxisfinder eval ... --json OUT``) with::

    python -m eval.floor OUT.json

``tests/eval/test_quality_floor.py`` (marked ``slow``) re-measures hybrid search and
fails when nDCG@10 drops more than ``tolerance`` below the recorded figure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ingest.settings import PROJECT_ROOT

FLOOR_PATH = PROJECT_ROOT / "eval" / "floor.json"
SYSTEM = "hybrid"
METRIC = "ndcg@10"
TOLERANCE = 0.02


def read_floor(path: Path = FLOOR_PATH) -> dict[str, Any]:
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
        "snapshot": results["snapshot"],
        "settings": results.get("settings", {}),
        "date": results.get("date"),
    }
    Path(path).write_text(json.dumps(floor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return floor


def check_floor(measured: float, floor: dict[str, Any]) -> str | None:
    """None when ``measured`` is within tolerance of the floor, else a message saying why not."""
    if floor.get("value") is None:
        return "no quality floor recorded yet: run `praxisfinder eval --json OUT` and `python -m eval.floor OUT`"
    limit = floor["value"] - floor.get("tolerance", TOLERANCE)
    if measured < limit:
        return (f"{floor['system']} {floor['metric']} fell to {measured:.4f}, more than {floor.get('tolerance', TOLERANCE)} "
                f"below the recorded {floor['value']:.4f} (snapshot {floor.get('snapshot', {}).get('id')})")
    return None


if __name__ == "__main__":  # pragma: no cover - thin command line
    if len(sys.argv) != 2:
        sys.exit("usage: python -m eval.floor RESULTS.json")
    recorded = record_floor(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))
    print(f"recorded {recorded['system']} {recorded['metric']} = {recorded['value']} in {FLOOR_PATH}")
