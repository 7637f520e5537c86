"""The HTTP server: uvicorn with h11 and bounded work per connection and per client.

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
- time to send a request body (``http_body_timeout_seconds`` plus one second per
  ``http_body_min_rate`` bytes received, as Apache's mod_reqtimeout ``body=…,MinRate=…``):
  a body trickled at one byte per second is cut off with 408;
- time a client may leave a response unread (``http_send_timeout_seconds``, as nginx's
  ``send_timeout``): while the write buffer stays full that long, or a closed connection's
  last bytes stay unsent that long, the connection is aborted;
- idle keep-alive connections (``http_keep_alive_seconds``, uvicorn's ``timeout_keep_alive``);
- open connections per client address (``http_max_connections_per_client``; 429 and
  closed at once above it; addresses in ``trusted_proxies`` are exempt, a proxy carries many
  clients) and in all (``http_max_connections``; 503 and closed at once above it), counted
  apart from
- requests in flight (``http_max_concurrency``, :class:`RequestLimit`): more get an
  immediate 503 with ``Retry-After``. uvicorn's own ``limit_concurrency`` counted open
  connections too, so 100 idle connections from one address answered 503 for everyone;
- proxy headers (``X-Forwarded-For``/``-Proto``) only from ``trusted_proxies``; uvicorn
  trusts them from 127.0.0.1 by default, which let any local client pick its rate-limit key.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from core.settings import HttpSettings

log = logging.getLogger("praxisfinder.server")


def _raw_response(status: int, reason: str, code: str, message: str, retry_after: int | None) -> bytes:
    """A complete HTTP/1.1 response with the API's JSON error body and ``Connection: close``,
    for answers the server gives before or outside the ASGI app."""
    body = json.dumps({"error": {"code": code, "message": message, "detail": None}}).encode()
    head = [f"HTTP/1.1 {status} {reason}", "content-type: application/json", "connection: close",
            f"content-length: {len(body)}"]
    if retry_after is not None:
        head.append(f"retry-after: {retry_after}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body


class ConnectionBook:
    """Open connections of one server, in all and per client address (event-loop thread only).

    ``admit(host)`` returns None and counts the connection, or the refusal ``(status,
    reason, message)`` when ``host`` already has ``per_client`` connections (429; hosts in
    ``exempt`` never do) or the server has ``total`` (503). ``release(host)`` forgets one.
    Refusals are logged at most once per ``LOG_EVERY`` seconds, with their count."""

    LOG_EVERY = 10.0

    def __init__(self, total: int, per_client: int, exempt: frozenset[str] = frozenset()):
        self.total, self.per_client, self.exempt = total, per_client, exempt
        self.open = 0
        self.by_client: dict[str, int] = {}
        self.refused = 0
        self._logged_at = 0.0

    def admit(self, host: str) -> tuple[int, str, str] | None:
        """Count one new connection from ``host``, or say why it is refused."""
        if self.open >= self.total:
            refusal = (503, "Service Unavailable", f"the server has its limit of {self.total} open connections; "
                                                   "retry in a few seconds")
        elif host not in self.exempt and self.by_client.get(host, 0) >= self.per_client:
            refusal = (429, "Too Many Requests", f"too many open connections from your address (limit "
                                                 f"{self.per_client}); close idle ones or retry in a few seconds")
        else:
            self.open += 1
            self.by_client[host] = self.by_client.get(host, 0) + 1
            return None
        self.refused += 1
        now = time.monotonic()
        if now - self._logged_at >= self.LOG_EVERY:
            self._logged_at = now
            log.warning("refused %d connection(s) so far (last from %s: %s); %d open", self.refused, host,
                        refusal[1], self.open)
        return refusal

    def release(self, host: str) -> None:
        """Forget one connection from ``host`` (it was admitted)."""
        self.open -= 1
        left = self.by_client.get(host, 1) - 1
        if left > 0:
            self.by_client[host] = left
        else:
            self.by_client.pop(host, None)


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus per-client connection limits and deadlines for the request
    head, the request body and unread responses.

    The class attributes are set per server by :func:`protocol_class` (uvicorn takes a
    class, not an instance), including the shared :class:`ConnectionBook`.

    - Admission: a connection over its client's or the server's limit gets 429 or 503 with
      ``Retry-After`` and is closed without reading a request.
    - Head: the timer runs from the connection's start and from the end of each response
      until h11 has a complete request head; then the connection is closed without a
      response (slowloris defence; uvicorn has no such timer).
    - Body: from the end of the head, ``body_timeout`` seconds plus one second per
      ``body_min_rate`` bytes received (time while the app itself does not read is not
      counted); past it the client gets 408 and the connection is closed.
    - Send: while the transport's write buffer is over its high-water mark for
      ``send_timeout`` seconds, or a connection the server closed still has unsent bytes
      after that long, the connection is aborted.
    """

    header_timeout: float = 10.0
    body_timeout: float = 10.0
    body_min_rate: float = 4096.0
    send_timeout: float = 30.0
    book: ConnectionBook = ConnectionBook(1000, 20)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Admit the connection (or answer 429/503 and close it), start it (uvicorn) and arm
        the head deadline."""
        self._head_deadline: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._send_timer: asyncio.TimerHandle | None = None
        self._abort_timer: asyncio.TimerHandle | None = None
        self._body_started = 0.0
        self._body_bytes = 0
        peer = transport.get_extra_info("peername")
        self._host = str(peer[0]) if peer else "unknown"
        refusal = self.book.admit(self._host)
        self._admitted = refusal is None
        if refusal is not None:
            status, reason, message = refusal
            code = "too_many_connections" if status == 429 else "server_busy"
            transport.write(_raw_response(status, reason, code, message, 5))
            transport.close()
            return
        super().connection_made(transport)
        self._arm_head_deadline()

    def data_received(self, data: bytes) -> None:
        """Feed ``data`` to h11 (uvicorn); cancel the head deadline once the request head is
        complete, run the body deadline while a body is expected."""
        if not self._admitted:
            return
        in_body = self.conn.their_state is h11.SEND_BODY
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the request head is complete
            self._cancel_head_deadline()
        if self.conn.their_state is h11.SEND_BODY:
            if self._body_timer is None:
                self._body_started, self._body_bytes = self.loop.time(), 0
                self._body_timer = self.loop.call_later(self.body_timeout, self._body_check)
            elif in_body:
                self._body_bytes += len(data)
        else:
            self._cancel(self._body_timer)
            self._body_timer = None

    def on_response_complete(self) -> None:
        """After a response on a kept-alive connection, arm the deadline for the next head."""
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        """Cancel the timers, release the connection's count and let uvicorn clean up."""
        if not self._admitted:
            return
        self._admitted = False
        self.book.release(self._host)
        self._cancel_head_deadline()
        for timer in (self._body_timer, self._send_timer, self._abort_timer):
            self._cancel(timer)
        self._body_timer = self._send_timer = self._abort_timer = None
        super().connection_lost(exc)

    def pause_writing(self) -> None:
        """The write buffer is full (the client does not read): start the send deadline."""
        super().pause_writing()
        if self._send_timer is None:
            self._send_timer = self.loop.call_later(self.send_timeout, self._send_timed_out)

    def resume_writing(self) -> None:
        """The client reads again: stop the send deadline."""
        super().resume_writing()
        self._cancel(self._send_timer)
        self._send_timer = None

    def timeout_keep_alive_handler(self) -> None:
        """Close an idle kept-alive connection (uvicorn), with the send deadline for unsent bytes."""
        super().timeout_keep_alive_handler()
        self._abort_if_stuck()

    # -- timers --------------------------------------------------------------------------

    @staticmethod
    def _cancel(handle: asyncio.TimerHandle | None) -> None:
        if handle is not None:
            handle.cancel()

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
            self._abort_if_stuck()

    def _body_check(self) -> None:
        """The body deadline: re-armed while the client keeps the minimum rate (or while the
        app has paused reading), else 408 and close."""
        self._body_timer = None
        if self.conn.their_state is not h11.SEND_BODY or self.transport.is_closing():
            return
        now = self.loop.time()
        if self.flow.read_paused:  # the app is not reading: not the client's fault
            self._body_started = now - self._body_bytes / self.body_min_rate
            self._body_timer = self.loop.call_later(self.body_timeout, self._body_check)
            return
        deadline = self._body_started + self.body_timeout + self._body_bytes / self.body_min_rate
        if now < deadline:
            self._body_timer = self.loop.call_later(deadline - now, self._body_check)
            return
        self.logger.info("closing a connection whose request body arrived slower than %.0f bytes/s",
                         self.body_min_rate)
        cycle = self.cycle
        if cycle is not None and not cycle.response_started:
            self.transport.write(_raw_response(
                408, "Request Timeout", "request_timeout",
                f"the request body arrived too slowly (less than {self.body_min_rate:.0f} bytes per second "
                f"after the first {self.body_timeout:.0f} s)", None))
        if cycle is not None:  # the app sees a disconnect; anything it still sends is dropped
            cycle.disconnected = True
            cycle.message_event.set()
        self.transport.close()
        self._abort_if_stuck()

    def _send_timed_out(self) -> None:
        self._send_timer = None
        if self.flow.write_paused:
            self.logger.info("aborting a connection that read nothing of its response for %.0f s", self.send_timeout)
            self.transport.abort()

    def _abort_if_stuck(self) -> None:
        """After a close: abort if the last bytes are still unsent after ``send_timeout``."""
        if self._abort_timer is None:
            self._abort_timer = self.loop.call_later(self.send_timeout, self.transport.abort)


class RequestLimit:
    """ASGI wrapper: at most ``limit`` HTTP requests in flight; more get an immediate 503
    with ``Retry-After: 1`` in the API's error shape. ``/healthz`` is exempt (liveness).
    Counts only requests, never idle or slow connections (those have their own limits in
    :class:`BoundedH11Protocol`)."""

    EXEMPT = ("/healthz",)

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit
        self.in_flight = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("path") in self.EXEMPT:
            return await self.app(scope, receive, send)
        if self.in_flight >= self.limit:
            body = json.dumps({"error": {"code": "server_busy", "message": f"the server is handling its limit of "
                                         f"{self.limit} requests; retry in a second", "detail": None}}).encode()
            await send({"type": "http.response.start", "status": 503,
                        "headers": [(b"content-type", b"application/json"), (b"retry-after", b"1"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


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


def protocol_class(header_timeout: float, body_timeout: float = 10.0, body_min_rate: float = 4096.0,
                   send_timeout: float = 30.0, max_connections: int = 1000, max_per_client: int = 20,
                   exempt: frozenset[str] = frozenset()) -> type[BoundedH11Protocol]:
    """A ``BoundedH11Protocol`` subclass with these limits (seconds, bytes per second,
    connections) and its own :class:`ConnectionBook`; uvicorn takes a class for ``http=``,
    not an instance. ``exempt`` addresses (trusted proxies) have no per-client limit."""
    return type("BoundedH11Protocol", (BoundedH11Protocol,), {
        "header_timeout": float(header_timeout), "body_timeout": float(body_timeout),
        "body_min_rate": float(body_min_rate), "send_timeout": float(send_timeout),
        "book": ConnectionBook(max_connections, max_per_client, frozenset(exempt))})


def trusted_proxies(http: HttpSettings) -> list[str]:
    """The addresses in ``http.trusted_proxies`` (comma-separated; [] when empty): the
    only peers whose ``X-Forwarded-For``/``-Proto`` uvicorn honours."""
    return [p.strip() for p in http.trusted_proxies.split(",") if p.strip()]


def server_config(app, http: HttpSettings, host: str | None = None, port: int | None = None,
                  **extra) -> uvicorn.Config:
    """A uvicorn Config for ``app`` with every limit of ``http`` (the HTTP settings) applied.

    ``app`` is wrapped in ``RequestLimit`` and ``HeadSizeLimit``; ``host``/``port`` default
    to the settings; ``extra`` is passed to ``uvicorn.Config`` last (e.g. ``log_level``,
    ``lifespan``)."""
    proxies = trusted_proxies(http)
    protocol = protocol_class(http.header_timeout_seconds, http.body_timeout_seconds,
                          http.body_min_rate, http.send_timeout_seconds,
                          http.max_connections, http.max_connections_per_client,
                          frozenset(proxies))
    options = dict(
        host=host or http.host, port=port or http.port, http=protocol, ws="none",
        h11_max_incomplete_event_size=http.max_header_bytes,
        timeout_keep_alive=http.keep_alive_seconds,
        limit_concurrency=None,  # counted open connections too; requests are limited by RequestLimit
        proxy_headers=bool(proxies), forwarded_allow_ips=",".join(proxies) if proxies else "",
    )
    options.update(extra)
    wrapped = RequestLimit(HeadSizeLimit(app, http.max_header_bytes), http.max_concurrency)
    return uvicorn.Config(wrapped, **options)
