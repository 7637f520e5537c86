"""The shared data model: Document, Passage, Hit.

This is the lowest layer of praxisfinder; every other package imports from here and
nothing here imports from them. Objects are plain dataclasses with ``to_dict`` /
``from_dict`` so that snapshots, the API and eval reports share one shape.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import asdict, dataclass, field, fields
from typing import Any

SECTION_SEPARATOR = " › "


def passage_id(doc_id: str, start: int, end: int) -> str:
    """Deterministic passage id: a short hash of document id and character offsets."""
    digest = hashlib.sha1(f"{doc_id}:{start}:{end}".encode("utf-8")).hexdigest()
    return f"{doc_id[:24]}-{digest[:12]}"


def _from_dict(cls, data: dict[str, Any]):
    """Build a dataclass from a dict, ignoring unknown keys (forward compatible)."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class Document:
    """One source document after reading and cleaning.

    ``text`` is the cleaned full text; passage offsets point into it. ``page_starts``
    holds the character offset at which each page begins (page 1 first), so a page
    number can be derived for any offset.
    """

    id: str
    title: str
    path: str
    sha256: str
    format: str
    text: str = ""
    page_starts: list[int] = field(default_factory=lambda: [0])
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return len(self.page_starts)

    def page_at(self, offset: int) -> int:
        """1-based page number of a character offset (binary search: a text file can hold
        a page break per line, so a linear scan per passage would be quadratic)."""
        return max(1, bisect.bisect_right(self.page_starts, offset))

    def to_dict(self, with_text: bool = True) -> dict[str, Any]:
        data = asdict(self)
        if not with_text:
            data.pop("text")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Document":
        return _from_dict(cls, data)


@dataclass
class Passage:
    """A retrievable unit: a run of whole sentences from one document section."""

    id: str
    doc_id: str
    doc_title: str
    text: str
    page: int
    section_path: list[str]
    start: int
    end: int
    index: int
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def section(self) -> str:
        return SECTION_SEPARATOR.join(self.section_path)

    def embedding_text(self) -> str:
        """The text the dense model sees: document title and section as context."""
        context = self.doc_title
        if self.section_path:
            context = f"{context} — {self.section}"
        return f"{context}\n{self.text}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["section"] = self.section
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Passage":
        return _from_dict(cls, data)


@dataclass
class Hit:
    """A passage in a ranking, with its fused score and the per-arm evidence."""

    passage: Passage
    score: float
    rank: int
    scores: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The flat shape used by the CLI batch mode and the API."""
        p = self.passage
        return {
            "passage_id": p.id,
            "doc_id": p.doc_id,
            "doc_title": p.doc_title,
            "page": p.page,
            "section": p.section,
            "text": p.text,
            "score": round(float(self.score), 6),
            "rank": self.rank,
            "scores": {k: round(float(v), 6) for k, v in self.scores.items()},
        }
