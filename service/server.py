"""The HTTP server: uvicorn with h11 and bounded work per connection.

``praxisfinder serve``, the live-server helper of the tests and the benchmarks all build
their server here, so what is measured and tested is what runs. Limits (all settings):

- request head size (``http_max_header_bytes``): h11's ``max_incomplete_event_size``
  closes a connection whose head grows past it (400), so a header flood costs at most that
  much memory; a head that arrived complete in one read and is still too large gets 431 (uvicorn's default httptools parser has no
  such limit and parsed a 200 MB header for about a minute, stalling every other request);
- time to send a complete request head (``http_header_timeout_seconds``), counted from
  the connection's start and from the end of each response: a slow client ("slowloris")
  is disconnected instead of being held forever. uvicorn has no such timer, so
  :class:`BoundedH11Protocol` adds one to its h11 protocol;
- idle keep-alive connections (``http_keep_alive_seconds``, uvicorn's ``timeout_keep_alive``);
- connections plus requests in flight (``http_max_concurrency``, uvicorn's
  ``limit_concurrency``): more get an immediate 503;
- proxy headers (``X-Forwarded-For``/``-Proto``) only from ``trusted_proxies``; uvicorn
  trusts them from 127.0.0.1 by default, which let any local client pick its rate-limit key.
"""

from __future__ import annotations

import asyncio

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from core.settings import Settings


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus a deadline for receiving each complete request head.

    ``header_timeout`` (seconds) is set per server by ``protocol_class``. The timer runs
    from the connection's start and from the end of each response until h11 has a complete
    request head; when it fires on a connection still waiting for one, the connection is
    closed without a response (slowloris defence; uvicorn has no such timer)."""

    header_timeout: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the connection (uvicorn) and arm the head deadline."""
        self._head_deadline: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm_head_deadline()

    def data_received(self, data: bytes) -> None:
        """Feed ``data`` to h11 (uvicorn); cancel the deadline once the request head is complete."""
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the request head is complete
            self._cancel_head_deadline()

    def on_response_complete(self) -> None:
        """After a response on a kept-alive connection, arm the deadline for the next head."""
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        """Cancel the deadline and let uvicorn clean up."""
        self._cancel_head_deadline()
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        self._cancel_head_deadline()
        self._head_deadline = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _cancel_head_deadline(self) -> None:
        handle = getattr(self, "_head_deadline", None)
        if handle is not None:
            handle.cancel()
            self._head_deadline = None

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.logger.info("closing a connection that sent no complete request head in %.0f s", self.header_timeout)
            self.transport.close()


class HeadSizeLimit:
    """ASGI wrapper: 431 for a request whose line and headers exceed ``limit`` bytes.

    h11 bounds only an *incomplete* head; one that arrives complete in a single read (up
    to asyncio's read size) passes it, so the limit is checked again on the parsed head.
    """

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            size = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"") + \
                sum(len(k) + len(v) + 4 for k, v in scope.get("headers", []))
            if size > self.limit:
                body = (b'{"error":{"code":"header_too_large","message":"request line and headers are larger '
                        b'than the limit of %d bytes","detail":null}}' % self.limit)
                await send({"type": "http.response.start", "status": 431,
                            "headers": [(b"content-type", b"application/json"), (b"connection", b"close"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def protocol_class(header_timeout: float) -> type[BoundedH11Protocol]:
    """A ``BoundedH11Protocol`` subclass with ``header_timeout`` seconds (uvicorn takes a
    class for ``http=``, not an instance)."""
    return type("BoundedH11Protocol", (BoundedH11Protocol,), {"header_timeout": float(header_timeout)})


def trusted_proxies(settings: Settings) -> list[str]:
    """The addresses in ``settings.trusted_proxies`` (comma-separated; [] when empty): the
    only peers whose ``X-Forwarded-For``/``-Proto`` uvicorn honours."""
    return [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]


def server_config(app, settings: Settings, host: str | None = None, port: int | None = None,
                  **extra) -> uvicorn.Config:
    """A uvicorn Config for ``app`` with every limit of ``settings`` applied.

    ``app`` is wrapped in ``HeadSizeLimit``; ``host``/``port`` default to the settings;
    ``extra`` is passed to ``uvicorn.Config`` last (e.g. ``log_level``, ``lifespan``)."""
    proxies = trusted_proxies(settings)
    options = dict(
        host=host or settings.host, port=port or settings.port,
        http=protocol_class(settings.http_header_timeout_seconds), ws="none",
        h11_max_incomplete_event_size=settings.http_max_header_bytes,
        timeout_keep_alive=settings.http_keep_alive_seconds,
        limit_concurrency=settings.http_max_concurrency,
        proxy_headers=bool(proxies), forwarded_allow_ips=",".join(proxies) if proxies else "",
    )
    options.update(extra)
    return uvicorn.Config(HeadSizeLimit(app, settings.http_max_header_bytes), **options)
