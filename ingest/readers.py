"""Read a source file into pages of raw text.

Supported: ``.pdf`` (pypdf, one page per PDF page), ``.txt`` and ``.md`` (pages are
separated by runs of three or more blank lines or by form feeds, the way the corpus
exports mark page and slide breaks). Every failure is an :class:`IngestError` with a
short reason, so the pipeline can report the file and move on.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.errors import IngestError

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".pdf", ".txt", ".md")
MAX_PDF_PAGES = 2000  # refuse hostile or absurd PDFs instead of grinding through them
MAX_FILE_BYTES = 200 * 1024 * 1024

_PAGE_BREAK = re.compile(r"\n(?:[ \t\u00a0]*\n){3,}|\f")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass
class RawDocument:
    """A file's text split into pages, before cleaning."""

    path: Path
    format: str
    pages: list[str]
    sha256: str
    meta: dict[str, Any] = field(default_factory=dict)


def read_document(path: Path, meta: dict | None = None) -> RawDocument:
    """Read ``path`` into a :class:`RawDocument`; raise :class:`IngestError` on failure."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(f"unsupported file type {suffix or '(none)'}", {"path": str(path)})
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise IngestError(f"file too large ({size} bytes, limit {MAX_FILE_BYTES})", {"path": str(path)})
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"cannot read file: {exc.strerror or exc}", {"path": str(path)}) from exc
    digest = hashlib.sha256(data).hexdigest()
    if suffix == ".pdf":
        pages = _pdf_pages(data, path)
        fmt = "pdf"
    else:
        pages = split_pages(decode_text(data, path))
        fmt = suffix[1:]
    return RawDocument(path=path, format=fmt, pages=pages, sha256=digest, meta=dict(meta or {}))


def split_pages(text: str) -> list[str]:
    """Split exported text into pages at runs of >= 3 blank lines or form feeds."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    pages = _PAGE_BREAK.split(text)
    return pages if pages else [""]


def decode_text(data: bytes, path: Path | None = None) -> str:
    """Decode a text file: BOMs first, then UTF-8, then cp1252/latin-1 if it looks like text."""
    detail = {"path": str(path)} if path else None
    if data.startswith(b"\xef\xbb\xbf"):
        text = _strict(data[3:], "utf-8", detail)
    elif data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        text = _strict(data, "utf-32", detail)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _strict(data, "utf-16", detail)
    else:
        if b"\x00" in data:
            raise IngestError("binary file (contains NUL bytes)", detail)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = _legacy_decode(data, detail)
    if _CONTROL.search(text) and len(_CONTROL.findall(text)) > max(2, len(text) // 200):
        raise IngestError("binary file (too many control characters)", detail)
    if not text.strip():
        raise IngestError("empty file", detail)
    return text


def _strict(data: bytes, encoding: str, detail: Any) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise IngestError(f"invalid {encoding} text", detail) from exc


def _legacy_decode(data: bytes, detail: Any) -> str:
    """cp1252, else latin-1, accepted only if the result is mostly letters and spaces."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    sample = text[:20000]
    letters = sum(ch.isalpha() or ch.isspace() for ch in sample)
    if not sample or letters / len(sample) < 0.7 or _CONTROL.search(sample):
        raise IngestError("not a text file (undecodable bytes)", detail)
    log.info("decoded %s as cp1252/latin-1", detail)
    return text


def _pdf_pages(data: bytes, path: Path) -> list[str]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

    detail = {"path": str(path)}
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except (DependencyError, NotImplementedError) as exc:
                raise IngestError("encrypted PDF (cannot decrypt)", detail) from exc
            if not ok:
                raise IngestError("encrypted PDF (password required)", detail)
        count = len(reader.pages)
        if count > MAX_PDF_PAGES:
            raise IngestError(f"PDF has {count} pages; limit is {MAX_PDF_PAGES}", detail)
        pages = [_pdf_paragraphs(page.extract_text() or "") for page in reader.pages]
    except IngestError:
        raise
    except FileNotDecryptedError as exc:
        raise IngestError("encrypted PDF (password required)", detail) from exc
    except DependencyError as exc:  # AES without `cryptography`: raised by PdfReader() itself, not only decrypt()
        raise IngestError("encrypted PDF (cannot decrypt: AES needs the `cryptography` package)", detail) from exc
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            OSError, AssertionError, ZeroDivisionError) as exc:
        raise IngestError(f"corrupt PDF: {type(exc).__name__}: {exc}"[:300], detail) from exc
    if count == 0:
        raise IngestError("corrupt PDF: no pages", detail)
    if not any(p.strip() for p in pages):
        raise IngestError("no text (scanned?)", detail)
    return pages


def _pdf_paragraphs(text: str) -> str:
    """Insert blank lines where pypdf's plain text likely ends a paragraph or heading.

    pypdf's plain mode keeps reading order but drops vertical gaps; a line that is clearly
    shorter than the page's full lines and ends a sentence (or is a short title line
    followed by a capitalised line) is taken as a block end.
    """
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").split("\n")]
    lengths = sorted(len(ln) for ln in lines if ln.strip())
    if len(lengths) < 3:
        return "\n".join(lines)
    full = lengths[int(len(lengths) * 0.9) - 1]
    out: list[str] = []
    for i, line in enumerate(lines):
        out.append(line)
        nxt = lines[i + 1].lstrip() if i + 1 < len(lines) else ""
        if not line.strip() or not nxt:
            continue
        short = len(line) < 0.8 * full
        ends_sentence = line.endswith((".", "!", "?", ":", "“", '"'))
        title = len(line) < 0.6 * full and not line.endswith(("-", ",")) and nxt[:1].isupper()
        if short and (ends_sentence or title):
            out.append("")
    return "\n".join(out)


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
