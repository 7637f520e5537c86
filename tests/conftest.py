"""Session fixtures shared across test folders: the real model and the real snapshot."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

from core.settings import Settings

# Functional tests send hundreds of requests through one app from one test client; the
# per-address read limit (PRAXISFINDER_READ_RATE_PER_MINUTE, 240 a minute by default) is
# tested by the tests that set it (tests/reliability/test_http_limits.py, test_errors_web.py).
os.environ.setdefault("PRAXISFINDER_READ_RATE_PER_MINUTE", "0")

# Hypothesis (under the Schemathesis fuzz test) keeps a storage directory, ``.hypothesis/``
# in the working directory by default, even with ``database=None``: put it in a temporary
# directory, removed at exit, so a test run writes nothing into the checkout.
if "HYPOTHESIS_STORAGE_DIRECTORY" not in os.environ:
    _hypothesis_dir = tempfile.mkdtemp(prefix="praxisfinder-hypothesis-")
    os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = _hypothesis_dir
    atexit.register(shutil.rmtree, _hypothesis_dir, True)


@pytest.fixture(scope="session")
def real_settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def real_embedder(real_settings):
    from index.runtime import load_embedder

    return load_embedder(real_settings)


@pytest.fixture(scope="session")
def real_searcher(real_settings, real_embedder):
    """A Searcher over the real corpus snapshot, built with the real model if missing or stale."""
    from index.build import build_index
    from index.runtime import open_searcher

    outcome = build_index(real_settings, real_embedder)
    if outcome.snapshot_path is None:
        pytest.fail(f"no snapshot could be built: {outcome.reason}")
    return open_searcher(real_settings, real_embedder)


@pytest.fixture(scope="session")
def real_application(real_settings, real_embedder, real_searcher):
    """The service's application object over the real snapshot and model."""
    from service.application import Application

    return Application(real_settings, embedder=real_embedder, searcher=real_searcher)


def in_ci() -> bool:
    return bool(os.environ.get("CI"))
