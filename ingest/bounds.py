"""Length caps on the raw text of a document, applied before any regular expression.

Every later step (cleaning, sentence splitting, chunking, the analyzer's compound
splitter, the municipality matcher) works on words and runs of spaces; a hostile file can
make one of them as long as the whole document (a 1.8 MB "word", a line of a million
spaces), and any step that is not strictly linear in such a run then freezes. So the raw
text of each page is cut first, in one linear pass:

- a run of non-space characters longer than ``MAX_TOKEN_CHARS`` (256) keeps only its
  first ``MAX_TOKEN_CHARS`` characters. The longest run in the corpus is a 245-character
  URL; the longest German word in it has 31 letters;
- a run of spaces, tabs and other whitespace within a line longer than ``MAX_SPACE_CHARS``
  (64) keeps only its first ``MAX_SPACE_CHARS`` characters (line breaks, carriage returns and
  form feeds are left alone: they carry the structure).

How many runs were cut is reported (``meta["cut_runs"]``, ingest report ``cut_runs``).
"""

from __future__ import annotations

import re

MAX_TOKEN_CHARS = 256
MAX_SPACE_CHARS = 64

# Both are linear: the lookbehind is one character, and a match starts only where a run
# starts, so every character is examined once.
_LONG_TOKEN = re.compile(r"(?<!\S)\S{%d,}" % (MAX_TOKEN_CHARS + 1))
_LONG_SPACE = re.compile(r"(?<![^\S\n\r\f])[^\S\n\r\f]{%d,}" % (MAX_SPACE_CHARS + 1))


def cap_runs(text: str) -> tuple[str, int]:
    """``text`` with over-long runs cut (see the module docstring) and how many were cut.

    ``cap_runs("a" * 1000)`` -> ``("a" * 256, 1)``; ordinary text comes back unchanged
    (the same object) with 0. Linear in ``len(text)``."""
    cut = 0

    def keep(limit: int):
        def head(m: re.Match) -> str:
            nonlocal cut
            cut += 1
            return m.group(0)[:limit]
        return head

    if len(text) > MAX_TOKEN_CHARS:
        text = _LONG_TOKEN.sub(keep(MAX_TOKEN_CHARS), text)
    if len(text) > MAX_SPACE_CHARS:
        text = _LONG_SPACE.sub(keep(MAX_SPACE_CHARS), text)
    return text, cut


def cap_pages(pages: list[str]) -> tuple[list[str], int]:
    """:func:`cap_runs` on every page; returns the pages and the runs cut in all."""
    out, total = [], 0
    for page in pages:
        capped, cut = cap_runs(page)
        out.append(capped)
        total += cut
    return out, total
