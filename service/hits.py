"""One page of search hits: the counted ranking, section groups, paging and row fields.

``page_rows`` turns a deep ``SearchResult`` (searched to ``settings.search.max_k``) and its
``Answer`` (``index.search.answer``) into the rows of one page:

* the **counted ranking** is ``Answer.select(hits)``: the hits above the relevance floor,
  for keyword queries only those that contain the query's words or score close to the best
  (``index.search.answer.counted_positions``), in ranking order; with ``floor=False`` the
  whole ranking (the old "k best, whatever their score");
* **section groups**: hits from the same document section (same ``doc_id`` and
  ``section``) belong to the group of the first of them; every row carries
  ``section_rank``, the rank of that first hit (its own rank for a group's first hit);
* **flat paging** (the API default): rows ``ranking[offset:offset + k]``;
  **grouped paging** (the web page, API ``group=true``): ``k`` groups from group
  ``offset`` on, each first hit with the group's other hits in ``same_section``.

Rows are ``Hit.to_dict()`` plus ``snippet`` (Markup with ``<mark>``), ``municipalities``,
``citation`` (``service.export.citation``) and ``section_rank``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from core.schema import Hit
from service.export import citation
from service.highlight import QueryTerms, snippet
from service.search_params import API_NAMES, WEB_FILTER_PARAMS, FILTER_PARAMS

NUMBERS = {p.web for p in FILTER_PARAMS if p.kind == "int"}
FLAGS = {p.name for p in FILTER_PARAMS if p.kind == "bool"}


def section_groups(hits: list[Hit]) -> list[list[Hit]]:
    """Hits grouped by (document, section) in the order of each group's first hit;
    within a group, rank order. A hit without a section is a group of its own."""
    groups: list[list[Hit]] = []
    index: dict[tuple[str, str], int] = {}
    for hit in hits:
        p = hit.passage
        key = (p.doc_id, p.section) if p.section else (p.doc_id, f"\x00{p.id}")
        if key in index:
            groups[index[key]].append(hit)
        else:
            index[key] = len(groups)
            groups.append([hit])
    return groups


MAX_HIT_REFS = 20  # municipalities named per hit (the corpus's most is 7); bounds a response in bytes


def page_rows(hits: list[Hit], terms: QueryTerms, *, k: int, offset: int, group: bool,
              refs: Callable[[str], list[dict[str, Any]]], doc_meta: dict[str, dict[str, Any]],
              snippet_chars: int, text_chars: int | None = None) -> tuple[list[dict[str, Any]], dict[str, int | None]]:
    """(rows, paging) for one page of the counted ranking ``hits``.

    Each row's ``text`` is cut to ``text_chars`` characters (with "…"; passages are built
    no longer than that, so only snapshots from before the character cap are cut) and its
    ``municipalities`` to ``MAX_HIT_REFS``: with ``k`` at most ``max_k`` a response is
    bounded in bytes whatever the documents hold.

    ``k``: rows (flat) or groups (``group``) per page; ``offset``: how many rows or groups
    to skip. ``refs(passage_id)``: municipality refs of a passage; ``doc_meta``: document
    id -> ``meta`` (for citations). ``paging``: ``offset``, ``page`` (1-based, as
    ``offset // k + 1``), ``next_offset`` (None on the last page), ``sections`` (number of
    groups in the counted ranking), ``pages`` (number of pages).
    """
    groups = section_groups(hits)
    first_rank = {h.passage.id: g[0].rank for g in groups for h in g}

    def row(hit: Hit) -> dict[str, Any]:
        r = hit.to_dict()
        if text_chars is not None and len(r.get("text") or "") > text_chars:
            r["text"] = r["text"][: text_chars - 1] + "…"
        r["snippet"] = snippet(hit.passage.text, terms, snippet_chars)
        r["municipalities"] = refs(hit.passage.id)[:MAX_HIT_REFS]
        r["citation"] = citation(r, doc_meta.get(hit.passage.doc_id))
        r["section_rank"] = first_rank[hit.passage.id]
        return r

    units = len(groups) if group else len(hits)
    if group:
        rows = []
        for g in groups[offset:offset + k]:
            lead = row(g[0])
            lead["same_section"] = [row(h) for h in g[1:]]
            rows.append(lead)
    else:
        rows = [row(h) for h in hits[offset:offset + k]]
    nxt = offset + k if offset + k < units else None
    paging = {"offset": offset, "page": offset // k + 1, "next_offset": nxt, "sections": len(groups),
              "pages": max(1, -(-units // k))}
    return rows, paging


# -- links of the results page (Jinja globals, registered by service.web) --------------------

SEARCH_LINK_PARAMS = ("q", "k", "mode", *WEB_FILTER_PARAMS, "page", "sort")  # as service.navigation.SEARCH_PARAMS


def search_link(request, **changes: Any) -> str:
    """``/?…`` with this request's search parameters, ``changes`` replacing theirs (None or
    "" drops a parameter): ``search_link(request, page=2)``, ``search_link(request, q="Dortmund")``."""
    pairs = [(k, v) for k, v in request.query_params.multi_items()
             if k in SEARCH_LINK_PARAMS and k not in changes and v]
    pairs += [(k, str(v)) for k, v in changes.items() if v not in (None, "")]
    return "/?" + urlencode(pairs) if pairs else "/"


def csv_link(request, max_k: int = 100) -> str:
    """``/api/search?…&k=<max_k>&format=csv``: every counted hit of this search as CSV
    (the page's filter names become the API's, ``search_params.API_NAMES``; numbers lose
    their thousands separators; ``page`` and ``k`` are replaced)."""
    pairs = [(API_NAMES.get(k, k), v.replace(".", "").replace(" ", "") if k in NUMBERS else v)
             for k, v in request.query_params.multi_items()
             if k in SEARCH_LINK_PARAMS and k not in ("page", "k") and v]
    pairs = [(k, "true" if k in FLAGS else v) for k, v in pairs]
    return "/api/search?" + urlencode(pairs + [("k", str(max_k)), ("floor", "true"), ("format", "csv")])
