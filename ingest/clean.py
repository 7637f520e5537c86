"""Cleaning of exported page text: furniture, markdown, hyphenation, broken paragraphs.

The output is a flat list of :class:`Piece` objects (text, list, table) in reading order,
each remembering which page its characters came from. :mod:`ingest.structure` turns
them into headings, paragraphs, lists and tables with offsets.

Hyphenation rule: a word split at a line (or page) end is joined when the next
fragment starts lowercase ("Unter-" / "stützung" -> "Unterstützung"); the hyphen is
kept before "und"/"oder"/... ("Integrations- und") and before a capital letter or a
digit ("Elm-" / "Asse" -> "Elm-Asse").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Lines that are page furniture, photo credits, slide template text or image alt text.
_FURNITURE_LINE = re.compile(
    r"""(?ix)
    (?:fotos?|bild|bildnachweis|bildquelle|abbildungsnachweis|fotonachweis)\b\s*(?::.{0,80})?
    | ©.{0,120}
    | logo
    | \|?\s*bertelsmannstiftung
    | name\ des\ amtes\ \|\ bereich | name\ der\ abteilung | maximal\ \d-zeilig
    | [dl]ifu
    | gefördert\ durch:? | in\ kooperation\ mit:?
    | seite\ \d+(?:\ von\ \d+)? | \d{1,3}
    | (?:a|an|the)\ (?:handwritten|photo(?:graph)?|image|picture|logo|signature|group|portrait
        |close-up|map|chart|diagram|screenshot|illustration)\b.*
    """
)
# Whole paragraphs that are logo text on title pages.
_FURNITURE_GROUP = re.compile(
    r"(?i)aufgrund eines beschlusses des deutschen bundestages"
    r"|bundesministerium des innern,? (?:für bau )?und (?:für )?heimat"
)
_BULLET = re.compile(r"^(\s*)(?:[-•▪◦*·]|\d{1,2}\))\s+(?=\S)")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\([^)\s]*\)")
_CONJUNCTIONS = {"und", "oder", "bzw.", "sowie", "als", "wie", "bis", "&"}
_TERMINAL = (".", "!", "?", ":", ";", "“", "”", '"', ")", "…")
# Words a sentence cannot end with: a fragment ending in one continues after a break.
_OPEN_WORDS = set(
    "und oder sowie bzw. der die das des dem den ein eine einer eines einem einen mit von zu zur zum "
    "für in im auf an am bei aus nach über unter vor durch als wie dass ist sind wird werden wurde "
    "wurden hat haben kann können sich nicht auch noch sehr the of and".split()
)


@dataclass
class Span:
    """A piece of text plus (offset, page) marks: text from offset on came from page."""

    text: str
    marks: list[tuple[int, int]] = field(default_factory=list)

    @classmethod
    def on(cls, text: str, page: int) -> "Span":
        return cls(text, [(0, page)])

    def append(self, other: "Span") -> None:
        joined, offset = join_fragments(self.text, other.text)
        self.text = joined
        self.marks += [(o + offset, p) for o, p in other.marks]

    @property
    def page(self) -> int:
        return self.marks[0][1] if self.marks else 1


@dataclass
class Piece:
    """kind: text | list | table | mdheading. ``items`` are lines, list items or table rows."""

    kind: str
    items: list[Span]
    level: int = 0  # markdown heading level
    indents: list[int] = field(default_factory=list)  # list item nesting


def join_fragments(left: str, right: str) -> tuple[str, int]:
    """Join two fragments of running text; return the result and where ``right`` starts."""
    left = left.rstrip()
    right = right.lstrip()
    if not left:
        return right, 0
    if not right:
        return left, len(left)
    if re.search(r"\d-$", left) and right[0].isdigit():
        return left + right, len(left)
    if re.search(r"[^\W\d_]-$", left) and not left.endswith(" -"):
        first = right.split(maxsplit=1)[0]
        if first.lower() in _CONJUNCTIONS:
            return f"{left} {right}", len(left) + 1
        if right[0].islower():
            return left[:-1] + right, len(left) - 1
        return left + right, len(left)
    return f"{left} {right}", len(left) + 1


def normalize_line(line: str) -> str:
    line = line.replace("\u00a0", " ").replace("\u00ad", "").replace("\ufeff", "")
    line = _MD_LINK.sub(r"\1", line)
    line = _INLINE_HYPHEN.sub(_join_inline, line)
    indent = len(line) - len(line.lstrip(" "))
    line = line[:indent] + re.sub(r" {2,}", " ", line[indent:])
    for _ in range(2):
        line = _MD_EMPHASIS.sub(r"\2", line)
    return line.rstrip()


_INLINE_HYPHEN = re.compile(r"(?<=[^\W\d_]{2})- ([a-zäöüß][\w.]*)")


def _join_inline(m: re.Match) -> str:
    """"Mo- ment" inside a line (a collapsed line break) -> "Moment"; keep "Kinder- und"."""
    word = m.group(1)
    return m.group(0) if word in _CONJUNCTIONS else word


def is_furniture(line: str) -> bool:
    return bool(_FURNITURE_LINE.fullmatch(line.strip()))


def page_pieces(page_text: str, page: int) -> list[Piece]:
    """Split one page into pieces: blank-line separated groups, then tables/lists/text."""
    pieces: list[Piece] = []
    lines = [normalize_line(ln) for ln in page_text.split("\n")]
    group: list[str] = []
    for line in lines + [""]:
        if line.strip():
            if not is_furniture(line):
                group.append(line)
            continue
        if group:
            pieces.extend(_group_pieces(group, page))
            group = []
    return pieces


def _group_pieces(lines: list[str], page: int) -> list[Piece]:
    if _FURNITURE_GROUP.fullmatch(" ".join(ln.strip() for ln in lines)):
        return []
    out: list[Piece] = []
    for line in lines:
        stripped = line.strip()
        heading = _MD_HEADING.match(stripped)
        bullet = _BULLET.match(line)
        last = out[-1] if out else None
        if "\t" in line.strip(" ") and not bullet:
            row = "\t".join(re.sub(r"\s+", " ", c).strip() for c in line.rstrip("\t ").split("\t"))
            if last and last.kind == "table":
                last.items.append(Span.on(row, page))
            else:
                out.append(Piece("table", [Span.on(row, page)]))
        elif heading:
            out.append(Piece("mdheading", [Span.on(heading.group(2), page)], level=len(heading.group(1))))
        elif bullet:
            indent = len(bullet.group(1).expandtabs(4))
            item = Span.on(line[bullet.end():].strip(), page)
            if last and last.kind == "list":
                last.items.append(item)
                last.indents.append(indent)
            else:
                out.append(Piece("list", [item], indents=[indent]))
        elif last and last.kind in ("text", "list"):
            last.items[-1].append(Span.on(stripped, page))
        else:
            out.append(Piece("text", [Span.on(stripped, page)]))
    return out


def _continues(prev: str, nxt: str) -> bool:
    """Does ``nxt`` continue the sentence that ``prev`` left open?"""
    prev, nxt = prev.rstrip(), nxt.lstrip()
    if not prev or not nxt or prev.endswith(_TERMINAL):
        return False
    if prev.endswith(",") or (re.search(r"[^\W\d_]-$", prev) and nxt[0].isalpha()):
        return True
    if nxt[0].islower():
        return True
    return prev.split()[-1] in _OPEN_WORDS


def merge_pieces(pieces: list[Piece]) -> list[Piece]:
    """Rejoin text broken by blank lines or page breaks; merge split lists and tables."""
    out: list[Piece] = []
    for piece in pieces:
        prev = out[-1] if out else None
        if prev is None:
            out.append(piece)
        elif piece.kind == "text" and prev.kind in ("text", "list") and _continues(
            prev.items[-1].text, piece.items[0].text
        ):
            prev.items[-1].append(piece.items[0])
        elif piece.kind == "list" and prev.kind == "list":
            prev.items += piece.items
            prev.indents += piece.indents
        elif piece.kind == "table" and prev.kind == "table" and _columns(prev) == _columns(piece):
            prev.items += piece.items
        else:
            out.append(piece)
    return out


def _columns(piece: Piece) -> int:
    return max(item.text.count("\t") for item in piece.items) + 1


def clean_pages(pages: list[str]) -> list[Piece]:
    """All pages of a document to merged pieces in reading order (pages are 1-based)."""
    pieces: list[Piece] = []
    for number, text in enumerate(pages, start=1):
        pieces.extend(page_pieces(text, number))
    return merge_pieces(pieces)
