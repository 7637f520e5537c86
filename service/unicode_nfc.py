"""Unicode NFC at the HTTP entry point: every URL path and query parameter, before routing.

A browser or client on macOS may send "ü" decomposed ("u" + U+0308, percent-encoded as
``u%CC%88``). The index, the catalogue and the filter choices are NFC, so
``/api/search?q=Osnabru%CC%88ck&bundesland=Thu%CC%88ringen`` must mean the same as the
composed spelling. ``NFCMiddleware`` rewrites the ASGI scope's ``path``/``raw_path`` and
``query_string`` to NFC before FastAPI parses them, so every route (API and web page) and
every parameter gets NFC without per-route code. A query string that is not valid
UTF-8 is passed on unchanged (the route's own validation answers it).
"""

from __future__ import annotations

import unicodedata
from urllib.parse import parse_qsl, quote, urlencode


def nfc_query_string(raw: bytes) -> bytes:
    """The query string with every name and value in NFC; ``raw`` itself when nothing changes or it is not UTF-8."""
    if not raw:
        return raw
    try:
        text = raw.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        return raw
    normal = [(unicodedata.normalize("NFC", k), unicodedata.normalize("NFC", v)) for k, v in pairs]
    if normal == pairs:
        return raw
    return urlencode(normal, quote_via=quote).encode("ascii")


class NFCMiddleware:
    """Pure ASGI middleware: NFC for the request path and query string (see the module docstring)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            scope = dict(scope)
            path = scope.get("path", "")
            normal = unicodedata.normalize("NFC", path)
            if normal != path:
                scope["path"] = normal
                scope["raw_path"] = quote(normal).encode("ascii")
            scope["query_string"] = nfc_query_string(scope.get("query_string", b""))
        return await self.app(scope, receive, send)
