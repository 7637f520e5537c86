"""Generators for hostile and broken input files (written by the tests, never shipped)."""

from __future__ import annotations

import zlib
from pathlib import Path


def raw_pdf(objects: list[bytes]) -> bytes:
    """A syntactically valid PDF from object bodies (object 1 must be the catalog)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(data: bytes, compress: bool = False) -> bytes:
    if compress:
        data = zlib.compress(data, 1)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
TEXT = b"BT /F1 12 Tf 72 720 Td (Die Gemeinde foerdert Integration und Ehrenamt.) Tj ET"


def page_count_bomb(pages: int = 5000) -> bytes:
    """An honest page tree with ``pages`` leaves that all share one content stream."""
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
               FONT, _stream(TEXT)]
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 3 0 R >> >> >>"
    return raw_pdf(objects + [page] * pages)


def lying_count_pdf() -> bytes:
    """One page, but the page tree claims a billion."""
    return raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [5 0 R] /Count 1000000000 >>",
                    FONT, _stream(TEXT),
                    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                    b"/Resources << /Font << /F1 3 0 R >> >> >>"])


def deep_nesting_pdf(depth: int = 100_000) -> bytes:
    """A page whose resources hold an array nested ``depth`` levels deep."""
    nested = b"[" * depth + b"]" * depth
    return raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>", FONT,
                    _stream(TEXT),
                    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                    b"/Resources << /Font << /F1 3 0 R >> /Deep " + nested + b" >> >>"])


def decompression_bomb_pdf(pages: int = 200, expanded_mb: int = 60) -> bytes:
    """``pages`` pages sharing one Flate stream that inflates to ``expanded_mb`` MB of text operators."""
    content = TEXT + b"\n" + b"q Q " * (expanded_mb * 1024 * 1024 // 4)
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 3 0 R >> >> >>"
    return raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
                    FONT, _stream(content, compress=True)] + [page] * pages)


def truncated(pdf: bytes) -> bytes:
    return pdf[: len(pdf) // 2]


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
