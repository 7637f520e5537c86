"""Find municipality names in text: longest alias match over folded word tokens.

Decisions:
- Aliases are matched as whole token sequences after folding (case, umlauts,
  accents, punctuation), so "Halle (Saale)" matches "Halle (Saale)" and "Halle/Saale".
- The longest alias wins and consumes its tokens: "Landkreis Osnabrück" is the
  Landkreis and never also the city Osnabrück.
- A match must start with a capital letter in the original text (guards "essen",
  "enger"), must not be glued to a hyphenated compound ("Berlin-Brandenburg"), and is
  ignored right after a postal code ("49082 Osnabrück" is an address) or right before a
  street word and a house number ("Augsburger Str. 12"). URLs and
  e-mail addresses are masked first ("www.osnabrueck.de").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from index.municipalities.gazetteer import fold

_TOKEN = re.compile(r"\w+", re.UNICODE)
# Linear: an e-mail address is matched only from the start of its run of non-spaces (the
# lookbehind), and a tag never across another "<"; ``\S+@\S+`` and ``<[^>]*>`` were tried
# from every position to the end of the run or text (O(n^2): 80 KB without a space took 10 s).
_MASK = re.compile(r"(?:https?://|www\.)\S+|(?<!\S)\S+@\S+|<[^<>]*>")
_POSTCODE_BEFORE = re.compile(r"\b\d{4,5}\s+$")
# A street named after a place ("Augsburger Str. 12", "Berliner Platz 3") is an address.
_STREET_AFTER = re.compile(r"\s*(?:Str\.|Straße|Strasse|Allee|Ring|Platz|Damm|Weg|Chaussee|Landstraße)\s+\d")


def alias_key(alias: str) -> tuple[str, ...]:
    """Folded word tokens of an alias (``gazetteer.fold``): "Halle (Saale)" -> ("halle", "saale")."""
    return tuple(fold(alias).split())


class AliasIndex:
    """Maps folded alias token tuples to municipality ids."""

    def __init__(self, entries: Iterable[tuple[str, str]]):
        self.keys: dict[tuple[str, ...], set[str]] = {}
        for alias, mid in entries:
            key = alias_key(alias)
            if key:
                self.keys.setdefault(key, set()).add(mid)
        self.max_len = max((len(k) for k in self.keys), default=1)

    def exact(self, name: str) -> set[str]:
        """Ids whose alias equals ``name`` after folding (a copy; empty if none)."""
        return set(self.keys.get(alias_key(name), set()))

    def spans(self, text: str) -> list[tuple[int, int, frozenset[str]]]:
        """(start, end, ids) for every non-overlapping alias match, left to right.

        ``start``/``end`` are character offsets into ``text``; the longest alias wins;
        the guards of the module docstring apply (capital letter, no hyphen compound,
        no postal code before, URLs and e-mail addresses masked).
        """
        masked = _MASK.sub(lambda m: " " * len(m.group(0)), text)
        tokens = [(m.start(), m.end(), fold(m.group(0))) for m in _TOKEN.finditer(masked)]
        out = []
        i = 0
        while i < len(tokens):
            found = None
            for n in range(min(self.max_len, len(tokens) - i), 0, -1):
                key = tuple(t[2] for t in tokens[i : i + n] if t[2])
                ids = self.keys.get(key)
                if ids and self._acceptable(masked, tokens[i][0], tokens[i + n - 1][1]):
                    found = (n, ids)
                    break
            if found:
                n, ids = found
                out.append((tokens[i][0], tokens[i + n - 1][1], frozenset(ids)))
                i += n
            else:
                i += 1
        return out

    @staticmethod
    def _acceptable(text: str, start: int, end: int) -> bool:
        if not text[start].isupper():
            return False
        if start >= 2 and text[start - 1] == "-" and text[start - 2].isalpha():
            return False
        if end + 1 < len(text) and text[end] == "-" and text[end + 1].isalpha():
            return False
        if _STREET_AFTER.match(text, end):
            return False
        return not _POSTCODE_BEFORE.search(text[max(0, start - 8) : start])

    def find(self, text: str) -> list[str]:
        """Ids mentioned in ``text``, in order of first mention, without duplicates.

        A match shared by several municipalities (an ambiguous alias) is skipped.
        """
        seen: list[str] = []
        for _, _, ids in self.spans(text):
            if len(ids) == 1:
                (mid,) = ids
                if mid not in seen:
                    seen.append(mid)
        return seen
