"""Pooled relevance assessment: complete the judgments the way TREC does.

The phrase judgments in ``eval/judgments.jsonl`` were written by reading the corpus,
not the rankings, so a passage that answers a query but contains none of its phrases
counts as a miss. Pooling finds those passages without favouring one system:

1. ``praxisfinder eval --system bm25,dense,hybrid,haystack --pool POOL.jsonl`` writes the
   union of every system's top k for each query (:func:`blind_pool`). The pool is
   *blind*: passages are shuffled by a hash of query and passage id, and neither the
   system that found a passage nor its rank is written.
2. Assessors grade every pooled passage 0 (not relevant), 1 (on topic, does not
   answer) or 2 (answers the query) and copy a short verbatim phrase from each grade-2
   passage. One JSON line per judged passage goes into ``eval/assessments.jsonl``::

       {"id": "q001", "pid": "<passage id>", "doc": "<doc id>", "grade": 2,
        "contains": "<phrase>", "assessor": "a1"}

3. ``praxisfinder eval-merge`` (:func:`merge_assessments`) adds one ``{"doc", "contains"}``
   entry for every grade-2 passage that no existing entry already covers and writes the
   pooled judgments (``eval/judgments-pooled.jsonl``, same format). Original entries
   are kept even where an assessor disagreed: pooling only adds. The merge needs the
   passages the assessors saw (the snapshot the pool came from); the pooled file
   itself is chunking-independent, like every phrase judgment.

Passages no system retrieved stay unjudged; a system that later surfaces a relevant
passage outside the pool is not credited for it (the known bias of pooling).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.schema import Passage
from eval.judgments import Judgment, JudgmentError, Relevant, hit_fields, is_relevant, normalize

GRADES = (0, 1, 2)
RELEVANT_GRADE = 2


def blind_pool(judgments: Sequence[Judgment], runs: Mapping[str, Mapping[str, Sequence[Any]]],
               depth: int = 10) -> list[dict[str, Any]]:
    """Union of the top ``depth`` hits of every system, per query, in a rank-free order.

    ``runs`` maps system name -> query id -> ranked hits. Each pooled passage carries its
    id, document, section and text, nothing about who found it.
    """
    out = []
    for judgment in judgments:
        pool: dict[str, dict[str, Any]] = {}
        for system_runs in runs.values():
            for hit in list(system_runs.get(judgment.id, ()))[:depth]:
                doc_id, passage_id, text = hit_fields(hit)
                passage = getattr(hit, "passage", hit)  # a Passage shows its section apart from its text
                pool.setdefault(passage_id, {
                    "pid": passage_id, "doc": doc_id,
                    "section": getattr(passage, "section", ""), "text": getattr(passage, "text", text),
                })
        order = sorted(pool.values(), key=lambda p: hashlib.sha1(f"{judgment.id}\t{p['pid']}".encode()).hexdigest())
        out.append({"id": judgment.id, "query": judgment.query,
                    "passages": [{"n": n, **p} for n, p in enumerate(order, start=1)]})
    return out


def write_pool(pool: Iterable[dict[str, Any]], path: Path) -> int:
    """Write the pool as JSONL; return the number of pooled passages."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    total = 0
    with path.open("w", encoding="utf-8") as f:
        for row in pool:
            total += len(row["passages"])
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return total


@dataclass(frozen=True)
class Assessment:
    """One graded pool passage (a line of ``assessments.jsonl``): query id, passage id, its
    document, ``grade`` 0/1/2 (2 = answers the query), the answering phrase for grade 2,
    and who assessed it."""

    qid: str
    pid: str
    doc: str
    grade: int
    contains: str = ""
    assessor: str = ""


def load_assessments(path: Path) -> list[Assessment]:
    """Read ``assessments.jsonl``; a malformed line raises :class:`JudgmentError` naming it."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise JudgmentError(f"cannot read assessments file {path}: {exc.strerror or exc}") from exc
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path.name}:{number}"
        try:
            d = json.loads(line)
        except json.JSONDecodeError as exc:
            raise JudgmentError(f"{where}: invalid JSON ({exc.msg})", {"line": number}) from exc
        if not isinstance(d, dict) or not all(isinstance(d.get(key), str) and d[key] for key in ("id", "pid", "doc")):
            raise JudgmentError(f"{where}: expected an object with string 'id', 'pid' and 'doc'", {"line": number})
        if d.get("grade") not in GRADES:
            raise JudgmentError(f"{where}: 'grade' must be one of {GRADES}", {"line": number})
        contains = d.get("contains") or ""
        if d["grade"] == RELEVANT_GRADE and not normalize(contains):
            raise JudgmentError(f"{where}: a grade-{RELEVANT_GRADE} assessment needs a 'contains' phrase",
                                {"line": number})
        out.append(Assessment(d["id"], d["pid"], d["doc"], d["grade"], contains, str(d.get("assessor", ""))))
    return out


def merge_assessments(
    judgments: Sequence[Judgment],
    assessments: Sequence[Assessment],
    passages: Mapping[str, tuple[str, str]],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Pooled judgments (JSON-ready dicts) and agreement statistics.

    ``passages`` maps passage id -> (doc id, section + text) for every assessed passage.
    A grade-2 passage adds an entry unless it already satisfies one (original or added);
    its phrase must occur in it. Entries are added in passage-id order, so the result does
    not depend on the order of the assessments file.
    """
    by_query: dict[str, list[Assessment]] = {}
    for a in assessments:
        by_query.setdefault(a.qid, []).append(a)
    known = {j.id for j in judgments}
    stray = sorted(set(by_query) - known)
    if stray:
        raise JudgmentError(f"assessments for unknown query id(s): {', '.join(stray[:5])}")
    out = []
    stats = {"queries": len(judgments), "assessed": 0, "graded": {g: 0 for g in GRADES}, "added_entries": 0,
             "original_relevant_assessed": 0, "original_relevant_graded": {g: 0 for g in GRADES}}
    for judgment in judgments:
        entries = list(judgment.relevant)
        for a in sorted(by_query.get(judgment.id, ()), key=lambda a: a.pid):
            if a.pid not in passages:
                raise JudgmentError(f"{judgment.id}: assessed passage {a.pid} is not in the snapshot; "
                                    "merge against the snapshot the pool was drawn from")
            doc_id, text = passages[a.pid]
            stats["assessed"] += 1
            stats["graded"][a.grade] += 1
            if is_relevant(doc_id, text, judgment):
                stats["original_relevant_assessed"] += 1
                stats["original_relevant_graded"][a.grade] += 1
            if a.grade != RELEVANT_GRADE:
                continue
            current = Judgment(judgment.id, judgment.query, judgment.lang, judgment.kind, judgment.topic, tuple(entries))
            if is_relevant(doc_id, text, current):
                continue
            entry = Relevant(doc_id, a.contains)
            if entry.needle not in normalize(text):
                raise JudgmentError(f"{judgment.id}: phrase {a.contains!r} is not in passage {a.pid}")
            entries.append(entry)
            stats["added_entries"] += 1
        row: dict[str, Any] = {"id": judgment.id, "query": judgment.query, "lang": judgment.lang,
                               "kind": judgment.kind, "topic": judgment.topic,
                               "relevant": [{"doc": r.doc, "contains": r.contains} for r in entries]}
        added = len(entries) - len(judgment.relevant)
        if added:
            row["note"] = f"{len(judgment.relevant)} written entries + {added} from pooled assessment"
        out.append(row)
    return out, stats


def snapshot_passages(snapshot_path: Path) -> dict[str, tuple[str, str]]:
    """Passage id -> (doc id, section + text) from a snapshot directory's passages.jsonl."""

    out = {}
    with (Path(snapshot_path) / "passages.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                p = Passage.from_dict(json.loads(line))
                out[p.id] = hit_fields(p)[0::2]
    return out


def write_judgments(rows: Iterable[dict[str, Any]], path: Path) -> None:
    """Write judgment dicts as UTF-8 JSONL (one object per line, non-ASCII kept)."""
    Path(path).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
