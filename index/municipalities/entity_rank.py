"""Practice evidence for comparable municipalities: entity ranking over the hybrid search.

For a topic, ``PracticeRanker.rank`` asks the one search function (hybrid: dense + BM25,
fused and MaxSim-reranked) for its top ``SEARCH_DEPTH`` passages and lets every hit vote
for the municipalities it is about (Balog et al. 2006, "model 2" document-centric entity
ranking: an entity's score aggregates the scores of the documents associated with it):

- a hit's weight is (its fused score / the best hit's) ** ``SHARPNESS`` (so in (0, 1];
  squaring keeps the many near-relevant passages of long portraits from outvoting a
  precise match); hits under ``MIN_VOTE`` do not vote;
- a hit votes fully for the passage's *subjects* (the portrait, prize profile or section
  it stands in, ``Municipality.passages``; 1/n of a vote in a list of n "good ideas" or a
  table of n rows) and with ``MENTION_WEIGHT`` / (number of
  municipalities named) for a municipality prose merely *mentions*; reference material
  (address lists, bibliographies) never votes;
- a municipality's passage score is the sum of its best ``TOP_HITS`` votes with weights
  1, ``DECAY``, ``DECAY``², ... (several good passages beat one, without letting long
  portraits win by length alone).

Table rows of reference lists vote too, but only for the municipality that begins the
row and only when the row holds at least ``ROW_MIN_COVERAGE`` of the topic's weighted
BM25 terms ("Winnenden | Ehrenamtlicher Dolmetscherpool der Stadt Winnenden" for
"Dolmetscherpool"), never for the other rows of the same list. A row's vote is at least
``ROW_FLOOR`` × its coverage, and every naming row votes even when the search ranks its
list low or not at all (reference lists are demoted in the search, yet a row that names
the practice is the best answer to "who does X?"; all rows are scanned, a few hundred).

A *name line* votes the same way (``rank(rows=True)``, "who does X?" only): the line or
sentence of a passage that names a municipality the passage merely mentions, with the
short cell label above it on a slide ("„Chefsache“ / Freiberg"; "Interkulturelle Gärten
in Dresden (Gärten ohne Grenzen)" in a list of other cities' good ideas), when it holds
at least ``ROW_MIN_COVERAGE`` of the topic's IDF-weighted terms. A mention far from the
practice stays a mention.

Project titles are the second source of practice: the Difu prize profiles and appendix
name each entry's title ("Fahrradwerkstatt für Geflüchtete"), DESI lists its "good
ideas". Each title is scored against the topic by 0.5 × its term coverage (the share of
the topic's BM25 query terms, IDF-weighted over all titles, that the title contains; the
search's own German analysis plus the loose compound constituents of title and topic,
``index.constituents.loose_parts``, so "Nähkurs" shares "näh" with "Nähcafé" and
"Kulturcafé" "café" with "Begegnungscafé"; English topics through the same
translations) + 0.5 × the
cosine of e5 vectors rescaled so that the median title scores 0 and the best 1. A
municipality's title score is its best title's. Titles are catalogue facts with a
source, not passages, so an appendix row supplies a project title but never passage
evidence.

``practice = max(P, T) + TITLE_WEIGHT * min(P, T)`` with P the passage score divided by
the best candidate's and T the title score, then divided by the best candidate's, so the
best practice match scores 1. Either kind of evidence alone can make a candidate; both
together rank it higher.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

SEARCH_DEPTH = 100
TOP_HITS = 3
DECAY = 0.5
MENTION_WEIGHT = 0.3
TITLE_WEIGHT = 0.3
MIN_VOTE = 0.2  # hits scoring below this share of the best hit do not vote
SHARPNESS = 2.0  # vote = (score / best score) ** SHARPNESS
ROW_FLOOR = 0.5  # a naming row votes at least this × its coverage, wherever the search ranks its list
ROW_MIN_COVERAGE = 0.5  # a table row votes only when it holds half of the topic's weighted terms
LABEL_WORDS = 6  # a line of at most this many words above a name line is its cell label
SENTENCE_WORDS = 30  # longer lines are split into sentences before a name line is cut out
LOOSE_PART_WEIGHT = 1.0  # a loose compound constituent of the topic weighs as a query term in title matching

# (passage id, fused score) of the hybrid search, best first
SearchFn = Callable[[str, int], Sequence[tuple[str, float]]]
# BM25 query terms with weights for a text (the search's own analysis and translation)
TermsFn = Callable[[str], dict[str, float]]
# analysed terms of a document-side text
AnalyzeFn = Callable[[str], list[str]]
# the unit query vector of a text, shape (dim,)
EmbedFn = Callable[[str], np.ndarray]


@dataclass
class Vote:
    """One search hit's vote for a municipality: subject vote or mention vote (module docstring)."""

    passage_id: str
    weight: float  # the hit's normalised score times the membership weight
    subject: bool


@dataclass
class RowVote:
    """A search hit on a reference list whose table row begins with the municipality and
    names the topic ("Winnenden | Ehrenamtlicher Dolmetscherpool …"): ``weight`` is the
    hit's normalised score times the row's term coverage."""

    passage_id: str
    text: str
    weight: float


@dataclass
class TitleMatch:
    """A municipality's best project title for the topic: 0.5 × IDF-weighted term coverage
    + 0.5 × rescaled e5 cosine (term coverage alone without an encoder)."""

    title: str
    score: float  # in [0, 1]
    fact: dict | None = None  # the catalogue fact that names the title (with its source)


@dataclass
class PracticeScore:
    """A municipality's practice evidence for one topic: the final ``score`` in [0, 1], the
    passage score before normalisation (``passages``), its votes (best first) and its
    best title match."""

    score: float = 0.0  # in [0, 1] after normalisation over candidates
    passages: float = 0.0
    votes: list[Vote] = field(default_factory=list)
    title: TitleMatch | None = None
    rows: list[RowVote] = field(default_factory=list)


class PracticeRanker:
    """Scores every municipality's practice for a topic; one instance per snapshot.

    :param catalogue: the ``Catalogue`` (subjects in ``passages``, mentions in ``mentions``).
    :param passages: the snapshot's ``Passage`` list (for headings and text of evidence).
    :param search: the hybrid search, ``(text, k) -> [(passage id, score)]``.
    :param query_terms: ``text -> {term: weight}``, the search's BM25 query analysis.
    :param analyze: ``text -> [term]``, the search's document-side analysis.
    :param embed_query: optional e5 query encoder, ``text -> unit vector``.
    :param title_vectors: e5 passage vectors of the project titles (the snapshot's
        ``project_vectors``); with ``embed_query`` titles also match by meaning, else by
        terms only.
    :param document_frequency: analysed term -> number of passages holding it (the BM25
        vocabulary), for ``topic_terms(topic, idf=True)``; without it every term counts with
        its query weight alone.
    :param concepts: optional ``text -> [frozenset of terms] | None``, the search's concepts
        of an English topic (``Searcher.bm25_concepts``: each English word with its German
        translations); with it a text names an English word once, by the word or any of its
        translations, instead of by each translation's share of the weight.
    :param parts: optional ``text -> [stem]``, loose compound constituents
        (``index.constituents.loose_parts``) that titles and the topic add to their terms
        when titles are matched.
    """

    def __init__(self, catalogue, passages: Sequence, search: SearchFn, query_terms: TermsFn,
                 analyze: AnalyzeFn, embed_query: EmbedFn | None = None,
                 title_vectors: dict[str, np.ndarray] | None = None,
                 document_frequency: dict[str, int] | None = None,
                 concepts: Callable[[str], list[tuple[frozenset[str], ...]] | None] | None = None,
                 parts: AnalyzeFn | None = None):
        self.catalogue = catalogue
        self._parts = parts
        self._concepts = concepts
        self._df = document_frequency
        self._lines: dict[tuple[str, str], list[str]] = {}
        self._n_passages = max(1, len(passages))
        self._passages = {p.id: p for p in passages}
        self._search = search
        self._query_terms = query_terms
        self._analyze = analyze
        self._terms_of: dict[str, frozenset[str]] = {}
        self._embed = embed_query
        self._rows: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for m in catalogue.municipalities:
            for pid, row in (getattr(m, "rows", None) or {}).items():
                self._rows[pid].append((m.id, row))
        self._subjects: dict[str, list[str]] = defaultdict(list)
        self._mentions: dict[str, list[str]] = defaultdict(list)
        for m in catalogue.municipalities:
            for pid in m.passages:
                self._subjects[pid].append(m.id)
            for pid in m.mentions:
                self._mentions[pid].append(m.id)
        # a passage holding several portrait/idea title lines (a bullet list of "good
        # ideas") is about each of them only in part
        ideas: dict[str, set[str]] = defaultdict(set)
        for m in catalogue.municipalities:
            for f in m.facts:
                pid = (f.get("source") or {}).get("passage_id")
                if f["name"] == "Gute Idee (DESI)" and pid:
                    ideas[pid].add(f["value"])
        self._share = {pid: 1.0 / len(titles) for pid, titles in ideas.items() if len(titles) > 1}
        self._titles: list[tuple[str, str, dict | None]] = []  # (municipality id, title, fact)
        for m in catalogue.municipalities:
            for title, fact in project_titles(m):
                self._titles.append((m.id, title, fact))
        self._title_terms = [self._title_analysis(t) for _, t, _ in self._titles]
        df: dict[str, int] = defaultdict(int)
        for terms in self._title_terms:
            for t in terms:
                df[t] += 1
        n = max(1, len(self._titles))
        self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self._title_vectors: np.ndarray | None = None
        if title_vectors and all(t in title_vectors for _, t, _ in self._titles):
            self._title_vectors = np.stack([title_vectors[t] for _, t, _ in self._titles]).astype(np.float32)

    def subjects(self, passage_id: str) -> list[str]:
        """Ids of the municipalities the passage is about ([] for none or an unknown id)."""
        return self._subjects.get(passage_id, [])

    def section_path(self, passage_id: str) -> list[str]:
        """The passage's section headings, outermost first ([] for an unknown id)."""
        p = self._passages.get(passage_id)
        return list(p.section_path) if p is not None else []

    def is_reference(self, passage_id: str | None) -> bool:
        """True for reference material (address lists, bibliographies): never evidence."""
        p = self._passages.get(passage_id or "")
        meta = getattr(p, "meta", None) or {}
        return meta.get("kind") == "reference"

    def search_hits(self, topic: str) -> list[tuple[str, float]]:
        """The search's ranking for ``topic`` as ``rank`` takes it: (passage id, fused score),
        best first, at most ``SEARCH_DEPTH``; [] when the search finds the topic unanswerable.
        A caller ranking one topic twice (with and without rows) searches once with it."""
        return list(self._search(topic, SEARCH_DEPTH))

    def document(self, passage_id: str | None) -> str | None:
        """The id of the document a passage stands in (None for an unknown id)."""
        return getattr(self._passages.get(passage_id or ""), "doc_id", None)

    def analyze(self, text: str) -> list[str]:
        """``text``'s terms by the search's document-side analysis (the ``analyze`` given)."""
        return list(self._analyze(text))

    def text(self, passage_id: str) -> str:
        """The passage's text ("" for an unknown id)."""
        p = self._passages.get(passage_id)
        return p.text if p is not None else ""

    def rank(self, topic: str, hits: Sequence[tuple[str, float]] | None = None,
             rows: bool = True, named: list[dict[str, float]] | None = None) -> dict[str, PracticeScore]:
        """Municipality id -> practice score for ``topic`` (only those with evidence).

        One hybrid search of depth ``SEARCH_DEPTH`` (or the caller's ``hits``, (passage id,
        fused score) best first, e.g. the search page's own ranking) plus the title matches;
        scores are normalised so the best candidate has 1.0 (method in the module docstring).
        ``rows=False`` leaves out the table-row votes (the recommender's practice part: a
        comparable municipality needs a portrait or a project, not a list entry). ``named``:
        the caller's ``topic_alternatives(topic)`` when it has them already.
        """
        out: dict[str, PracticeScore] = defaultdict(PracticeScore)
        hits = self.search_hits(topic) if hits is None else list(hits)
        best = max((s for _, s in hits), default=0.0)
        named = (self.topic_alternatives(topic) if named is None else named) if rows else []
        if best > 0:
            for pid, score in hits:
                weight = (score / best) ** SHARPNESS
                if weight < MIN_VOTE:
                    continue
                for mid, row in (self._rows.get(pid, []) if rows else []):
                    cov = self.coverage_any(named, row)
                    if cov >= ROW_MIN_COVERAGE:
                        out[mid].rows.append(RowVote(pid, row, max(weight, ROW_FLOOR) * cov))
                row_mids = {m for m, _ in self._rows.get(pid, [])}
                for mid in self._subjects.get(pid, []):
                    # a table about n municipalities is about each in one row: 1/n of a vote
                    # (its row votes below carry what each row says)
                    share = 1.0 / len(row_mids) if mid in row_mids and len(row_mids) > 1 else self._share.get(pid, 1.0)
                    out[mid].votes.append(Vote(pid, weight * share, True))
                mentioned = [m for m in self._mentions.get(pid, []) if m not in self._subjects.get(pid, [])]
                for mid in mentioned:
                    out[mid].votes.append(Vote(pid, weight * MENTION_WEIGHT / len(mentioned), False))
                    if named and mid not in row_mids:
                        line = max(((self.coverage_any(named, ln), ln) for ln in self.name_lines(pid, mid)), default=None)
                        if line and line[0] >= ROW_MIN_COVERAGE:
                            out[mid].rows.append(RowVote(pid, line[1], weight * line[0]))
        if named:  # a row that names the practice counts even when the search ranks its list low
            voted = {(mid, r.passage_id) for mid, ps in out.items() for r in ps.rows}
            for pid, entries in self._rows.items():
                for mid, row in entries:
                    cov = self.coverage_any(named, row) if (mid, pid) not in voted else 0.0
                    if cov >= ROW_MIN_COVERAGE:
                        out[mid].rows.append(RowVote(pid, row, ROW_FLOOR * cov))
        for ps in out.values():
            ps.votes.sort(key=lambda v: -v.weight)
            ps.rows.sort(key=lambda r: -r.weight)
            weights = sorted([v.weight for v in ps.votes] + [r.weight for r in ps.rows], reverse=True)
            ps.passages = sum(w * DECAY ** i for i, w in enumerate(weights[:TOP_HITS]))
        for mid, match in self._title_matches(topic, lexical_only=not hits).items():
            out[mid].title = match
        top_pass = max((ps.passages for ps in out.values()), default=0.0)
        raw = {}
        for mid, ps in out.items():
            pn = ps.passages / top_pass if top_pass > 0 else 0.0
            t = ps.title.score if ps.title else 0.0
            raw[mid] = max(pn, t) + TITLE_WEIGHT * min(pn, t)
        top = max(raw.values(), default=0.0)
        for mid, ps in out.items():
            ps.score = raw[mid] / top if top > 0 else 0.0
        return dict(out)

    def topic_alternatives(self, topic: str, by_concept: bool = True) -> list[dict[str, float]]:
        """The topic's IDF-weighted terms (``topic_terms(..., idf=True)``), once per
        alternative the topic offers: "Nähkurs oder Nähcafé für Geflüchtete" is "Nähkurs für
        Geflüchtete" or "Nähcafé für Geflüchtete" (``alternatives``), so a text naming either
        names the practice. One entry for a topic without "oder"/"or"/"bzw."."""
        return [self._by_concept(variant, self.topic_terms(variant, idf=True)) if by_concept
                else self.topic_terms(variant, idf=True) for variant in alternatives(topic)]

    def _by_concept(self, topic: str, terms: dict[str, float]) -> dict:
        """``terms`` regrouped by the topic's concepts (``concepts``; English topics): one
        key per concept, the tuple of its alternatives (sets of stems), weighing as its
        heaviest term; terms of no concept keep their own key. Unchanged for German topics."""
        groups = self._concepts(topic) if self._concepts else None
        if not groups:
            return terms
        out: dict = {}
        left = dict(terms)
        for group in groups:
            stems = set().union(*group)
            weight = max((terms[t] for t in stems if t in terms), default=0.0)
            if weight > 0:
                out[group] = max(out.get(group, 0.0), weight)
            for t in stems:
                left.pop(t, None)
        out.update(left)
        return out

    def coverage_any(self, alternatives: Sequence[dict[str, float]], text: str) -> float:
        """The best :meth:`coverage` of ``text`` over the topic's alternatives, in [0, 1]."""
        return max((self.coverage(terms, text) for terms in alternatives), default=0.0)

    def name_lines(self, passage_id: str, municipality_id: str) -> list[str]:
        """The lines of a passage that name the municipality (its name or an alias as a
        whole word), each with the short cell label above it (at most ``LABEL_WORDS``
        words); lines over ``SENTENCE_WORDS`` words are cut to the sentence that names it.
        Cached per (passage, municipality)."""
        key = (passage_id, municipality_id)
        if key not in self._lines:
            m = self.catalogue.get(municipality_id)
            names = [n for n in dict.fromkeys([m.name, *m.aliases]) if n] if m else []
            found = []
            if names:
                pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")(?!\w)")
                units: list[tuple[str, bool]] = []
                for line, bullet in bullet_units(self.text(passage_id)):
                    parts = _SENTENCE.split(line) if len(line.split()) > SENTENCE_WORDS else [line]
                    units.extend((part, bullet) for part in parts)
                for i, (unit, _) in enumerate(units):
                    if pattern.search(unit):
                        # a short line above is the cell's label; another bullet item is not
                        above, above_bullet = units[i - 1] if i else ("", True)
                        label = above if not above_bullet and len(above.split()) <= LABEL_WORDS else ""
                        found.append(f"{label} {unit}".strip())
            self._lines[key] = found
        return self._lines[key]

    def topic_terms(self, topic: str, idf: bool = False) -> dict[str, float]:
        """The topic's BM25 query terms with their weights (the search's analysis and
        translation). ``idf=True`` multiplies each weight by the term's BM25 IDF over the
        passages when the ranker has the ``document_frequency`` (Robertson–Spärck Jones IDF
        as bm25s computes it, ``log(1 + (N - df + 0.5) / (df + 0.5))``; a term no passage
        holds weighs most): what share of a topic a text *names*, so that "Integration" in
        "Integration als Chefsache" counts for little and "Chefsache" for much."""
        terms = dict(self._query_terms(topic))
        return {t: w * self._term_idf(t) for t, w in terms.items()} if idf else terms

    def coverage(self, terms: dict[str, float], text: str) -> float:
        """Share of the weighted ``terms`` that ``text`` contains after the search's analysis, in
        [0, 1]; a key that is a concept (``topic_alternatives``: a tuple of sets of stems)
        counts when the text holds every stem of one of its sets."""
        total = sum(terms.values())
        if total <= 0 or not text:
            return 0.0
        have = self._terms_of.get(text)
        if have is None:
            have = self._terms_of[text] = frozenset(self._analyze(text))
        return sum(w for t, w in terms.items()
                   if (t in have if isinstance(t, str) else any(alt <= have for alt in t))) / total

    def _term_idf(self, term: str) -> float:
        """BM25 IDF of ``term`` over the passages (1.0 for every term without frequencies);
        0.0 for a term no passage holds (an English word left untranslated, a compound the
        collection writes only in parts): no text can name it, so it weighs nothing in a
        share of the topic."""
        if self._df is None:
            return 1.0
        n, df = self._n_passages, min(self._df.get(term, 0), self._n_passages)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5)) if df > 0 else 0.0

    def _title_matches(self, topic: str, lexical_only: bool = False) -> dict[str, TitleMatch]:
        """Best title per municipality; ``lexical_only`` (the search found nothing above its
        relevance floor) keeps titles sharing a term with the topic, since the rescaled
        cosine always crowns some title."""
        if not self._titles:
            return {}
        weights = dict(self._query_terms(topic))
        for part in (self._parts(topic) if self._parts else []):
            weights.setdefault(part, LOOSE_PART_WEIGHT)
        lex = np.array([sum(w * self._idf.get(t, 0.0) for t, w in weights.items() if t in terms)
                        for terms in self._title_terms], dtype=np.float32)
        known = sum(w * self._idf[t] for t, w in weights.items() if t in self._idf)
        lex = lex / known if known > 0 else lex
        score = lex
        dense = self._dense(topic)
        if dense is not None:
            score = 0.5 * lex + 0.5 * dense
        best: dict[str, TitleMatch] = {}
        for i, (mid, title, fact) in enumerate(self._titles):
            if lexical_only and lex[i] <= 0:
                continue
            s = float(score[i])
            if s > 0 and (mid not in best or s > best[mid].score):
                best[mid] = TitleMatch(title, s, fact)
        return best

    def _title_analysis(self, title: str) -> set[str]:
        """A title's terms: the search's analysis plus its loose compound constituents
        (``parts``), so "Nähkurs" shares "näh" with "Nähcafé"."""
        return set(self._analyze(title)) | set(self._parts(title) if self._parts else [])

    def _dense(self, topic: str) -> np.ndarray | None:
        """Cosine of topic and titles, rescaled: the median title 0, the best 1."""
        if self._embed is None or self._title_vectors is None:
            return None
        q = np.asarray(self._embed(topic), dtype=np.float32).reshape(-1)
        cos = self._title_vectors @ q
        floor, top = float(np.median(cos)), float(cos.max())
        if top <= floor:
            return np.zeros_like(cos)
        return np.clip((cos - floor) / (top - floor), 0.0, 1.0)


_SENTENCE = re.compile(r"(?<=[.!?;])\s+")
_BULLET = re.compile(r"^\s*[-•*–]\s+")
WRAP_WORDS = 4  # a bullet of at most this many words, followed by a short unbulleted line, was wrapped


def bullet_items(text: str) -> list[str]:
    """The non-empty lines of ``text`` without bullet marks, with a bullet item that a
    slide or table cell wrapped over several lines joined again: "- Freiberger" +
    "Fest der Kulturen" -> "Freiberger Fest der Kulturen" (``bullet_units``)."""
    return [unit for unit, _ in bullet_units(text)]


def bullet_units(text: str) -> list[tuple[str, bool]]:
    """:func:`bullet_items` with, for each, whether it is a bullet item.

    A line continues the bullet above it when that bullet so far has at most
    ``WRAP_WORDS`` words and the line itself carries no bullet and at most
    ``LABEL_WORDS`` words (PDF text of slides breaks a cell's line where the cell is
    narrow, and the extractor writes each piece on a line of its own); one such line
    per bullet, since a second short line is more often the next cell. Longer bullets
    and prose lines are left as they are.
    """
    out: list[tuple[str, bool]] = []
    open_bullet = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        bullet = bool(_BULLET.match(line))
        clean = line.strip(" -•*–\t")
        if not clean:
            continue
        if (not bullet and open_bullet and out and len(out[-1][0].split()) <= WRAP_WORDS
                and len(clean.split()) <= LABEL_WORDS):
            out[-1] = (f"{out[-1][0]} {clean}", True)
            open_bullet = False  # one continuation line: a second short line is a new cell
            continue
        out.append((clean, bullet))
        open_bullet = bullet
    return out
_OR = re.compile(r"(\w[\w-]*)\s*,?\s+(?:oder|or|bzw\.)\s+(\w[\w-]*)", re.IGNORECASE)


def alternatives(topic: str) -> list[str]:
    """The readings of a topic that joins two words with "oder", "or" or "bzw.": one with
    each word, the rest of the topic kept ("Jobbörse oder Praktikumsbörse für Geflüchtete"
    -> ["Jobbörse für Geflüchtete", "Praktikumsbörse für Geflüchtete"]). Only the first
    such pair is split; a topic without one is its own single reading."""
    m = _OR.search(topic)
    if not m:
        return [topic]
    before, after = topic[: m.start()], topic[m.end():]
    return [" ".join(f"{before}{word}{after}".split()) for word in (m.group(1), m.group(2))]

_TITLE_FACTS = ("Titel des Beitrags", "Titel des Wettbewerbsbeitrags", "Einzelprojekt", "Gute Idee (DESI)")


def project_titles(m) -> list[tuple[str, dict | None]]:
    """A municipality's project titles with the fact that states each (None if none does)."""
    facts = {f["value"]: f for f in m.facts if f["name"] in _TITLE_FACTS}
    out = []
    for title in dict.fromkeys([*m.projects, *facts]):
        if len(title.split()) >= 1 and len(title) >= 4:
            out.append((title, facts.get(title)))
    return out
