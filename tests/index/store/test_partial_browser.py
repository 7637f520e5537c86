"""A document between a staged write's two commits (PostgreSQL store), as a user sees it:
the API says ``indexing: "partial"``, the web's document list and page say "teilweise
indexiert", keyword search finds it and semantic search does not yet; after the second
commit all of that is gone. Real PostgreSQL, real HTTP server, real Chromium."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

playwright = pytest.importorskip("playwright.sync_api")

from tests.service.test_browser import ARGS, CHROMIUM  # noqa: E402  (one browser set-up)

pytestmark = [pytest.mark.integration, pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium")]

TEXT = ("Die Gemeinde Quellental gründet einen Zwergpinscherverein für Neuzugewanderte. "
        "Er trifft sich donnerstags im Bürgerhaus und hilft bei Behördengängen. ") * 4


def test_partial_document_is_marked_until_its_vectors_arrive(small_index, pg_url, tmp_path):
    from index.build import _embed_document
    from index.store import copy_snapshot, open_store
    from ingest.loop import Source, ingest_sources
    from service.api import create_app
    from service.application import Application
    from tools.liveserver import LiveServer

    settings, emb = small_index
    pg = settings.with_(store="postgres", database_url=pg_url, reload_check_seconds=0.1)
    copy_snapshot(pg)
    path = tmp_path / "quellental.txt"
    path.write_text(TEXT, encoding="utf-8")
    read = ingest_sources({"quellental": Source(path, "upload")}, pg, None, False)
    doc, passages = read.documents[0], read.passages
    store = open_store(pg)
    with store.writer_lock():
        store.write_document(doc, passages, None, None, None)  # the first stage only
    with LiveServer(create_app(pg, Application(pg, emb))) as server, \
            playwright.sync_playwright() as p:
        api = httpx.get(server.url + "/api/documents", timeout=60).json()
        state = {d["id"]: d["indexing"] for d in api}
        assert state["quellental"] == "partial" and set(state.values()) == {"partial", "complete"}
        bm25 = httpx.get(server.url + "/api/search", params={"q": "Zwergpinscherverein", "k": 3, "mode": "bm25"},
                         timeout=60).json()["results"]
        assert bm25 and bm25[0]["doc_id"] == "quellental"
        dense = httpx.get(server.url + "/api/search", params={"q": TEXT[:200], "k": 50, "mode": "dense"},
                          timeout=60).json()["results"]
        assert dense and "quellental" not in {h["doc_id"] for h in dense}
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(locale="de-DE")
        page.goto(server.url + "/dokumente")
        row = page.locator("table.documents tr", has_text=doc.title)
        assert row.locator(".indexing-partial").inner_text() == "teilweise indexiert"
        assert page.locator(".indexing-partial").count() == 1  # only that document
        page.goto(server.url + "/dokument/quellental")
        assert "Teilweise indexiert" in page.locator("p.indexing-partial").inner_text()

        vectors, tokens, windows = _embed_document(passages, emb, pg)
        with store.writer_lock():
            assert store.fill_vectors(doc, vectors, tokens, windows) is not None
        store.close()
        dense_hits = []
        for _ in range(100):  # the server reloads within reload_check_seconds
            api = httpx.get(server.url + "/api/documents", timeout=60).json()
            if {d["id"]: d["indexing"] for d in api}["quellental"] == "complete":
                dense_hits = httpx.get(server.url + "/api/search", params={"q": TEXT[:200], "k": 50, "mode": "dense"},
                                          timeout=60).json()["results"]
                if "quellental" in {h["doc_id"] for h in dense_hits}:
                    break
            page.wait_for_timeout(100)
        assert "quellental" in {h["doc_id"] for h in dense_hits}
        page.goto(server.url + "/dokumente")
        assert page.locator(".indexing-partial").count() == 0
        page.goto(server.url + "/dokument/quellental")
        assert page.locator("p.indexing-partial").count() == 0
        browser.close()
