"""Comparable municipalities and "who does X?" over one snapshot, composed in one place.

The recommender (``index.municipalities.recommend``) and "who does X?"
(``index.municipalities.who_does``) take practice evidence from the snapshot's hybrid
search through a ``PracticeRanker`` (``index.municipalities.entity_rank``). This module
wires the ranker to a ``Searcher``: the hybrid ranking of a topic (none when the search's
verdict is no-match), the query's BM25 weights, its query embedding (cached by the search
that ran first), and the snapshot's project-title vectors. ``index.runtime.open_recommender``
opens it beside ``open_searcher``; the service (``service.catalogue_port``) and
``praxisfinder eval-recommend`` use the same object, so evaluation needs no web application.
"""

from __future__ import annotations

import threading

from core.errors import PraxisError
from index.analyzer import analyze
from index.constituents import loose_parts
from index.municipalities.entity_rank import PracticeRanker
from index.municipalities.model import Catalogue, Municipality
from index.municipalities.recommend import CandidateFilter, Recommendation, recommend
from index.municipalities.who_does import PracticeMatch, who_does
from index.search.searcher import Searcher, clean_query


class CatalogueUnavailable(PraxisError):
    """The snapshot has no municipality catalogue."""

    code = "catalogue_unavailable"


class Recommender:
    """Recommendations and "who does X?" over a snapshot's catalogue and search.

    :param catalogue: the snapshot's ``Catalogue``.
    :param searcher: the snapshot's ``Searcher``; without it (None) recommendations use
        structure only and ``who_does`` answers [].
    """

    def __init__(self, catalogue: Catalogue, searcher: Searcher | None = None):
        self.catalogue = catalogue
        self.searcher = searcher
        self._practice: PracticeRanker | None = None
        self._lock = threading.Lock()

    def practice_ranker(self) -> PracticeRanker | None:
        """The search-backed ``PracticeRanker`` of this snapshot (built once, on first use);
        None without a searcher."""
        if self.searcher is None:
            return None
        with self._lock:
            if self._practice is None:
                self._practice = self._build_practice(self.searcher)
            return self._practice

    def _build_practice(self, s: Searcher) -> PracticeRanker:
        def search(text: str, k: int) -> list[tuple[str, float]]:
            """The hybrid ranking; none when the search finds the topic unanswerable
            (its no-match verdict: only unknown words), so nonsense gets no answer."""
            result = s.search(text, k=min(k, s.settings.search.max_k))
            if result.verdict.no_match:
                return []
            return [(h.passage.id, h.score) for h in result.hits]

        def _clean(text: str) -> tuple[str, str]:
            clean = clean_query(text, s.settings.search.max_query_chars)
            return clean, s.language(clean)

        def query_terms(text: str):
            return s.bm25_weights(*_clean(text))

        def concepts(text: str):
            return s.bm25_concepts(*_clean(text))

        def embed_query(text: str):
            return s.dense.encode(*_clean(text))[0]  # cached by the search that ran first

        snap = s.snapshot
        titles = None
        if snap.project_vectors is not None:
            titles = dict(zip(snap.catalogue.get("project_titles", []), snap.project_vectors))
        vocabulary = snap.bm25.vocabulary

        def parts(text: str) -> list[str]:
            return loose_parts(text, vocabulary.__contains__) if vocabulary else []

        return PracticeRanker(self.catalogue, s.passages, search, query_terms, analyze, embed_query, titles,
                              vocabulary, concepts=concepts, parts=parts)

    def recommend_for(self, query: Municipality | str, topic: str | None, k: int,
                      candidates: CandidateFilter | None = None,
                      ignore: set[str] | None = None) -> list[tuple[Municipality, Recommendation]]:
        """Up to ``k`` comparable municipalities (``index.municipalities.recommend.recommend``).

        :param query: a catalogue record, or a free-text description of one's own municipality.
        :param topic: what to compare practice on; None lets ``recommend`` derive one
            (a named municipality's own projects) and weigh structure higher.
        :param candidates: a ``CandidateFilter`` (Land, type, population), or None.
        :param ignore: parts of a description to drop ("typ", "land", "einwohner", "siedlung", "schwerpunkt").
        :returns: [(record, Recommendation)], best first. Raises as ``recommend`` does
            (``BadRequest`` for a description that names nothing, ``NotFound`` for an unknown name).
        """
        found = recommend(self.catalogue, query, topic=topic, k=k, practice=self.practice_ranker(),
                          candidates=candidates, ignore=ignore)
        return [(self.catalogue.get(r.id), r) for r in found]

    def who_does(self, topic: str, k: int = 10, candidates: CandidateFilter | None = None,
                 hits: list[tuple[str, float]] | None = None,
                 allowed: set[str] | None = None) -> list[PracticeMatch]:
        """"Who already does ``topic``?": ``PracticeMatch`` list, best first; [] without a searcher.

        :param candidates: an optional ``CandidateFilter`` (Land, type, population).
        :param hits: optional (passage id, score) ranking to vote with (the search page's own).
        :param allowed: optional set of municipality ids to keep (the search page's filters).
        """
        practice = self.practice_ranker()
        if practice is None:
            return []

        def accepts(m: Municipality) -> bool:
            return (candidates is None or candidates.accepts(m)) and (allowed is None or m.id in allowed)

        return who_does(self.catalogue, practice, topic, k, accepts, hits)
