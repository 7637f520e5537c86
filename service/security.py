"""Guards for the write endpoints and the browser boundary.

- ``require_token``: bearer-token check for uploads and deletes (constant-time compare);
  no token configured means the write API is switched off (403).
- ``RateLimiter``: an in-process token bucket per key (429 with Retry-After); ``WriteGuard``
  keys writes on the token and failed authentications on the client, ``ReadRateLimit``
  limits reads per client address.
- ``limited_receive``: stops reading a request body past a byte limit (413), so an
  oversized upload is refused while it streams in, not after it has been spooled.
- ``add_cors``: CORS headers only for the origins the ``cors_origins`` setting lists.

The token never appears in a response, an exception message or a log line.
"""

from __future__ import annotations

import hmac
import math
import threading
import time

from fastapi import FastAPI, Request
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse

from core.errors import PraxisError
from core.settings import HttpSettings, UploadSettings
from service.errors_web import is_api_path, rate_limited_page


class Unauthorized(PraxisError):
    """Missing or wrong bearer token on a write endpoint (401, with ``WWW-Authenticate: Bearer``)."""

    code = "unauthorized"
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(PraxisError):
    """Writes are switched off: no ``upload_token`` is configured (403)."""

    code = "forbidden"


class Conflict(PraxisError):
    """A write that cannot run now: another upload or delete is running, or it would delete
    the index's only document (409; CLI exit code 75)."""

    code = "conflict"


class PayloadTooLarge(PraxisError):
    """An upload larger than ``max_upload_bytes`` (413), raised while the body streams in."""

    code = "payload_too_large"


class UnsupportedMediaType(PraxisError):
    """An upload that is not multipart/form-data, or a file type no reader supports
    (``ingest.readers.SUPPORTED_SUFFIXES``) (415)."""

    code = "unsupported_media_type"


class TooManyRequests(PraxisError):
    """A rate limit is used up (429): ``retry_after`` whole seconds go into the
    ``Retry-After`` header and ``detail["retry_after_seconds"]``."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, {"retry_after_seconds": retry_after})
        self.headers = {"Retry-After": str(retry_after)}


def require_token(upload: UploadSettings, authorization: str | None) -> None:
    """Raise Forbidden when uploads are off, Unauthorized unless ``authorization`` (the raw
    ``Authorization`` header, or None) is ``Bearer <upload_token>``."""
    if not token_valid(upload, authorization):
        raise Unauthorized("missing or wrong bearer token")


def token_valid(upload: UploadSettings, authorization: str | None) -> bool:
    """True for ``Bearer <upload_token>`` (constant-time compare); Forbidden when uploads are off."""
    expected = upload.token
    if not expected:
        raise Forbidden("uploads are disabled on this server: set PRAXISFINDER_UPLOAD_TOKEN to enable them")
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode())


class WriteGuard:
    """Rate limits for the write endpoints, checked after the token.

    A request with the valid token counts against the token's own bucket
    (``upload_rate_per_minute``); a request without it counts against its client's
    failed-authentication bucket (``auth_failures_per_minute``, 429 once used up, else
    401). Anonymous requests therefore never lock the token holder out, even from the same
    address (a proxy, or loopback).
    """

    TOKEN_KEY = "token"

    def __init__(self, upload: UploadSettings, clock=time.monotonic):
        self.upload = upload
        self.authorised = RateLimiter(upload.rate_per_minute, clock, what="upload or delete")
        self.failures = RateLimiter(upload.auth_failures_per_minute, clock, what="failed authentication")

    def check(self, client: str, authorization: str | None) -> None:
        """Admit one write from ``client`` (an address, ``client_key``) with the raw
        ``Authorization`` header, or raise: ``Forbidden`` when writes are off,
        ``TooManyRequests`` when the token's or the client's failure bucket is empty,
        ``Unauthorized`` for a missing or wrong token."""
        if token_valid(self.upload, authorization):
            self.authorised.check(self.TOKEN_KEY)
            return
        self.failures.check(client)
        raise Unauthorized("missing or wrong bearer token")


class RateLimiter:
    """Token bucket per key: ``rate_per_minute`` requests, refilled continuously.

    Each key starts with a full bucket of ``burst`` tokens (default: a minute's worth,
    ``rate_per_minute``; at least 1), and gets ``rate_per_minute / 60`` tokens per second
    back. ``clock`` returns seconds (monotonic; tests pass a fake one). At ``max_keys``
    keys, full buckets are forgotten to bound memory. ``what`` names the requests in the
    429 message. Thread-safe."""

    def __init__(self, rate_per_minute: int, clock=time.monotonic, max_keys: int = 10_000, what: str = "upload",
                 burst: int | None = None):
        self.what = what
        self.capacity = max(1, rate_per_minute if burst is None else burst)
        self.refill_per_s = max(1, rate_per_minute) / 60.0
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        """Take one token for ``key`` or raise TooManyRequests with the wait in whole seconds
    (rounded up) until one token is back."""
        now = self.clock()
        with self._lock:
            if len(self._buckets) >= self.max_keys:  # bounded memory: forget full buckets
                self._buckets = {k: v for k, v in self._buckets.items() if self._level(v, now) < self.capacity}
            level = self._level(self._buckets.get(key, (self.capacity, now)), now)
            if level < 1:
                wait = math.ceil((1 - level) / self.refill_per_s)
                self._buckets[key] = (level, now)
                raise TooManyRequests(f"too many {self.what} requests; retry in {wait} s", wait)
            self._buckets[key] = (level - 1, now)

    def _level(self, bucket: tuple[float, float], now: float) -> float:
        tokens, since = bucket
        return min(self.capacity, tokens + (now - since) * self.refill_per_s)


def client_key(request: Request) -> str:
    """The client address: the peer, or what a trusted proxy forwarded (``service.server``)."""
    return request.client.host if request.client else "unknown"


READ_EXEMPT = ("/healthz", "/readyz", "/static/")


class ReadRateLimit:
    """ASGI middleware: ``read_rate_per_minute`` requests per client address (bursts of up
    to ``read_burst``, at most a minute's worth) for every request except the write endpoints (own limits), health checks and static assets.
    Over the limit: 429 with Retry-After in the one JSON error shape, and the connection is
    closed after it (requests pipelined behind it are not served). The key is the ASGI
    peer address (after uvicorn applied ``trusted_proxies``); ``read_rate_per_minute`` 0
    switches the limit off."""

    def __init__(self, app, http: HttpSettings, clock=time.monotonic):
        self.app = app
        self.limiter = RateLimiter(http.read_rate_per_minute, clock, what="read",
                                   burst=min(http.read_burst, http.read_rate_per_minute)) \
            if http.read_rate_per_minute > 0 else None

    async def __call__(self, scope, receive, send):
        if self.limiter is None or scope["type"] != "http" or scope["path"].startswith(READ_EXEMPT) \
                or (scope["path"].startswith("/api/documents") and scope["method"] in ("POST", "DELETE")):
            return await self.app(scope, receive, send)
        client = scope.get("client")
        try:
            self.limiter.check(client[0] if client else "unknown")
        except TooManyRequests as exc:
            headers = {**exc.headers, "Connection": "close"}  # pipelined requests behind it are dropped too
            if is_api_path(scope["path"]):
                response = JSONResponse(exc.to_dict(), status_code=429, headers=headers)
            else:  # a web page: the German page, same status and Retry-After
                response = rate_limited_page(scope, headers)
            return await response(scope, receive, send)
        return await self.app(scope, receive, send)


def limited_receive(receive, limit: int):
    """An ASGI ``receive`` that raises PayloadTooLarge once the body passes ``limit`` bytes
    (counted over the ``http.request`` messages received so far)."""
    seen = 0

    async def wrapped():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise PayloadTooLarge(f"upload is larger than the limit of {limit} bytes")
        return message

    return wrapped


def add_cors(api: FastAPI, http: HttpSettings) -> None:
    """Allow cross-origin GETs from the origins in ``http.cors_origins`` (comma-separated)
    only, without credentials (Starlette's ``CORSMiddleware``, preflight cached 600 s);
    nothing is added when the setting is empty."""
    origins = [o.strip() for o in http.cors_origins.split(",") if o.strip()]
    if not origins:
        return

    api.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET"], allow_credentials=False,
                       allow_headers=["Accept", "Content-Type"], max_age=600)
