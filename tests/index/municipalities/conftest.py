"""The real corpus ingested once per test session, with its municipality catalogue: the
catalogue tests of several modules read it (ingesting and linking the corpus costs ~10 s)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def real_corpus_ingested():
    """``(catalogue, ingest result)`` of ``corpus/`` under the default settings; read-only."""
    from core.settings import PROJECT_ROOT, Settings
    from index.municipalities.extract import build_catalogue
    from ingest.loop import ingest_paths

    result = ingest_paths([PROJECT_ROOT / "corpus"], Settings.from_env())
    return build_catalogue(result.documents, result.passages), result
