"""German error pages for the web paths; the JSON error shape stays for the API.

``install_web_errors(api)`` wraps the app's exception handlers (the JSON ones that
``service.api`` registers): a request to an API path (``/api/…``, ``/healthz``,
``/readyz``, ``/openapi.json``) keeps getting ``{"error": {"code", "message", "detail"}}``;
any other path (a mistyped URL such as ``/foo/bar``, ``/passage/<unknown>``, a
``POST /``, an unexpected exception while rendering) gets a German HTML page with the
same status: "Seite nicht gefunden", "Interner Fehler", … never raw JSON, never a stack
trace.

``too_long_message`` is the German sentence for input over the length limit, with the
length and the limit ("Ihre Suchanfrage hat 2.000 Zeichen; erlaubt sind höchstens
1.000."); ``german_message`` asks it first, then maps the other application errors to
German sentences (``WebInputError`` carries its German message already).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match, Mount

from core.errors import BadRequest, NotFound, PraxisError, TooLong
from service.errors import http_status
from service.rendering import templates

log = logging.getLogger("praxisfinder.service")

# Paths whose clients are programs: they keep the JSON error shape.
API_PREFIXES = ("/api/", "/healthz", "/readyz", "/openapi.json")

# HTTP status -> (heading, sentence) of the German error page.
PAGES: dict[int, tuple[str, str]] = {
    400: ("Ungültige Anfrage", "Die Anfrage enthält ungültige Angaben."),
    404: ("Seite nicht gefunden", "Diese Seite gibt es nicht. Vielleicht ist der Link veraltet oder die Adresse "
                                  "wurde falsch eingegeben."),
    405: ("Aktion nicht möglich", "Diese Seite kann so nicht aufgerufen werden."),
    422: ("Ungültige Anfrage", "Die Anfrage enthält ungültige Angaben."),
    429: ("Zu viele Anfragen", "Sie haben in kurzer Zeit sehr viele Anfragen gestellt. Bitte warten Sie einen "
                               "Moment und versuchen Sie es dann noch einmal."),
    500: ("Interner Fehler", "Bei der Bearbeitung ist ein Fehler aufgetreten. Bitte versuchen Sie es später noch "
                             "einmal."),
    503: ("Vorübergehend nicht verfügbar", "Der Suchindex ist gerade nicht verfügbar. Bitte versuchen Sie es "
                                           "später noch einmal."),
    507: ("Speicher voll", "Der Speicherplatz des Servers ist erschöpft. Die Suche funktioniert weiter; bitte "
                           "versuchen Sie es später noch einmal."),
}

# The input a ``TooLong`` error names (its ``field``) -> what was too long, in German.
_WHAT = {"query": "Ihre Suchanfrage", "q": "Ihre Eingabe", "description": "Ihre Beschreibung",
         "topic": "Das Thema", "thema": "Das Thema", "municipality": "Der Name der Kommune",
         "name": "Der Name"}


def is_api_path(path: str) -> bool:
    """True for paths whose errors stay JSON (``API_PREFIXES``), False for web pages."""
    return path.startswith(API_PREFIXES)


def de_number(n: int) -> str:
    """German digit grouping: 2000 -> "2.000"."""
    return f"{int(n):,}".replace(",", ".")


def too_long_message(exc: PraxisError) -> str | None:
    """The German sentence for an over-long input (its length and the limit), else None.

    :param exc: an application error; a ``TooLong`` carries the input's name, its length and
        the limit (characters) as data, so nothing is read out of the English message.
    """
    if not isinstance(exc, TooLong):
        return None
    return (f"{_WHAT.get(exc.field, 'Ihre Eingabe')} hat {de_number(exc.length)} Zeichen; erlaubt sind höchstens "
            f"{de_number(exc.limit)}. Bitte kürzen Sie den Text – es wurde nichts abgeschnitten.")


def too_long(value: str | None, limit: int, what: str = "Ihre Suchanfrage") -> str | None:
    """The German refusal for a web form value over ``limit`` characters, else None."""
    if value is None or len(value) <= limit:
        return None
    return (f"{what} hat {de_number(len(value))} Zeichen; erlaubt sind höchstens {de_number(limit)}. "
            "Bitte kürzen Sie den Text – es wurde nichts abgeschnitten.")


class WebInputError(BadRequest):
    """Invalid input found by the web layer itself; its message is already German."""

# The German sentence for each error cause (``PraxisError.cause``; the application and the
# catalogue speak English, the page German). "{n}" is the configured length limit.
CAUSE_TEXTS = {
    "query_empty": "Bitte geben Sie eine Frage oder Stichwörter ein.",
    "query_no_words": "Die Suchanfrage enthält keine Wörter, nur Satz- oder Sonderzeichen.",
    "query_not_text": "Bitte geben Sie eine Frage oder Stichwörter ein.",
    "query_too_long": "Die Suchanfrage ist zu lang (höchstens {n} Zeichen).",
    "municipality_or_description": "Bitte geben Sie eine Kommune oder eine Beschreibung an.",
    "description_too_long": "Die Beschreibung ist zu lang (höchstens {n} Zeichen).",
    "description_not_understood": "Aus Ihrer Beschreibung ließ sich weder Art, Bundesland, Größe noch ein "
                                  "Schwerpunkt lesen. Bitte beschreiben Sie Ihre Kommune zum Beispiel so: "
                                  "„ländlicher Landkreis in Brandenburg, 80.000 Einwohner, Schwerpunkt Ehrenamt“ "
                                  "– oder geben Sie ein Thema an.",
    "unknown_description_part": "Unbekannter Teil der Beschreibung.",
    "topic_too_long": "Das Thema ist zu lang (höchstens {n} Zeichen).",
    "q_too_long": "Der Suchbegriff ist zu lang (höchstens {n} Zeichen).",
    "k_out_of_range": "Die gewünschte Anzahl an Ergebnissen ist nicht möglich.",
    "unknown_bundesland": "Unbekanntes Bundesland. Bitte wählen Sie eines aus der Liste.",
    "unknown_municipality_type": "Unbekannte Art der Kommune. Bitte wählen Sie eine aus der Liste.",
    "unknown_theme": "Unbekanntes Handlungsfeld. Bitte wählen Sie eines aus der Liste.",
    "catalogue_missing": "Für diesen Suchindex gibt es keinen Kommunenkatalog; "
                         "Kommunen und Vergleiche sind nicht verfügbar.",
    "municipality_not_found": "Diese Kommune gibt es im Katalog nicht.",
    "passage_not_found": "Diese Passage gibt es im Index nicht.",
    "document_not_found": "Dieses Dokument gibt es im Index nicht.",
    "unknown_document": "Dieses Dokument gibt es im Index nicht. Bitte wählen Sie eines aus der Liste.",
    "catalogue_missing_for_filters": "Filter nach Bundesland, Art, Einwohnerzahl und Thema brauchen den "
                                     "Kommunenkatalog, der in diesem Index fehlt.",
    "source_missing": "Die Originaldatei dieses Dokuments ist nicht verfügbar.",
    "invalid_year": "Bitte geben Sie ein Erscheinungsjahr zwischen 0 und 9999 an.",
    "ambiguous_municipality": "Der Name passt zu mehreren Kommunen. Welche meinen Sie?",
    "unknown_mode": "Unbekanntes Suchverfahren. Bitte wählen Sie eines aus der Liste.",
    "unknown_sort": "Unbekannte Sortierung. Bitte wählen Sie Relevanz oder Jahr.",
    "offset_out_of_range": "Diese Seite der Ergebnisse gibt es nicht.",
}
_FALLBACK = {400: "Die Eingabe ist ungültig.", 404: "Nicht gefunden.",
             503: "Der Suchindex ist gerade nicht verfügbar. Bitte versuchen Sie es später noch einmal."}


def german_message(exc: PraxisError, limit: int = 1000, state: dict | None = None) -> str:
    """The German sentence shown on a page for an application error.

    Unknown (``detail.suggestions``) and ambiguous (``detail.candidates``) municipality
    names get a sentence naming what the user typed (``state["kommune"]``); the common
    input errors the sentence for their cause (``CAUSE_TEXTS``, keyed by
    ``PraxisError.cause``); anything else a sentence for its HTTP status.
    """
    if isinstance(exc, WebInputError):
        return exc.message
    too_long = too_long_message(exc)
    if too_long:
        return too_long
    name = (state or {}).get("kommune", "")
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    if "candidates" in detail:
        return (f"„{name}“ passt zu mehreren Kommunen. Welche meinen Sie?" if name
                else "Der Name passt zu mehreren Kommunen. Welche meinen Sie?")
    if isinstance(exc, NotFound) and "suggestions" in detail:
        known = f"„{name}“ ist nicht im Kommunenkatalog." if name else "Diese Kommune gibt es im Katalog nicht."
        return known + ("" if detail["suggestions"] else
                        " Prüfen Sie die Schreibweise oder beschreiben Sie Ihre Kommune im Feld „Beschreibung“.")
    text = CAUSE_TEXTS.get(exc.cause)
    if text is not None:
        return text.format(n=f"{limit:,}".replace(",", "."))
    return _FALLBACK.get(http_status(exc), "Die Anfrage konnte nicht bearbeitet werden.")


def error_page(request: Request, status: int, message: str | None = None, headers: dict | None = None) -> Response:
    """The German HTML error page for ``status`` (heading and sentence from ``PAGES``;
    ``message`` replaces the sentence). Links back to the search and the catalogue."""
    heading, sentence = PAGES.get(status, PAGES[500] if status >= 500 else PAGES[400])
    context: dict[str, Any] = {"heading": heading, "message": message or sentence, "status": status,
                               "title": heading, "error": None, "suggestions": [], "max_chars": 0}
    try:
        return templates.TemplateResponse(request, "error.html", context, status_code=status, headers=headers)
    except Exception:  # the error page itself must not fail: plain German text
        log.exception("error page could not be rendered")
        return Response(f"{heading}\n\n{message or sentence}\n", status_code=status, headers=headers,
                        media_type="text/plain; charset=utf-8")


def rate_limited_page(scope, headers: dict | None = None) -> Response:
    """The German 429 page for a web request over the read rate limit (from the ASGI
    middleware, before routing; ``headers`` carry Retry-After)."""
    return error_page(Request(scope), 429, headers=headers)


def install_web_errors(api: FastAPI, max_chars: int = 1000) -> None:
    """Wrap the app's exception handlers: API paths keep the registered JSON handler,
    web paths get ``error_page``. Call after the JSON handlers are registered."""
    previous = dict(api.exception_handlers)

    def wrap(kind, to_page):
        json_handler = previous.get(kind)

        async def handler(request: Request, exc: Exception):
            if is_api_path(request.url.path):
                if json_handler is None:
                    raise exc
                return await json_handler(request, exc)
            return await to_page(request, exc)

        api.add_exception_handler(kind, handler)

    async def http_page(request: Request, exc: StarletteHTTPException):
        headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() in ("allow", "retry-after")}
        if exc.status_code == 405 and kind_handler_allow(api, request):
            headers["Allow"] = kind_handler_allow(api, request)
        return error_page(request, exc.status_code, headers=headers or None)

    async def praxis_page(request: Request, exc: PraxisError):
        return error_page(request, http_status(exc), german_message(exc, max_chars), headers=getattr(exc, "headers", None))

    async def validation_page(request: Request, exc: RequestValidationError):
        return error_page(request, 400, "Die Adresse enthält ungültige Angaben. Bitte prüfen Sie den Link.")

    async def unexpected_page(request: Request, exc: Exception):
        json_handler = previous.get(Exception)
        if json_handler is not None:
            response = await json_handler(request, exc)  # logs it; maps a full disk to 507
            return error_page(request, response.status_code)
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_page(request, 500)

    wrap(StarletteHTTPException, http_page)
    wrap(PraxisError, praxis_page)
    wrap(RequestValidationError, validation_page)
    wrap(Exception, unexpected_page)


ALLOW_PROBES = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(api: FastAPI, scope) -> list[str]:
    """Every method some route of ``api`` serves at the path of ``scope``, sorted.

    Each method of ``ALLOW_PROBES`` is tried against the routes (a full match), so routes
    inside included routers count too (FastAPI >= 0.16x wraps each ``include_router`` in
    one route object without ``methods``, which left the Allow header of a 405 empty);
    mounts (static files) are left out."""

    methods = []
    for method in ALLOW_PROBES:
        probe = {**scope, "method": method}
        if any(not isinstance(route, Mount) and route.matches(probe)[0] == Match.FULL for route in api.router.routes):
            methods.append(method)
    return sorted(methods)


def kind_handler_allow(api: FastAPI, request: Request) -> str:
    """The Allow header value for a 405 on a web path (every method a route serves there)."""
    return ", ".join(allowed_methods(api, request.scope))
