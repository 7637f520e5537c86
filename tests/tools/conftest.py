"""Fixtures the tool tests share with other folders: the tiny service snapshot (``tiny``)
and the real-pipeline HashEmbedder snapshot (``template``)."""

from tests.reliability.conftest import template  # noqa: F401  (a fixture, registered by import)
from tests.service.conftest import tiny  # noqa: F401
