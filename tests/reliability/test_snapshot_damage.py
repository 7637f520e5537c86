"""Snapshots that survive damage (issue 27, item 5): every file of a snapshot is fsynced
before the rename that publishes it; a current snapshot that fails its checks at start-up
or reload is set aside with a warning, the newest intact one serves, and ``/readyz`` says
which and why. Truncating ANY file of the current snapshot and restarting leaves the
previous snapshot serving."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from index.build import build_index
from index.model.embedder import HashEmbedder
from index.snapshot import CURRENT, SnapshotStore
from tests.reliability.conftest import GERMAN
from tests.reliability.test_upload import doc_ids

ROOT_FILES = [CURRENT]


@pytest.fixture(scope="module")
def two_snapshots(template, tmp_path_factory):
    """(corpus, data dir, previous id, current id, files of the current snapshot)."""
    corpus, data = template
    root = tmp_path_factory.mktemp("two")
    shutil.copytree(data, root / "var")
    from core.settings import Settings

    settings = Settings.from_env(data_dir=root / "var", corpus_dir=corpus)
    previous = SnapshotStore(settings.storage.snapshots_dir).current_path().name
    new = root / "neuhausen.txt"
    new.write_text(GERMAN, encoding="utf-8")
    build_index(settings, HashEmbedder(64), [new], add=True)
    current = SnapshotStore(settings.storage.snapshots_dir).current_path()
    files = sorted(p.relative_to(current).as_posix() for p in current.rglob("*") if p.is_file())
    return corpus, root / "var", previous, current.name, files


def damaged_copy(two_snapshots, tmp_path, rel: str, how: str):
    from core.settings import Settings
    from tests.reliability.conftest import TOKEN

    corpus, data, previous, current, _ = two_snapshots
    shutil.copytree(data, tmp_path / "var")
    settings = Settings.from_env(data_dir=tmp_path / "var", corpus_dir=corpus, upload_token=TOKEN,
                                 upload_rate_per_minute=1000, reload_check_seconds=0)
    target = settings.storage.snapshots_dir / (rel if rel in ROOT_FILES else f"{current}/{rel}")
    size = target.stat().st_size
    if how == "half":
        os.truncate(target, size // 2)
    elif how == "empty":
        os.truncate(target, 0)
    elif how == "flip":  # same size, one byte changed (what a torn write can leave)
        data_bytes = bytearray(target.read_bytes())
        data_bytes[len(data_bytes) // 2] ^= 0xFF
        target.write_bytes(bytes(data_bytes))
    return settings


def test_every_file_of_the_current_snapshot_truncated(two_snapshots, tmp_path, make_client, caplog):
    """For each file of the current snapshot, truncated to half and to nothing: after a
    restart the previous snapshot serves, /readyz names the damaged file, the damaged
    snapshot is set aside, CURRENT points at the one serving, and searching works."""
    _, _, previous, current, files = two_snapshots
    assert len(files) >= 15  # dense/, bm25/, windows/, tokens: every part of a snapshot
    cases = 0
    for rel in files:
        for how in ("half", "empty"):
            case = tmp_path / f"{rel.replace('/', '_')}-{how}"
            case.mkdir()
            settings = damaged_copy(two_snapshots, case, rel, how)
            client = make_client(settings)
            ready = client.get("/readyz")
            assert ready.status_code == 200, (rel, how, ready.text)
            body = ready.json()
            assert body["snapshot_id"] == previous, (rel, how)
            fallback = body["fallback"]
            assert fallback["current"] == current and fallback["set_aside"] == [f".damaged-{current}"]
            assert fallback["current_repointed"] and current in fallback["message"]
            if rel != "manifest.json":
                assert rel in fallback["reason"], (rel, fallback["reason"])
            assert SnapshotStore(settings.storage.snapshots_dir).current_name() == previous
            assert (settings.storage.snapshots_dir / f".damaged-{current}").is_dir()
            assert client.get("/api/search", params={"q": "Ehrenamt"}).status_code == 200
            cases += 1
    assert cases == 2 * len(files)
    assert "failed its checks" in caplog.text or "cannot serve" in caplog.text


@pytest.mark.parametrize("rel", ["vectors.npy", "passages.jsonl", "bm25/params.index.json"])
def test_altered_file_of_the_same_size(two_snapshots, tmp_path, make_client, rel):
    _, _, previous, current, files = two_snapshots
    if rel not in files:
        rel = next(f for f in files if f.startswith(rel.split("/")[0]))
    client = make_client(damaged_copy(two_snapshots, tmp_path, rel, "flip"))
    body = client.get("/readyz").json()
    assert body["snapshot_id"] == previous and "SHA-256" in body["fallback"]["reason"]


@pytest.mark.parametrize("how", ["empty", "half"])
def test_current_file_damaged(two_snapshots, tmp_path, make_client, how):
    """CURRENT itself emptied or cut: the newest intact snapshot (here: the current one) serves."""
    _, _, _, current, _ = two_snapshots
    settings = damaged_copy(two_snapshots, tmp_path, CURRENT, how)
    body = make_client(settings).get("/readyz").json()
    assert body["snapshot_id"] == current and body["fallback"]["set_aside"] == []
    assert SnapshotStore(settings.storage.snapshots_dir).current_name() == current


def test_next_write_builds_on_the_intact_snapshot(two_snapshots, tmp_path, make_client):
    """After the fallback, an upload builds on the snapshot serving (its documents and
    registry), not from scratch."""
    from tests.reliability.test_upload import upload

    _, _, previous, _, _ = two_snapshots
    settings = damaged_copy(two_snapshots, tmp_path, "vectors.npy", "half")
    client = make_client(settings)
    before = doc_ids(client)
    r = upload(client, "nachher.txt", (GERMAN + " Nachher.").encode())
    assert r.status_code == 201, r.text
    assert doc_ids(client) == before | {"nachher"}
    assert r.json()["counts"]["reused_vectors"] > 0


def test_all_snapshots_damaged_is_503_with_the_reason(two_snapshots, tmp_path, make_client):
    settings = damaged_copy(two_snapshots, tmp_path, "vectors.npy", "empty")
    for snap in SnapshotStore(settings.storage.snapshots_dir).snapshot_dirs():
        os.truncate(snap / "passages.jsonl", 10)
    r = make_client(settings).get("/readyz")
    assert r.status_code == 503 and "no intact snapshot" in r.json()["error"]["message"]


def test_read_only_data_dir_still_falls_back(two_snapshots, tmp_path, make_client, monkeypatch):
    """A replica that cannot write the data directory serves the fallback without moving anything."""
    settings = damaged_copy(two_snapshots, tmp_path, "vectors.npy", "half")
    _, _, previous, current, _ = two_snapshots

    def read_only(self, path):
        raise PermissionError(13, "Read-only file system")

    monkeypatch.setattr(SnapshotStore, "set_aside", read_only)
    body = make_client(settings).get("/readyz").json()
    assert body["snapshot_id"] == previous and body["fallback"]["set_aside"] == []
    assert not body["fallback"]["current_repointed"]
    assert SnapshotStore(settings.storage.snapshots_dir).current_name() == current


@pytest.mark.integration
def test_damaged_snapshot_published_while_serving(two_snapshots, tmp_path):
    """At reload: a new CURRENT whose snapshot is damaged is set aside; the serving one stays."""
    import time

    from service.application import Application

    settings = damaged_copy(two_snapshots, tmp_path, "CURRENT", "none")
    _, _, previous, current, _ = two_snapshots
    app = Application(settings.with_(reload_check_seconds=0.05), embedder=HashEmbedder(64))
    old = app.searcher
    new = tmp_path / "spaeter.txt"
    new.write_text(GERMAN + " Später.", encoding="utf-8")
    build_index(settings, HashEmbedder(64), [new], add=True)
    newest = SnapshotStore(settings.storage.snapshots_dir).current_path()
    os.truncate(newest / "passages.jsonl", 5)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and app._failed_reload != newest.name:
        app.searcher
        time.sleep(0.05)
    assert app._failed_reload == newest.name and app.searcher is old
    ready = app.readiness()
    assert ready["snapshot_id"] == current and ready["fallback"]["current"] == newest.name
    assert (settings.storage.snapshots_dir / f".damaged-{newest.name}").is_dir()


def test_publish_fsyncs_every_file_and_directory_before_the_rename(tmp_path, monkeypatch):
    import index.snapshot as snapshot_module
    from tests.index.test_snapshot import _snapshot

    events: list[tuple[str, str]] = []
    real_fsync, real_rename = os.fsync, os.rename

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def rename(src, dst):
        events.append(("rename", f"{src}\t{dst}"))
        return real_rename(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(snapshot_module.os, "rename", rename)
    path = SnapshotStore(tmp_path).publish(_snapshot())
    at = next(i for i, (kind, what) in enumerate(events) if kind == "rename" and what.endswith(f"\t{path}"))
    tmp_dir = Path(events[at][1].split("\t")[0])
    synced = {Path(p) for kind, p in events[:at] if kind == "fsync"}
    for item in path.rglob("*"):
        assert tmp_dir / item.relative_to(path) in synced, item
    assert tmp_dir in synced
    assert ("fsync", str(tmp_path)) in events[at:]  # the directory holding the rename


def test_damage_found_at_start_up_with_uploaded_sources(two_snapshots, tmp_path, make_client):
    """With uploaded files present (start-up reconciles them under the writer lock), the
    damaged snapshot is still set aside: the snapshot is loaded before the lock is taken."""
    from tests.reliability.test_upload import upload

    settings = damaged_copy(two_snapshots, tmp_path, "CURRENT", "none")
    client = make_client(settings)
    assert upload(client, "hochgeladen.txt", (GERMAN + " Hochgeladen.").encode()).status_code == 201
    newest = SnapshotStore(settings.storage.snapshots_dir).current_path()
    os.truncate(newest / "vectors.npy", 100)
    body = make_client(settings).get("/readyz").json()
    assert body["fallback"]["set_aside"] == [f".damaged-{newest.name}"] and body["fallback"]["current_repointed"]
    assert "hochgeladen" not in {d["id"] for d in make_client(settings).get("/api/documents").json()}
