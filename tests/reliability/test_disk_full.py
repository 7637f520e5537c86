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
    shutil.copytree(data_settings.storage.data_dir, small_disk / "var")
    settings = data_settings.with_(data_dir=small_disk / "var")
    store = SnapshotStore(settings.storage.snapshots_dir)
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
        assert not list(settings.storage.snapshots_dir.glob(".tmp-*")) and not list(settings.storage.snapshots_dir.glob(".CURRENT*"))
        assert not [p for p in settings.storage.sources_dir.iterdir()]
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
    """Where no tmpfs can be mounted: the server's own write (storing the upload) and a
    publish in this process (the CLI's) run out of space."""
    import index.snapshot as snapshot
    import service.upload

    client = make_client(data_settings)
    serving = client.get("/readyz").json()["snapshot_id"]

    def no_room(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(service.upload.os, "fsync", no_room)
        r = upload(client, "neu.txt", GERMAN.encode())
    assert r.status_code == 507 and r.json()["error"]["code"] == "insufficient_storage"
    assert not list(data_settings.storage.sources_dir.glob("neu*")) and not list(data_settings.storage.sources_dir.glob(".incoming*"))
    assert client.get("/readyz").json()["snapshot_id"] == serving

    real = snapshot._write_jsonl

    def full(path, rows):
        real(path, rows)
        if path.name == "passages.jsonl":
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(snapshot, "_write_jsonl", full)
    new = data_settings.storage.corpus_dir.parent / "x.txt"
    new.write_text(GERMAN, encoding="utf-8")
    with pytest.raises(StorageFull, match="previous snapshot keeps serving"):
        build_index(data_settings, HashEmbedder(64), [new], add=True)
    assert not list(data_settings.storage.snapshots_dir.glob(".tmp-*"))
    assert SnapshotStore(data_settings.storage.snapshots_dir).current_path().name == serving


@pytest.mark.parametrize("error", [OSError("1000000 requested and 524256 written"),  # NumPy's short write
                                   RuntimeError("Error in faiss::write_index: write error in x.faiss: 2097107 != "
                                                "5120000 (No space left on device)")])
def test_short_writes_without_errno_are_a_full_disk(data_settings, monkeypatch, error):
    """NumPy and FAISS report a full disk without ENOSPC: that was a 503 and CLI exit 3.
    With free space left the same error stays a SnapshotError (it is not the disk)."""
    import core.errors
    import index.snapshot as snapshot
    from core.errors import SnapshotError

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(snapshot.np, "save", fail)
    new = data_settings.storage.corpus_dir.parent / "y.txt"
    new.write_text(GERMAN, encoding="utf-8")
    full = os.statvfs_result((4096, 4096, 1000, 0, 0, 1000, 0, 0, 0, 255))

    if "No space" not in str(error):
        with pytest.raises(SnapshotError) as info:  # plenty of room: not called a full disk
            build_index(data_settings, HashEmbedder(64), [new], add=True)
        assert not isinstance(info.value, StorageFull)
    monkeypatch.setattr(core.errors.os if hasattr(core.errors, "os") else os, "statvfs", lambda path: full)
    with pytest.raises(StorageFull):
        build_index(data_settings, HashEmbedder(64), [new], add=True)
    assert not list(data_settings.storage.snapshots_dir.glob(".tmp-*"))


@pytest.mark.integration
@pytest.mark.parametrize("share", [0.0, 0.1, 0.3, 0.5, 0.7, 0.9])
def test_disk_full_at_any_point_of_a_large_write(small_disk, data_settings, make_client, share, tmp_path):
    """A document large enough that its token and window vectors are written in big
    blocks (NumPy and FAISS short writes): whatever room is left (a share of what the new
    snapshot needs), the upload gets 507 and `praxisfinder ingest` exits 74; the last
    snapshot serves and nothing is left behind."""
    import sys

    from index.runtime import TEST_EMBEDDER_ENV

    shutil.copytree(data_settings.storage.data_dir, small_disk / "var")
    settings = data_settings.with_(data_dir=small_disk / "var")
    big = (GERMAN + "\n\n") * 250  # ~170 KB of text: megabytes of token vectors
    need = 6 * du(SnapshotStore(settings.storage.snapshots_dir).current_path())
    with open(small_disk / "filler", "wb") as fh:
        fh.write(b"\0" * max(0, free(small_disk) - int(need * share)))
    client = make_client(settings)
    serving = client.get("/readyz").json()["snapshot_id"]
    r = upload(client, "gross.txt", big.encode())
    assert r.status_code == 507, r.text
    assert client.get("/readyz").json()["snapshot_id"] == serving
    doc = tmp_path / "gross.txt"
    doc.write_text(big, encoding="utf-8")
    env = {**os.environ, TEST_EMBEDDER_ENV: "hash", "PRAXISFINDER_DATA_DIR": str(settings.storage.data_dir),
           "PRAXISFINDER_CORPUS_DIR": str(settings.storage.corpus_dir)}
    cli = subprocess.run([sys.executable, "-c", "from service.cli import main; main()", "ingest", str(doc)],
                         env=env, capture_output=True, text=True, timeout=300)
    assert cli.returncode == 74, cli.stdout + cli.stderr[-2000:]
    assert not list(settings.storage.snapshots_dir.glob(".tmp-*"))
    assert SnapshotStore(settings.storage.snapshots_dir).current_path().name == serving


def test_leftovers_are_removed_at_start_up_and_before_writes(data_settings, make_client, tmp_path):
    snaps = data_settings.storage.snapshots_dir
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
