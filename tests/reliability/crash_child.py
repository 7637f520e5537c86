"""Child process for the crash tests: add one document, announcing each publish stage.

``python crash_child.py DATA_DIR CORPUS_DIR NEW_FILE`` prints ``STAGE <name>`` and sleeps
a little after each stage, so the parent can SIGKILL it at exactly that point. Translation
building is stubbed out to keep start-up short; everything else is the real build.
"""

import os
import sys
import time
from pathlib import Path

import index.build as build
import index.snapshot as snapshot
from index.model.embedder import HashEmbedder
from core.settings import Settings

PAUSE = 0.5


def stage(name: str) -> None:
    print(f"STAGE {name}", flush=True)
    time.sleep(PAUSE)


def announce_after(fn, name):
    def wrapped(*args, **kwargs):
        out = fn(*args, **kwargs)
        stage(name(*args) if callable(name) else name)
        return out
    return wrapped


def announce_before(fn, name):
    def wrapped(*args, **kwargs):
        stage(name)
        return fn(*args, **kwargs)
    return wrapped


build.build_translations = lambda *a, **k: {}
build._embed = announce_before(build._embed, "embed")
snapshot._write_jsonl = announce_after(snapshot._write_jsonl, lambda path, rows: f"wrote-{Path(path).stem}")
snapshot._atomic_write = announce_before(snapshot._atomic_write, "switch-current")
snapshot.SnapshotStore.publish = announce_after(snapshot.SnapshotStore.publish, "published")
_rename = os.rename
os.rename = announce_after(_rename, "renamed")

data, corpus, new = sys.argv[1:4]
settings = Settings.from_env(data_dir=Path(data), corpus_dir=Path(corpus))
stage("start")
outcome = build.build_index(settings, HashEmbedder(64), [Path(new)], add=True)
stage(f"done {outcome.reason}")
