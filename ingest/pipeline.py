"""Reading one document: discover files, read, clean, chunk (``ingest_one``).

The loop over many files (names, duplicates, reuse, report) is ``ingest.loop``.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from ingest.chunk import chunk_document
from ingest.kinds import passage_kind
from core.errors import IngestError
from ingest.readers import SUPPORTED_SUFFIXES, read_document
from core.schema import Document, Passage
from core.settings import Settings
from ingest.structure import build, toc_page_ranges

log = logging.getLogger(__name__)

CATALOGUE_NAME = "documents.json"
SKIPPED_NAMES = {"sources.md", "readme.md", "readme.txt"}  # corpus notes, not documents
RESERVED_IDS = {Path(n).stem for n in SKIPPED_NAMES} | {Path(CATALOGUE_NAME).stem}
MAX_TITLE_CHARS = 160
MAX_RUNNING_LINES = 20  # running headers/footers kept per document (metadata)


def report_extras(document: Document) -> dict[str, Any]:
    """Report fields for a read document: encoding repairs, removed headers, page source."""
    extras: dict[str, Any] = {}
    if document.meta.get("repairs"):
        extras["repairs"] = document.meta["repairs"]
    cut = (document.meta.get("repairs") or {}).get("cut_runs") or (document.meta.get("pdf") or {}).get("cut_runs")
    if cut:
        extras["cut_runs"] = cut  # over-long words or space runs cut to ingest.bounds' limits
    if document.meta.get("running_lines"):
        extras["running_lines"] = len(document.meta["running_lines"])
    extras["page_source"] = (
        ("page labels" if any(document.page_labels) else "physical pages") if document.physical_pages
        else "table of contents" if document.page_ranges else "none"
    )
    return extras


def discover(paths: list[Path]) -> list[Path]:
    """Files to ingest: given files as is, folders searched recursively (sorted).

    In folders only supported suffixes (``.pdf``, ``.txt``, ``.md``) count; hidden files
    and folders and ``SKIPPED_NAMES`` are left out; duplicates are dropped, order kept.
    A given file is returned even if unsupported (reading it then reports why).
    """
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES \
                        and child.name.lower() not in SKIPPED_NAMES:
                    found.append(child)
        else:
            found.append(path)
    unique: dict[Path, None] = {}
    for path in found:
        unique.setdefault(path, None)
    return list(unique)


def doc_id_for(path: Path) -> str:
    """A document id from the file stem: lowercase, ``[a-z0-9._-]`` only."""
    stem = re.sub(r"[^a-z0-9._-]+", "-", path.stem.lower()).strip("-")
    return stem or "document"


def load_catalogue(folder: Path) -> dict[str, dict[str, Any]]:
    """``documents.json`` next to the files (id -> title, publisher, year, …), if any.

    ``{}`` when it is missing, unreadable, not JSON or not an object (never raised).
    """
    path = folder / CATALOGUE_NAME
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable %s: %s", path, exc)
        return {}
    return data if isinstance(data, dict) else {}


def ingest_one(path: Path, settings: Settings, doc_id: str | None = None) -> tuple[Document, list[Passage]]:
    """Read, clean and chunk one file; raise :class:`IngestError` if it is unusable.

    ``doc_id`` defaults to :func:`doc_id_for`; title and meta come from a
    ``documents.json`` beside the file, else the first heading, first line or file stem.
    Raises ``IngestError`` for an unreadable or unsupported file, more than
    ``max_document_chars`` characters, no text or passages left, or more than
    ``max_document_passages`` passages. Every passage gets ``meta["kind"]``
    (:func:`ingest.kinds.passage_kind`).
    """
    path = Path(path)
    doc_id = doc_id or doc_id_for(path)
    meta = dict(load_catalogue(path.parent).get(path.stem, {}))
    raw = read_document(path, meta)
    check_size(sum(len(page) for page in raw.pages), settings, path)
    cleaned = build(raw.pages)
    if not cleaned.text.strip():
        raise IngestError("no text left after cleaning", {"path": str(path)})
    title = str(meta.pop("title", "") or cleaned.first_heading or _first_line(cleaned.text) or path.stem)
    document = Document(
        id=doc_id,
        title=title[:MAX_TITLE_CHARS],
        path=str(path),
        sha256=raw.sha256,
        format=raw.format,
        text=cleaned.text,
        page_starts=cleaned.page_starts,
        meta=meta,
        page_labels=list(raw.page_labels),
        physical_pages=raw.physical_pages,
    )
    if not raw.physical_pages:
        document.page_ranges = toc_page_ranges(cleaned.toc)
    if cleaned.running_lines:
        meta["running_lines"] = cleaned.running_lines[:MAX_RUNNING_LINES]
    for key in ("repairs", "pdf"):
        if key in raw.meta:
            meta[key] = raw.meta[key]
    passages = chunk_document(document, cleaned.blocks, settings.chunk)
    for p in passages:
        p.meta["kind"] = passage_kind(p.text, p.section_path)
    if not passages:
        raise IngestError("no passages (document has no body text)", {"path": str(path)})
    if len(passages) > settings.upload.max_document_passages:
        raise IngestError(f"document yields {len(passages)} passages; the limit is {settings.upload.max_document_passages} "
                          "per document (PRAXISFINDER_MAX_DOCUMENT_PASSAGES)",
                          {"path": str(path), "passages": len(passages), "limit": settings.upload.max_document_passages})
    return document, passages


def check_size(chars: int, settings: Settings, path: Path | None = None) -> None:
    """Refuse a document whose extracted text has more than ``max_document_chars``
    characters, before any superlinear-risk or costly step (cleaning, chunking, embedding)."""
    if chars > settings.upload.max_document_chars:
        raise IngestError(f"document has {chars} characters of text; the limit is {settings.upload.max_document_chars} "
                          "per document (PRAXISFINDER_MAX_DOCUMENT_CHARS)",
                          {"path": str(path) if path else None, "characters": chars,
                           "limit": settings.upload.max_document_chars})


def _first_line(text: str) -> str:
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
