"""A few domain errors, each named by a stable ``code`` string.

Errors carry no HTTP status or exit code: the edges map the ``code``
(``service/errors.py``: HTTP status for the API and web, exit code for the CLI). The
service answers every ``PraxisError`` in the same JSON shape
(``{"error": {"code", "message", "detail"}}``); messages are English. Nothing else
should leak to users.
"""

from __future__ import annotations

import errno
import os
from typing import Any


class PraxisError(Exception):
    """Base of all domain errors: a stable machine ``code`` (the class of error, which
    decides the HTTP status and is the API's ``code``), a ``cause`` naming what went wrong
    (``query_empty``, ``unknown_bundesland``, ...; the ``code`` when no finer cause is known;
    the web pages key their German texts by it), an English ``message`` and an optional
    JSON-serialisable ``detail`` (e.g. ``{"suggestions": [...]}``)."""

    code = "error"

    def __init__(self, message: str, detail: Any = None, cause: str | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.cause = cause or self.code

    def to_dict(self) -> dict[str, Any]:
        """The one error shape of API and CLI: ``{"error": {"code", "message", "detail"}}``
        (``cause`` stays out of it: the shape is a published interface)."""
        return {"error": {"code": self.code, "message": self.message, "detail": self.detail}}


class ConfigError(PraxisError):
    """A setting or environment variable has an invalid value (see ``core.settings``)."""

    code = "config_error"


class BadRequest(PraxisError):
    """Invalid user input: empty or oversized query, unknown mode, bad filter."""

    code = "bad_request"


class TooLong(BadRequest):
    """A free-text input over the length limit. Carries the numbers as data, so that a page can
    say them in its own language without reading the English message: ``field`` (the input's
    name: ``query``, ``q``, ``description``, ``topic``, ...), ``length`` and ``limit`` (both in
    characters as sent). ``cause`` is ``<field>_too_long``; ``detail`` stays None (the API's
    error shape is unchanged)."""

    def __init__(self, message: str, field: str, length: int, limit: int):
        super().__init__(message, cause=f"{field}_too_long")
        self.field, self.length, self.limit = field, int(length), int(limit)


class NotFound(PraxisError):
    """An unknown id or name: document, passage, snapshot or municipality."""

    code = "not_found"


class IngestError(PraxisError):
    """A document could not be read; the ingest report records it and moves on."""

    code = "ingest_error"


class SnapshotError(PraxisError):
    """No usable snapshot: missing, corrupt, or built with another model."""

    code = "snapshot_error"


class SnapshotDamaged(SnapshotError):
    """A snapshot failed its integrity checks: manifest missing or corrupt, a file missing,
    truncated or altered (size or SHA-256 against the manifest), or parts that disagree.
    A serving process sets such a snapshot aside and serves the newest intact one."""


class ModelError(PraxisError):
    """The embedding model could not be provisioned, loaded or verified."""

    code = "model_error"


class Busy(SnapshotError):
    """Another writer (an ingest, upload or delete) holds the writer lock; try again later.
    A SnapshotError for callers that catch those, with its own code ("conflict")."""

    code = "conflict"


class StorageFull(PraxisError):
    """The disk (or quota) is full: nothing was published, the last good snapshot keeps serving."""

    code = "insufficient_storage"


DISK_FULL_MARGIN = 1 << 20  # bytes: less free space than this after a failed write means a full disk


def is_disk_full(exc: BaseException, path=None) -> bool:
    """True when ``exc`` (or anything in its cause chain) says the disk or quota is full.

    That is an OSError with ENOSPC or EDQUOT, or an error whose message says so (FAISS
    raises RuntimeError "... (No space left on device)"). Libraries that write with C
    ``fwrite`` report a short write without an errno (NumPy: OSError "1000000 requested
    and 524256 written"); for those, and for any error without an errno, ``path`` (a
    directory on the disk written to) decides: less than ``DISK_FULL_MARGIN`` free means
    full. Call it before removing what the failed write left behind."""
    vague = False
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(exc)
        if "No space left on device" in text or "Disk quota exceeded" in text:
            return True
        if isinstance(exc, (OSError, RuntimeError)) and getattr(exc, "errno", None) is None:
            vague = True
        exc = exc.__cause__ or exc.__context__
    if vague and path is not None:
        try:
            st = os.statvfs(path)
        except OSError:
            return False
        return st.f_bavail * st.f_frsize < DISK_FULL_MARGIN
    return False
