"""Add and remove documents while the service keeps answering.

An upload is handled synchronously (the response carries the ingest report):

1. the body is streamed into a hidden temp file under ``<data_dir>/sources/`` while its
   size is checked and its SHA-256 computed; a file whose hash the current snapshot
   already holds is a duplicate (no rebuild);
2. the file is read, cleaned and chunked in a sandboxed subprocess (CPU-time and memory
   limits, wall-clock timeout), so a hostile PDF cannot stall or exhaust the server;
3. under the writer lock it is renamed to ``sources/<id><suffix>`` and
   ``build_index(..., add=True)`` publishes a new snapshot (only the new document is
   embedded; the rest is reused); a second concurrent write gets 409;
4. ``Application.reload`` swaps the new snapshot in; requests in flight finish on the old one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import unicodedata
import uuid
from pathlib import Path
from typing import Any, BinaryIO

from ingest.errors import IngestError, NotFound, SnapshotError
from ingest.readers import SUPPORTED_SUFFIXES
from ingest.settings import Settings
from service.sandbox import check_file
from service.security import Conflict, PayloadTooLarge, UnsupportedMediaType

log = logging.getLogger("praxisfinder.upload")

MAX_ID_CHARS = 80
_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


def safe_name(filename: str | None) -> tuple[str, str]:
    """(doc id, suffix) from a client filename: no directories, ``[a-z0-9._-]`` only.

    ``../../etc/passwd.txt`` -> ``("passwd", ".txt")``; ``Übersicht 2024.PDF`` ->
    ``("uebersicht-2024", ".pdf")``. Raise UnsupportedMediaType for other suffixes.
    """
    name = (filename or "").replace("\x00", "")
    name = re.split(r"[/\\]", name)[-1]
    name = unicodedata.normalize("NFKC", name).translate(_TRANSLIT)
    stem, dot, suffix = name.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedMediaType(f"unsupported file type {suffix or '(none)'}; allowed: {', '.join(SUPPORTED_SUFFIXES)}")
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode().lower()
    doc_id = re.sub(r"[^a-z0-9._-]+", "-", ascii_stem).strip("._-")[:MAX_ID_CHARS].strip("._-")
    return doc_id, suffix


class DocumentAdmin:
    """The write side of the service: upload and delete documents, then reload."""

    def __init__(self, settings: Settings, application):
        self.settings = settings
        self.application = application
        self._busy = threading.Lock()

    @property
    def sources(self) -> Path:
        path = self.settings.sources_dir
        path.mkdir(parents=True, exist_ok=True)
        return path

    def upload(self, filename: str | None, stream: BinaryIO) -> dict[str, Any]:
        doc_id, suffix = safe_name(filename)
        incoming = self.sources / f".incoming-{uuid.uuid4().hex}{suffix}"
        try:
            sha = self._receive(stream, incoming)
            if not doc_id:
                doc_id = f"dokument-{sha[:12]}"
            snapshot_id, documents = self._current()
            for doc in documents:
                if doc.sha256 == sha:
                    return {"status": "duplicate", "doc_id": doc.id, "snapshot_id": snapshot_id}

            def work() -> dict[str, Any]:
                checked = check_file(incoming, self.settings)
                result = self._publish(doc_id, suffix, incoming)
                result["checked"] = checked
                return result

            return self._locked(work)
        finally:
            incoming.unlink(missing_ok=True)

    def delete(self, doc_id: str) -> dict[str, Any]:
        _, documents = self._current()
        if doc_id not in {d.id for d in documents}:
            raise NotFound(f"no document with id {doc_id!r}")
        if len(documents) == 1:
            raise Conflict("the only document of the index cannot be deleted")

        def remove() -> dict[str, Any]:
            outcome = self._build([self.sources], remove=(doc_id,))
            for path in self.sources.glob(f"{doc_id}.*"):
                if path.stem == doc_id:
                    path.unlink(missing_ok=True)
            return self._result("deleted", doc_id, outcome)

        return self._locked(remove)

    # -- steps ---------------------------------------------------------------------------

    def _current(self) -> tuple[str | None, list]:
        """(snapshot id, documents) now serving; (None, []) before the first snapshot."""
        try:
            snapshot = self.application.searcher.snapshot
        except SnapshotError:
            return None, []
        return snapshot.id, snapshot.documents

    def _receive(self, stream: BinaryIO, target: Path) -> str:
        """Copy the upload to ``target`` (fsynced), enforcing the size limit; return its SHA-256."""
        limit, size, digest = self.settings.max_upload_bytes, 0, hashlib.sha256()
        with open(target, "wb") as out:
            for block in iter(lambda: stream.read(1 << 20), b""):
                size += len(block)
                if size > limit:
                    raise PayloadTooLarge(f"upload is larger than the limit of {limit} bytes")
                digest.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise IngestError("empty file", {"file": target.suffix})
        return digest.hexdigest()

    def _locked(self, work):
        if not self._busy.acquire(blocking=False):
            raise Conflict("another upload or delete is running; try again when it has finished")
        try:
            return work()
        finally:
            self._busy.release()

    def _publish(self, doc_id: str, suffix: str, incoming: Path) -> dict[str, Any]:
        final = self.sources / f"{doc_id}{suffix}"
        backup = self.sources / f".backup-{doc_id}{suffix}"
        replaced = final.exists()
        if replaced:
            os.replace(final, backup)
        os.replace(incoming, final)
        try:
            outcome = self._build([final])
            failed = [r for r in outcome.report if r.get("doc_id") == doc_id and r["status"] != "ok"]
            if failed:
                raise IngestError(f"document could not be indexed: {failed[0].get('reason')}",
                                  [{k: v for k, v in row.items() if k != "path"} for row in failed])
        except BaseException:
            final.unlink(missing_ok=True)
            if replaced:
                os.replace(backup, final)
            raise
        backup.unlink(missing_ok=True)
        log.info("document %s %s", doc_id, "replaced" if replaced else "added")
        return self._result("replaced" if replaced else "added", doc_id, outcome)

    def _build(self, paths: list[Path], remove: tuple[str, ...] = ()):
        from index.build import build_index

        try:
            return build_index(self.settings, self.application.embedder, paths, add=True, remove=remove)
        except SnapshotError as exc:
            if isinstance(exc.__cause__, BlockingIOError):  # the writer lock is held (CLI ingest?)
                raise Conflict(exc.message) from exc
            raise

    def _result(self, status: str, doc_id: str, outcome) -> dict[str, Any]:
        snapshot_id = self.application.reload()
        report = [{k: v for k, v in row.items() if k != "path"} for row in outcome.report]
        return {"status": status, "doc_id": doc_id, "snapshot_id": snapshot_id, "rebuilt": outcome.rebuilt,
                "counts": outcome.counts, "timings": outcome.timings, "report": report}
