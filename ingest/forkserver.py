"""A warm fork server: a long-lived child process with its imports and tables loaded that
forks one fresh process per job.

The upload path runs untrusted work in child processes under resource limits (the
sandboxed parse, ``ingest.sandbox``; the index build, ``index.build_process``). Starting
each child as a new Python interpreter costs the imports (NLTK, pypdf: 1.5 s; the index
build: 3 s), and the build's analyzer tables and model are loaded again every time (4 s
and 4–13 s). Under load, at nice +10, that was 15 s before an upload was searchable. A
:class:`ForkServer` pays these once: its process (the *zygote*, the name Android and
Python's ``multiprocessing`` forkserver use) is started in the background, runs a
``preload`` function, and then, for each job, ``fork()``s a child that runs the job's
entry function with the same argv a fresh process would get. So every job still runs in
its own process, with its own resource limits (the entry sets ``RLIMIT_AS``/``RLIMIT_CPU``
as before; a forked child starts with zero CPU time), its memory freed at exit, and no
state carried from one job to the next; only the loading is shared, copy-on-write.

Guarantees:

- the zygote never sees untrusted data (it only forks); it runs at nice +10 and dies with
  the server (``PR_SET_PDEATHSIG``), and each job child dies with the zygote;
- a job child that crashes, is killed at the time limit, or runs out of memory is reported
  by its exit status (negative: the signal), as ``subprocess`` reports a fresh process;
- a zygote that dies (killed, out of memory, a failing preload) is started again by a
  monitor thread (after 1 s, doubling up to 60 s while it keeps dying within a minute);
  while none is alive, and while one is still loading past ``ready_wait_s``,
  :meth:`ForkServer.run` raises :class:`Unavailable` and the caller starts a fresh process
  as before (a zygote that cannot load costs an upload nothing but the fallback).

Protocol: JSON lines. The zygote writes ``{"ready": true, "pid", "preload_s"}`` once its
preload is done; the server writes ``{"entry": "module:function", "argv": [...],
"stderr": path}``; the zygote forks and answers ``{"pid": child}`` at once and
``{"pid": child, "status": returncode}`` when the child has exited. The zygote must be
single-threaded when it forks: the preload may not leave threads running.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

log = logging.getLogger("praxisfinder.forkserver")

NICE = 10
BACKOFF_S = (1.0, 60.0)  # first and largest wait before a dead zygote is started again


class Unavailable(RuntimeError):
    """The fork server cannot take a job now (stopped, dead, or still loading); run the job
    in a fresh process instead."""


def renice_to(level: int) -> None:
    """Raise this process' nice value to ``level`` (a forked child inherits its zygote's +10;
    ``os.nice`` adds, so a second +10 would give +19)."""
    current = os.nice(0)
    if current < level:
        os.nice(level - current)


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (prctl PR_SET_PDEATHSIG);
    elsewhere nothing happens."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _resolve(spec: str):
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


class ForkServer:
    """One zygote process, started and kept alive by this object (see the module docstring).

    :param name: for logs and ``describe()`` ("parse", "build").
    :param preload: ``"module:function"`` called once in the zygote with ``preload_args``
        (JSON data) before it reports ready; it imports and loads what the jobs need.
    :param ready_wait_s: how long :meth:`run` waits for a zygote that is still loading
        before it raises :class:`Unavailable`.
    """

    def __init__(self, name: str, preload: str, preload_args: Any = None, *, ready_wait_s: float = 120.0,
                 env: dict[str, str] | None = None):
        self.name = name
        self.preload = preload
        self.preload_args = preload_args
        self.ready_wait_s = ready_wait_s
        self.env = env
        self.jobs = 0  # jobs run by forked children (for tests and the upload's answer)
        self.starts = 0  # zygotes started (1 + restarts)
        self.preload_s: float | None = None
        self._proc: subprocess.Popen | None = None
        self._ready = threading.Event()
        self._loading = False  # a zygote is alive and running its preload
        self._stopping = threading.Event()
        self._job_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._monitor: threading.Thread | None = None
        self._buffer = b""

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> "ForkServer":
        """Start the zygote and its monitor thread in the background; returns at once."""
        if self._monitor is None:
            self._monitor = threading.Thread(target=self._watch, name=f"forkserver-{self.name}", daemon=True)
            self._monitor.start()
        return self

    @property
    def pid(self) -> int | None:
        """The zygote's process id once it is ready, else None."""
        proc = self._proc
        return proc.pid if proc is not None and self._ready.is_set() and proc.poll() is None else None

    def wait_ready(self, timeout: float) -> bool:
        """Block until a zygote is ready (True) or ``timeout`` seconds passed (False)."""
        return self._ready.wait(timeout)

    @property
    def state(self) -> str:
        """``ready``, ``loading`` (a zygote runs its preload), ``down`` (none alive: waiting
        to start one again) or ``stopped``."""
        if self._stopping.is_set():
            return "stopped"
        if self.pid is not None:
            return "ready"
        return "loading" if self._loading or self._monitor is not None and self.starts == 0 else "down"

    def describe(self) -> dict[str, Any]:
        """``{"mode": "warm", "state", "pid", "jobs", "starts", "preload_s"}`` of this fork server."""
        return {"mode": "warm", "state": self.state, "pid": self.pid, "jobs": self.jobs, "starts": self.starts,
                "preload_s": self.preload_s}

    def stop(self) -> None:
        """Stop the zygote (SIGKILL to its process group: a running job dies too) and the monitor."""
        self._stopping.set()
        self._ready.clear()
        proc = self._proc
        if proc is not None:
            _kill_group(proc.pid)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if self._monitor is not None:
            self._monitor.join(timeout=10)

    def _spawn(self) -> subprocess.Popen:
        cmd = [sys.executable, "-c", "from ingest.forkserver import _zygote; _zygote()", self.preload,
               str(os.getpid())]
        env = {**(self.env if self.env is not None else os.environ), "TOKENIZERS_PARALLELISM": "false"}
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None, env=env,
                                start_new_session=True)
        try:  # on stdin, not in argv: the arguments may hold the database URL (argv is public in /proc)
            proc.stdin.write((json.dumps(self.preload_args) + "\n").encode())
            proc.stdin.flush()
        except OSError:
            pass
        return proc

    def _watch(self) -> None:
        """Monitor thread: start the zygote, read its ready line, wait for it to exit, start
        it again unless stopping (with back-off while it keeps dying soon after start)."""
        wait = BACKOFF_S[0]
        while not self._stopping.is_set():
            began = time.monotonic()
            with self._state_lock:
                if self._stopping.is_set():
                    return
                self._buffer = b""
                proc = self._proc = self._spawn()
                self._loading = True
                self.starts += 1
            line = self._readline(proc, None)
            self._loading = False
            if line and line.get("ready"):
                self.preload_s = line.get("preload_s")
                self._ready.set()
                log.info("%s fork server ready (pid %s, preload %.1f s)", self.name, proc.pid,
                         self.preload_s or 0.0)
            proc.wait()
            self._ready.clear()
            if self._stopping.is_set():
                return
            log.warning("%s fork server (pid %s) exited with %s; starting it again", self.name, proc.pid,
                        proc.returncode)
            wait = BACKOFF_S[0] if time.monotonic() - began > 60 else min(BACKOFF_S[1], wait * 2)
            self._stopping.wait(wait)

    def _readline(self, proc: subprocess.Popen, timeout: float | None) -> dict[str, Any] | None:
        """The zygote's next JSON line, None at EOF; raises TimeoutError after ``timeout`` s."""
        deadline = None if timeout is None else time.monotonic() + timeout
        fd = proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            return json.loads(line)
        except ValueError:
            return None

    # -- jobs ----------------------------------------------------------------------------

    def run(self, entry: str, argv: list[str], *, stderr: Path, timeout: float) -> int | None:
        """Run ``entry`` (``"module:function"``, called without arguments, ``sys.argv`` =
        ``["-c", *argv]`` as in a fresh ``python -c`` process) in a child forked from the
        zygote; its stderr goes to the file ``stderr``. Returns the child's exit status
        (0, the ``SystemExit`` code, 1 for an uncaught exception, or minus the signal that
        killed it), or None when it ran past ``timeout`` seconds (then its process group
        was killed). One job at a time; others wait. Raises :class:`Unavailable` at once
        when no zygote is alive, after ``ready_wait_s`` when one is still loading, or when
        it dies before taking the job."""
        with self._job_lock:
            deadline = time.monotonic() + self.ready_wait_s
            while not self._ready.is_set():  # wait for a loading zygote, not for one that is down
                if self._stopping.is_set() or self.state != "loading" or time.monotonic() > deadline:
                    raise Unavailable(f"the {self.name} fork server is not ready ({self.state})")
                self._ready.wait(0.1)
            proc = self._proc
            try:
                proc.stdin.write((json.dumps({"entry": entry, "argv": list(argv), "stderr": str(stderr)}) + "\n")
                                 .encode())
                proc.stdin.flush()
                started = self._readline(proc, 30.0)
            except (OSError, ValueError, TimeoutError) as exc:
                raise Unavailable(f"the {self.name} fork server did not take the job: {exc}") from exc
            if not started or "pid" not in started:
                raise Unavailable(f"the {self.name} fork server exited before taking the job")
            child = int(started["pid"])
            self.jobs += 1
            try:
                done = self._readline(proc, timeout)
            except TimeoutError:
                _kill_group(child)
                try:
                    self._readline(proc, 10.0)  # the zygote reaps it and reports
                except TimeoutError:
                    pass
                return None
            if done is None:  # the zygote died meanwhile; its child died with it (PDEATHSIG)
                return -signal.SIGKILL
            return int(done["status"])


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _zygote() -> None:
    """Zygote entry: argv = preload ``module:function``, the server's pid; the first stdin
    line holds the preload's JSON arguments, every further line a job."""
    preload, parent = sys.argv[1], int(sys.argv[2])
    die_with_parent()
    if os.getppid() != parent:  # the server died before the line above
        sys.exit(1)
    renice_to(NICE)
    out = sys.stdout.buffer
    args = json.loads(sys.stdin.buffer.readline() or b"null")
    t = time.perf_counter()
    _resolve(preload)(args)
    if threading.active_count() > 1:  # fork() copies only the calling thread
        raise SystemExit(f"preload {preload} left {threading.active_count() - 1} threads running")
    out.write((json.dumps({"ready": True, "pid": os.getpid(), "preload_s": round(time.perf_counter() - t, 2)})
               + "\n").encode())
    out.flush()
    for raw in sys.stdin.buffer:
        job = json.loads(raw)
        pid = os.fork()
        if pid == 0:
            _child(job)  # never returns
        out.write((json.dumps({"pid": pid}) + "\n").encode())
        out.flush()
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        out.write((json.dumps({"pid": pid, "status": code}) + "\n").encode())
        out.flush()


def _child(job: dict[str, Any]) -> None:
    """In the forked child: own process group, stdin/stdout to /dev/null, stderr to the job's
    file, die with the zygote, run the entry, exit with its status."""
    code = 1
    try:
        os.setpgid(0, 0)
        die_with_parent()
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        err = os.open(job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(err, 2)
        os.close(null)
        os.close(err)
        sys.stdin = open(os.devnull)
        sys.stdout = open(os.devnull, "w")
        sys.stderr = os.fdopen(2, "w", buffering=1)
        sys.argv = ["-c", *job["argv"]]
        _resolve(job["entry"])()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported through stderr and the exit status
        try:
            traceback.print_exc()
        except BaseException:  # noqa: BLE001
            pass
        code = 1
    finally:
        try:
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001
            pass
        os._exit(code)
