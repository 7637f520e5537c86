"""The results page in real headless Chromium against the real snapshot and model: hit count,
"Weitere Treffer", section groups, no-match answers, English highlights and "Gesucht wurde
auch", the CSV download and "Zitat kopieren", at desktop (1366×900) and phone (390×844) widths.

``PRAXISFINDER_BROWSER_URL`` points the tests at an already running server instead.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest

playwright = pytest.importorskip("playwright.sync_api")

from tests.service.test_browser import ARGS, ARTIFACTS, CHROMIUM  # noqa: E402  (one browser set-up)
FLAGSHIP = "Wie organisieren ländliche Gemeinden die Koordination von Ehrenamtlichen?"
ENGLISH = "how do rural municipalities organise volunteer coordination"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium")]


@pytest.fixture(scope="module")
def live_url():
    """A live server over the real snapshot and model (or ``PRAXISFINDER_BROWSER_URL``), warmed up."""
    if os.environ.get("PRAXISFINDER_BROWSER_URL"):
        yield os.environ["PRAXISFINDER_BROWSER_URL"].rstrip("/")
        return
    from core.settings import Settings
    from service.api import create_app
    from tools.liveserver import LiveServer

    with LiveServer(create_app(Settings.from_env())) as server:
        with urlopen(server.url + "/readyz", timeout=600) as response:
            response.read()
        yield server.url


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(params=list(VIEWPORTS))
def page(request, browser, live_url):
    context = browser.new_context(viewport=VIEWPORTS[request.param], locale="de-DE", accept_downloads=True,
                                  permissions=["clipboard-read", "clipboard-write"])
    context.set_default_timeout(60_000)
    pg = context.new_page()
    pg.console_errors = []
    pg.on("console", lambda msg: msg.type == "error" and pg.console_errors.append(msg.text))
    pg.base = live_url
    pg.width = request.param
    yield pg
    context.close()


def open_search(pg, q: str, **params) -> None:
    pg.goto(pg.base + "/?" + urlencode({"q": q, **params}))


def api(pg, **params) -> dict:
    """``/api/search`` as the page sees it: hits above the relevance floor (``floor=true``)."""
    params.setdefault("floor", "true")
    with urlopen(pg.base + "/api/search?" + urlencode(params), timeout=120) as response:
        return json.loads(response.read())


def shot(pg, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"hits-{name}-{pg.width}.png"), full_page=True)


def no_horizontal_scroll(pg) -> None:
    assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_count_pages_and_section_groups(page):
    expect = playwright.expect
    open_search(page, FLAGSHIP)
    body = api(page, q=FLAGSHIP, k=10, group="true")
    heading = page.locator("#treffer-h")
    expect(heading).to_have_text(f"{body['total']} Treffer für „{FLAGSHIP}“")
    assert 10 < body["total"] < 100  # a real count, neither "10" nor the whole ranking depth
    expect(page.locator(".hits-count")).to_have_text(f"{body['total']} Treffer in {body['sections']} Abschnitten")
    leads = page.locator("ol.hits > li.hit")
    expect(leads).to_have_count(10)
    first_page = leads.locator("h3").all_inner_texts()
    # Hits of one section sit under its first hit: "n weitere Stellen aus diesem Abschnitt".
    grouped = [r for r in body["results"] if r["same_section"]]
    assert grouped, "the flagship query has repeated sections"
    lead = page.locator(f"#treffer-{grouped[0]['rank']}")
    summary = lead.locator("details.same-section > summary")
    n = len(grouped[0]["same_section"])
    expect(summary).to_have_text(f"{n} weitere {'Stelle' if n == 1 else 'Stellen'} aus diesem Abschnitt")
    summary.click()
    expect(lead.locator(f"#treffer-{grouped[0]['same_section'][0]['rank']}")).to_be_visible()
    shot(page, "flagship")
    no_horizontal_scroll(page)

    page.get_by_role("link", name="Weitere Treffer").click()
    expect(page).to_have_url(re.compile(r"[?&]page=2"))
    expect(page.locator(".hits-summary")).to_contain_text("Seite 2 von")
    second_page = leads.locator("h3").all_inner_texts()
    assert second_page and set(second_page).isdisjoint(first_page)
    ranks = [int(t.split(".")[0]) for t in second_page]
    assert min(ranks) > 10 and ranks == sorted(ranks)
    expect(page.get_by_role("link", name="← Vorherige Treffer")).to_be_visible()
    assert page.console_errors == []


def test_english_query_shows_its_german_terms_and_marks_them(page):
    expect = playwright.expect
    open_search(page, ENGLISH)
    body = api(page, q=ENGLISH)
    terms = page.locator(".hits-terms")
    expect(terms).to_have_text("Gesucht wurde auch: " + ", ".join(body["query_terms"]))
    for word in ("ländlich", "Ehrenamt", "Koordination"):
        expect(terms).to_contain_text(word)
    snippets = page.locator("ol.hits > li.hit > article > p.snippet")
    expect(snippets.first).to_be_visible()
    marked = sum(1 for i in range(snippets.count()) if snippets.nth(i).locator("mark").count())
    assert marked >= 8, f"only {marked} of {snippets.count()} snippets have a <mark>"
    marks = {m.lower() for m in page.locator("li.hit mark").all_inner_texts()}
    assert any(m.startswith(("ehrenamt", "koordin", "ländlich", "gemeinde", "kommun")) for m in marks)
    shot(page, "english")


def test_unknown_place_and_stop_words_get_an_answer(page):
    expect = playwright.expect
    open_search(page, "Hintertupfingen")
    expect(page.locator("#treffer-h")).to_have_text("Keine Treffer für ‚Hintertupfingen‘")
    expect(page.locator(".hits-notice")).to_contain_text("kommt in keinem Dokument vor")
    expect(page.locator("li.hit")).to_have_count(0)
    shot(page, "no-match")

    open_search(page, "die der und")
    expect(page.locator("#treffer-h")).to_contain_text("Keine Treffer")
    expect(page.locator(".hits-notice")).to_contain_text("nur aus Füllwörtern (die, der, und)")
    expect(page.locator("li.hit")).to_have_count(0)

    open_search(page, "Dortmnd Wohnraum")
    link = page.locator(".hits-suggest a").first
    expect(page.locator(".hits-suggest")).to_contain_text("Meinten Sie:")
    expect(link).to_have_text("Dortmund Wohnraum")
    link.click()
    expect(page.get_by_label("Frage oder Stichwörter")).to_have_value("Dortmund Wohnraum")
    expect(page.locator("li.hit").first).to_be_visible()


def test_csv_download_and_citation(page):
    expect = playwright.expect
    open_search(page, FLAGSHIP)
    body = api(page, q=FLAGSHIP, k=100)
    link = page.get_by_role("link", name=re.compile("Alle Treffer als CSV"))
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("praxisfinder-wie-organisieren")
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == body["total"]
    assert list(rows[0])[:7] == ["rank", "document", "page", "section", "passage", "municipalities", "score"]
    assert rows[0]["document"] == body["results"][0]["doc_title"] and "ä" in "".join(r["passage"] for r in rows)

    first = page.locator("ol.hits > li.hit").first
    zitat = first.locator("details.zitat").first
    zitat.locator("summary").click()
    text = zitat.locator(".zitat-text")
    expect(text).to_be_visible()
    expect(text).to_have_text(body["results"][0]["citation"])
    assert re.match(r"^\S.* \((\d{4}|o\. J\.)[^)]*\): .+, S\. \S+", body["results"][0]["citation"])
    expect(zitat.locator(".zitat-status")).to_have_text("Zitat in die Zwischenablage kopiert.")
    assert page.evaluate("navigator.clipboard.readText()") == body["results"][0]["citation"]
    assert page.console_errors == []
