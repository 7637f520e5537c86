"""Run an ASGI app with uvicorn on a free loopback port in a background thread.

Used by the benchmark (``tools.bench_search``) and the browser tests: a real server, real
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
        config = server_config(app, (settings or Settings.from_env()).http, host, self.port, log_level=log_level,
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


class ServerProcess:
    """``with ServerProcess(env={...}) as server:`` -- the real ``praxisfinder serve`` in a
    child process on a free loopback port (benchmarks that must measure what runs).

    Entering starts it with ``env`` added to this process's environment and waits until
    ``/readyz`` answers 200 (``RuntimeError`` after ``ready_timeout`` seconds or when it
    exits); leaving stops it (SIGTERM to its pid, then SIGKILL after 10 s). Its output goes
    to ``log`` (a path; default: discarded); ``cwd`` runs it from another checkout (its
    modules come first on the path). ``pid`` is the server's process id."""

    def __init__(self, env: dict[str, str] | None = None, host: str = "127.0.0.1", port: int | None = None,
                 ready_timeout: float = 180.0, log=None, cwd: str | None = None):
        self.host = host
        self.cwd = cwd
        self.port = port or free_port(host)
        self.env = dict(env or {})
        self.ready_timeout = ready_timeout
        self.log = log
        self.proc = None

    @property
    def url(self) -> str:
        """``http://host:port`` of the server, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.proc.pid

    def __enter__(self) -> "ServerProcess":
        import os
        import subprocess
        import sys

        import httpx

        cli = [sys.executable, "-c", "from service.cli import main; main()", "serve", "--host", self.host,
               "--port", str(self.port)]
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL
        self.proc = subprocess.Popen(cli, env={**os.environ, **self.env}, stdout=out, stderr=subprocess.STDOUT,
                                     cwd=self.cwd)
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server on {self.url} exited with {self.proc.returncode}")
            try:
                if httpx.get(self.url + "/readyz", timeout=5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.__exit__()
        raise RuntimeError(f"server on {self.url} not ready after {self.ready_timeout:.0f} s")

    def __exit__(self, *exc) -> None:
        import subprocess

        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
