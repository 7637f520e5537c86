"""Ingest an untrusted file in a child process with CPU-time and memory limits.

PDF parsing is where hostile input hurts (page-count, nesting and decompression bombs),
and cleaning and chunking run on whatever text comes out. The child does the whole
document build (read, clean, chunk: :func:`ingest.pipeline.ingest_one`) under
``RLIMIT_CPU``/``RLIMIT_AS``, a wall-clock timeout and at lower priority (nice +10), and returns the Document and its
Passages as JSON; the server indexes exactly that, so untrusted bytes are parsed once and
only under limits. The child imports only ``ingest`` (about a second to start).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from core.errors import IngestError
from core.schema import Document, Passage
from core.settings import Settings

log = logging.getLogger("praxisfinder.sandbox")

def ingest_sandboxed(path: Path, settings: Settings, doc_id: str) -> tuple[Document, list[Passage], dict[str, Any]]:
    """Read, clean and chunk ``path`` in a resource-limited subprocess.

    Returns ``(document, passages, checked)`` with ``checked = {"pages", "characters",
    "passages", "title"}``; raises IngestError with the reason (bad file, over a size limit,
    too slow: ``upload_check_seconds`` of CPU, too much memory: ``upload_check_memory_mb``).
    """
    limits = {"cpu_s": settings.upload.check_seconds, "memory_mb": settings.upload.check_memory_mb}
    child = settings.as_env()  # the whole configuration (secrets left out), so no setting is forgotten
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory(prefix="praxisfinder-sandbox-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-c", "from ingest.sandbox import _main; _main()",
               str(path), doc_id, json.dumps(limits), json.dumps(child), str(out)]
        wall = settings.upload.check_seconds * 2 + 10  # start-up and a busy machine's share of the CPU limit
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=wall)
        except subprocess.TimeoutExpired as exc:  # on a busy machine this can come before the CPU limit
            raise IngestError(f"reading the file exceeded the time limit ({settings.upload.check_seconds} s of CPU, "
                              f"{wall} s in all)") from exc
        try:
            answer = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            answer = {}
    if proc.returncode == 0 and answer.get("ok"):
        document = Document.from_dict(answer["document"])
        passages = [Passage.from_dict(p) for p in answer["passages"]]
        checked = {"pages": document.pages, "characters": len(document.text), "passages": len(passages),
                   "title": document.title}
        return document, passages, checked
    if answer.get("reason"):
        raise IngestError(answer["reason"], answer.get("detail"))
    if proc.returncode < 0 or proc.returncode in (137, 152):  # killed: SIGKILL / SIGXCPU
        raise IngestError(f"reading the file exceeded the time or memory limit (signal {-proc.returncode})")
    log.warning("sandboxed ingest failed with exit code %s: %s", proc.returncode, proc.stderr[-500:])
    raise IngestError("the file could not be read")


def _main() -> None:
    """Subprocess entry: argv = path, doc id, limits JSON, settings JSON, output path."""
    # lazy: POSIX-only module, used by the sandboxed child alone
    import resource

    # lazy: the parent only spawns the child; ingest.pipeline loads NLTK's Punkt (~3 s) there
    from ingest.pipeline import ingest_one

    path, doc_id, limits, child, out = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4]), sys.argv[5]
    cpu, mem = int(limits["cpu_s"]), int(limits["memory_mb"]) * 1024 * 1024
    os.nice(10)  # searches in the serving process come first
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    sys.setrecursionlimit(2000)
    settings = Settings.from_env(env=child)
    try:
        document, passages = ingest_one(Path(path), settings, doc_id)
        answer = {"ok": True, "document": asdict(document), "passages": [asdict(p) for p in passages]}
    except IngestError as exc:
        detail = exc.detail if isinstance(exc.detail, dict) else None
        answer = {"ok": False, "reason": exc.message,
                  "detail": {k: v for k, v in (detail or {}).items() if k != "path"} or None}
    except MemoryError:
        answer = {"ok": False, "reason": "reading the file needed more memory than allowed"}
    except RecursionError:
        answer = {"ok": False, "reason": "corrupt file: nesting too deep"}
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(answer, fh, ensure_ascii=False)
