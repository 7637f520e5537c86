"""What the service needs from the municipality catalogue, and the adapter to the real one.

The service talks to the catalogue only through ``CatalogueLike``, whose records are
``index.municipalities.Municipality`` objects. ``CatalogueAdapter`` provides it over
``index.municipalities.Catalogue`` (the snapshot's catalogue) and ``index.recommender``.
``municipality_record`` turns a record into the plain dict the API and the templates use.
"""

from __future__ import annotations

from typing import Any, Protocol

from index.municipalities.gazetteer import fold
from index.municipalities.model import Catalogue, Municipality
from index.municipalities.recommend import size_class
from index.municipalities.taxonomy import THEMES
from index.recommender import CatalogueUnavailable, Recommender

__all__ = ["CatalogueAdapter", "CatalogueLike", "CatalogueUnavailable", "municipality_record", "municipality_ref"]


class CatalogueLike(Protocol):
    """The catalogue as the service uses it (case examples, municipality pages and API):
    what ``CatalogueAdapter`` offers, records ``Municipality``."""

    catalogue: Catalogue

    def get(self, municipality_id: str) -> Municipality:
        """The record; raises ``NotFound`` (``detail["suggestions"]``) for an unknown id."""

    def find(self, municipality_id: str) -> Municipality | None:
        """The record, or None for an unknown id."""

    def municipalities_for_passage(self, passage_id: str) -> list[Municipality]:
        """The municipalities a passage is about (its subjects)."""

    def rows_for_passage(self, passage_id: str) -> list[tuple[Municipality, str]]:
        """(record, table row) for the rows of a reference list that name a municipality."""

    def filter(self, *, bundesland: str | None = None, type: str | None = None, theme: str | None = None,
               min_population: int | None = None, max_population: int | None = None,
               q: str | None = None, include_unknown_population: bool = False) -> list[Municipality]:
        """Records matching every given criterion (q: part of the name or an alias)."""

    def themes(self) -> list[str]:
        """The theme vocabulary (Handlungsfelder), for the filter form."""

    def recommend(self, municipality_id: str, topic: str | None, k: int,
                  candidates=None) -> list[tuple[Municipality, Any]]:
        """Comparable municipalities: (record, ``index.municipalities.Recommendation``), best first."""

    def recommend_for(self, query: Municipality | str, topic: str | None, k: int, candidates=None,
                      ignore: set[str] | None = None) -> list[tuple[Municipality, Any]]:
        """Comparable municipalities for a record or a description, best first."""

    def who_does(self, topic: str, k: int = 10, candidates=None, hits=None,
                 allowed: set[str] | frozenset[str] | None = None) -> list[Any]:
        """"Who does X?": ``PracticeMatch`` list, best first."""

    def practice_ranker(self) -> Any:
        """The snapshot's search-backed ``PracticeRanker`` (None without a searcher)."""


class CatalogueAdapter:
    """``CatalogueLike`` over the real ``Catalogue`` of a snapshot.

    :param catalogue: the snapshot's ``index.municipalities.Catalogue``.
    :param searcher: the snapshot's ``Searcher``; recommendations take their practice
        evidence from its hybrid search (without it, structure only).
    """

    def __init__(self, catalogue: Catalogue, searcher=None):
        self.catalogue = catalogue
        self.recommender = Recommender(catalogue, searcher)  # composed in index/, beside open_searcher
        self._by_passage: dict[str, list[Municipality]] = {}
        self._rows: dict[str, list[tuple[Municipality, str]]] = {}
        self._by_id = {m.id: m for m in catalogue.municipalities}
        for m in catalogue.municipalities:
            for pid in m.passages:
                self._by_passage.setdefault(pid, []).append(m)
            for pid, row in m.rows.items():
                self._rows.setdefault(pid, []).append((m, row))

    def get(self, municipality_id: str) -> Municipality:
        """The ``Municipality`` with this catalogue id; ``NotFound`` (with
        ``detail["suggestions"]``) for an unknown id."""
        return self.catalogue.get(municipality_id)

    def find(self, municipality_id: str) -> Municipality | None:
        """The ``Municipality`` with this catalogue id, or None (no suggestions computed)."""
        return self._by_id.get(municipality_id)

    def municipalities_for_passage(self, passage_id: str) -> list[Municipality]:
        """The municipalities whose ``passages`` (subject passages) include ``passage_id``, in
        catalogue order; [] for a passage about none (indexed once, at construction)."""
        return self._by_passage.get(passage_id, [])

    def rows_for_passage(self, passage_id: str) -> list[tuple[Municipality, str]]:
        """(record, row text) for the table rows of a reference list that begin with a
        municipality ("Winnenden | Ehrenamtlicher Dolmetscherpool …"); [] for other passages."""
        return self._rows.get(passage_id, [])

    def filter(self, *, bundesland=None, type=None, theme=None, min_population=None, max_population=None, q=None,
               include_unknown_population=False) -> list[Municipality]:
        """``Catalogue.filter`` plus ``q``: a part of the name or of an alias, compared after
        folding (``gazetteer.fold``: NFC, case, umlauts). Raises ``BadRequest`` for an
        unknown Land, type or theme."""
        found = self.catalogue.filter(bundesland=bundesland, type=type, theme=theme,
                                      min_population=min_population, max_population=max_population,
                                      include_unknown_population=include_unknown_population)
        if q:
            key = fold(q)
            found = [m for m in found if any(key in fold(name) for name in [m.name, *m.aliases])]
        return found

    def themes(self) -> list[str]:
        """The Handlungsfelder (``index.municipalities.taxonomy.THEMES``), in taxonomy order."""
        return list(THEMES)

    def recommend(self, municipality_id: str, topic: str | None, k: int, candidates=None):
        """``recommend_for`` the municipality with this catalogue id (``NotFound`` if unknown)."""
        return self.recommend_for(self.catalogue.get(municipality_id), topic, k, candidates)

    def recommend_for(self, query, topic: str | None, k: int, candidates=None, ignore: set[str] | None = None):
        """``index.recommender.Recommender.recommend_for``: [(record, Recommendation)], best first."""
        return self.recommender.recommend_for(query, topic, k, candidates, ignore)

    def who_does(self, topic: str, k: int = 10, candidates=None, hits=None, allowed: set[str] | None = None):
        """``index.recommender.Recommender.who_does``: ``PracticeMatch`` list, best first."""
        return self.recommender.who_does(topic, k, candidates, hits, allowed)

    def practice_ranker(self):
        """The snapshot's search-backed ``PracticeRanker`` (``Recommender.practice_ranker``)."""
        return self.recommender.practice_ranker()


def municipality_record(m: Municipality, facts: bool = True) -> dict[str, Any]:
    """A catalogue record as a plain dict with the fields the service shows (facts optional: costly).

    The shape of ``schemas.Municipality``; ``size_class`` is derived from the population
    (``index.municipalities.recommend.size_class``), ``passage_ids`` are its subject passages."""
    return {
        "id": m.id,
        "name": m.name,
        "type": m.type,
        "bundesland": m.bundesland,
        "population": m.population,
        "population_source": m.population_source,
        "size_class": size_class(m.population),
        "themes": list(m.themes),
        "projects": [str(p) for p in m.projects],
        "passage_ids": list(m.passages),
        "facts": [_fact(f) for f in m.facts] if facts else [],
        "sources": list(m.sources),
        "figures": [dict(f) for f in m.figures or []],
        "settlement": m.settlement,
        "settlement_source": m.settlement_source,
        "ags": m.ags,
        "area_km2": m.area_km2,
        "density": m.density,
    }


def municipality_ref(m: Municipality) -> dict[str, Any]:
    """``{"id", "name", "type", "bundesland"}`` of a record (``schemas.MunicipalityRef``)."""
    return {"id": m.id, "name": m.name, "type": m.type, "bundesland": m.bundesland}


def _fact(fact: dict[str, Any]) -> dict[str, Any]:
    source = fact.get("source") or {}
    return {"name": fact["name"], "value": fact["value"], "doc_id": source.get("doc_id"),
            "passage_id": source.get("passage_id"), "quote": source.get("quote")}
