import pytest
from fastapi.testclient import TestClient

from index.model.embedder import HashEmbedder
from core.settings import Settings
from service.api import create_app
from service.application import Application


def _error(response, status, code):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "detail"}
    assert body["error"]["code"] == code and body["error"]["message"]
    assert "Traceback" not in response.text
    return body["error"]


def test_health_and_readiness(client, tiny, tmp_path):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["snapshot_id"] == tiny[1].id and ready["passages"] == len(tiny[1].passages)
    empty = Settings.from_env(data_dir=tmp_path)
    unready = TestClient(create_app(empty, Application(empty, embedder=HashEmbedder(64))))
    assert unready.get("/healthz").status_code == 200
    _error(unready.get("/readyz"), 503, "snapshot_error")


def test_search_results_snippets_and_municipalities(client, tiny):
    body = client.get("/api/search", params={"q": "Ehrenamtliche", "k": 3}).json()
    assert body["k"] == 3 and len(body["results"]) == 3 and body["snapshot_id"] == tiny[1].id
    top = body["results"][0]
    assert set(top) >= {"passage_id", "doc_id", "doc_title", "page", "section", "text", "snippet", "score",
                        "municipalities"}
    marked = " ".join(r["snippet"] for r in body["results"])
    assert "<mark>Ehrenamtliche</mark>" in marked and "<mark>ehrenamtlichen</mark>" in marked
    alheim = next(r for r in body["results"] if "Alheim koordiniert" in r["text"])
    assert alheim["municipalities"] == [{"id": "alheim", "name": "Alheim", "type": "kreisangehörige Stadt/Gemeinde",
                                         "bundesland": "Hessen"}]


def test_case_examples_rank_who_does_it_from_the_page_hits(client, tiny):
    body = client.get("/api/search", params={"q": "Ehrenamtliche Sprachkurse Alheim", "k": 20}).json()
    cases = body["case_examples"]
    about = {m["id"] for r in body["results"] for m in r["municipalities"]}
    assert cases and {c["id"] for c in cases} <= about  # every card is a municipality a hit is about
    first = cases[0]
    assert first["id"] == "alheim" and first["projects"] == ["Patenschaften"] and first["population"] == 4900
    assert first["score"] == 1.0 and all(0 < c["score"] <= 1 for c in cases)
    assert {e["passage_id"] for e in first["evidence"]} <= {r["passage_id"] for r in body["results"]}
    assert any("<mark>" in e["snippet"] for e in first["evidence"])
    assert first["why"]["passage_id"] in {r["passage_id"] for r in body["results"]}


def test_filters(client, tiny):
    docs = client.get("/api/search", params={"q": "Willkommenskultur", "doc": "boese"}).json()["results"]
    assert docs and {r["doc_id"] for r in docs} == {"boese"}
    hessen = client.get("/api/search", params={"q": "Ehrenamtliche", "bundesland": "Hessen"}).json()
    assert hessen["results"]
    assert all(any(m["bundesland"] == "Hessen" for m in r["municipalities"]) for r in hessen["results"])
    assert {c["bundesland"] for c in hessen["case_examples"]} == {"Hessen"}
    big = client.get("/api/search", params={"q": "Wohnungen", "min_population": 100000}).json()
    assert [r["municipalities"][0]["id"] for r in big["results"]] == ["lk-osnabrueck"]
    assert [c["id"] for c in big["case_examples"]] == ["lk-osnabrueck"]
    typed = client.get("/api/search", params={"q": "Wohnungen Ehrenamtliche", "type": "Landkreis"}).json()
    assert {c["type"] for c in typed["case_examples"]} == {"Landkreis"}
    # a card never rests on a hit that shares nothing with the question (the Landkreis's one
    # passage is about housing, not volunteers)
    assert client.get("/api/search", params={"q": "Ehrenamtliche", "type": "Landkreis"}).json()["case_examples"] == []
    themed = client.get("/api/search", params={"q": "Stadt", "theme": "Partizipation"}).json()
    assert {m["id"] for r in themed["results"] for m in r["municipalities"]} >= {"duelmen"}
    assert {c["id"] for c in themed["case_examples"]} == {"duelmen"}


def test_error_shape_bad_queries(client):
    assert "empty" in _error(client.get("/api/search", params={"q": ""}), 400, "bad_request")["message"]
    _error(client.get("/api/search", params={"q": "   \t "}), 400, "bad_request")
    _error(client.get("/api/search", params={"q": "?!… —"}), 400, "bad_request")
    too_long = _error(client.get("/api/search", params={"q": "Wort " * 201}), 400, "bad_request")
    assert "too long" in too_long["message"]
    assert client.get("/api/search", params={"q": "a" * 1000}).status_code == 200
    _error(client.get("/api/search", params={"q": "x", "doc": "nope"}), 404, "not_found")  # an unknown id, like elsewhere


@pytest.mark.parametrize("params", [
    {"q": "Ehrenamt", "k": 0}, {"q": "Ehrenamt", "k": 101}, {"q": "Ehrenamt", "k": "zehn"},
    {"q": "Ehrenamt", "mode": "fuzzy"}, {"q": "Ehrenamt", "type": "Dorf"}, {"q": "Ehrenamt", "min_population": -1},
    {"k": 3},
])
def test_error_shape_bad_parameters(client, params):
    error = _error(client.get("/api/search", params=params), 422, "invalid_parameter")
    assert error["detail"] and error["detail"][0]["loc"]


def test_not_found(client):
    _error(client.get("/api/passages/nope"), 404, "not_found")
    _error(client.get("/api/documents/nope"), 404, "not_found")
    _error(client.get("/api/municipalities/nope"), 404, "not_found")
    _error(client.get("/api/does-not-exist"), 404, "not_found")
    _error(client.post("/api/search"), 405, "method_not_allowed")


@pytest.mark.parametrize("method, path, allow", [
    ("PUT", "/api/documents", "GET, POST"),  # was an empty Allow header (issue 27)
    ("PATCH", "/api/documents", "GET, POST"),
    ("DELETE", "/api/documents", "GET, POST"),
    ("PUT", "/api/documents/some-id", "DELETE, GET"),
    ("POST", "/api/search", "GET"),
    ("DELETE", "/api/municipalities", "GET"),
    ("POST", "/readyz", "GET"),
    ("POST", "/", "GET"),
])
def test_405_lists_every_allowed_method(client, method, path, allow):
    r = client.request(method, path)
    assert r.status_code == 405 and r.headers["allow"] == allow


def test_unexpected_error_is_500_without_details(tiny, app_factory, monkeypatch, caplog):
    settings, snap = tiny
    app = app_factory(settings)
    application = app.state.application

    def boom(*_a, **_k):
        raise RuntimeError("secret internal state /etc/passwd")

    monkeypatch.setattr(application, "search_page", boom)
    response = TestClient(app, raise_server_exceptions=False).get("/api/search", params={"q": "Ehrenamt"})
    error = _error(response, 500, "internal_error")
    assert "secret" not in response.text and error["detail"] is None
    assert "secret internal state" in caplog.text  # logged server-side


def test_passage_in_context(client, pid):
    second = pid("In Dülmen wurde")
    body = client.get(f"/api/passages/{second}", params={"q": "Integrationsbeirat"}).json()
    assert body["passage_id"] == second and body["section"] == "Teil A › Einleitung"
    assert [p["passage_id"] for p in body["context"]["previous"]] == [pid("Alheim koordiniert")]
    assert [p["passage_id"] for p in body["context"]["next"]] == [pid("Landkreis Osnabrück vermittelt")]
    assert "<mark>Integrationsbeirat</mark>" in body["highlighted"]
    first = client.get(f"/api/passages/{pid('Alheim koordiniert')}", params={"context": 2}).json()
    assert first["context"]["previous"] == [] and len(first["context"]["next"]) == 2
    assert first["highlighted"] is None
    last = client.get(f"/api/passages/{pid('Willkommensbehörde')}").json()
    assert last["context"]["next"] == [] and last["context"]["previous"][0]["doc_id"] == "boese"


def test_documents(client):
    docs = client.get("/api/documents").json()
    assert [(d["id"], d["passages"]) for d in docs] == [("praxis", 5), ("boese", 2)]
    assert docs[0]["meta"] == {"year": 2024} and docs[0]["pages"] == 2
    detail = client.get("/api/documents/praxis").json()
    assert len(detail["outline"]) == 5 and detail["outline"][2]["section"] == "Teil A › Wohnen"


def test_municipalities(client, bare_client, pid):
    hessen = client.get("/api/municipalities", params={"bundesland": "Hessen"}).json()
    assert {m["id"] for m in hessen} == {"alheim", "xss"}
    assert [m["id"] for m in client.get("/api/municipalities", params={"q": "dül"}).json()] == ["duelmen"]
    assert [m["id"] for m in client.get("/api/municipalities", params={"theme": "Wohnen"}).json()] == ["lk-osnabrueck"]
    _error(client.get("/api/municipalities", params={"bundesland": "Atlantis"}), 400, "bad_request")
    alheim = client.get("/api/municipalities/alheim").json()
    assert alheim["facts"][0]["name"] == "Einwohner" and alheim["facts"][0]["quote"] == "4.900 Einwohner"
    assert alheim["projects"] == ["Patenschaften"] and alheim["themes"] == ["Engagement/Ehrenamt", "Sprache"]
    assert {p["passage_id"] for p in alheim["passages"]} == {pid("Alheim koordiniert"), pid("Alheim und Dülmen")}
    _error(client.get("/api/municipalities/nope/similar"), 404, "not_found")
    # A snapshot without catalogue: a clear 503, never a made-up answer.
    _error(bare_client.get("/api/municipalities"), 503, "catalogue_unavailable")
    _error(bare_client.get("/api/municipalities/alheim"), 503, "catalogue_unavailable")
    _error(bare_client.get("/api/municipalities/alheim/similar"), 503, "catalogue_unavailable")
    _error(bare_client.get("/api/search", params={"q": "Ehrenamt", "bundesland": "Hessen"}), 400, "bad_request")
    plain = bare_client.get("/api/search", params={"q": "Ehrenamtliche"}).json()
    assert plain["case_examples"] == [] and plain["results"][0]["municipalities"] == []


def test_similar_municipalities(client, pid):
    body = client.get("/api/municipalities/alheim/similar", params={"topic": "Ehrenamt", "k": 2}).json()
    assert len(body) == 2 and "alheim" not in {m["id"] for m in body}
    assert body[0]["score"] >= body[1]["score"] and all(m["reasons"] for m in body)
    # Dülmen shares the type and the Ehrenamt practice; it must beat the Landkreis.
    ranked = [m["id"] for m in client.get("/api/municipalities/alheim/similar", params={"k": 3}).json()]
    assert ranked.index("duelmen") < ranked.index("lk-osnabrueck")


def test_openapi_documents_the_api(client):
    spec = client.get("/openapi.json").json()
    search = spec["paths"]["/api/search"]["get"]
    assert search["summary"] and search["description"]
    assert {p["name"] for p in search["parameters"]} >= {"q", "k", "mode", "doc", "bundesland", "type",
                                                         "min_population", "max_population", "theme"}
    assert "SearchResponse" in spec["components"]["schemas"] and "ErrorResponse" in spec["components"]["schemas"]
    for path in ("/api/passages/{passage_id}", "/api/documents", "/api/municipalities/{municipality_id}/similar"):
        assert path in spec["paths"]
    assert client.get("/docs").status_code == 404  # would need a CDN


def test_recommend_by_name_id_or_description(client):
    by_name = client.get("/api/recommend", params={"municipality": "Alheim", "topic": "Wohnraum", "k": 3}).json()
    assert by_name["query"]["id"] == "alheim" and by_name["topic"] == "Wohnraum"
    recs = by_name["recommendations"]
    assert 1 <= len(recs) <= 3 and "alheim" not in {r["id"] for r in recs}
    # the Landkreis whose passage answers the topic comes first, with that passage as evidence
    assert recs[0]["id"] == "lk-osnabrueck"
    practice = [d for d in recs[0]["reason_details"] if d["kind"] == "practice"]
    assert practice and practice[0]["evidence"]["doc_id"] == "praxis"
    assert practice[0]["passage_id"] in recs[0]["evidence"]
    assert all(r["reasons"] == [d["text"] for d in r["reason_details"]] for r in recs)
    assert client.get("/api/recommend", params={"municipality": "alheim", "topic": "Wohnraum", "k": 3}).json() == by_name
    decomposed = client.get("/api/recommend", params={"municipality": "Du\u0308lmen"}).json()
    assert decomposed["query"]["id"] == "duelmen"
    described = client.get("/api/recommend", params={"description": "kleine Gemeinde in Hessen, 5.000 Einwohner",
                                                     "topic": "Ehrenamt"}).json()
    assert {k: v for k, v in described["query"].items() if v not in (None, [], False)} == {
        "description": "kleine Gemeinde in Hessen, 5.000 Einwohner", "understood": [
            {"part": "typ", "text": "kreisangehörige Stadt/Gemeinde"}, {"part": "land", "text": "Hessen"},
            {"part": "einwohner", "text": "rund 5.000 Einwohner"}, {"part": "siedlung", "text": "ländlich"}]}
    wider = client.get("/api/recommend", params={"description": "kleine Gemeinde in Hessen, 5.000 Einwohner",
                                                 "ignore": "land"}).json()
    assert [u["part"] for u in wider["query"]["ignored"]] == ["land"]
    assert "land" not in [u["part"] for u in wider["query"]["understood"]]
    assert client.get("/api/recommend", params={"description": "asdf qwer zxcv"}).status_code == 400
    assert client.get("/api/recommend", params={"description": "kleine Gemeinde", "ignore": "mond"}).status_code == 400
    assert {"id", "name", "type", "bundesland", "population"} <= set(described["query"])
    assert by_name["query"]["themes"] and by_name["query"]["passage_ids"]  # the named municipality's profile
    assert described["recommendations"][0]["id"] == "alheim"


def test_recommend_filters_candidates(client):
    only = client.get("/api/recommend", params={"municipality": "Alheim", "type": "Landkreis"}).json()
    assert {r["type"] for r in only["recommendations"]} == {"Landkreis"}
    hessen = client.get("/api/recommend", params={"municipality": "Dülmen", "bundesland": "Hessen"}).json()
    assert {r["bundesland"] for r in hessen["recommendations"]} == {"Hessen"}
    big = client.get("/api/recommend", params={"municipality": "Alheim", "min_population": 10000}).json()
    assert {r["id"] for r in big["recommendations"]} == {"duelmen", "lk-osnabrueck"}


def test_recommend_errors(client):
    unknown = _error(client.get("/api/recommend", params={"municipality": "Alheimm"}), 404, "not_found")
    assert "Alheim" in unknown["detail"]["suggestions"] and unknown["message"].startswith("unknown municipality")
    _error(client.get("/api/recommend"), 400, "bad_request")
    _error(client.get("/api/recommend", params={"municipality": "Alheim", "description": "Gemeinde"}), 400, "bad_request")
    # free-text parameters obey the query length limit at the HTTP edge (422), and in the
    # application for other callers (400)
    _error(client.get("/api/recommend", params={"municipality": "Alheim", "topic": "x" * 1001}), 422,
           "invalid_parameter")
    _error(client.get("/api/recommend", params={"description": "Gemeinde " * 200}), 422, "invalid_parameter")
    _error(client.get("/api/recommend", params={"municipality": "Alheim", "k": 0}), 422, "invalid_parameter")
    _error(client.get("/api/recommend", params={"municipality": "Alheim", "bundesland": "Atlantis"}), 400,
           "bad_request")
    _error(client.get("/api/municipalities/alheim/similar", params={"topic": "y" * 1001}), 422, "invalid_parameter")


def test_municipality_list_search_is_unicode_normalised(client):
    names = [m["name"] for m in client.get("/api/municipalities", params={"q": "Du\u0308lm"}).json()]
    assert names == ["Dülmen"]


def test_application_refuses_overlong_topic_and_description(tiny):
    from core.errors import BadRequest

    application = Application(tiny[0], embedder=HashEmbedder(64))
    with pytest.raises(BadRequest, match="topic is too long"):
        application.recommend("Alheim", "x" * 1001)
    with pytest.raises(BadRequest, match="description is too long"):
        application.recommend("Gemeinde " * 200, as_description=True)


def test_reason_evidence_accepts_a_passage_without_page():
    """Documents without a table of contents cite no page; their passages can still be evidence."""
    from service import schemas

    ev = schemas.ReasonEvidence(passage_id="p", doc_id="d", doc_title="T", page=None, section="", snippet="…")
    assert ev.page is None and ev.page_label is None
    assert set(schemas.SearchHit.model_fields) >= set(schemas.Cited.model_fields)


def _param_schema(client, path: str, name: str) -> dict:
    operation = client.get("/openapi.json").json()["paths"][path]["get"]
    return next(p["schema"] for p in operation["parameters"] if p["name"] == name)


@pytest.mark.parametrize("path, name, value, valid, status", [
    # an empty filter means "no filter": accepted, and now also valid by the schema (was ST201)
    ("/api/search", "bundesland", "", True, 200),
    ("/api/search", "theme", "", True, 200),
    ("/api/municipalities", "theme", "", True, 200),
    ("/api/municipalities", "bundesland", "", True, 200),
    # a topic of symbols only is a 400, and now also invalid by the schema (was ST202)
    ("/api/municipalities/{municipality_id}/similar", "topic", "!?–", False, 400),
    ("/api/municipalities/{municipality_id}/similar", "topic", "", True, 200),
    ("/api/municipalities/{municipality_id}/similar", "topic", "Wohnraum", True, 200),
    ("/api/municipalities/{municipality_id}/similar", "topic", "ü", True, 200),  # not ASCII: a word all the same
    ("/api/search", "q", "Ö", True, 200),
    ("/api/search", "q", "%%%", False, 400),
])
def test_schema_and_answer_agree(client, path, name, value, valid, status):
    """Schemathesis' contract mismatches (issue 27): the schema says what the app accepts."""
    import jsonschema_rs

    schema = _param_schema(client, path, name)
    assert jsonschema_rs.validator_for(schema).is_valid(value) is valid
    some = client.get("/api/municipalities").json()[0]["id"]
    params = {name: value} if name == "q" else {name: value, "q": "Ehrenamt"}
    r = client.get(path.replace("{municipality_id}", some), params=params)
    assert r.status_code == status, r.text


def test_a_practice_of_symbols_only_is_refused_by_schema_and_app(client):
    """``/api/municipalities?topic=…`` was schema-valid but a 400 (schemathesis ST202)."""
    import jsonschema_rs

    assert not jsonschema_rs.validator_for(_param_schema(client, "/api/municipalities", "topic")).is_valid("…")
    assert jsonschema_rs.validator_for(_param_schema(client, "/api/municipalities", "topic")).is_valid("Wohnraum")
    assert client.get("/api/municipalities", params={"topic": "…"}).status_code == 400
