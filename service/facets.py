"""Filter counts, active-filter chips and the "which filter emptied the result" answer for
the search page.

Counts come from ONE search at depth 100 (``FACET_DEPTH``, at most ``max_k``) for the
query without any filter: of its hits, those above the relevance floor of the results
list (``index.search.answer.analyse``: the same count the page heading shows; none when
the query has no match) are checked against the filters here, with the same semantics as the Searcher's
passage mask (``index.search.searcher.Searcher._mask``): a document filter keeps its
documents' passages; the municipal filters keep a passage when ONE municipality it is
about (its subject, ``Catalogue`` ``passages``) passes all of them (a theme: the
passage is among that municipality's evidence for the theme; a population bound drops
municipalities without a known population unless ``include_unknown_population``).

The count next to a value is the number of relevant hits that value would give
together with the OTHER active filters (the usual faceted-search convention, so a
user sees what switching to that value gives). The floor is that of the unfiltered
ranking: a filtered results page measures its floor against its own best hit, so after
choosing a value the page may list more, weaker hits than the count promised; the
count is the number of hits that are relevant to the question as a whole. Hits a
filtered search reaches only below the unfiltered top 100 are not counted.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from index.search import Filters

FACET_DEPTH = 100
CACHE_SIZE = 64  # relevant hits of recent (snapshot, query, mode): paging and chip removal reuse them
_cache: "OrderedDict[tuple[str, str, str, int], list]" = OrderedDict()
_cache_lock = threading.Lock()

# The search page's filters: URL parameter -> German label.
LABELS = {"doc": "Dokument", "bundesland": "Bundesland", "type": "Art der Kommune", "theme": "Thema",
          "population": "Einwohnerzahl", "mode": "Suchverfahren"}


def relevant_cached(searcher, query: str, mode: str, depth: int) -> list:
    """``relevant`` hits of the unfiltered search of ``query``, remembered for the last
    ``CACHE_SIZE`` (snapshot, query, mode) so page 2 or a removed chip costs no search."""
    key = (f"{searcher.snapshot.id}/{id(searcher)}", query, mode, depth)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    hits = relevant(searcher, searcher.search(query, k=depth, mode=mode))
    with _cache_lock:
        _cache[key] = hits
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return hits


def relevant(searcher, result) -> list:
    """The hits of ``result`` the results list counts: ``index.search.answer.analyse(searcher,
    result).select(result.hits)`` (the relevance floor; none on no match)."""
    from index.search.answer import analyse

    return analyse(searcher, result).select(result.hits)


@dataclass
class FacetFilters:
    """The filters as the facets see them (all values canonical; None means: no filter)."""

    docs: list[str] = field(default_factory=list)
    bundesland: str | None = None
    type: str | None = None
    theme: str | None = None
    min_population: int | None = None
    max_population: int | None = None
    include_unknown: bool = False

    @classmethod
    def of(cls, f: Filters, include_unknown: bool = False) -> "FacetFilters":
        """From the Searcher's ``Filters`` (Land, type and theme canonicalised)."""
        from index.municipalities.gazetteer import land_name
        from index.municipalities.taxonomy import canonical_theme

        return cls(docs=list(f.doc_ids or []), bundesland=land_name(f.bundesland) if f.bundesland else None,
                   type=f.municipality_type or None, theme=canonical_theme(f.theme) if f.theme else None,
                   min_population=f.min_population, max_population=f.max_population,
                   include_unknown=bool(include_unknown or getattr(f, "include_unknown_population", False)))

    def without(self, name: str) -> "FacetFilters":
        """These filters minus one (``doc``, ``bundesland``, ``type``, ``theme`` or ``population``)."""
        if name == "doc":
            return replace(self, docs=[])
        if name == "population":
            return replace(self, min_population=None, max_population=None, include_unknown=False)
        return replace(self, **{name: None})

    def municipal(self) -> bool:
        """Whether any filter concerns municipalities (Land, type, theme, population)."""
        return any(v is not None for v in (self.bundesland, self.type, self.theme, self.min_population,
                                            self.max_population))


def _data(record) -> dict[str, Any]:
    return record if isinstance(record, dict) else vars(record)


def _municipality_passes(m: dict[str, Any], passage_id: str, f: FacetFilters) -> bool:
    if f.bundesland and m.get("bundesland") != f.bundesland:
        return False
    if f.type and m.get("type") != f.type:
        return False
    population = m.get("population")
    if f.min_population is not None or f.max_population is not None:
        if population is None:
            if not f.include_unknown:
                return False
        elif (f.min_population is not None and population < f.min_population) or (
                f.max_population is not None and population > f.max_population):
            return False
    if f.theme:
        evidence = m.get("theme_evidence") or {}
        if passage_id not in evidence.get(f.theme, []):
            return False
    return True


def passes(hit, f: FacetFilters, catalogue) -> bool:
    """Whether a hit passes the filters (the Searcher's semantics, see the module doc)."""
    p = hit.passage
    if f.docs and p.doc_id not in f.docs:
        return False
    if not f.municipal():
        return True
    if catalogue is None:
        return False
    return any(_municipality_passes(_data(m), p.id, f) for m in catalogue.municipalities_for_passage(p.id))


def count(hits: list, f: FacetFilters, catalogue) -> int:
    """How many of ``hits`` pass ``f``."""
    return sum(passes(h, f, catalogue) for h in hits)


def facet_counts(hits: list, f: FacetFilters, catalogue, options: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Per filter and value, the relevant hits that value gives with the other active filters.

    :param hits: the relevant hits of the unfiltered search (above the floor).
    :param options: ``Application.filter_options()`` (documents, bundeslaender, types, themes).
    :returns: ``{"doc": {doc_id: n}, "bundesland": {land: n}, "type": {...}, "theme": {...}}``.
    """
    out: dict[str, dict[str, int]] = {}
    base = f.without("doc")
    out["doc"] = {d["id"]: count(hits, replace(base, docs=[d["id"]]), catalogue) for d in options["documents"]}
    if options.get("catalogue"):
        for name, values in (("bundesland", options["bundeslaender"]), ("type", options["types"]),
                             ("theme", options["themes"])):
            rest = f.without(name)
            pool = [h for h in hits if passes(h, rest, catalogue)]
            out[name] = {v: count(pool, replace(rest, **{name: v}), catalogue) for v in values}
    return out


def active_filters(state: dict[str, Any], modes: dict[str, str]) -> list[dict[str, str]]:
    """The active filters of the search form as chips: ``{"name", "label", "value", "href"}``,
    ``href`` the search without that filter (one document of several: without that one)."""
    chips = []
    base = {k: v for k, v in state.items() if k in ("q", "mode", "bundesland", "type", "min_population",
                                                    "max_population", "theme", "ohne_angabe") and v}

    def href(drop: tuple[str, ...], doc_drop: str | None = None) -> str:
        pairs = [(k, v) for k, v in base.items() if k not in drop]
        pairs[1:1] = [("doc", d) for d in state.get("doc", []) if d != doc_drop and "doc" not in drop]
        pairs = [(k, "1" if v is True else v) for k, v in pairs]
        return "/?" + urlencode(pairs)

    titles = state.get("doc_titles", {})
    for d in state.get("doc", []):
        chips.append({"name": "doc", "label": LABELS["doc"], "value": titles.get(d, d), "href": href((), d)})
    for name in ("bundesland", "type", "theme"):
        if state.get(name):
            chips.append({"name": name, "label": LABELS[name], "value": state[name], "href": href((name,))})
    low, high = state.get("min_population"), state.get("max_population")
    if low or high:
        text = f"{low or '0'} bis {high or 'beliebig'}" + (" (auch ohne Angabe)" if state.get("ohne_angabe") else "")
        chips.append({"name": "population", "label": LABELS["population"], "value": text,
                      "href": href(("min_population", "max_population", "ohne_angabe"))})
    if state.get("mode") and state["mode"] != "hybrid":
        chips.append({"name": "mode", "label": LABELS["mode"], "value": modes.get(state["mode"], state["mode"]),
                      "href": href(("mode",))})
    return chips


def without_filter(filters: Filters, chip: dict[str, str]) -> Filters:
    """The Searcher's ``filters`` minus the one a chip stands for (one document of several:
    just that one)."""
    name = chip["name"]
    if name == "doc":
        rest = [d for d in filters.doc_ids or [] if d != chip.get("id")]
        return replace(filters, doc_ids=rest or None)
    if name == "population":
        return replace(filters, min_population=None, max_population=None, include_unknown_population=None)
    field_name = {"type": "municipality_type"}.get(name, name)
    return replace(filters, **{field_name: None})


def emptied_exact(application, query: str, mode: str, filters: Filters,
                  chips: list[dict[str, str]]) -> list[dict[str, Any]]:
    """For an empty filtered result: each active filter with the hit count (``total``, the
    results list's own floor) of the same search without it, by running that search: one
    per active filter, only when a result is empty. Those that would give some first."""
    out = []
    for chip in chips:
        if chip["name"] == "mode":
            continue
        page = application.search_page(query, k=1, mode=mode, filters=without_filter(filters, chip))
        out.append({**chip, "count": int(page.get("total", len(page["results"])))})
    out.sort(key=lambda c: -c["count"])
    return out


def search_facets(application, query: str, mode: str, filters: Filters, state: dict[str, Any],
                  options: dict[str, Any], modes: dict[str, str], empty: bool = False) -> dict[str, Any]:
    """Everything the filter panel shows for one search: ``counts`` (see ``facet_counts``),
    ``chips`` (``active_filters``), ``emptied`` (only when ``empty``, the filtered result
    has no hit: ``emptied_exact``), ``depth``, ``total`` (relevant hits unfiltered) and
    ``current`` (relevant hits with all active filters).

    Runs one search of ``query`` at depth ``min(FACET_DEPTH, max_k)`` without filters
    (none when ``relevant_cached`` holds it), plus one per active filter when ``empty``.
    """
    s = application.searcher
    catalogue = application.snapshots.catalogue_for(s)
    depth = min(FACET_DEPTH, application.settings.max_k)
    hits = relevant_cached(s, query, mode, depth)
    f = FacetFilters.of(filters, bool(state.get("ohne_angabe")))
    titles = {d["id"]: d["title"] for d in options["documents"]}
    chips = active_filters({**state, "doc_titles": titles}, modes)
    for chip, doc in zip([c for c in chips if c["name"] == "doc"], state.get("doc", [])):
        chip["id"] = doc
    counts = facet_counts(hits, f, catalogue, options)
    current = count(hits, f, catalogue)
    emptied = emptied_exact(application, query, mode, filters, chips) if empty and chips else []
    return {"counts": counts, "chips": chips, "emptied": emptied, "depth": depth, "total": len(hits),
            "current": current}
