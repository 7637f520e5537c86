"""Read an untrusted file in a child process with CPU-time and memory limits.

The sandbox itself lives in :mod:`ingest.sandbox` (the index build uses it for uploaded
sources too); this module keeps the service's name for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest.sandbox import ingest_sandboxed
from core.settings import Settings

__all__ = ["check_file", "ingest_sandboxed"]


def check_file(path: Path, settings: Settings, doc_id: str = "check") -> dict[str, Any]:
    """Ingest ``path`` under the sandbox's limits and return ``{"pages", "characters",
    "passages", "title"}``; raise IngestError with the reason otherwise.

    Limits: ``upload_check_seconds`` of CPU time (``RLIMIT_CPU``), ``upload_check_memory_mb``
    MiB of address space (``RLIMIT_AS``), a wall-clock timeout and the per-document size
    caps; ``doc_id`` only names the document read."""
    return ingest_sandboxed(Path(path), settings, doc_id)[2]
