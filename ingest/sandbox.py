"""Ingest an untrusted file in a child process with CPU-time and memory limits.

PDF parsing is where hostile input hurts (page-count, nesting and decompression bombs),
and cleaning and chunking run on whatever text comes out. The child does the whole
document build (read, clean, chunk: :func:`ingest.pipeline.ingest_one`) under
``RLIMIT_CPU``/``RLIMIT_AS``, a wall-clock timeout and at lower priority (nice +10), and returns the Document and its
Passages as JSON; the server indexes exactly that, so untrusted bytes are parsed once and
only under limits. The child imports only ``ingest`` (about a second to start; 6–8 s at
nice +10 on a loaded machine, against 0.1–0.3 s for the parse itself).

With a warm :class:`ingest.forkserver.ForkServer` (``parse_server()``: the serving process
starts one for uploads), the child is forked from a process that has these imports loaded
and runs the same entry with the same limits; without one, or while it is unavailable, a
fresh process is started as before.
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
from ingest.forkserver import ForkServer, Unavailable, renice_to

log = logging.getLogger("praxisfinder.sandbox")

def parse_server() -> ForkServer:
    """A fork server for :func:`ingest_sandboxed` (not started): its zygote imports the
    ingest pipeline and the PDF libraries and reads a small text once (``_preload``)."""
    return ForkServer("parse", "ingest.sandbox:_preload", None, env=_child_env())


def _child_env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def ingest_sandboxed(path: Path, settings: Settings, doc_id: str,
                     server: ForkServer | None = None) -> tuple[Document, list[Passage], dict[str, Any]]:
    """Read, clean and chunk ``path`` in a resource-limited subprocess: forked from
    ``server`` when one is given and ready (``parse_server``), else a fresh process.

    Returns ``(document, passages, checked)`` with ``checked = {"pages", "characters",
    "passages", "title"}``; raises IngestError with the reason (bad file, over a size limit,
    too slow: ``upload_check_seconds`` of CPU, too much memory: ``upload_check_memory_mb``).
    """
    limits = {"cpu_s": settings.upload.check_seconds, "memory_mb": settings.upload.check_memory_mb}
    child = settings.as_env()  # the whole configuration (secrets left out), so no setting is forgotten
    wall = settings.upload.check_seconds * 2 + 10  # start-up and a busy machine's share of the CPU limit
    too_slow = (f"reading the file exceeded the time limit ({settings.upload.check_seconds} s of CPU, "
                f"{wall} s in all)")
    with tempfile.TemporaryDirectory(prefix="praxisfinder-sandbox-") as tmp:
        out = Path(tmp) / "result.json"
        argv = [str(path), doc_id, json.dumps(limits), json.dumps(child), str(out)]
        returncode = None
        if server is not None:
            try:
                returncode = server.run("ingest.sandbox:_main", argv, stderr=Path(tmp) / "stderr.log", timeout=wall)
                if returncode is None:
                    raise IngestError(too_slow)
                stderr = (Path(tmp) / "stderr.log").read_text(encoding="utf-8", errors="replace")
            except Unavailable as exc:
                log.info("parsing in a fresh process: %s", exc)
                returncode = None
        if returncode is None:
            cmd = [sys.executable, "-c", "from ingest.sandbox import _main; _main()", *argv]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, env=_child_env(), timeout=wall)
            except subprocess.TimeoutExpired as exc:  # on a busy machine this can come before the CPU limit
                raise IngestError(too_slow) from exc
            returncode, stderr = proc.returncode, proc.stderr
        try:
            answer = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            answer = {}
    if returncode == 0 and answer.get("ok"):
        document = Document.from_dict(answer["document"])
        passages = [Passage.from_dict(p) for p in answer["passages"]]
        checked = {"pages": document.pages, "characters": len(document.text), "passages": len(passages),
                   "title": document.title}
        return document, passages, checked
    if answer.get("reason"):
        raise IngestError(answer["reason"], answer.get("detail"))
    if returncode < 0 or returncode in (137, 152):  # killed: SIGKILL / SIGXCPU
        signum = -returncode if returncode < 0 else returncode - 128
        raise IngestError(f"reading the file exceeded the time or memory limit (signal {signum})")
    log.warning("sandboxed ingest failed with exit code %s: %s", returncode, stderr[-500:])
    raise IngestError("the file could not be read")


def _main() -> None:
    """Subprocess entry: argv = path, doc id, limits JSON, settings JSON, output path."""
    # lazy: POSIX-only module, used by the sandboxed child alone
    import resource

    # lazy: the parent only spawns the child; ingest.pipeline loads NLTK's Punkt (~3 s) there
    from ingest.pipeline import ingest_one

    path, doc_id, limits, child, out = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4]), sys.argv[5]
    cpu, mem = int(limits["cpu_s"]), int(limits["memory_mb"]) * 1024 * 1024
    renice_to(10)  # searches in the serving process come first (a forked child has it from its zygote)
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


def _preload(_args: Any) -> None:
    """Fork-server preload (``parse_server``): the imports of :func:`_main` and the PDF
    libraries, and one read of a short built-in text (the sentence tokenizer's parameters,
    the cleaning tables), so a forked child only parses."""
    # lazy: loaded into the fork server's zygote only
    import pypdf  # noqa: F401
    # lazy: loaded into the fork server's zygote only
    import pypdfium2  # noqa: F401
    # lazy: loaded into the fork server's zygote only
    import pypdfium2.raw  # noqa: F401
    # lazy: the parent only spawns the child; ingest.pipeline loads NLTK's Punkt (~3 s) there
    from ingest.pipeline import ingest_one

    with tempfile.TemporaryDirectory(prefix="praxisfinder-warm-") as tmp:
        sample = Path(tmp) / "probe.txt"
        sample.write_text("Die Stadt bietet Sprachkurse an. Ehrenamtliche begleiten Familien bei Behördengängen.\n\n"
                          "Das Integrationsbüro berät zu Wohnraum und Arbeit.", encoding="utf-8")
        ingest_one(sample, Settings.from_env({}), "probe")
