"""The HTTP layer: thin routes over the application object, one JSON error shape.

``create_app`` builds the FastAPI app: the JSON API under ``/api``, ``/healthz`` and
``/readyz``, the German web pages (``service.web``) and their static assets. Every
error leaves as ``{"error": {"code", "message", "detail"}}``; unexpected exceptions are
logged here and reach the client only as a 500 with that shape.
"""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from index.municipalities.gazetteer import BUNDESLAENDER
from index.municipalities.taxonomy import THEMES as THEME_NAMES
from index.municipalities import CandidateFilter
from index.search import Filters
from index.snapshot import SnapshotStore
from core.errors import Busy, PraxisError, StorageFull, is_disk_full
from core.settings import Settings
from service import schemas
from service import search_params
from service.admin_api import mount_admin
from service.application import Application
from service.security import ReadRateLimit, add_cors
from service.unicode_nfc import NFCMiddleware
from service.errors_web import install_web_errors
from service.sources import source_file
from service.web import SecurityHeaders, mount_web

log = logging.getLogger("praxisfinder.service")

Mode = Literal["hybrid", "dense", "bm25"]
MunicipalityType = Literal["kreisfreie Stadt", "kreisangehörige Stadt/Gemeinde", "Landkreis", "Stadtbezirk"]
ERRORS = {status: {"model": schemas.ErrorResponse} for status in (400, 404, 422, 429, 500, 503)}
# Documented choices; other values get a 400 that lists them (an empty value means: no filter).
LAENDER = {"enum": sorted(BUNDESLAENDER.values())}
THEMES = {"enum": list(THEME_NAMES)}
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


def recommend_filter(bundesland, type_, min_population, max_population, include_unknown) -> CandidateFilter | None:
    """The candidate restriction of a recommend request (None when nothing restricts)."""
    f = CandidateFilter(bundesland or None, type_ or None, min_population, max_population, include_unknown)
    return f if any(v is not None for v in (f.bundesland, f.type, f.min_population, f.max_population)) else None


def error_body(code: str, message: str, detail=None) -> dict:
    return {"error": {"code": code, "message": message, "detail": detail}}


def create_app(settings: Settings | None = None, application: Application | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    application = application or Application(settings)
    # /docs and /redoc would load Swagger/ReDoc from a CDN; the schema stays at /openapi.json.
    api = FastAPI(title="praxisfinder", version="0.1.0", docs_url=None, redoc_url=None,
                  description="Semantische Suche und Praxisbeispiele aus Berichten über kommunale "
                              "Integrationsarbeit. Fehler haben immer die Form "
                              '`{"error": {"code", "message", "detail"}}`.')
    api.state.application = application
    api.add_middleware(ReadRateLimit, settings=settings)
    api.add_middleware(SecurityHeaders)
    api.add_middleware(NFCMiddleware)  # every path and query parameter in NFC before routing
    add_cors(api, settings)
    text = settings.max_query_chars  # every free-text parameter obeys the query length limit
    _error_handlers(api)
    install_web_errors(api, settings.max_query_chars)  # web paths: German HTML error pages
    app = application

    @api.get("/healthz", response_model=schemas.Health, summary="Process is up", tags=["status"])
    async def healthz():
        """Answers as long as the process runs; does not touch the snapshot."""
        return {"status": "ok"}

    @api.get("/readyz", response_model=schemas.Readiness, responses=ERRORS, summary="Snapshot loaded", tags=["status"])
    async def readyz():
        """200 with the snapshot id once the index snapshot is loaded, else 503."""
        return await run_in_threadpool(app.readiness)

    @api.get("/api/search", response_model=schemas.SearchResponse, responses={**ERRORS, **search_params.CSV_RESPONSE},
             summary="Search passages and case examples", tags=["search"])
    async def search(
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
        include_unknown_population: bool = Query(False, description="With a population bound, keep municipalities "
                                                                    "whose population is unknown."),
        page: int | None = Query(None, ge=1, le=settings.max_k, description=search_params.PAGE),
        offset: int | None = Query(None, ge=0, lt=settings.max_k, description=search_params.OFFSET),
        floor: bool = Query(True, description=search_params.FLOOR),
        group: bool = Query(False, description=search_params.GROUP),
        format: Literal["json", "csv"] = Query("json", description=search_params.FORMAT),
    ):
        """Ranked, cited passages with highlighted snippets, plus the municipalities whose
        practice matches the question (case examples). An empty, punctuation-only or
        over-long query is a 400; invalid parameters are a 422. `total` counts the hits
        above the relevance floor; `no_match`, `notice` and `suggestions` say when the
        corpus cannot answer; `query_terms` are the German terms searched."""
        filters = Filters(doc_ids=[d for d in doc or () if d] or None, bundesland=bundesland or None, municipality_type=type_,
                          min_population=min_population, max_population=max_population, theme=theme or None,
                          include_unknown_population=include_unknown_population or None)
        start = search_params.start(k, page, offset)
        body = await run_in_threadpool(app.search_page, q, k=k, mode=mode, filters=filters, offset=start,
                                       floor=floor, group=group)
        return search_params.csv_response(body) if format == "csv" else body

    @api.get("/api/passages/{passage_id}", response_model=schemas.PassageDetail, responses=ERRORS,
             summary="A passage in its context", tags=["documents"])
    async def passage(passage_id: str, context: int = Query(1, ge=0, le=5, description="Neighbours on each side."),
                q: str | None = Query(None, max_length=text, description="Highlight these query terms in `highlighted`.")):
        """The passage plus the previous and next passages of the same document."""
        return await run_in_threadpool(app.passage, passage_id, context=context, query=q or None)

    @api.get("/api/documents", response_model=list[schemas.DocumentSummary], summary="Indexed documents",
             responses=ERRORS, tags=["documents"])
    async def documents():
        return await run_in_threadpool(app.documents)

    @api.get("/api/documents/{doc_id}", response_model=schemas.DocumentDetail, responses=ERRORS,
             summary="One document with its passage outline", tags=["documents"])
    async def document(doc_id: str):
        return await run_in_threadpool(app.document, doc_id)

    @api.get("/api/documents/{doc_id}/source", response_class=FileResponse, responses=ERRORS,
             summary="The document's original file", tags=["documents"])
    async def document_source(doc_id: str):
        """The original file as indexed (same SHA-256), with its content type and a
        Content-Disposition filename; 404 for an unknown id or a file that is gone or changed."""
        found = await run_in_threadpool(lambda: source_file(app.searcher.snapshot, settings, doc_id))
        return FileResponse(found.path, media_type=found.media_type, filename=found.filename)

    @api.get("/api/municipalities", response_model=list[schemas.Municipality], responses=ERRORS,
             summary="Municipalities in the catalogue", tags=["municipalities"])
    async def municipalities(
        bundesland: str | None = Query(None, json_schema_extra=LAENDER),
        type_: MunicipalityType | None = Query(None, alias="type"),
        theme: str | None = Query(None, json_schema_extra=THEMES), min_population: int | None = Query(None, ge=0),
        max_population: int | None = Query(None, ge=0),
        q: str | None = Query(None, max_length=text, description="Name contains."),
        include_unknown_population: bool = Query(False, description="Keep municipalities without a known population "
                                                                    "when a population bound is set."),
    ):
        """Filterable list; 503 while the snapshot has no municipality catalogue."""
        return await run_in_threadpool(app.municipalities, bundesland=bundesland or None, type=type_, theme=theme or None,
                                  min_population=min_population, max_population=max_population, q=q or None,
                                  include_unknown_population=include_unknown_population)

    @api.get("/api/municipalities/{municipality_id}", response_model=schemas.MunicipalityDetail,
             responses=ERRORS, summary="One municipality", tags=["municipalities"])
    async def municipality(municipality_id: str):
        """Facts, projects and the passages about the municipality."""
        return await run_in_threadpool(app.municipality, municipality_id)

    @api.get("/api/municipalities/{municipality_id}/similar", response_model=list[schemas.SimilarMunicipality],
             responses=ERRORS, summary="Comparable municipalities", tags=["municipalities"])
    async def similar(municipality_id: str,
                      topic: str | None = Query(None, max_length=text, description="Compare on this topic."),
                k: int = Query(5, ge=1, le=50)):
        """Municipalities comparable to this one (optionally on a topic), with reasons."""
        return await run_in_threadpool(app.similar_municipalities, municipality_id, topic=topic or None, k=k)

    @api.get("/api/recommend", response_model=schemas.RecommendResponse, responses=ERRORS,
             summary="Comparable municipalities for a name or a description", tags=["municipalities"])
    async def recommend(
        municipality: str | None = Query(None, max_length=text, description="A catalogue name or id (\"Landkreis Osnabrück\")."),
        description: str | None = Query(None, max_length=text, description="Or a description of one's own municipality "
                                                          "(\"ländlicher Landkreis in Brandenburg, 80.000 Einwohner\")."),
        topic: str | None = Query(None, max_length=text, description="What to learn about (\"Wohnraum für Geflüchtete\")."),
        k: int = Query(10, ge=1, le=50),
        bundesland: str | None = Query(None, description="Only candidates in this Land.", json_schema_extra=LAENDER),
        type_: MunicipalityType | None = Query(None, alias="type", description="Only candidates of this type."),
        min_population: int | None = Query(None, ge=0), max_population: int | None = Query(None, ge=0),
        include_unknown_population: bool = Query(False, description="Keep candidates without a known population "
                                                                    "when a population bound is set."),
    ):
        """Ranked comparable municipalities: practice from the hybrid search for the topic first,
        then structure (type, size, Land, rural/urban), each with reasons and evidence
        passages. An unknown name is a 404 with `detail.suggestions`, an ambiguous one a 400
        with `detail.candidates`."""
        return await run_in_threadpool(app.recommend_request, municipality, description, topic, k,
                                       recommend_filter(bundesland, type_, min_population, max_population,
                                                        include_unknown_population))

    admin = mount_admin(api, application, settings)
    mount_web(api, application)
    recover(settings, admin)
    return api


def recover(settings: Settings, admin) -> None:
    """At start-up, if no writer is running: remove what failed or killed writers left
    (temporary snapshot directories, CURRENT temp files) and reconcile ``sources/`` with
    the index. A read-only data directory is left alone."""
    store = SnapshotStore(settings.snapshots_dir)
    if not settings.snapshots_dir.is_dir():
        return
    try:
        with store.writer_lock():
            removed = store.cleanup()
            if removed:
                log.warning("removed leftovers of failed or interrupted writes: %s", removed)
            if settings.sources_dir.is_dir():
                admin.reconcile()
    except Busy:
        log.info("a writer is running; start-up cleanup skipped")
    except OSError as exc:
        log.info("start-up cleanup skipped: %s", exc.strerror or exc)


def _error_handlers(api: FastAPI) -> None:
    @api.exception_handler(PraxisError)
    async def _praxis_error(_request: Request, exc: PraxisError):
        return JSONResponse(exc.to_dict(), status_code=exc.http_status, headers=getattr(exc, "headers", None))

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

    @api.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        if is_disk_full(exc):
            full = StorageFull("the disk is full; the last good snapshot keeps serving. Free disk space and try again.")
            return JSONResponse(full.to_dict(), status_code=full.http_status)
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse(error_body("internal_error", "internal error"), status_code=500)


def _allowed_methods(api: FastAPI, scope) -> list[str]:
    """Every method some route of the app serves at this path."""
    from starlette.routing import Match

    methods: set[str] = set()
    for route in api.router.routes:
        if getattr(route, "methods", None) and route.matches(scope)[0] != Match.NONE:
            methods |= set(route.methods)
    return sorted(methods)
