"""Document structure: headings, section paths, blocks with offsets and page starts.

Heading rules (tuned on the corpus, see tests/ingest/test_structure.py):

* numbered headings ``4.1 Kreisfreie Städte``, ``2 | Vorstellung der Fallstudien``,
  ``1. Der Wettbewerb: …`` and markdown ``#`` headings set the numbered levels;
* short title lines ("Begründung der Prämierung") are unnumbered headings below them;
* an unnumbered heading directly followed by a *recurring* heading (one that appears
  several times in the document, such as "Kommune und Wettbewerbsbeitrag im
  Überblick") opens a profile: municipality names in the Difu documentation;
* a title ending in a parenthesised list of names may be longer ("Kooperation zwischen …
  (Dortmund, Eimsbüttel in Hamburg, Halle (Saale))") and may open with a quoted name
  („One-Stop-Shop“ (Augsburg, …)); a line of one word repeated ("Bursa Bursa Bursa") is a
  table's cell marks, not a title;
* a "Quellen:" paragraph closes the portrait or case study it ends: what follows until the
  next heading stands in the enclosing section;
* table-of-contents tables (rows ending in a tab and a page number) are dropped from
  the text and kept as :attr:`CleanText.toc`; :func:`toc_page_ranges` anchors each TOC
  entry to the heading it names, which gives exports without page marks their printed
  pages.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import unicodedata

from ingest.clean import Piece, Span, clean_pages, strip_running_lines

_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)(?:\.|\s*\|)?\s+([A-ZÄÖÜ„\"].*)$")
_CAPTION = re.compile(r"^(?:Tab\.|Tabelle|Abb\.|Abbildung|Übersicht|Grafik|Schaubild)\s*\d+\b")
_TOC_ROW = re.compile(r"^.+\t\s*\d{1,4}$")
_TOC_ENTRY = re.compile(r"^(.+?)\t\s*(\d{1,4})$")
# "31.12." or "1.10.2024" at a line start is a date, not a section number.
_DATE_START = re.compile(r"^(?:0?[1-9]|[12]\d|3[01])\.(?:0?[1-9]|1[0-2])\.(?:\d{2,4})?(?:\s|$)")
_TOC_TITLES = {"inhalt", "inhaltsverzeichnis", "contents"}
# Unnumbered titles that open a top-level chapter (they reset the numbered levels).
_CHAPTER_TITLES = re.compile(
    r"(?i)^(?:vorwort\b.*|grußwort\b.*|impressum|inhalt|inhaltsverzeichnis|einleitung|danksagung"
    r"|literatur(?:verzeichnis)?(?: \(auswahl\))?|quellen(?:verzeichnis)?|anhang|anlagen?|fazit"
    r"|zusammenfassung)$"
)
PROFILE_MIN_REPEATS = 3  # a heading seen this often is a template subheading
# The sources line that closes a portrait or case study ("Quellen: Interview mit …").
_SOURCES_LINE = re.compile(r"^Quellen?:\s")
_NOT_TITLE = re.compile(r"^(?:Weitere Informationen|Quellen?|Impuls|Moderation|Kontakt|Tel\.|Telefon|E-Mail)\b")
MAX_HEADING_WORDS = 14
MAX_HEADING_CHARS = 120
# A title that ends in a parenthesised list of names ("Kooperation zwischen Verwaltung und
# Wohnungswirtschaft bei der Unterbringung von Geflüchteten (Dortmund, Eimsbüttel in Hamburg,
# Halle (Saale))": case studies with their places) may be longer: the list is not running text.
MAX_LISTED_HEADING_WORDS = 24
MAX_LISTED_HEADING_CHARS = 200
_TRAILING_PARENS = re.compile(r"\((?:[^()]|\([^()]*\))+\)$")
# A quoted name opening a title: „One-Stop-Shop“ (Augsburg, …), not a quotation („… man sich …“).
_QUOTED_NAME = re.compile(r"^[„\"»][^„“”\"«»]{2,60}[“”\"«]\s+\S")


@dataclass
class Block:
    """A heading, paragraph, list or table; offsets point into the cleaned text."""

    kind: str
    text: str
    start: int = 0
    end: int = 0
    section_path: list[str] = field(default_factory=list)
    level: int = 0
    units: list[tuple[int, int]] = field(default_factory=list)  # list items / table rows
    header_units: int = 0  # table: caption and header rows at the top


@dataclass
class TocEntry:
    """One table-of-contents row: title and printed page; ``offset`` once anchored."""

    title: str
    page: int
    offset: int | None = None


@dataclass
class CleanText:
    """The output of :func:`build`: cleaned document text, the character offset where
    each page starts (page 1 first), blocks with offsets into ``text``, the table of
    contents and the running headers/footers that were removed."""

    text: str
    page_starts: list[int]
    blocks: list[Block]
    toc: list[TocEntry] = field(default_factory=list)
    running_lines: list[str] = field(default_factory=list)

    @property
    def first_heading(self) -> str | None:
        """Text of the first heading block, or None (a fallback document title)."""
        return next((b.text for b in self.blocks if b.kind == "heading"), None)


def numbered_heading(text: str) -> tuple[int, str] | None:
    """(level, section label) for a numbered heading line, else None."""
    m = _NUMBERED.match(text)
    if not m or _DATE_START.match(text) or not _heading_shape(m.group(2), allow_question=True):
        return None
    number = m.group(1)
    return number.count(".") + 1, f"{number} {m.group(2).strip()}"


def is_title_line(text: str) -> bool:
    """A short title line: capitalised (or a quoted name: „One-Stop-Shop“ (Augsburg, …)), few
    words (more when it ends in a parenthesised list of names), no sentence end, no contact data."""
    quoted = text[:1] in "„\"»"  # „lokal willkommen“ (Dortmund): a quoted name may start in lower case
    if not (quoted or text[:1].isupper()) or _CAPTION.match(text) or _NOT_TITLE.match(text):
        return False
    if " | " in text or ";" in text:
        return False
    return _heading_shape(text, allow_question=False)


def _heading_shape(text: str, allow_question: bool) -> bool:
    words = text.split()
    listed = _TRAILING_PARENS.search(text.rstrip()) is not None
    most_words, most_chars = ((MAX_LISTED_HEADING_WORDS, MAX_LISTED_HEADING_CHARS) if listed
                              else (MAX_HEADING_WORDS, MAX_HEADING_CHARS))
    if not words or len(words) > most_words or len(text) > most_chars:
        return False
    bare = text.rstrip().rstrip("“”\"'»«")
    if bare.endswith((".", ",", ";", ":", "!", "-")) or (text.endswith("?") and not allow_question):
        return False
    if any(s in text for s in ("@", "http", "www.", "\t")) or text.startswith(("(", "+")):
        return False
    if text.startswith(("„", '"', "»")) and not (listed and _QUOTED_NAME.match(text)):
        return False  # a quotation; a quoted project name with its places is a title
    if len(words) > 1 and len({w.casefold() for w in words}) == 1:
        return False  # "Bursa Bursa Bursa": marks in a table's cells
    return any(sum(ch.isalpha() for ch in w) >= 3 for w in words)


def _is_toc(piece: Piece) -> bool:
    rows = [item.text for item in piece.items]
    return len(rows) >= 3 and sum(bool(_TOC_ROW.match(r)) for r in rows) >= 0.6 * len(rows)


def _header_rows(rows: list[str]) -> int:
    """Leading rows without digits are header rows (at most 3, and data must follow)."""
    count = 0
    for row in rows[:3]:
        if re.search(r"\d", row):
            break
        count += 1
    return count if count < len(rows) else 0


def _classify(pieces: list[Piece], toc: list[TocEntry] | None = None) -> list[tuple[Block, list[Span], list[int]]]:
    """Pieces to blocks (without offsets) with the spans they are rendered from.

    The rows of table-of-contents tables are appended to ``toc`` (first TOC only).
    """
    out: list[tuple[Block, list[Span], list[int]]] = []
    caption: Span | None = None
    toc_at: int | None = None
    for i, piece in enumerate(pieces):
        if piece.kind == "table":
            if _is_toc(piece):
                if out and out[-1][0].kind == "heading" and out[-1][1][0].text.lower() in _TOC_TITLES:
                    out.pop()
                if toc is not None and (toc_at is None or toc_at == len(out)):
                    toc_at = len(out)
                    for item in piece.items:
                        m = _TOC_ENTRY.match(item.text.strip())
                        if m:
                            toc.append(TocEntry(re.sub(r"\s+", " ", m.group(1)).strip(), int(m.group(2))))
                continue
            spans = ([caption] if caption else []) + piece.items
            block = Block("table", "", header_units=(1 if caption else 0) + _header_rows([s.text for s in piece.items]))
            out.append((block, spans, []))
            caption = None
            continue
        if caption:
            out.append((Block("paragraph", ""), [caption], []))
            caption = None
        if piece.kind == "list":
            out.append((Block("list", ""), piece.items, piece.indents))
            continue
        span = piece.items[0]
        text = span.text
        nxt = pieces[i + 1] if i + 1 < len(pieces) else None
        if piece.kind == "mdheading":
            out.append((Block("heading", "", level=piece.level), [span], []))
        elif _CAPTION.match(text) and nxt is not None and nxt.kind == "table" and not _is_toc(nxt):
            caption = span
        elif (num := numbered_heading(text)) is not None:
            out.append((Block("heading", "", level=num[0], section_path=[num[1]]), [span], []))
        elif is_title_line(text) and _CHAPTER_TITLES.match(text):
            out.append((Block("heading", "", level=1, section_path=[text]), [span], []))
        elif is_title_line(text):
            out.append((Block("heading", "", level=0), [span], []))
        else:
            out.append((Block("paragraph", ""), [span], []))
    if caption:
        out.append((Block("paragraph", ""), [caption], []))
    return out


def _assign_sections(blocks: list[Block]) -> None:
    """Fill ``section_path`` of every block from the headings before it."""
    titles = Counter(b.text for b in blocks if b.kind == "heading" and b.level == 0)
    numbered: list[tuple[int, str]] = []
    major: str | None = None
    minor: str | None = None
    for i, block in enumerate(blocks):
        if block.kind == "heading" and block.level > 0:
            label = block.section_path[0] if block.section_path else block.text
            numbered = [(lvl, t) for lvl, t in numbered if lvl < block.level] + [(block.level, label)]
            major = minor = None
        elif block.kind == "heading":
            nxt, after = (blocks[i + 1 : i + 3] + [None, None])[:2]
            opens_profile = (
                nxt is not None and nxt.kind == "heading" and nxt.level == 0
                and titles[nxt.text] >= PROFILE_MIN_REPEATS and titles[block.text] == 1
                and after is not None and after.kind != "heading"
            )
            if opens_profile:
                major, minor = block.text, None
            else:
                minor = block.text
        path = [t for _, t in numbered] + [t for t in (major, minor) if t]
        block.section_path = path
        if block.kind == "paragraph" and _SOURCES_LINE.match(block.text):
            # a case study ends with its sources: what follows stands in the enclosing section
            if minor:
                minor = None
            else:
                major = None


def _render(items: list[tuple[Block, list[Span], list[int]]], pages: int) -> CleanText:
    parts: list[str] = []
    pos = 0
    first_offset: dict[int, int] = {}
    blocks: list[Block] = []
    for block, spans, indents in items:
        if parts:
            parts.append("\n\n")
            pos += 2
        block.start = pos
        local: list[str] = []
        for j, span in enumerate(spans):
            if j:
                local.append("\n")
                pos += 1
            prefix = ""
            if block.kind == "list":
                depth = 1 if indents and indents[j] > min(indents) else 0
                prefix = "  " * depth + "- "
            for offset, page in span.marks:
                first_offset.setdefault(page, pos + len(prefix) + offset)
            local.append(prefix + span.text)
            block.units.append((pos, pos + len(prefix) + len(span.text)))
            pos += len(prefix) + len(span.text)
        block.end = pos
        block.text = "".join(local)
        parts.append(block.text)
        blocks.append(block)
    text = "".join(parts)
    starts = [0] * pages
    nxt = len(text)
    for page in range(pages, 0, -1):
        nxt = min(first_offset.get(page, nxt), nxt)
        starts[page - 1] = nxt
    starts[0] = 0
    return CleanText(text=text, page_starts=starts, blocks=blocks)


def build(pages: list[str]) -> CleanText:
    """Clean raw pages and return the document text, page starts, blocks and TOC.

    Running headers and footers are removed first (kept in ``running_lines``, see
    :func:`ingest.clean.strip_running_lines`); the entries of the document's table of
    contents are anchored to the headings they name (``toc``, see :func:`anchor_toc`).
    """
    pages, running = strip_running_lines(pages)
    toc: list[TocEntry] = []
    items = _classify(clean_pages(pages), toc)
    for block, spans, _ in items:
        block.text = "\n".join(s.text for s in spans)
    _assign_sections([b for b, _, _ in items])
    clean = _render(items, max(1, len(pages)))
    clean.running_lines = running
    clean.toc = anchor_toc(toc, clean.blocks)
    return clean


def _toc_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if ch.isalnum())


def _toc_match(entry: str, block: Block) -> bool:
    """Does a block (its first line) start the section a TOC entry names?"""
    line = _toc_key(block.text.split("\n", 1)[0])
    if not line or not entry:
        return False
    if line == entry:
        return True
    if block.kind != "heading" or min(len(line), len(entry)) < 6:
        return False
    common = 0
    for a, b in zip(line, entry):
        if a != b:
            break
        common += 1
    # "Vorworte" names "Vorwort des Bundesministers …"; a heading may wrap or be cut.
    return common >= min(len(entry), len(line)) - 1


def anchor_toc(entries: list[TocEntry], blocks: list[Block]) -> list[TocEntry]:
    """Anchor TOC entries to blocks: the largest set of matches in reading order.

    Each entry may match several blocks (a heading "Verwaltung" in two chapters); a
    dynamic programme picks, among the chains whose offsets grow with the entries'
    order and whose pages do not fall, one with the most anchored entries (earliest
    offsets on ties). Entries without an anchor keep ``offset=None``. Returns all
    entries, in TOC order.
    """
    if not entries:
        return []
    candidates: list[list[int]] = []
    for entry in entries:
        key = _toc_key(entry.title)
        candidates.append([b.start for b in blocks if _toc_match(key, b)])
    # best[(i, offset)] = (matched count, -sum offsets, previous state)
    best: dict[tuple[int, int], tuple[int, int, tuple[int, int] | None]] = {}
    for i, offsets in enumerate(candidates):
        for off in offsets:
            score: tuple[int, int, tuple[int, int] | None] = (1, -off, None)
            for (j, prev_off), (count, neg, _) in best.items():
                if j < i and prev_off < off and entries[j].page <= entries[i].page:
                    if (count + 1, neg - off) > score[:2]:
                        score = (count + 1, neg - off, (j, prev_off))
            best[(i, off)] = score
    if not best:
        return entries
    state: tuple[int, int] | None = max(best, key=lambda k: best[k][:2])
    while state is not None:
        entries[state[0]].offset = state[1]
        state = best[state][2]
    return entries



def toc_page_ranges(toc: list[TocEntry]) -> list[list[int]]:
    """Printed page ranges from anchored TOC entries: ``[offset, first, last]`` rows.

    Text from ``offset`` on lies on pages ``first``..``last`` (``last`` 0: open end, the
    last entry). A section runs from its TOC page to the page before the next anchored
    entry's page, or to that page itself when both start on the same page. Text before
    the first anchor (cover, imprint, the TOC itself) lies before that anchor's page.
    Returns [] when no entry is anchored.
    """
    anchored = sorted((e for e in toc if e.offset is not None), key=lambda e: e.offset)
    if not anchored:
        return []
    ranges: list[list[int]] = []
    if anchored[0].offset > 0:
        ranges.append([0, 1, max(1, anchored[0].page - 1)])
    for k, entry in enumerate(anchored):
        if k + 1 < len(anchored):
            last = max(entry.page, anchored[k + 1].page - 1)
        else:
            last = 0
        ranges.append([entry.offset, entry.page, last])
    return ranges
