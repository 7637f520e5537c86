"""The load-test client against a real server (loopback, HashEmbedder snapshot), briefly."""

from __future__ import annotations

import asyncio

import pytest

from index.model.embedder import HashEmbedder
from core.settings import Settings
from service.api import create_app
from service.application import Application
from tools.liveserver import LiveServer
from tools.loadtest import WARM_QUERIES, cold_queries, loopback_only, run


@pytest.mark.integration  # a real server on a socket
def test_short_load_run_has_no_errors(template):
    corpus, data = template
    settings = Settings.from_env(data_dir=data, corpus_dir=corpus, read_rate_per_minute=0)
    app = create_app(settings, Application(settings, embedder=HashEmbedder(64)))
    searcher = app.state.application.searcher
    with LiveServer(app, settings=settings) as server:
        rows = asyncio.run(run(server.url, [1, 4], duration=3, warmup=0))
    assert [(r["cache"], r["concurrency"]) for r in rows] == [("cold", 1), ("cold", 4), ("warm", 1), ("warm", 4)]
    for row in rows:
        assert row["requests"] > 0 and row["errors"] == {}
        assert row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]
    cached = set(searcher.dense._cache)
    cold = sum(r["requests"] for r in rows if r["cache"] == "cold")
    assert len(cached) == min(512, cold + WARM_QUERIES)  # every cold query was new, the warm ones few


def test_cold_queries_never_repeat():
    pick = cold_queries(["a", "b"])
    assert len({pick(n) for n in range(10_000)}) == 10_000
    assert pick(0) != cold_queries(["a", "b"])(0)  # another run is cold too


@pytest.mark.parametrize("url", ["http://10.0.0.1:8000", "http://example.org", "http://192.168.1.5"])
def test_only_loopback_targets(url):
    with pytest.raises(SystemExit):
        loopback_only(url)
    loopback_only("http://127.0.0.1:8765")
    loopback_only("http://[::1]:8765")
