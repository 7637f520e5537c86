"""Hostile and broken input at the API: each gets a clear 4xx and leaves the index as it was.

The reader-level cases (encodings, binary, empty, encrypted, truncated, garbage PDFs,
page cap) are in ``tests/ingest/test_readers.py``; here they go through the upload
endpoint and its sandbox, plus the bombs and the query catalogue.
"""

from __future__ import annotations

import pytest

from core.settings import Settings
from tests.reliability import hostile
from tests.reliability.conftest import GERMAN, make_pdf
from tests.reliability.test_upload import upload


def _rejected(client, name: str, data: bytes, reason: str) -> dict:
    before = client.get("/readyz").json()["snapshot_id"]
    r = upload(client, name, data)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "ingest_error" and reason in error["message"], error
    assert "/" not in error["message"]  # no server paths
    assert client.get("/readyz").json()["snapshot_id"] == before
    return error


def test_broken_pdfs(writer, tmp_path):
    good = make_pdf(tmp_path / "good.pdf", [GERMAN]).read_bytes()
    _rejected(writer, "kaputt.pdf", b"%PDF-1.4\n" + b"\x00garbage" * 200, "PDF")
    _rejected(writer, "halb.pdf", hostile.truncated(good), "PDF")
    _rejected(writer, "bild.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 500, "PDF")


def test_encrypted_pdf(writer, tmp_path):
    from pypdf import PdfReader, PdfWriter

    path = make_pdf(tmp_path / "secret.pdf", [GERMAN])
    w = PdfWriter(clone_from=PdfReader(str(path)))
    w.encrypt(user_password="geheim", owner_password="owner", algorithm="RC4-128")
    with open(path, "wb") as fh:
        w.write(fh)
    _rejected(writer, "secret.pdf", path.read_bytes(), "encrypted PDF")


def test_page_count_bomb(writer):
    _rejected(writer, "seiten.pdf", hostile.page_count_bomb(5000), "limit is 2000")


def test_deep_nesting_is_bounded(writer):
    r = upload(writer, "tief.pdf", hostile.deep_nesting_pdf(100_000))
    assert r.status_code in (201, 422), r.text  # either parsed or refused, never a crash or a hang
    if r.status_code == 422:
        assert r.json()["error"]["code"] == "ingest_error"


def test_decompression_bomb_hits_the_sandbox_limit(data_settings, make_client):
    client = make_client(data_settings.with_(upload_check_seconds=2))
    _rejected(client, "bombe.pdf", hostile.decompression_bomb_pdf(pages=100, expanded_mb=8), "limit")


@pytest.mark.parametrize("name, data, reason", [
    ("leer.txt", b"", "empty"),
    ("leer.md", b"  \n\n \t ", "empty"),
    ("binaer.txt", bytes(range(256)) * 40, "binary"),
    ("zufall.md", bytes((i * 7919 + 13) % 251 + 1 for i in range(20000)), "not a text file"),
])
def test_bad_text_files(writer, name, data, reason):
    _rejected(writer, name, data, reason)


@pytest.mark.parametrize("name, data", [
    ("latin1.txt", GERMAN.encode("latin-1")),
    ("utf16.txt", GERMAN.encode("utf-16")),
])
def test_legacy_encodings_are_accepted(writer, name, data):
    r = upload(writer, name, data)
    assert r.status_code == 201, r.text
    hits = writer.get("/api/search", params={"q": "Willkommensbüro", "mode": "bm25", "k": 1}).json()["results"]
    assert hits[0]["doc_id"] == name.split(".")[0]


# -- queries --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reader(template):
    from fastapi.testclient import TestClient

    from index.model.embedder import HashEmbedder
    from service.api import create_app
    from service.application import Application

    corpus, data = template
    settings = Settings.from_env(data_dir=data, corpus_dir=corpus, reload_check_seconds=0)
    return TestClient(create_app(settings, Application(settings, embedder=HashEmbedder(64))),
                      raise_server_exceptions=False)


@pytest.mark.parametrize("q", ["Привет, интеграция мигрантов", "移民融合与志愿者", "🙂🎉 Ehrenamt 🚀",
                               "اندماج المهاجرين", "שילוב עולים", "\u202eEhrenamt\u202c", "Ehrenamt\x00\x07\x1b[31m",
                               "Ünïcödé\u0301 Straße", "x"])
def test_queries_in_other_scripts_and_with_controls(reader, q):
    for mode in ("hybrid", "dense", "bm25"):
        r = reader.get("/api/search", params={"q": q, "mode": mode})
        assert r.status_code == 200, (mode, r.text)
        assert "\x00" not in r.json()["query"] and "\x1b" not in r.json()["query"]


@pytest.mark.parametrize("q", ["\x00\x01\x02", "🙂🎉", "\u200b\u200b", "—" * 50])
def test_queries_without_words(reader, q):
    r = reader.get("/api/search", params={"q": q})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"


def test_huge_query(reader):
    r = reader.get("/api/search", params={"q": "Integration " * 5000})
    assert r.status_code == 400 and "too long" in r.json()["error"]["message"]


@pytest.mark.parametrize("params", [{"bundesland": "Atlantis"}, {"theme": "Raumfahrt"}])
def test_unknown_filter_values_list_the_valid_ones(reader, params):
    r = reader.get("/api/search", params={"q": "Ehrenamt", **params})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
    assert "Hessen" in r.json()["error"]["detail"]["valid"] or "Wohnen" in r.json()["error"]["detail"]["valid"]


@pytest.mark.parametrize("params", [{"min_population": 10**12}, {"max_population": 0}])
def test_impossible_population_filters_give_empty_results(reader, params):
    r = reader.get("/api/search", params={"q": "Ehrenamt", **params})
    assert r.status_code == 200 and r.json()["results"] == []


@pytest.mark.parametrize("path", ["/api/passages/%00", "/api/documents/..%2F..%2Fetc%2Fpasswd",
                                  "/api/municipalities/%E2%80%AE", "/api/passages/" + "a" * 5000])
def test_unknown_ids(reader, path):
    r = reader.get(path)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
