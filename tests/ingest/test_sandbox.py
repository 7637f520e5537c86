"""The upload sandbox receives the whole configuration, not a hand-picked list (issue 24).

Before, ``ingest/sandbox.py`` copied seven named settings to its child, so a new chunk
setting left out of that list made uploads chunk silently with the default."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from ingest.pipeline import ingest_one
from ingest.sandbox import ingest_sandboxed

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"


def _changed_everywhere() -> Settings:
    """Settings with every int, float and bool field moved off its default (still valid)."""
    base = Settings.from_env({})
    changes = {}
    for e in Settings.entries():
        value = base.get(e.name)
        if isinstance(value, bool):
            changes[e.name] = not value
        elif isinstance(value, int) and e.name not in ("chunk_target_words", "chunk_min_words", "chunk_max_words"):
            changes[e.name] = value + 1
        elif isinstance(value, float):
            changes[e.name] = value / 2
    changes.update(chunk_min_words=20, chunk_target_words=40, chunk_max_words=90)
    return base.with_(**changes)


def test_as_env_round_trips_every_setting():
    """Every setting, present and future, survives the trip through the child's environment."""
    settings = _changed_everywhere().with_(upload_token="secret-token", cors_origins="https://a.example")
    assert Settings.from_env(env=settings.as_env(secrets=True)) == settings
    public = settings.as_env()
    assert "PRAXISFINDER_UPLOAD_TOKEN" not in public  # a secret never goes on a command line
    assert Settings.from_env(env=public) == settings.with_(upload_token="")


@pytest.mark.integration  # a real child process under resource limits
def test_a_chunk_setting_reaches_the_sandboxed_child():
    """The child chunks with the parent's settings: small passages in, small passages out."""
    path = CORPUS / "ehrenamt-wohnen.txt"
    small = Settings.from_env({}, chunk_min_words=20, chunk_target_words=40, chunk_max_words=90,
                              chunk_overlap_sentences=0)
    default_doc, default_passages = ingest_one(path, Settings.from_env({}), "d1")
    expected_doc, expected = ingest_one(path, small, "d1")
    assert len(expected) > len(default_passages)  # the setting matters for this file
    document, passages, checked = ingest_sandboxed(path, small, "d1")
    assert [p.text for p in passages] == [p.text for p in expected]
    assert checked["passages"] == len(expected)


def test_the_wall_clock_limit_is_named_as_a_limit(monkeypatch, tmp_path):
    """On a busy machine the child's wall-clock timeout can fire before its CPU limit; the
    refusal then still names the limit and its numbers (it said "took longer than 2 s",
    though the child had 14 s)."""
    import subprocess

    from core.errors import IngestError

    def too_slow(cmd, **kwargs):
        raise subprocess.TimeoutExpired(cmd, kwargs["timeout"])

    monkeypatch.setattr(subprocess, "run", too_slow)
    path = tmp_path / "a.txt"
    path.write_text("Ein Satz.", encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        ingest_sandboxed(path, Settings.from_env({}, upload_check_seconds=2), "a")
    assert caught.value.message == "reading the file exceeded the time limit (2 s of CPU, 14 s in all)"
