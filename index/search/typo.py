"""Typo tolerance for long German query words, only where the exact term finds nothing.

A German query term (an analysed stem, or the stem of a compound part) that is at least
``MIN_LENGTH`` characters long and occurs in no passage gets the corpus terms closest
to it by optimal-string-alignment distance (Levenshtein plus adjacent transpositions,
``rapidfuzz.distance.OSA``): at most ``max_distance(len)`` edits (1 for 8–11
characters, 2 from 12 on), only the terms at the smallest distance found, at most
``MAX_CORRECTIONS`` of them, preferring frequent ones. "Integrationskonzpet" finds
"integrationskonzept", "Ehrenamtskordination" finds "ehrenamtskoordination". Known
terms are never touched, and short words never (short typos are more often other words).
English queries are left alone: their words are not in the German vocabulary at all.
"""

from __future__ import annotations

from rapidfuzz import process
from rapidfuzz.distance import OSA

MIN_LENGTH = 8
LONG_LENGTH = 12
MAX_CORRECTIONS = 2
CORRECTION_WEIGHT = 1.0  # BM25 weight of a correction (the query's own terms weigh 1)


def max_distance(length: int) -> int:
    """Edits allowed for a term of ``length`` characters: 0 below 8, 1 for 8–11, 2 from 12."""
    if length < MIN_LENGTH:
        return 0
    return 1 if length < LONG_LENGTH else 2


class TypoCorrector:
    """Closest corpus terms for unknown long query terms.

    ``vocabulary`` maps analysed terms to their document frequency (``BM25Index.vocabulary``);
    concept terms ("=bamf") and terms shorter than ``MIN_LENGTH - 2`` are not candidates.
    """

    def __init__(self, vocabulary: dict[str, int]):
        self.df = vocabulary
        self._choices = [t for t in vocabulary if len(t) >= MIN_LENGTH - 2 and not t.startswith("=")]

    def corrections(self, term: str) -> list[str]:
        """Up to ``MAX_CORRECTIONS`` corpus terms for one unknown analysed term, closest
        (then most frequent) first; [] if the term is known, shorter than ``MIN_LENGTH``
        characters or not purely alphabetic."""
        limit = max_distance(len(term))
        if not limit or self.df.get(term, 0) > 0 or not term.isalpha():
            return []
        found = process.extract(term, self._choices, scorer=OSA.distance, score_cutoff=limit,
                                limit=None)
        if not found:
            return []
        best = min(d for _, d, _ in found)
        closest = sorted((t for t, d, _ in found if d == best), key=lambda t: (-self.df[t], t))
        return closest[:MAX_CORRECTIONS]

    def expand(self, weights: dict[str, float]) -> dict[str, float]:
        """Query term weights with corrections added for the unknown long terms (weight ``CORRECTION_WEIGHT``)."""
        out = dict(weights)
        for term, weight in weights.items():
            for fixed in self.corrections(term):
                out[fixed] = max(out.get(fixed, 0.0), weight * CORRECTION_WEIGHT)
        return out
