"""Where errors meet users: the HTTP status (API and web) and the CLI exit code of each
error ``code``.

Domain errors (``core.errors``) carry only a stable ``code``; this module is the one
table that turns it into an HTTP status or a process exit code (sysexits.h values where
one fits). An unknown code is a server fault: 500 and exit code 1.
"""

from __future__ import annotations

from core.errors import PraxisError

HTTP_STATUS: dict[str, int] = {
    "bad_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "ingest_error": 422,
    "judgment_error": 422,
    "rate_limited": 429,
    "config_error": 500,
    "snapshot_error": 503,
    "model_error": 503,
    "catalogue_unavailable": 503,
    "insufficient_storage": 507,
}

EXIT_CODES: dict[str, int] = {
    "bad_request": 2,
    "snapshot_error": 3,
    "catalogue_unavailable": 3,
    "not_found": 4,
    "model_error": 5,
    "ingest_error": 65,  # EX_DATAERR
    "judgment_error": 65,  # EX_DATAERR
    "insufficient_storage": 74,  # EX_IOERR
    "conflict": 75,  # EX_TEMPFAIL: another writer holds the lock
    "config_error": 78,  # EX_CONFIG
}


def http_status(exc: PraxisError) -> int:
    """The HTTP status for ``exc`` (by its ``code``; 500 when the code is not in ``HTTP_STATUS``)."""
    return HTTP_STATUS.get(exc.code, 500)


def exit_code(exc: PraxisError) -> int:
    """The CLI exit code for ``exc`` (by its ``code``; 1 when the code is not in ``EXIT_CODES``)."""
    return EXIT_CODES.get(exc.code, 1)
