"""German text analysis for BM25.

Decisions, made explicit:
- Tokens are Unicode word runs (``\\w+``), so "über", "Größe", "Straßen" survive;
  case folding with ``str.lower`` (keeps ß; the stemmer folds it to "ss" later).
- Hyphens split: "Elm-Asse" gives "elm" and "asse"; "Integrations- und
  Willkommenskultur" gives "integrations", "willkommenskultur" (plus its parts).
- Stopwords: bm25s' German list (and, for the cross-lingual BM25 arm, its English one).
- Stemming: Snowball German via PyStemmer. Snowball folds ä/ö/ü to a/o/u, so
  "Flüchtlinge" and "Fluechtlinge"-less spellings meet; the folding happens on
  both the index and the query side.
- Compounds: a German compound is indexed as itself AND as its two parts when the
  ``compound-split`` splitter is confident (score above ``COMPOUND_MIN_SCORE``,
  both parts at least four letters), so "Ehrenamtskoordination" also matches
  "Koordination" and "Ehrenamt". Parts are split once more (two levels).
"""

from __future__ import annotations

import functools
import re
import unicodedata

import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_GERMAN

ANALYZER_VERSION = "de-snowball-compound-v1"
COMPOUND_MIN_SCORE = 0.4
COMPOUND_MIN_WORD = 10
COMPOUND_MIN_PART = 4
# Splits that are derivation or inflection rather than composition.
_NOT_PARTS = frozenset({"innen", "lichen", "liche", "licher", "liches", "lich", "unter", "inter", "über"})

_WORD = re.compile(r"\w+", re.UNICODE)
_STOP_DE = frozenset(w.casefold() for w in STOPWORDS_GERMAN)
_STOP_EN = frozenset(w.casefold() for w in STOPWORDS_EN)
_stemmer = Stemmer.Stemmer("german")


def words(text: str) -> list[str]:
    """Case-folded Unicode word tokens (no stopword removal, no stemming)."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    return [w for w in _WORD.findall(text.lower()) if not w.isdigit() or len(w) >= 2]


@functools.lru_cache(maxsize=200_000)
def split_compound(word: str) -> tuple[str, ...]:
    """Split a German compound into parts (recursively, two levels), or ``()``."""
    if len(word) < COMPOUND_MIN_WORD or not word.isalpha():
        return ()
    from compound_split import char_split

    try:
        candidates = char_split.split_compound(word)
    except Exception:  # the splitter raises on some odd inputs; no split then
        return ()
    if not candidates:
        return ()
    score, left, right = candidates[0]
    left, right = left.casefold(), right.casefold()
    if score < COMPOUND_MIN_SCORE or len(left) < COMPOUND_MIN_PART or len(right) < COMPOUND_MIN_PART:
        return ()
    if left in _NOT_PARTS or right in _NOT_PARTS or right.startswith("amtlich"):
        return ()
    parts: list[str] = []
    for part in (left, right):
        parts.append(part)
        parts.extend(split_compound(part))
    return tuple(parts)


@functools.lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def analyze(text: str, decompound: bool = True) -> list[str]:
    """Index/query terms: words minus stopwords, stemmed, compounds expanded."""
    out: list[str] = []
    for w in words(text):
        if w in _STOP_DE or len(w) < 2:
            continue
        out.append(_stem(w))
        if decompound:
            for part in split_compound(w):
                if part not in _STOP_DE:
                    out.append(_stem(part))
    return out


def is_stopword(word: str, lang: str = "de") -> bool:
    return word.casefold() in (_STOP_EN if lang == "en" else _STOP_DE)


_EN_MARKERS = frozenset(
    "the of and how what which who where when why does do did is are was were can could should "
    "would their there this that these those with for from about into municipalities municipality "
    "rural city cities towns town volunteer volunteers refugees refugee integration housing language "
    "courses welcome culture district county migrants local authorities organise organize coordinate "
    "coordination support help people work jobs office offices as a an to on by at its it our your they "
    "task tasks management province neighbourhood neighbourhoods neighborhood arrival commits opportunities "
    "mission statement app administration city equal district state states school schools children women "
    "men young funding funded fund programme program network networks crisis staff care".split()
)
_DE_MARKERS = frozenset(
    "der die das und wie was welche welcher wer wo wann warum ist sind wird werden mit für von zu im in "
    "den dem des ein eine einer eines nicht auch bei auf aus gibt es sich oder als nach über gemeinden "
    "kommunen städte stadt landkreis ehrenamt ehrenamtliche geflüchtete flüchtlinge integration".split()
)


def detect_language(text: str) -> str:
    """'de' or 'en' from function words; umlauts and ß only break ties (names like
    "Dülmen" appear in English questions too). German wins remaining ties."""
    tokens = words(text)
    if not tokens:
        return "de"
    en = sum(t in _EN_MARKERS for t in tokens)
    de = sum(t in _DE_MARKERS for t in tokens)
    if en == de and re.search(r"[äöüß]", text.lower()):
        de += 1
    return "en" if en > de else "de"
