"""Every field the application returns reaches the API: the response models in
``service/schemas.py`` are checked against the plain dicts the domain objects and the
application produce, recursively. FastAPI drops a key its response model lacks without a
word; this test names it instead (add the field to the model to fix it)."""

from __future__ import annotations

import types
import typing

import pytest
from pydantic import BaseModel

from index.search import Filters
from service import schemas


def _models(annotation) -> list[type[BaseModel]]:
    """The pydantic models inside an annotation (``X | None``, ``list[X]``, ``dict[str, X]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out = []
    for arg in typing.get_args(annotation):
        out += _models(arg)
    return out


def vanishing(data, model: type[BaseModel], path: str = "") -> list[str]:
    """Paths of keys in ``data`` (a dict, possibly nested) that ``model`` would drop."""
    gaps = []
    for key, value in data.items():
        field = model.model_fields.get(key)
        if field is None:
            gaps.append(f"{path}{key}")
            continue
        inner = _models(field.annotation)
        if not inner:
            continue
        items = value if isinstance(value, list) else list(value.values()) if (
            isinstance(value, dict) and typing.get_origin(field.annotation) is dict) else [value]
        for n, item in enumerate(items):
            if isinstance(item, dict):
                gaps += vanishing(item, inner[0], f"{path}{key}[{n}]." if isinstance(value, list) else f"{path}{key}.")
    return gaps


@pytest.fixture(scope="module")
def application(client):
    return client.app.state.application


def test_every_returned_field_is_in_its_response_model(application, pid, tiny):
    app = application
    some_passage = tiny[1].passages[0].id
    municipality = app.municipalities()[0]["id"]
    cases = {
        "search": (app.search_page("Ehrenamt Koordination", k=5, filters=Filters()), schemas.SearchResponse),
        "passage": (app.passage(some_passage, context=2, query="Ehrenamt"), schemas.PassageDetail),
        "documents": (app.documents()[0], schemas.DocumentSummary),
        "document": (app.document(tiny[1].documents[0].id), schemas.DocumentDetail),
        "municipalities": (app.municipalities()[0], schemas.Municipality),
        "municipality": (app.municipality(municipality), schemas.MunicipalityDetail),
        "similar": (app.similar_municipalities(municipality, topic="Ehrenamt", k=3)[0], schemas.SimilarMunicipality),
        "recommend": (app.recommend_request(municipality, None, "Ehrenamt", 3), schemas.RecommendResponse),
        "readiness": (app.readiness(), schemas.Readiness),
    }
    gaps = {name: vanishing(data, model) for name, (data, model) in cases.items()}
    assert not any(gaps.values()), f"fields the API would drop: { {k: v for k, v in gaps.items() if v} }"
    # the check saw nested rows, not just the top level
    assert cases["search"][0]["results"] and cases["recommend"][0]["recommendations"][0]["reason_details"]


def test_the_check_names_a_new_field():
    row = {"query": "x", "mode": "hybrid", "k": 1, "language": "de", "took_ms": 1.0, "snapshot_id": "s",
           "filters": {}, "case_examples": [],
           "results": [{"passage_id": "p", "doc_id": "d", "doc_title": "t", "page": 1, "section": "s",
                        "text": "x", "score": 1.0, "rank": 1, "scores": {},
                        "snippet": "x", "municipalities": [], "neu": 1}],
           "total_neu": 3}
    assert vanishing(row, schemas.SearchResponse) == ["results[0].neu", "total_neu"]
