"""Jobs for ``test_warm_workers.test_fork_server_job_statuses``: run in children forked from
a test fork server (``ingest.forkserver``)."""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time

STATE: dict = {}


def preload(args) -> None:
    """Keeps ``args["value"]`` in the zygote, as a real preload keeps its tables."""
    STATE["value"] = args["value"]


def preload_thread(_args) -> None:
    """Leaves a thread running: the zygote must refuse to fork."""
    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()


def preload_fails(_args) -> None:
    """A preload that cannot load: the zygote exits before it is ready."""
    raise ImportError("no such table")


def write() -> None:
    """Writes "<preloaded value> <own pid> <parent pid> <nice>" to ``sys.argv[1]``."""
    with open(sys.argv[1], "w") as fh:
        fh.write(f"{STATE.get('value')} {os.getpid()} {os.getppid()} {os.nice(0)}")


def fail() -> None:
    """Raises: exit status 1, the traceback in the job's stderr file."""
    raise ValueError("kaputt")


def exit_code() -> None:
    """Exits with the code in ``sys.argv[1]``."""
    sys.exit(int(sys.argv[1]))


def segfault() -> None:
    """Reads address 0: killed by SIGSEGV."""
    ctypes.string_at(0)


def sleep() -> None:
    """Sleeps past any test's timeout."""
    time.sleep(120)
