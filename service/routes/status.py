"""Liveness and readiness: ``GET /healthz``, ``GET /readyz``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from core.settings import Settings
from service import schemas
from service.routes.common import ERRORS, application


def router(settings: Settings) -> APIRouter:
    """The status routes (``settings`` unused; same signature as the other routers)."""
    r = APIRouter(tags=["status"])

    @r.get("/healthz", response_model=schemas.Health, summary="Process is up")
    async def healthz():
        """Answers as long as the process runs; does not touch the snapshot."""
        return {"status": "ok"}

    @r.get("/readyz", response_model=schemas.Readiness, responses=ERRORS, summary="Snapshot loaded")
    async def readyz(request: Request):
        """200 with the snapshot id once the index snapshot is loaded, else 503."""
        ready = await run_in_threadpool(application(request).readiness)
        admin = getattr(request.app.state, "document_admin", None)
        if admin is not None and admin.settings.upload.token:
            ready = {**ready, "upload_workers": admin.worker_states()}
        return ready

    return r
