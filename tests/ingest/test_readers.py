from pathlib import Path

import pytest

from core.errors import IngestError
from ingest.readers import decode_text, read_document, split_pages


def test_txt_pages_split_on_three_blank_lines(tmp_path: Path):
    path = tmp_path / "a.txt"
    path.write_text("Seite eins.\n\n\nnoch Seite eins.\n\n \n\t\nSeite zwei.\n\n\n\n\nSeite drei.", encoding="utf-8")
    raw = read_document(path)
    assert raw.format == "txt"
    assert [p.strip() for p in raw.pages] == ["Seite eins.\n\n\nnoch Seite eins.", "Seite zwei.", "Seite drei."]


def test_form_feed_is_a_page_break():
    assert len(split_pages("eins\fzwei")) == 2


def test_utf8_bom_is_removed(tmp_path: Path):
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffÜberörtliche Straße".encode("utf-8"))
    assert read_document(path).pages == ["Überörtliche Straße"]


def test_utf16_with_bom(tmp_path: Path):
    path = tmp_path / "u16.txt"
    path.write_bytes("Größere Städte und Gemeinden".encode("utf-16"))
    assert read_document(path).pages[0] == "Größere Städte und Gemeinden"


def test_latin1_fallback(tmp_path: Path):
    path = tmp_path / "latin.txt"
    path.write_bytes("Die Bürgerinnen und Bürger begrüßen die Maßnahme.".encode("latin-1"))
    assert read_document(path).pages[0] == "Die Bürgerinnen und Bürger begrüßen die Maßnahme."


def test_binary_with_txt_suffix_is_rejected(tmp_path: Path):
    path = tmp_path / "bild.txt"
    path.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(IngestError, match="binary"):
        read_document(path)


def test_random_bytes_without_nul_are_rejected():
    data = bytes(b for b in range(128, 256)) * 50
    with pytest.raises(IngestError):
        decode_text(data.replace(b"\x00", b""))


@pytest.mark.parametrize("content", [b"", b"   \n\n\t \n"])
def test_empty_file(tmp_path: Path, content: bytes):
    path = tmp_path / "leer.md"
    path.write_bytes(content)
    with pytest.raises(IngestError, match="empty"):
        read_document(path)


def test_unsupported_suffix(tmp_path: Path):
    path = tmp_path / "tabelle.docx"
    path.write_bytes(b"PK")
    with pytest.raises(IngestError, match="unsupported"):
        read_document(path)


def test_missing_file(tmp_path: Path):
    with pytest.raises(IngestError, match="cannot read"):
        read_document(tmp_path / "fehlt.txt")


def test_pdf_one_page_per_pdf_page(pdf_path: Path):
    raw = read_document(pdf_path)
    assert raw.format == "pdf"
    assert len(raw.pages) == 3
    assert "Großweiler" in raw.pages[0] and "Sprachförderung" in raw.pages[1] and "Wohnen" in raw.pages[2]
    assert len(raw.sha256) == 64


def test_encrypted_pdf(encrypted_pdf: Path):
    with pytest.raises(IngestError, match="encrypted PDF"):
        read_document(encrypted_pdf)


def test_truncated_pdf(truncated_pdf: Path):
    with pytest.raises(IngestError, match="(corrupt PDF|no text)"):
        read_document(truncated_pdf)


def test_garbage_pdf(tmp_path: Path):
    path = tmp_path / "falsch.pdf"
    path.write_bytes(b"%PDF-1.7\nkein echtes pdf\n%%EOF")
    with pytest.raises(IngestError, match="corrupt PDF"):
        read_document(path)


def test_pdf_without_text(tmp_path: Path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 50, 50)
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    with pytest.raises(IngestError, match="no text"):
        read_document(path)


def test_pdf_page_cap(pdf_path: Path, monkeypatch):
    monkeypatch.setattr("ingest.readers.MAX_PDF_PAGES", 2)
    with pytest.raises(IngestError, match="limit is 2"):
        read_document(pdf_path)
