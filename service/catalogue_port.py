"""What the service needs from the municipality catalogue, and the adapter to the real one.

The service talks to the catalogue only through ``CatalogueLike``.
``CatalogueAdapter`` provides it over ``index.municipalities.Catalogue`` (the snapshot's
catalogue) and ``index.municipalities.recommend``. ``municipality_record`` turns a record
(a ``Municipality`` dataclass or a dict of the same shape) into the plain dict the API and the
templates use.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Protocol

from index.municipalities.recommend import size_class
from core.errors import PraxisError


class CatalogueUnavailable(PraxisError):
    """The snapshot has no municipality catalogue."""

    code = "catalogue_unavailable"


class CatalogueLike(Protocol):
    """The catalogue as the service uses it (case examples, municipality pages and API);
    records are ``index.municipalities.Municipality`` objects or dicts of the same shape."""

    def get(self, municipality_id: str) -> Any:
        """The record; raises ``NotFound`` (or returns None) for an unknown id."""

    def municipalities_for_passage(self, passage_id: str) -> list[Any]:
        """The municipalities a passage is about (its subjects; records)."""

    def filter(self, *, bundesland: str | None = None, type: str | None = None, theme: str | None = None,
               min_population: int | None = None, max_population: int | None = None,
               q: str | None = None) -> list[Any]:
        """Records matching every given criterion (q: part of the name or an alias)."""

    def themes(self) -> list[str]:
        """The theme vocabulary (Handlungsfelder), for the filter form."""

    def recommend(self, municipality_id: str, topic: str | None, k: int) -> list[tuple[Any, Any]]:
        """Comparable municipalities: (record, ``index.municipalities.Recommendation``), best first."""


class CatalogueAdapter:
    """``CatalogueLike`` over the real ``Catalogue`` of a snapshot.

    :param catalogue: the snapshot's ``index.municipalities.Catalogue``.
    :param searcher: the snapshot's ``Searcher``; recommendations take their practice
        evidence from its hybrid search (without it, structure only).
    """

    def __init__(self, catalogue, searcher=None):
        self.catalogue = catalogue
        self._searcher = searcher
        self._practice = None
        self._lock = threading.Lock()
        self._by_passage: dict[str, list[Any]] = {}
        self._rows: dict[str, list[tuple[Any, str]]] = {}
        for m in catalogue.municipalities:
            for pid in m.passages:
                self._by_passage.setdefault(pid, []).append(m)
            for pid, row in (getattr(m, "rows", None) or {}).items():
                self._rows.setdefault(pid, []).append((m, row))

    def get(self, municipality_id: str):
        """The ``Municipality`` with this catalogue id; ``NotFound`` (with
        ``detail["suggestions"]``) for an unknown id."""
        return self.catalogue.get(municipality_id)

    def municipalities_for_passage(self, passage_id: str) -> list[Any]:
        """The municipalities whose ``passages`` (subject passages) include ``passage_id``, in
        catalogue order; [] for a passage about none (indexed once, at construction)."""
        return self._by_passage.get(passage_id, [])

    def rows_for_passage(self, passage_id: str) -> list[tuple[Any, str]]:
        """(record, row text) for the table rows of a reference list that begin with a
        municipality ("Winnenden | Ehrenamtlicher Dolmetscherpool …"); [] for other passages."""
        return self._rows.get(passage_id, [])

    def filter(self, *, bundesland=None, type=None, theme=None, min_population=None, max_population=None, q=None,
               include_unknown_population=False):
        """``Catalogue.filter`` plus ``q``: a part of the name or of an alias, compared after
        folding (``gazetteer.fold``: NFC, case, umlauts). Raises ``BadRequest`` for an
        unknown Land, type or theme."""
        found = self.catalogue.filter(bundesland=bundesland, type=type, theme=theme,
                                      min_population=min_population, max_population=max_population,
                                      include_unknown_population=include_unknown_population)
        if q:
            from index.municipalities.gazetteer import fold

            key = fold(q)
            found = [m for m in found if any(key in fold(name) for name in [m.name, *m.aliases])]
        return found

    def themes(self) -> list[str]:
        """The Handlungsfelder (``index.municipalities.taxonomy.THEMES``), in taxonomy order."""
        from index.municipalities.taxonomy import THEMES

        return list(THEMES)

    def recommend(self, municipality_id: str, topic: str | None, k: int, candidates=None):
        """``recommend_for`` the municipality with this catalogue id (``NotFound`` if unknown)."""
        return self.recommend_for(self.catalogue.get(municipality_id), topic, k, candidates)

    def recommend_for(self, query, topic: str | None, k: int, candidates=None, ignore: set[str] | None = None):
        """Up to ``k`` comparable municipalities (``index.municipalities.recommend``).

        :param query: a catalogue record, or a free-text description of one's own municipality.
        :param topic: what to compare practice on; None lets ``recommend`` derive one
            (a named municipality's own projects) and weigh structure higher.
        :param candidates: an ``index.municipalities.CandidateFilter``, or None.
        :param ignore: parts of a description to drop ("typ", "land", "einwohner", "siedlung", "schwerpunkt").
        :returns: [(record, Recommendation)], best first.
        """
        from index.municipalities.recommend import recommend

        found = recommend(self.catalogue, query, topic=topic, k=k, practice=self.practice_ranker(),
                          candidates=candidates, ignore=ignore)
        return [(self.catalogue.get(r.id), r) for r in found]

    def who_does(self, topic: str, k: int = 10, candidates=None, hits=None, allowed: set[str] | None = None):
        """"Who already does ``topic``?": ``index.municipalities.who_does.PracticeMatch`` list,
        best first; [] without a searcher.

        :param candidates: an optional ``CandidateFilter`` (Land, type, population).
        :param hits: optional (passage id, score) ranking to vote with (the search page's own).
        :param allowed: optional set of municipality ids to keep (the search page's filters).
        """
        from index.municipalities.who_does import who_does

        practice = self.practice_ranker()
        if practice is None:
            return []

        def accepts(m) -> bool:
            return (candidates is None or candidates.accepts(m)) and (allowed is None or m.id in allowed)

        return who_does(self.catalogue, practice, topic, k, accepts, hits)

    def practice_ranker(self):
        """The search-backed ``PracticeRanker`` of this snapshot (built once, on first use)."""
        if self._searcher is None:
            return None
        with self._lock:
            if self._practice is None:
                from index.analyzer import analyze, detect_language
                from index.municipalities.entity_rank import PracticeRanker
                from index.search import clean_query

                s = self._searcher

                def search(text: str, k: int):
                    """The hybrid ranking; none when the search finds the topic unanswerable
                    (its no-match verdict: only unknown words), so nonsense gets no answer."""
                    from index.search.answer import analyse

                    result = s.search(text, k=min(k, s.settings.max_k))
                    if analyse(s, result).no_match:
                        return []
                    return [(h.passage.id, h.score) for h in result.hits]

                def _clean(text: str) -> tuple[str, str]:
                    clean = clean_query(text, s.settings.max_query_chars)
                    return clean, detect_language(clean)

                def query_terms(text: str):
                    return s.bm25_weights(*_clean(text))

                def embed_query(text: str):
                    return s.dense.encode(*_clean(text))[0]  # cached by the search that ran first

                snap = s.snapshot
                titles = None
                if snap.project_vectors is not None:
                    titles = dict(zip(snap.catalogue.get("project_titles", []), snap.project_vectors))
                self._practice = PracticeRanker(self.catalogue, s.passages, search, query_terms, analyze,
                                                embed_query, titles, snap.bm25.vocabulary)
            return self._practice


def municipality_record(record: Any, facts: bool = True) -> dict[str, Any]:
    """A catalogue record as a plain dict with the fields the service shows (facts optional: costly).

    The shape of ``schemas.Municipality``; ``size_class`` is derived from the population
    (``index.municipalities.recommend.size_class``), ``passage_ids`` are its subject passages."""
    data = record if isinstance(record, dict) else vars(record)  # no deep copy (asdict is slow)
    return {
        "id": data["id"],
        "name": data["name"],
        "type": data.get("type"),
        "bundesland": data.get("bundesland"),
        "population": data.get("population"),
        "population_source": data.get("population_source"),
        "size_class": size_class(data.get("population")),
        "themes": list(data.get("themes", [])),
        "projects": [str(p) for p in data.get("projects", [])],
        "passage_ids": list(data.get("passages", [])),
        "facts": [_fact(f) for f in data.get("facts", [])] if facts else [],
        "sources": list(data.get("sources", [])),
        "figures": [dict(f) for f in data.get("figures") or []],
        "settlement": data.get("settlement"),
        "settlement_source": data.get("settlement_source"),
        "ags": data.get("ags"),
        "area_km2": data.get("area_km2"),
        "density": data.get("density"),
    }


def municipality_ref(record: Any) -> dict[str, Any]:
    """``{"id", "name", "type", "bundesland"}`` of a record (``schemas.MunicipalityRef``)."""
    data = record if isinstance(record, dict) else vars(record)
    return {k: data.get(k) for k in ("id", "name", "type", "bundesland")}


def _fact(fact: dict[str, Any]) -> dict[str, Any]:
    source = fact.get("source") or {}
    return {"name": fact["name"], "value": fact["value"], "doc_id": source.get("doc_id"),
            "passage_id": source.get("passage_id"), "quote": source.get("quote")}
