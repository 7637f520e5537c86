from html.parser import HTMLParser

import pytest

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
    assert [a.get("src") for a in tags.find("script")] == ["/static/app.js"]
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
    assert tags.find("aside", **{"aria-labelledby": "faelle-h"}) and tags.find("a", href="/kommune/alheim")
    assert "checked" in tags.find("input", name="doc", value="praxis")[0]  # filter state kept
    assert "checked" not in tags.find("input", name="doc", value="boese")[0]
    assert "Dokument &lt;b&gt;mit&lt;/b&gt; Markup" in html  # document title escaped in the filter list


def test_search_page_filters_from_get_form(client):
    html = client.get("/", params={"q": "Ehrenamtliche", "bundesland": "Niedersachsen", "type": "",
                                   "min_population": "", "max_population": "", "theme": ""}).text
    tags = Tags(html)
    assert "open" in tags.find("details", **{"class": "filters"})[0]
    assert "<option selected>Niedersachsen</option>" in html
    assert [a.get("href") for a in tags.find("a") if a.get("href", "").startswith("/kommune/")] == \
        ["/kommune/lk-osnabrueck"] * 2  # chip in the one hit + the one case card


@pytest.mark.parametrize("params,message", [
    ({"q": ""}, "Bitte geben Sie"), ({"q": "?!"}, "keine Wörter"), ({"q": "x" * 1001}, "zu lang"),
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
    assert "Alheim koordiniert" in html and "Engagement/Ehrenamt" in html and "<strong>Einwohner:</strong>" in html
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
