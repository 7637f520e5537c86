"""One request analyses its query once and filters the catalogue once (issue 24, item 1).

The search returns the whole answer (hits, verdict, allowed set) from one ``Query``; the
service reads it instead of calling back down. These tests count the real calls of the
BM25 query analysis (``BM25Retriever.weights``), the query normalisation
(``QueryNormalizer.__call__``) and the catalogue filtering (``Catalogue.filter``) during one
API request and one web page request, over the real app and the tiny snapshot.
"""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from fastapi.testclient import TestClient

from core.settings import Settings
from index.municipalities.model import Catalogue
from index.search.lexical import BM25Retriever
from index.search.normalize import QueryNormalizer

from tests.service.conftest import build_snapshot, make_app

_fresh = itertools.count()


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """The real app over a tiny snapshot of its own (no other test shares or changes it)."""
    data_dir = tmp_path_factory.mktemp("once")
    build_snapshot(data_dir)
    return TestClient(make_app(Settings.from_env(data_dir=data_dir)), raise_server_exceptions=False)


@pytest.fixture
def calls(monkeypatch):
    """Counters of analysis calls per text and of catalogue filterings per (bundesland, type,
    theme, min_population)."""
    seen = {"weights": Counter(), "normalize": Counter(), "filter": Counter()}
    weights, normalize, filter_ = BM25Retriever.weights, QueryNormalizer.__call__, Catalogue.filter

    def counting_weights(self, text, lang):
        seen["weights"][text] += 1
        return weights(self, text, lang)

    def counting_normalize(self, text, lang):
        seen["normalize"][text] += 1
        return normalize(self, text, lang)

    def counting_filter(self, *args, **kwargs):
        seen["filter"][(kwargs.get("bundesland"), kwargs.get("type"), kwargs.get("theme"),
                        kwargs.get("min_population"))] += 1
        return filter_(self, *args, **kwargs)

    monkeypatch.setattr(BM25Retriever, "weights", counting_weights)
    monkeypatch.setattr(QueryNormalizer, "__call__", counting_normalize)
    monkeypatch.setattr(Catalogue, "filter", counting_filter)
    return seen


def _query() -> str:
    """A query no earlier request asked (the service caches recent questions)."""
    return f"Ehrenamtliche Patenschaften Sprachkurse {next(_fresh)}"


@pytest.mark.parametrize("path", ["/api/search", "/"])
def test_one_request_analyses_the_query_once(client, calls, path):
    q = _query()
    r = client.get(path, params={"q": q})
    assert r.status_code == 200, r.text[:300]
    assert calls["weights"][q] == 1, calls["weights"]
    assert calls["normalize"][q] == 1, calls["normalize"]


@pytest.mark.parametrize("path,extra", [("/api/search", {}), ("/api/search", {"floor": "true"}), ("/", {})])
def test_one_request_filters_the_catalogue_once_for_its_filters(client, calls, path, extra):
    q, low = _query(), next(_fresh)  # a filter no earlier request asked (masks are cached per filter)
    r = client.get(path, params={"q": q, "bundesland": "Hessen", "min_population": low, **extra})
    assert r.status_code == 200, r.text[:300]
    assert r.text.count("Alheim") >= 1  # the filter keeps Alheim (Hessen, 4,900): a real, non-empty answer
    assert calls["filter"][("Hessen", None, None, low)] == 1, calls["filter"]
    assert calls["weights"][q] == 1, calls["weights"]
