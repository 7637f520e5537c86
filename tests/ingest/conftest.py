"""Shared fixtures for the ingest tests: generated PDFs and the fixture corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FIXTURE_CORPUS = FIXTURES / "corpus"
REAL_CORPUS = Path(__file__).resolve().parents[2] / "corpus"

PDF_PAGES = [
    ("1 Einleitung", "Die Gemeinde Großweiler fördert die Integration von Zugewanderten. "
     "Der Bürgermeister eröffnete am 5. November 2019 das Begegnungszentrum. " * 3),
    ("2 Sprachförderung", "Die Volkshochschule bietet Sprachkurse für Mütter mit Kinderbetreuung an. "
     "Ehrenamtliche Lernpatinnen unterstützen die Teilnehmenden beim Üben. " * 3),
    ("3 Wohnen", "Die Wohnungsbaugesellschaft stellt Wohnungen für geflüchtete Familien bereit. "
     "Straßensozialarbeiterinnen begleiten den Einzug in die neue Nachbarschaft. " * 3),
]


def make_pdf(path: Path, pages=PDF_PAGES, encrypt_with: str | None = None) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for heading, body in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, heading)
        pdf.ln(4)
        pdf.multi_cell(0, 6, body)
    pdf.output(str(path))
    if encrypt_with:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(str(path)))
        writer.encrypt(user_password=encrypt_with, owner_password="owner", algorithm="RC4-128")
        with open(path, "wb") as fh:
            writer.write(fh)
    return path


@pytest.fixture
def pdf_factory():
    """``make_pdf(path, pages=..., encrypt_with=None)`` for tests that need several PDFs."""
    return make_pdf


@pytest.fixture
def fixture_corpus() -> Path:
    return FIXTURE_CORPUS


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def pdf_path(tmp_path: Path) -> Path:
    return make_pdf(tmp_path / "gemeinde.pdf")


@pytest.fixture
def encrypted_pdf(tmp_path: Path) -> Path:
    return make_pdf(tmp_path / "geheim.pdf", encrypt_with="geheim")


@pytest.fixture
def truncated_pdf(tmp_path: Path, pdf_path: Path) -> Path:
    data = pdf_path.read_bytes()
    path = tmp_path / "kaputt.pdf"
    path.write_bytes(data[: len(data) // 3])
    return path
