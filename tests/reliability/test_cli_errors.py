"""CLI errors (issue 16, item 9): a held writer lock is exit 75 with a JSON error under
``--json``, not exit 3 ("no usable snapshot") in plain text."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from index.model.embedder import HashEmbedder
from index.snapshot import SnapshotStore
from service.cli import app


def test_lock_conflict_is_exit_75_with_json(data_settings, monkeypatch, tmp_path):
    import index.runtime

    monkeypatch.setattr(index.runtime, "load_embedder", lambda settings: HashEmbedder(64))
    env = {"PRAXISFINDER_DATA_DIR": str(data_settings.storage.data_dir), "PRAXISFINDER_CORPUS_DIR": str(data_settings.storage.corpus_dir)}
    new = tmp_path / "neu.txt"
    new.write_text("Ein neuer Text über Sprachpatenschaften in der Gemeinde.", encoding="utf-8")
    with SnapshotStore(data_settings.storage.snapshots_dir).writer_lock():
        result = CliRunner().invoke(app, ["ingest", str(new), "--json"], env=env)
    assert result.exit_code == 75, result.output
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "conflict" and "try again" in error["message"]
    result = CliRunner().invoke(app, ["ingest", str(new), "--json"], env=env)  # lock free again
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["report"]
    assert any(r["doc_id"] == "neu" and r["action"] == "added" for r in report)
