"""The one ingest loop: which files become which documents, and reading them.

Used by every way in: ``praxisfinder ingest`` (sync and ``PATH``), uploads
(``service/upload.py``, via ``index.build.build_index``) and the tests
(``ingest_paths``). One rule for names and one for contents:

- **Names.** A file's document id is its stem (``doc_id_for``). The first file to claim
  an id in a batch keeps it (files are taken in ``discover`` order: sorted paths); a
  later file with the same id is skipped with the reason "same document id as <file>".
  Nothing is renamed.
- **Contents.** Two sources with the same bytes (SHA-256) are indexed once: the one
  already indexed with that content wins, else an explicitly added one, else the
  smallest id; the others are skipped as duplicates ("duplicate: same content as …").

Every source gets a report row (``row``): ``status`` ok / failed / skipped / removed and
``action`` added / replaced / unchanged / reindexed / kept / removed / skipped / failed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from core.errors import IngestError
from core.schema import Document, Passage
from core.settings import Settings
from ingest.pipeline import discover, doc_id_for, ingest_one, report_extras
from ingest.readers import sha256_file

log = logging.getLogger(__name__)


@dataclass
class Source:
    """One file (or an already parsed upload) that should become document ``doc_id``.

    ``origin`` is "corpus" (the corpus folder), "cli" (``praxisfinder ingest PATH``) or
    "upload" (untrusted: parsed only in the sandbox). ``prepared`` holds an upload parsed
    before the build; ``missing`` marks an explicit source whose file vanished (its
    indexed copy is kept)."""

    path: Path
    origin: str
    prepared: tuple[Document, list[Passage]] | None = None
    sha256: str = ""
    missing: bool = False


@dataclass
class IngestResult:
    """Documents and passages read, in id order, and one report row per source."""

    documents: list[Document] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    report: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> list[dict[str, Any]]:
        """The report rows of sources that could not be read."""
        return [r for r in self.report if r["status"] == "failed"]


class Previous(Protocol):
    """What the last snapshot holds, so unchanged documents are not read again."""

    documents: dict[str, Document]
    same_chunker: bool

    def passages_of(self, doc_id: str) -> list[Passage]:
        """The indexed passages of ``doc_id``, in order."""

def row(doc_id: str, path, status: str, action: str, reason: str | None = None, **extra) -> dict[str, Any]:
    """One report row (plain data, JSON-serialisable)."""
    return {"path": str(path), "doc_id": doc_id, "status": status, "action": action, "reason": reason, **extra}


def claim_ids(files: Iterable[Path], report: list[dict[str, Any]]) -> list[tuple[str, Path]]:
    """``(doc_id, path)`` for each file whose id no earlier file in ``files`` claimed; a
    later file with a taken id gets a "skipped" report row (the names rule above)."""
    first: dict[str, Path] = {}
    out = []
    for f in files:
        doc_id = doc_id_for(f)
        if doc_id in first:
            report.append(row(doc_id, f, "skipped", "skipped", f"same document id as {first[doc_id].name}"))
            continue
        first[doc_id] = f
        out.append((doc_id, f))
    return out


def hash_and_deduplicate(sources: dict[str, Source], indexed: dict[str, str], report: list[dict[str, Any]]) -> None:
    """Fill in each source's SHA-256 and drop duplicate contents (the contents rule above).

    ``indexed`` maps the ids of the last snapshot to their SHA-256. A vanished explicit
    source whose id is indexed keeps its indexed copy (``missing``); any other unreadable
    source is dropped with a "failed" row. Modifies ``sources`` in place."""
    for doc_id, src in sorted(sources.items()):
        if src.prepared is not None:
            src.sha256 = src.prepared[0].sha256
            continue
        try:
            src.sha256 = sha256_file(src.path)
        except OSError as exc:
            if doc_id in indexed and src.origin != "corpus":
                src.sha256, src.missing = indexed[doc_id], True
            else:
                report.append(row(doc_id, src.path, "failed", "failed", f"unreadable: {exc.strerror or exc}"))
                del sources[doc_id]
    by_hash: dict[str, list[str]] = {}
    for doc_id, src in sources.items():
        by_hash.setdefault(src.sha256, []).append(doc_id)
    for sha, ids in by_hash.items():
        if len(ids) < 2:
            continue
        keep = min(ids, key=lambda i: (indexed.get(i) != sha, sources[i].origin == "corpus", i))
        for doc_id in ids:
            if doc_id != keep:
                report.append(row(doc_id, sources[doc_id].path, "skipped", "skipped",
                                  f"duplicate: same content as document {keep!r}", duplicate_of=keep))
                del sources[doc_id]


def read_source(doc_id: str, src: Source, settings: Settings) -> tuple[Document, list[Passage]]:
    """Read, clean and chunk one source: an upload only in the sandbox (``ingest.sandbox``),
    anything else in this process. Raises ``IngestError`` when it is unusable."""
    if src.prepared is not None:
        return src.prepared
    if src.origin == "upload":  # untrusted bytes: parsed only under the sandbox's limits
        # lazy: the sandbox (subprocess and resource limits) is loaded only for uploads
        from ingest.sandbox import ingest_sandboxed

        doc, passages, _ = ingest_sandboxed(src.path, settings, doc_id)
        doc.path = str(src.path)
        return doc, passages
    return ingest_one(src.path, settings, doc_id)


def ingest_sources(sources: dict[str, Source], settings: Settings, previous: Previous | None = None,
                   progress: bool = False) -> IngestResult:
    """Read every source, in id order, reusing what ``previous`` already holds.

    A source whose content and chunker are unchanged keeps its indexed document and
    passages ("unchanged"; "kept" when its file vanished). A source that fails to read
    keeps its previous version when there is one ("failed", reused); otherwise it is left
    out. Never raises for a bad document: the reason goes into the report (and the log)."""
    result = IngestResult()
    old_docs = previous.documents if previous is not None else {}
    iterator: Iterable = sorted(sources.items())
    if progress:
        # lazy: tqdm (~0.1 s) only draws the progress bar of an interactive ingest
        from tqdm import tqdm

        iterator = tqdm(list(iterator), desc="Dokumente lesen", unit="Dok")
    for doc_id, src in iterator:
        old = old_docs.get(doc_id)
        if src.prepared is None and old is not None and (src.missing or (previous.same_chunker and old.sha256 == src.sha256)):
            kept = previous.passages_of(doc_id)
            result.documents.append(old)
            result.passages.extend(kept)
            action, reason = ("kept", "source file missing; the indexed copy is kept") if src.missing else ("unchanged", None)
            result.report.append(row(doc_id, old.path, "ok", action, reason, reused=True, pages=old.pages,
                                     passages=len(kept)))
            continue
        try:
            doc, doc_passages = read_source(doc_id, src, settings)
        except IngestError as exc:
            log.warning("skipped %s: %s", src.path, exc.message)
            if old is not None:
                kept = previous.passages_of(doc_id)
                result.documents.append(old)
                result.passages.extend(kept)
                src.sha256 = old.sha256
                result.report.append(row(doc_id, src.path, "failed", "failed",
                                         f"{exc.message}; the previous version stays indexed",
                                         reused=True, pages=old.pages, passages=len(kept)))
            else:
                result.report.append(row(doc_id, src.path, "failed", "failed", exc.message))
                src.sha256 = ""
            continue
        result.documents.append(doc)
        result.passages.extend(doc_passages)
        action = "added" if old is None else ("replaced" if old.sha256 != doc.sha256 else "reindexed")
        result.report.append(row(doc.id, doc.path, "ok", action, None, reused=False, pages=doc.pages,
                                 passages=len(doc_passages), words=len(doc.text.split()), **report_extras(doc)))
    return result


def ingest_paths(paths: list[Path], settings: Settings, progress: bool = False) -> IngestResult:
    """Ingest every file found under ``paths`` (files, or folders searched recursively)
    with the same rules as a build, without embedding: for tests, eval and inspection."""
    report: list[dict[str, Any]] = []
    sources = {doc_id: Source(f, "corpus") for doc_id, f in claim_ids(discover(paths), report)}
    hash_and_deduplicate(sources, {}, report)
    result = ingest_sources(sources, settings, None, progress)
    result.report[:0] = report
    return result
