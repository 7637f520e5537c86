"""``GET /api/search``: ranked, cited passages and case examples (JSON, or CSV with ``format=csv``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from core.settings import Settings
from service import schemas, search_params
from service.routes.common import ERRORS, Mode, application


def router(settings: Settings) -> APIRouter:
    """The search route; ``settings`` give the query length and k limits."""
    r = APIRouter(tags=["search"])

    @r.get("/api/search", response_model=schemas.SearchResponse, responses={**ERRORS, **search_params.CSV_RESPONSE},
           summary="Search passages and case examples")
    async def search(
        request: Request,
        filters: Annotated[search_params.FilterQuery, Query()],
        q: str = Query(..., description="Frage oder Stichworte (1–1000 Zeichen, nicht nur Satzzeichen).",
                       json_schema_extra={"minLength": 1, "maxLength": settings.search.max_query_chars, "pattern": r"[\p{L}\p{N}_]"}),
        k: int = Query(10, ge=1, le=settings.search.max_k, description="Number of passages to return."),
        mode: Mode = Query("hybrid", description="Retrieval mode: dense + BM25 fused, or one arm alone."),
        page: int | None = Query(None, ge=1, le=settings.search.max_k, description=search_params.PAGE),
        offset: int | None = Query(None, ge=0, lt=settings.search.max_k, description=search_params.OFFSET),
        floor: bool = Query(False, description=search_params.FLOOR),
        group: bool = Query(False, description=search_params.GROUP),
        format: Literal["json", "csv"] = Query("json", description=search_params.FORMAT),
        sort: Literal["relevanz", "jahr"] = Query("relevanz", description="Order of the hits: the ranking "
                                                  "(relevanz) or the document's year, newest first (jahr)."),
    ):
        """Ranked, cited passages with highlighted snippets, plus the municipalities whose
        practice matches the question (case examples). An empty, punctuation-only or
        over-long query is a 400; invalid parameters are a 422. `total` counts the hits
        above the relevance floor; `no_match`, `notice` and `suggestions` say when the
        corpus cannot answer; `query_terms` are the German terms searched."""
        start = search_params.start(k, page, offset)
        body = await run_in_threadpool(application(request).search_page, q, k=k, mode=mode, filters=filters.filters(),
                                       offset=start, floor=floor, group=group, sort=sort)
        return search_params.csv_response(body) if format == "csv" else body

    return r
