"""The original file of an indexed document, for ``GET /api/documents/{id}/source``.

Only files inside the corpus folder (``StorageSettings.corpus_dir``) or the uploads folder
(``StorageSettings.sources_dir``) are ever served, and only when their SHA-256 equals the one
the snapshot recorded for the document: the bytes a user downloads are the bytes the
passages were cut from. The snapshot's ``Document.path`` is tried first; a snapshot
built in another checkout (an absolute path elsewhere) is found by file name in those
folders. Symlinks are resolved before the containment check, so a link out of the
corpus is refused.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from core.errors import NotFound
from core.settings import StorageSettings

# Content types by suffix (mimetypes lacks .md on some systems).
MEDIA_TYPES = {".pdf": "application/pdf", ".txt": "text/plain", ".md": "text/markdown",
               ".html": "text/plain", ".htm": "text/plain"}  # HTML is served as text: never rendered


@dataclass
class SourceFile:
    """A document's original file: ``path`` (resolved, inside an allowed root),
    ``media_type`` (with ``charset=utf-8`` for text that decodes as UTF-8) and
    ``filename`` (for Content-Disposition: the document id plus the file's suffix)."""

    path: Path
    media_type: str
    filename: str


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def media_type(path: Path) -> str:
    """The content type for ``path`` by its suffix; text gets ``charset=utf-8`` when its
    bytes are valid UTF-8 (else no charset is claimed)."""
    suffix = path.suffix.lower()
    kind = MEDIA_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if kind.startswith("text/"):
        try:
            path.read_bytes().decode("utf-8")
            kind += "; charset=utf-8"
        except UnicodeDecodeError:
            pass
    return kind


def source_file(snapshot, storage: StorageSettings, doc_id: str) -> SourceFile:
    """The original file of document ``doc_id`` of ``snapshot``, searched for in ``storage``'s
    corpus folder and uploads folder (``corpus_dir``, ``sources_dir``).

    :raises NotFound: unknown id, or no file with the indexed content inside the corpus or
        uploads folder (moved, changed since indexing, or outside those folders).
    """
    doc = next((d for d in snapshot.documents if d.id == doc_id), None)
    if doc is None:
        raise NotFound(f"no document with id {doc_id!r}", cause="document_not_found")
    roots = [Path(r).resolve() for r in (storage.corpus_dir, storage.sources_dir) if Path(r).is_dir()]
    recorded = Path(doc.path)
    candidates = [recorded] if recorded.is_absolute() else [root / recorded for root in roots]
    candidates += [root / recorded.name for root in roots]
    for candidate in candidates:
        try:
            real = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            continue
        if not real.is_file() or not _inside(real, roots):
            continue
        if doc.sha256 and _sha256(real) != doc.sha256:
            continue
        return SourceFile(real, media_type(real), f"{doc.id}{real.suffix.lower()}")
    raise NotFound(f"the source file of document {doc_id!r} is not available", 
                   {"doc_id": doc_id, "reason": "file missing or changed since it was indexed"}, cause="source_missing")
