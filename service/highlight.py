"""Highlight query terms in untrusted passage text: escape first, then insert ``<mark>``.

Matching uses the BM25 analyzer (``index.analyzer``), so a text word is marked when
its stem, or the stem of one of its compound parts, equals a query term: the query
"Ehrenamtliche" marks "Ehrenamtlichen", "Ehrenamtskoordination" marks "Koordination".
Stopwords are never marked. The output is ``markupsafe.Markup``: every character of
the source text has gone through ``escape``; only our own ``<mark>`` tags are raw.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from dataclasses import dataclass

from markupsafe import Markup, escape

from index.analyzer import analyze

_WORD = re.compile(r"\w+", re.UNICODE)
_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
ELLIPSIS = "…"


class QueryTerms:
    """The analysed query: stems (and compound-part stems) to look for.

    :param stems: analysed terms (``index.analyzer.analyze``); build it with ``of``.
    """

    def __init__(self, stems: frozenset[str]):
        self.stems = stems
        longer = sorted((t for t in stems if len(t) >= 3), key=len, reverse=True)
        # Compound splitting is the costly part: only try it on words that contain a term.
        self._inside = re.compile("|".join(map(re.escape, longer))) if longer else None

    @classmethod
    def of(cls, query: str) -> "QueryTerms":
        """The terms of ``query`` as BM25 sees them (German analyzer, compounds split, stopwords dropped)."""
        return cls(frozenset(analyze(query)))

    def matches(self, word: str) -> bool:
        """True when ``word`` (one word, any case) is not a stopword and its stem, or the stem
        of one of its compound parts, is a query term."""
        lower = word.lower()
        return self._matches(lower, _stem_of(lower), lower.translate(_FOLD))

    def _matches(self, lower: str, stem: str | None, folded: str) -> bool:
        if stem is None or not self.stems:
            return False
        if stem in self.stems:
            return True
        if self._inside is None or not self._inside.search(folded):
            return False
        return not self.stems.isdisjoint(_terms_of(lower))


@functools.lru_cache(maxsize=100_000)
def _stem_of(lower: str) -> str | None:
    """The stem of one lower-cased word; None for a stopword or a one-letter word."""
    terms = analyze(lower, decompound=False)
    return terms[0] if terms else None


@functools.lru_cache(maxsize=100_000)
def _terms_of(lower: str) -> frozenset[str]:
    """The word's stem and the stems of its compound parts."""
    return frozenset(analyze(lower))


@dataclass(frozen=True)
class _TextIndex:
    by_stem: dict[str, list[tuple[int, int]]]  # stem -> spans of the words with that stem
    tokens: list[tuple[int, int, str, str | None]]  # (start, end, lower, stem)
    folded: str  # the folded words joined by spaces, for the compound-part scan
    offsets: list[int]  # where each token starts in ``folded``


@functools.lru_cache(maxsize=4096)
def _index(text: str) -> _TextIndex:
    """Per-text word index, built once per distinct text (a passage recurs across queries)."""
    by_stem: dict[str, list[tuple[int, int]]] = {}
    tokens, parts, offsets, pos = [], [], [], 0
    for m in _WORD.finditer(text):
        lower = m.group(0).lower()
        stem = _stem_of(lower)
        tokens.append((m.start(), m.end(), lower, stem))
        if stem is not None:
            by_stem.setdefault(stem, []).append((m.start(), m.end()))
        folded = lower.translate(_FOLD)
        parts.append(folded)
        offsets.append(pos)
        pos += len(folded) + 1
    return _TextIndex(by_stem, tokens, " ".join(parts), offsets)


def match_spans(text: str, terms: QueryTerms) -> list[tuple[int, int]]:
    """``(start, end)`` character offsets into ``text`` of the words that match the query
    terms (``QueryTerms.matches``), sorted; a word is a run of Unicode word characters."""
    idx = _index(text)
    spans = {span for stem in terms.stems for span in idx.by_stem.get(stem, ())}
    if terms._inside is not None:  # words with a term inside: compound parts may match
        checked = set()
        for m in terms._inside.finditer(idx.folded):
            i = bisect.bisect_right(idx.offsets, m.start()) - 1
            if i in checked:
                continue
            checked.add(i)
            start, end, lower, stem = idx.tokens[i]
            if stem is not None and (start, end) not in spans and not terms.stems.isdisjoint(_terms_of(lower)):
                spans.add((start, end))
    return sorted(spans)


def highlight(text: str, terms: QueryTerms, spans: list[tuple[int, int]] | None = None) -> Markup:
    """The whole text, HTML-escaped, with matching words wrapped in ``<mark>``.

    ``spans``: precomputed ``match_spans(text, terms)`` (sorted, non-overlapping)."""
    spans = match_spans(text, terms) if spans is None else spans
    out, last = [], 0
    for start, end in spans:
        out.append(str(escape(text[last:start])))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        last = end
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


def snippet(text: str, terms: QueryTerms, width: int = 280) -> Markup:
    """An escaped, highlighted excerpt of about ``width`` characters around the densest matches.

    Whitespace is collapsed and the text NFC-normalised first; the window starts and ends
    at word boundaries where one is near, and "…" marks a cut. Without matches: the start
    of the text."""
    text = _normalized(text)
    spans = match_spans(text, terms)
    if len(text) <= width:
        return highlight(text, terms, spans)
    start = _best_window(spans, width)
    end = min(len(text), start + width)
    if start > 0:  # begin at a word boundary
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 40 else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    inner = [(s - start, e - start) for s, e in spans if s >= start and e <= end]
    body = highlight(text[start:end], terms, inner)
    return Markup((ELLIPSIS if start > 0 else "") + body + (ELLIPSIS if end < len(text) else ""))


@functools.lru_cache(maxsize=4096)
def _normalized(text: str) -> str:
    """NFC, whitespace collapsed, and the tab-separated rows of fact boxes and tables read
    as "Einwohnerzahl: 18.809 · Bundesland: Niedersachsen" (wider rows "a | b | c") instead
    of run-on words."""
    text = unicodedata.normalize("NFC", text)
    if "\t" in text:
        parts, prev_row = [], False
        for line in text.split("\n"):
            cells = [c.strip() for c in line.split("\t") if c.strip()]
            row = "\t" in line and len(cells) > 1
            if row:
                line = ": ".join(cells) if len(cells) == 2 else " | ".join(cells)
            if parts and row and prev_row:
                parts.append(" · ")
            elif parts:
                parts.append(" ")
            parts.append(line)
            prev_row = row if line.strip() else prev_row
        text = "".join(parts)
    return " ".join(text.split())


def _best_window(spans: list[tuple[int, int]], width: int) -> int:
    """Start offset of the window holding the most matches (a little context before it)."""
    if not spans:
        return 0
    best_count, best_start, j = 0, spans[0][0], 0
    for i, (s, _) in enumerate(spans):
        while spans[j][0] < s - width * 3 // 4:
            j += 1
        if i - j + 1 > best_count:
            best_count, best_start = i - j + 1, spans[j][0]
    return max(0, best_start - width // 6)
