"""The German web pages: search (``/``), a passage in context, a municipality.

Server-rendered with Jinja2 (autoescape on), so everything works without JavaScript;
``static/app.js`` only adds the ``/`` shortcut and auto-submit of filter selects.
Corpus text is untrusted: templates escape it, snippets arrive as escaped Markup.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from index.search import Filters
from ingest.errors import BadRequest, PraxisError
from service.application import Application

HERE = Path(__file__).parent
CSP = ("default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
       "object-src 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]
SEARCH_PARAMS = ("q", "k", "mode", "doc", "bundesland", "type", "min_population", "max_population", "theme")
MODES = {"hybrid": "Hybrid (empfohlen)", "dense": "Semantisch", "bm25": "Stichwörter"}

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                          trim_blocks=True, lstrip_blocks=True)
_env.filters["de_int"] = lambda n: f"{int(n):,}".replace(",", ".")
templates = Jinja2Templates(env=_env)


class SecurityHeaders:
    """Pure ASGI middleware adding the security headers to every response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + HEADERS
            await send(message)

        return await self.app(scope, receive, send_with_headers)


def _int(value: str | None, name: str) -> int | None:
    if value is None or value.strip() == "":
        return None
    try:
        number = int(value.replace(".", "").replace(" ", ""))
    except ValueError:
        raise BadRequest(f"„{name}“ muss eine ganze Zahl sein") from None
    if number < 0:
        raise BadRequest(f"„{name}“ darf nicht negativ sein")
    return number


def _search_state(request: Request) -> dict:
    """The search form's values from the query string (empty fields mean: no filter)."""
    p = request.query_params
    mode = p.get("mode") or "hybrid"
    return {"q": p.get("q", ""), "mode": mode if mode in MODES else "hybrid",
            "doc": [d for d in p.getlist("doc") if d], "bundesland": p.get("bundesland", ""),
            "type": p.get("type", ""), "min_population": p.get("min_population", ""),
            "max_population": p.get("max_population", ""), "theme": p.get("theme", "")}


def _query_string(request: Request) -> str:
    """The search parameters of this request, for links that keep the search."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k in SEARCH_PARAMS and v]
    return urlencode(pairs)


def mount_web(api: FastAPI, application: Application) -> None:
    api.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def render(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        return templates.TemplateResponse(request, name, context, status_code=status)

    def error_page(request: Request, exc: PraxisError) -> HTMLResponse:
        return render(request, "error.html", exc.http_status, error=exc, title="Fehler")

    # Each page does its work in one worker-thread hop (sync FastAPI routes take several).
    @api.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index(request: Request):
        return await run_in_threadpool(index_page, request)

    @api.get("/passage/{passage_id}", response_class=HTMLResponse, include_in_schema=False)
    async def passage(request: Request, passage_id: str):
        return await run_in_threadpool(passage_page, request, passage_id)

    @api.get("/kommune/{municipality_id}", response_class=HTMLResponse, include_in_schema=False)
    async def kommune(request: Request, municipality_id: str):
        return await run_in_threadpool(kommune_page, request, municipality_id)

    def index_page(request: Request) -> HTMLResponse:
        state = _search_state(request)
        page, error, status = None, None, 200
        try:
            options = application.filter_options()
        except PraxisError as exc:
            return error_page(request, exc)
        if state["q"].strip() or "q" in request.query_params:
            try:
                filters = Filters(doc_ids=state["doc"] or None, bundesland=state["bundesland"] or None,
                                  municipality_type=state["type"] or None,
                                  min_population=_int(state["min_population"], "Einwohner ab"),
                                  max_population=_int(state["max_population"], "Einwohner bis"),
                                  theme=state["theme"] or None)
                page = application.search_page(state["q"], k=10, mode=state["mode"], filters=filters)
            except PraxisError as exc:
                error, status = _german(exc), exc.http_status
        return render(request, "index.html", status, state=state, options=options, page=page, error=error,
                      modes=MODES, qs=_query_string(request),
                      title=f"{state['q']} – Suche" if state["q"] else None)

    def passage_page(request: Request, passage_id: str) -> HTMLResponse:
        q = request.query_params.get("q") or None
        try:
            p = application.passage(passage_id, context=2, query=q)
        except PraxisError as exc:
            return error_page(request, exc)
        return render(request, "passage.html", passage=p, q=q, qs=_query_string(request),
                      title=f"{p['doc_title']}, S. {p['page_label']}" if p.get("page_label") else p["doc_title"])

    def kommune_page(request: Request, municipality_id: str) -> HTMLResponse:
        try:
            m = application.municipality(municipality_id)
        except PraxisError as exc:
            return error_page(request, exc)
        similar, similar_error = [], None
        try:
            similar = application.similar_municipalities(municipality_id, k=5)
        except PraxisError as exc:
            similar_error = exc.message
        return render(request, "kommune.html", m=m, similar=similar, similar_error=similar_error, title=m["name"])


_MESSAGES = {
    "query is empty": "Bitte geben Sie eine Frage oder Stichwörter ein.",
    "query has no words": "Die Suchanfrage enthält keine Wörter, nur Satz- oder Sonderzeichen.",
    "query is too long": "Die Suchanfrage ist zu lang.",
}


def _german(exc: PraxisError) -> str:
    """A German message for the common input errors; the original message otherwise."""
    for prefix, text in _MESSAGES.items():
        if exc.message.startswith(prefix):
            return f"{text} ({exc.message})" if prefix == "query is too long" else text
    return exc.message
