"""Cleaning of exported page text: furniture, markdown, hyphenation, broken paragraphs.

The output is a flat list of :class:`Piece` objects (text, list, table) in reading order,
each remembering which page its characters came from. :mod:`ingest.structure` turns
them into headings, paragraphs, lists and tables with offsets.

Hyphenation rule: a word split at a line (or page) end is joined when the next
fragment starts lowercase ("Unter-" / "stützung" -> "Unterstützung"); the hyphen is
kept before "und"/"oder"/... ("Integrations- und") and before a capital letter or a
digit ("Elm-" / "Asse" -> "Elm-Asse"). A soft hyphen (U+00AD) or Unicode hyphen
(U+2010, U+2011) at a line end is a hyphen at a line end; inside a line a soft hyphen
is dropped and the Unicode hyphens become "-".

Each line is also NFC-normalised, typographic ligatures (U+FB00–FB06) are folded to
their letters, spacing diacritics that PDF extractors emit beside their letter
("B¨urger", "f¨ur") are composed ("Bürger", "für"), and HTML remnants of web exports
(``<p>``, ``<ul style=...>``, ``<br>``, entities) are stripped. Lines that repeat at the
top or bottom of many pages (running headers and footers, "Seite 1 von 2") are removed
by :func:`strip_running_lines` and kept as document metadata.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
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
    | (?:seite|s\.|page)\ ?\d+(?:\ ?(?:von|/|of)\ ?\d+)? | \d{1,3} | [-–—]\ ?\d{1,4}\ ?[-–—]
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
_MD_LINK = re.compile(r"\[([^\[\]\n]+)\]\([^)\s]*\)")  # never across another "[": linear
_CONJUNCTIONS = {"und", "oder", "bzw.", "sowie", "als", "wie", "bis", "&"}
_TERMINAL = (".", "!", "?", ":", ";", "“", "”", '"', ")", "…")
MAX_RUNNING_HEADING_WORDS = 14  # longer unterminated text at a page end is running text
# Words a sentence cannot end with: a fragment ending in one continues after a break.
_OPEN_WORDS = set(
    "und oder sowie bzw. der die das des dem den ein eine einer eines einem einen mit von zu zur zum "
    "für in im auf an am bei beim aus nach über unter vor vom durch als wie dass ist sind wird werden wurde "
    "wurden hat haben kann können sich nicht auch noch sehr the of and".split()
)


class Span:
    """A piece of text plus (offset, page) marks: text from offset on came from page.

    Lines appended one by one (:meth:`append`) are kept as parts and joined once, when
    ``text`` is read: a paragraph of many short lines costs time linear in its length
    (re-joining the whole paragraph at every line was quadratic)."""

    def __init__(self, text: str = "", marks: list[tuple[int, int]] | None = None):
        self._parts: list[str] = [text] if text else []
        self._length = len(text)
        self.marks: list[tuple[int, int]] = list(marks) if marks is not None else []

    @classmethod
    def on(cls, text: str, page: int) -> "Span":
        """A span whose whole text came from one (1-based) ``page``."""
        return cls(text, [(0, page)])

    @property
    def text(self) -> str:
        """The span's text (its parts joined, once)."""
        if len(self._parts) > 1:
            self._parts = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    @text.setter
    def text(self, value: str) -> None:
        self._parts = [value] if value else []
        self._length = len(value)

    def __repr__(self) -> str:
        return f"Span({self.text!r}, {self.marks!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Span) and (self.text, self.marks) == (other.text, other.marks)

    def tail(self, n: int) -> str:
        """The last ``n`` characters of the text (without joining all of it)."""
        out: list[str] = []
        need = n
        for part in reversed(self._parts):
            if need <= 0:
                break
            out.append(part[-need:])
            need -= len(part)
        return "".join(reversed(out))

    def append(self, other: "Span") -> None:
        """Join ``other`` onto this span in place, shifting its marks: the same result as
        :func:`join_fragments` on the two texts, in time linear in ``other``'s length."""
        self._rstrip()
        right = other.text.lstrip()
        if not self._length or not right:
            offset = 0 if not self._length else self._length
            if right:
                self._parts, self._length = [right], len(right)
        else:
            end = self.tail(2)  # join_fragments' patterns look at the last two characters only
            sep = " "
            if _DIGIT_HYPHEN.search(end) and right[0].isdigit():
                sep = ""
            elif _LETTER_HYPHEN.search(end):
                first = right.split(maxsplit=1)[0]
                if first.lower() not in _CONJUNCTIONS:
                    sep = ""
                    if right[0].islower():
                        self._chop(1)
            offset = self._length + len(sep)
            self._parts += [sep, right] if sep else [right]
            self._length = offset + len(right)
        self.marks += [(o + offset, p) for o, p in other.marks]

    @property
    def page(self) -> int:
        """The page the span starts on (1 when it has no marks)."""
        return self.marks[0][1] if self.marks else 1

    def _rstrip(self) -> None:
        while self._parts:
            last = self._parts[-1].rstrip()
            self._length -= len(self._parts[-1]) - len(last)
            if last:
                self._parts[-1] = last
                return
            self._parts.pop()

    def _chop(self, n: int) -> None:
        """Drop the last ``n`` characters (here: a line-end hyphen; parts are never empty)."""
        self._parts[-1] = self._parts[-1][:-n]
        self._length -= n
        if not self._parts[-1]:
            self._parts.pop()


@dataclass
class Piece:
    """kind: text | list | table | mdheading. ``items`` are lines, list items or table rows."""

    kind: str
    items: list[Span]
    level: int = 0  # markdown heading level
    indents: list[int] = field(default_factory=list)  # list item nesting


_DIGIT_HYPHEN = re.compile(r"\d-$")
_LETTER_HYPHEN = re.compile(r"[^\W\d_]-$")


def join_fragments(left: str, right: str) -> tuple[str, int]:
    """Join two fragments of running text; return the result and where ``right`` starts."""
    left = left.rstrip()
    right = right.lstrip()
    if not left:
        return right, 0
    if not right:
        return left, len(left)
    if _DIGIT_HYPHEN.search(left[-2:]) and right[0].isdigit():
        return left + right, len(left)
    if _LETTER_HYPHEN.search(left[-2:]) and not left.endswith(" -"):
        first = right.split(maxsplit=1)[0]
        if first.lower() in _CONJUNCTIONS:
            return f"{left} {right}", len(left) + 1
        if right[0].islower():
            return left[:-1] + right, len(left) - 1
        return left + right, len(left)
    return f"{left} {right}", len(left) + 1


_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi",
                            "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"})
# Spacing diacritics and the combining marks they stand for.
_SPACING_MARKS = {"\u00a8": "\u0308", "\u00b4": "\u0301", "\u02cb": "\u0300", "\u02c6": "\u0302",
                  "\u02dc": "\u0303", "\u00b8": "\u0327", "\u02c7": "\u030c", "\u02da": "\u030a"}
_MARK_BEFORE = re.compile("([\u00a8\u00b4\u02cb\u02c6\u02dc\u00b8\u02c7\u02da]) ?([A-Za-z])")
_MARK_AFTER = re.compile("([AOUaouEeIi]) ?(\u00a8)")  # "u¨ber": only the diaeresis
# Letters a detached mark may form (an acute used as an apostrophe, "geht´s", stays).
_COMPOSABLE = set("äöüÄÖÜëïËÏÿáéíóúÁÉÍÓÚàèìòùÀÈÌÒÙâêîôûÂÊÎÔÛñÑãõçÇåÅčšžČŠŽ")
_HTML_TAG = re.compile(
    r"(?i)</?(?:p|br|ul|ol|li|div|span|b|i|u|em|strong|small|sup|sub|a|h[1-6]|table|thead|tbody|tr|td|th"
    r"|font|blockquote|section|article|header|footer|nav|img|hr)\b(?:\s[^<>]*)?/?>"
)
_HTML_ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{2,6}|#x[0-9a-fA-F]{2,6});")
_LINE_END_HYPHEN = re.compile("[\u00ad\u2010\u2011]\\s*$")


def fold_glyphs(line: str) -> str:
    """Ligatures to letters, detached diacritics onto their letters, then NFC."""
    line = line.translate(_LIGATURES)
    if any(mark in line for mark in _SPACING_MARKS):
        line = _MARK_BEFORE.sub(lambda m: _compose(m.group(2), m.group(1), m.group(0)), line)
        line = _MARK_AFTER.sub(lambda m: _compose(m.group(1), m.group(2), m.group(0)), line)
    return unicodedata.normalize("NFC", line)


def _compose(letter: str, mark: str, original: str) -> str:
    composed = unicodedata.normalize("NFC", letter + _SPACING_MARKS[mark])
    return composed if composed in _COMPOSABLE else original


def strip_html(line: str) -> str:
    """Remove HTML tags and decode entities; "</p> <p>" between two texts becomes a space."""
    if "<" not in line and "&" not in line:
        return line
    stripped = _HTML_TAG.sub(" ", line)
    if stripped != line or _HTML_ENTITY.search(stripped):
        stripped = html.unescape(stripped)
        stripped = re.sub(r"[ ]{2,}", " ", stripped)
        stripped = "\t".join(cell.strip(" ") for cell in stripped.split("\t"))
    return stripped


# A table-of-contents row with dot leaders ("2.1 Wohnen ........ 15", "Fazit … 46").
# It starts only after a character that is not itself a leader, so a long run of leaders is
# scanned once (from every position it was quadratic: ". . . ." over a line).
_DOT_LEADER = re.compile(r"(?<=[^\s.…·])[ \t]*(?:(?:\.[ \t]?){4,}|…+|(?:·[ \t]?){4,})[ \t]*(\d{1,4})[ \t]*$")


def normalize_line(line: str) -> str:
    """One line of page text, cleaned: see the module docstring for what changes.

    A table-of-contents row with dot leaders becomes a tab-separated row ("Fazit\t46"),
    the form the exports use, so the TOC is recognised as a table.
    """
    line = _LINE_END_HYPHEN.sub("-", line)
    line = line.replace("\u00a0", " ").replace("\u00ad", "").replace("\ufeff", "")
    line = line.replace("\u2010", "-").replace("\u2011", "-")
    line = fold_glyphs(strip_html(line))
    line = _MD_LINK.sub(r"\1", line)
    line = _INLINE_HYPHEN.sub(_join_inline, line)
    indent = len(line) - len(line.lstrip(" "))
    line = line[:indent] + re.sub(r" {2,}", " ", line[indent:])
    for _ in range(2):
        line = _MD_EMPHASIS.sub(r"\2", line)
    line = _DOT_LEADER.sub(r"\t\1", line)
    return line.rstrip()


_INLINE_HYPHEN = re.compile(r"(?<=[^\W\d_]{2})- ([a-zäöüß][\w.]*)")


def _join_inline(m: re.Match) -> str:
    """"Mo- ment" inside a line (a collapsed line break) -> "Moment"; keep "Kinder- und"."""
    word = m.group(1)
    return m.group(0) if word in _CONJUNCTIONS else word


_PAGE_OF = re.compile(r"(\d{1,4}) ?/ ?(\d{1,4})")


def is_furniture(line: str) -> bool:
    """Page furniture: page numbers ("12", "Seite 3 von 9", "33/56"), credits, logo text."""
    line = line.strip()
    page_of = _PAGE_OF.fullmatch(line)
    if page_of and 0 < int(page_of.group(1)) <= int(page_of.group(2)):
        return True
    return bool(_FURNITURE_LINE.fullmatch(line))


# A line that is only a markdown link ("[Stadt Leipzig](#)"): an entry of a link list, never a title.
_LINK_LINE = re.compile(r"^\s*\[[^\]\n]+\]\([^)\s]*\)\s*$")
# A line opening a numbered point ("4. Bei welcher Behörde …"): it starts a piece of its own.
_NUMBERED_LINE = re.compile(r"^\s*(?:[1-9]|1\d)\.\s+[A-ZÄÖÜ„]")


def page_pieces(page_text: str, page: int) -> list[Piece]:
    """Split one page into pieces: blank-line separated groups, then tables/lists/text.

    A line that is only a markdown link becomes a list item (link lists under "Weitere
    Informationen" are references, not headings)."""
    pieces: list[Piece] = []
    lines = [normalize_line("- " + ln.strip() if _LINK_LINE.match(ln) else ln) for ln in page_text.split("\n")]
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
        elif last and last.kind in ("text", "list") and not _NUMBERED_LINE.match(line):
            last.items[-1].append(Span.on(stripped, page))
        else:
            out.append(Piece("text", [Span.on(stripped, page)]))
    return out


RUNNING_ZONE_LINES = 3  # lines at the top and at the bottom of a page that may be furniture
RUNNING_MIN_SHARE = 0.4  # share of the pages a running header/footer must appear on
_DIGITS = re.compile(r"\d+")


def _running_key(line: str) -> str:
    return _DIGITS.sub("#", re.sub(r"\s+", " ", unicodedata.normalize("NFC", line)).strip().lower())


def strip_running_lines(pages: list[str]) -> tuple[list[str], list[str]]:
    """Remove running headers and footers; return (pages, the removed lines).

    A line is a running header or footer when, with its digits ignored ("Seite 1 von 2"
    and "Seite 2 von 2" are one line), it appears among the first or last
    ``RUNNING_ZONE_LINES`` non-empty lines of at least two pages and of at least
    ``RUNNING_MIN_SHARE`` of the pages with text, is short (at most
    ``RUNNING_MAX_WORDS`` words) and does not end like a sentence or clause ("." "," ";").
    Only the runs of such lines at the very top and the very bottom of a page are
    removed (a repeated line inside the text stays); the removed lines are returned
    once each, in first-seen form.
    """
    zones: list[list[int]] = []
    counts: Counter[str] = Counter()
    for text in pages:
        lines = text.split("\n")
        filled = [i for i, ln in enumerate(lines) if ln.strip()]
        zones.append(filled)
        zone = set(filled[:RUNNING_ZONE_LINES] + filled[-RUNNING_ZONE_LINES:])
        counts.update({_running_key(lines[i]) for i in zone if _may_run(lines[i])})
    with_text = sum(1 for z in zones if z)
    need = max(2, RUNNING_MIN_SHARE * with_text)
    running = {key for key, n in counts.items() if n >= need and key}
    if not running:
        return pages, []
    removed: dict[str, str] = {}
    out: list[str] = []
    for text, filled in zip(pages, zones):
        lines = text.split("\n")
        drop: set[int] = set()
        for order in (filled[:RUNNING_ZONE_LINES], filled[::-1][:RUNNING_ZONE_LINES]):
            for i in order:  # from the edge inwards, while the lines are running lines
                if _running_key(lines[i]) not in running or not _may_run(lines[i]):
                    break
                drop.add(i)
        for i in sorted(drop):
            removed.setdefault(_running_key(lines[i]), lines[i].strip())
        out.append("\n".join(ln for i, ln in enumerate(lines) if i not in drop))
    return out, list(removed.values())


RUNNING_MAX_WORDS = 16


def _may_run(line: str) -> bool:
    """Short enough for a header or footer, and not the end of a sentence or clause."""
    stripped = line.strip()
    return len(stripped.split()) <= RUNNING_MAX_WORDS and not stripped.endswith((".", ",", ";"))


def _continues(prev: str, nxt: str, page_break: bool = False, prose: bool = False) -> bool:
    """Does ``nxt`` continue the sentence that ``prev`` left open?

    Across a page break, a paragraph that stops without a sentence end goes on with the
    next page's first paragraph when both are longer than a heading could be. Within a
    page, a paragraph (``prose``: not a list item) longer than a heading could be that stops
    without a sentence end goes on with the next paragraph, whatever its length: a blank
    line inside a sentence, as exports put one before a wrapped name ("Interview mit Klaus
    Burgmeier, Karolina" / "Strzeszewski und Ariane Würzberger, Landeshauptstadt").
    """
    prev, nxt = prev.rstrip(), nxt.lstrip()
    if not prev or not nxt or prev.rstrip("*_ ").endswith(_TERMINAL):  # "*„…“*": markdown emphasis
        return False
    long_prev = len(prev.split()) > MAX_RUNNING_HEADING_WORDS
    if page_break and nxt[0].isalnum() and long_prev and len(nxt.split()) > MAX_RUNNING_HEADING_WORDS:
        return True
    if prose and not page_break and nxt[0].isalnum() and long_prev and not _NUMBERED_LINE.match(nxt):
        return True
    if prev.endswith(",") or (re.search(r"[^\W\d_]-$", prev) and nxt[0].isalpha()):
        return True
    if nxt[0].islower():
        return True
    return prev.split()[-1] in _OPEN_WORDS


CONTINUES_TAIL = 8192  # characters of a growing paragraph _continues looks at (> 14 words of any kind)


def merge_pieces(pieces: list[Piece]) -> list[Piece]:
    """Rejoin text broken by blank lines or page breaks; merge split lists and tables.

    Linear in the text: only the tail of the paragraph being continued is inspected, and
    a table's column count is kept while rows are added to it."""
    out: list[Piece] = []
    columns = 0  # of out[-1] when it is a table
    for piece in pieces:
        prev = out[-1] if out else None
        if prev is None:
            out.append(piece)
        elif piece.kind == "text" and prev.kind in ("text", "list") and _continues(
            prev.items[-1].tail(CONTINUES_TAIL), piece.items[0].text,
            prev.kind == "text" and piece.items[0].page != prev.items[-1].marks[-1][1],
            prose=prev.kind == "text",
        ):
            prev.items[-1].append(piece.items[0])
            continue
        elif piece.kind == "list" and prev.kind == "list":
            prev.items += piece.items
            prev.indents += piece.indents
            continue
        elif piece.kind == "table" and prev.kind == "table" and columns == _columns(piece):
            prev.items += piece.items
            continue
        else:
            out.append(piece)
        columns = _columns(piece) if piece.kind == "table" else 0
    return out


def _columns(piece: Piece) -> int:
    return max(item.text.count("\t") for item in piece.items) + 1


def clean_pages(pages: list[str]) -> list[Piece]:
    """All pages of a document to merged pieces in reading order (pages are 1-based)."""
    pieces: list[Piece] = []
    for number, text in enumerate(pages, start=1):
        pieces.extend(page_pieces(text, number))
    return merge_pieces(pieces)
