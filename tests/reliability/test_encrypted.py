"""Encrypted PDFs (issue 16, item 7): AES ones are read when they open without a password
(pypdf with `cryptography`), reported and skipped otherwise; never an aborted ingest."""

from __future__ import annotations

import shutil

import pytest

from index.build import build_index
from index.model.embedder import HashEmbedder
from core.errors import IngestError
from ingest.pipeline import ingest_one
from ingest.readers import read_document
from core.settings import Settings
from tests.reliability.conftest import FIXTURE_CORPUS, GERMAN, make_pdf
from tests.reliability.test_upload import upload


def encrypted(path, user: str, algorithm: str = "AES-256"):
    from pypdf import PdfReader, PdfWriter

    make_pdf(path, [GERMAN])
    w = PdfWriter(clone_from=PdfReader(str(path)))
    w.encrypt(user_password=user, owner_password="owner-secret", algorithm=algorithm)
    with open(path, "wb") as fh:
        w.write(fh)
    return path


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256", "AES-256-R5"])
def test_aes_pdf_without_user_password_is_read(tmp_path, algorithm):
    path = encrypted(tmp_path / "offen.pdf", "", algorithm)
    doc, passages = ingest_one(path, Settings.from_env(data_dir=tmp_path))
    assert "Willkommensbüro" in doc.text and passages


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256", "RC4-128"])
def test_pdf_with_user_password_is_refused_clearly(tmp_path, algorithm):
    path = encrypted(tmp_path / "geheim.pdf", "geheim", algorithm)
    with pytest.raises(IngestError, match=r"encrypted PDF \(password required\)"):
        read_document(path)


def test_missing_crypto_library_is_a_clear_error(tmp_path, monkeypatch):
    import pypdf
    from pypdf.errors import DependencyError

    def no_crypto(*args, **kwargs):
        raise DependencyError("cryptography>=3.1 is required for AES algorithm")

    path = encrypted(tmp_path / "offen.pdf", "")
    monkeypatch.setattr(pypdf, "PdfReader", no_crypto)
    with pytest.raises(IngestError, match="cannot decrypt"):
        read_document(path)


def test_encrypted_pdf_in_corpus_is_reported_and_skipped(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    encrypted(corpus / "geheim.pdf", "geheim")
    outcome = build_index(Settings.from_env(data_dir=tmp_path / "var", corpus_dir=corpus), HashEmbedder(32))
    rows = {r["doc_id"]: r for r in outcome.report}
    assert rows["geheim"]["status"] == "failed" and "password required" in rows["geheim"]["reason"]
    assert outcome.rebuilt and outcome.counts["documents"] == 4


def test_encrypted_upload_says_why(writer, tmp_path):
    r = upload(writer, "geheim.pdf", encrypted(tmp_path / "g.pdf", "geheim").read_bytes())
    assert r.status_code == 422 and r.json()["error"]["message"] == "encrypted PDF (password required)"
    r = upload(writer, "offen.pdf", encrypted(tmp_path / "o.pdf", "").read_bytes())
    assert r.status_code == 201, r.text
