"""Relevance judgments for praxisfinder: loading, validation and matching.

``eval/judgments.jsonl`` holds one query per line::

    {"id": "q001", "query": "...", "lang": "de", "kind": "question", "topic": "practice",
     "relevant": [{"doc": "difu-zusammenleben-hand-in-hand-2018", "contains": "..."}]}

Each entry of ``relevant`` names a document (its id = file stem) and a short exact
phrase from a passage that answers the query. Semantics:

* **Normalisation** (:func:`normalize`) is applied to both the phrase and the passage
  text: Unicode NFKC; soft hyphens and zero-width characters removed; typographic
  quotes and dashes mapped to ASCII; words hyphenated across a line break joined
  ("Unter-\\nstützung" -> "unterstützung"); case folding; whitespace collapsed. The
  hyphen rule is deliberately symmetric rather than clever: a hyphen between a letter
  and a *lowercase* letter is dropped together with any whitespace after it (so
  "Unter- stützung", "Unter-stützung" and "Unterstützung" all become one string, and a
  suspended hyphen "Sprach- und" becomes "sprachund" on both sides); before an
  uppercase letter the hyphen stays and the whitespace goes ("Anti- Diskriminierung"
  -> "anti-diskriminierung"). Whatever an ingest cleaner does with line-break hyphens,
  phrase and passage normalise to the same string.
* **Entry satisfied**: a hit satisfies an entry when it comes from the entry's
  document and its normalised text contains the normalised phrase. For ``Hit`` and
  ``Passage`` objects and hit dicts the text is the section path followed by the
  passage text: headings are shown with every hit, and the cleaner turns short lines
  (slide titles, table captions) into headings. Plain run tuples are matched as given.
* **Passage relevance** (:func:`qrels`): a retrieved passage is relevant (grade 1) when
  it satisfies at least one entry of its query; several passages may satisfy the same
  entry (the fact is repeated, or passages overlap). By default every entry that no
  retrieved passage satisfies adds one placeholder document ``"<missing>:<qid>:<i>"``
  with grade 1, so every query has at least one relevant item (ranx requires it) and
  recall/nDCG account for facts the ranking never surfaced.
* **Entry recall** (:func:`entry_recall`): the share of a query's entries satisfied by
  at least one of the top-k hits ("how many of the relevant facts did we find").
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import PraxisError

LANGS = ("de", "en")
KINDS = ("question", "keyword", "paraphrase")
TOPICS = ("place", "practice", "figure", "definition", "fact")  # "fact": the blind set (issue 23)
MAX_ENTRIES = 40  # written judgments keep to 5 or fewer; pooled ones (eval/pool.py) add more
MISSING_PREFIX = "<missing>"

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_PUNCT = str.maketrans(
    {
        "\u201e": '"', "\u201c": '"', "\u201d": '"', "\u00ab": '"', "\u00bb": '"',
        "\u201a": "'", "\u2018": "'", "\u2019": "'", "\u2039": "'", "\u203a": "'",
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    }
)
_HYPHEN = re.compile(r"(?<=[^\W\d_])-\s*(?=([^\W\d_]))")
_SPACE = re.compile(r"\s+")


class JudgmentError(PraxisError):
    """The judgments file is malformed; the message names file and line."""

    code = "judgment_error"


def set_suffix(path: str | Path) -> str | None:
    """Which judgment set a file is: ``""`` for ``judgments.jsonl``, ``"-pooled"`` for
    ``judgments-pooled.jsonl`` (``"-<x>"`` for ``judgments-<x>``), ``None`` for any other name.

    Reports (``REPORT<suffix>.md``) and quality floors (``floor<suffix>.json``) are named by it.
    """
    stem = Path(path).stem
    if stem == "judgments":
        return ""
    if stem.startswith("judgments-") and stem != "judgments-":
        return stem.removeprefix("judgments")
    return None


def normalize(text: str) -> str:
    """Normalise text for phrase matching (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_PUNCT)
    text = _HYPHEN.sub(lambda m: "" if m.group(1).islower() else "-", text)
    return _SPACE.sub(" ", text.casefold()).strip()


@dataclass(frozen=True)
class Relevant:
    """One relevant fact: a document id and a short phrase from the answering passage."""

    doc: str
    contains: str
    needle: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "needle", normalize(self.contains))

    def matches(self, doc_id: str, normalized_text: str) -> bool:
        """True if the hit comes from ``doc`` and its text (already :func:`normalize`-d)
        contains the normalised phrase."""
        return doc_id == self.doc and self.needle in normalized_text


@dataclass(frozen=True)
class Judgment:
    """One judged query (a line of a judgments file): ``lang`` in ``LANGS``, ``kind`` in
    ``KINDS``, ``topic`` in ``TOPICS`` and 1..``MAX_ENTRIES`` relevant entries."""

    id: str
    query: str
    lang: str
    kind: str
    topic: str
    relevant: tuple[Relevant, ...]

    @property
    def docs(self) -> set[str]:
        """Ids of the documents that hold a relevant entry."""
        return {r.doc for r in self.relevant}


def load_judgments(path: str | Path, doc_ids: Iterable[str] | None = None) -> list[Judgment]:
    """Read and validate a judgments JSONL file.

    Blank lines are skipped. Any malformed line raises :class:`JudgmentError` naming the
    file and the 1-based line number. With ``doc_ids`` every ``doc`` must be one of them.
    """
    path = Path(path)
    known = set(doc_ids) if doc_ids is not None else None
    judgments: list[Judgment] = []
    seen: dict[str, int] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise JudgmentError(f"cannot read judgments file {path}: {exc.strerror or exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path.name}:{number}"
        try:
            judgment = parse_judgment(json.loads(line), known)
        except json.JSONDecodeError as exc:
            raise JudgmentError(f"{where}: invalid JSON ({exc.msg})", {"line": number}) from exc
        except ValueError as exc:
            raise JudgmentError(f"{where}: {exc}", {"line": number}) from exc
        if judgment.id in seen:
            raise JudgmentError(f"{where}: duplicate id {judgment.id!r} (first on line {seen[judgment.id]})",
                                {"line": number})
        seen[judgment.id] = number
        judgments.append(judgment)
    return judgments


def parse_judgment(data: Any, doc_ids: set[str] | None = None) -> Judgment:
    """Validate one decoded JSON object; raise ``ValueError`` with a readable reason."""
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    required = {"id", "query", "lang", "kind", "topic", "relevant"}
    missing = sorted(required - data.keys())
    if missing:
        raise ValueError(f"missing field(s): {', '.join(missing)}")
    unknown = sorted(data.keys() - required - {"note"})
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(unknown)}")
    for name in ("id", "query"):
        if not isinstance(data[name], str) or not data[name].strip():
            raise ValueError(f"{name!r} must be a non-empty string")
    for name, allowed in (("lang", LANGS), ("kind", KINDS), ("topic", TOPICS)):
        if data[name] not in allowed:
            raise ValueError(f"{name}={data[name]!r} is not one of: {', '.join(allowed)}")
    entries = data["relevant"]
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_ENTRIES:
        raise ValueError(f"'relevant' must be a list of 1 to {MAX_ENTRIES} entries")
    relevant = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or set(entry) != {"doc", "contains"}:
            raise ValueError(f"relevant[{i}] must be an object with exactly 'doc' and 'contains'")
        doc, phrase = entry["doc"], entry["contains"]
        if not isinstance(doc, str) or not doc or not isinstance(phrase, str) or not normalize(phrase):
            raise ValueError(f"relevant[{i}]: 'doc' and 'contains' must be non-empty strings")
        if doc_ids is not None and doc not in doc_ids:
            raise ValueError(f"relevant[{i}]: unknown document {doc!r}")
        relevant.append(Relevant(doc, phrase))
    return Judgment(data["id"], data["query"], data["lang"], data["kind"], data["topic"], tuple(relevant))


def is_relevant(doc_id: str, text: str, judgment: Judgment) -> set[int]:
    """Indices of the judgment's relevant entries that a hit (document id, text) satisfies."""
    haystack = normalize(text)
    return {i for i, r in enumerate(judgment.relevant) if r.matches(doc_id, haystack)}


def hit_fields(hit: Any) -> tuple[str, str, str]:
    """(doc_id, passage_id, matched text) of a run tuple, a ``Hit``/``Passage`` or a hit dict."""
    if isinstance(hit, Mapping):
        passage_id = hit.get("passage_id", hit.get("id", ""))
        return hit["doc_id"], passage_id, _with_section(hit.get("section", ""), hit["text"])
    if isinstance(hit, Sequence) and not isinstance(hit, str):
        if len(hit) == 3:
            return hit[0], hit[1], hit[2]
        if len(hit) == 2:
            return hit[0], "", hit[1]
        raise ValueError("a hit tuple must be (doc_id, passage_id, text) or (doc_id, text)")
    passage = getattr(hit, "passage", hit)
    return passage.doc_id, passage.id, _with_section(passage.section, passage.text)


def _with_section(section: str, text: str) -> str:
    return f"{section}\n{text}" if section else text


def qrels(
    judgments: Iterable[Judgment],
    run: Mapping[str, Sequence[Any]],
    placeholders: bool = True,
) -> dict[str, dict[str, int]]:
    """Turn a ranking into qrels: ``{qid: {passage_id: 1}}`` for every relevant retrieved passage.

    ``run`` maps query ids to ranked hits ``(doc_id, passage_id, text)``; queries absent
    from ``run`` count as having retrieved nothing. With ``placeholders`` each entry no
    retrieved passage satisfies adds ``"<missing>:<qid>:<i>"`` (see the module docstring).
    """
    out: dict[str, dict[str, int]] = {}
    for judgment in judgments:
        grades: dict[str, int] = {}
        found: set[int] = set()
        for hit in run.get(judgment.id, ()):
            doc_id, passage_id, text = hit_fields(hit)
            matched = is_relevant(doc_id, text, judgment)
            if matched:
                grades[passage_id] = 1
                found |= matched
        if placeholders:
            for i in range(len(judgment.relevant)):
                if i not in found:
                    grades[f"{MISSING_PREFIX}:{judgment.id}:{i}"] = 1
        out[judgment.id] = grades
    return out


def entry_recall(judgment: Judgment, hits: Sequence[Any], k: int = 10) -> float:
    """Share of the judgment's entries satisfied by at least one of the top ``k`` hits."""
    found: set[int] = set()
    for hit in list(hits)[:k]:
        doc_id, _, text = hit_fields(hit)
        found |= is_relevant(doc_id, text, judgment)
    return len(found) / len(judgment.relevant)
