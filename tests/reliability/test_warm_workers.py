"""The upload's warm workers (``ingest.forkserver``, ``PRAXISFINDER_UPLOAD_WORKER=warm``):
uploads are parsed and built in children forked from two warm fork servers, with the same
limits and errors as fresh processes; a corrupt PDF, a build over its limit or a crashing
job leave the fork servers and the serving index as they were; a fork server killed by its
pid is started again and serves the next upload. Real app, real subprocesses, real PDFs
(HashEmbedder for the vectors)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from ingest.forkserver import ForkServer, Unavailable
from tests.reliability.conftest import AUTH, GERMAN, make_pdf
from tests.reliability.test_upload import doc_ids, upload

pytestmark = pytest.mark.integration

PAGES = ["Die Gemeinde Quellental gründet einen Zwergpinscherverein für Neuzugewanderte.",
         "Er trifft sich donnerstags im Bürgerhaus und hilft bei Behördengängen.",
         "Ehrenamtliche begleiten Familien zu Kitas, Schulen und zum Jobcenter.",
         "Der Landkreis fördert Sprachkurse am Abend und eine Kinderbetreuung dazu.",
         "Eine Wohnraumbörse vermittelt Zimmer an Auszubildende und Studierende."]


def warm_client(make_client, settings):
    """A TestClient whose DocumentAdmin has started its fork servers, once both are ready."""
    client = make_client(settings)
    admin = client.app.state.document_admin
    admin.start_workers()
    wait_ready(client)
    return client, admin


def wait_ready(client, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = client.get("/readyz").json().get("upload_workers")
        if states == {"parse": "ready", "build": "ready"}:
            return states
        time.sleep(0.1)
    raise AssertionError(f"fork servers not ready: {states}")


def test_uploads_are_parsed_and_built_by_the_warm_workers(make_client, data_settings, tmp_path):
    client, admin = warm_client(make_client, data_settings)
    try:
        pids = {name: admin.workers()[name]["pid"] for name in ("parse", "build")}
        assert all(pids.values()) and len(set(pids.values())) == 2 and os.getpid() not in pids.values()
        pdf = make_pdf(tmp_path / "quellental.pdf", PAGES)
        r = upload(client, "quellental.pdf", pdf.read_bytes())
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["workers"] == {"parse": "warm", "build": "warm"}
        assert body["checked"]["pages"] == 5 and body["timings"]["parse_s"] > 0
        assert admin.workers()["parse"]["jobs"] == 1 and admin.workers()["build"]["jobs"] == 1
        hits = client.get("/api/search", params={"q": "Zwergpinscherverein", "k": 3, "mode": "bm25"}).json()["results"]
        assert hits and hits[0]["doc_id"] == "quellental"
        # a delete is a build job too, forked from the same zygote
        assert client.delete("/api/documents/quellental", headers=AUTH).status_code == 200
        assert admin.workers()["build"]["jobs"] == 2 and "quellental" not in doc_ids(client)
        assert {name: admin.workers()[name]["pid"] for name in ("parse", "build")} == pids  # the same zygotes
    finally:
        admin.stop_workers()
    assert client.get("/readyz").json()["upload_workers"] == {"parse": "off", "build": "off"}


def test_a_corrupt_pdf_is_refused_and_the_workers_keep_serving(make_client, data_settings, tmp_path):
    client, admin = warm_client(make_client, data_settings)
    try:
        before = client.get("/readyz").json()["snapshot_id"]
        pids = {name: admin.workers()[name]["pid"] for name in ("parse", "build")}
        good = make_pdf(tmp_path / "gut.pdf", PAGES).read_bytes()
        for name, data in (("kaputt.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\n" + b"\x00" * 500),
                           ("abgeschnitten.pdf", good[: len(good) // 2])):
            r = upload(client, name, data)
            assert r.status_code == 422, r.text
            error = r.json()["error"]
            assert error["code"] == "ingest_error" and "pdf" in error["message"].lower()
            assert client.get("/readyz").json()["snapshot_id"] == before
            assert client.get("/api/search", params={"q": "Ehrenamt Wohnraum"}).status_code == 200
        assert {name: admin.workers()[name]["pid"] for name in ("parse", "build")} == pids
        assert admin.workers()["parse"]["jobs"] == 2 and admin.workers()["build"]["jobs"] == 0
        assert not [p for p in data_settings.storage.sources_dir.iterdir() if p.name.startswith(("kaputt", "abge"))]
        r = upload(client, "gut.pdf", good)
        assert r.status_code == 201 and r.json()["workers"] == {"parse": "warm", "build": "warm"}
    finally:
        admin.stop_workers()


def test_a_killed_worker_is_started_again(make_client, data_settings, tmp_path):
    client, admin = warm_client(make_client, data_settings)
    try:
        for name in ("parse", "build"):
            old = admin.workers()[name]["pid"]
            os.kill(old, signal.SIGKILL)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and admin.workers()[name]["pid"] in (old, None):
                time.sleep(0.1)
            new = admin.workers()[name]
            assert new["pid"] not in (old, None) and new["starts"] == 2, new
            with pytest.raises(ProcessLookupError):
                os.kill(old, 0)
        wait_ready(client)
        r = upload(client, "quellental.pdf", make_pdf(tmp_path / "q.pdf", PAGES).read_bytes())
        assert r.status_code == 201 and r.json()["workers"] == {"parse": "warm", "build": "warm"}
    finally:
        admin.stop_workers()


def test_a_build_over_its_time_limit_is_stopped_and_the_zygote_stays(make_client, data_settings):
    """The forked build child is killed at ``upload_build_seconds`` as a fresh one was: 422
    naming the limit, snapshot unchanged, no file kept; the zygote keeps serving."""
    client, admin = warm_client(make_client, data_settings.with_(upload_build_seconds=1))
    try:
        before = client.get("/readyz").json()["snapshot_id"]
        build_pid = admin.workers()["build"]["pid"]
        r = upload(client, "lang.txt", ((GERMAN + "\n\n") * 400).encode())
        assert r.status_code == 422, r.text
        assert "longer than 1 s" in r.json()["error"]["message"]
        assert client.get("/readyz").json()["snapshot_id"] == before
        assert not list(data_settings.storage.sources_dir.glob("lang.*"))
        assert admin.workers()["build"]["pid"] == build_pid and admin.workers()["build"]["jobs"] == 1
    finally:
        admin.stop_workers()


def test_a_build_over_its_memory_limit_is_stopped(make_client, data_settings):
    """``RLIMIT_AS`` still applies to a forked build child (it inherits the zygote's loaded
    tables, so the limit bites at once here): 422 naming memory, snapshot unchanged."""
    client, admin = warm_client(make_client, data_settings.with_(upload_build_memory_mb=150))
    try:
        before = client.get("/readyz").json()["snapshot_id"]
        r = upload(client, "gross.txt", GERMAN.encode())
        assert r.status_code == 422 and "memory" in r.json()["error"]["message"], r.text
        assert client.get("/readyz").json()["snapshot_id"] == before
        assert admin.workers()["build"]["jobs"] == 1 and admin.workers()["build"]["pid"] is not None
    finally:
        admin.stop_workers()


def test_fork_server_job_statuses(tmp_path):
    """Exit status, the signal of a killed job, a timeout (process group killed, zygote
    kept), the child's stderr in the job's file, and each job in its own process."""
    server = ForkServer("test", "tests.reliability.forkserver_jobs:preload", {"value": 7}).start()
    try:
        assert server.wait_ready(60)
        zygote = server.pid
        out = tmp_path / "out.txt"
        assert server.run("tests.reliability.forkserver_jobs:write", [str(out)], stderr=tmp_path / "e1",
                          timeout=30) == 0
        first = out.read_text().split()
        assert first[0] == "7" and int(first[1]) not in (zygote, os.getpid()) and int(first[2]) == zygote
        assert int(first[3]) >= 10  # nice +10 from the zygote
        server.run("tests.reliability.forkserver_jobs:write", [str(out)], stderr=tmp_path / "e1", timeout=30)
        assert out.read_text().split()[1] != first[1]  # a new process per job
        assert server.run("tests.reliability.forkserver_jobs:fail", [], stderr=tmp_path / "e2", timeout=30) == 1
        assert "ValueError: kaputt" in (tmp_path / "e2").read_text()
        assert server.run("tests.reliability.forkserver_jobs:exit_code", ["3"], stderr=tmp_path / "e3",
                          timeout=30) == 3
        assert server.run("tests.reliability.forkserver_jobs:segfault", [], stderr=tmp_path / "e4",
                          timeout=30) == -signal.SIGSEGV
        t = time.monotonic()
        assert server.run("tests.reliability.forkserver_jobs:sleep", [], stderr=tmp_path / "e5", timeout=1) is None
        assert time.monotonic() - t < 15
        assert server.pid == zygote and server.jobs == 6
    finally:
        server.stop()
    with pytest.raises(Unavailable):
        server.run("tests.reliability.forkserver_jobs:write", [str(out)], stderr=tmp_path / "e6", timeout=5)
    with pytest.raises(ProcessLookupError):
        os.kill(zygote, 0)


def test_a_preload_that_leaves_a_thread_is_refused(tmp_path):
    """fork() copies only the calling thread: a zygote whose preload leaves a thread running
    exits instead of forking, and ``run`` falls back (Unavailable)."""
    server = ForkServer("test", "tests.reliability.forkserver_jobs:preload_thread", None, ready_wait_s=3).start()
    try:
        assert not server.wait_ready(3)
        with pytest.raises(Unavailable):
            server.run("tests.reliability.forkserver_jobs:write", [str(tmp_path / "x")], stderr=tmp_path / "e",
                       timeout=5)
    finally:
        server.stop()
    assert not Path(tmp_path / "x").exists()


def test_a_zygote_that_cannot_load_costs_no_wait(tmp_path):
    """A preload that fails leaves no zygote alive: ``run`` raises Unavailable at once (the
    upload then starts a fresh process), not after ``ready_wait_s``; the monitor keeps
    trying (``starts`` grows, backing off)."""
    server = ForkServer("test", "tests.reliability.forkserver_jobs:preload_fails", None, ready_wait_s=120).start()
    try:
        deadline = time.monotonic() + 60
        while server.state != "down" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.state == "down"
        t = time.monotonic()
        with pytest.raises(Unavailable, match="down"):
            server.run("tests.reliability.forkserver_jobs:write", [str(tmp_path / "x")], stderr=tmp_path / "e",
                       timeout=5)
        assert time.monotonic() - t < 5
        deadline = time.monotonic() + 60
        while server.starts < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.starts >= 2 and server.pid is None
    finally:
        server.stop()
    assert server.state == "stopped"
