"""German text analysis for BM25 (documents and queries go through the same steps).

Decisions, made explicit:
- Unicode: text is NFKC-normalised first, so a decomposed "u" + U+0308 (as macOS
  types it) is the same "ü" as the precomposed one; soft hyphens are dropped.
- Tokens are Unicode word runs (``\\w+``), so "über", "Größe", "Straßen" survive;
  case folding with ``str.lower`` (keeps ß; the stemmer folds it to "ss" later).
- Gender-inclusive forms are joined before tokenising: "Lehrer:innen",
  "Lehrer*innen", "Lehrer_innen", "Lehrer·innen", "Lehrer/-innen", "Lehrer/innen",
  "Lehrer(innen)" become "Lehrerinnen" (only a lower-case "in"/"innen" after the mark,
  so "Hinweis:In der Praxis" is left alone); "Geflüchtete:r", "Ehrenamtliche*r",
  "Kolleg:in" likewise. Binnen-I ("LehrerInnen") needs nothing: lower-casing joins it.
- Feminine forms fold onto the base noun: Snowball already stems "Lehrerin",
  "Lehrerinnen" and "Lehrer" to one term ("-erin(nen)"); for the other agent-noun
  endings we strip "-in"/"-innen" ourselves ("Kolleginnen" -> "Kolleg",
  "Migrantinnen" -> "Migrant", "Ärztinnen" -> "Ärzt" -> "arzt"), but only when what is
  left has at least four letters and ends like an agent noun (``_AGENT_ENDINGS``), so
  "Termin", "Berlin", "beginnen", "gewinnen", "Medizin" keep their endings. The price:
  a query for women only ("Migrantinnen") also finds "Migranten".
- Umlauts written as ae/oe/ue ("Fluechtlingsunterkunft", "fuer") are read as ä/ö/ü
  with the rule of Snowball's german2 variant (which PyStemmer 3's German stemmer
  applies inside the stem too): "ue" stays when a vowel precedes the "u" ("Feuer",
  "neue", "Frauen", "Steuerung") or a "q" does ("Quelle", "Frequenz"). Words that
  already contain ä/ö/ü/ß are left as written. Genuine ae/oe/ue words are read the
  same way on both sides ("Israel" -> "isral", "aktuell" -> "aktull"), so they still
  match themselves; the rule only conflates a word with its umlaut spelling. Doing it
  before the stopword test and the compound splitter makes "fuer" a stopword and
  splits "Fluechtlingsunterkunft" like "Flüchtlingsunterkunft".
- Hyphens split: "Elm-Asse" gives "elm" and "asse"; "Integrations- und
  Willkommenskultur" gives "integrations", "willkommenskultur" (plus its parts).
- Stopwords: bm25s' German list (and, for the cross-lingual BM25 arm, its English one).
- Stemming: Snowball German via PyStemmer (folds ä/ö/ü to a/o/u and ß to ss).
- Compounds: a German compound is indexed as itself AND as its two parts when the
  ``compound-split`` splitter is confident (score above ``COMPOUND_MIN_SCORE``,
  both parts at least four letters, the word at most ``COMPOUND_MAX_WORD`` letters),
  so "Ehrenamtskoordination" also matches "Koordination" and "Ehrenamt". Parts are
  split once more (two levels).
- Administrative abbreviations (``index.abbreviations``, list with sources in
  ``index/data/abbreviations_de.tsv``): an abbreviation ("BAMF", "ABHn") and each of
  its long forms ("Bundesamt für Migration und Flüchtlinge", "Ausländerbehörde") add
  one shared concept term ("=bamf"), on both sides, so either finds the other.
- ``decompound=False`` gives one term per word: no compound parts, no concept terms.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from pathlib import Path

import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_GERMAN

from index import abbreviations
from index.compounds import best_split

ANALYZER_VERSION = "de-snowball-compound-v2-umlaut-gender-abbrev-accents"
COMPOUND_MIN_SCORE = 0.4
COMPOUND_MIN_WORD = 10
COMPOUND_MAX_WORD = 64  # longer "words" are not split (the corpus's longest word has 31 letters)
COMPOUND_MIN_PART = 4
# Splits that are derivation or inflection rather than composition.
_NOT_PARTS = frozenset({"innen", "lichen", "liche", "licher", "liches", "lich", "unter", "inter", "über"})

_WORD = re.compile(r"\w+", re.UNICODE)
_STOP_DE = frozenset(w.casefold() for w in STOPWORDS_GERMAN)
_STOP_EN = frozenset(w.casefold() for w in STOPWORDS_EN)
_stemmer = Stemmer.Stemmer("german")

# A gender mark between a letter and a lower-case inflection: "Lehrer:innen", "Lehrer*in",
# "Lehrer_innen", "Lehrer·innen", "Lehrer/-innen", "Lehrer/innen", "Lehrer(innen)", "Geflüchtete:r".
_GENDER_MARK = re.compile(r"(?<=[^\W\d_])(?:[:*_·•]|/-?|\()(innen|in|r|n|e|en|er|em|es)\)?(?![^\W\d_])")
# Agent-noun endings before a feminine "-in"/"-innen" that Snowball does not strip itself
# ("-erin" it does, and "Schwerin" it keeps): Kolleg-in, Migrant-in, Student-in, Journalist-in,
# Autor-in, Pädagog-in, Ingenieur-in, Expert-in, Beamt-in, Ärzt-in, Nachbar-in, Freund-in,
# (Sprach)pat-in, (Integrations)lots-in, Kund-in, Muslim-in, (Land)rät-in, Anwält-in, Kandidat-in.
_AGENT_ENDINGS = ("eg", "ant", "ent", "ist", "or", "og", "eur", "ert", "amt", "ärzt", "arzt",
                  "nachbar", "freund", "pat", "lots", "kund", "muslim", "rät", "wält", "dat")
_FEMININE_MIN_STEM = 4
_SHORT_AGENTS = frozenset({"pat"})  # "Patin", "Patinnen": the base noun is "Pate"
_VOWELS = frozenset("aeiouyäöü")
_UMLAUT = {"ae": "ä", "oe": "ö", "ue": "ü"}


def _accent_table() -> dict[int, str]:
    """Lower-case Latin letters with a diacritic other than the German umlauts -> their base
    letter ("é" -> "e", "ś" -> "s", "ç" -> "c", "ø" -> "o"), from Unicode's canonical
    decompositions (U+00C0-U+024F); ä, ö, ü and ß are left to the German stemmer."""
    table = {ord("ø"): "o", ord("ł"): "l", ord("đ"): "d", ord("ı"): "i"}
    for cp in range(0xC0, 0x250):
        ch = chr(cp)
        if ch != ch.lower() or ch in "äöüß":
            continue
        base = unicodedata.normalize("NFD", ch)
        if len(base) > 1 and base[0].isascii() and base[0].isalpha() and all(unicodedata.combining(c) for c in base[1:]):
            table[cp] = base[0]
    return table


_ACCENTS = _accent_table()


def words(text: str) -> list[str]:
    """Case-folded Unicode word tokens (no stopword removal, no stemming).

    NFKC first (decomposed umlauts compose, ligatures unfold), soft hyphens dropped,
    gender marks joined ("Lehrer:innen" -> "lehrerinnen"), diacritics other than the
    umlauts folded ("Begegnungscafé" = "Begegnungscafe", "Chóśebuz" = "Chosebuz": users
    type them either way). Single digits are dropped.
    """
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    text = _GENDER_MARK.sub(r"\1", text)
    return [w for w in _WORD.findall(text.lower().translate(_ACCENTS)) if not w.isdigit() or len(w) >= 2]


@functools.lru_cache(maxsize=200_000)
def umlauts(word: str) -> str:
    """A lower-case word with ae/oe/ue read as ä/ö/ü (Snowball german2 rule), else unchanged.

    "fluechtlinge" -> "flüchtlinge", "fuer" -> "für", "aerztin" -> "ärztin"; "ue" after a
    vowel or a "q" stays ("feuer", "neue", "quelle"); a word that already has ä/ö/ü/ß is
    written with umlauts and stays as it is ("blüte", "abenteuer").
    """
    if "e" not in word or any(c in word for c in "äöüß"):
        return word
    out: list[str] = []
    i, n = 0, len(word)
    while i < n:
        pair = word[i:i + 2]
        if pair == "qu":
            out.append(pair)
            i += 2
        elif pair in _UMLAUT and not (pair == "ue" and i > 0 and word[i - 1] in _VOWELS):
            out.append(_UMLAUT[pair])
            i += 2
        else:
            out.append(word[i])
            i += 1
    return "".join(out)


@functools.lru_cache(maxsize=200_000)
def base_form(word: str) -> str:
    """A lower-case word with umlauts restored and a feminine "-in"/"-innen" of an agent noun
    replaced by "-e", which the stemmer removes again like the base noun's own endings.

    "kolleginnen" -> "kollege", "migrantin" -> "migrante", "aerztinnen" -> "ärzte",
    "lotsinnen" -> "lotse"; "lehrerinnen" stays (Snowball strips "-erinnen" itself);
    "termin", "berlin", "beginnen", "platin" stay.
    """
    word = umlauts(word)
    for suffix in ("innen", "in"):
        if word.endswith(suffix):
            stem = word[: -len(suffix)]
            if (len(stem) >= _FEMININE_MIN_STEM or stem in _SHORT_AGENTS) and stem.endswith(_AGENT_ENDINGS):
                return stem + "e"  # "Lotse", "Kollege", "Migrante": stems like the base noun's forms
            break
    return word


@functools.lru_cache(maxsize=200_000)
def split_compound(word: str) -> tuple[str, ...]:
    """Split a German compound into parts (recursively, two levels), or ``()``.

    Method: the ``compound-split`` package's ``char_split`` (ngram probabilities,
    Tuggener 2016); a split counts when its score is at least ``COMPOUND_MIN_SCORE``,
    the word has at least ``COMPOUND_MIN_WORD`` and at most ``COMPOUND_MAX_WORD`` letters
    and both parts at least ``COMPOUND_MIN_PART``. Returns lower-case parts: left, its
    parts, right, its parts. Work per word is linear in its length
    (``index.compounds.char_split_best``, memoised across builds) and the length is capped, so a hostile
    5,000-letter "word" costs nothing.
    """
    if not COMPOUND_MIN_WORD <= len(word) <= COMPOUND_MAX_WORD or not word.isalpha():
        return ()
    best = best_split(word)
    if best is None:
        return ()
    score, left, right = best
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


def word_terms(text: str) -> list[str]:
    """One term per word: ``base_form``, stopwords dropped, Snowball-stemmed (no parts, no concepts)."""
    out = []
    for w in words(text):
        w = base_form(w)
        if w not in _STOP_DE and len(w) >= 2:
            out.append(_stem(w))
    return out


def analyze(text: str, decompound: bool = True) -> list[str]:
    """Index/query terms: words minus stopwords, stemmed, compounds expanded, abbreviation concepts added.

    Returns a list of terms in text order: each word's stem, then (``decompound``) the
    stems of its compound parts; after all words, one concept term per abbreviation or
    long form found (``index.abbreviations``). With ``decompound=False``: one term per word.
    """
    out: list[str] = []
    mains: list[str] = []
    parts_of: list[tuple[str, ...]] = []
    for w in words(text):
        w = base_form(w)
        if w in _STOP_DE or len(w) < 2:
            continue
        term = _stem(w)
        out.append(term)
        if decompound:
            parts = tuple(_stem(p) for p in split_compound(w) if p not in _STOP_DE)
            out.extend(parts)
            mains.append(term)
            parts_of.append(parts)
    if decompound and mains:
        out.extend(abbreviations.concept_terms(mains, parts_of, word_terms=word_terms))
    return out


def analyzer_fingerprint() -> str:
    """``ANALYZER_VERSION`` plus a hash of the analyzer's code and the abbreviation list.

    Recorded in the snapshot manifest and its build key, so any change to the analysis
    (a rule here, in ``index.abbreviations``, or a line of the list) makes the snapshot
    stale and rebuilds the BM25 index; passage vectors are reused, since the embedding
    texts do not change.
    """

    h = hashlib.sha256(Path(__file__).read_bytes())
    h.update(Path(__file__).with_name("abbreviations.py").read_bytes())
    return f"{ANALYZER_VERSION}+{h.hexdigest()[:12]}+abbreviations-{abbreviations.fingerprint()}"


def is_stopword(word: str, lang: str = "de") -> bool:
    """True if ``word`` (case-folded) is in bm25s' German stopword list, or its English
    one for ``lang="en"``."""
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
    en, de = language_votes(text)
    return "en" if en > de else "de"


def language_votes(text: str) -> tuple[int, int]:
    """(English, German) votes of ``detect_language``: marker words of each language, plus one
    German vote for an umlaut or ß when the markers tie; (0, 0) for a text without words."""
    tokens = words(text)
    if not tokens:
        return 0, 0
    en = sum(t in _EN_MARKERS for t in tokens)
    de = sum(t in _DE_MARKERS for t in tokens)
    if en == de and re.search(r"[äöüß]", text.lower()):
        de += 1
    return en, de
