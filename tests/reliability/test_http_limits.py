"""Bounded HTTP (issue 16, items 1 and 5) against a real uvicorn server on loopback:
header floods and slow clients are cut off, a limit on requests in flight holds, proxy headers are
trusted only from configured proxies, and anonymous clients cannot lock the token out."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from index.model.embedder import HashEmbedder
from service.api import create_app
from service.application import Application
from tools.liveserver import LiveServer
from tests.reliability.conftest import AUTH

pytestmark = pytest.mark.integration


def serve(settings, **limits):
    settings = settings.with_(**limits)
    return LiveServer(create_app(settings, Application(settings, embedder=HashEmbedder(64))), settings=settings)


def connect(server) -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=10)
    return sock


def read_until_closed(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        pass
    return data


def test_header_flood_is_cut_off_and_searches_keep_answering(data_settings):
    with serve(data_settings, http_max_header_bytes=16384) as server:
        sent, closed = [0], threading.Event()

        def flood():
            sock = connect(server)
            try:
                sock.sendall(b"GET /api/search?q=Ehrenamt HTTP/1.1\r\nHost: x\r\nX-Flood: ")
                block = b"a" * 65536
                for _ in range(3200):  # up to 200 MB
                    sock.sendall(block)
                    sent[0] += len(block)
            except OSError:
                closed.set()
            finally:
                sock.close()

        flooders = [threading.Thread(target=flood) for _ in range(4)]
        for t in flooders:
            t.start()
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for _ in range(5):
                assert client.get("/api/search", params={"q": "Ehrenamt", "mode": "bm25"}).status_code == 200
        for t in flooders:
            t.join(timeout=60)
        assert closed.is_set() and not any(t.is_alive() for t in flooders)
        assert sent[0] < 4 * 200 * 1024 * 1024  # the server hung up long before 200 MB each


def test_oversized_head_gets_400(data_settings):
    with serve(data_settings, http_max_header_bytes=4096) as server:
        sock = connect(server)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 8000 + b"\r\n\r\n")
        assert read_until_closed(sock, 10).startswith(b"HTTP/1.1 431")  # complete head in one read
        sock = connect(server)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
        for _ in range(20):  # an incomplete head growing past the limit
            try:
                sock.sendall(b"b" * 1000)
            except OSError:
                break
            time.sleep(0.01)
        assert read_until_closed(sock, 10).startswith(b"HTTP/1.1 400")
        ok = httpx.get(server.url + "/healthz", headers={"X-Fine": "c" * 2000})
        assert ok.status_code == 200


def test_slow_client_is_disconnected(data_settings):
    with serve(data_settings, http_header_timeout_seconds=1.0, http_keep_alive_seconds=30) as server:
        # slowloris: a head that never completes
        sock = connect(server)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        t0 = time.monotonic()
        assert read_until_closed(sock, 10) == b""
        assert time.monotonic() - t0 < 8
        # after a response, trickling bytes (which reset uvicorn's keep-alive timer) does not help
        sock = connect(server)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        t0, closed = time.monotonic(), False
        try:
            for ch in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1234567890":
                sock.send(bytes([ch]))
                time.sleep(0.2)
                if sock.recv(1, socket.MSG_DONTWAIT) == b"":
                    closed = True
                    break
        except BlockingIOError:
            pass
        except OSError:
            closed = True
        if not closed:
            closed = read_until_closed(sock, 5) == b""
        assert closed and time.monotonic() - t0 < 10


def test_concurrency_limit_answers_503(data_settings):
    """Requests in flight (here two uploads waiting for their bodies) are limited; the next
    request gets 503 with Retry-After, and once they finish requests are served again."""
    from tests.reliability.conftest import TOKEN

    head = (b"POST /api/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() +
            b"\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 100000\r\n\r\n--B\r\n")
    with serve(data_settings, http_max_concurrency=2) as server:
        waiting = [connect(server), connect(server)]
        for sock in waiting:
            sock.sendall(head)
        time.sleep(0.3)
        r = httpx.get(server.url + "/api/documents")
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        assert r.json()["error"]["code"] == "server_busy"
        assert httpx.get(server.url + "/healthz").status_code == 200  # liveness is exempt
        for sock in waiting:
            sock.close()
        time.sleep(0.3)
        assert httpx.get(server.url + "/api/documents").status_code == 200


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(data_settings):
    """30 requests with 30 spoofed X-Forwarded-For addresses: without a trusted proxy they
    all count against the one real peer (429 after the limit)."""
    bad = {"Authorization": "Bearer wrong"}
    with serve(data_settings, auth_failures_per_minute=5) as server, httpx.Client(base_url=server.url) as client:
        codes = [client.delete("/api/documents/x", headers={**bad, "X-Forwarded-For": f"10.9.{i}.1"}).status_code
                 for i in range(30)]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    with serve(data_settings, auth_failures_per_minute=5, trusted_proxies="127.0.0.1") as server, \
            httpx.Client(base_url=server.url) as client:
        codes = [client.delete("/api/documents/x", headers={**bad, "X-Forwarded-For": f"10.9.{i}.1"}).status_code
                 for i in range(30)]
    assert set(codes) == {401}  # a trusted proxy's forwarded addresses are the clients


def test_anonymous_failures_do_not_lock_out_the_token(data_settings, make_client):
    client = make_client(data_settings.with_(auth_failures_per_minute=3, upload_rate_per_minute=4))
    anonymous = [client.delete("/api/documents/x", headers={"Authorization": "Bearer nope"}).status_code
                 for _ in range(10)]
    assert anonymous[:3] == [401] * 3 and set(anonymous[3:]) == {429}
    admin = [client.delete("/api/documents/gibt-es-nicht", headers=AUTH).status_code for _ in range(5)]
    assert admin == [404] * 4 + [429]  # the token's own limit, untouched by the failures


def test_reads_have_a_per_client_limit(data_settings, make_client):
    client = make_client(data_settings.with_(read_rate_per_minute=5))
    codes = [client.get("/api/documents").status_code for _ in range(7)]
    assert codes == [200] * 5 + [429] * 2
    r = client.get("/api/search", params={"q": "Ehrenamt"})
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited" and int(r.headers["retry-after"]) >= 1
    assert r.headers["connection"] == "close"  # pipelined requests behind it are not served
    assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200


def test_default_read_limit_leaves_most_of_the_capacity_to_others():
    """One address may send at most a sixth of what a 2-core server answers (~23 searches
    per second, docs/measurements.md "Latency and load") after a short burst."""
    from core.settings import Settings
    from service.security import RateLimiter, TooManyRequests

    defaults = Settings.from_env({})
    assert defaults.http.read_rate_per_minute / 60 <= 23 / 5 and defaults.http.read_burst <= 60
    now = [0.0]
    limiter = RateLimiter(defaults.http.read_rate_per_minute, clock=lambda: now[0], what="read",
                          burst=min(defaults.http.read_burst, defaults.http.read_rate_per_minute))
    admitted = 0
    for step in range(600):  # 60 s of a client asking 10 times per second
        now[0] = step / 10
        try:
            limiter.check("one-address")
            admitted += 1
        except TooManyRequests:
            pass
    assert admitted <= defaults.http.read_burst + defaults.http.read_rate_per_minute + 1
    assert admitted / 60 < 23 / 4  # well under the server's capacity
