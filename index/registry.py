"""The document registry: which documents the index holds, where each came from, and
which were deleted.

It is stored in each snapshot's manifest (``"registry"``), so it is published atomically
with the index it describes (a crash can never separate the two)::

    {"documents": {doc_id: {"origin": "corpus" | "cli" | "upload", "path": str, "sha256": str}},
     "tombstones": {doc_id: {"origin": str, "path": str, "sha256": str, "removed_at": ISO time}}}

- ``corpus``: found in the corpus folder; a plain sync follows that folder (a file
  that is gone is removed, and the report says so).
- ``cli`` (``praxisfinder ingest PATH``) and ``upload`` (``POST /api/documents``): added
  explicitly; a plain sync keeps them (re-reading the file if it changed, keeping the
  indexed copy if it is gone).
- a tombstone (``DELETE``, ``--remove``) keeps a sync from bringing a corpus file back;
  adding the file explicitly clears it.

Snapshots from before the registry get one derived from their documents' paths.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

from core.settings import Settings

ORIGINS = ("corpus", "cli", "upload")


def empty() -> dict[str, Any]:
    """A registry with no documents and no tombstones (the shape in the module docstring)."""
    return {"documents": {}, "tombstones": {}}


def from_manifest(manifest: dict[str, Any] | None, documents, settings: Settings) -> dict[str, Any]:
    """The registry of a snapshot (a deep copy), or one derived from its documents."""
    if manifest is None:
        return empty()
    stored = manifest.get("registry")
    if isinstance(stored, dict) and "documents" in stored:
        out = copy.deepcopy(stored)
        out.setdefault("tombstones", {})
        return out
    return {"documents": {d.id: {"origin": origin_of(Path(d.path), settings), "path": d.path, "sha256": d.sha256}
                          for d in documents}, "tombstones": {}}


def origin_of(path: Path, settings: Settings) -> str:
    """Where a legacy document came from, judged by its path: ``"upload"`` below
    ``settings.storage.sources_dir``, ``"corpus"`` below ``settings.storage.corpus_dir``, else ``"cli"``."""
    for origin, root in (("upload", settings.storage.sources_dir), ("corpus", settings.storage.corpus_dir)):
        try:
            if Path(path).resolve().is_relative_to(Path(root).resolve()):
                return origin
        except OSError:
            continue
    return "cli"


def tombstone(entry: dict[str, Any]) -> dict[str, Any]:
    """A copy of a registry entry with ``removed_at`` (UTC, ISO 8601 to the second)."""
    return {**entry, "removed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
