"""Schemathesis fuzzes every operation of the app's own OpenAPI schema: no 5xx, no
response that breaks the schema, every status documented.

Every check applies to every operation, including positive data acceptance (the schema
states what a usable query, topic, name or description is: at least one word character,
at most ``max_query_chars``; an empty filter or topic is one of its choices and means none),
with one exception: ``GET /api/recommend`` takes exactly one of ``municipality`` and
``description``, which OpenAPI cannot state for query parameters, so a request with
neither or both is a documented 400, not a rejected valid request. CI runs 30 examples per operation; a longer run:
``PRAXISFINDER_FUZZ_EXAMPLES=1000 .venv/bin/python -m pytest tests/reliability/test_fuzz.py``.
Uploads are enabled with a token the fuzzer does not know, so the write endpoints are
exercised up to their guards (401/415/413/429) without rebuilding the index.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

schemathesis = pytest.importorskip("schemathesis")

EXAMPLES = int(os.environ.get("PRAXISFINDER_FUZZ_EXAMPLES", "30"))


@pytest.fixture(scope="module")
def api_schema(template):
    from index.model.embedder import HashEmbedder
    from core.settings import Settings
    from service.api import create_app
    from service.application import Application

    corpus, data = template
    cfg = Settings.from_env(data_dir=data, corpus_dir=corpus, reload_check_seconds=0, upload_token="fuzz-secret",
                            upload_rate_per_minute=100_000, auth_failures_per_minute=100_000, read_rate_per_minute=0)
    app = create_app(cfg, Application(cfg, embedder=HashEmbedder(64)))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def excluded(label: str) -> list:
    """The one check left out for one operation (see the module docstring)."""
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    return [positive_data_acceptance] if label == "GET /api/recommend" else []


def test_api_conforms_to_its_schema(api_schema):
    """Every operation: EXAMPLES generated cases, all of Schemathesis' default checks."""
    from hypothesis import given

    tested, calls = [], {}
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def check(case):
            case.call_and_validate(excluded_checks=excluded(case.operation.label))
            calls[case.operation.label] = calls.get(case.operation.label, 0) + 1

        check()
        tested.append(operation.label)
    assert "POST /api/documents" in tested and "GET /api/search" in tested
    print(f"\nfuzzed {sum(calls.values())} requests: {calls}")


def test_the_fuzzer_writes_nothing_into_the_checkout():
    """Hypothesis' storage (its ``constants`` cache) lives outside the checkout (tests/conftest.py)."""
    from pathlib import Path

    from hypothesis.configuration import storage_directory

    root = Path(__file__).resolve().parents[2]
    assert not Path(storage_directory(intent_to_write=False).path).resolve().is_relative_to(root)
