"""Filter counts, active-filter chips and the "which filter emptied the result" answer for
the search page.

One result set, narrowed by filters (drill-down, as Datasette's facets and the
"post filter" of search engines work): the relevant hits of the question are the hits of
ONE search at depth ``FACET_DEPTH`` (at most ``max_k``) without any filter that stand above
the relevance floor of the results list (``index.search.answer.analyse``; none when the
query has no match). A filter keeps those of them the Searcher's own ``FilterMask`` allows
(``Searcher.filter_mask``: the one rule for every filter; a document filter keeps its
documents' passages, the municipal filters a passage about ONE municipality that passes
all of them). The floored results page (``PassageService.search_page`` with ``floor``)
lists exactly these hits, so the count next to a value equals the count of the page that
choosing it opens.

The count next to a value is the number of relevant hits that value gives together with
the OTHER active filters (the usual faceted-search convention, so a user sees what
switching to that value gives).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from index.search import Filters
from index.search.filters import FILTER_PARAMS, Allowed, document_year

FACET_DEPTH = 100
CACHE_SIZE = 64  # relevant hits of recent (snapshot, query, mode): paging and chip removal reuse them
_cache: "OrderedDict[tuple[str, str, str, int], tuple]" = OrderedDict()
_cache_lock = threading.Lock()

# The search page's filters as chips: a single filter by its URL parameter, a range (population,
# year) by its group, each with the German label ``Filters`` gives it (``FILTER_PARAMS``).
SINGLE = tuple(p for p in FILTER_PARAMS if p.bound is None)
RANGES: dict[str, tuple[str, list]] = {}
for _p in FILTER_PARAMS:
    if _p.bound is not None:
        RANGES.setdefault(_p.bound[0], (_p.bound[1], []))[1].append(_p)
LABELS = {**{p.web: p.label for p in SINGLE}, **{group: label for group, (label, _) in RANGES.items()},
          "mode": "Suchverfahren"}


def question_cached(searcher, query: str, mode: str, depth: int):
    """The unfiltered ``SearchResult`` of ``query`` with its verdict read
    (``SearchResult.verdict``), remembered for the last ``CACHE_SIZE`` (snapshot, query,
    mode, depth): the results page and the facet counts share it, and page 2 or a removed
    chip costs no search."""
    key = (f"{searcher.snapshot.id}/{id(searcher)}", query, mode, depth)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    entry = searcher.search(query, k=depth, mode=mode)
    entry.verdict  # noqa: B018 -- computed once, outside the lock
    with _cache_lock:
        _cache[key] = entry
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return entry


def relevant_cached(searcher, query: str, mode: str, depth: int) -> list:
    """``relevant`` hits of the unfiltered search of ``query`` (``question_cached``)."""
    result = question_cached(searcher, query, mode, depth)
    return result.verdict.select(result.hits)


def relevant(searcher, result) -> list:
    """The hits of ``result`` the results list counts: ``result.verdict.select(result.hits)``
    (the relevance floor; none on no match)."""
    return result.verdict.select(result.hits)


def filters_without(filters: Filters, name: str) -> Filters:
    """``filters`` minus one filter, named by its URL parameter (``doc``, ``bundesland``,
    ``type``, ``theme``) or its range group (``population``: both bounds and "ohne Angabe";
    ``year``: both bounds)."""
    if name in RANGES:
        return replace(filters, **{p.field: None for p in RANGES[name][1]})
    return replace(filters, **{p.field: None for p in SINGLE if p.web == name})


def narrowed(searcher, hits: list, filters: "Filters | Allowed") -> list:
    """The ``hits`` the Searcher's ``filter_mask`` allows under ``filters`` (or an already
    resolved ``Allowed`` set), in their order (all of them when nothing is filtered). Raises
    as ``FilterMask.allowed`` does (``UnknownDocument``, ``BadRequest``)."""
    return searcher.narrow(hits, filters if isinstance(filters, Allowed) else searcher.filter_mask.allowed(filters))


def count(searcher, hits: list, filters: Filters) -> int:
    """How many of ``hits`` pass ``filters`` (``narrowed``)."""
    return len(narrowed(searcher, hits, filters))


def facet_counts(searcher, hits: list, filters: Filters, options: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Per filter and value, the relevant hits that value gives with the other active filters.

    :param hits: the relevant hits of the unfiltered search (above the floor).
    :param options: ``Application.filter_options()`` (documents, bundeslaender, types, themes).
    :returns: ``{"doc": {doc_id: n}, "bundesland": {land: n}, "type": {...}, "theme": {...},
        "year": {year: n}}``; ``year`` counts per publication year (``document_year``, the
        latest of a range) the hits that pass the other filters, newest first.
    """
    out: dict[str, dict[str, int]] = {}
    base = filters_without(filters, "doc")
    out["doc"] = {d["id"]: count(searcher, hits, replace(base, doc_ids=[d["id"]])) for d in options["documents"]}
    if options.get("catalogue"):
        for name, field_name, values in (("bundesland", "bundesland", options["bundeslaender"]),
                                         ("type", "municipality_type", options["types"]),
                                         ("theme", "theme", options["themes"])):
            rest = filters_without(filters, name)
            pool = narrowed(searcher, hits, rest)
            out[name] = {v: count(searcher, pool, replace(rest, **{field_name: v})) for v in values}
    years = {d.id: document_year(d.meta) for d in searcher.snapshot.documents}
    by_year: dict[int, int] = {}
    for h in narrowed(searcher, hits, filters_without(filters, "year")):
        y = years.get(h.passage.doc_id)
        if y is not None:
            by_year[y] = by_year.get(y, 0) + 1
    out["year"] = dict(sorted(by_year.items(), reverse=True))
    return out


def active_filters(state: dict[str, Any], modes: dict[str, str]) -> list[dict[str, str]]:
    """The active filters of the search form as chips: ``{"name", "label", "value", "href"}``,
    ``href`` the search without that filter (one document of several: without that one).
    A range (population, year) is one chip, "von bis"."""
    chips = []
    lists = [p.web for p in FILTER_PARAMS if p.kind == "list"]
    base = {k: v for k, v in state.items()
            if k in ("q", "mode", *(p.web for p in FILTER_PARAMS if p.kind != "list")) and v}

    def href(drop: tuple[str, ...], doc_drop: str | None = None) -> str:
        pairs = [(k, v) for k, v in base.items() if k not in drop]
        pairs[1:1] = [(name, d) for name in lists for d in state.get(name, [])
                      if d != doc_drop and name not in drop]
        pairs = [(k, "1" if v is True else v) for k, v in pairs]
        return "/?" + urlencode(pairs)

    titles = state.get("doc_titles", {})
    for d in state.get("doc", []):
        chips.append({"name": "doc", "label": LABELS["doc"], "value": titles.get(d, d), "href": href((), d)})
    for p in SINGLE:
        if p.kind != "list" and state.get(p.web):
            chips.append({"name": p.web, "label": p.label, "value": state[p.web], "href": href((p.web,))})
    for group, (label, params) in RANGES.items():
        low = next((state.get(p.web) for p in params if p.bound[2] == "min"), None)
        high = next((state.get(p.web) for p in params if p.bound[2] == "max"), None)
        unknown = [p for p in params if p.bound[2] == "unknown"]
        if low or high:
            text = f"{low or '0' if group == 'population' else low or 'beliebig'} bis {high or 'beliebig'}"
            if unknown and state.get(unknown[0].web):
                text += " (auch ohne Angabe)"
            chips.append({"name": group, "label": label, "value": text, "href": href(tuple(p.web for p in params))})
    if state.get("mode") and state["mode"] != "hybrid":
        chips.append({"name": "mode", "label": LABELS["mode"], "value": modes.get(state["mode"], state["mode"]),
                      "href": href(("mode",))})
    return chips


def without_filter(filters: Filters, chip: dict[str, str]) -> Filters:
    """The Searcher's ``filters`` minus the one a chip stands for (one document of several:
    just that one)."""
    if chip["name"] == "doc":
        rest = [d for d in filters.doc_ids or [] if d != chip.get("id")]
        return replace(filters, doc_ids=rest or None)
    return filters_without(filters, chip["name"])


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
    depth = min(FACET_DEPTH, application.settings.search.max_k)
    hits = relevant_cached(s, query, mode, depth)
    titles = {d["id"]: d["title"] for d in options["documents"]}
    chips = active_filters({**state, "doc_titles": titles}, modes)
    for chip, doc in zip([c for c in chips if c["name"] == "doc"], state.get("doc", [])):
        chip["id"] = doc
    counts = facet_counts(s, hits, filters, options)
    current = count(s, hits, filters)
    emptied = emptied_exact(application, query, mode, filters, chips) if empty and chips else []
    return {"counts": counts, "chips": chips, "emptied": emptied, "depth": depth, "total": len(hits),
            "current": current}
