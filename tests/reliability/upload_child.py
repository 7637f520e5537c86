"""Child process for the upload crash tests: one upload through DocumentAdmin, announcing
each step (``STAGE <name>``) and pausing, so the parent can SIGKILL it exactly there.

``python upload_child.py DATA_DIR CORPUS_DIR FILE``
"""

import sys
import time
from pathlib import Path

import index.build as build
import index.snapshot as snapshot
import service.upload as upload
from index.model.embedder import HashEmbedder
from core.settings import Settings
from service.application import Application


def stage(name: str) -> None:
    print(f"STAGE {name}", flush=True)
    time.sleep(0.5)


def announce_after(fn, name):
    def wrapped(*args, **kwargs):
        out = fn(*args, **kwargs)
        stage(name)
        return out
    return wrapped


build.build_translations = lambda *a, **k: {}
upload.DocumentAdmin._receive = announce_after(upload.DocumentAdmin._receive, "received")
upload.ingest_sandboxed = announce_after(upload.ingest_sandboxed, "parsed")
snapshot.SnapshotStore.publish = announce_after(snapshot.SnapshotStore.publish, "published")

data, corpus, new = sys.argv[1:4]
settings = Settings.from_env(data_dir=Path(data), corpus_dir=Path(corpus), upload_token="x", reload_check_seconds=0)
admin = upload.DocumentAdmin(settings, Application(settings, embedder=HashEmbedder(64)))
stage("start")
with open(new, "rb") as fh:
    result = admin.upload(Path(new).name, fh)
stage(f"done {result['status']}")
