"""``GET /api/search``: ranked, cited passages and case examples."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from core.settings import Settings
from index.search import Filters
from service import schemas
from service.routes.common import ERRORS, LAENDER, THEMES, Mode, MunicipalityType, application


def router(settings: Settings) -> APIRouter:
    """The search route; ``settings`` give the query length and k limits."""
    r = APIRouter(tags=["search"])

    @r.get("/api/search", response_model=schemas.SearchResponse, responses=ERRORS,
           summary="Search passages and case examples")
    async def search(
        request: Request,
        q: str = Query(..., description="Frage oder Stichworte (1–1000 Zeichen, nicht nur Satzzeichen).",
                       json_schema_extra={"minLength": 1, "maxLength": settings.max_query_chars, "pattern": r"\w"}),
        k: int = Query(10, ge=1, le=settings.max_k, description="Number of passages to return."),
        mode: Mode = Query("hybrid", description="Retrieval mode: dense + BM25 fused, or one arm alone."),
        doc: list[str] | None = Query(None, description="Only passages of this document id (repeatable)."),
        bundesland: str | None = Query(None, description="Only passages about municipalities in this Land.",
                                       json_schema_extra=LAENDER),
        type_: MunicipalityType | None = Query(None, alias="type", description="Municipality type."),
        min_population: int | None = Query(None, ge=0, description="Smallest population."),
        max_population: int | None = Query(None, ge=0, description="Largest population."),
        theme: str | None = Query(None, description="Only passages about municipalities with this theme.",
                                  json_schema_extra=THEMES),
    ):
        """Ranked, cited passages with highlighted snippets, plus the municipalities whose
        practice matches the question (case examples). An empty, punctuation-only or
        over-long query is a 400; invalid parameters are a 422."""
        filters = Filters(doc_ids=[d for d in doc or () if d] or None, bundesland=bundesland or None,
                          municipality_type=type_, min_population=min_population, max_population=max_population,
                          theme=theme or None)
        return await run_in_threadpool(application(request).search_page, q, k=k, mode=mode, filters=filters)

    return r
