"""German error pages on the web paths, the JSON error shape on the API, over-long input
refused (never cut), and a fuzz of the web routes for English or raw-JSON answers."""

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from tests.service.conftest import make_app

LONG = ("Wie organisieren ländliche Gemeinden die Koordination von Ehrenamtlichen? " * 30)[:2000]
# Words that only an English or raw error would put on a page.
ENGLISH = re.compile(r"\b(?:not found|no passage|no municipality|no document|too long|characters|allowed|"
                     r"invalid|error|unknown|internal|must be|between|method)\b", re.IGNORECASE)


class Text(HTMLParser):
    """The visible text of a page (no scripts, no attributes)."""

    def __init__(self, html):
        super().__init__()
        self.parts = []
        self.feed(html)

    def handle_data(self, data):
        self.parts.append(data)

    def __str__(self):
        return " ".join(" ".join(self.parts).split())


def visible(html: str) -> str:
    return str(Text(html))


def assert_german_page(r, status: int, *phrases: str):
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/html")
    assert '<html lang="de">' in r.text
    text = visible(r.text)
    for phrase in phrases:
        assert phrase in text, (phrase, text[:500])
    assert not ENGLISH.search(text), ENGLISH.search(text)


@pytest.mark.parametrize("path", ["/foo/bar", "/suche", "/passage/", "/kommune/a/b", "/static/nope.css",
                                  "/Kommunen"])
def test_unknown_web_url_gets_the_german_404_page(client, path):
    r = client.get(path)
    assert_german_page(r, 404, "Seite nicht gefunden", "Zur Suche")


@pytest.mark.parametrize("path", ["/api/foo", "/api/passages/nope", "/api/municipalities/nope",
                                  "/api/documents/nope", "/api/documents/nope/source"])
def test_api_keeps_the_json_error_shape(client, path):
    r = client.get(path)
    assert r.status_code == 404 and r.headers["content-type"] == "application/json"
    assert set(r.json()["error"]) == {"code", "message", "detail"}


@pytest.mark.parametrize("path,message", [
    ("/passage/nope", "Diese Passage gibt es im Index nicht."),
    ("/kommune/nope", "Diese Kommune gibt es im Katalog nicht."),
])
def test_unknown_ids_get_a_german_404(client, path, message):
    assert_german_page(client.get(path), 404, "Nicht gefunden", message)


def test_wrong_method_on_a_web_path_is_german_and_lists_allowed_methods(client):
    r = client.post("/")
    assert_german_page(r, 405, "Aktion nicht möglich")
    assert "GET" in r.headers["allow"]
    api = client.post("/api/search")
    assert api.status_code == 405 and api.json()["error"]["code"] == "method_not_allowed"


def test_unexpected_error_is_a_german_500_page_on_the_web_and_json_on_the_api(tiny, monkeypatch):
    app = make_app(tiny[0])
    application = app.state.application

    def broken(*args, **kwargs):
        raise RuntimeError("boom at line 12")

    monkeypatch.setattr(application, "filter_options", broken)
    monkeypatch.setattr(application, "documents", broken)
    c = TestClient(app, raise_server_exceptions=False)
    r = c.get("/")
    assert_german_page(r, 500, "Interner Fehler")
    assert "boom" not in r.text and "Traceback" not in r.text
    api = c.get("/api/documents")
    assert api.status_code == 500 and api.json()["error"]["code"] == "internal_error"


def test_overlong_question_is_refused_with_length_and_limit_not_cut(client):
    r = client.get("/", params={"q": LONG})
    assert r.status_code == 400
    text = visible(r.text)
    assert "Ihre Suchanfrage hat 2.000 Zeichen; erlaubt sind höchstens 1.000." in text
    assert "es wurde nichts abgeschnitten" in text and not ENGLISH.search(text)
    box = re.search(r'<input type="search" id="q"[^>]*>', r.text).group(0)
    assert "maxlength" not in box  # the browser does not cut a pasted question either
    assert LONG.strip()[:1990] in r.text.replace("&#39;", "'")  # the whole question stays in the box
    api = client.get("/api/search", params={"q": LONG})
    assert api.status_code == 400
    assert api.json()["error"]["message"] == "query is too long: 2000 characters, at most 1000 allowed"


def test_the_german_length_sentence_comes_from_the_error_not_its_english_message():
    """The numbers travel on the ``TooLong`` error (issue 24): the page never parses the
    English message, so rewording it (or a limit not in the message) cannot break the page."""
    from core.errors import BadRequest, TooLong
    from service.errors_web import german_message, too_long_message

    exc = TooLong("an English sentence without numbers", "topic", 12345, 2500)
    assert exc.cause == "topic_too_long" and exc.to_dict()["error"]["detail"] is None
    assert too_long_message(exc) == ("Das Thema hat 12.345 Zeichen; erlaubt sind höchstens 2.500. "
                                     "Bitte kürzen Sie den Text – es wurde nichts abgeschnitten.")
    assert german_message(exc, limit=1000).startswith("Das Thema hat 12.345 Zeichen; erlaubt sind höchstens 2.500.")
    # A plain BadRequest whose English text merely looks like a length error is not parsed.
    assert too_long_message(BadRequest("query is too long: 2000 characters, at most 1000 allowed")) is None


def test_every_length_check_raises_the_structured_error():
    """Searcher query, service inputs: each over-long input raises ``TooLong`` with its numbers."""
    from core.errors import TooLong
    from index.search.query import clean_query

    with pytest.raises(TooLong) as caught:
        clean_query("x" * 1001, 1000)
    assert (caught.value.field, caught.value.length, caught.value.limit) == ("query", 1001, 1000)


@pytest.mark.parametrize("path,params,phrase", [
    ("/passage/{pid}", {"q": LONG}, "Ihre Eingabe hat 2.000 Zeichen"),
    ("/kommunen", {"q": LONG}, "Ihre Eingabe hat 2.000 Zeichen"),
    ("/kommune/alheim", {"thema": LONG}, "Das Thema hat 2.000 Zeichen"),
    ("/vergleich", {"beschreibung": LONG}, "Ihre Beschreibung hat 2.000 Zeichen"),
    ("/vergleich", {"kommune": "Alheim", "thema": LONG}, "Das Thema hat 2.000 Zeichen"),
])
def test_every_overlong_web_input_is_refused_in_german(client, pid, path, params, phrase):
    r = client.get(path.format(pid=pid("Alheim koordiniert")), params=params)
    text = visible(r.text)
    assert phrase in text and "erlaubt sind höchstens 1.000" in text, text[:600]
    assert not ENGLISH.search(text)


BAD = ["", " ", "x" * 1001, "-1", "abc", "1e9", "9" * 30, "Bayern", "<script>", "%", "\u0000", "ü" * 3]
ROUTES = {
    "/": ["q", "k", "mode", "doc", "bundesland", "type", "min_population", "max_population", "theme", "page",
          "ohne_angabe"],
    "/kommunen": ["q", "thema", "bundesland", "typ", "einwohner_min", "einwohner_max", "ohne_angabe"],
    "/vergleich": ["kommune", "beschreibung", "thema", "bundesland", "typ", "einwohner_min", "einwohner_max"],
    "/kommune/alheim": ["thema", "suche"],
    "/passage/{pid}": ["q", "context", "treffer", "suche"],
}


def fuzz_cases():
    for path, names in ROUTES.items():
        for name in names:
            for value in BAD:
                yield path, name, value


def test_fuzzed_web_routes_answer_in_german_html(client, pid):
    """Every web route with each bad value in each parameter: an HTML page, never a 5xx,
    never raw JSON, never an English message."""
    failures = []
    for path, name, value in fuzz_cases():
        base = {"q": "Ehrenamt"} if path == "/" and name != "q" else {}
        if path == "/vergleich" and name not in ("kommune", "beschreibung"):
            base = {"kommune": "Alheim"}
        url = path.format(pid=pid("Alheim koordiniert"))
        r = client.get(url, params={**base, name: value})
        text = visible(r.text) if r.headers["content-type"].startswith("text/html") else r.text
        if r.status_code >= 500 or not r.headers["content-type"].startswith("text/html") or ENGLISH.search(text):
            failures.append((url, name, value, r.status_code, ENGLISH.search(text) and ENGLISH.search(text).group(0)))
    assert failures == []


def test_rate_limited_web_page_is_german_and_the_api_keeps_json(tiny):
    c = TestClient(make_app(tiny[0].with_(read_rate_per_minute=2)), raise_server_exceptions=False)
    for _ in range(2):
        assert c.get("/kommunen").status_code == 200
    r = c.get("/kommunen")
    assert_german_page(r, 429, "Zu viele Anfragen")
    assert int(r.headers["retry-after"]) > 0
    api = c.get("/api/documents")
    assert api.status_code == 429 and api.json()["error"]["code"] == "rate_limited"


@pytest.mark.parametrize("params,message", [
    ({"q": "Ehrenamt", "doc": "gibt-es-nicht"}, "Dieses Dokument gibt es im Index nicht. Bitte wählen Sie eines aus der Liste."),
    ({"q": "Ehrenamt", "page": "abc"}, "„Seite“ muss eine ganze Zahl sein"),
    ({"q": "Ehrenamt", "page": "999"}, "Auf dieser Seite gibt es keine Treffer mehr."),
])
def test_search_page_names_the_problem_in_german(client, params, message):
    r = client.get("/", params=params)
    text = visible(r.text)
    assert r.status_code in (200, 400, 404) and message in text and not ENGLISH.search(text)


def test_municipal_filters_without_a_catalogue_are_explained_in_german(bare_client):
    r = bare_client.get("/", params={"q": "Ehrenamt", "bundesland": "Hessen"})
    text = visible(r.text)
    assert "brauchen den Kommunenkatalog, der in diesem Index fehlt." in text and not ENGLISH.search(text)
