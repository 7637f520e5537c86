"""Keeping the user's place: the search (query and filters) travels with every link away
from the results, so "← Zur Suche" on a passage, municipality or comparison page leads
back to the same results, and "← Zurück zu den Treffern" to the same hit (``#treffer-N``).

The passage page takes the search parameters themselves (``/passage/{id}?q=…&bundesland=…``:
``q`` also highlights). Municipality and comparison pages have filters of their own with
the same names (``bundesland`` …), so there the search travels packed into one parameter,
``suche`` (the search's query string, URL-encoded): ``/kommune/dortmund?suche=q%3DWohnen``.
Only the search page's own parameters are ever unpacked, and the link always points to
``/``, so ``suche`` cannot lead anywhere else.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from service.search_params import WEB_FILTER_PARAMS

# The search page's URL parameters (the query, the mode, the filters ``Filters`` names, the
# page of results, the order).
SEARCH_PARAMS = ("q", "k", "mode", *WEB_FILTER_PARAMS, "page", "sort")
MAX_SUCHE_CHARS = 4000  # a packed search longer than this is dropped (the query limit is 1,000)


def search_pairs(pairs) -> list[tuple[str, str]]:
    """The non-empty search parameters among ``(name, value)`` pairs, in order."""
    return [(k, v) for k, v in pairs if k in SEARCH_PARAMS and v]


def search_state_qs(request) -> str:
    """The search of this request as a query string: from a search or passage page's own
    parameters, or unpacked from ``suche`` on other pages ("" when there is none)."""
    params = request.query_params
    packed = params.get("suche")
    if packed is not None and len(packed) <= MAX_SUCHE_CHARS:
        return urlencode(search_pairs(parse_qsl(packed, keep_blank_values=False)))
    if request.url.path == "/" or request.url.path.startswith("/passage/"):
        return urlencode(search_pairs(params.multi_items()))
    return ""


def search_url(qs: str, hit: int | str | None = None) -> str:
    """The search page for a packed search: ``/?q=…`` (plus ``#treffer-N``), or ``/``."""
    anchor = f"#treffer-{int(hit)}" if hit not in (None, "") and str(hit).isdigit() else ""
    return (f"/?{qs}" if qs else "/") + anchor


def keep_search(href: str, qs: str) -> str:
    """``href`` with the search packed into ``suche`` (unchanged when there is no search)."""
    if not qs:
        return href
    parts = urlsplit(href)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "suche"] + [("suche", qs)]
    return urlunsplit(parts._replace(query=urlencode(query)))
