"""``GET /api/documents`` and ``GET /api/documents/{doc_id}`` (reading; writing is ``admin``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from core.settings import Settings
from service import schemas
from service.routes.common import ERRORS, application
from service.sources import source_file


def router(settings: Settings) -> APIRouter:
    """The document routes; ``settings`` locate the corpus and upload folders for source downloads."""
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

    @r.get("/api/documents/{doc_id}/source", response_class=FileResponse, responses=ERRORS,
           summary="The document's original file")
    async def document_source(request: Request, doc_id: str):
        """The original file as indexed (same SHA-256), with its content type and a
        Content-Disposition filename; 404 for an unknown id or a file that is gone or changed."""
        app = application(request)
        found = await run_in_threadpool(lambda: source_file(app.searcher.snapshot, settings.storage, doc_id))
        return FileResponse(found.path, media_type=found.media_type, filename=found.filename)

    return r
