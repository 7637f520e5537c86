"""A running service picks up snapshots published by someone else (CLI, another replica)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.build import build_index
from index.model.embedder import HashEmbedder
from index.runtime import TEST_EMBEDDER_ENV
from index.snapshot import SnapshotStore
from service.application import Application
from tests.reliability.conftest import GERMAN

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration  # background reload threads, a CLI subprocess


def wait_for(app: Application, predicate, seconds: float = 120) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate(app.searcher):  # each access may start the background reload
            return True
        time.sleep(0.1)
    return False


def doc_ids(searcher) -> set[str]:
    return {d.id for d in searcher.snapshot.documents}


def test_in_process_publish_is_picked_up(data_settings, tmp_path):
    app = Application(data_settings.with_(reload_check_seconds=0.05), embedder=HashEmbedder(64))
    old = app.searcher
    new = tmp_path / "neuhausen.txt"
    new.write_text(GERMAN, encoding="utf-8")
    build_index(data_settings, HashEmbedder(64), [new], add=True)
    assert wait_for(app, lambda s: "neuhausen" in doc_ids(s))
    assert "neuhausen" not in doc_ids(old) and old.search("Ehrenamt", k=1).hits  # the old one still answers


def test_broken_new_snapshot_keeps_the_old_one(data_settings, caplog):
    app = Application(data_settings.with_(reload_check_seconds=0.05), embedder=HashEmbedder(64))
    old = app.searcher
    broken = data_settings.storage.snapshots_dir / "20990101T000000-000000-broken"
    broken.mkdir()
    (broken / "manifest.json").write_text("{not json")
    (data_settings.storage.snapshots_dir / "CURRENT").write_text(broken.name + "\n")
    assert wait_for(app, lambda s: app._failed_reload == broken.name, seconds=30)
    assert app.searcher is old and app.search("Ehrenamt", k=1).hits
    assert "keeps serving" in caplog.text


def test_cli_ingest_is_picked_up_by_a_running_service(data_settings, tmp_path):
    app = Application(data_settings.with_(reload_check_seconds=0.2), embedder=HashEmbedder(64))
    assert "cli-neu" not in doc_ids(app.searcher)
    new = tmp_path / "cli-neu.md"
    new.write_text("# Neues Dokument\n\n" + GERMAN, encoding="utf-8")
    env = {**os.environ, TEST_EMBEDDER_ENV: "hash", "PRAXISFINDER_DATA_DIR": str(data_settings.storage.data_dir),
           "PRAXISFINDER_CORPUS_DIR": str(data_settings.storage.corpus_dir)}
    cli = Path(sys.executable).with_name("praxisfinder")
    proc = subprocess.run([str(cli), "ingest", "--json", str(new)], env=env, capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert '"rebuilt": true' in proc.stdout
    assert wait_for(app, lambda s: "cli-neu" in doc_ids(s))
    assert SnapshotStore(data_settings.storage.snapshots_dir).current_path().name == app.searcher.snapshot.path.name
