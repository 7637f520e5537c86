"""Filter counts, active-filter chips, the filter that emptied a result, "ohne Angabe" for
population bounds (search page and API)."""

import re
from html import unescape

import pytest

from service import facets

Q = "Ehrenamtliche Geflüchtete Wohnungen Sprachkurse"


def relevant_ids(client, **filters):
    """Passage ids the API returns for Q with ``filters`` (k=100) that are above the
    relevance floor of the UNFILTERED search (what the facets count)."""
    body = client.get("/api/search", params={"q": Q, "k": 100}).json()  # total: hits above the floor
    floor = {r["passage_id"] for r in body["results"][:body["total"]]}
    filtered = client.get("/api/search", params={"q": Q, "k": 100, "floor": "false", **filters}).json()["results"]
    return {r["passage_id"] for r in filtered} & floor


def option_counts(html: str, select_id: str) -> dict[str, int]:
    block = html[html.index(f'id="{select_id}"'):]
    block = block[:block.index("</select>")]
    return {unescape(v): int(n) for v, n in re.findall(r'<option value="([^"]+)"[^>]*>[^<]*\((\d+)\)</option>', block)}


@pytest.mark.parametrize("param,select_id", [("bundesland", "f-bundesland"), ("type", "f-type"),
                                             ("theme", "f-theme")])
def test_counts_next_to_each_value_equal_the_filtered_search(client, param, select_id):
    html = client.get("/", params={"q": Q}).text
    counts = option_counts(html, select_id)
    assert counts, "no counts shown"
    for value, n in counts.items():
        assert n == len(relevant_ids(client, **{param: value})), value
    assert sum(counts.values()) > 0


def test_counts_combine_with_the_other_active_filters(client):
    html = client.get("/", params={"q": Q, "type": "Landkreis"}).text
    counts = option_counts(html, "f-bundesland")
    for value, n in counts.items():
        assert n == len(relevant_ids(client, bundesland=value, type="Landkreis")), value
    assert counts["Niedersachsen"] == 1 and counts["Nordrhein-Westfalen"] == 0


def test_document_counts(client):
    html = client.get("/", params={"q": Q}).text
    shown = {doc: int(n) for doc, n in re.findall(
        r'name="doc" value="([^"]+)"[^>]*> <span class="value">[^<]*</span> <span class="count">\((\d+)\)', html)}
    assert shown == {doc: len(relevant_ids(client, doc=doc)) for doc in ("praxis", "boese")}


def test_active_filters_are_chips_each_removable(client):
    params = {"q": Q, "bundesland": "Hessen", "type": "kreisangehörige Stadt/Gemeinde", "doc": "praxis",
              "mode": "bm25"}
    html = client.get("/", params=params).text
    chips = re.findall(r'<a href="([^"]+)" class="filter-chip" aria-label="Filter ([^:]+): ([^"]+) entfernen">', html)
    labels = [(label, unescape(value)) for _, label, value in chips]
    assert labels == [("Dokument", "Praxisbericht Ehrenamt"), ("Bundesland", "Hessen"),
                      ("Art der Kommune", "kreisangehörige Stadt/Gemeinde"), ("Suchverfahren", "Stichwörter")]
    for (href, label, _), dropped in zip(chips, ["doc", "bundesland", "type", "mode"]):
        follow = client.get(unescape(href))
        assert follow.status_code == 200
        kept = dict(follow.request.url.params)
        assert dropped not in kept and kept["q"] == Q
        assert set(kept) == {"q", "bundesland", "type", "doc", "mode"} - {dropped}


def test_empty_result_names_the_filter_that_emptied_it(client):
    r = client.get("/", params={"q": Q, "bundesland": "Bayern"})
    text = " ".join(unescape(re.sub(r"<[^>]+>", "", r.text)).split())
    n = len(relevant_ids(client))
    assert n > 0
    assert f"Keine Treffer mit Bundesland = Bayern; ohne diesen Filter: {n} Treffer." in text


def test_each_filter_of_an_empty_result_is_named_with_the_count_without_it(client):
    r = client.get("/", params={"q": Q, "bundesland": "Bayern", "type": "Landkreis"})
    text = " ".join(unescape(re.sub(r"<[^>]+>", "", r.text)).split())
    without_land = client.get("/api/search", params={"q": Q, "type": "Landkreis"}).json()["total"]
    without_type = client.get("/api/search", params={"q": Q, "bundesland": "Bayern"}).json()["total"]
    assert without_land > 0 and without_type == 0
    assert f"Keine Treffer mit Bundesland = Bayern; ohne diesen Filter: {without_land} Treffer." in text
    assert "Keine Treffer mit Art der Kommune = Landkreis; auch ohne diesen Filter keine Treffer." in text
    assert text.index("Bundesland = Bayern;") < text.index("Art der Kommune = Landkreis;")  # helpful first


def test_population_bound_with_and_without_unknown(client, tiny):
    # Every fixture municipality has a population; the filter semantics are those of the
    # catalogue: a bound keeps municipalities without one only with ohne_angabe.
    html = client.get("/", params={"q": Q, "min_population": "100000", "ohne_angabe": "1"}).text
    assert 'id="f-ohne" name="ohne_angabe" value="1" checked' in html
    assert "Einwohnerzahl: 100000 bis beliebig (auch ohne Angabe)" in unescape(html)
    api = client.get("/api/search", params={"q": Q, "min_population": 100000,
                                            "include_unknown_population": "true"})
    assert api.status_code == 200


def test_unknown_population_is_included_only_on_request(tiny):
    """The facets narrow by the Searcher's own mask: a population bound drops a passage whose
    only municipality has no known population unless "ohne Angabe" is chosen."""
    from types import SimpleNamespace as NS

    from index.model.embedder import HashEmbedder
    from index.runtime import open_searcher
    from index.search import Filters

    settings, snap = tiny
    s = open_searcher(settings, HashEmbedder(64))
    m = s.catalogue.get("alheim")
    only_alheim = [p for p in m.passages if [x.id for x in s.catalogue.municipalities if p in x.passages] == ["alheim"]]
    hits = [NS(passage=NS(id=pid)) for pid in only_alheim]
    m.population, keep = None, m.population
    try:
        assert only_alheim
        assert facets.count(s, hits, Filters(min_population=1000)) == 0
        assert facets.count(s, hits, Filters(min_population=1000, include_unknown_population=True)) == len(hits)
        assert facets.count(s, hits, Filters()) == len(hits)
    finally:
        m.population = keep


def test_a_filtered_page_lists_the_hits_its_facet_counted(client):
    """Drill-down: the floored page with a filter lists the question's relevant hits that
    pass it, in the unfiltered order, and its total is the facet's count."""
    html = client.get("/", params={"q": Q}).text
    counts = option_counts(html, "f-bundesland")
    unfiltered = client.get("/api/search", params={"q": Q, "k": 100, "floor": "true"}).json()
    order = [r["passage_id"] for r in unfiltered["results"]]
    for value, n in counts.items():
        page = client.get("/api/search", params={"q": Q, "k": 100, "floor": "true", "bundesland": value}).json()
        ids = [r["passage_id"] for r in page["results"]]
        assert page["total"] == n == len(ids), value
        assert ids == [pid for pid in order if pid in set(ids)], value


def test_search_filter_include_unknown_population_matches_the_catalogue(tiny):
    from index.search import Filters

    settings, snap = tiny
    from index.runtime import open_searcher
    from index.model.embedder import HashEmbedder

    s = open_searcher(settings, HashEmbedder(64))
    m = s.catalogue.get("alheim")
    m.population, keep = None, m.population
    try:
        without = {h.passage.id for h in s.search("Alheim", k=10, filters=Filters(min_population=1)).hits}
        with_ = {h.passage.id for h in s.search("Alheim", k=10, filters=Filters(
            min_population=1, include_unknown_population=True)).hits}
    finally:
        m.population = keep
    only_alheim = {p for p in m.passages if [x.id for x in s.catalogue.municipalities if p in x.passages] == ["alheim"]}
    assert only_alheim and only_alheim <= with_ and not only_alheim & without


def test_the_facet_search_runs_once_per_question(client, monkeypatch):
    application = client.app.state.application
    s = application.searcher
    calls = []
    real = type(s).search
    monkeypatch.setattr(type(s), "search", lambda self, *a, **kw: calls.append(kw.get("filters")) or real(self, *a, **kw))
    facets._cache.clear()
    for params in ({"q": "Straßenfeste Quartier"}, {"q": "Straßenfeste Quartier", "bundesland": "Hessen"},
                   {"q": "Straßenfeste Quartier", "page": "2"}):
        assert client.get("/", params=params).status_code == 200
    unfiltered_deep = [f for f in calls if f is None]
    assert len(unfiltered_deep) == 1  # the facets' own search; the page's searches pass Filters


# -- the year filter (issue 24: a filter is one Filters field) --------------------------------

def test_year_filter_on_the_api_keeps_documents_whose_years_reach_the_bounds(client):
    q = {"q": "Ausländerbehörde Willkommensbehörde Ehrenamtliche", "k": 20}
    every = {r["doc_id"] for r in client.get("/api/search", params=q).json()["results"]}
    assert every == {"praxis", "boese"}
    docs = lambda **b: {r["doc_id"] for r in client.get("/api/search", params={**q, **b}).json()["results"]}
    assert docs(min_year=2020) == {"praxis"}  # boese states 2016–2019
    assert docs(max_year=2017) == {"boese"}  # its range begins in 2016
    assert docs(min_year=2019, max_year=2019) == {"boese"}
    assert docs(min_year=2025) == set()
    body = client.get("/api/search", params={**q, "min_year": 2020, "max_year": 2030}).json()
    assert body["filters"] == {"min_year": 2020, "max_year": 2030}
    bad = client.get("/api/search", params={**q, "min_year": "zwanzig"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_parameter"
    assert client.get("/api/search", params={**q, "max_year": 10000}).status_code == 422


YEAR_Q = "Wie wird die Ausländerbehörde zur Willkommensbehörde und wie koordinieren Gemeinden Ehrenamtliche?"


def test_year_filter_on_the_web_page_counts_chips_and_german_errors(client):
    q = YEAR_Q  # relevant hits in both documents
    html = client.get("/", params={"q": q}).text
    assert 'name="min_year"' in html and "Erscheinungsjahr" in html
    counts = re.search(r'<p class="hint year-counts">(.*?)</p>', html, re.S).group(1)
    years = re.findall(r'<span class="value">(\d{4})</span> <span class="count">\((\d+)\)</span>', counts)
    assert [y for y, _ in years] == ["2024", "2019"]  # newest first; boese's range counts as its latest year
    filtered = client.get("/", params={"q": q, "min_year": "2020"}).text
    assert "Erscheinungsjahr: 2020 bis beliebig" in filtered  # the chip
    hits = re.findall(r'<a href="/passage/([^"?]+)', filtered)
    assert hits and all(h.startswith("praxis") for h in hits)  # boese (2016–2019) is filtered out
    assert 'id="f-jahr-von" name="min_year" inputmode="numeric" value="2020"' in filtered
    wrong = client.get("/", params={"q": q, "min_year": "zwanzig"})
    assert wrong.status_code == 400 and "„Jahr ab“ muss eine ganze Zahl sein" in wrong.text
    assert "„Jahr bis“ darf höchstens 9999 sein" in client.get("/", params={"q": q, "max_year": "20000"}).text


def test_year_counts_narrow_with_the_other_filters_and_doc_counts_with_the_year(tiny):
    from index.model.embedder import HashEmbedder
    from index.search import Filters
    from service.application import Application

    app = Application(tiny[0], embedder=HashEmbedder(64))
    s, options = app.searcher, app.filter_options()
    hits = facets.relevant_cached(s, YEAR_Q, "hybrid", 100)
    assert {h.passage.doc_id for h in hits} == {"praxis", "boese"}
    counts = facets.facet_counts(s, hits, Filters(min_year=2020), options)
    assert counts["doc"]["boese"] == 0 and counts["doc"]["praxis"] > 0  # the document counts keep the year filter
    by_doc = {d: sum(h.passage.doc_id == d for h in hits) for d in ("praxis", "boese")}
    assert counts["year"] == {2024: by_doc["praxis"], 2019: by_doc["boese"]}  # the year counts drop it
    assert facets.facet_counts(s, hits, Filters(doc_ids=["praxis"]), options)["year"] == {2024: by_doc["praxis"]}
