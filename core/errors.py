"""A few domain errors, each with one HTTP status and one CLI exit code.

The service maps every ``PraxisError`` to the same JSON shape
(``{"error": {"code", "message", "detail"}}``); the CLI prints the message and exits
with ``exit_code``. Nothing else should leak to users.
"""

from __future__ import annotations

from typing import Any


class PraxisError(Exception):
    """Base of all domain errors: a stable machine ``code``, an English ``message`` and an
    optional JSON-serialisable ``detail`` (e.g. ``{"suggestions": [...]}``)."""

    code = "error"
    http_status = 500
    exit_code = 1

    def __init__(self, message: str, detail: Any = None):
        super().__init__(message)
        self.message = message
        self.detail = detail

    def to_dict(self) -> dict[str, Any]:
        """The one error shape of API and CLI: ``{"error": {"code", "message", "detail"}}``."""
        return {"error": {"code": self.code, "message": self.message, "detail": self.detail}}


class ConfigError(PraxisError):
    """A setting or environment variable has an invalid value (see ``core.settings``)."""

    code = "config_error"
    exit_code = 78  # EX_CONFIG


class BadRequest(PraxisError):
    """Invalid user input: empty or oversized query, unknown mode, bad filter."""

    code = "bad_request"
    http_status = 400
    exit_code = 2


class NotFound(PraxisError):
    """An unknown id or name: document, passage, snapshot or municipality."""

    code = "not_found"
    http_status = 404
    exit_code = 4


class IngestError(PraxisError):
    """A document could not be read; the ingest report records it and moves on."""

    code = "ingest_error"
    http_status = 422
    exit_code = 65  # EX_DATAERR


class SnapshotError(PraxisError):
    """No usable snapshot: missing, corrupt, or built with another model."""

    code = "snapshot_error"
    http_status = 503
    exit_code = 3


class ModelError(PraxisError):
    """The embedding model could not be provisioned, loaded or verified."""

    code = "model_error"
    http_status = 503
    exit_code = 5


class Busy(SnapshotError):
    """Another writer (an ingest, upload or delete) holds the writer lock; try again later.
    A SnapshotError for callers that catch those, but 409 and exit code 75, not 503/3."""

    code = "conflict"
    http_status = 409
    exit_code = 75  # EX_TEMPFAIL


class StorageFull(PraxisError):
    """The disk (or quota) is full: nothing was published, the last good snapshot keeps serving."""

    code = "insufficient_storage"
    http_status = 507
    exit_code = 74  # EX_IOERR


def is_disk_full(exc: BaseException) -> bool:
    """True for ENOSPC / EDQUOT (an OSError anywhere in the cause chain)."""
    import errno

    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
