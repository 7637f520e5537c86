"""Search filters: which passages a search may return.

A filter on documents restricts by ``Passage.doc_id``, a year filter by the publication
year(s) the document's ``meta["year"]`` states; filters on municipalities (Land,
type, population, theme, one municipality) restrict to the passages the municipality
catalogue (``index.municipalities``) records as being *about* a matching municipality
(its subject passages, or for a theme its evidence passages for that theme).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from core.errors import BadRequest
from core.schema import Document, Passage
from index.municipalities.gazetteer import BUNDESLAENDER, KREISANGEHOERIG, KREISFREI, LANDKREIS, STADTBEZIRK
from index.municipalities.taxonomy import THEMES, canonical_theme
from index.search.query import nfc

MASK_CACHE_SIZE = 128  # Allowed sets kept per FilterMask: a page's facet counts reuse them
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")


def document_years(meta: dict[str, Any] | None) -> tuple[int, int] | None:
    """The (first, last) year a document's ``meta["year"]`` states: "2018" -> (2018, 2018),
    "2019–2022" -> (2019, 2022); None for "o. J." or no year."""
    years = [int(y) for y in _YEAR.findall(str((meta or {}).get("year", "")))]
    return (min(years), max(years)) if years else None


def document_year(meta: dict[str, Any] | None) -> int | None:
    """The year a document's ``meta["year"]`` states, its latest for a range: "2018" -> 2018,
    "2019–2022" -> 2022; None for "o. J." or no year (the order of ``sort=jahr``)."""
    span = document_years(meta)
    return span[1] if span else None


def by_year(hits: list, documents: list) -> list:
    """``hits`` newest document first (``document_year`` of each hit's document among
    ``documents``; relevance order within a year, documents without a year last): the order
    of ``sort=jahr``."""
    years = {d.id: document_year(d.meta) for d in documents}
    return sorted(hits, key=lambda h: -(years.get(h.passage.doc_id) or 0))  # stable: relevance within a year


MUNICIPALITY_TYPES = (KREISFREI, KREISANGEHOERIG, LANDKREIS, STADTBEZIRK)


def _param(name: str | None, label: str = "", description: str = "", *, web: str | None = None,
           documented: tuple[str, ...] | None = None, only: tuple[str, ...] | None = None,
           minimum: int | None = None, maximum: int | None = None, bound: tuple[str, str, str] | None = None):
    """A ``Filters`` field with its request parameter (``FilterParam``); ``name`` None: no parameter."""
    return field(default=None, metadata={"param": name, "web": web or name, "label": label,
                                         "description": description, "documented": documented, "only": only,
                                         "minimum": minimum, "maximum": maximum, "bound": bound})


@dataclass
class Filters:
    """Restrictions on the passages a search may return; None means no restriction.

    Text values are NFC-normalised, so a decomposed "Thu\\u0308ringen" (macOS input)
    equals "Thüringen". Population bounds are inhabitants, inclusive.

    ``doc_ids``: document ids (any of them); ``bundesland``: a Land name or code;
    ``municipality_type``: one of the catalogue's types ("Landkreis", ...); ``theme``: a
    Handlungsfeld (``index.municipalities.taxonomy.THEMES``); ``municipality``: a name or
    catalogue id (``Catalogue.resolve``); ``min_year``/``max_year``: publication years,
    inclusive (a document passes when the years its ``meta["year"]`` states overlap the
    bounds; a document without a year fails any bound). Values are checked when the mask
    is built.
    """

    # Each field names its request parameter (API and web page alike, ``web`` where the page's
    # differs), its German label and its English description: ``FILTER_PARAMS`` reads them, and
    # the API, the web form, the links and the facet chips derive their parameters from it.
    doc_ids: list[str] | None = _param("doc", "Dokument", "Only passages of this document id (repeatable).")
    bundesland: str | None = _param("bundesland", "Bundesland", "Only passages about municipalities in this Land.",
                                    documented=tuple(sorted(BUNDESLAENDER.values())))
    municipality_type: str | None = _param("type", "Art der Kommune", "Municipality type.", only=MUNICIPALITY_TYPES)
    min_population: int | None = _param("min_population", "Einwohner ab", "Smallest population.", minimum=0,
                                        bound=("population", "Einwohnerzahl", "min"))
    max_population: int | None = _param("max_population", "Einwohner bis", "Largest population.", minimum=0,
                                        bound=("population", "Einwohnerzahl", "max"))
    theme: str | None = _param("theme", "Thema", "Only passages about municipalities with this theme.",
                               documented=tuple(THEMES))
    municipality: str | None = _param(None)
    # With a population bound: keep municipalities whose population is unknown ("ohne Angabe").
    include_unknown_population: bool | None = _param(
        "include_unknown_population", "auch ohne Angabe", "With a population bound, keep municipalities whose "
        "population is unknown.", web="ohne_angabe", bound=("population", "Einwohnerzahl", "unknown"))
    min_year: int | None = _param("min_year", "Jahr ab", "Only passages of documents published in or after this "
                                  "year (a document stating a range passes when the range reaches it).",
                                  minimum=0, maximum=9999, bound=("year", "Erscheinungsjahr", "min"))
    max_year: int | None = _param("max_year", "Jahr bis", "Only passages of documents published in or before "
                                  "this year (documents without a year are left out by either bound).",
                                  minimum=0, maximum=9999, bound=("year", "Erscheinungsjahr", "max"))

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if isinstance(value, str):
                setattr(self, name, nfc(value))
            elif isinstance(value, list):
                setattr(self, name, [nfc(v) if isinstance(v, str) else v for v in value])

    def active(self) -> bool:
        """True when any restriction is set (``include_unknown_population`` alone restricts nothing)."""
        return any(v not in (None, [], "") for k, v in self.__dict__.items() if k != "include_unknown_population")

    def key(self) -> tuple:
        """A hashable form of the restrictions (lists as tuples), for caching masks."""
        return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in self.as_dict().items())

    def as_dict(self) -> dict:
        """The restrictions that are set, by field name (for ``SearchResult.filters``)."""
        return {k: v for k, v in self.__dict__.items()
                if v not in (None, [], "") and (k != "include_unknown_population" or v is True)}


@dataclass(frozen=True)
class FilterParam:
    """One request parameter of a ``Filters`` field, read from the field's metadata.

    ``field``: the ``Filters`` field; ``name``: the API's (and, unless ``web`` differs, the web
    page's) parameter; ``label``: German, for the page; ``description``: English, for the
    OpenAPI schema; ``kind``: "list", "str", "int" or "bool"; ``documented``: values the
    schema lists (others reach the catalogue, which answers 400); ``only``: the values the
    schema accepts (others are a 422); ``minimum``/``maximum``: inclusive integer bounds;
    ``bound``: (group, German group label, "min"/"max"/"unknown") for the fields that make one
    range (population, year), shown as one chip."""

    field: str
    name: str
    web: str
    label: str
    description: str
    kind: str
    documented: tuple[str, ...] | None = None
    only: tuple[str, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None
    bound: tuple[str, str, str] | None = None


def _kind(annotation: str) -> str:
    return "list" if annotation.startswith("list") else ("int" if annotation.startswith("int")
                                                         else "bool" if annotation.startswith("bool") else "str")


# Every filter a request can set, in form order: the one list the API, the web page, the
# links and the facet chips read.
FILTER_PARAMS: tuple[FilterParam, ...] = tuple(
    FilterParam(f.name, f.metadata["param"], f.metadata["web"], f.metadata["label"], f.metadata["description"],
                _kind(str(f.type)), f.metadata["documented"], f.metadata["only"], f.metadata["minimum"],
                f.metadata["maximum"], f.metadata["bound"])
    for f in fields(Filters) if f.metadata.get("param"))


class UnknownDocument(BadRequest):
    """A ``doc`` filter names no indexed document (the API answers 404, like every unknown id)."""

    code = "not_found"

    def __init__(self, message: str, detail=None):
        super().__init__(message, detail, cause="unknown_document")


@dataclass(frozen=True)
class Allowed:
    """What one ``Filters`` allows: ``mask``, a read-only bool array (n_passages,) of allowed
    passages (None: all); ``municipalities``, the ids of the catalogue municipalities the
    municipal filters keep (None: no municipal filter; case examples keep to them)."""

    mask: np.ndarray | None = None
    municipalities: frozenset[str] | None = None


class FilterMask:
    """Turns ``Filters`` into the ``Allowed`` set over a snapshot's passages: the one rule
    for every filter, used by the search and by the facet counts.

    :param passages: the snapshot's passages, in index order.
    :param documents: the snapshot's documents (ids; ``meta["year"]`` for the year filter),
        or just their ids (then a year bound allows nothing).
    :param catalogue: the municipality catalogue, or None (then municipality filters
        raise ``BadRequest``).

    Each distinct ``Filters`` is resolved once (LRU of ``MASK_CACHE_SIZE``; the catalogue is
    filtered once per filter, however often a page asks), thread-safe.
    """

    def __init__(self, passages: list[Passage], documents: "list[Document] | set[str]", catalogue=None,
                 previous: "FilterMask | None" = None, keep: np.ndarray | None = None):
        """``previous``/``keep``: ``passages`` are ``previous.passages`` where ``keep`` (bool,
        one per old passage) is true, in order, then new ones (a delta reload); the
        per-passage tables of the kept passages are reused, computed only for the new."""
        self.passages = passages
        docs = list(documents)
        self.doc_ids = {d if isinstance(d, str) else d.id for d in docs}
        spans = {d.id: document_years(d.meta) for d in docs if not isinstance(d, str)}
        self.catalogue = catalogue
        reuse = previous is not None and keep is not None
        kept = int(np.count_nonzero(keep)) if reuse else 0
        fresh = passages[kept:]
        # documents as small ints once, so a document filter is an integer isin per query
        # (only equality of codes matters: a delta reload appends codes for new documents)
        if reuse:
            self._doc_code = dict(previous._doc_code)
            for p in fresh:
                self._doc_code.setdefault(p.doc_id, len(self._doc_code))
        else:
            self._doc_code = {d: n for n, d in enumerate(sorted({p.doc_id for p in passages}))}
        new_codes = np.fromiter((self._doc_code[p.doc_id] for p in fresh), dtype=np.int32, count=len(fresh))
        self._doc_of = np.concatenate([previous._doc_of[keep], new_codes]) if reuse else new_codes
        if reuse and kept == len(previous.passages):  # nothing removed: positions of the old passages hold
            self._by_id = dict(previous._by_id)
            self._by_id.update((p.id, kept + i) for i, p in enumerate(fresh))
        else:
            self._by_id = {p.id: i for i, p in enumerate(passages)}
        # each passage's document years (first, last); 0 where the document states none (per
        # document once, then indexed by the passages' document codes)
        first = np.zeros(len(self._doc_code), dtype=np.int32)
        last = np.zeros(len(self._doc_code), dtype=np.int32)
        for d, code in self._doc_code.items():
            first[code], last[code] = spans.get(d) or (0, 0)
        self._first_year, self._last_year = first[self._doc_of], last[self._doc_of]
        self._cache: OrderedDict[tuple, Any] = OrderedDict()  # Filters.key -> Allowed; municipal key -> (mask, ids)
        self._lock = threading.Lock()

    def __call__(self, filters: Filters) -> np.ndarray | None:
        """bool array (n_passages,) of allowed passages, read-only, or None when nothing is
        filtered (``allowed(filters).mask``). Raises as ``allowed`` does."""
        return self.allowed(filters).mask

    def allowed(self, filters: Filters) -> Allowed:
        """The ``Allowed`` set of ``filters`` (resolved once per distinct ``Filters.key``).

        Raises ``UnknownDocument`` for an unknown document id (``detail["known"]`` lists
        the valid ones), ``BadRequest`` for a municipality filter without a catalogue or a
        year bound that is not a year, and as ``catalogue_municipalities`` does."""
        if not filters.active():
            return Allowed()
        key = filters.key()
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        found = self._resolve(filters)
        with self._lock:
            self._cache[key] = found
            while len(self._cache) > MASK_CACHE_SIZE:
                self._cache.popitem(last=False)
        return found

    def _resolve(self, filters: Filters) -> Allowed:
        mask = np.ones(len(self.passages), dtype=bool)
        municipalities = None
        if filters.doc_ids:
            unknown = [d for d in filters.doc_ids if d not in self.doc_ids]
            if unknown:
                raise UnknownDocument(f"unknown document id(s): {', '.join(unknown)}",
                                      detail={"known": sorted(self.doc_ids)})
            mask &= np.isin(self._doc_of, [self._doc_code[d] for d in filters.doc_ids if d in self._doc_code])
        for name in ("min_year", "max_year"):
            value = getattr(filters, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 9999):
                raise BadRequest(f"{name} must be a year (0 to 9999)", {"parameter": name, "value": value},
                                 cause="invalid_year")
        if filters.min_year is not None:
            mask &= (self._last_year > 0) & (self._last_year >= filters.min_year)
        if filters.max_year is not None:
            mask &= (self._first_year > 0) & (self._first_year <= filters.max_year)
        municipal = (filters.bundesland, filters.municipality_type, filters.min_population,
                     filters.max_population, filters.theme, filters.municipality)
        if any(v not in (None, "") for v in municipal):
            if self.catalogue is None:
                raise BadRequest("municipality filters need the municipality catalogue, which this snapshot lacks",
                                 cause="catalogue_missing_for_filters")
            about, municipalities = self._municipal(filters)
            mask &= about
        mask.flags.writeable = False
        return Allowed(mask, municipalities)

    def catalogue_passages(self, f: Filters) -> set[str]:
        """Ids of passages about municipalities that pass the filters (for a theme: its evidence passages).

        Raises as ``catalogue_municipalities`` does."""
        return self._passages_about(self.catalogue_municipalities(f), f)

    def _municipal(self, f: Filters) -> tuple[np.ndarray, frozenset[str]]:
        """(bool array of passages about a municipality passing the municipal filters, their
        ids), resolved once per distinct municipal filter: the catalogue is filtered once,
        however many document or year variants a page's facet counts ask about."""
        key = ("municipal", f.bundesland, f.municipality_type, f.min_population, f.max_population, f.theme,
               f.municipality, bool(f.include_unknown_population))
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        munis = self.catalogue_municipalities(f)
        about = np.zeros(len(self.passages), dtype=bool)
        for pid in self._passages_about(munis, f):
            i = self._by_id.get(pid)
            if i is not None:
                about[i] = True
        about.flags.writeable = False
        found = (about, frozenset(m.id for m in munis))
        with self._lock:
            self._cache[key] = found
            while len(self._cache) > MASK_CACHE_SIZE:
                self._cache.popitem(last=False)
        return found

    @staticmethod
    def _passages_about(munis: list, f: Filters) -> set[str]:
        theme = canonical_theme(f.theme) if f.theme else None
        ids: set[str] = set()
        for m in munis:
            ids.update(m.theme_evidence.get(theme, []) if theme else m.passages)
        return ids

    def catalogue_municipalities(self, f: Filters) -> list:
        """The catalogue municipalities that pass the municipal filters (``Catalogue.filter``,
        then the one ``municipality`` when set).

        Raises ``BadRequest`` for an unknown Land, type or theme or an ambiguous
        municipality name, ``NotFound`` for an unknown one (``Catalogue.filter``,
        ``Catalogue.resolve``)."""
        munis = self.catalogue.filter(bundesland=f.bundesland or None, type=f.municipality_type or None,
                                      min_population=f.min_population, max_population=f.max_population,
                                      theme=f.theme or None,
                                      include_unknown_population=bool(f.include_unknown_population))
        if f.municipality:
            wanted = self.catalogue.resolve(f.municipality).id
            munis = [m for m in munis if m.id == wanted]
        return munis
