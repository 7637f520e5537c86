"""What the service needs from the municipality catalogue, and the adapter to the real one.

The service talks to the catalogue only through ``CatalogueLike``.
``CatalogueAdapter`` provides it over ``index.catalogue.Catalogue`` (the snapshot's
catalogue) and ``index.catalogue.recommend``. ``municipality_record`` turns a record
(a ``Municipality`` dataclass or a dict of the same shape) into the plain dict the API and the
templates use.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Protocol

from ingest.errors import PraxisError


class CatalogueUnavailable(PraxisError):
    """The snapshot has no municipality catalogue."""

    code = "catalogue_unavailable"
    http_status = 503
    exit_code = 3


class CatalogueLike(Protocol):
    def get(self, municipality_id: str) -> Any:
        """The record; raises ``NotFound`` (or returns None) for an unknown id."""

    def municipalities_for_passage(self, passage_id: str) -> list[Any]:
        """The municipalities a passage is about (records)."""

    def filter(self, *, bundesland: str | None = None, type: str | None = None, theme: str | None = None,
               min_population: int | None = None, max_population: int | None = None,
               q: str | None = None) -> list[Any]:
        """Records matching every given criterion (q: part of the name or an alias)."""

    def themes(self) -> list[str]:
        """The theme vocabulary (Handlungsfelder), for the filter form."""

    def recommend(self, municipality_id: str, topic: str | None, k: int) -> list[tuple[Any, float, list[str], list[str]]]:
        """Comparable municipalities: (record, score, reasons, evidence passage ids), best first."""


class CatalogueAdapter:
    """``CatalogueLike`` over the real ``Catalogue`` of a snapshot."""

    def __init__(self, catalogue, passages, vectors, embed_query: Callable[[str], Any] | None = None):
        self.catalogue = catalogue
        self._passages, self._vectors, self._embed = passages, vectors, embed_query
        self._practice = None
        self._lock = threading.Lock()
        self._by_passage: dict[str, list[Any]] = {}
        for m in catalogue.municipalities:
            for pid in m.passages:
                self._by_passage.setdefault(pid, []).append(m)

    def get(self, municipality_id: str):
        return self.catalogue.get(municipality_id)

    def municipalities_for_passage(self, passage_id: str) -> list[Any]:
        return self._by_passage.get(passage_id, [])

    def filter(self, *, bundesland=None, type=None, theme=None, min_population=None, max_population=None, q=None):
        found = self.catalogue.filter(bundesland=bundesland, type=type, theme=theme,
                                      min_population=min_population, max_population=max_population)
        if q:
            from index.catalogue.gazetteer import fold

            key = fold(q)
            found = [m for m in found if any(key in fold(name) for name in [m.name, *m.aliases])]
        return found

    def themes(self) -> list[str]:
        from index.catalogue.taxonomy import THEMES

        return list(THEMES)

    def recommend(self, municipality_id: str, topic: str | None, k: int):
        return self.recommend_for(self.catalogue.get(municipality_id), topic, k)

    def recommend_for(self, query, topic: str | None, k: int):
        """``query``: a catalogue record, or a free-text description of one's own municipality."""
        from index.catalogue import recommend

        found = recommend(self.catalogue, query, topic=topic, k=k, practice=self._practice_vectors())
        return [(self.catalogue.get(r.id), r.score, r.reasons, r.evidence) for r in found]

    def _practice_vectors(self):
        with self._lock:
            if self._practice is None:
                from index.catalogue import PracticeVectors

                self._practice = PracticeVectors.from_catalogue(self.catalogue, self._passages, self._vectors,
                                                                self._embed)
            return self._practice


def municipality_record(record: Any, facts: bool = True) -> dict[str, Any]:
    """A catalogue record as a plain dict with the fields the service shows (facts optional: costly)."""
    data = record if isinstance(record, dict) else vars(record)  # no deep copy (asdict is slow)
    return {
        "id": data["id"],
        "name": data["name"],
        "type": data.get("type"),
        "bundesland": data.get("bundesland"),
        "population": data.get("population"),
        "themes": list(data.get("themes", [])),
        "projects": [str(p) for p in data.get("projects", [])],
        "passage_ids": list(data.get("passages", [])),
        "facts": [_fact(f) for f in data.get("facts", [])] if facts else [],
        "sources": list(data.get("sources", [])),
    }


def municipality_ref(record: Any) -> dict[str, Any]:
    data = record if isinstance(record, dict) else vars(record)
    return {k: data.get(k) for k in ("id", "name", "type", "bundesland")}


def _fact(fact: dict[str, Any]) -> dict[str, Any]:
    source = fact.get("source") or {}
    return {"name": fact["name"], "value": fact["value"], "doc_id": source.get("doc_id"),
            "passage_id": source.get("passage_id"), "quote": source.get("quote")}
