"""Sentence-aware chunking of a cleaned document into passages.

Units are whole sentences (paragraphs), list items (split into sentences only when
longer than ``chunk_max_words``) and table rows. Units are packed greedily up to
``chunk_target_words`` without ever exceeding ``chunk_max_words`` words or
``chunk_max_chars`` characters (a single longer unit, such as text without sentence
punctuation or with very long words, is cut at whitespace into pieces within both
limits); passages never cross a section boundary; a tail shorter than
``chunk_min_words`` is merged with (or rebalanced against) its neighbour in the same
section; the last ``chunk_overlap_sentences`` sentences are repeated at the start of
the next passage. A lead-in ending with ":" and table captions/header rows are glued
to what follows them.

``Passage.text == Document.text[start:end]`` except for a table split over several
passages: passages after the first start with the table's caption and header rows,
repeated from the document; that prefix is stored in ``Passage.meta["prefix"]`` so
``text == meta.get("prefix", "") + document.text[start:end]`` always holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace, dataclass

from core.schema import Document, Passage, passage_id
from core.settings import ChunkSettings
from ingest.sentences import sentence_spans
from ingest.structure import Block


@dataclass
class Unit:
    """The smallest piece the chunker packs: a sentence, list item or table row.

    ``start``/``end`` are character offsets into ``Document.text``; ``words`` counts
    whitespace-separated words; ``glue`` keeps it in one passage with the next unit.
    """

    start: int
    end: int
    words: int
    kind: str  # sentence | item | row | header | heading
    glue: bool = False  # keep together with the next unit
    table_header: str = ""  # rows: the caption and header rows of their table
    path: tuple[str, ...] = ()  # the section path of the section the unit stands in
    lead: bool = False  # a heading line leading into what follows (its path does not bind the passage)
    orphan: bool = False  # from a heading without text of its own, kept as text (``sections``)


def _words(text: str) -> int:
    return len(text.split())


def prefix_chars(unit: Unit) -> int:
    """Characters a passage starting with ``unit`` repeats before it (a continued table's
    caption and header rows plus a line break; 0 otherwise)."""
    return len(unit.table_header) + 1 if unit.kind == "row" and unit.table_header else 0


def span_chars(units: list[Unit], i: int, j: int) -> int:
    """Characters of the passage made of ``units[i:j]`` (document text plus the repeated prefix)."""
    return units[j - 1].end - units[i].start + prefix_chars(units[i])


def block_units(block: Block, text: str, max_words: int, max_chars: int | None = None) -> list[Unit]:
    """Split one block into units with absolute offsets into ``text``.

    Paragraphs become sentences (nltk Punkt, :func:`ingest.sentences.sentence_spans`),
    list items stay whole unless longer than ``max_words`` words, table rows stay whole
    and carry their table's caption and header rows (unless those pass a quarter of
    ``max_chars``: then they are not repeated); a unit over ``max_words`` words or
    ``max_chars`` characters (with its repeated header) is cut by :func:`split_long`.
    """
    units: list[Unit] = []
    if block.kind == "paragraph":
        units = _sentences(text, block.start, block.end)
    elif block.kind == "list":
        for start, end in block.units:
            if _words(text[start:end]) > max_words:
                units += _sentences(text, start, end)
            else:
                units.append(Unit(start, end, _words(text[start:end]), "item"))
    elif block.kind == "table":
        heads = block.units[: block.header_units]
        header = "\n".join(text[s:e] for s, e in heads)
        if max_chars is not None and len(header) > max_chars // 4:
            header = ""  # a header that long is not repeated on every continuation
        for k, (start, end) in enumerate(block.units):
            is_head = k < block.header_units
            units.append(
                Unit(start, end, _words(text[start:end]), "header" if is_head else "row",
                     glue=is_head, table_header="" if is_head else header)
            )
    if units and text[units[-1].start : units[-1].end].rstrip().endswith(":"):
        units[-1].glue = True
    if any(u.words > max_words or (max_chars is not None and u.end - u.start + prefix_chars(u) > max_chars)
           for u in units):
        units = [piece for u in units for piece in split_long(u, text, max_words, max_chars)]
    return units


_WORD = re.compile(r"\S+")


def split_long(unit: Unit, text: str, max_words: int, max_chars: int | None = None) -> list[Unit]:
    """A unit of more than ``max_words`` words or ``max_chars`` characters (counting a
    repeated table header, :func:`prefix_chars`) as consecutive pieces within both limits,
    cut at whitespace (offsets stay exact; a single word longer than the limit, which
    ingest's run cap prevents, is cut inside). Text without sentence punctuation (a
    500,000-word "sentence") or of very long words thus still makes passages of bounded
    size. Linear in the unit's length."""
    limit = None if max_chars is None else max(1, max_chars - prefix_chars(unit))
    if unit.words <= max_words and (limit is None or unit.end - unit.start <= limit):
        return [unit]
    spans: list[tuple[int, int]] = []
    for m in _WORD.finditer(text, unit.start, unit.end):
        s, e = m.start(), m.end()
        while limit is not None and e - s > limit:  # a word over the limit: cut it
            spans.append((s, s + limit))
            s += limit
        spans.append((s, e))
    pieces: list[Unit] = []
    k = 0
    while k < len(spans):
        last = k
        while (last + 1 < len(spans) and last + 1 - k < max_words
               and (limit is None or spans[last + 1][1] - spans[k][0] <= limit)):
            last += 1
        pieces.append(replace(unit, start=spans[k][0], end=spans[last][1], words=last - k + 1, glue=False))
        k = last + 1
    pieces[-1].glue = unit.glue
    return pieces


def _sentences(text: str, start: int, end: int) -> list[Unit]:
    piece = text[start:end]
    return [
        Unit(start + s, start + e, _words(piece[s:e]), "sentence")
        for s, e in sentence_spans(piece)
        if piece[s:e].strip()
    ]


def pack(units: list[Unit], chunk: ChunkSettings) -> list[tuple[int, int]]:
    """Greedy packing of one section's units into [i, j) index ranges.

    Each range holds about ``chunk_target_words`` and at most ``chunk_max_words`` words
    and ``chunk_max_chars`` characters (a single longer unit stands alone); a short tail (< ``chunk_min_words``) is merged
    or rebalanced with its neighbour; consecutive ranges share up to
    ``chunk_overlap_sentences`` sentence or list-item units (never table rows).
    """
    target, most, chars = chunk.target_words, chunk.max_words, chunk.max_chars
    ranges: list[tuple[int, int]] = []
    i, n = 0, len(units)
    while i < n:
        j, words = i, 0
        while j < n:
            if j > i and (words + units[j].words > most or span_chars(units, i, j + 1) > chars):
                break
            words += units[j].words
            j += 1
            if words >= target and not units[j - 1].glue:
                break
        while j - 1 > i and units[j - 1].glue and j < n:  # do not end on a lead-in
            j -= 1
        ranges.append((i, j))
        if j >= n:
            break
        overlap = 0
        while (
            overlap < chunk.overlap_sentences
            and j - overlap - 1 > i
            and units[j - overlap - 1].kind in ("sentence", "item")
        ):
            overlap += 1
        i = j - overlap
    return _fix_tail(units, ranges, chunk)


def _fix_tail(units: list[Unit], ranges: list[tuple[int, int]], chunk: ChunkSettings) -> list[tuple[int, int]]:
    if len(ranges) < 2:
        return ranges
    (pi, _), (li, lj) = ranges[-2], ranges[-1]
    if sum(u.words for u in units[li:lj]) >= chunk.min_words:
        return ranges
    total = sum(u.words for u in units[pi:lj])
    if total <= chunk.max_words and span_chars(units, pi, lj) <= chunk.max_chars:
        return ranges[:-2] + [(pi, lj)]
    best, best_gap, acc = li, total, 0  # rebalance: split where both halves are closest
    for k in range(pi, lj - 1):
        acc += units[k].words
        gap = abs(total - 2 * acc)
        if gap < best_gap and not units[k].glue \
                and span_chars(units, pi, k + 1) <= chunk.max_chars \
                and span_chars(units, k + 1, lj) <= chunk.max_chars:
            best, best_gap = k + 1, gap
    return ranges[:-2] + [(pi, best), (best, lj)]


def sections(blocks: list[Block]) -> list[list[Block]]:
    """Runs of content blocks between headings (each run shares one section path).

    A heading with neither content nor sub-headings before the next heading of the same
    or a higher level (slide cells the cleaner took for headings, e.g. "Dezernat für
    Inklusion und Migration") is kept as a run of its own, so its text stays searchable.
    """
    runs: list[list[Block]] = []
    current: list[Block] = []
    orphan_parent: list[str] | None = None  # parent path of the last run of empty headings
    for n, block in enumerate(blocks):
        if block.kind == "heading":
            if current:
                runs.append(current)
                orphan_parent = None
            current = []
            if _empty_heading(blocks, n):
                # consecutive empty headings under one parent make one run (e.g. an imprint)
                parent = block.section_path[:-1]
                as_text = replace(block, kind="paragraph", units=[], section_path=parent)
                if orphan_parent == parent and runs:
                    runs[-1].append(as_text)
                else:
                    runs.append([as_text])
                orphan_parent = parent
        elif current and block.section_path != current[0].section_path:
            runs.append(current)
            current = [block]
            orphan_parent = None
        else:
            current.append(block)
            orphan_parent = None
    if current:
        runs.append(current)
    return runs


def _empty_heading(blocks: list[Block], n: int) -> bool:
    following = blocks[n + 1] if n + 1 < len(blocks) else None
    path = blocks[n].section_path
    if following is not None and (following.kind != "heading" or following.section_path[: len(path)] == path):
        return False
    return any(ch.isalpha() for ch in blocks[n].text)


@dataclass
class Section:
    """A run of content blocks sharing one section path, and the heading block that opened it
    (None for text before the first heading and for runs of empty headings kept as text).
    ``lead``: a run of empty headings (titles without text of their own, e.g. a slide's
    questions) joined to the section after it as its lead-in."""

    path: list[str]
    blocks: list[Block]
    heading: Block | None = None
    lead: bool = False

    def words(self) -> int:
        """Words of the run's blocks (its heading not counted)."""
        return sum(_words(b.text) for b in self.blocks)

    @property
    def untitled(self) -> bool:
        """A run of empty headings kept as text (``sections``): their blocks have no units."""
        return all(b.kind == "paragraph" and not b.units for b in self.blocks)


def packing_groups(blocks: list[Block], min_words: int,
                   same_page: Callable[[int, int], bool] | None = None) -> list[list[Section]]:
    """``sections(blocks)`` grouped into the stretches the packer may fill across section ends.

    A section shorter than ``min_words`` words (a slide's title or cell, a table fragment
    under a heading of its own, a heading that only names a place, a closing line) never
    stands alone:

    * empty headings kept as text (a slide's title and questions; ``sections``) of fewer than
      ``min_words`` words lead into the section after them (``Section.lead``) when their
      section path is the start of its path; others close the section before them;
    * a short section joins the section before it, and a section joins a short one before
      it, when the two are siblings (same parent, not the document: two cells of one slide
      question, two short subsections), when the second is a child of the first (an intro
      and its first subsection), or when both are short and one of them has no section path
      at all (a title slide, loose lines); a short text back at the parent's level after a
      child (the chapter's lead-in after a portrait) joins what follows it when it
      introduces that, else the child before it, so a portrait's end is not packed with the
      chapter's text after it when that can be helped;
    * nothing joins across a cited page boundary (``same_page(offset_a, offset_b)``, for
      documents whose pages are known), so citations stay as narrow as before.

    Long sections stay apart. The packer keeps the headings of joined sections in the text,
    and each passage names the deepest section all its text stands in (``chunk_document``).
    """
    same_page = same_page or (lambda a, b: True)
    by_start = {b.start: i for i, b in enumerate(blocks)}
    groups: list[list[Section]] = []
    leading: list[Section] = []
    carry: Section | None = None  # a short text back at a parent's level, waiting for what it introduces

    def settle(carry: Section) -> None:
        """A carried section nothing after it took: it joins the group before it after all."""
        if groups and same_page(groups[-1][-1].blocks[-1].start, carry.blocks[0].start):
            groups[-1].append(carry)
        else:
            groups.append([carry])

    for run in sections(blocks):
        i = by_start.get(run[0].start)
        before = blocks[i - 1] if i else None
        heading = before if before is not None and before.kind == "heading" and run[0].units else None
        section = Section(list(run[0].section_path), run, heading)
        if section.untitled:
            leading.append(section)
            continue
        if carry is not None:
            if not leading and _joins(carry, section, min_words) and same_page(
                    carry.blocks[-1].start, section.blocks[0].start):
                groups.append([carry, section])
                carry = None
                continue
            settle(carry)
            carry = None
        trailing = [s for s in leading if s.path != section.path[: len(s.path)]
                    or not same_page(s.blocks[0].start, section.blocks[0].start)]
        if trailing:  # empty headings that do not lead into this section end the one before
            cut = leading.index(trailing[-1]) + 1
            _close(groups, leading[:cut], min_words, same_page)
            leading = leading[cut:]
        lead_words = sum(s.words() for s in leading)
        if leading and lead_words >= min_words:
            groups.append(leading)
            leading, lead_words = [], 0
        for s in leading:
            s.lead = True
        if groups and _joins(groups[-1][-1], section, min_words, lead_words) and same_page(
                groups[-1][-1].blocks[-1].start, (leading or [section])[0].blocks[0].start):
            groups[-1].extend(leading + [section])
        elif groups and not leading and section.words() < min_words and section.path == groups[-1][-1].path[:-1]:
            carry = section
        else:
            groups.append(leading + [section])
        leading = []
    if carry is not None:
        settle(carry)
    _close(groups, leading, min_words, same_page)
    return groups


def _close(groups: list[list[Section]], trailing: list[Section], min_words: int,
           same_page: Callable[[int, int], bool]) -> None:
    """Empty headings after the last section of a stretch: they join its group when short,
    related to it (``_joins``) and on its page, else they make a group of their own."""
    if not trailing:
        return
    if groups and sum(s.words() for s in trailing) < min_words and all(
            _joins(groups[-1][-1], s, min_words, back=True) for s in trailing) and same_page(
            groups[-1][-1].blocks[-1].start, trailing[0].blocks[0].start):
        groups[-1].extend(trailing)
    else:
        groups.append(trailing)


def _joins(last: Section, section: Section, min_words: int, lead_words: int = 0, back: bool = False) -> bool:
    """Whether ``section`` (with ``lead_words`` of lead-in before it) joins the group ending
    in ``last`` (``packing_groups``); ``back``: also when ``section`` is back at ``last``'s
    parent (a closing line with nothing after it to lead into)."""
    small, last_small = section.words() + lead_words < min_words, last.words() < min_words
    a, b = last.path, section.path
    siblings = len(a) > 1 and a[:-1] == b[:-1]  # under one parent (top-level chapters are not)
    related = bool(a) and bool(b) and (siblings or a == b[:-1] or a == b or (back and a[:-1] == b))
    untitled = not a or not b
    return (small or last_small) and (related or (small and last_small and untitled))


def _passage_path(units: list[Unit]) -> list[str]:
    """The section a passage stands in: the common start of its units' paths, leaving out the
    headings of joined sections, lead-ins, and empty headings kept as text whose path later
    text of the passage continues (a slide's title above its question's answers)."""
    text = [u for u in units if u.kind != "heading" and not u.lead] or list(units)
    paths = [u.path for k, u in enumerate(text)
             if not (u.orphan and any(not v.orphan and len(v.path) > len(u.path) and v.path[:len(u.path)] == u.path
                                      for v in text[k + 1:]))]
    return _common_path(paths or [u.path for u in text])


def _common_path(paths: list[tuple[str, ...]]) -> list[str]:
    """The longest common start of section paths: the deepest section they all lie in."""
    out: list[str] = []
    for level in zip(*paths):
        if any(p != level[0] for p in level):
            break
        out.append(level[0])
    return out


def chunk_document(document: Document, blocks: list[Block], chunk: ChunkSettings) -> list[Passage]:
    """Passages of one document, in reading order, with deterministic ids.

    ``blocks`` come from :func:`ingest.structure.build` for ``document.text``. Each
    passage gets ``page``/``page_end``/``page_label`` from :meth:`Document.citation`,
    ``meta["words"]`` and, for continued tables, ``meta["prefix"]``; passages without a
    letter or digit are dropped. Sizes follow ``chunk`` (the ``chunk_*`` settings: words, and at
    most ``chunk_max_chars`` characters of ``Passage.text``).
    """
    passages: list[Passage] = []
    text = document.text
    def same_page(a: int, b: int) -> bool:
        return document.citation(a, a + 1)[0] == document.citation(b, b + 1)[0]

    for group in packing_groups(blocks, chunk.min_words, same_page):
        units: list[Unit] = []
        for k, section in enumerate(group):
            path = tuple(section.path)
            if k and section.heading is not None:  # a joined section's heading stays with its text
                head = section.heading
                units.append(Unit(head.start, head.end, _words(head.text), "heading", glue=True, path=path))
            for b in section.blocks:
                units += [replace(u, path=path, lead=section.lead, orphan=section.untitled)
                          for u in block_units(b, text, chunk.max_words, chunk.max_chars)]
        for i, j in pack(units, chunk):
            start, end = units[i].start, units[j - 1].end
            body = text[start:end]
            if not any(ch.isalnum() for ch in body):
                continue
            meta: dict = {}
            if units[i].kind == "row" and units[i].table_header:
                meta["prefix"] = units[i].table_header + "\n"
            full = meta.get("prefix", "") + body
            meta["words"] = _words(full)
            page, page_end, page_label = document.citation(start, end)
            passages.append(
                Passage(
                    id=passage_id(document.id, start, end),
                    doc_id=document.id,
                    doc_title=document.title,
                    text=full,
                    page=page,
                    page_end=page_end,
                    page_label=page_label,
                    section_path=_passage_path(units[i:j]),
                    start=start,
                    end=end,
                    index=len(passages),
                    meta=meta,
                )
            )
    return passages
