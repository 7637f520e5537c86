"""The German web pages: search (``/``), a passage in context, a municipality, the catalogue
(``/kommunen``) and comparable municipalities (``/vergleich``).

Server-rendered with Jinja2 (autoescape on), so everything works without JavaScript;
``static/app.js`` only adds the ``/`` shortcut and drops empty fields from GET forms.
Corpus text is untrusted: templates escape it, snippets arrive as escaped Markup.
Errors reach the page in German (``german_message``), never as a stack trace.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from index.municipalities.recommend import CandidateFilter
from core.errors import BadRequest, NotFound, PraxisError
from service.application import Application
from service.routes.municipalities import ignore_parts
from service import errors_web, facets, navigation, pages, search_params
from service.errors_web import WebInputError, german_message
from service.errors import http_status
from service.hits import csv_link, search_link
from service.rendering import env as _env, templates

HERE = Path(__file__).parent
CSP = ("default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
       "object-src 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]
SEARCH_PARAMS = navigation.SEARCH_PARAMS
MODES = {"hybrid": "Hybrid (empfohlen)", "dense": "Semantisch", "bm25": "Stichwörter"}
SORTS = {"relevanz": "Relevanz", "jahr": "Jahr (neueste zuerst)"}  # ?sort= on the search page
COMPARE_K = 10  # comparable municipalities on /vergleich
SIMILAR_K = 5  # ... and in the section of /kommune/{id}
# Filters shared by /vergleich and /kommunen: URL parameter -> German label.
CATALOGUE_FILTERS = {"bundesland": "Bundesland", "typ": "Art", "einwohner_min": "Einwohner von",
                     "einwohner_max": "Einwohner bis"}



def url(path: str, **params) -> str:
    """``path`` with the non-empty ``params`` as its query string (for links in pages)."""
    pairs = [(k, v) for k, v in params.items() if v not in (None, "", False)]
    return f"{path}?{urlencode(pairs)}" if pairs else path


def kommune_url(municipality_id: str, thema: str | None = None) -> str:
    """The link to a municipality's page, keeping the comparison topic."""
    return url(f"/kommune/{quote(municipality_id, safe='')}", thema=thema)


def short_title(title: str | None) -> str:
    """The citation form of a document title: "Zusammenleben Hand in Hand … (Difu 2018)" ->
    "Difu 2018"; a title without a closing parenthesis stays as it is."""
    match = re.search(r"\(([^()]+)\)\s*$", title or "")
    return match.group(1).strip() if match else (title or "")


_env.globals.update(url=url, kommune_url=kommune_url, search_link=search_link, csv_link=csv_link,
                    keep_search=navigation.keep_search, search_url=navigation.search_url)
_env.filters["short_title"] = short_title


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


_int = search_params.web_int


HITS_PER_PAGE = 10  # sections per results page ("Weitere Treffer": page=2, ...)


def _page_offset(request: Request) -> int:
    """The section offset of ``?page=n`` (1-based; German error for a non-number; a page
    past the end is shown empty with a link to the first)."""
    n = _int(request.query_params.get("page"), "Seite") or 1
    return (n - 1) * HITS_PER_PAGE


def _search_state(request: Request) -> dict:
    """The search form's values from the query string (empty fields mean: no filter): ``q``,
    ``mode``, ``sort`` and the filters by the page's parameter names (``search_params.web_state``)."""
    p = request.query_params
    mode = p.get("mode") or "hybrid"
    return {"q": p.get("q", ""), "mode": mode if mode in MODES else "hybrid", **search_params.web_state(p),
            "sort": p.get("sort") if p.get("sort") in SORTS else "relevanz"}


def _query_string(request: Request) -> str:
    """The search parameters of this request, for links that keep the search."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k in SEARCH_PARAMS and v]
    return urlencode(pairs)


def _catalogue_state(request: Request, *names: str) -> dict:
    """Form values of /vergleich and /kommunen: ``names`` plus the shared catalogue filters
    (stripped strings; ``ohne_angabe`` a bool)."""
    p = request.query_params
    state = {n: p.get(n, "").strip() for n in (*names, *CATALOGUE_FILTERS)}
    state["ohne_angabe"] = p.get("ohne_angabe", "") in ("1", "on", "true", "ja")
    return state


def _population_bounds(state: dict) -> tuple[int | None, int | None]:
    low = _int(state["einwohner_min"], "Einwohner von")
    high = _int(state["einwohner_max"], "Einwohner bis")
    if low is not None and high is not None and low > high:
        raise WebInputError("„Einwohner von“ ist größer als „Einwohner bis“.")
    return low, high


def _filter_summary(state: dict, extra: dict[str, str] | None = None) -> list[str]:
    """The active filters in words, e.g. ["Bundesland: Bayern", "Einwohner 10.000–50.000"]."""
    words = [f"{label}: {state[key]}" for key, label in (extra or {}).items() if state.get(key)]
    words += [f"{label}: {state[key]}" for key, label in (("bundesland", "Bundesland"), ("typ", "Art"))
              if state[key]]
    low, high = state["einwohner_min"], state["einwohner_max"]
    if low or high:
        words.append(f"Einwohner {_de_number(low) or '0'} bis {_de_number(high) or 'beliebig'}"
                     + (" (auch ohne Angabe)" if state["ohne_angabe"] else ""))
    return words


def _de_number(value: str) -> str:
    """ "80000" -> "80.000"; anything that is not a number stays as typed."""
    try:
        return f"{_int(value, '') or 0:,}".replace(",", ".") if value else ""
    except BadRequest:
        return value


def _check_choice(value: str, choices: list[str], label: str) -> None:
    if value and value not in choices:
        raise WebInputError(f"Unbekannte Auswahl für „{label}“: „{value}“. Bitte wählen Sie aus der Liste.")


def mount_web(api: FastAPI, application: Application) -> None:
    """Add the German pages (``/``, ``/passage/{id}``, ``/kommune/{id}``, ``/kommunen``,
    ``/vergleich``) and the static assets to ``api``; every page renders over ``application``
    and shows errors in German (``german_message``)."""
    api.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    limit = application.settings.search.max_query_chars

    def render(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        return templates.TemplateResponse(request, name, {"max_chars": limit, "status": status, **context},
                                          status_code=status)

    def error_page(request: Request, exc: PraxisError) -> HTMLResponse:
        status = http_status(exc)
        return render(request, "error.html", status, error=exc, message=german_message(exc, limit),
                      heading="Nicht gefunden" if status == 404 else errors_web.PAGES.get(status, errors_web.PAGES[500])[0],
                      suggestions=[{"name": n, "href": url("/kommunen", q=n)} for n in _alternatives(exc)],
                      title="Fehler")

    pages.mount(api, application, render, error_page, german_message)  # issue 26's pages (service.pages)

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

    @api.get("/kommunen", response_class=HTMLResponse, include_in_schema=False)
    async def kommunen(request: Request):
        return await run_in_threadpool(kommunen_page, request)

    @api.get("/vergleich", response_class=HTMLResponse, include_in_schema=False)
    async def vergleich(request: Request):
        return await run_in_threadpool(vergleich_page, request)

    def index_page(request: Request) -> HTMLResponse:
        state = _search_state(request)
        page, error, status = None, None, 200
        try:
            options = application.filter_options()
        except PraxisError as exc:
            return error_page(request, exc)
        if state["q"].strip() or "q" in request.query_params:
            try:
                filters = search_params.filters_from_web(state)
                page = application.search_page(state["q"], k=HITS_PER_PAGE, mode=state["mode"], filters=filters,
                                               offset=_page_offset(request), group=True, sort=state["sort"])
            except PraxisError as exc:
                error, status = german_message(exc, limit), http_status(exc)
        facet = None
        if page is not None:
            try:
                facet = facets.search_facets(application, state["q"], state["mode"], filters, state, options, MODES,
                                             empty=not page["results"])
            except PraxisError:
                facet = None  # the results stand without counts
        return render(request, "index.html", status, state=state, options=options, page=page, error=error,
                      modes=MODES, sorts=SORTS, qs=_query_string(request), facets=facet,
                      home=None if page is not None or error else home_page(),
                      suche=navigation.search_state_qs(request),
                      title=f"{state['q']} – Suche" if state["q"] else None)

    def home_page() -> dict | None:
        """The start page's figures (``service.pages.PagesData.stats``) and example questions."""
        try:
            return {"stats": api.state.pages_data.stats(), "examples": pages.EXAMPLE_QUESTIONS}
        except PraxisError:
            return None

    def passage_page(request: Request, passage_id: str) -> HTMLResponse:
        q = request.query_params.get("q") or None
        try:
            p = application.passage(passage_id, context=2, query=q)
        except PraxisError as exc:
            return error_page(request, exc)
        qs = _query_string(request)
        return render(request, "passage.html", passage=p, q=q, qs=qs, suche=navigation.search_state_qs(request),
                      back_url=navigation.search_url(qs, request.query_params.get("treffer")),
                      title=f"{p['doc_title']}, S. {p['page_label']}" if p.get("page_label") else p["doc_title"])

    def kommune_page(request: Request, municipality_id: str) -> HTMLResponse:
        thema = request.query_params.get("thema", "").strip()
        try:
            m = application.municipality(municipality_id)
            themes = application.filter_options()["themes"]
        except PraxisError as exc:
            return error_page(request, exc)
        similar, similar_error = [], None
        try:
            similar = application.similar_municipalities(municipality_id, topic=thema or None, k=SIMILAR_K)
        except PraxisError as exc:
            similar_error = german_message(exc, limit)
        suche = navigation.search_state_qs(request)
        return render(request, "kommune.html", m=m, thema=thema, themes=themes, similar=similar,
                      similar_error=similar_error, suche=suche, back_url=navigation.search_url(suche),
                      compare_url=navigation.keep_search(url("/vergleich", kommune=m["name"], thema=thema), suche),
                      title=f"{m['name']} – {thema}" if thema else m["name"])

    def kommunen_page(request: Request) -> HTMLResponse:
        state = _catalogue_state(request, "q", "thema")
        try:
            options = application.filter_options()
        except PraxisError as exc:
            return error_page(request, exc)
        rows, hidden, error, status, practice = [], 0, None, 200, ""
        try:
            _check_choice(state["bundesland"], options["bundeslaender"], "Bundesland")
            # "thema": a Handlungsfeld of the list filters; any other text is a practice ("Dolmetscherpool")
            practice = state["thema"] if state["thema"] and state["thema"] not in options["themes"] else ""
            low, high = _population_bounds(state)
            criteria = dict(bundesland=state["bundesland"] or None, type=state["typ"] or None,
                            theme=(state["thema"] or None) if not practice else None, q=state["q"] or None)
            rows = application.municipalities(min_population=low, max_population=high,
                                              include_unknown_population=state["ohne_angabe"],
                                              topic=practice or None, **criteria)
            if not rows and state["q"] and not practice and options["catalogue"]:
                # no municipality has that name: read it as a practice ("who does X?")
                practice = state["q"]
                rows = application.municipalities(min_population=low, max_population=high,
                                                  include_unknown_population=state["ohne_angabe"], topic=practice,
                                                  **{**criteria, "q": None})
            if (low is not None or high is not None) and not state["ohne_angabe"]:
                hidden = sum(m["population"] is None for m in application.municipalities(**criteria))
        except PraxisError as exc:
            error, status = german_message(exc, limit), http_status(exc)
        if not practice:
            rows.sort(key=lambda m: (m["name"].casefold(), m["id"]))
        params = dict(request.query_params)
        return render(request, "kommunen.html", status, state=state, options=options, rows=rows, error=error,
                      practice=practice,
                      hidden=hidden, show_hidden_url=url("/kommunen", **{**params, "ohne_angabe": "1"}),
                      the_map=None if error else pages.places_map(application, rows),
                      summary=_filter_summary(state, {"q": "Name enthält", "thema": "Handlungsfeld"}),
                      title="Kommunen")

    def vergleich_page(request: Request) -> HTMLResponse:
        state = _catalogue_state(request, "kommune", "beschreibung", "thema", "ohne")
        try:
            options = application.filter_options()
            names = application.municipality_names() if options["catalogue"] else []
        except PraxisError as exc:
            return error_page(request, exc)
        result, problem, status = None, None, 200
        keep = {k: state[k] for k in ("thema", *CATALOGUE_FILTERS)}
        keep["ohne_angabe"] = "1" if state["ohne_angabe"] else ""
        params = request.query_params
        if "kommune" in params or "beschreibung" in params or params.get("thema", "").strip():
            try:
                result = compare(state, options)
            except PraxisError as exc:
                status = http_status(exc)
                detail = exc.detail if isinstance(exc.detail, dict) else {}
                problem = {"message": german_message(exc, limit, state),
                           "ambiguous": "candidates" in detail, "links": [
                               {"name": name, "href": url("/vergleich", kommune=name, **keep)}
                               for name in _alternatives(exc)]}
        low, high = state["einwohner_min"], state["einwohner_max"]
        hides_unknown = result is not None and bool(low or high) and not state["ohne_angabe"]
        about = result["query"] if result else None
        suche = navigation.search_state_qs(request)
        drop = lambda part: url("/vergleich", **{**dict(params), "ohne": ",".join(  # noqa: E731
            sorted({p for p in state["ohne"].split(",") if p} | {part}))})
        return render(request, "vergleich.html", status, state=state, options=options, names=names, drop=drop,
                      suche=suche, back_url=navigation.search_url(suche),
                      result=result, problem=problem, summary=_filter_summary(state),
                      the_map=pages.places_map(application, ([about] if about and about.get("id") else [])
                                               + result["recommendations"]) if result else None,
                      hides_unknown=hides_unknown,
                      show_hidden_url=url("/vergleich", **{**params, "ohne_angabe": "1"}),
                      filters_active=any(state[k] for k in CATALOGUE_FILTERS) or state["ohne_angabe"],
                      title=("Vergleich: " + (about.get("name") or ("Wer macht das schon?" if about.get("who_does")
                                                                    else "Beschreibung"))) if about else "Vergleich")

    def compare(state: dict, options: dict) -> dict:
        if state["kommune"] and state["beschreibung"]:
            raise WebInputError("Bitte geben Sie entweder eine Kommune oder eine Beschreibung an, nicht beides.")
        _check_choice(state["bundesland"], options["bundeslaender"], "Bundesland")
        _check_choice(state["typ"], options["types"], "Art der Kommune")
        low, high = _population_bounds(state)
        candidates = None
        if state["bundesland"] or state["typ"] or low is not None or high is not None:
            candidates = CandidateFilter(state["bundesland"] or None, state["typ"] or None, low, high,
                                         state["ohne_angabe"])
        return application.recommend_request(state["kommune"] or None, state["beschreibung"] or None,
                                             state["thema"] or None, COMPARE_K, candidates, ignore_parts(state["ohne"]))


def _alternatives(exc: PraxisError) -> list[str]:
    """Names to offer after an unknown (``suggestions``) or ambiguous (``candidates``) name."""
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    names = detail.get("suggestions") or detail.get("candidates") or []
    return [str(n) for n in names]


