"""What a search answers besides its ranking: the hit count, no-match verdicts, "did you
mean" suggestions and the German terms a query was searched with.

Everything here reads a finished ``SearchResult`` and the snapshot behind the
``Searcher`` (BM25 vocabulary, translation table, surface forms, catalogue); nothing
changes the ranking.

* **Relevance floor** (``counted_hits``): a hit counts when its score is at least
  ``RELATIVE_FLOOR[mode]`` times the best score of the ranking. Hybrid and BM25 scores
  are comparable to the best one (hybrid: min-max fused, the best is about 1; BM25: raw
  scores), dense scores are cosines whose useful range is narrow, so dense measures the
  distance to the best cosine instead (``DENSE_MARGIN``). The values are chosen on the
  three judgment sets (docs/measurements.md "Hit count"): they keep nearly every judged-relevant
  passage of the top 100 (``python -m eval.hit_floor``).
* **No match** (``analyse``): a query is unanswerable when it has only stop words, or
  when none of its content words occurs in the corpus (as a stem, as a known compound,
  as an English word with a German translation in the corpus, or as a municipality
  name) *and* the best dense cosine stays below ``NO_MATCH_DENSE``. Both conditions
  are needed: unknown words alone could be an English paraphrase the dense arm still
  answers, a low cosine alone is common for short keyword queries.
* **Suggestions**: near spellings (``rapidfuzz`` normalised Indel similarity, at least
  ``SUGGEST_MIN_SIMILARITY``) of each unknown word among the corpus's word forms, the
  catalogue's names and, for English queries, the translation table's English words;
  frequent words first. Returned as whole corrected queries.
* **Query terms**: the German BM25 terms of the query (``Searcher.bm25_weights``) in the
  word form the corpus uses most, in query order: an English query's translations, a
  German query's own words plus typo corrections.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from core.errors import BadRequest
from index.analyzer import analyze, base_form, is_stopword, split_compound, words
from index.search.kinds import content_words, query_kind  # content_words is used by eval.hit_floor too
from index.search.query import clean_query
from index.search.translate import ENGLISH_STOPWORDS, translation_groups

# Relevance floor per mode; see the module docstring and docs/measurements.md "Hit count".
RELATIVE_FLOOR = {"hybrid": 0.15, "bm25": 0.2}
# Keyword queries (``query_kind``): a hit above the floor counts only when it contains every
# word of the query (after analysis) or scores at least CLOSE_TO_BEST times the best score.
CLOSE_TO_BEST = 0.7
KEYWORD_COVERAGE = 0.66  # share of the query's words a counted hit must contain (all of one or two words)
DENSE_MARGIN = 0.06  # dense mode: a hit counts within this cosine distance of the best
# No match: the best dense cosine (query vs passage or sentence window) must stay below this.
NO_MATCH_DENSE = 0.86
SUGGEST_MIN_SIMILARITY = 80.0  # rapidfuzz fuzz.ratio, 0-100
SUGGEST_MIN_LENGTH = 4
MAX_SUGGESTIONS = 3
SHOW_WEIGHT = 0.6  # translations shown in query_terms: each English word's best one or two
_TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass
class Answer:
    """The verdict on one search.

    ``total``: hits above the relevance floor (a count of passages, at most the ranking's
    length); ``counted``: their positions in the ranking, best first (None: the first
    ``total``); ``kind``: "keyword" or "question" (``query_kind``), which decides the floor. ``no_match``: the query cannot be answered from the corpus (``reason`` is
    ``"stopwords"`` or ``"unknown_terms"``). ``unknown_terms``: the query's content words
    (as typed) found nowhere in the corpus, not even through typo tolerance (of an English
    query that is not a no-match, only capitalised words: names). ``stopwords``: the query's words, when it has
    only stop words. ``suggestions``: corrected whole queries, best first.
    ``query_terms``: the German search terms in corpus word form (English translations,
    typo corrections, the query's own words). ``extra_terms``: those of them that are not
    words of the query ("Gesucht wurde auch"). ``highlight_stems``: analysed terms to mark
    in snippets. ``best_dense``: the best dense cosine (None without a dense arm).
    """

    total: int
    counted: list[int] | None = None
    kind: str = "question"
    no_match: bool = False
    reason: str | None = None
    unknown_terms: list[str] = field(default_factory=list)
    stopwords: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    query_terms: list[str] = field(default_factory=list)
    extra_terms: list[str] = field(default_factory=list)
    highlight_stems: frozenset[str] = frozenset()
    best_dense: float | None = None

    def select(self, hits: list) -> list:
        """The counted hits of a ranking (``hits`` as searched), in ranking order."""
        if self.counted is None:
            return list(hits[: self.total])
        return [hits[i] for i in self.counted if i < len(hits)]

    def notice(self) -> str | None:
        """The English explanation for API and CLI users (None when nothing needs saying)."""
        if self.reason == "stopwords":
            return (f"the query has only stop words ({', '.join(self.stopwords)}); "
                    "add a content word such as a topic or a place")
        if self.no_match:
            return f"no matches: {_list_en(self.unknown_terms)} {_verb(self.unknown_terms, 'occurs', 'occur')} in no document"
        if self.unknown_terms:
            return (f"{_list_en(self.unknown_terms)} {_verb(self.unknown_terms, 'occurs', 'occur')} in no document; "
                    "the hits match the other words")
        return None

    def notice_de(self) -> str | None:
        """The same explanation in German, for the web page."""
        if self.reason == "stopwords":
            return (f"Ihre Anfrage besteht nur aus Füllwörtern ({', '.join(self.stopwords)}). "
                    "Ergänzen Sie ein Thema oder einen Ort.")
        if self.no_match:
            return (f"{_list_de(self.unknown_terms)} {_verb(self.unknown_terms, 'kommt', 'kommen')} in keinem "
                    "Dokument vor, und keine Passage passt dem Sinn nach. Prüfen Sie die Schreibweise oder "
                    "suchen Sie nach dem Thema statt dem Namen.")
        if self.unknown_terms:
            return (f"{_list_de(self.unknown_terms)} {_verb(self.unknown_terms, 'kommt', 'kommen')} in keinem Dokument vor; "
                    "die Treffer passen zu den übrigen Wörtern.")
        return None

    def to_dict(self) -> dict[str, Any]:
        """The API fields: ``total``, ``no_match``, ``notice`` (English), ``suggestions``,
        ``query_terms``, ``unknown_terms``."""
        return {"total": self.total, "no_match": self.no_match, "notice": self.notice(),
                "suggestions": list(self.suggestions), "query_terms": list(self.query_terms),
                "unknown_terms": list(self.unknown_terms)}


def _verb(items: list[str], one: str, many: str) -> str:
    return one if len(items) == 1 else many


def _list_en(items: list[str]) -> str:
    return ", ".join(f"'{t}'" for t in items)


def _list_de(items: list[str]) -> str:
    return ", ".join(f"‚{t}‘" for t in items)


def counted_hits(scores: list[float], mode: str, dense: list[float | None] | None = None) -> int:
    """How many hits of a ranking lie above the relevance floor.

    ``scores``: the final scores, best first (as ``Hit.score``). ``mode``: hybrid, dense
    or bm25. Hybrid/BM25: hits with ``score >= RELATIVE_FLOOR[mode] * scores[0]``; dense:
    hits with ``score >= scores[0] - DENSE_MARGIN`` (cosines). The count is a prefix
    length: the first hit below the floor ends it, so paging never skips a counted hit.
    Returns 0 for an empty ranking or a best score <= 0.
    """
    if not scores or scores[0] <= 0:
        return 0
    if mode == "dense":
        floor = scores[0] - DENSE_MARGIN
    else:
        floor = RELATIVE_FLOOR.get(mode, RELATIVE_FLOOR["hybrid"]) * scores[0]
    n = 0
    for s in scores:
        if s < floor:
            break
        n += 1
    return n


def keyword_coverage(searcher, text: str, lang: str) -> dict[int, float] | None:
    """For a keyword query: passage row (of ``searcher.passages``) -> the share of the query's
    content words it contains after analysis (BM25 terms of the passage and its section path).

    Each content word of the query is found through one of its terms: the stems of the
    word as normalised (``Searcher.normalizer``: "ABH" -> "Ausländerbehörde (ABH)", one word
    still), its typo corrections, its abbreviation concepts, or (English) one of its German
    translations or itself. Passages with none of the words are left out; None when the
    query has no content word."""
    bm25 = searcher.snapshot.bm25
    groups: list[set[str]] = []
    for typed in dict.fromkeys(w.casefold() for w in content_words(text)):
        word = searcher.normalizer(typed, lang).text
        main = analyze(word, decompound=False)
        group = set(main) | {t for t in analyze(word) if t.startswith("=")}
        if lang != "en" and searcher.settings.search.typo_tolerance:
            group |= {c for t in main for c in searcher.typo.corrections(t)}
        if lang == "en":
            group |= {t for g in translation_groups(typed, searcher.snapshot.translations) for t in g}
        if group:
            groups.append(group)
    if not groups:
        return None
    found: Counter = Counter()
    for group in groups:
        rows: set[int] = set()
        for term in group:
            rows.update(int(i) for i in bm25.postings(term))
        found.update(rows)
    return {row: n / len(groups) for row, n in found.items()}


def counted_positions(searcher, result, scores: list[float], kind: str) -> list[int]:
    """Positions of the counted hits: the ``counted_hits`` prefix, and for keyword queries
    (``kind``) only those of its hits that contain at least ``KEYWORD_COVERAGE`` of the query's
    words (``keyword_coverage``) or score at least ``CLOSE_TO_BEST`` times the best score
    (hybrid and BM25 modes)."""
    prefix = counted_hits(scores, result.mode)
    if kind != "keyword" or result.mode == "dense" or not prefix:
        return list(range(prefix))
    coverage = keyword_coverage(searcher, result.query, result.language)
    if coverage is None:
        return list(range(prefix))
    close = CLOSE_TO_BEST * scores[0]
    return [pos for pos in range(prefix) if scores[pos] >= close
            or coverage.get(searcher.passage_index(result.hits[pos].passage.id), 0.0) >= KEYWORD_COVERAGE]


# -- the corpus's words, once per snapshot --------------------------------------------------

@dataclass
class Lexicon:
    """Word forms of one snapshot: ``forms`` (surface word -> count, as written),
    ``surface`` (analysed term -> its most frequent surface form), ``choices`` (words of
    at least ``SUGGEST_MIN_LENGTH`` letters plus catalogue names, for suggestions) and
    ``names`` (case-folded municipality names and aliases)."""

    forms: Counter
    surface: dict[str, str]
    choices: list[str]
    weights: dict[str, int]
    names: set[str]


_lexicons: dict[str, Lexicon] = {}
_lexicon_lock = threading.Lock()


def lexicon(searcher) -> Lexicon:
    """The ``Lexicon`` of the searcher's snapshot, built on first use (~1 s for 431
    passages) and kept for the two most recent snapshot ids."""
    key = searcher.snapshot.id
    with _lexicon_lock:
        cached = _lexicons.get(key)
    if cached is not None:
        return cached
    forms: Counter = Counter()
    for p in searcher.passages:
        forms.update(_TOKEN.findall(unicodedata.normalize("NFC", p.text)))
    by_term: dict[str, Counter] = defaultdict(Counter)
    for word, n in forms.items():
        if word.isdigit():
            continue
        terms = analyze(word, decompound=False)
        if len(terms) == 1:
            by_term[terms[0]][word] += n
    surface = {t: _preferred(c) for t, c in by_term.items()}
    weights: dict[str, int] = Counter()
    for word, n in forms.items():
        if len(word) >= SUGGEST_MIN_LENGTH and word.isalpha():
            weights[word] += n
    names: set[str] = set()
    catalogue = searcher.catalogue
    if catalogue is not None:
        for m in catalogue:
            for name in [m.name, *m.aliases]:
                names.add(name.casefold())
                weights[name] = weights.get(name, 0) + 1000  # a place name is a likely intended word
    lex = Lexicon(forms, surface, list(weights), dict(weights), names)
    with _lexicon_lock:
        if len(_lexicons) >= 2:
            _lexicons.pop(next(iter(_lexicons)))
        _lexicons[key] = lex
    return lex


def _preferred(forms: Counter) -> str:
    """The form to show for a term: the most frequent one in the corpus (ties: alphabetical)."""
    return sorted(forms.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


# -- query analysis ----------------------------------------------------------------------

def is_known(word: str, searcher, lang: str, lex: Lexicon) -> bool:
    """Whether one content word occurs in the corpus in some form.

    Known: its stem has a document frequency > 0; or it is a compound all of whose parts
    (``index.analyzer.split_compound``) have one; or (English) the translation table gives
    German terms that occur; or it is a municipality name or alias (case-folded).
    """
    df = searcher.snapshot.bm25.vocabulary
    low = word.casefold()
    if low in lex.names:
        return True
    main = analyze(low, decompound=False)
    if main and df.get(main[0], 0) > 0:
        return True
    parts = split_compound(base_form(low))
    if parts:
        stems = [analyze(p, decompound=False) for p in parts]
        if all(s and df.get(s[0], 0) > 0 for s in stems):
            return True
    if any(t.startswith("=") for t in analyze(low)):  # an administrative abbreviation's concept
        return True
    if lang == "en":
        groups = translation_groups(low, searcher.snapshot.translations)
        if any(df.get(t, 0) > 0 for g in groups for t in g):
            return True
    return False


def english_phrase_words(text: str, table: dict[str, list[str]]) -> set[str]:
    """Case-folded words of an English query that a two-word dictionary phrase covers
    ("language courses" -> {"language", "courses"}), as ``translation_groups`` reads them."""
    tokens = [w for w in words(text) if w not in ENGLISH_STOPWORDS and not is_stopword(w, "en")]
    covered: set[str] = set()
    for a, b in zip(tokens, tokens[1:]):
        for variant in (f"{a} {b}", f"{a} {b[:-1]}" if b.endswith("s") else None):
            if variant and variant in table:
                covered.update((a, b))
    return covered


def _corrected(searcher, word: str, lang: str) -> bool:
    """Whether the search's typo tolerance (``index.search.typo``) found corpus terms for the word."""
    if lang == "en" or not searcher.settings.search.typo_tolerance:
        return False
    return any(searcher.typo.corrections(t) for t in analyze(word.casefold(), decompound=False))


def suggest(unknown: list[str], query: str, lex: Lexicon, english: list[str] | None = None) -> list[str]:
    """Corrected whole queries for the unknown words, best first (at most ``MAX_SUGGESTIONS``).

    Each unknown word of at least ``SUGGEST_MIN_LENGTH`` characters is replaced by its
    nearest corpus word, catalogue name or (``english``) English dictionary word with
    rapidfuzz ``fuzz.ratio`` >= ``SUGGEST_MIN_SIMILARITY``; ties go to the more frequent
    word. The first suggestion replaces every unknown word by its best candidate, the
    next ones vary one word at a time.
    """
    per_word: dict[str, list[str]] = {}
    for word in unknown:
        if len(word) < SUGGEST_MIN_LENGTH:
            continue
        candidates: dict[str, tuple[float, int]] = {}
        pools = [(lex.choices, lex.weights)]
        if english:
            pools.append((english, {}))
        for choices, weights in pools:
            for cand, score, _ in process.extract(word, choices, scorer=fuzz.ratio, processor=str.casefold,
                                                  score_cutoff=SUGGEST_MIN_SIMILARITY, limit=8):
                if cand.casefold() == word.casefold():
                    continue
                key = cand
                best = candidates.get(key)
                if best is None or score > best[0]:
                    candidates[key] = (score, weights.get(cand, 0))
        ranked = sorted(candidates, key=lambda c: (-candidates[c][0], -candidates[c][1], c))
        seen: set[str] = set()
        unique = []
        for c in ranked:  # one form per word and per stem ("Integrationskonzept", not also "-konzepte")
            keys = {c.casefold(), *analyze(c, decompound=False)[:1]}
            if seen.isdisjoint(keys):
                seen.update(keys)
                unique.append(_match_case(c, word))
        if unique:
            per_word[word] = unique[:MAX_SUGGESTIONS]
    if not per_word:
        return []
    out = [_replace(query, {w: c[0] for w, c in per_word.items()})]
    for w, cands in per_word.items():
        for c in cands[1:]:
            out.append(_replace(query, {**{x: y[0] for x, y in per_word.items()}, w: c}))
    return list(dict.fromkeys(out))[:MAX_SUGGESTIONS]


def _match_case(candidate: str, typed: str) -> str:
    """Keep a lower-case candidate lower case unless the user capitalised the word."""
    if typed[:1].isupper() and candidate[:1].islower():
        return candidate[:1].upper() + candidate[1:]
    return candidate


def _replace(query: str, mapping: dict[str, str]) -> str:
    def sub(m: re.Match) -> str:
        return mapping.get(m.group(0), m.group(0))

    return _TOKEN.sub(sub, unicodedata.normalize("NFKC", query))


def search_terms(searcher, text: str, lang: str, lex: Lexicon,
                 weights: dict[str, float] | None = None) -> tuple[list[str], list[str], frozenset[str]]:
    """(query_terms, extra_terms, highlight_stems) of a query.

    ``highlight_stems``: every BM25 term the search used (``Searcher.bm25_weights``:
    own stems, compound parts, translations, typo corrections), so snippets of an
    English query mark the German words it matched. ``query_terms``: the German terms
    in readable form, in the order the search weighed them: a German query's own words
    as typed, then its typo corrections; an English query's translations with weight at
    least ``SHOW_WEIGHT`` (each English word's best one or two), plus its own words that
    occur in the corpus ("Integration"). Corpus word forms come from ``Lexicon.surface``;
    concept terms ("=bamf") and terms the corpus lacks are left out. ``extra_terms``:
    the ``query_terms`` that are not words of the query (case-insensitive). ``weights``:
    the search's own BM25 analysis of the query (``Query.bm25_weights``); None analyses
    ``text`` (``Searcher.bm25_weights``).
    """
    if weights is None:
        weights = searcher.bm25_weights(text, lang)
    df = searcher.snapshot.bm25.vocabulary
    typed = _TOKEN.findall(unicodedata.normalize("NFKC", text))
    own_lower = {w.casefold() for w in typed}
    shown: list[str] = []

    def add(form: str | None) -> None:
        if form and form.casefold() not in {s.casefold() for s in shown}:
            shown.append(form)

    if lang != "en":
        own_terms: dict[str, str] = {}
        for w in content_words(text):
            stems = analyze(w, decompound=False)
            if stems:
                own_terms.setdefault(stems[0], w)
                if df.get(stems[0], 0) > 0:
                    add(w)
        parts = {t for w in content_words(text) for t in analyze(w)}
        for term in weights:  # typo corrections: terms that are neither own words nor their parts
            if term in own_terms or term in parts or term.startswith("=") or df.get(term, 0) == 0:
                continue
            add(lex.surface.get(term))
    else:
        translated = _translated(searcher, text)
        for term, weight in weights.items():
            if term.startswith("=") or df.get(term, 0) == 0:
                continue
            if term in translated and weight < SHOW_WEIGHT:
                continue
            add(lex.surface.get(term))
    extra = [f for f in shown if f.casefold() not in own_lower]
    return shown, extra, frozenset(weights)


def _translated(searcher, text: str) -> set[str]:
    return {t for g in translation_groups(text, searcher.snapshot.translations) for t in g}


_english: dict[str, list[str]] = {}


def _english_words(searcher) -> list[str]:
    """The translation table's single English words, once per snapshot (suggestion candidates)."""
    key = searcher.snapshot.id
    if key not in _english:
        if len(_english) >= 2:
            _english.pop(next(iter(_english)))
        _english[key] = [w for w in searcher.snapshot.translations if " " not in w]
    return _english[key]


def query_stems(searcher, query: str) -> frozenset[str]:
    """The analysed terms to mark for a query outside a search (the passage page): every
    BM25 term ``Searcher.bm25_weights`` would search, so an English query marks the German
    words it matches. A query ``clean_query`` refuses marks nothing (empty set)."""
    try:
        text = clean_query(query, searcher.settings.search.max_query_chars)
    except BadRequest:
        return frozenset()
    return frozenset(searcher.bm25_weights(text, searcher.language(text)))


def analyse(searcher, result, ranking_scores: list[float] | None = None) -> Answer:
    """The ``Answer`` for a ``SearchResult`` of ``searcher`` (searched deep enough to count:
    the caller passes up to ``settings.search.max_k`` hits).

    Steps: stop-word-only check; unknown content words (``is_known``); best dense cosine
    from the hits' per-arm scores; no-match verdict (module docstring); the counted hits
    (``counted_positions``: the relevance floor, and for keyword queries also the query's
    words; none on no match); suggestions for unknown words; query terms.
    """
    text, lang, mode = result.query, result.language, result.mode
    lex = lexicon(searcher)
    all_words = words(text)
    content = content_words(text)
    scores = ranking_scores if ranking_scores is not None else [h.score for h in result.hits]
    dense = [h.scores.get("dense") for h in result.hits if h.scores.get("dense") is not None]
    best_dense = max(dense) if dense else None
    if all_words and not content:
        return Answer(total=0, no_match=True, reason="stopwords", stopwords=list(dict.fromkeys(all_words)),
                      best_dense=best_dense)
    covered = english_phrase_words(text, searcher.snapshot.translations) if lang == "en" else set()
    missing = [w for w in dict.fromkeys(content) if w.casefold() not in covered and not is_known(w, searcher, lang, lex)]
    corrected = [w for w in missing if _corrected(searcher, w, lang)]
    unknown = [w for w in missing if w not in corrected]
    all_unknown = bool(content) and len(unknown) == len(dict.fromkeys(content))
    if lang == "en" and not all_unknown:
        # An English word without a German translation is normal (the dense arm reads it);
        # only capitalised ones (names: "Hintertupfingen") are worth a notice.
        unknown = [w for w in unknown if w[:1].isupper()]
    q = getattr(result, "prepared", None)  # the search's Query: its BM25 analysis, computed once
    weights = q.bm25_weights if q is not None and q.weigh is not None else None
    query_terms, extra, stems = search_terms(searcher, text, lang, lex, weights)
    low_dense = best_dense is None or best_dense < NO_MATCH_DENSE
    no_match = all_unknown and (low_dense or mode == "bm25")
    suggestions = []
    if missing:
        suggestions = suggest(missing, text, lex, _english_words(searcher) if lang == "en" else None)
    kind = query_kind(text)  # the verdict's kinds (keyword/question), not the search's query_form
    counted = [] if no_match else counted_positions(searcher, result, scores, kind)
    return Answer(total=len(counted), counted=counted, kind=kind, no_match=no_match, reason="unknown_terms" if no_match else None,
                  unknown_terms=unknown, suggestions=suggestions, query_terms=query_terms, extra_terms=extra,
                  highlight_stems=stems, best_dense=best_dense)
