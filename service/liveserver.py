"""Run an ASGI app with uvicorn on a free loopback port in a background thread.

Used by the benchmark (``service.bench``) and the browser tests: a real server, real
sockets, no mocks, with the same limits as ``praxisfinder serve`` (``service.server``).
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from core.settings import Settings
from service.server import server_config


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` the OS reports free now (bind to port 0); another process may
    still take it before the server binds."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class LiveServer:
    """``with LiveServer(app) as server: requests to server.url``.

    Entering starts uvicorn in a daemon thread and waits until it listens (``RuntimeError``
    after 30 s or if the thread dies); leaving asks it to exit and joins for up to 10 s.
    Lifespan events are off and the access log is silent."""

    def __init__(self, app, host: str = "127.0.0.1", port: int | None = None, log_level: str = "warning",
                 settings: Settings | None = None):
        """The server has the limits of ``settings`` (default: the environment's), like ``serve``."""
        self.host = host
        self.port = port or free_port(host)
        config = server_config(app, settings or Settings.from_env(), host, self.port, log_level=log_level,
                               access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="praxisfinder-live-server", daemon=True)

    @property
    def url(self) -> str:
        """``http://host:port`` of the server, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.url} did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
