"""Eval fixtures: a tiny HashEmbedder snapshot of the fixture corpus, and a guard for the real searcher."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT, Settings

FIXTURE_CORPUS = PROJECT_ROOT / "tests" / "fixtures" / "corpus"

TINY_JUDGMENTS = [
    {"id": "t1", "query": "Wer begleitet geflüchtete Familien bei Wohnungsbesichtigungen?", "lang": "de",
     "kind": "question", "topic": "practice",
     "relevant": [{"doc": "ehrenamt-wohnen", "contains": "Wohnungspatinnen begleiten die Besichtigungen"}]},
    {"id": "t2", "query": "language courses in village community centres", "lang": "en", "kind": "paraphrase",
     "topic": "practice",
     "relevant": [{"doc": "sprachkurse-landkreis", "contains": "Dorfgemeinschaftshäusern"}]},
    {"id": "t3", "query": "Koordinierungsstelle Integration Müllheim", "lang": "de", "kind": "keyword",
     "topic": "place",
     "relevant": [{"doc": "willkommenskultur-kleinstadt", "contains": "Koordinierungsstelle für Integration"},
                  {"doc": "willkommenskultur-kleinstadt", "contains": "zwölf Wohnungen für Geflüchtete"}]},
]


@pytest.fixture(scope="session")
def tiny_settings(tmp_path_factory) -> Settings:
    from index.build import build_index
    from index.model.embedder import HashEmbedder

    settings = Settings.from_env(data_dir=tmp_path_factory.mktemp("eval-data"), corpus_dir=FIXTURE_CORPUS)
    build_index(settings, HashEmbedder(64))
    return settings


@pytest.fixture(scope="session")
def tiny_searcher(tiny_settings):
    from index.model.embedder import HashEmbedder
    from index.runtime import open_searcher

    return open_searcher(tiny_settings, HashEmbedder(64))


@pytest.fixture(scope="session")
def tiny_judgments_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("judgments") / "tiny.jsonl"
    path.write_text("\n".join(json.dumps(j, ensure_ascii=False) for j in TINY_JUDGMENTS) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def floor_searcher(request):
    """The real model over the current snapshot, opened as it is (no rebuild, no writer lock).

    Without a snapshot: skip outside CI; in CI fall back to the shared ``real_searcher``
    (tests/conftest.py), which builds one, so the floor is measured rather than skipped.
    """
    from index.runtime import load_embedder, open_searcher
    from index.snapshot import SnapshotStore

    settings = Settings.from_env()
    if SnapshotStore(settings.storage.snapshots_dir).current_path() is None:
        if not os.environ.get("CI"):
            pytest.skip(f"no index snapshot under {settings.storage.snapshots_dir}; run `praxisfinder ingest` first "
                        "(in CI the snapshot is built and measured instead of skipping)")
        return request.getfixturevalue("real_searcher")
    return open_searcher(settings, load_embedder(settings))
