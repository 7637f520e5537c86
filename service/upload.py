"""Add and remove documents while the service keeps answering.

An upload is handled synchronously (the response carries the ingest report):

1. the body is streamed into a hidden file ``<data_dir>/sources/.incoming-*`` while its
   size is checked and its SHA-256 computed; a file whose hash the current snapshot
   already holds is a duplicate (no rebuild);
2. under the upload lock, the whole document build (read, clean, chunk) runs once, in
   the sandboxed subprocess (CPU-time and memory limits, wall-clock timeout, the
   per-document size caps); the server indexes what it returned and never parses the
   bytes itself;
3. ``build_index(..., prepared=...)`` publishes a new snapshot under the writer lock
   (only the new passages are embedded), in a second child process with its own time
   and memory limits (``index.build_process``: analysis, catalogue and embeddings of
   the untrusted text never run in the serving process); a second concurrent write
   gets 409 with ``Retry-After``;
4. only then is the file moved to ``sources/<id><suffix>`` (other suffixes of that id are
   removed), and ``Application.reload`` swaps the new snapshot in.

With ``PRAXISFINDER_UPLOAD_WORKER=warm`` (the default) ``praxisfinder serve`` starts two
warm fork servers (:meth:`DocumentAdmin.start_workers`, ``ingest.forkserver``): the
children of steps 2 and 3 are then forked from processes that already hold the imports,
the analyzer's tables and the model, under the same limits, instead of starting a new
Python each time (15 s to keyword-searchable on the PostgreSQL store at load 7 before).

A crash at any point leaves either the old snapshot and no new file in ``sources/``, or
the new snapshot and its file still under ``.incoming-*``; :meth:`DocumentAdmin.reconcile`
(run at start-up) completes or discards such leftovers and removes files the index does
not know. A full disk is a 507 (StorageFull) and leaves the last good snapshot serving.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import threading
import time
import unicodedata
import uuid
from pathlib import Path
from typing import Any, BinaryIO

from core.errors import Busy, IngestError, NotFound, SnapshotError, StorageFull, is_disk_full
from core.settings import Settings
from index.build_process import build_in_child, build_server
from ingest.forkserver import ForkServer
from ingest.pipeline import RESERVED_IDS
from ingest.readers import SUPPORTED_SUFFIXES, sha256_file
from ingest.sandbox import ingest_sandboxed, parse_server
from service.security import Conflict, PayloadTooLarge, UnsupportedMediaType

log = logging.getLogger("praxisfinder.upload")

MAX_ID_CHARS = 80
INCOMING_PREFIX = ".incoming-"
_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


def safe_name(filename: str | None) -> tuple[str, str]:
    """(doc id, suffix) from a client filename: no directories, ``[a-z0-9._-]`` only.

    ``../../etc/passwd.txt`` -> ``("passwd", ".txt")``; ``Übersicht 2024.PDF`` ->
    ``("uebersicht-2024", ".pdf")``; reserved names are renamed (``README.md`` ->
    ``("readme-dokument", ".md")``). Raise UnsupportedMediaType for other suffixes.
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
    if doc_id in RESERVED_IDS:  # README.md, sources.md, documents: notes a folder sync skips
        doc_id = f"{doc_id}-dokument"
    return doc_id, suffix


class DocumentAdmin:
    """The write side of the service: upload and delete documents, then reload.

    :param settings: limits (``max_upload_bytes``, sandbox limits) and ``sources_dir``.
    :param application: the ``service.application.Application`` whose snapshot is
        checked, rebuilt (``index.build.build_index``) and reloaded.
    One write at a time per process (a second gets ``Conflict``); the index's writer
    lock guards against other processes. Methods block: routes run them in a thread.
    Both refusals carry ``Retry-After`` (:meth:`retry_after`). Without
    :meth:`start_workers` every write starts fresh child processes.
    """

    FIRST_GUESS_S = 30.0  # how long a write takes before one has been timed in this process

    def __init__(self, settings: Settings, application):
        self.settings = settings
        self.application = application
        self._busy = threading.Lock()
        self._started: float | None = None
        self._last_s = self.FIRST_GUESS_S
        self.parse_server: ForkServer | None = None
        self.build_server: ForkServer | None = None

    def start_workers(self) -> None:
        """Start the warm fork servers for the sandboxed parse (``ingest.sandbox.parse_server``)
        and the build (``index.build_process.build_server``, with the application's model) in
        the background; each is started again if it dies. While one is loading a write waits
        for it (at most ``ForkServer.ready_wait_s``); while none is alive writes start fresh
        processes. Called by ``praxisfinder serve`` when ``upload_worker`` is ``warm``.
        Needs the application's embedder (loads the server's model if it is not loaded yet)."""
        if self.parse_server is None:
            self.parse_server = parse_server().start()
        if self.build_server is None:
            self.build_server = build_server(self.settings, self.application.embedder).start()

    def stop_workers(self) -> None:
        """Stop both fork servers (they also die with this process)."""
        for server in (self.parse_server, self.build_server):
            if server is not None:
                server.stop()
        self.parse_server = self.build_server = None

    def worker_states(self) -> dict[str, str]:
        """``{"parse": state, "build": state}``, each ``ready``, ``loading`` (its zygote is
        loading), ``down`` (none alive; started again shortly) or ``off`` (fresh processes);
        see ``ingest.forkserver.ForkServer.state``."""
        return {name: "off" if server is None else server.state
                for name, server in (("parse", self.parse_server), ("build", self.build_server))}

    def workers(self) -> dict[str, Any]:
        """``{"parse": ..., "build": ...}``: each fork server's ``describe()`` (mode ``warm``,
        pid, jobs, starts, preload_s), or ``{"mode": "fresh"}`` without one."""
        return {name: server.describe() if server is not None else {"mode": "fresh"}
                for name, server in (("parse", self.parse_server), ("build", self.build_server))}

    def retry_after(self) -> int:
        """Whole seconds a refused writer should wait: what the running write still needs,
        judged by the last write this process finished (30 s before the first), at least
        2 and at most 60 (a client asks again rather than sleeping through a long build)."""
        started = self._started
        left = self._last_s - (time.monotonic() - started) if started is not None else self._last_s
        return int(min(60, max(2, math.ceil(left))))

    @property
    def sources(self) -> Path:
        """``settings.storage.sources_dir`` (uploaded source files), created if missing."""
        path = self.settings.storage.sources_dir
        path.mkdir(parents=True, exist_ok=True)
        return path

    def upload(self, filename: str | None, stream: BinaryIO) -> dict[str, Any]:
        """Add or replace the document ``filename`` with the bytes of ``stream`` (steps 1–4
        of the module docstring); returns a ``routes.admin.WriteResult`` dict: status
        ``added``/``replaced`` with snapshot id, counts, timings (seconds), ingest report
        and ``checked`` (pages, characters, passages, title), or ``duplicate`` with the id
        of the document that already has this content (SHA-256).

        Raises ``UnsupportedMediaType`` (suffix), ``PayloadTooLarge`` (over
        ``max_upload_bytes``), ``IngestError`` (empty, unreadable or unindexable file),
        ``Conflict`` (another write in this process) or ``core.errors.Busy`` (another
        process holds the writer lock; both code ``conflict``, 409), ``StorageFull``
        (disk full; the last snapshot keeps serving). A document id comes from
        ``safe_name``; a name that leaves no id gets ``dokument-<sha256[:12]>``."""
        doc_id, suffix = safe_name(filename)
        incoming = self.sources / f"{INCOMING_PREFIX}{uuid.uuid4().hex}{suffix}"
        try:
            sha = self._receive(stream, incoming)
            if not doc_id:
                doc_id = f"dokument-{sha[:12]}"
            snapshot_id, documents = self._current()
            for doc in documents:  # a "partial" one (staged write cut short) is indexed again
                if doc.sha256 == sha and doc.meta.get("indexing") != "partial":
                    return {"status": "duplicate", "doc_id": doc.id, "snapshot_id": snapshot_id}
            return self._locked(lambda: self._publish(doc_id, suffix, incoming))
        finally:
            incoming.unlink(missing_ok=True)

    def delete(self, doc_id: str) -> dict[str, Any]:
        """Remove document ``doc_id`` from the index, then its source files; returns a
        ``WriteResult`` dict with status ``deleted``. Raises ``NotFound`` for an unknown id,
        ``Conflict`` for the index's only document or while another write runs (``Busy``
        from another process), ``StorageFull`` when the new snapshot cannot be written."""
        _, documents = self._current()
        if doc_id not in {d.id for d in documents}:
            raise NotFound(f"no document with id {doc_id!r}", cause="document_not_found")
        if len(documents) == 1:
            raise Conflict("the only document of the index cannot be deleted")

        def remove() -> dict[str, Any]:
            outcome = self._build(remove=(doc_id,))
            self._remove_files(doc_id)  # after the publish: a crash before it only leaves an orphan
            return self._result("deleted", doc_id, outcome)

        return self._locked(remove)

    def reconcile(self) -> dict[str, list[str]]:
        """Make ``sources/`` match the index after a crash (call with no write running).

        An ``.incoming-*`` file whose content the index holds under an uploaded id whose
        file is missing is moved into place (the crash fell between publish and move);
        other ``.incoming-*``/``.backup-*`` files and files no uploaded document of the index
        points to are removed. Returns ``{"restored", "removed"}`` file names.
        """
        out: dict[str, list[str]] = {"restored": [], "removed": []}
        if not self.settings.storage.sources_dir.is_dir():
            return out

        try:
            snapshot = self.application.searcher.snapshot
        except SnapshotError:
            return out
        registry = snapshot.manifest.get("registry") or {}
        uploads = {i: e for i, e in registry.get("documents", {}).items() if e.get("origin") == "upload"}
        if not registry:  # a snapshot from before the registry: every indexed path counts
            uploads = {d.id: {"path": d.path, "sha256": d.sha256} for d in snapshot.documents}
        wanted = {Path(e["path"]).name: e for e in uploads.values()}
        for path in sorted(self.sources.iterdir()):
            if not path.is_file():
                continue
            if path.name.startswith(INCOMING_PREFIX):
                sha = sha256_file(path)
                target = next((n for n, e in wanted.items() if e.get("sha256") == sha
                               and not (self.sources / n).exists()), None)
                if target is not None:
                    os.replace(path, self.sources / target)
                    out["restored"].append(target)
                    continue
            if path.name not in wanted or path.name.startswith("."):
                path.unlink(missing_ok=True)
                out["removed"].append(path.name)
        if out["restored"] or out["removed"]:
            log.warning("sources reconciled with the index: restored %s, removed %s", out["restored"], out["removed"])
        return out

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
        limit, size, digest = self.settings.upload.max_upload_bytes, 0, hashlib.sha256()
        try:
            with open(target, "wb") as out:
                for block in iter(lambda: stream.read(1 << 20), b""):
                    size += len(block)
                    if size > limit:
                        raise PayloadTooLarge(f"upload is larger than the limit of {limit} bytes")
                    digest.update(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            if is_disk_full(exc):
                raise StorageFull("the disk is full: the upload could not be stored; the index is unchanged. "
                                  "Free disk space and try again.") from exc
            raise
        if size == 0:
            raise IngestError("empty file", {"file": target.suffix})
        return digest.hexdigest()

    def _locked(self, work):
        if not self._busy.acquire(blocking=False):
            raise self._come_back(Conflict("another upload or delete is running; try again when it has finished"))
        self._started = time.monotonic()
        try:
            result = work()
            self._last_s = time.monotonic() - self._started
            return result
        except Busy as exc:  # another process (a CLI ingest) holds the writer lock
            raise self._come_back(exc) from None
        finally:
            self._started = None
            self._busy.release()

    def _come_back(self, exc):
        """``exc`` with ``Retry-After`` (header and ``detail["retry_after_seconds"]``)."""
        wait = self.retry_after()
        exc.headers = {"Retry-After": str(wait)}
        exc.detail = {**(exc.detail if isinstance(exc.detail, dict) else {}), "retry_after_seconds": wait}
        return exc

    def _publish(self, doc_id: str, suffix: str, incoming: Path) -> dict[str, Any]:
        final = self.sources / f"{doc_id}{suffix}"
        t = time.perf_counter()
        server = self.parse_server
        jobs = server.jobs if server is not None else 0
        document, passages, checked = ingest_sandboxed(incoming, self.settings, doc_id, server=server)
        used = {"parse": "warm" if server is not None and server.jobs > jobs else "fresh"}
        parse_s = time.perf_counter() - t
        document.path = str(final)
        replaced = doc_id in {d.id for d in self._current()[1]}
        outcome = self._build(prepared=[(document, passages)], used=used)
        outcome.timings = {"parse_s": round(parse_s, 2), **outcome.timings}
        failed = [r for r in outcome.report if r.get("doc_id") == doc_id and r["status"] == "failed"]
        if failed:
            raise IngestError(f"document could not be indexed: {failed[0].get('reason')}",
                              [{k: v for k, v in row.items() if k != "path"} for row in failed])
        self._remove_files(doc_id, keep=final.name)
        os.replace(incoming, final)  # only now: the index that holds it is published
        log.info("document %s %s", doc_id, "replaced" if replaced else "added")
        result = self._result("replaced" if replaced else "added", doc_id, outcome)
        result["checked"] = checked
        result["workers"] = used
        return result

    def _remove_files(self, doc_id: str, keep: str | None = None) -> None:
        for path in self.sources.glob(f"{doc_id}.*"):
            if path.stem == doc_id and path.name != keep:
                path.unlink(missing_ok=True)

    def _build(self, remove: tuple[str, ...] = (), prepared=(), used: dict[str, str] | None = None):
        """The rebuild, in a child process under the ``upload_build_*`` limits
        (``index.build_process``), forked from the warm build server when there is one;
        ``used["build"]`` says which ("warm" or "fresh")."""
        server = self.build_server
        jobs = server.jobs if server is not None else 0
        try:
            return build_in_child(self.settings, self.application.embedder, remove=remove, prepared=list(prepared),
                                  server=server)
        finally:
            if used is not None:
                used["build"] = "warm" if server is not None and server.jobs > jobs else "fresh"

    def _result(self, status: str, doc_id: str, outcome) -> dict[str, Any]:
        snapshot_id = self.application.reload()
        report = [{k: v for k, v in row.items() if k != "path"} for row in outcome.report]
        return {"status": status, "doc_id": doc_id, "snapshot_id": snapshot_id, "rebuilt": outcome.rebuilt,
                "counts": outcome.counts, "timings": outcome.timings, "report": report}
