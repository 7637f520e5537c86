"""The quality-floor mechanism (eval.floor), without a model."""

from __future__ import annotations

from eval.floor import check_floor, read_floor, record_floor


def _results(value: float) -> dict:
    return {"k": 10, "date": "2026-01-01T00:00:00Z", "judgments": {"queries": 3},
            "snapshot": {"id": "snap-1", "manifest_hash": "abc"}, "settings": {"fusion": "rrf"},
            "systems": {"hybrid": {"overall": {"ndcg@10": value}}}}


def test_record_and_check(tmp_path):
    path = tmp_path / "floor.json"
    record_floor(_results(0.61), path)
    floor = read_floor(path)
    assert floor["value"] == 0.61 and floor["snapshot"]["id"] == "snap-1"
    assert check_floor(0.60, floor) is None          # within 0.02
    assert check_floor(0.70, floor) is None          # better is fine
    message = check_floor(0.58, floor)               # 0.03 below
    assert message is not None and "0.5800" in message and "0.6100" in message


def test_unrecorded_floor_is_reported():
    assert "no quality floor recorded" in check_floor(0.5, {"system": "hybrid", "metric": "ndcg@10", "value": None})


def test_each_judgment_set_has_its_own_floor_file():
    from eval.floor import FLOOR_PATHS, floor_path_for

    assert floor_path_for("eval/judgments.jsonl").name == "floor.json"
    assert floor_path_for("eval/judgments-pooled.jsonl").name == "floor-pooled.json"
    assert floor_path_for("/tmp/mine.jsonl").name == "floor-mine.json"
    assert [p.name for p in FLOOR_PATHS] == ["floor.json", "floor-pooled.json", "floor-heldout.json"]


def test_recorded_floor_names_its_judgments(tmp_path):
    results = _results(0.7)
    results["judgments"]["path"] = "eval/judgments-heldout.jsonl"
    assert record_floor(results, tmp_path / "f.json")["judgments"] == "eval/judgments-heldout.jsonl"
    assert record_floor(_results(0.7), tmp_path / "g.json")["judgments"] == "eval/judgments.jsonl"
