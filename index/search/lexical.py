"""The BM25 retriever: German analysed terms, English translated, long typos corrected.

Scores come from the snapshot's ``index.bm25.BM25Index`` (Okapi BM25, k1 1.2, b 0.75;
Robertson & Zaragoza 2009; computed by the ``bm25s`` library, Lucene variant) over the
German analyzer's terms (``index.analyzer``).
"""

from __future__ import annotations

from index.analyzer import analyze, words
from index.search.fusion import Ranking
from index.search.query import Query
from index.search.translate import ENGLISH_STOPWORDS, translation_concepts, translation_groups, weigh_translations
from index.search.typo import TypoCorrector
from index.snapshot import Snapshot


class BM25Retriever:
    """BM25 over the snapshot's passages.

    German queries search their own analysed terms (weight 1), with typo corrections of
    long unknown words when ``typo_tolerance`` is on (``index.search.typo``). English
    queries search their content words plus German dictionary translations
    (``index.search.translate``), each translation weighted below 1.

    :param snapshot: the loaded snapshot (its ``bm25`` index and ``translations`` table).
    :param typo_tolerance: correct long unknown German terms (setting ``typo_tolerance``).
    """

    name = "bm25"

    def __init__(self, snapshot: Snapshot, typo_tolerance: bool = True):
        self.snapshot = snapshot
        self.typo_tolerance = typo_tolerance
        self._typo: TypoCorrector | None = None

    def retrieve(self, query: Query) -> Ranking:
        """The ``query.depth`` best passages with a positive BM25 score inside
        ``query.mask``, best first (ties by index); scores are raw weighted BM25 sums
        (unbounded, > 0)."""
        weights = query.bm25_weights if query.weigh is not None else self.weights(query.search_text, query.lang)
        return self.snapshot.bm25.top(weights, query.depth, query.mask)

    def weights(self, text: str, lang: str) -> dict[str, float]:
        """BM25 query terms (analysed stems) -> weight: 1 for the query's own terms; for
        English queries also German translations, weighted by
        ``index.search.translate.weigh_translations``."""
        if lang != "en":
            weights = dict.fromkeys(analyze(text), 1.0)
            return self.typo.expand(weights) if self.typo_tolerance else weights
        # keep English words that may be names ("Elm-Asse"), drop English function words
        content = " ".join(w for w in words(text) if w not in ENGLISH_STOPWORDS)
        weights = dict.fromkeys((t for t in analyze(content) if t not in ENGLISH_STOPWORDS), 1.0)
        groups = translation_groups(text, self.snapshot.translations)
        for term, weight in weigh_translations(groups, self.snapshot.bm25.postings).items():
            weights[term] = max(weights.get(term, 0.0), weight)
        return weights

    def concepts(self, text: str, lang: str) -> list[tuple[frozenset[str], ...]] | None:
        """The concepts of an English query, one per English word or dictionary phrase
        (``translate.translation_concepts``): a tuple of alternatives, each the set of stems
        a text must hold to name the concept that way: the English word's own stem, or one
        German translation's words (each word's whole stem, not its compound parts:
        "Kinderbetreuung" is named by "kinderbetreu", not by "kind"). None for a German
        query (each term is its own concept)."""
        if lang != "en":
            return None
        out = []
        for english, german in translation_concepts(text, self.snapshot.translations):
            alts = []
            for phrase in [" ".join(english), *german]:
                stems = [a[0] for a in (analyze(w) for w in words(phrase)) if a and a[0] not in ENGLISH_STOPWORDS]
                if stems:
                    alts.append(frozenset(stems))
            if alts:
                out.append(tuple(dict.fromkeys(alts)))
        return out

    @property
    def typo(self) -> TypoCorrector:
        """Typo corrections over this snapshot's BM25 vocabulary (built on first use)."""
        if self._typo is None:
            self._typo = TypoCorrector(self.snapshot.bm25.vocabulary)
        return self._typo
