"""Child process for the upload crash tests: one upload through DocumentAdmin, announcing
each step (``STAGE <name>``) and pausing, so the parent can SIGKILL it exactly there
(``building <pid>``: while the build child with that pid runs).

``python upload_child.py DATA_DIR CORPUS_DIR FILE``
"""

import subprocess
import sys
import time
from pathlib import Path

import index.build as build
import index.build_process as build_process
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


class AnnouncedPopen(subprocess.Popen):
    """The build child, announced with its pid once it runs and would die with this process
    (its ``started`` marker beside the request file): the parent kills this process then."""

    def __init__(self, cmd, *args, **kwargs):
        super().__init__(cmd, *args, **kwargs)
        if "index.build_process" not in " ".join(map(str, cmd)):
            return  # the sandbox (subprocess.Popen is patched for the whole process)
        started = Path(cmd[3]).with_name("started")
        deadline = time.monotonic() + 60
        while not started.exists() and time.monotonic() < deadline and self.poll() is None:
            time.sleep(0.02)
        stage(f"building {self.pid}")


build.build_translations = lambda *a, **k: {}
upload.DocumentAdmin._receive = announce_after(upload.DocumentAdmin._receive, "received")
upload.ingest_sandboxed = announce_after(upload.ingest_sandboxed, "parsed")
build_process.subprocess.Popen = AnnouncedPopen
# the build child publishes; this process learns it when the child answers, before it moves the file
upload.DocumentAdmin._build = announce_after(upload.DocumentAdmin._build, "published")

data, corpus, new = sys.argv[1:4]
settings = Settings.from_env(data_dir=Path(data), corpus_dir=Path(corpus), upload_token="x", reload_check_seconds=0)
admin = upload.DocumentAdmin(settings, Application(settings, embedder=HashEmbedder(64)))
stage("start")
with open(new, "rb") as fh:
    result = admin.upload(Path(new).name, fh)
stage(f"done {result['status']}")
