"""Kill -9 an ingest at every publish stage: the last good snapshot must keep serving."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from index.build import build_index
from index.model.embedder import HashEmbedder
from index.runtime import open_searcher
from index.snapshot import SnapshotStore
from tests.reliability.conftest import GERMAN

pytestmark = pytest.mark.integration

CHILD = Path(__file__).with_name("crash_child.py")
ROOT = Path(__file__).resolve().parents[2]
# stage -> is the new document committed once the process dies there?
STAGES = {"start": False, "embed": False, "wrote-documents": False, "wrote-passages": False,
          "renamed": False, "switch-current": False, "published": True}


def run_until(stage: str, data: Path, corpus: Path, new: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(CHILD), str(data), str(corpus), str(new)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        for line in proc.stdout:
            if line.strip() == f"STAGE {stage}":
                proc.send_signal(signal.SIGKILL)
                break
        else:
            pytest.fail(f"child ended before stage {stage}: {proc.stderr.read()[-2000:]}")
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("stage", list(STAGES))
def test_kill_during_ingest_keeps_last_good_snapshot(stage, data_settings, tmp_path):
    settings = data_settings
    store = SnapshotStore(settings.storage.snapshots_dir)
    before = store.current_path()
    old_docs = {d.id for d in open_searcher(settings, HashEmbedder(64)).snapshot.documents}
    new = tmp_path / "neuhausen.txt"
    new.write_text(GERMAN, encoding="utf-8")

    run_until(stage, settings.storage.data_dir, settings.storage.corpus_dir, new)

    searcher = open_searcher(settings, HashEmbedder(64))  # loads, counts consistent
    docs = {d.id for d in searcher.snapshot.documents}
    assert docs == (old_docs | {"neuhausen"} if STAGES[stage] else old_docs)
    if not STAGES[stage]:
        assert store.current_path() == before
    assert searcher.search("Ehrenamt Wohnen", k=3).hits

    # the next build recovers: publishes, and leaves no temporary directories behind
    other = tmp_path / "zweite.txt"
    other.write_text(GERMAN.replace("Neuhausen", "Altdorf"), encoding="utf-8")
    outcome = build_index(settings, HashEmbedder(64), [other], add=True)
    assert outcome.rebuilt and "zweite" in {r["doc_id"] for r in outcome.report}
    assert not list(settings.storage.snapshots_dir.glob(".tmp-*"))
    assert {d.id for d in open_searcher(settings, HashEmbedder(64)).snapshot.documents} >= old_docs | {"zweite"}
