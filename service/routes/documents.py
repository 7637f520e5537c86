"""``GET /api/documents`` and ``GET /api/documents/{doc_id}`` (reading; writing is ``admin``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from core.settings import Settings
from service import schemas
from service.routes.common import ERRORS, application


def router(settings: Settings) -> APIRouter:
    """The document routes (``settings`` unused; same signature as the other routers)."""
    r = APIRouter(tags=["documents"])

    @r.get("/api/documents", response_model=list[schemas.DocumentSummary], summary="Indexed documents",
           responses=ERRORS)
    async def documents(request: Request):
        """Every indexed document with title, pages and passage count."""
        return await run_in_threadpool(application(request).documents)

    @r.get("/api/documents/{doc_id}", response_model=schemas.DocumentDetail, responses=ERRORS,
           summary="One document with its passage outline")
    async def document(request: Request, doc_id: str):
        """One document: metadata and the outline of its passages; 404 for an unknown id."""
        return await run_in_threadpool(application(request).document, doc_id)

    return r
