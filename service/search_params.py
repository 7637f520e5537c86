"""The paging, floor and export parameters of ``GET /api/search`` (shared with the web page).

``start`` turns ``page``/``offset`` into one offset; ``csv_response`` renders a search
page (``Application.search_page``) as the CSV download (``service.export``).
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from core.errors import BadRequest
from service.export import csv_filename, hits_csv

PAGE = "Page of `k` results (1-based): offset = (page - 1) * k. `offset` wins when both are given."
OFFSET = "Results to skip (hits, or sections with `group=true`); the ranking is at most `max_k` (100) deep."
FLOOR = ("Only hits above the relevance floor (default). `false` returns the k best passages whatever "
         "their score, also on no match.")
GROUP = ("Group hits of one section: each result carries the section's other hits in `same_section`; "
         "`k` and `offset` then count sections.")
FORMAT = ("`csv`: the results as a CSV download (UTF-8 with BOM, `;`-separated, decimal comma; columns rank, "
          "document, page, section, passage, municipalities, score, citation, passage_id).")


def start(k: int, page: int | None, offset: int | None, max_k: int = 100) -> int:
    """The offset a request asks for: ``offset`` if given, else ``(page - 1) * k``, else 0.

    Raises ``BadRequest`` (English) when a page starts beyond the ranking's depth limit
    ``max_k`` (``settings.max_k``), which ``Application.search_page`` enforces too.
    """
    if offset is not None:
        return offset
    if page is None:
        return 0
    first = (page - 1) * k
    if first >= max_k:
        raise BadRequest(f"page {page} starts at result {first + 1}; the ranking holds at most {max_k} hits")
    return first


def csv_response(body: dict[str, Any]) -> Response:
    """The results of a search page (grouped rows flattened, in rank order) as an
    attachment ``praxisfinder-<query>.csv`` of ``text/csv; charset=utf-8``."""
    rows = []
    for r in body["results"]:
        rows.append(r)
        rows.extend(r.get("same_section") or [])
    rows.sort(key=lambda r: r["rank"])
    data = hits_csv(rows).encode("utf-8")
    name = csv_filename(body["query"])
    return Response(data, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
