"""``GET /api/passages/{passage_id}``: a passage in its context."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from core.settings import Settings
from service import schemas
from service.routes.common import ERRORS, application


def router(settings: Settings) -> APIRouter:
    """The passage route; ``settings.search.max_query_chars`` bounds ``q``."""
    r = APIRouter(tags=["documents"])

    @r.get("/api/passages/{passage_id}", response_model=schemas.PassageDetail, responses=ERRORS,
           summary="A passage in its context")
    async def passage(request: Request, passage_id: str,
                      context: int = Query(1, ge=0, le=5, description="Neighbours on each side."),
                      q: str | None = Query(None, max_length=settings.search.max_query_chars,
                                            description="Highlight these query terms in `highlighted`.")):
        """The passage plus the previous and next passages of the same document."""
        return await run_in_threadpool(application(request).passage, passage_id, context=context, query=q or None)

    return r
