"""One normalised query for both arms: the words a user types, in the spelling the corpus uses.

BM25 already reads umlauts typed as ae/oe/ue, gender forms, abbreviations and long typos
through its analyzer (``index.analyzer``, ``index.abbreviations``, ``index.search.typo``);
the dense arm embeds text, so it needs the same readings written out. ``QueryNormalizer``
rewrites each word of a query (after ``clean_query``'s NFKC) into the corpus's own word
form, and both arms search that text:

* **transliteration**: a word typed with ae/oe/ue or ss ("Auslaenderbehoerde", "Strasse")
  that the corpus does not know, read as ä/ö/ü or ß (``index.analyzer.umlauts``, Snowball's
  german2 rule) when that reading is a word form of the corpus ("Ausländerbehörde");
* **gender forms**: "Mitarbeiter:innen", "Lehrer*innen", "Kolleg_innen", "LehrerInnen" -> the
  corpus's most frequent form of the same analysed term ("Mitarbeiter", "Kollegen"), the
  word the passages are written with most often;
* **abbreviations** (``index/data/abbreviations_de.tsv``, one meaning only): "ABH" ->
  "Ausländerbehörde (ABH)": the long form first, the abbreviation kept, so BM25 and the
  dense arm both see the words the documents use;
* **typos**: a German word of 8+ letters whose analysed term occurs in no passage and that is
  no known compound, replaced by the corpus form of its closest term
  (``index.search.typo.TypoCorrector``) when that form is at most ``MAX_REWRITE_EDITS`` edits
  from the word as typed: "Intergrationskurs" -> "Integrationskurs".

Words the corpus knows are never changed, so a query typed as the documents write it is
searched exactly as before. ``NormalizedQuery.changes`` lists what was rewritten.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA

from index.abbreviations import read_abbreviations
from index.analyzer import analyze, base_form, split_compound, umlauts

# A word as typed, including an inner gender mark ("Lehrer:innen", "Kolleg*in", "Lehrer(innen)").
_WORD = re.compile(r"[^\W\d_]+(?:(?:[:*_·•]|/-?|\()(?:innen|in)\)?(?![^\W\d_]))?|\w+", re.UNICODE)
_GENDER = re.compile(r"(?:[:*_·•]|/-?|\()(?:innen|in)\)?$|(?<=[a-zäöüß])In(?:nen)?$")
MIN_TYPO_LETTERS = 8
# A typo is rewritten for both arms only when the corpus word is at most two edits from the word
# as typed (a swap, a missing or extra letter, an inflection ending): the analysed stems alone
# make correct words the corpus lacks look like typos ("aufschließen" and "ausschließlich" share
# "aufschliess"/"ausschliess", one edit apart). BM25 still searches every correction of the term.
MAX_REWRITE_EDITS = 2
STEPS = ("transliterate", "gender", "abbreviations", "typos")


@dataclass
class NormalizedQuery:
    """The query both arms search: ``text`` (the normalised text), ``typed`` (as cleaned by
    ``clean_query``) and ``changes`` ((typed word, replacement) pairs, in query order)."""

    text: str
    typed: str
    changes: list[tuple[str, str]] = field(default_factory=list)


class WordForms:
    """The corpus's word forms: ``forms`` (lower-case surface word, ß kept -> count) and ``surface``
    (analysed term -> its most frequent surface form, as written), built from passage texts."""

    def __init__(self, texts: list[str], _counts: Counter | None = None, _terms: dict | None = None):
        if _counts is None:
            _counts = Counter()
            for text in texts:
                _counts.update(_WORD.findall(unicodedata.normalize("NFC", text)))
        self.counts = _counts  # surface word, as written -> occurrences
        self._terms = {} if _terms is None else _terms  # word -> its one analysed term or None (cache)
        self.forms: Counter = Counter()
        by_term: dict[str, Counter] = defaultdict(Counter)
        for word, n in _counts.items():
            if word.isdigit():
                continue
            self.forms[word.lower()] += n
            term = self._terms.get(word, "")
            if term == "":
                terms = analyze(word, decompound=False)
                term = self._terms[word] = terms[0] if len(terms) == 1 else None
            if term is not None:
                by_term[term][word] += n
        self.surface = {t: sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] for t, c in by_term.items()}

    def updated(self, added: list[str], removed: list[str]) -> "WordForms":
        """The word forms of this corpus with the texts ``added`` and without ``removed``
        (equal to ``WordForms`` of the new corpus' texts), counting only those texts; the
        analyses of known words are reused (a write of one document after a PostgreSQL
        store's delta reload: ``index.runtime.refresh_searcher``)."""
        counts = Counter(self.counts)
        for text in added:
            counts.update(_WORD.findall(unicodedata.normalize("NFC", text)))
        for text in removed:
            counts.subtract(_WORD.findall(unicodedata.normalize("NFC", text)))
        return WordForms([], +counts, self._terms)

    def knows(self, word: str) -> bool:
        """Whether ``word`` (any case) occurs in the corpus as written."""
        return word.lower() in self.forms

    def count(self, word: str) -> int:
        """How often ``word`` (any case) occurs in the corpus as written."""
        return self.forms.get(word.lower(), 0)


@functools.lru_cache(maxsize=1)
def _abbreviations() -> dict[str, str]:
    """Abbreviation as written -> its first long form, for abbreviations with one meaning."""

    meanings: dict[str, list[str]] = defaultdict(list)
    for entry in read_abbreviations():
        for abbr in entry.abbreviations:
            meanings[abbr].append(entry.long_forms[0])
    return {abbr: longs[0] for abbr, longs in meanings.items() if len(longs) == 1}


@functools.lru_cache(maxsize=1)
def _synonym_long_forms() -> dict[str, str]:
    """The stem of a one-word long form whose stem differs from its entry's first long form
    -> "first long form, abbreviation": "auslanderamt" (Ausländeramt, Ausländerämter) ->
    "Ausländerbehörde, ABH" (the dense arm reads the name the documents use; BM25 already
    shares the concept term). Keyed by stem, so every inflection of the long form counts.
    Only abbreviations with one meaning."""
    out: dict[str, str] = {}
    for entry in read_abbreviations():
        first = entry.long_forms[0]
        if " " in first or _abbreviations().get(entry.abbreviations[0]) != first:
            continue
        head = analyze(first, decompound=False)
        for form in entry.long_forms[1:]:
            terms = analyze(form, decompound=False) if " " not in form else []
            if terms and head and terms[0] != head[0]:
                out[terms[0]] = f"{first}, {entry.abbreviations[0]}"
    return out


class QueryNormalizer:
    """Rewrites queries into the corpus's spelling (module docstring).

    :param texts: the passage texts of the snapshot (their word forms are built on first use).
    :param vocabulary: the BM25 vocabulary, analysed term -> document frequency.
    :param typo: an ``index.search.typo.TypoCorrector`` over that vocabulary, or None (no typo step).
    :param steps: the rewriting steps applied, a subset of ``STEPS`` (all by default; fewer only
        to measure one step's effect, ``tools.query_levers``).
    :param english: English words the translation table knows (lower case): in an English query
        only the other words, German words mistyped ("Veranstalutngsreihe"), are typo-corrected.
    """

    def __init__(self, texts: list[str], vocabulary: dict[str, int], typo=None, steps=STEPS,
                 english: frozenset[str] | set[str] = frozenset()):
        self._texts = texts
        self.df = vocabulary
        self.typo = typo
        self.steps = frozenset(steps)
        self.english = english
        self._forms: WordForms | None = None
        self._lock = threading.Lock()

    @property
    def forms(self) -> WordForms:
        """The corpus word forms (``WordForms``), built once (about 1 s for 431 passages)."""
        with self._lock:
            if self._forms is None:
                self._forms = WordForms(self._texts)
            return self._forms

    def __call__(self, text: str, lang: str) -> NormalizedQuery:
        """``text`` (cleaned) in language ``lang`` ("de"/"en") -> ``NormalizedQuery``.
        In English queries only capitalised words the dictionary does not know as English
        (German nouns typed into an English question) are typo-corrected."""
        changes: list[tuple[str, str]] = []
        out: list[str] = []
        pos = 0
        for m in _WORD.finditer(text):
            word = m.group(0)
            new = self._word(word, lang)
            out.append(text[pos:m.start()])
            out.append(new)
            pos = m.end()
            if new != word:
                changes.append((word, new))
        out.append(text[pos:])
        return NormalizedQuery("".join(out) if changes else text, text, changes)

    def _word(self, word: str, lang: str) -> str:
        new = self._spelled(word, lang)
        synonym = self._synonym(new) if "abbreviations" in self.steps and "(" not in new else None
        # after the spelling steps, so "Auslaenderaemter" and a typo in it get it too
        return f"{new} ({synonym})" if synonym is not None else new

    def _synonym(self, word: str) -> str | None:
        """The first long form and abbreviation for a synonym long form (``_synonym_long_forms``),
        by its stem, or by the typo corrector's stem when the word is unknown to the corpus
        and its stem a typo of one."""
        synonyms = _synonym_long_forms()
        terms = analyze(word, decompound=False) if word.isalpha() else []
        if not terms:
            return None
        if terms[0] in synonyms:
            return synonyms[terms[0]]
        if ("typos" in self.steps and self.typo is not None and len(word) >= MIN_TYPO_LETTERS
                and not self._known_term(word)):  # only a word the corpus lacks can be a typo
            for fixed in self.typo.corrections(terms[0]):
                if fixed in synonyms:
                    return synonyms[fixed]
        return None

    def _spelled(self, word: str, lang: str) -> str:
        if word.isdigit():
            return word
        steps = self.steps
        abbr = _abbreviations().get(word) if "abbreviations" in steps else None
        if abbr is not None:
            return f"{abbr} ({word})"
        if _GENDER.search(word):
            return (self._surface(word) or word) if "gender" in steps else word
        readings = _transliterations(word) if "transliterate" in steps else []
        typed = self.forms.count(word)
        for candidate in readings:  # the spelling the corpus uses more ("Fluechtlinge" is in a URL)
            if self.forms.count(candidate) > typed:
                return candidate
        if typed or (lang == "en" and word.lower() in self.english):
            return word
        for candidate in readings:  # a compound or inflection the corpus does not spell out
            if lang != "en" and self._known_term(candidate):
                return candidate
        if lang == "en" and not word[:1].isupper():
            return word  # an English word the dictionary lacks; German nouns are capitalised
        if self._known_term(word):
            return word
        if "typos" in steps and self.typo is not None and len(word) >= MIN_TYPO_LETTERS and word.isalpha():
            terms = analyze(word, decompound=False)
            for fixed in self.typo.corrections(terms[0]) if terms else []:
                form = self.forms.surface.get(fixed)
                if form and OSA.distance(word.lower(), form.lower()) <= MAX_REWRITE_EDITS:
                    return _match_case(form, word)
        return word

    def _known_term(self, word: str) -> bool:
        """Whether the corpus has ``word``'s analysed term, or all parts of it as a compound."""
        terms = analyze(word, decompound=False)
        if terms and self.df.get(terms[0], 0) > 0:
            return True
        parts = split_compound(base_form(word.casefold()))
        stems = [analyze(p, decompound=False) for p in parts]
        return bool(stems) and all(s and self.df.get(s[0], 0) > 0 for s in stems)

    def _surface(self, word: str) -> str | None:
        terms = analyze(word, decompound=False)
        form = self.forms.surface.get(terms[0]) if terms else None
        return _match_case(form, word) if form else None


def _transliterations(word: str) -> list[str]:
    """Readings of an ASCII-typed word: ae/oe/ue as umlauts (german2 rule), then each "ss" as "ß"
    as well; case kept (an initial capital stays one). [] when nothing changes."""
    low = word.lower()
    read = umlauts(low)
    out = [read] if read != low else []
    for base in [read] if read != low else [low]:
        if "ss" in base:
            out.append(base.replace("ss", "ß"))
    return [_match_case(r, word) for r in out]


def _match_case(form: str, typed: str) -> str:
    """``form`` with the typed word's capitalisation: upper-case initial when typed so; an
    all-lower-case typed word keeps a capitalised corpus form (German nouns)."""
    if typed[:1].isupper() and form[:1].islower():
        return form[:1].upper() + form[1:]
    return form
