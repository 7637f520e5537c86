"""Connections bounded per client (issue 27, item 1) against a real uvicorn server on
loopback: idle, slowloris and slow-body connections from one address cannot take the
service from others; a trickled body gets 408; a client that reads nothing of its
responses is disconnected. Other clients come from 127.0.0.2, so the per-address limit
applies to the attacker only. Every test opens a bounded number of sockets, targets
127.0.0.1 only and closes them itself."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import httpx
import pytest

from tools.liveserver import LiveServer
from tests.reliability.conftest import TOKEN
from tests.reliability.test_http_limits import read_until_closed, serve

pytestmark = pytest.mark.integration

OTHER = "127.0.0.2"  # another client address on loopback (Linux routes all of 127.0.0.0/8 to lo)


def connect(server: LiveServer, source: str = "127.0.0.1") -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=10, source_address=(source, 0))


def other_client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30, transport=httpx.HTTPTransport(local_address=OTHER))


def status_of(sock: socket.socket, timeout: float = 10) -> int | None:
    """The status code of the first response on ``sock`` (None if it closes without one)."""
    data = read_until_closed(sock, timeout)
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else None


@contextlib.contextmanager
def sockets(n: int, server: LiveServer, first: bytes = b""):
    """``n`` connections from 127.0.0.1, each having sent ``first``; closed on exit."""
    opened = []
    try:
        for _ in range(n):
            try:
                s = connect(server)
                if first:
                    s.sendall(first)
                opened.append(s)
            except OSError:
                pass
        yield opened
    finally:
        for s in opened:
            s.close()


def wait_until(predicate, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def book(server: LiveServer):
    return server.server.config.http.book


def test_per_client_limit_answers_429_and_spares_other_clients(data_settings):
    with serve(data_settings, http_max_connections_per_client=3) as server, sockets(3, server) as idle:
        assert wait_until(lambda: book(server).by_client.get("127.0.0.1") == 3)
        extra = connect(server)
        assert status_of(extra) == 429
        with other_client(server) as client:
            r = client.get("/api/search", params={"q": "Ehrenamt", "mode": "bm25"})
            assert r.status_code == 200
        for s in idle:
            s.close()
        assert wait_until(lambda: "127.0.0.1" not in book(server).by_client)
        assert httpx.get(server.url + "/healthz").status_code == 200


@pytest.mark.parametrize("first", [b"", b"GET /api/search?q=Ehrenamt HTTP/1.1\r\nHost: x\r\n",
                                   b"POST /api/documents HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\nab"],
                         ids=["idle", "slow-head", "slow-body"])
def test_many_connections_from_one_address_leave_others_served(data_settings, first):
    """60 idle, slowloris or slow-body connections from one address (per-client limit 10):
    at most 10 are held, the rest are refused at once, and another address searches with
    200 throughout (the old concurrency limit of 100 connections answered 503 to all)."""
    with serve(data_settings, http_max_connections_per_client=10, http_max_concurrency=8) as server, \
            sockets(60, server, first) as held, other_client(server) as client:
        assert wait_until(lambda: book(server).by_client.get("127.0.0.1", 0) == 10)
        codes = [client.get("/api/search", params={"q": f"Ehrenamt {i}", "mode": "bm25"}).status_code
                 for i in range(10)]
        assert codes == [200] * 10
        assert book(server).open <= 10 + 1 and len(held) == 60


def test_total_connection_limit_answers_503(data_settings):
    with serve(data_settings, http_max_connections=4, http_max_connections_per_client=100) as server, \
            sockets(4, server):
        assert wait_until(lambda: book(server).open == 4)
        assert status_of(connect(server, OTHER)) == 503


UPLOAD = (b"POST /api/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() +
          b"\r\nContent-Type: multipart/form-data; boundary=B\r\n")
PART = b'--B\r\nContent-Disposition: form-data; name="file"; filename="langsam.txt"\r\n\r\n'


def trickle(sock: socket.socket, byte: bytes, seconds: float) -> bytes:
    """Send ``byte`` every 0.25 s and collect what comes back until the server closes (or ``seconds``)."""
    got, t0 = b"", time.monotonic()
    sock.settimeout(0.25)
    while time.monotonic() - t0 < seconds:
        try:
            if byte:
                sock.send(byte)
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
        except socket.timeout:
            continue
        except OSError:
            break
    return got


@pytest.mark.parametrize("head, byte", [
    (UPLOAD + b"Content-Length: 100000\r\n\r\n" + PART, b"a"),
    (UPLOAD + b"Transfer-Encoding: chunked\r\n\r\n%x\r\n" % len(PART) + PART + b"\r\n", b"1\r\na\r\n"),
    (UPLOAD + b"Content-Length: 100000\r\n\r\n" + PART + b"b" * 60_000, b""),  # most of it, then nothing
], ids=["content-length", "chunked", "stalls-midway"])
def test_slow_body_gets_408(data_settings, head, byte):
    with serve(data_settings, http_body_timeout_seconds=1.0, http_body_min_rate=1000) as server:
        sock = connect(server)
        sock.sendall(head)
        got = trickle(sock, byte, 120)
        assert got.startswith(b"HTTP/1.1 408") and b"request_timeout" in got
        assert wait_until(lambda: book(server).open == 0)
        with other_client(server) as client:
            assert client.get("/healthz").status_code == 200


def test_unread_slow_body_is_cut_off_after_the_response(data_settings):
    """A body the app never reads (a search with a trickled body): the answer comes at once,
    and the connection is closed at the body deadline instead of being held."""
    with serve(data_settings, http_body_timeout_seconds=1.0, http_body_min_rate=1000,
               http_keep_alive_seconds=60, http_header_timeout_seconds=60) as server:
        sock = connect(server)
        sock.sendall(b"GET /api/search?q=Ehrenamt&mode=bm25 HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        got = trickle(sock, b"a", 30)
        assert got.startswith(b"HTTP/1.1 200")
        assert wait_until(lambda: book(server).open == 0)


def test_body_at_a_fair_rate_is_read(data_settings):
    """A body faster than the minimum rate passes, however long it takes in all."""
    with serve(data_settings, http_body_timeout_seconds=1.0, http_body_min_rate=1000) as server:
        sock = connect(server)
        body = b"--B\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\n" + b"x" * 3000 + b"\r\n--B--\r\n"
        sock.sendall(b"POST /api/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() +
                     b"\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: %d\r\n\r\n" % len(body))
        for k in range(0, len(body), 500):  # over 1.5 s at about 2,000 bytes/s: past the 1 s base
            sock.sendall(body[k:k + 500])
            time.sleep(0.25)
        assert status_of(sock, 5) == 400  # the app read the whole body: "no file in the multipart field"


def test_client_that_does_not_read_is_disconnected(data_settings):
    """A client that pipelines many requests and reads nothing: once the server's write
    buffer is full for ``http_send_timeout_seconds`` the connection is aborted and its slot freed."""
    with serve(data_settings, http_send_timeout_seconds=1.0, http_keep_alive_seconds=30,
               read_rate_per_minute=0) as server:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(10)
        sock.connect((server.host, server.port))
        request = b"GET /api/documents HTTP/1.1\r\nHost: x\r\n\r\n"
        stop = threading.Event()

        def pipeline():
            try:
                for _ in range(5000):
                    if stop.is_set():
                        break
                    sock.sendall(request)
            except OSError:
                pass

        sender = threading.Thread(target=pipeline, daemon=True)
        sender.start()
        try:
            assert wait_until(lambda: book(server).open == 1, 10)
            assert wait_until(lambda: book(server).open == 0, 30)
        finally:
            stop.set()
            sock.close()
            sender.join(timeout=10)
        assert httpx.get(server.url + "/healthz").status_code == 200


def test_requests_in_flight_are_limited_apart_from_connections(data_settings):
    """Idle connections no longer count against the request limit (they did: 2 idle
    connections with a limit of 2 answered 503 to the next request)."""
    with serve(data_settings, http_max_concurrency=2) as server, sockets(5, server):
        assert wait_until(lambda: book(server).open == 5)
        assert httpx.get(server.url + "/api/documents").status_code == 200
