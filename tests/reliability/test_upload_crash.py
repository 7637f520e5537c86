"""Kill -9 an upload at every step (issue 16, item 9; issue 27: also while the build child
runs): after a restart the index and ``sources/`` agree (no orphan file, no lost file),
the last good snapshot serves, and no build process is left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.conftest import GERMAN

pytestmark = pytest.mark.integration

CHILD = Path(__file__).with_name("upload_child.py")
ROOT = Path(__file__).resolve().parents[2]
STAGES = {"start": False, "received": False, "parsed": False, "building": False, "published": True, "done": True}


def kill_at(stage: str, data: Path, corpus: Path, new: Path) -> str:
    """SIGKILL the uploading process at ``stage``; returns the rest of that stage's line."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(CHILD), str(data), str(corpus), str(new)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        for line in proc.stdout:
            if line.strip().startswith(f"STAGE {stage}"):
                proc.send_signal(signal.SIGKILL)
                return line.strip()[len(f"STAGE {stage}"):].strip()
        pytest.fail(f"child ended before stage {stage}: {proc.stderr.read()[-2000:]}")
    finally:
        proc.kill()
        proc.wait(timeout=30)


def gone(pid: int, seconds: float = 30) -> bool:
    """Whether process ``pid`` has exited (or is a zombie) within ``seconds``."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split()[2]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("stage", list(STAGES))
def test_kill_during_upload_leaves_no_orphan(stage, data_settings, make_client, tmp_path):
    new = tmp_path / "neuhausen.txt"
    new.write_text(GERMAN, encoding="utf-8")
    from index.snapshot import SnapshotStore

    before = SnapshotStore(data_settings.storage.snapshots_dir).current_name()
    rest = kill_at(stage, data_settings.storage.data_dir, data_settings.storage.corpus_dir, new)
    if stage == "building":  # the build child dies with the server that started it (PR_SET_PDEATHSIG)
        assert gone(int(rest)), "the build child outlived the server"
        assert SnapshotStore(data_settings.storage.snapshots_dir).current_name() == before  # it never published

    client = make_client(data_settings)  # restart: start-up reconciles sources/ with the index
    docs = {d["id"] for d in client.get("/api/documents").json()}
    assert ("neuhausen" in docs) == STAGES[stage]
    files = sorted(p.name for p in data_settings.storage.sources_dir.iterdir()) if data_settings.storage.sources_dir.is_dir() else []
    assert files == (["neuhausen.txt"] if STAGES[stage] else [])
    assert not list(data_settings.storage.snapshots_dir.glob(".tmp-*"))
    assert client.get("/api/search", params={"q": "Ehrenamt"}).status_code == 200
