"""Loose compound constituents, for matching short texts (project titles) by a shared part.

The analyzer indexes a compound's parts only when the ``compound-split`` splitter is
confident and both parts have four letters (``index.analyzer.split_compound``), which keeps
the BM25 index precise. Project titles are a few words long, and there a shared constituent
is often the only link between two names for one practice: "Nähcafé" and "Nähkurs",
"Begegnungscafé" and "Kulturcafé", "Jobbörse" and "Job-Board". :func:`loose_parts` gives
those constituents; the analysis of passages and queries is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

from index.analyzer import base_form, is_stopword, split_compound, word_terms, words
from index.compounds import best_split

LOOSE_MIN_PART = 3
LOOSE_MIN_WORD = 6
# Derivational prefixes and suffixes the splitter sometimes cuts off as a "constituent"
# ("ver|mitteln", "freund|lich").
NOT_CONSTITUENTS = frozenset({"be", "emp", "ent", "er", "ge", "miss", "un", "ver", "zer",
                              "innen", "lich", "liche", "lichen", "licher", "liches", "ung", "ungen"})


def loose_parts(text: str, known: Callable[[str], bool]) -> list[str]:
    """Stems of the constituents of ``text``'s compounds that the analyzer's confident split
    leaves out: "Nähcafé" -> "nah", "caf"; "Jobbörse" -> "job", "bors".

    Method: the ``compound-split`` splitter's best candidate (Tuggener 2016; the memoised
    ``index.compounds.best_split`` that the analyzer uses too) at *any* score, for words of
    at least ``LOOSE_MIN_WORD`` letters, kept when both constituents have at least
    ``LOOSE_MIN_PART`` letters, neither is a stopword or an affix (``NOT_CONSTITUENTS``),
    and ``known`` holds both stems. The splitter's score alone does not separate right from
    wrong cuts at this length ("näh|cafe" scores below "int|egration"); a vocabulary does:
    a constituent no passage uses as a term is a wrong cut ("int", "flücht|linge"). Stems the
    analyzer already gives for the word (the word itself, its confident parts) are not
    repeated. One level only.

    :param known: ``stem -> bool``, True for a stem the collection uses as a term.
    :returns: stems in text order, without duplicates.
    """
    out: list[str] = []
    for w in words(text):
        w = base_form(w)
        if len(w) < LOOSE_MIN_WORD or not w.isalpha() or is_stopword(w):
            continue
        best = best_split(w)
        if best is None:
            continue
        _, left, right = best
        left, right = left.casefold(), right.casefold()
        if min(len(left), len(right)) < LOOSE_MIN_PART or {left, right} & NOT_CONSTITUENTS:
            continue
        if is_stopword(left) or is_stopword(right):
            continue
        have = {_stem(w), *(_stem(p) for p in split_compound(w))}
        stems = (_stem(left), _stem(right))
        if all(s and known(s) for s in stems):
            out.extend(s for s in stems if s not in have)
    return list(dict.fromkeys(out))


def _stem(word: str) -> str:
    """The analyzer's stem of one word ("" for a stopword)."""
    terms = word_terms(word)
    return terms[0] if terms else ""
