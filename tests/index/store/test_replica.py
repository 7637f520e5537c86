"""Scale-out: two `praxisfinder serve` processes share one PostgreSQL primary; one of them
reads from a streaming replica (``pg_basebackup -R -X stream -c fast``). A document
uploaded through the first server is found through the second."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from index.store import copy_snapshot
from index.store.pg_local import free_port, scratch_dir

pytestmark = pytest.mark.integration  # two PostgreSQL servers, two HTTP servers

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "replica-test-token"
TEXT = ("Die Gemeinde Quellental gründet einen Zwergpinscherverein für Neuzugewanderte. "
        "Er trifft sich donnerstags im Bürgerhaus und hilft bei Behördengängen. ") * 4


def _serve(tmp: Path, name: str, url: str, read_url: str | None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PRAXISFINDER_TEST_EMBEDDER": "hash", "PRAXISFINDER_STORE": "postgres",
           "PRAXISFINDER_DATABASE_URL": url, "PRAXISFINDER_DATABASE_READ_URL": read_url or "",
           "PRAXISFINDER_DATA_DIR": str(tmp / name), "PRAXISFINDER_UPLOAD_TOKEN": TOKEN,
           "PRAXISFINDER_RELOAD_CHECK_SECONDS": "0.2", "PRAXISFINDER_READ_RATE_PER_MINUTE": "0"}
    log = open(tmp / f"{name}.log", "wb")
    proc = subprocess.Popen([str(Path(sys.executable).with_name("praxisfinder")), "serve", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, (tmp / f"{name}.log").read_text(errors="replace")[-3000:]
        try:
            if httpx.get(base + "/readyz", timeout=10).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    pytest.fail(f"server {name} did not become ready: " + (tmp / f"{name}.log").read_text(errors="replace")[-3000:])


def test_write_through_one_server_read_through_another_on_a_replica(small_index, pg_server, tmp_path):
    from tests.index.store.conftest import new_database

    settings, _ = small_index
    url = new_database(pg_server)
    copy_snapshot(settings.with_(store="postgres", database_url=url))
    replica_root = scratch_dir()  # enterable by the unprivileged server user
    replica = pg_server.replica(replica_root / "replica")
    servers = []
    try:
        read_url = replica.url.rsplit("/", 1)[0] + "/" + url.rsplit("/", 1)[1]
        writer, writer_url = _serve(tmp_path, "writer", url, None)
        servers.append(writer)
        reader, reader_url = _serve(tmp_path, "reader", url, read_url)
        servers.append(reader)
        before = httpx.get(reader_url + "/api/search", params={"q": "Zwergpinscherverein", "k": 3, "mode": "bm25"}, timeout=60)
        assert before.status_code == 200 and before.json()["results"] == [], before.text
        r = httpx.post(writer_url + "/api/documents", files={"file": ("quellental.txt", TEXT.encode(), "text/plain")},
                       headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120)
        assert r.status_code == 201, r.text
        assert r.json()["snapshot_id"].endswith("@2")  # a staged upload: BM25 at @1, its vectors at @2
        deadline, hits = time.monotonic() + 30, []
        while time.monotonic() < deadline and not hits:
            hits = httpx.get(reader_url + "/api/search",
                             params={"q": "Zwergpinscherverein", "k": 3, "mode": "bm25"}, timeout=60).json()["results"]
            time.sleep(0.1)
        assert hits and hits[0]["doc_id"] == "quellental"
        gone = httpx.delete(writer_url + "/api/documents/quellental", headers={"Authorization": f"Bearer {TOKEN}"},
                            timeout=120)
        assert gone.status_code == 200, gone.text
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and hits:
            hits = httpx.get(reader_url + "/api/search",
                             params={"q": "Zwergpinscherverein", "k": 3, "mode": "bm25"}, timeout=60).json()["results"]
            time.sleep(0.1)
        assert hits == []  # the delete, written through one server, reached the other's replica
        ready = httpx.get(reader_url + "/readyz", timeout=60).json()
        assert ready["snapshot_id"] == r.json()["snapshot_id"].split("@")[0]  # the same generation, version 2
        import psycopg

        with psycopg.connect(read_url) as conn:  # the reader's database is the read-only replica
            assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True
    finally:
        for proc in servers:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        replica.stop()
        shutil.rmtree(replica_root, ignore_errors=True)
