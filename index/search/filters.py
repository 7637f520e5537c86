"""Search filters: which passages a search may return.

A filter on documents restricts by ``Passage.doc_id``; filters on municipalities (Land,
type, population, theme, one municipality) restrict to the passages the municipality
catalogue (``index.municipalities``) records as being *about* a matching municipality
(its subject passages, or for a theme its evidence passages for that theme).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import BadRequest
from core.schema import Passage
from index.search.query import nfc


@dataclass
class Filters:
    """Restrictions on the passages a search may return; None means no restriction.

    Text values are NFC-normalised, so a decomposed "Thu\\u0308ringen" (macOS input)
    equals "Thüringen". Population bounds are inhabitants, inclusive.

    ``doc_ids``: document ids (any of them); ``bundesland``: a Land name or code;
    ``municipality_type``: one of the catalogue's types ("Landkreis", ...); ``theme``: a
    Handlungsfeld (``index.municipalities.taxonomy.THEMES``); ``municipality``: a name or
    catalogue id (``Catalogue.resolve``). Values are checked when the mask is built.
    """

    doc_ids: list[str] | None = None
    bundesland: str | None = None
    municipality_type: str | None = None
    min_population: int | None = None
    max_population: int | None = None
    theme: str | None = None
    municipality: str | None = None
    # With a population bound: keep municipalities whose population is unknown ("ohne Angabe").
    include_unknown_population: bool | None = None

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if isinstance(value, str):
                setattr(self, name, nfc(value))
            elif isinstance(value, list):
                setattr(self, name, [nfc(v) if isinstance(v, str) else v for v in value])

    def active(self) -> bool:
        """True when any restriction is set (``include_unknown_population`` alone restricts nothing)."""
        return any(v not in (None, [], "") for k, v in self.__dict__.items() if k != "include_unknown_population")

    def as_dict(self) -> dict:
        """The restrictions that are set, by field name (for ``SearchResult.filters``)."""
        return {k: v for k, v in self.__dict__.items()
                if v not in (None, [], "") and (k != "include_unknown_population" or v is True)}


class UnknownDocument(BadRequest):
    """A ``doc`` filter names no indexed document (the API answers 404, like every unknown id)."""

    code = "not_found"


class FilterMask:
    """Turns ``Filters`` into a bool mask over a snapshot's passages.

    :param passages: the snapshot's passages, in index order.
    :param doc_ids: the ids of the snapshot's documents.
    :param catalogue: the municipality catalogue, or None (then municipality filters
        raise ``BadRequest``).
    """

    def __init__(self, passages: list[Passage], doc_ids: set[str], catalogue=None):
        self.passages = passages
        self.doc_ids = doc_ids
        self.catalogue = catalogue
        # documents as small ints once, so a document filter is an integer isin per query
        self._doc_code = {d: n for n, d in enumerate(sorted({p.doc_id for p in passages}))}
        self._doc_of = np.array([self._doc_code[p.doc_id] for p in passages], dtype=np.int32)
        self._by_id = {p.id: i for i, p in enumerate(passages)}

    def __call__(self, filters: Filters) -> np.ndarray | None:
        """bool array (n_passages,) of allowed passages, or None when nothing is filtered.

        Raises ``UnknownDocument`` for an unknown document id (``detail["known"]`` lists
        the valid ones), ``BadRequest`` for a municipality filter without a catalogue and
        as ``catalogue_passages`` does."""
        if not filters.active():
            return None
        mask = np.ones(len(self.passages), dtype=bool)
        if filters.doc_ids:
            unknown = [d for d in filters.doc_ids if d not in self.doc_ids]
            if unknown:
                raise UnknownDocument(f"unknown document id(s): {', '.join(unknown)}",
                                      detail={"known": sorted(self.doc_ids)})
            mask &= np.isin(self._doc_of, [self._doc_code[d] for d in filters.doc_ids if d in self._doc_code])
        municipal = (filters.bundesland, filters.municipality_type, filters.min_population,
                     filters.max_population, filters.theme, filters.municipality)
        if any(v not in (None, "") for v in municipal):
            if self.catalogue is None:
                raise BadRequest("municipality filters need the municipality catalogue, which this snapshot lacks")
            allowed = np.zeros(len(self.passages), dtype=bool)
            for pid in self.catalogue_passages(filters):
                i = self._by_id.get(pid)
                if i is not None:
                    allowed[i] = True
            mask &= allowed
        return mask

    def catalogue_passages(self, f: Filters) -> set[str]:
        """Ids of passages about municipalities that pass the filters (for a theme: its evidence passages).

        Raises ``BadRequest`` for an unknown Land, type or theme or an ambiguous
        municipality name, ``NotFound`` for an unknown one (``Catalogue.filter``,
        ``Catalogue.resolve``)."""
        from index.municipalities.taxonomy import canonical_theme

        munis = self.catalogue.filter(bundesland=f.bundesland or None, type=f.municipality_type or None,
                                      min_population=f.min_population, max_population=f.max_population,
                                      theme=f.theme or None,
                                      include_unknown_population=bool(f.include_unknown_population))
        if f.municipality:
            wanted = self.catalogue.resolve(f.municipality).id
            munis = [m for m in munis if m.id == wanted]
        theme = canonical_theme(f.theme) if f.theme else None
        ids: set[str] = set()
        for m in munis:
            ids.update(m.theme_evidence.get(theme, []) if theme else m.passages)
        return ids
