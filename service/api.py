"""The HTTP app: middleware, routers, one JSON error shape.

``create_app`` builds the FastAPI app from one router per resource (``service/routes/``:
status, search, passages, documents, municipalities, admin), the German web pages
(``service.web``) and their static assets. Every
error leaves as ``{"error": {"code", "message", "detail"}}``; unexpected exceptions are
logged here and reach the client only as a 500 with that shape.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import ClientDisconnect

from core.errors import Busy, PraxisError, StorageFull, is_disk_full
from core.settings import Settings
from index.store import open_store
from service.application import Application
from service.errors import http_status
from service.errors_web import allowed_methods, install_web_errors
from service.routes import documents, municipalities, passages, search, status
from service.routes.admin import mount_admin
from service.security import ReadRateLimit, add_cors
from service.unicode_nfc import NFCMiddleware
from service.web import SecurityHeaders, mount_web

log = logging.getLogger("praxisfinder.service")

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


def error_body(code: str, message: str, detail=None) -> dict:
    """The API's error shape ``{"error": {"code", "message", "detail"}}``."""
    return {"error": {"code": code, "message": message, "detail": detail}}


def create_app(settings: Settings | None = None, application: Application | None = None) -> FastAPI:
    """The whole app: middleware, the API routers (``service/routes/``), the write routes,
    the German web pages (``service.web``) and start-up recovery of interrupted writes.

    ``application`` defaults to one over the current snapshot of ``settings``."""
    settings = settings or Settings.from_env()
    application = application or Application(settings)
    # /docs and /redoc would load Swagger/ReDoc from a CDN; the schema stays at /openapi.json.
    api = FastAPI(title="praxisfinder", version="0.1.0", docs_url=None, redoc_url=None,
                  description="Semantische Suche und Praxisbeispiele aus Berichten über kommunale "
                              "Integrationsarbeit. Fehler haben immer die Form "
                              '`{"error": {"code", "message", "detail"}}`.')
    api.state.application = application
    api.add_middleware(ReadRateLimit, http=settings.http)
    api.add_middleware(SecurityHeaders)
    api.add_middleware(NFCMiddleware)  # every path and query parameter in NFC before routing
    api.add_middleware(GZipMiddleware, minimum_size=1000)  # pages and JSON compressed for clients that accept gzip
    add_cors(api, settings.http)
    _error_handlers(api)
    install_web_errors(api, settings.search.max_query_chars)  # web paths: German HTML error pages

    for module in (status, search, passages, documents, municipalities):
        api.include_router(module.router(settings))
    admin = mount_admin(api, application, settings)
    mount_web(api, application)
    recover(settings, admin)
    return api


def recover(settings: Settings, admin) -> None:
    """At start-up: load the snapshot (a damaged current one is set aside, the newest intact
    one serves), then, if no writer is running, remove what failed or killed writers left
    (temporary snapshot directories, CURRENT temp files) and reconcile ``sources/`` with
    the index. A read-only data directory is left alone."""
    if settings.storage.store != "embedded" or not settings.storage.snapshots_dir.is_dir():
        return  # the PostgreSQL store has no leftovers: a failed write rolls back
    store = open_store(settings)
    try:  # load the snapshot first: a damaged one is set aside, which needs the writer lock taken below
        admin.application.searcher
    except PraxisError:
        pass
    try:
        with store.writer_lock():
            removed = store.drop_old(3)
            if removed:
                log.warning("removed leftovers of failed or interrupted writes: %s", removed)
            if settings.storage.sources_dir.is_dir():
                admin.reconcile()
    except Busy:
        log.info("a writer is running; start-up cleanup skipped")
    except OSError as exc:
        log.info("start-up cleanup skipped: %s", exc.strerror or exc)


def _error_handlers(api: FastAPI) -> None:
    @api.exception_handler(PraxisError)
    async def _praxis_error(_request: Request, exc: PraxisError):
        return JSONResponse(exc.to_dict(), status_code=http_status(exc), headers=getattr(exc, "headers", None))

    @api.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError):
        detail = [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in exc.errors()]
        return JSONResponse(error_body("invalid_parameter", "invalid request parameters", detail), status_code=422)

    @api.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # Starlette lists only the first route's methods; a path can have several
            headers["Allow"] = ", ".join(_allowed_methods(api, request.scope))
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code, headers=headers)

    @api.exception_handler(ClientDisconnect)
    async def _client_gone(request: Request, _exc: ClientDisconnect):
        # the server cut off a slow body (408) or the client left: nobody reads an answer
        log.info("client disconnected during %s %s", request.method, request.url.path)
        return Response(status_code=400)

    @api.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        if is_disk_full(exc):
            full = StorageFull("the disk is full; the last good snapshot keeps serving. Free disk space and try again.")
            return JSONResponse(full.to_dict(), status_code=http_status(full))
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse(error_body("internal_error", "internal error"), status_code=500)


def _allowed_methods(api: FastAPI, scope) -> list[str]:
    """Every method some route of the app serves at this path (``errors_web.allowed_methods``)."""

    return allowed_methods(api, scope)
