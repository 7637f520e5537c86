"""A full disk (issue 16, item 3): a failed publish removes what it wrote, the write
endpoints answer 507 with a clear message, the last good snapshot keeps serving, and
once there is room again uploads and deletes work; leftovers of killed writers are
removed at start-up and before each write."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess

import pytest

from index.build import build_index
from index.model.embedder import HashEmbedder
from index.snapshot import CURRENT, SnapshotStore
from core.errors import StorageFull
from tests.reliability.conftest import AUTH, GERMAN
from tests.reliability.test_upload import doc_ids, upload


def du(path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def free(path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here; test_simulated_enospc covers the same path")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


@pytest.mark.integration
def test_full_tmpfs(small_disk, data_settings, make_client):
    shutil.copytree(data_settings.data_dir, small_disk / "var")
    settings = data_settings.with_(data_dir=small_disk / "var")
    store = SnapshotStore(settings.snapshots_dir)
    snapshot_size = du(store.current_path())
    filler = small_disk / "filler"
    with open(filler, "wb") as fh:
        fh.write(b"\0" * max(0, free(small_disk) - snapshot_size // 2))
    client = make_client(settings)
    serving = client.get("/readyz").json()["snapshot_id"]
    room = free(small_disk)

    for n in range(3):  # repeated failures do not pile up temporaries
        r = upload(client, f"neu{n}.txt", (GERMAN + f" Fassung {n}.").encode())
        assert r.status_code == 507, r.text
        assert r.json()["error"]["code"] == "insufficient_storage" and "disk is full" in r.json()["error"]["message"]
        assert not list(settings.snapshots_dir.glob(".tmp-*")) and not list(settings.snapshots_dir.glob(".CURRENT*"))
        assert not [p for p in settings.sources_dir.iterdir()]
        assert free(small_disk) >= room - 64 * 1024
        assert client.get("/readyz").json()["snapshot_id"] == serving
        assert client.get("/api/search", params={"q": "Ehrenamt"}).status_code == 200
    victim = sorted(doc_ids(client))[0]
    r = client.delete(f"/api/documents/{victim}", headers=AUTH)
    assert r.status_code == 507 and victim in doc_ids(client)

    restarted = make_client(settings)  # a restart serves the last good snapshot
    assert restarted.get("/readyz").json()["snapshot_id"] == serving

    filler.unlink()  # room again: writes work
    assert restarted.delete(f"/api/documents/{victim}", headers=AUTH).status_code == 200
    assert upload(restarted, "neu.txt", GERMAN.encode()).status_code == 201


def test_simulated_enospc(data_settings, make_client, monkeypatch):
    import index.snapshot as snapshot

    client = make_client(data_settings)
    serving = client.get("/readyz").json()["snapshot_id"]
    real = snapshot._write_jsonl

    def full(path, rows):
        real(path, rows)
        if path.name == "passages.jsonl":
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(snapshot, "_write_jsonl", full)
    r = upload(client, "neu.txt", GERMAN.encode())
    assert r.status_code == 507 and r.json()["error"]["code"] == "insufficient_storage"
    assert not list(data_settings.snapshots_dir.glob(".tmp-*"))
    assert not list(data_settings.sources_dir.glob("neu*")) and not list(data_settings.sources_dir.glob(".incoming*"))
    assert client.get("/readyz").json()["snapshot_id"] == serving
    new = data_settings.corpus_dir.parent / "x.txt"
    new.write_text(GERMAN, encoding="utf-8")
    with pytest.raises(StorageFull, match="previous snapshot keeps serving"):
        build_index(data_settings, HashEmbedder(64), [new], add=True)
    assert SnapshotStore(data_settings.snapshots_dir).current_path().name == serving


def test_leftovers_are_removed_at_start_up_and_before_writes(data_settings, make_client, tmp_path):
    snaps = data_settings.snapshots_dir
    stale = [snaps / ".tmp-20260101T000000-000001-deadbeef-4242", snaps / ".tmp-x-1"]  # pid 1 is alive
    for d in stale:
        (d / "dense").mkdir(parents=True)
        (d / "vectors.npy").write_bytes(b"\0" * 1000)
    (snaps / f".{CURRENT}.4242.tmp").write_text("x")
    client = make_client(data_settings)  # start-up
    assert not list(snaps.glob(".tmp-*")) and not list(snaps.glob(f".{CURRENT}.*"))
    assert client.get("/readyz").status_code == 200
    (stale[1] / "dense").mkdir(parents=True)
    new = tmp_path / "y.txt"
    new.write_text(GERMAN, encoding="utf-8")
    build_index(data_settings, HashEmbedder(64), [new], add=True)  # before a write
    assert not list(snaps.glob(".tmp-*"))
