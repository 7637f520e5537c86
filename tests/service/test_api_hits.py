"""GET /api/search: total, paging, groups, no-match fields, query terms and the CSV download
(the tiny snapshot through the real app)."""

from __future__ import annotations

import csv
import io

from index.search import answer


def search(client, **params):
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_total_counts_the_hits_above_the_floor(client):
    body = search(client, q="Ehrenamtliche Sprachkurse Alheim", k=20, floor="true")
    scores = [r["score"] for r in body["results"]]
    assert body["total"] == len(body["results"]) == answer.counted_hits(scores, "hybrid")
    assert all(s >= answer.RELATIVE_FLOOR["hybrid"] * scores[0] for s in scores)
    assert body["floor"] is True
    # the default keeps the API's old contract: the k best passages; `total` still counts the floor
    unfloored = search(client, q="Ehrenamtliche Sprachkurse Alheim", k=20)
    assert unfloored["floor"] is False and unfloored["total"] == body["total"]
    assert len(unfloored["results"]) > body["total"]
    assert [r["passage_id"] for r in unfloored["results"][:body["total"]]] == [r["passage_id"] for r in body["results"]]


def test_pages_and_offsets_walk_the_ranking(client):
    q = "Geflüchtete Ehrenamtliche Wohnungen Sprachkurse"
    whole = search(client, q=q, k=100, floor="false")["results"]
    first = search(client, q=q, k=2, floor="false")
    second = search(client, q=q, k=2, page=2, floor="false")
    by_offset = search(client, q=q, k=2, offset=2, floor="false")
    assert [r["rank"] for r in first["results"]] == [1, 2] and first["page"] == 1 and first["next_offset"] == 2
    assert second["results"] == by_offset["results"]
    assert [r["passage_id"] for r in second["results"]] == [r["passage_id"] for r in whole[2:4]]
    assert second["page"] == 2 and second["offset"] == 2 and second["pages"] == -(-len(whole) // 2)
    assert {r["passage_id"] for r in first["results"]}.isdisjoint(r["passage_id"] for r in second["results"])


def test_group_nests_the_hits_of_one_section(client):
    body = search(client, q="Alheim Dülmen Ehrenamtliche", k=10, group="true", floor="false")
    flat = search(client, q="Alheim Dülmen Ehrenamtliche", k=10, floor="false")["results"]
    for lead in body["results"]:
        assert lead["section_rank"] == lead["rank"]
        for other in lead["same_section"]:
            assert (other["doc_id"], other["section"]) == (lead["doc_id"], lead["section"])
            assert other["section_rank"] == lead["rank"] < other["rank"]
    nested = sum(1 + len(lead["same_section"]) for lead in body["results"])
    assert nested == len(flat) and body["sections"] == len(body["results"])


def test_every_hit_has_a_citation(client):
    body = search(client, q="Wohnraumbörse", k=3)
    # the fixture's title names no author and its meta no publisher: "o. V." (ohne Verfasser)
    assert body["results"][0]["citation"] == "o. V. (2024): Praxisbericht Ehrenamt, S. 1, Abschnitt „Wohnen“"


def test_no_match_for_an_unknown_place(client):
    body = search(client, q="Hintertupfingen", floor="true")
    assert body["no_match"] is True and body["total"] == 0 and body["results"] == [] and body["case_examples"] == []
    assert body["notice"] == "no matches: 'Hintertupfingen' occurs in no document"
    assert body["unknown_terms"] == ["Hintertupfingen"]
    raw = search(client, q="Hintertupfingen")  # the default: the raw ranking, with the verdict beside it
    assert raw["results"] and raw["no_match"] is True and raw["total"] == 0


def test_stop_words_only_and_suggestions(client):
    body = search(client, q="die der und")
    assert body["no_match"] is True and "stop words" in body["notice"]
    body = search(client, q="Dülmn Integrationsbeirat")
    assert body["no_match"] is False and body["suggestions"][0] == "Dülmen Integrationsbeirat"
    assert body["query_terms"] == ["Integrationsbeirat"]


def test_bad_paging_parameters_are_422(client):
    for params in ({"page": 0}, {"offset": -1}, {"offset": 100}, {"page": "x"}, {"format": "xml"}):
        response = client.get("/api/search", params={"q": "Alheim", **params})
        assert response.status_code == 422, params
        assert response.json()["error"]["code"] == "invalid_parameter"
    past_the_end = search(client, q="Alheim", k=50, page=3)
    assert past_the_end["results"] == [] and past_the_end["page"] == 3 and past_the_end["total"] > 0


def test_csv_download(client):
    response = client.get("/api/search", params={"q": "Alheim Sprachkurse", "k": 100, "format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="praxisfinder-alheim-sprachkurse.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    body = search(client, q="Alheim Sprachkurse", k=100)
    assert [int(r["rank"]) for r in rows] == [r["rank"] for r in body["results"]]
    assert rows[0]["passage"] == " ".join(body["results"][0]["text"].split())
    assert "Alheim" in rows[0]["municipalities"]
    assert float(rows[0]["score"].replace(",", ".")) == round(body["results"][0]["score"], 4)


def test_csv_of_hostile_text_is_defused(client):
    response = client.get("/api/search", params={"q": "Skriptangriff Sicherheitstest", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows and "<script>" in rows[0]["passage"]  # plain text in a CSV; no HTML escaping there
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())


def test_openapi_documents_the_new_fields_and_parameters(client):
    spec = client.get("/openapi.json").json()
    params = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert {"page", "offset", "floor", "group", "format"} <= params
    fields = spec["components"]["schemas"]["SearchResponse"]["properties"]
    assert {"total", "no_match", "notice", "suggestions", "query_terms", "next_offset"} <= set(fields)


def test_passage_highlight_of_an_english_query_marks_german_words(client, pid):
    # the tiny snapshot has no translation table: an English word that is also German ("Integrationsbeirat")
    body = client.get(f"/api/passages/{pid('Integrationsbeirat')}", params={"q": "the Integrationsbeirat"}).json()
    assert "<mark>Integrationsbeirat</mark>" in body["highlighted"]
