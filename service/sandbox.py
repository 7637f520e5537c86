"""Read an untrusted file in a child process with CPU-time and memory limits.

PDF parsing is where hostile input hurts (page-count, nesting and decompression
bombs); doing it in a subprocess with ``RLIMIT_CPU``/``RLIMIT_AS`` and a wall-clock
timeout bounds the time and memory a single upload can cost the server. The child
imports only ``ingest.readers`` and ``ingest.structure`` (about a second to start).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ingest.errors import IngestError
from ingest.settings import Settings

log = logging.getLogger("praxisfinder.upload")


def check_file(path: Path, settings: Settings) -> dict[str, Any]:
    """Read and clean ``path`` in a subprocess with CPU and memory limits (the risky part:
    PDF parsing); chunking happens later in the build.

    Return ``{"pages", "characters", "title"}``; raise IngestError with the reason (bad file,
    too slow, too much memory) otherwise.
    """
    limits = {"cpu_s": settings.upload_check_seconds, "memory_mb": settings.upload_check_memory_mb}
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    cmd = [sys.executable, "-c", "from service.sandbox import _check_main; _check_main()",
           str(path), json.dumps(limits)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env,
                              timeout=settings.upload_check_seconds * 2 + 10)
    except subprocess.TimeoutExpired as exc:
        raise IngestError(f"reading the file took longer than {settings.upload_check_seconds} s") from exc
    lines = proc.stdout.strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {}
    except ValueError:
        answer = {}
    if proc.returncode == 0 and answer.get("ok"):
        return {k: answer[k] for k in ("pages", "characters", "title")}
    if answer.get("reason"):
        raise IngestError(answer["reason"])
    if proc.returncode < 0 or proc.returncode in (137, 152):  # killed: SIGKILL / SIGXCPU
        raise IngestError(f"reading the file exceeded the time or memory limit (signal {-proc.returncode})")
    log.warning("upload check failed with exit code %s", proc.returncode)
    raise IngestError("the file could not be read")


def _check_main() -> None:
    """Subprocess entry: argv = path, limits JSON; prints one JSON line."""
    import resource

    from ingest.readers import read_document
    from ingest.structure import build

    path, limits = Path(sys.argv[1]), json.loads(sys.argv[2])
    cpu, mem = int(limits["cpu_s"]), int(limits["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    sys.setrecursionlimit(2000)
    try:
        raw = read_document(path)
        cleaned = build(raw.pages)
        if not cleaned.text.strip():
            raise IngestError("no text left after cleaning")
        title = cleaned.first_heading or next((ln.strip() for ln in cleaned.text.splitlines() if ln.strip()), "")
        out = {"ok": True, "pages": len(raw.pages), "characters": len(cleaned.text), "title": title[:160]}
    except IngestError as exc:
        out = {"ok": False, "reason": exc.message}
    except MemoryError:
        out = {"ok": False, "reason": "reading the file needed more memory than allowed"}
    except RecursionError:
        out = {"ok": False, "reason": "corrupt file: nesting too deep"}
    print(json.dumps(out, ensure_ascii=False), flush=True)
