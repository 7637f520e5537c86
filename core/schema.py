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
    """Deterministic passage id: ``<doc_id[:24]>-<12 hex digits of SHA-1("doc_id:start:end")>``;
    ``start``/``end`` are character offsets into the cleaned document text."""
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

    Citations (:meth:`citation`) come from one of three sources:

    * ``physical_pages`` (PDFs, text with form feeds): the page of an offset is known;
      ``page_labels`` gives each page's printed label where the document prints one
      (PDF page labels, page numbers in headers and footers; "" if unknown).
    * ``page_ranges`` (text exports with a table of contents): rows ``[offset, first,
      last]``: text from ``offset`` on lies on printed pages ``first``..``last``
      (``last`` 0: open end), from the TOC entries anchored to their headings.
    * neither: no page is known and none is cited.
    """

    id: str
    title: str
    path: str
    sha256: str
    format: str
    text: str = ""
    page_starts: list[int] = field(default_factory=lambda: [0])
    meta: dict[str, Any] = field(default_factory=dict)
    page_labels: list[str] = field(default_factory=list)
    page_ranges: list[list[int]] = field(default_factory=list)
    physical_pages: bool = True

    @property
    def pages(self) -> int:
        """Number of pages as the reader split them (1 for a text without page breaks)."""
        return len(self.page_starts)

    def citation(self, start: int, end: int) -> tuple[int | None, int | None, str | None]:
        """(page, page_end, page_label) for the text ``[start, end)``.

        ``page``/``page_end``: physical pages where they are known, else the first and
        last printed page of the TOC range (``page_end`` None for an open end); both None
        when nothing is known. ``page_label`` is what a citation shows after "S.":
        "12", "12–13", "67–70", "113 ff." (printed labels where known, physical page
        numbers for paged documents without printed labels), or None.
        """
        last_offset = max(start, end - 1)
        if self.physical_pages:
            first, last = self.page_at(start), self.page_at(last_offset)
            labels = [self._label(first), self._label(last)]
            if not all(labels):
                labels = [str(first), str(last)]
            label = labels[0] if first == last else f"{labels[0]}–{labels[1]}"
            return first, last, label
        if self.page_ranges:
            a, b = self._range_at(start), self._range_at(last_offset)
            first, last = a[1], (b[2] or None)
            if last is None:
                return first, None, f"{first} ff."
            last = max(first, last)
            return first, last, str(first) if first == last else f"{first}–{last}"
        return None, None, None

    def _label(self, page: int) -> str:
        if 0 < page <= len(self.page_labels):
            return self.page_labels[page - 1]
        return ""

    def _range_at(self, offset: int) -> list[int]:
        found = self.page_ranges[0]
        for row in self.page_ranges:
            if row[0] <= offset:
                found = row
            else:
                break
        return found

    def page_at(self, offset: int) -> int:
        """1-based page number of a character offset (binary search: a text file can hold
        a page break per line, so a linear scan per passage would be quadratic)."""
        return max(1, bisect.bisect_right(self.page_starts, offset))

    def to_dict(self, with_text: bool = True) -> dict[str, Any]:
        """All fields as JSON-ready data; ``with_text=False`` leaves out the full text."""
        data = asdict(self)
        if not with_text:
            data.pop("text")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Document":
        """Inverse of :meth:`to_dict`; unknown keys are ignored (older/newer snapshots)."""
        return _from_dict(cls, data)


@dataclass
class Passage:
    """A retrievable unit: a run of whole sentences from one document section.

    ``page``/``page_end``/``page_label`` come from :meth:`Document.citation`: ``page`` is
    the physical page for PDFs and the first printed page of the cited range for text
    exports anchored to their table of contents, None where no page is known;
    ``page_label`` is what the citation shows after "S." ("12", "67–70", "113 ff.").
    """

    id: str
    doc_id: str
    doc_title: str
    text: str
    page: int | None
    section_path: list[str]
    start: int
    end: int
    index: int
    meta: dict[str, Any] = field(default_factory=dict)
    page_end: int | None = None
    page_label: str | None = None

    def __post_init__(self) -> None:
        if self.page_label is None and self.page is not None:  # passages stored before page labels
            self.page_label = str(self.page)
            if self.page_end is None:
                self.page_end = self.page


    @property
    def section(self) -> str:
        """The section path joined with " › " ("" for text before the first heading)."""
        return SECTION_SEPARATOR.join(self.section_path)

    def embedding_text(self) -> str:
        """The text the dense model sees: document title and section as context."""
        context = self.doc_title
        if self.section_path:
            context = f"{context} — {self.section}"
        return f"{context}\n{self.text}"

    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-ready data, plus the joined ``section`` string."""
        data = asdict(self)
        data["section"] = self.section
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Passage":
        """Inverse of :meth:`to_dict`; unknown keys (such as ``section``) are ignored."""
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
            "page_end": p.page_end,
            "page_label": p.page_label,
            "section": p.section,
            "text": p.text,
            "score": round(float(self.score), 6),
            "rank": self.rank,
            "scores": {k: round(float(v), 6) for k, v in self.scores.items()},
        }
