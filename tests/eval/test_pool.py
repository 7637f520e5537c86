"""Pooled assessment (eval.pool): the blind pool, reading assessments, merging them into judgments."""

from __future__ import annotations

import json

import pytest

from eval.cli import run_eval, run_merge
from eval.judgments import JudgmentError, load_judgments, parse_judgment
from eval.pool import Assessment, blind_pool, load_assessments, merge_assessments, snapshot_passages
from index.snapshot import SnapshotStore

J = parse_judgment({"id": "q1", "query": "Wer koordiniert Ehrenamtliche?", "lang": "de", "kind": "question",
                    "topic": "practice", "relevant": [{"doc": "d1", "contains": "Koordinatorin im Rathaus"}]})
PASSAGES = {
    "p1": ("d1", "Eine Koordinatorin im Rathaus verteilt die Anfragen."),
    "p2": ("d1", "Der Helferkreis trifft sich jeden Montag im Pfarrhaus."),
    "p3": ("d2", "Eine Freiwilligenagentur vermittelt Ehrenamtliche an Vereine."),
    "p4": ("d2", "Das Wetter war gut."),
}


def test_blind_pool_is_the_rank_free_union_of_all_systems():
    runs = {"a": {"q1": [("d1", "p1", "x"), ("d2", "p3", "y"), ("d2", "p4", "z")]},
            "b": {"q1": [("d2", "p3", "y"), ("d1", "p2", "w")]}}
    pool = blind_pool([J], runs, depth=2)
    assert [row["id"] for row in pool] == ["q1"]
    passages = pool[0]["passages"]
    assert sorted(p["pid"] for p in passages) == ["p1", "p2", "p3"]  # p4 is below depth 2; p3 once
    assert [p["n"] for p in passages] == [1, 2, 3]
    assert all(set(p) == {"n", "pid", "doc", "section", "text"} for p in passages)  # nothing about systems or ranks
    # the order does not depend on which system listed a passage first
    swapped = blind_pool([J], {"b": runs["b"], "a": runs["a"]}, depth=2)
    assert [p["pid"] for p in swapped[0]["passages"]] == [p["pid"] for p in passages]


def test_merge_adds_uncovered_relevant_passages_and_keeps_written_entries():
    assessments = [
        Assessment("q1", "p3", "d2", 2, "Freiwilligenagentur vermittelt Ehrenamtliche"),
        Assessment("q1", "p1", "d1", 1),  # the assessor disagrees with the written entry: it stays
        Assessment("q1", "p2", "d1", 0),
        Assessment("q1", "p4", "d2", 2, "Wetter war gut"),
    ]
    rows, stats = merge_assessments([J], assessments, PASSAGES)
    assert [r["contains"] for r in rows[0]["relevant"]] == [
        "Koordinatorin im Rathaus", "Freiwilligenagentur vermittelt Ehrenamtliche", "Wetter war gut"]
    assert rows[0]["note"] == "1 written entries + 2 from pooled assessment"
    assert stats["added_entries"] == 2 and stats["graded"] == {0: 1, 1: 1, 2: 2}
    assert stats["original_relevant_assessed"] == 1 and stats["original_relevant_graded"][1] == 1
    parse_judgment(rows[0], {"d1", "d2"})  # the result is a valid judgment line


def test_merge_does_not_add_a_passage_an_entry_already_covers():
    rows, stats = merge_assessments([J], [Assessment("q1", "p1", "d1", 2, "verteilt die Anfragen")], PASSAGES)
    assert len(rows[0]["relevant"]) == 1 and stats["added_entries"] == 0 and "note" not in rows[0]


def test_merge_is_independent_of_assessment_order():
    a = [Assessment("q1", "p3", "d2", 2, "Freiwilligenagentur"), Assessment("q1", "p2", "d1", 2, "Helferkreis trifft sich")]
    assert merge_assessments([J], a, PASSAGES)[0] == merge_assessments([J], a[::-1], PASSAGES)[0]


@pytest.mark.parametrize(("assessment", "message"), [
    (Assessment("q1", "p3", "d2", 2, "steht nicht im Text"), "is not in passage p3"),
    (Assessment("q1", "p9", "d2", 0), "not in the snapshot"),
    (Assessment("q7", "p1", "d1", 0), "unknown query id"),
])
def test_merge_errors_name_the_problem(assessment, message):
    with pytest.raises(JudgmentError, match=message):
        merge_assessments([J], [assessment], PASSAGES)


@pytest.mark.parametrize(("line", "message"), [
    ("{oops", "invalid JSON"),
    (json.dumps({"id": "q1", "pid": "p1", "doc": "d1", "grade": 3}), "'grade' must be one of"),
    (json.dumps({"id": "q1", "pid": "p1", "doc": "d1", "grade": 2}), "needs a 'contains' phrase"),
    (json.dumps({"id": "q1", "doc": "d1", "grade": 0}), "string 'id', 'pid' and 'doc'"),
])
def test_load_assessments_names_the_bad_line(tmp_path, line, message):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "q1", "pid": "p1", "doc": "d1", "grade": 0}) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(JudgmentError, match=f"a.jsonl:2: .*{message}"):
        load_assessments(path)


def test_pool_then_merge_round_trip_on_the_tiny_snapshot(tiny_searcher, tiny_settings, tiny_judgments_path, tmp_path):
    pool_path = tmp_path / "pool.jsonl"
    code = run_eval(tiny_judgments_path, ["bm25,dense"], 3, None, False, settings=tiny_settings,
                    open_searcher=lambda s: tiny_searcher, pool_out=pool_path)
    assert code == 0
    pool = [json.loads(line) for line in pool_path.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in pool] == ["t1", "t2", "t3"] and all(1 <= len(r["passages"]) <= 6 for r in pool)
    # grade every pooled passage of t2 relevant, quoting its first five words
    lines = [{"id": "t2", "pid": p["pid"], "doc": p["doc"], "grade": 2, "contains": " ".join(p["text"].split()[:5])}
             for p in pool[1]["passages"]]
    assessments = tmp_path / "assessments.jsonl"
    assessments.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    out = tmp_path / "pooled.jsonl"
    assert run_merge(tiny_judgments_path, assessments, out, settings=tiny_settings) == 0
    pooled = {j.id: j for j in load_judgments(out)}
    written = {j.id: j for j in load_judgments(tiny_judgments_path)}
    assert pooled["t1"] == written["t1"] and pooled["t3"] == written["t3"]
    assert set(written["t2"].relevant) <= set(pooled["t2"].relevant)
    current = SnapshotStore(tiny_settings.storage.snapshots_dir).current_path()
    assert set(snapshot_passages(current)) >= {p["pid"] for p in pool[1]["passages"]}
