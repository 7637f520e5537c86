"""Adding and removing documents through the API while the old snapshot keeps serving."""

from __future__ import annotations

import asyncio
import logging

import pytest

from index.snapshot import SnapshotStore
from service.security import PayloadTooLarge, RateLimiter, TooManyRequests, limited_receive
from service.upload import safe_name
from tests.reliability.conftest import AUTH, GERMAN, TOKEN, make_pdf


def upload(client, name: str, data: bytes, headers=AUTH):
    return client.post("/api/documents", files={"file": (name, data, "application/octet-stream")}, headers=headers)


def doc_ids(client) -> set[str]:
    return {d["id"] for d in client.get("/api/documents").json()}


def test_upload_search_duplicate_replace_delete(writer, data_settings):
    app = writer.app.state.application
    old = app.searcher
    r = upload(writer, "Neuhausen Willkommensbüro.txt", GERMAN.encode())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "added" and body["doc_id"] == "neuhausen-willkommensbuero"
    assert any(row["doc_id"] == body["doc_id"] and row["status"] == "ok" for row in body["report"])
    assert (data_settings.storage.sources_dir / "neuhausen-willkommensbuero.txt").read_text() == GERMAN
    assert "neuhausen-willkommensbuero" in doc_ids(writer)
    hits = writer.get("/api/search", params={"q": "Sprachpatinnen Neuhausen", "mode": "bm25"}).json()["results"]
    assert hits[0]["doc_id"] == "neuhausen-willkommensbuero"
    # the searcher that served before the upload still answers, without the new document
    assert "neuhausen-willkommensbuero" not in {h.passage.doc_id for h in old.search("Neuhausen", mode="bm25").hits}

    snapshot_id = body["snapshot_id"]
    dup = upload(writer, "kopie.txt", GERMAN.encode())
    assert dup.status_code == 200 and dup.json()["status"] == "duplicate"
    assert dup.json()["doc_id"] == "neuhausen-willkommensbuero" and dup.json()["snapshot_id"] == snapshot_id

    replaced = upload(writer, "neuhausen-willkommensbuero.txt", (GERMAN + " Neu: ein Begegnungscafé.").encode())
    assert replaced.status_code == 201 and replaced.json()["status"] == "replaced"

    gone = writer.delete("/api/documents/neuhausen-willkommensbuero", headers=AUTH)
    assert gone.status_code == 200 and gone.json()["status"] == "deleted"
    assert "neuhausen-willkommensbuero" not in doc_ids(writer)
    assert not list(data_settings.storage.sources_dir.glob("neuhausen-willkommensbuero.*"))
    assert writer.delete("/api/documents/neuhausen-willkommensbuero", headers=AUTH).status_code == 404


def test_pdf_upload(writer, tmp_path):
    pdf = make_pdf(tmp_path / "x.pdf", [GERMAN, "Zweite Seite über Wohnraum für Geflüchtete. " * 10])
    r = upload(writer, "bericht.pdf", pdf.read_bytes())
    assert r.status_code == 201, r.text
    assert r.json()["checked"]["pages"] == 2


def test_uploads_disabled_without_token(template, tmp_path, make_client):
    from core.settings import Settings

    corpus, _ = template
    client = make_client(Settings.from_env(data_dir=tmp_path, corpus_dir=corpus, upload_token=""))
    r = upload(client, "a.txt", GERMAN.encode())
    assert r.status_code == 403 and "PRAXISFINDER_UPLOAD_TOKEN" in r.json()["error"]["message"]
    assert client.delete("/api/documents/x", headers=AUTH).status_code == 403


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                                     {"Authorization": f"Basic {TOKEN}"}])
def test_wrong_or_missing_token(writer, headers):
    r = upload(writer, "a.txt", GERMAN.encode(), headers=headers)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"]["code"] == "unauthorized"
    assert writer.delete("/api/documents/ehrenamt-wohnen", headers=headers).status_code == 401


def test_token_never_logged_or_echoed(writer, caplog):
    caplog.set_level(logging.DEBUG)
    responses = [upload(writer, "log.txt", GERMAN.encode()), upload(writer, "x.txt", b"x", {"Authorization": f"Bearer {TOKEN}x"})]
    assert all(TOKEN not in r.text for r in responses)
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(writer.app.state.application.settings)


def test_oversized_upload(data_settings, make_client):
    client = make_client(data_settings.with_(max_upload_bytes=2000))
    r = upload(client, "big.txt", b"Wort " * 1000)
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    r = upload(client, "huge.txt", b"Wort " * 40_000)  # refused from Content-Length before reading
    assert r.status_code == 413
    assert not list(data_settings.storage.sources_dir.glob("*"))


def test_body_limit_while_streaming():
    chunks = [{"type": "http.request", "body": b"x" * 600, "more_body": True}] * 3

    async def run():
        it = iter(chunks)
        receive = limited_receive(lambda: _next(it), 1000)
        await receive()
        with pytest.raises(PayloadTooLarge):
            await receive()

    async def _next(it):
        return next(it)

    asyncio.run(run())


@pytest.mark.parametrize("name", ["virus.exe", "brief.docx", "ohne-endung", "bild.pdf.png"])
def test_unsupported_type(writer, name):
    r = upload(writer, name, GERMAN.encode())
    assert r.status_code == 415 and ".pdf" in r.json()["error"]["message"]


def test_not_multipart(writer):
    r = writer.post("/api/documents", content=GERMAN.encode(), headers={**AUTH, "Content-Type": "text/plain"})
    assert r.status_code == 415
    r = writer.post("/api/documents", data={"other": "x"}, files={"nofile": ("a.txt", b"x")}, headers=AUTH)
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("raw, doc_id, suffix", [
    ("../../etc/passwd.txt", "passwd", ".txt"),
    ("/etc/shadow.md", "shadow", ".md"),
    ("..\\..\\windows\\win.ini.txt", "win.ini", ".txt"),
    ("bericht\x00.exe.pdf", "bericht.exe", ".pdf"),
    ("Übersicht Straßenfest 2024.PDF", "uebersicht-strassenfest-2024", ".pdf"),
    ("Отчёт 报告 🎉.txt", "", ".txt"),  # no ASCII letters: the id comes from the content hash
    ("\u202egnp.txt", "gnp", ".txt"),
    ("....txt", "", ".txt"),
    ("x" * 300 + ".md", "x" * 80, ".md"),
])
def test_safe_name(raw, doc_id, suffix):
    assert safe_name(raw) == (doc_id, suffix)


def test_path_traversal_upload_stays_in_sources(writer, data_settings):
    r = upload(writer, "../../../escape.txt", GERMAN.encode())
    assert r.status_code == 201 and r.json()["doc_id"] == "escape"
    assert (data_settings.storage.sources_dir / "escape.txt").is_file()
    assert not (data_settings.storage.data_dir.parent / "escape.txt").exists()
    nameless = upload(writer, "....txt", (GERMAN + " Zweite Fassung.").encode())
    assert nameless.status_code == 201 and nameless.json()["doc_id"].startswith("dokument-")


def test_rate_limit(data_settings, make_client):
    client = make_client(data_settings.with_(upload_rate_per_minute=2))
    codes = [upload(client, "a.exe", b"x").status_code for _ in range(3)]
    assert codes == [415, 415, 429]
    r = upload(client, "a.exe", b"x")
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1


def test_token_bucket_refills():
    now = [0.0]
    limiter = RateLimiter(6, clock=lambda: now[0])  # one token every 10 s
    for _ in range(6):
        limiter.check("a")
    with pytest.raises(TooManyRequests) as info:
        limiter.check("a")
    assert info.value.headers["Retry-After"] == "10"
    limiter.check("b")  # other clients are not affected
    now[0] = 10.0
    limiter.check("a")


def test_concurrent_writes_conflict(writer, data_settings):
    """Another write in this process, or another writer process: 409 with Retry-After (in
    the header and the detail), and nothing written."""
    admin = writer.app.state.document_admin
    with admin._busy:  # an upload is running in this process
        r = upload(writer, "a.txt", GERMAN.encode())
        d = writer.delete("/api/documents/ehrenamt-wohnen", headers=AUTH)
    for resp in (r, d):
        assert resp.status_code == 409 and resp.json()["error"]["code"] == "conflict"
        wait = int(resp.headers["retry-after"])
        assert 2 <= wait <= 60 and resp.json()["error"]["detail"]["retry_after_seconds"] == wait
    with SnapshotStore(data_settings.storage.snapshots_dir).writer_lock():  # `praxisfinder ingest` is running
        r = upload(writer, "a.txt", GERMAN.encode())
        d = writer.delete("/api/documents/ehrenamt-wohnen", headers=AUTH)
    assert r.status_code == 409 and d.status_code == 409
    assert 2 <= int(r.headers["retry-after"]) <= 60 and 2 <= int(d.headers["retry-after"]) <= 60
    assert not list(data_settings.storage.sources_dir.glob("a.*"))


def test_retry_after_follows_the_running_write():
    """Retry-After is what the running write still needs by the last one's duration, in [2, 60] s."""
    import time

    from service.upload import DocumentAdmin

    admin = DocumentAdmin.__new__(DocumentAdmin)
    admin._started, admin._last_s = None, 30.0
    assert admin.retry_after() == 30  # nothing timed yet: the first guess
    admin._last_s, admin._started = 20.0, time.monotonic() - 5
    assert 14 <= admin.retry_after() <= 15
    admin._started = time.monotonic() - 100  # running longer than the last one: ask again soon
    assert admin.retry_after() == 2
    admin._last_s, admin._started = 900.0, time.monotonic()
    assert admin.retry_after() == 60


def test_cannot_delete_last_document(writer):
    ids = sorted(doc_ids(writer))
    for doc_id in ids[:-1]:
        assert writer.delete(f"/api/documents/{doc_id}", headers=AUTH).status_code == 200
    r = writer.delete(f"/api/documents/{ids[-1]}", headers=AUTH)
    assert r.status_code == 409
