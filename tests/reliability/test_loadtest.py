"""The load-test client against a real server (loopback, HashEmbedder snapshot), briefly."""

from __future__ import annotations

import asyncio

import pytest

from index.embedder import HashEmbedder
from ingest.settings import Settings
from service.api import create_app
from service.application import Application
from service.liveserver import LiveServer
from service.loadtest import loopback_only, run


def test_short_load_run_has_no_errors(template):
    corpus, data = template
    settings = Settings.from_env(data_dir=data, corpus_dir=corpus)
    app = create_app(settings, Application(settings, embedder=HashEmbedder(64)))
    with LiveServer(app) as server:
        rows = asyncio.run(run(server.url, [1, 4], duration=3, warmup=0))
    assert [r["concurrency"] for r in rows] == [1, 4]
    for row in rows:
        assert row["requests"] > 0 and row["errors"] == {}
        assert row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]


@pytest.mark.parametrize("url", ["http://10.0.0.1:8000", "http://example.org", "http://192.168.1.5"])
def test_only_loopback_targets(url):
    with pytest.raises(SystemExit):
        loopback_only(url)
    loopback_only("http://127.0.0.1:8765")
    loopback_only("http://[::1]:8765")
