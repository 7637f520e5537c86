"""Administrative abbreviations and their long forms, folded onto one concept term for BM25.

The list (``index/data/abbreviations_de.tsv``) names each entry's source. Each line is
one meaning: its abbreviations ("UMA, UMF, umA") and long forms ("unbegleitete
minderjährige Ausländer; ...") are analysed with the same word pipeline as every text
(``index.analyzer.word_terms``, which the analyzer passes in: umlauts, feminine forms,
stopwords, Snowball stems; this module imports no analysis code), and
any occurrence of one of them in a text adds the line's concept term ("=uma") to the
text's terms. Documents and queries go through the same function, so a query "ABH"
finds a passage that says "Ausländerbehörde" and the reverse. An abbreviation with two
meanings ("KI") has two lines and two concept terms: the abbreviation adds both, each
long form only its own. Concept terms start with "=", which no analysed word can.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ABBREVIATIONS_PATH = Path(__file__).resolve().parent / "data" / "abbreviations_de.tsv"


@dataclass(frozen=True)
class Abbreviation:
    """One meaning: its spellings as written, its long forms, where they come from, its concept term."""

    abbreviations: tuple[str, ...]
    long_forms: tuple[str, ...]
    source: str
    concept: str


def read_abbreviations(path: Path = ABBREVIATIONS_PATH) -> list[Abbreviation]:
    """The list as written (comment and blank lines skipped). Raises ValueError on a malformed line."""
    entries: list[Abbreviation] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) != 3 or not all(c.strip() for c in cells):
            raise ValueError(f"{path.name} line {number}: expected abbreviations, long forms and source, tab-separated")
        abbrs = tuple(a.strip() for a in cells[0].split(",") if a.strip())
        longs = tuple(f.strip() for f in cells[1].split(";") if f.strip())
        key = abbrs[0].lower().replace(" ", "")
        seen[key] = seen.get(key, 0) + 1
        concept = "=" + key + ("" if seen[key] == 1 else f".{seen[key]}")
        entries.append(Abbreviation(abbrs, longs, cells[2].strip(), concept))
    return entries


@functools.lru_cache(maxsize=2)
def _table(word_terms: Callable[[str], list[str]]) -> tuple[dict[str, list[tuple[tuple[str, ...], str]]],
                                                           dict[str, set[str]]]:
    """(first term -> [(term sequence, concept)] for every form, single long-form term -> concepts),
    every form analysed by ``word_terms``."""
    sequences: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    single_long: dict[str, set[str]] = {}
    for entry in read_abbreviations():
        for form in entry.abbreviations + entry.long_forms:
            terms = tuple(word_terms(form))
            if not terms:
                continue
            sequences.setdefault(terms[0], [])
            if (terms, entry.concept) not in sequences[terms[0]]:
                sequences[terms[0]].append((terms, entry.concept))
        for form in entry.long_forms:
            terms = word_terms(form)
            if len(terms) == 1:
                single_long.setdefault(terms[0], set()).add(entry.concept)
    for candidates in sequences.values():
        candidates.sort(key=lambda tc: -len(tc[0]))
    return sequences, single_long


def concept_terms(mains: list[str], parts: list[tuple[str, ...]] | None = None, *,
                  word_terms: Callable[[str], list[str]]) -> list[str]:
    """Concept terms for a text's word terms, in order of first occurrence, each once.

    ``mains`` are the text's word terms in order (stopwords already dropped), ``parts``
    the compound-part terms of each word: a single-word long form also counts as a
    compound part ("Volkshochschulkurs" contains "Volkshochschule"). ``word_terms`` is the
    analyzer's one-term-per-word function (``index.analyzer.word_terms``); the list's forms
    are analysed with it once per function.
    """
    sequences, single_long = _table(word_terms)
    found: list[str] = []
    for i, term in enumerate(mains):
        for terms, concept in sequences.get(term, ()):
            if tuple(mains[i:i + len(terms)]) == terms and concept not in found:
                found.append(concept)
        for part in (parts[i] if parts else ()):
            for concept in sorted(single_long.get(part, ())):
                if concept not in found:
                    found.append(concept)
    return found


def fingerprint(path: Path = ABBREVIATIONS_PATH) -> str:
    """Short hash of the list: part of the analyzer fingerprint, so a changed list rebuilds BM25."""

    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
