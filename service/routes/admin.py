"""The write endpoints: upload (``POST /api/documents``) and delete a document.

Both need ``Authorization: Bearer <upload_token>``. Order of checks: uploads enabled
(403), token (401, or 429 once the client's failed authentications pass
``auth_failures_per_minute``), the token's own rate limit (429), content type (415), size
(413, enforced while the body streams in), file type (415); then the work runs in a
worker thread (see ``service.upload``). A full disk is a 507.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from core.errors import BadRequest
from core.settings import Settings
from service import schemas
from service.security import PayloadTooLarge, UnsupportedMediaType, WriteGuard, client_key, limited_receive
from service.upload import DocumentAdmin

log = logging.getLogger("praxisfinder.service")

MULTIPART_SLACK = 64 * 1024  # boundaries and part headers on top of the file itself
WRITE_ERRORS = {status: {"model": schemas.ErrorResponse}
                for status in (400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503, 507)}
UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "A .pdf, .txt or .md file; its sanitised name becomes the document id."}},
}}}}}


class WriteResult(BaseModel):
    """The answer to an upload or delete: what happened, the new snapshot, the ingest report."""

    status: Literal["added", "replaced", "duplicate", "deleted"]
    doc_id: str = Field(description="The document's id (for `duplicate`: the one already holding this content).")
    snapshot_id: str | None = Field(None, description="The snapshot serving after the write.")
    rebuilt: bool | None = Field(None, description="Whether a new snapshot was built (false when the index "
                                                   "was already up to date; null for `duplicate`).")
    counts: dict[str, int] = Field(default_factory=dict, description="Sizes of the snapshot now serving: documents, "
                                   "passages, embedded, reused_vectors, windows, tokens, municipalities.")
    timings: dict[str, float] = Field(default_factory=dict, description="Build times in seconds: ingest_s, "
                                      "embed_s, index_s, total_s (empty when nothing was built); an upload adds "
                                      "parse_s (the sandboxed parse) and child_start_s (from the request to the "
                                      "build child's start of work), a staged write on PostgreSQL "
                                      "bm25_searchable_s and searchable_s.")
    report: list[dict[str, Any]] = Field(default_factory=list, description="The ingest report of this build.")
    checked: dict[str, Any] | None = Field(None, description="Pages, passages and title found in the upload.")
    workers: dict[str, str] | None = Field(None, description="How the upload's child processes were started: "
                                           "`parse` and `build`, each `warm` (forked from a warm fork server, "
                                           "`PRAXISFINDER_UPLOAD_WORKER`) or `fresh` (a new process).")


def mount_admin(api: FastAPI, application, settings: Settings) -> DocumentAdmin:
    """Add the write routes (upload, delete) to ``api``; returns the ``DocumentAdmin`` doing
    the work (also kept as ``api.state.document_admin`` for start-up recovery)."""
    admin = DocumentAdmin(settings, application)
    write_guard = WriteGuard(settings.upload)
    api.state.document_admin = admin
    r = APIRouter(tags=["documents"])

    def guard(request: Request, authorization: str | None) -> None:
        write_guard.check(client_key(request), authorization)

    @r.post("/api/documents", status_code=201, response_model=WriteResult, responses=WRITE_ERRORS,
            openapi_extra=UPLOAD_BODY, summary="Add or replace a document")
    async def upload(request: Request, authorization: str | None = Header(None, description="`Bearer <token>`")):
        """Upload a .pdf/.txt/.md file (multipart field `file`). 201 with the ingest report once
        the new snapshot serves; 200 with status `duplicate` if the same content is already indexed."""
        guard(request, authorization)
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise UnsupportedMediaType("send the file as multipart/form-data in the field 'file'")
        limit = settings.upload.max_upload_bytes + MULTIPART_SLACK
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"upload is larger than the limit of {settings.upload.max_upload_bytes} bytes")
        body = Request(request.scope, limited_receive(request.receive, limit))
        async with body.form(max_files=1, max_fields=4) as form:
            file = form.get("file")
            if not isinstance(file, UploadFile):
                raise BadRequest("no file in the multipart field 'file'")
            result = await run_in_threadpool(admin.upload, file.filename, file.file)
        log.info("upload from %s: %s %s", client_key(request), result["status"], result["doc_id"])
        if result["status"] == "duplicate":
            return JSONResponse(WriteResult(**result).model_dump(), status_code=200)
        return result

    @r.delete("/api/documents/{doc_id}", response_model=WriteResult, responses=WRITE_ERRORS,
              summary="Remove a document")
    async def delete(doc_id: str, request: Request,
                     authorization: str | None = Header(None, description="`Bearer <token>`")):
        """Remove the document from the index; 200 with the ingest report once the new snapshot serves."""
        guard(request, authorization)
        result = await run_in_threadpool(admin.delete, doc_id)
        log.info("delete from %s: %s", client_key(request), doc_id)
        return result

    api.include_router(r)
    return admin
