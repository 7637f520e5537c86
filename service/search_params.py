"""The paging, floor and export parameters of ``GET /api/search`` (shared with the web page).

``start`` turns ``page``/``offset`` into one offset; ``csv_response`` renders a search
page (``Application.search_page``) as the CSV download (``service.export``).
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from service.export import csv_filename, hits_csv

PAGE = "Page of `k` results (1-based): offset = (page - 1) * k. `offset` wins when both are given."
OFFSET = "Results to skip (hits, or sections with `group=true`); the ranking is at most `max_k` (100) deep."
FLOOR = ("`true`: only hits above the relevance floor (what the web page and its CSV show); with filters, the "
         "question's hits above the floor of the unfiltered search that pass them (drill-down: what the web page's "
         "filter counts count). Default `false`: "
         "the k best passages whatever their score, as before; `total` counts the hits above the floor either way.")
GROUP = ("Group hits of one section: each result carries the section's other hits in `same_section`; "
         "`k` and `offset` then count sections.")
FORMAT = ("`csv`: the results as a CSV download (UTF-8 with BOM, `;`-separated, decimal comma; columns rank, "
          "document, page, section, passage, municipalities, score, citation, passage_id).")

# OpenAPI: the 200 response is JSON (the response model) or, with format=csv, CSV text.
CSV_RESPONSE = {200: {"description": "The results: JSON, or with `format=csv` a CSV file.",
                      "content": {"text/csv": {"schema": {"type": "string"}}}}}


def start(k: int, page: int | None, offset: int | None) -> int:
    """The offset a request asks for: ``offset`` if given, else ``(page - 1) * k``, else 0.
    A page past the end of the ranking is valid and empty (``results: []``, ``total`` kept)."""
    if offset is not None:
        return offset
    return (page - 1) * k if page else 0


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
