"""Read a source file into pages of raw text.

Supported: ``.pdf`` (one page per PDF page), ``.txt`` and ``.md`` (pages are separated
by form feeds, which mark real pages, or by runs of three or more blank lines, which the
corpus exports use for page and slide breaks but not reliably). Every failure is an
:class:`IngestError` with a short reason, so the pipeline can report the file and move on.

PDF text comes from pypdfium2 (PDFium): on real German manuals it keeps the spaces
between words that pypdf drops (docs/measurements.md, "PDF text extraction"; ``eval/pdf_compare.py``).
pypdf still serves for what it does well: encryption checks, page count and the
document's page labels (the printed page numbers, ``/PageLabels``). A page PDFium
cannot read, or reads as empty while pypdf finds text, falls back to pypdf.

Text files are decoded per segment: valid UTF-8 stays as it is, and only the bytes that
are not UTF-8 are read as cp1252; then ``ftfy`` repairs mojibake line by line ("Ã¼" ->
"ü"). What was repaired is recorded in ``RawDocument.meta["repairs"]``.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ftfy

from core.errors import IngestError
from ingest.bounds import cap_pages, cap_runs

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".pdf", ".txt", ".md")
MAX_PDF_PAGES = 2000  # refuse hostile or absurd PDFs instead of grinding through them
MAX_FILE_BYTES = 200 * 1024 * 1024

_PAGE_BREAK = re.compile(r"\n(?:[ \t\u00a0]*\n){3,}|\f")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_CP1252_HANDLER = "praxisfinder-cp1252"


def _cp1252_bytes(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read the undecodable bytes of a UTF-8 text as cp1252."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    return bad.decode("cp1252", errors="replace").replace("\ufffd", "") or "", exc.end


codecs.register_error(_CP1252_HANDLER, _cp1252_bytes)


@dataclass
class RawDocument:
    """A file's text split into pages, before cleaning.

    ``page_labels`` holds the printed page label of each page where it is known (PDF
    page labels or page numbers printed in headers and footers), else is empty.
    ``physical_pages`` is False when the page breaks are only guessed from blank lines.
    """

    path: Path
    format: str
    pages: list[str]
    sha256: str
    meta: dict[str, Any] = field(default_factory=dict)
    page_labels: list[str] = field(default_factory=list)
    physical_pages: bool = True


def read_document(path: Path, meta: dict | None = None) -> RawDocument:
    """Read ``path`` into a :class:`RawDocument`; raise :class:`IngestError` on failure.

    ``.pdf`` via pypdfium2 (pypdf for encryption, page labels and fallback pages),
    ``.txt``/``.md`` via :func:`decode_text_report` and :func:`split_pages`. Failures:
    unsupported suffix, over ``MAX_FILE_BYTES`` (200 MiB), unreadable, encrypted or
    broken PDF, over ``MAX_PDF_PAGES`` pages, undecodable or empty text. ``meta`` is
    copied into the result (plus ``pdf`` or ``repairs`` details).
    """
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
    meta = dict(meta or {})
    if suffix == ".pdf":
        pages, labels, info = _pdf_pages(data, path)
        pages, cut = cap_pages(pages)  # the PDF's own patterns ran on lines PDFium laid out; the rest is capped
        if cut:
            info = {**(info or {}), "cut_runs": cut}
        if info:
            meta["pdf"] = info
        return RawDocument(path=path, format="pdf", pages=pages, sha256=digest, meta=meta,
                           page_labels=labels, physical_pages=True)
    text, repairs = decode_text_report(data, path)
    if repairs:
        meta["repairs"] = repairs
    formfeeds = "\f" in text
    pages = split_pages(text)
    labels = printed_page_labels(pages) if formfeeds else []
    return RawDocument(path=path, format=suffix[1:], pages=pages, sha256=digest, meta=meta,
                       page_labels=labels, physical_pages=formfeeds)


def split_pages(text: str) -> list[str]:
    """Split exported text into pages at runs of >= 3 blank lines or form feeds."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    pages = _PAGE_BREAK.split(text)
    return pages if pages else [""]


def decode_text(data: bytes, path: Path | None = None) -> str:
    """Decode a text file to NFC text; see :func:`decode_text_report`."""
    return decode_text_report(data, path)[0]


def decode_text_report(data: bytes, path: Path | None = None) -> tuple[str, dict[str, Any]]:
    """Decode a text file and repair its encoding per segment; return (text, repairs).

    BOMs first (UTF-8, UTF-16, UTF-32, strict). Otherwise UTF-8, where each run of bytes
    that is not valid UTF-8 is read as cp1252 on its own, so one stray byte does not
    turn every umlaut of the file into mojibake. A file with no valid UTF-8 multi-byte
    sequence and many invalid bytes is a cp1252/latin-1 file and decoded as a whole.
    Runs of more than ``ingest.bounds.MAX_TOKEN_CHARS`` non-space characters (or of
    ``MAX_SPACE_CHARS`` spaces) are cut first (``repairs["cut_runs"]``, see
    :mod:`ingest.bounds`). Then ``ftfy.fix_text`` repairs mojibake per line (quotes, ligatures and line breaks
    left alone) and the text is NFC-normalised. ``repairs`` counts what changed:
    ``{"cp1252_bytes": n, "mojibake_lines": m, "examples": [...]}`` (empty if nothing).
    Raises :class:`IngestError` for binary, undecodable or empty input.
    """
    detail = {"path": str(path)} if path else None
    repairs: dict[str, Any] = {}
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
            text, bad = _mixed_decode(data, detail)
            repairs["cp1252_bytes"] = bad
    if _CONTROL.search(text) and len(_CONTROL.findall(text)) > max(2, len(text) // 200):
        raise IngestError("binary file (too many control characters)", detail)
    if not text.strip():
        raise IngestError("empty file", detail)
    text, cut = cap_runs(text)  # before any pattern or per-line repair runs over the text
    if cut:
        repairs["cut_runs"] = cut
    text, fixed = _fix_mojibake(text)
    if fixed:
        repairs["mojibake_lines"] = len(fixed)
        repairs["examples"] = fixed[:3]
    if repairs:
        log.info("repaired encoding of %s: %s", detail, repairs)
    return unicodedata.normalize("NFC", text), repairs


_FTFY_CONFIG = None


def _fix_mojibake(text: str) -> tuple[str, list[str]]:
    """ftfy per line; returns the text and the repaired lines (after repair, shortened)."""

    global _FTFY_CONFIG
    if _FTFY_CONFIG is None:
        _FTFY_CONFIG = ftfy.TextFixerConfig(
            unescape_html=False, remove_terminal_escapes=False, fix_latin_ligatures=False,
            fix_character_width=False, uncurl_quotes=False, fix_line_breaks=False,
            fix_surrogates=True, remove_control_chars=False, normalization=None, explain=False,
        )
    fixed: list[str] = []
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.isascii():
            continue
        repaired = ftfy.fix_text(line, _FTFY_CONFIG)
        if repaired != line:
            lines[i] = repaired
            fixed.append(repaired.strip()[:80])
    return "\n".join(lines), fixed


_invalid = threading.local()


def _count_invalid(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: count the undecodable bytes (into ``_invalid.n``), decode nothing."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _invalid.n += exc.end - exc.start
    return "", exc.end


codecs.register_error("praxisfinder-count-invalid", _count_invalid)


def _mixed_decode(data: bytes, detail: Any) -> tuple[str, int]:
    """UTF-8 with the invalid byte runs read as cp1252; a legacy file decoded whole.

    The invalid bytes are counted in one pass (a codec error handler); decoding again from
    each invalid byte on was quadratic in a file of many of them."""
    _invalid.n = 0
    data.decode("utf-8", errors="praxisfinder-count-invalid")
    invalid = _invalid.n
    multibyte = len(re.findall(rb"[\xc2-\xf4][\x80-\xbf]+", data))
    if multibyte == 0 or invalid > max(16, len(data) // 50):
        return _legacy_decode(data, detail), invalid
    text = data.decode("utf-8", errors=_CP1252_HANDLER)
    return text, invalid


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


def _pdf_pages(data: bytes, path: Path) -> tuple[list[str], list[str], dict[str, Any]]:
    """(page texts, printed page labels or [], info) of a PDF.

    pypdf opens the file first (encryption, page count, ``/PageLabels``); PDFium then
    extracts the text. Raises :class:`IngestError` for encrypted, corrupt, oversized or
    text-less PDFs.
    """

    # lazy: the PDF libraries load only when a PDF is read
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
        labels: list[str] = []
        root = reader.trailer.get("/Root")
        if root is not None and "/PageLabels" in root.get_object():
            labels = [str(label) for label in reader.page_labels]
        texts, fallback = _pdfium_texts(data, count)
        for i in fallback:
            texts[i] = reader.pages[i].extract_text() or ""
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
    pages = [_pdf_paragraphs(_normalize_pdf_text(t)) for t in texts]
    if not any(p.strip() for p in pages):
        raise IngestError("no text (scanned?)", detail)
    info: dict[str, Any] = {"extractor": "pypdfium2"}
    if fallback:
        info["pypdf_pages"] = [i + 1 for i in fallback]
    if labels:
        info["page_labels"] = "PageLabels"
    else:
        labels = printed_page_labels(pages)
        if labels:
            info["page_labels"] = "printed page numbers"
    return pages, labels, info


def _pdfium_texts(data: bytes, count: int) -> tuple[list[str], list[int]]:
    """Page texts from PDFium and the indexes of pages to read with pypdf instead."""
    try:
        # lazy: the PDF libraries load only when a PDF is read
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(data)
    except Exception as exc:  # PDFium refuses the file: pypdf reads every page
        log.info("pypdfium2 cannot open the PDF (%s); using pypdf", exc)
        return [""] * count, list(range(count))
    texts: list[str] = []
    fallback: list[int] = []
    try:
        for i in range(min(count, len(document))):
            try:
                page = document[i]
                text = page_text_in_reading_order(page)
            except Exception as exc:  # one unreadable page: pypdf tries it
                log.info("pypdfium2 failed on page %d (%s); using pypdf", i + 1, exc)
                text = ""
            if not text.strip():
                fallback.append(i)
            texts.append(text)
    finally:
        document.close()
    while len(texts) < count:
        fallback.append(len(texts))
        texts.append("")
    return texts, fallback


# Page furniture PDFium leaves in text: U+FFFE marks a hyphen at a line end, U+0002 too.
_PDFIUM_HYPHEN = re.compile("[\ufffe\x02]")


def _normalize_pdf_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _PDFIUM_HYPHEN.sub("-\n", text)
    return _CONTROL.sub("", text)


COLUMN_GUTTER_RANGE = (0.3, 0.7)  # where a gutter between two columns may lie (page width)


def page_text_in_reading_order(page: Any) -> str:
    """A PDFium page's text, two-column layouts read column by column.

    PDFium returns text in content-stream order, which is reading order for most files.
    When the page's text lines fall into a left and a right column (a vertical gutter
    between 30 % and 70 % of the width that no line crosses, each side holding at least
    three lines) and the content stream alternates between them, the lines are
    re-ordered: full-width lines (headings) split the page into bands, and in each band
    the left column is read top to bottom before the right one.
    """
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        n = textpage.count_rects()
        if n < 6:
            return _mark_large_lines(textpage, text)
        rects = [textpage.get_rect(i) for i in range(n)]
        width = float(page.get_width())
        gutter = _gutter(rects, width)
        if gutter is None:
            return text
        sides = ["L" if r <= gutter else "R" if l >= gutter else "F" for l, _b, r, _t in rects]
        column_seq = [s for s in sides if s != "F"]
        switches = sum(a != b for a, b in zip(column_seq, column_seq[1:]))
        if switches <= 1 + 2 * sides.count("F"):
            return _mark_large_lines(textpage, text)  # already column by column
        order = _column_order(rects, sides)
        lines: list[str] = []
        for group in order:
            parts = [textpage.get_text_bounded(*_pad(rects[i])).strip() for i in group]
            lines.append(" ".join(p for p in parts if p))
        return "\n".join(line for line in lines if line)
    finally:
        textpage.close()


HEADING_SIZE_RATIO = 1.15  # a line set this much larger than the body text is a heading
MAX_HEADING_LINE_WORDS = 14


def _mark_large_lines(textpage: Any, text: str) -> str:
    """Put blank lines around lines set in a larger font than the page's body text.

    PDFium reports each character's font size; the body size is the size most
    characters have. A run of short lines (at most ``MAX_HEADING_LINE_WORDS`` words)
    at least ``HEADING_SIZE_RATIO`` times larger stands apart as its own paragraph, so
    the cleaner sees it as a heading instead of the first words of the text below.
    """
    try:
        # lazy: the PDF libraries load only when a PDF is read
        import pypdfium2.raw as pdfium_c

        count = textpage.count_chars()
        if count != len(text) or count == 0:
            return text
        sizes = [pdfium_c.FPDFText_GetFontSize(textpage, i) for i in range(count)]
    except Exception:  # sizes are a refinement; without them the text stays as it is
        return text
    lines: list[tuple[str, float]] = []
    body: dict[float, int] = {}
    start = 0
    for end in [i for i, ch in enumerate(text) if ch == "\n"] + [len(text)]:
        line_sizes = [round(sizes[i], 1) for i in range(start, end) if not text[i].isspace()]
        for size in line_sizes:
            body[size] = body.get(size, 0) + 1
        line_sizes.sort()
        lines.append((text[start:end], line_sizes[len(line_sizes) // 2] if line_sizes else 0.0))
        start = end + 1
    if not body:
        return text
    body_size = max(body, key=body.get)
    out: list[str] = []
    previous_large = False
    for line, size in lines:
        large = (size >= HEADING_SIZE_RATIO * body_size and 0 < len(line.split()) <= MAX_HEADING_LINE_WORDS
                 and any(ch.isalpha() for ch in line))
        if large != previous_large and out:
            out.append("")
        out.append(line.rstrip("\r"))
        previous_large = large
    return "\n".join(out)


def _pad(rect: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    left, bottom, right, top = rect
    return left - 0.5, bottom - 0.5, right + 0.5, top + 0.5


def _gutter(rects: list[tuple[float, float, float, float]], width: float) -> float | None:
    """An x position in the middle band that no text line crosses, if columns exist."""
    if width <= 0:
        return None
    best, best_cross = None, None
    lo, hi = COLUMN_GUTTER_RANGE
    for step in range(int(lo * 100), int(hi * 100) + 1):
        x = width * step / 100
        left = sum(r <= x for _l, _b, r, _t in rects)
        right = sum(l >= x for l, _b, _r, _t in rects)
        cross = len(rects) - left - right
        if left >= 3 and right >= 3 and cross <= 0.25 * len(rects):
            if best_cross is None or cross < best_cross:
                best, best_cross = x, cross
    return best


def _column_order(rects: list[tuple[float, float, float, float]], sides: list[str]) -> list[list[int]]:
    """Line groups (rect indexes) in reading order: per band, left column then right."""
    tops = [t for _l, _b, _r, t in rects]
    full = sorted((i for i, s in enumerate(sides) if s == "F"), key=lambda i: -tops[i])
    bands: list[list[int]] = [[] for _ in range(len(full) + 1)]
    for i, side in enumerate(sides):
        if side == "F":
            continue
        band = sum(tops[i] < tops[f] for f in full)  # full-width lines above this one
        bands[band].append(i)
    order: list[list[int]] = []
    for k, band in enumerate(bands):
        if k > 0:
            order.append([full[k - 1]])
        for side in ("L", "R"):
            members = sorted((i for i in band if sides[i] == side), key=lambda i: (-tops[i], rects[i][0]))
            for i in members:  # rects on one baseline (font changes) make one line
                if order and order[-1] and sides[order[-1][-1]] == side and abs(tops[order[-1][-1]] - tops[i]) < 2:
                    order[-1].append(i)
                else:
                    order.append([i])
    return order


_PRINTED_NUMBER = re.compile(
    r"""(?ix)^(?:
        (?:seite|s\.|page)\s*(\d{1,4})(?:\s*(?:von|/|of)\s*\d{1,4})?
      | [-–—]?\s*(\d{1,4})\s*[-–—]?
      | (\d{1,4})\s*/\s*\d{1,4}
    )$"""
)
_PRINTED_TAIL = re.compile(r"(?i)(?:^|[|·•]\s*|(?<!\s)\s{2,})(?:seite|page)\s+(\d{1,4})(?:\s+(?:von|of)\s+\d{1,4})?\s*$")
_PRINTED_EDGE = re.compile(r"^(\d{1,4})(?:\s{2,}|\s*[|·•]\s*)\S.*|.*\S(?:\s{2,}|\s*[|·•]\s*)(\d{1,4})$")


def printed_page_numbers(pages: list[str]) -> list[int | None]:
    """The page number printed in each page's header or footer, where one is found.

    Looks at the first two and last two non-empty lines of a page for a bare number
    ("12", "- 12 -"), "Seite 12 (von 40)", "12/40", a footer ending in "| Seite 12 von
    40" or a running header or footer that starts or ends with the number set apart by
    a bar or a wide gap ("12 | Integrationsbericht", "Kapitel 3     12").
    """
    found: list[int | None] = []
    for text in pages:
        lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
        edges = lines[:2] + lines[-2:] if len(lines) > 4 else lines
        number: int | None = None
        for strict in (True, False):
            for line in edges:
                m = _PRINTED_NUMBER.match(line) or _PRINTED_TAIL.search(line)
                if m is None and not strict and len(line) < 120:
                    m = _PRINTED_EDGE.match(line)
                if m:
                    number = int(next(g for g in m.groups() if g))
                    break
            if number is not None:
                break
        found.append(number)
    return found


def printed_page_labels(pages: list[str]) -> list[str]:
    """Printed page labels for every page, if headers/footers number the pages consistently.

    The printed numbers found by :func:`printed_page_numbers` must agree on one offset to
    the physical page (printed = physical + offset) on at least two pages, on at least
    half of the pages where a number was found and on at least 30 % of all pages; pages from the first numbered one on are
    labelled physical + offset, earlier pages (cover, front matter) keep no label (""),
    and [] is returned when no consistent numbering exists.
    """
    numbers = printed_page_numbers(pages)
    offsets = [n - i for i, n in enumerate(numbers, start=1) if n is not None]
    if len(offsets) < 2:
        return []
    best = max(set(offsets), key=offsets.count)
    support = offsets.count(best)
    if support < 2 or support < 0.5 * len(offsets) or support < 0.3 * len(pages):
        return []
    first = next(i for i, n in enumerate(numbers, start=1) if n is not None and n - i == best)
    return ["" if i < first or i + best < 1 else str(i + best) for i in range(1, len(pages) + 1)]


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
    """SHA-256 of a file's bytes as 64 hex digits, read in 1 MiB blocks (OSError propagates)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
