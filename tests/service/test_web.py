import copy
import dataclasses
import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

XSS_QUERY = "Sicherheitstest Skriptangriff script alert"


class Tags(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.tags = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def find(self, tag, **attrs):
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def assert_inert(html):
    """No script but our own, no img, no event-handler attribute anywhere."""
    tags = Tags(html)
    assert [a.get("src") for a in tags.find("script")] == ["/static/app.js", "/static/merkliste.js"]
    assert not tags.find("img")
    assert not [a for _, a in tags.tags if any(k.startswith("on") for k in a)]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_home_page_form_is_accessible(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    tags = Tags(r.text)
    box = tags.find("input", id="q")[0]
    assert "autofocus" in box and box["name"] == "q" and box["aria-keyshortcuts"] == "/"
    assert tags.find("label", **{"for": "q"}) and tags.find("a", href="#inhalt") and tags.find("main", id="inhalt")
    assert tags.find("form", role="search", method="get")
    for name in ("bundesland", "type", "min_population", "max_population", "theme", "mode"):
        field = [a for t, a in tags.tags if a.get("name") == name][0]
        assert tags.find("label", **{"for": field["id"]}) or name.endswith("population")
    assert len(tags.find("input", name="doc")) == 2
    assert tags.find("link", rel="stylesheet", href="/static/style.css")


def test_security_headers(client):
    for path in ("/", "/api/documents", "/static/style.css"):
        headers = client.get(path).headers
        assert "default-src 'self'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY" and headers["referrer-policy"]


def test_static_assets_are_served_locally(client):
    assert client.get("/static/app.js").status_code == 200
    css = client.get("/static/style.css").text
    assert ":focus-visible" in css and "@media" in css and "http" not in css


def test_search_page_results_citations_and_cases(client, pid):
    html = client.get("/", params={"q": "Ehrenamtliche", "doc": "praxis"}).text
    assert "<mark>Ehrenamtliche</mark>" in html and "<mark>ehrenamtlichen</mark>" in html
    assert "S.&nbsp;1" in html and "Teil A › Einleitung" in html
    link = f'/passage/{pid("Alheim koordiniert")}?q=Ehrenamtliche&amp;doc=praxis'
    assert link in html
    tags = Tags(html)
    assert tags.find("aside", **{"aria-labelledby": "faelle-h"})
    assert tags.find("a", href="/kommune/alheim?suche=q%3DEhrenamtliche%26doc%3Dpraxis")  # keeps the search
    assert "checked" in tags.find("input", name="doc", value="praxis")[0]  # filter state kept
    assert "checked" not in tags.find("input", name="doc", value="boese")[0]
    assert "Dokument &lt;b&gt;mit&lt;/b&gt; Markup" in html  # document title escaped in the filter list


def test_search_page_filters_from_get_form(client):
    html = client.get("/", params={"q": "Ehrenamtliche Wohnungen", "bundesland": "Niedersachsen", "type": "",
                                   "min_population": "", "max_population": "", "theme": ""}).text
    tags = Tags(html)
    assert "open" in tags.find("details", **{"class": "filters"})[0]
    assert re.search(r'<option value="Niedersachsen" selected>Niedersachsen \(\d+\)</option>', html)  # + count
    assert [a.get("href").split("?")[0] for a in tags.find("a") if a.get("href", "").startswith("/kommune/")] == \
        ["/kommune/lk-osnabrueck"] * 2  # chip in the one hit + the one case card


@pytest.mark.parametrize("params,message", [
    ({"q": ""}, "Bitte geben Sie"), ({"q": "?!"}, "keine Wörter"), ({"q": "x" * 1001}, "Ihre Suchanfrage hat 1.001 Zeichen; erlaubt sind höchstens 1.000."),
    ({"q": "Ehrenamt", "min_population": "viele"}, "ganze Zahl"),
])
def test_search_page_input_errors(client, params, message):
    r = client.get("/", params=params)
    assert r.status_code == 400 and message in r.text and 'role="alert"' in r.text


def test_passage_page_shows_context_and_back_link(client, pid):
    r = client.get(f"/passage/{pid('In Dülmen wurde')}", params={"q": "Integrationsbeirat", "k": "10"})
    html = r.text
    assert r.status_code == 200 and "<mark>Integrationsbeirat</mark>" in html
    assert html.index("Alheim koordiniert") < html.index("In Dülmen wurde") < html.index("Osnabrück vermittelt")
    assert 'href="/?q=Integrationsbeirat&amp;k=10"' in html and 'id="treffer"' in html
    missing = client.get("/passage/nope")
    assert missing.status_code == 404 and "Nicht gefunden" in missing.text


def test_kommune_page(client, bare_client):
    html = client.get("/kommune/alheim").text
    assert "<h1>Alheim</h1>" in html and "4.900" in html and "Patenschaften" in html
    assert "Alheim koordiniert" in html and "Engagement/Ehrenamt" in html and '<th scope="row">Einwohner</th><td>4900</td>' in html  # the documents' facts as a table
    similar = html[html.index("Vergleichbare Kommunen"):]
    assert 'href="/kommune/duelmen"' in similar and "gleicher Typ" in similar
    assert client.get("/kommune/nope").status_code == 404
    assert bare_client.get("/kommune/alheim").status_code == 503


def test_xss_is_inert_everywhere(client, pid):
    api = client.get("/api/search", params={"q": XSS_QUERY}).json()
    hit = next(r for r in api["results"] if "Skriptangriff" in r["text"])
    assert "<script>" in hit["text"]  # the raw text is data...
    assert "<script" not in hit["snippet"] and "<img" not in hit["snippet"]  # ...the snippet is escaped HTML
    assert "&lt;<mark>script</mark>&gt;<mark>alert</mark>(1)" in hit["snippet"]
    page = client.get("/", params={"q": XSS_QUERY}).text
    assert "Skriptangriff" in page and "Evilstadt" in page
    assert_inert(page)
    assert_inert(client.get(f"/passage/{pid('Skriptangriff')}", params={"q": XSS_QUERY}).text)
    assert_inert(client.get("/kommune/xss").text)


# -- /vergleich, /kommunen, /kommune/{id}?thema=, navigation ---------------------------

KA = "kreisangehörige Stadt/Gemeinde"
GEONAMES = {"source": "GeoNames (cities500)", "year": 2026, "doc_id": None, "passage_id": None,
            "quote": "Dülmen: 46000 Einwohner"}


@pytest.fixture(scope="module")
def rich_client(tiny, pid, app_factory, tmp_path_factory):
    """The tiny snapshot with a richer catalogue: population sources (GeoNames, a passage),
    a municipality without population, a mention, and two municipalities sharing the
    alias "Neustadt" (an ambiguous name)."""
    from index.snapshot import SnapshotStore
    from core.settings import Settings

    settings, snap = tiny
    catalogue = copy.deepcopy(snap.catalogue)
    by_id = {m["id"]: m for m in catalogue["municipalities"]}
    by_id["duelmen"]["population_source"] = GEONAMES
    by_id["alheim"]["population_source"] = {"source": "Praxisbericht Ehrenamt", "year": 2024, "doc_id": "praxis",
                                            "passage_id": pid("Alheim koordiniert"), "quote": "4.900 Einwohner"}
    by_id["alheim"]["mentions"] = [pid("Ausländerbehörde")]
    catalogue["municipalities"] += [
        dict(id="neustadt-he", name="Neustadt (Hessen)", aliases=["Neustadt"], type=KA, bundesland="Hessen",
             population=None, themes=["Engagement/Ehrenamt"], projects=["Ehrenamtsbörse"]),
        dict(id="neustadt-sn", name="Neustadt in Sachsen", aliases=["Neustadt"], type=KA, bundesland="Sachsen",
             population=5200, themes=["Sprache"], population_source={**GEONAMES, "quote": "5200"}),
    ]
    data_dir = tmp_path_factory.mktemp("rich")
    SnapshotStore(Settings.from_env(data_dir=data_dir).storage.snapshots_dir).publish(
        dataclasses.replace(snap, path=None, catalogue=catalogue))
    return TestClient(app_factory(Settings.from_env(data_dir=data_dir)), raise_server_exceptions=False)


def section(html: str, heading: str) -> str:
    """The HTML from ``heading`` to the next <h2> (or the end of <main>)."""
    start = html.index(heading)
    ends = [i for i in (html.find("<h2", start + len(heading)), html.find("</main>", start)) if i >= 0]
    return html[start:min(ends)]


def ranked_ids(html: str) -> list[str]:
    """Municipality ids in the order of the ranked list(s) on a page."""
    return re.findall(r'class="comparable-name"><a href="/kommune/([^"?]+)', html)


def label_for_every_field(tags: Tags, form_names: tuple[str, ...]) -> None:
    for name in form_names:
        fields = [a for t, a in tags.tags if t in ("input", "select", "textarea") and a.get("name") == name]
        assert fields, name
        for field in fields:
            assert tags.find("label", **{"for": field["id"]}), name


@pytest.mark.parametrize("path,current", [("/", "/"), ("/kommunen", "/kommunen"), ("/vergleich", "/vergleich"),
                                          ("/kommune/alheim", None)])
def test_navigation_in_every_page_header(client, path, current):
    tags = Tags(client.get(path).text)
    nav = tags.find("nav", **{"aria-label": "Hauptnavigation"})
    assert nav
    html = client.get(path).text
    header = html[html.index('<header class="site-header">'):html.index("</header>")]
    assert re.findall(r'<a href="(/[^"]*)"[^>]*>(Suche|Kommunen|Vergleich)</a>', header) == [
        ("/", "Suche"), ("/kommunen", "Kommunen"), ("/vergleich", "Vergleich")]
    currents = re.findall(r'<a href="([^"]*)" aria-current="page"', header)
    assert currents == ([current] if current else [])


def test_vergleich_form_without_query(rich_client):
    r = rich_client.get("/vergleich")
    assert r.status_code == 200 and "<h1>Vergleichbare Kommunen finden</h1>" in r.text
    tags = Tags(r.text)
    form = tags.find("form", method="get", action="/vergleich")
    assert form
    label_for_every_field(tags, ("kommune", "beschreibung", "thema", "bundesland", "typ", "einwohner_min",
                                 "einwohner_max", "ohne_angabe"))
    kommune = tags.find("input", name="kommune")[0]
    options = [a["value"] for a in tags.find("option") if "value" in a and a["value"]]
    datalist = tags.find("datalist", id=kommune["list"])
    assert datalist and {"Alheim", "Dülmen", "Landkreis Osnabrück", "Neustadt (Hessen)",
                         "Neustadt in Sachsen"} <= set(options)
    assert 'role="alert"' not in r.text and 'class="ranking"' not in r.text  # no error before a query


def test_vergleich_by_name_and_topic_matches_the_api(rich_client, pid):
    params = {"kommune": "Alheim", "thema": "Sprachkurse"}
    r = rich_client.get("/vergleich", params=params)
    html = r.text
    assert r.status_code == 200
    assert "Vergleichskommunen für Alheim zum Thema „Sprachkurse“" in html
    api = rich_client.get("/api/recommend", params={"municipality": "Alheim", "topic": "Sprachkurse",
                                                   "k": 10}).json()
    rows = api["recommendations"]
    assert rows and ranked_ids(html) == [row["id"] for row in rows]  # the same ranking as the API
    assert f'{len(rows)} Kommunen, die ähnlichste zuerst' in html
    tags = Tags(html)
    for row in rows:
        assert tags.find("a", href=f"/kommune/{row['id']}?thema=Sprachkurse")
        for d in row["reason_details"]:
            assert str(escape(d["text"])) in html  # every reason, as text
            if d["evidence"]:
                assert tags.find("a", href=f"/passage/{d['evidence']['passage_id']}")
    first = section(html, "Vergleichskommunen für")
    assert "Dülmen" in first and "Beleg: <cite>Praxisbericht Ehrenamt</cite>, S.&nbsp;" in first
    assert "Alheim und Dülmen organisieren Sprachkurse" in first  # the snippet of the evidence
    # Population with its source: GeoNames with year; a document figure links its passage.
    assert "46.000 Einwohner</span> (<span class=\"source\">Quelle: GeoNames (cities500), Stand 2026</span>)" in html
    assert f'<a href="/passage/{pid("Alheim koordiniert")}" title="Praxisbericht Ehrenamt">Praxisbericht Ehrenamt</a>, Stand 2024' in html
    # A structure reason from a data set names its source (GeoNames has no passage).
    card = html[html.index('href="/kommune/neustadt-sn'):]
    card = card[:card.index("</article>")]
    assert "ähnliche Größe: 5.200 Einwohner" in card and "Quelle: GeoNames (cities500), Stand 2026" in card
    # No raw similarity numbers on the page.
    for row in rows:
        assert str(row["score"]) not in html and f"{row['score']:.2f}" not in html
    assert "Kosinus" not in html and "score" not in html.lower()
    kommune = Tags(html).find("input", name="kommune")[0]
    assert kommune["value"] == "Alheim"  # the form keeps the query


def test_vergleich_topic_changes_the_ranking(rich_client):
    wohnen = ranked_ids(rich_client.get("/vergleich", params={"kommune": "Alheim", "thema": "Wohnraum"}).text)
    beirat = ranked_ids(rich_client.get("/vergleich", params={"kommune": "Alheim",
                                                               "thema": "Integrationsbeirat"}).text)
    assert wohnen[0] == "lk-osnabrueck" and beirat[0] == "duelmen"


def test_vergleich_by_description(rich_client):
    text = "kleine Gemeinde in Hessen, 5.000 Einwohner"
    r = rich_client.get("/vergleich", params={"beschreibung": text, "thema": ""})
    assert r.status_code == 200 and "Vergleichskommunen für Ihre Beschreibung" in r.text
    assert f"Ihre Beschreibung: „{text}“" in r.text
    api = rich_client.get("/api/recommend", params={"description": text}).json()["recommendations"]
    assert ranked_ids(r.text) == [row["id"] for row in api] and "alheim" in ranked_ids(r.text)


def test_vergleich_filters_and_unknown_population(rich_client):
    hessen = rich_client.get("/vergleich", params={"kommune": "Dülmen", "bundesland": "Hessen"}).text
    ids = ranked_ids(hessen)
    assert ids and set(ids) <= {"alheim", "xss", "neustadt-he"}
    assert "<option selected>Hessen</option>" in hessen and "Eingegrenzt auf: Bundesland: Hessen." in hessen
    bounded = rich_client.get("/vergleich", params={"kommune": "Dülmen", "einwohner_min": "1000"}).text
    assert "neustadt-he" not in ranked_ids(bounded) and "neustadt-sn" in ranked_ids(bounded)
    assert "Kommunen ohne Einwohnerangabe sind ausgeschlossen" in bounded  # never silently
    assert "Einwohner 1.000 bis beliebig" in bounded
    assert Tags(bounded).find("a", href="/vergleich?kommune=D%C3%BClmen&einwohner_min=1000&ohne_angabe=1")
    kept = rich_client.get("/vergleich", params={"kommune": "Dülmen", "einwohner_min": "1000",
                                                 "ohne_angabe": "1"}).text
    assert "neustadt-he" in ranked_ids(kept) and "ausgeschlossen" not in kept
    card = kept[kept.index('href="/kommune/neustadt-he'):]
    assert card.index("Einwohner: ohne Angabe") < card.index("</article>")
    assert "checked" in Tags(kept).find("input", name="ohne_angabe")[0]


def test_vergleich_unknown_name_offers_suggestions(rich_client):
    r = rich_client.get("/vergleich", params={"kommune": "Alhaim", "thema": "Wohnen", "bundesland": ""})
    assert r.status_code == 404 and "„Alhaim“ ist nicht im Kommunenkatalog." in r.text
    assert 'role="alert"' in r.text and "Meinten Sie" in r.text
    assert Tags(r.text).find("a", href="/vergleich?kommune=Alheim&thema=Wohnen")
    assert "unbekannte Kommune" not in r.text and "unknown" not in r.text  # no raw message
    nothing = rich_client.get("/vergleich", params={"kommune": "Qwxzyk"})
    assert nothing.status_code == 404 and "Prüfen Sie die Schreibweise" in nothing.text
    assert "Meinten Sie" not in nothing.text
    decomposed = rich_client.get("/vergleich", params={"kommune": "Du\u0308lmen"})  # NFD umlaut resolves
    assert decomposed.status_code == 200 and "Vergleichskommunen für Dülmen" in decomposed.text


def test_vergleich_ambiguous_name_lists_candidates(rich_client):
    r = rich_client.get("/vergleich", params={"kommune": "Neustadt", "thema": "Sprache"})
    assert r.status_code == 400 and "„Neustadt“ passt zu mehreren Kommunen. Welche meinen Sie?" in r.text
    tags = Tags(r.text)
    assert tags.find("a", href="/vergleich?kommune=Neustadt+%28Hessen%29&thema=Sprache")
    assert tags.find("a", href="/vergleich?kommune=Neustadt+in+Sachsen&thema=Sprache")
    chosen = rich_client.get("/vergleich", params={"kommune": "Neustadt in Sachsen", "thema": "Sprache"})
    assert chosen.status_code == 200 and "Vergleichskommunen für Neustadt in Sachsen" in chosen.text


@pytest.mark.parametrize("params,message", [
    ({"kommune": "", "beschreibung": ""}, "Bitte geben Sie eine Kommune oder eine Beschreibung an."),
    ({"kommune": "Alheim", "beschreibung": "kleine Gemeinde"}, "nicht beides"),
    ({"kommune": "Alheim", "einwohner_min": "viele"}, "„Einwohner von“ muss eine ganze Zahl sein"),
    ({"kommune": "Alheim", "einwohner_min": "-5"}, "darf nicht negativ sein"),
    ({"kommune": "Alheim", "einwohner_min": "50000", "einwohner_max": "1000"}, "ist größer als"),
    ({"kommune": "Alheim", "bundesland": "Atlantis"}, "„Bundesland“"),
    ({"kommune": "Alheim", "typ": "Dorf"}, "„Art der Kommune“"),
    ({"kommune": "Alheim", "thema": "x" * 1001}, "Das Thema hat 1.001 Zeichen; erlaubt sind höchstens 1.000."),
    ({"beschreibung": "kleine Gemeinde " * 70}, "Ihre Beschreibung hat 1.119 Zeichen; erlaubt sind höchstens 1.000."),
])
def test_vergleich_input_errors_in_german(rich_client, params, message):
    r = rich_client.get("/vergleich", params=params)
    assert r.status_code == 400 and message in r.text and 'role="alert"' in r.text
    for english in ("give either", "too long", "must be", "unknown"):
        assert english not in r.text


def test_kommune_page_honours_the_topic(rich_client, pid):
    r = rich_client.get("/kommune/alheim", params={"thema": "Wohnraum"})
    html = r.text
    assert r.status_code == 200 and "Vergleichbare Kommunen zum Thema „Wohnraum“" in html
    api = rich_client.get("/api/municipalities/alheim/similar", params={"topic": "Wohnraum"}).json()
    similar = section(html, "Vergleichbare Kommunen")
    assert ranked_ids(similar) == [row["id"] for row in api] and ranked_ids(similar)[0] == "lk-osnabrueck"
    other = ranked_ids(section(rich_client.get("/kommune/alheim", params={"thema": "Integrationsbeirat"}).text,
                               "Vergleichbare Kommunen"))
    assert other[0] == "duelmen"
    tags = Tags(html)
    assert tags.find("a", href="/kommune/lk-osnabrueck?thema=Wohnraum")
    assert "Beleg: <cite>" in similar and "score" not in similar.lower()
    assert tags.find("form", method="get", action="/kommune/alheim")
    box = tags.find("input", name="thema")[0]
    assert box["value"] == "Wohnraum" and tags.find("label", **{"for": box["id"]})
    assert tags.find("a", href="/vergleich?kommune=Alheim&thema=Wohnraum")  # "Alle Vergleichskommunen"
    assert "Alle Vergleichskommunen" in html
    # Population with its source; subject passages and mere mentions apart.
    facts = section(html, "Steckbrief")
    assert "4.900" in facts and f'<a href="/passage/{pid("Alheim koordiniert")}" title="Praxisbericht Ehrenamt">Praxisbericht Ehrenamt</a>' in facts
    about = section(html, "Passagen über Alheim")
    mentions = section(html, "Erwähnungen")
    assert "Alheim koordiniert" in about and "Ausländerbehörde" not in about
    assert "Ausländerbehörde" in mentions and "Alheim koordiniert" not in mentions


def test_kommune_page_without_topic_and_unknown_population(rich_client):
    html = rich_client.get("/kommune/neustadt-he").text
    assert "<h1>Neustadt (Hessen)</h1>" in html and "Vergleichbare Kommunen</h2>" in html
    assert "<dt>Einwohner</dt><dd><span class=\"population unknown\">ohne Angabe</span></dd>" in html
    assert "Keine weiteren Erwähnungen." in html
    assert Tags(html).find("a", href="/vergleich?kommune=Neustadt+%28Hessen%29")
    # The link resolves although "Neustadt" alone is ambiguous.
    assert rich_client.get("/vergleich", params={"kommune": "Neustadt (Hessen)"}).status_code == 200
    missing = rich_client.get("/kommune/nirgendwo")
    assert missing.status_code == 404 and "Diese Kommune gibt es im Katalog nicht." in missing.text
    assert "no municipality" not in missing.text and "unbekannte" not in missing.text


def row_names(html: str) -> list[str]:
    return re.findall(r'<th scope="row" data-label="Name"><a href="[^"]+">([^<]+)</a>', html)


def test_kommunen_lists_and_searches_the_catalogue(rich_client):
    r = rich_client.get("/kommunen")
    html = r.text
    assert r.status_code == 200 and ">6 Kommunen</h2>" in html
    assert row_names(html) == ["Alheim", "Dülmen", "Evilstadt &lt;script&gt;alert(1)&lt;/script&gt; "
                               "&lt;img src=x onerror=alert(1)&gt;", "Landkreis Osnabrück", "Neustadt (Hessen)",
                               "Neustadt in Sachsen"]
    tags = Tags(html)
    label_for_every_field(tags, ("q", "thema", "bundesland", "typ", "einwohner_min", "einwohner_max", "ohne_angabe"))
    assert tags.find("a", href="/kommune/alheim")
    assert "<th scope=\"col\">Handlungsfelder</th>" in html and "Engagement/Ehrenamt, Sprache" in html
    assert '<td data-label="Einwohner"><span class="population unknown">ohne Angabe</span></td>' in html
    assert ('<td data-label="Einwohner"><span class="population">46.000</span> '
            '<span class="source">Quelle: GeoNames (cities500), Stand 2026</span></td>') in html
    # Name search: case, umlauts, decomposed Unicode.
    for q in ("Osnabru\u0308ck", "osnabrück", "OSNABRÜCK"):
        found = rich_client.get("/kommunen", params={"q": q}).text
        assert ">1 Kommune</h2>" in found and row_names(found) == ["Landkreis Osnabrück"], q
    assert row_names(rich_client.get("/kommunen", params={"q": "neustadt"}).text) == [
        "Neustadt (Hessen)", "Neustadt in Sachsen"]


def test_kommunen_filters(rich_client):
    hessen = rich_client.get("/kommunen", params={"bundesland": "Hessen", "typ": "", "q": ""}).text
    assert ">3 Kommunen</h2>" in hessen and "Filter: Bundesland: Hessen." in hessen
    assert row_names(rich_client.get("/kommunen", params={"thema": "Wohnen"}).text) == ["Landkreis Osnabrück"]
    landkreise = rich_client.get("/kommunen", params={"thema": "Wohnen", "typ": "Landkreis"})
    assert Tags(landkreise.text).find("a", href="/kommune/lk-osnabrueck?thema=Wohnen")
    bounded = rich_client.get("/kommunen", params={"einwohner_min": "5.000"}).text
    assert row_names(bounded) == ["Dülmen", "Landkreis Osnabrück", "Neustadt in Sachsen"]
    assert "1 Kommune ohne Einwohnerangabe ist nicht enthalten." in bounded
    assert Tags(bounded).find("a", href="/kommunen?einwohner_min=5.000&ohne_angabe=1")
    kept = rich_client.get("/kommunen", params={"einwohner_min": "5.000", "ohne_angabe": "1"}).text
    assert "Neustadt (Hessen)" in row_names(kept) and "nicht enthalten" not in kept


def test_kommunen_empty_result_names_the_filter(rich_client):
    r = rich_client.get("/kommunen", params={"q": "Zzz", "bundesland": "Bayern"})
    assert r.status_code == 200 and ">0 Kommunen</h2>" in r.text
    assert "Keine Kommune gefunden für Name enthält: Zzz; Bundesland: Bayern." in r.text
    assert "<table" not in r.text


def test_a_topic_alone_answers_who_does_it(rich_client):
    """/vergleich with a topic and no municipality, and /kommunen with a practice as "thema"
    (or a "q" that names no municipality): the municipalities that do it, with evidence."""
    r = rich_client.get("/vergleich", params={"kommune": " ", "thema": "Wohnen"})
    assert r.status_code == 200 and "Wer macht das schon? Kommunen mit Praxis zum Thema „Wohnen“" in r.text
    assert "Bitte geben Sie" not in r.text
    practice = rich_client.get("/kommunen", params={"thema": "Wohnungen für Geflüchtete"})
    assert practice.status_code == 200 and "laut den Dokumenten praktizieren" in practice.text
    assert "Beleg:" in practice.text
    nothing = rich_client.get("/kommunen", params={"thema": "Raumfahrt"})
    assert nothing.status_code == 200 and "Keine Kommune gefunden" in nothing.text


@pytest.mark.parametrize("params,message", [
    ({"bundesland": "Atlantis"}, "„Bundesland“"),
    ({"typ": "Dorf"}, "Unbekannte Art der Kommune"), ({"einwohner_max": "zwei"}, "ganze Zahl"),
    ({"q": "x" * 1001}, "Ihre Eingabe hat 1.001 Zeichen; erlaubt sind höchstens 1.000."),
])
def test_kommunen_input_errors_in_german(rich_client, params, message):
    r = rich_client.get("/kommunen", params=params)
    assert r.status_code == 400 and message in r.text and 'role="alert"' in r.text
    assert "unbekannt" not in r.text and "too long" not in r.text


def test_catalogue_pages_without_a_catalogue(bare_client):
    for path, params in (("/kommunen", {}), ("/vergleich", {"kommune": "Alheim"}), ("/kommune/alheim", {})):
        r = bare_client.get(path, params=params)
        assert r.status_code == 503 and "keinen Kommunenkatalog" in r.text, path
        assert "not available" not in r.text


def test_xss_is_inert_on_the_catalogue_pages(rich_client):
    pages = [rich_client.get("/kommunen"), rich_client.get("/kommunen", params={"q": "evilstadt <script>"}),
             rich_client.get("/vergleich", params={"kommune": "xss", "thema": "Skriptangriff"}),
             rich_client.get("/vergleich", params={"kommune": "Alheim", "thema": "Skriptangriff alert"}),
             rich_client.get("/kommune/alheim", params={"thema": "Skriptangriff"}),
             rich_client.get("/kommune/xss")]
    for r in pages:
        assert r.status_code == 200 and "Evilstadt" in r.text
        assert_inert(r.text)
    echo = rich_client.get("/vergleich", params={"kommune": "<svg/onload=confirm()>Qwxzyk",
                                                 "thema": "<img src=x onerror=confirm(8)>"})
    assert echo.status_code == 404 and "„&lt;svg/onload=confirm()&gt;Qwxzyk“" in echo.text
    tags = Tags(echo.text)
    assert not tags.find("img") and not tags.find("svg")
    assert not [a for _, a in tags.tags if any(k.startswith("on") for k in a)]


@pytest.mark.parametrize("title,short", [
    ("Zusammenleben Hand in Hand – Kommunen gestalten (Difu 2018)", "Difu 2018"),
    ("Weltoffene Kommune (PHINEO/Bertelsmann Stiftung 2019–2022)", "PHINEO/Bertelsmann Stiftung 2019–2022"),
    ("Praxisbericht Ehrenamt", "Praxisbericht Ehrenamt"), ("Teil (1) der Reihe", "Teil (1) der Reihe"), (None, ""),
])
def test_evidence_cites_the_short_form_of_a_document_title(title, short):
    from service.web import short_title

    assert short_title(title) == short


def test_vergleich_shows_how_it_read_the_description(rich_client):
    r = rich_client.get("/vergleich", params={"beschreibung": "ländlicher Landkreis in Niedersachsen, Schwerpunkt Wohnen"})
    assert r.status_code == 200 and "So haben wir Ihre Beschreibung verstanden:" in r.text
    for part in ("Landkreis", "Niedersachsen", "ländlich", "Schwerpunkt Wohnen"):
        assert f"<span>{part}</span>" in r.text
    assert "ohne=land" in r.text
    wider = rich_client.get("/vergleich", params={"beschreibung": "ländlicher Landkreis in Niedersachsen, "
                                                                  "Schwerpunkt Wohnen", "ohne": "land"})
    assert "Nicht berücksichtigt: Niedersachsen." in wider.text and "<span>Niedersachsen</span>" not in wider.text
    nonsense = rich_client.get("/vergleich", params={"beschreibung": "asdf qwer"})
    assert nonsense.status_code == 400 and "ließ sich weder Art, Bundesland, Größe noch ein Schwerpunkt lesen" in nonsense.text
    assert '<ol class="ranking">' not in nonsense.text
