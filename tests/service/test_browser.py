"""The web page in real headless Chromium against a real uvicorn server.

``live_url`` serves the tiny snapshot with the fake catalogue by default; the
``real`` variant (marked slow) serves ``create_app(Settings.from_env())``: the real
snapshot and model. ``PRAXISFINDER_BROWSER_URL`` points both at an already running
server instead.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlencode
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
QUESTION = "Wie koordinieren Gemeinden Ehrenamtliche?"

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium")]


@pytest.fixture(scope="module", params=["tiny", pytest.param("real", marks=pytest.mark.slow)])
def live_url(request, tiny, app_factory):
    if os.environ.get("PRAXISFINDER_BROWSER_URL"):
        yield os.environ["PRAXISFINDER_BROWSER_URL"].rstrip("/")
        return
    from core.settings import Settings
    from service.api import create_app
    from tools.liveserver import LiveServer

    app = app_factory(tiny[0]) if request.param == "tiny" else create_app(Settings.from_env())
    with LiveServer(app) as server:
        if request.param == "real":
            warm_up(server.url)
        yield server.url


def warm_up(url: str) -> None:
    """Load the real snapshot, the model and the practice ranker before the first page,
    so that a page's 30 s timeout measures the page, not the loading (a busy machine)."""
    from urllib.request import urlopen

    for path in ("/readyz", "/api/recommend?municipality=Dortmund&topic=Wohnen&k=1"):
        with urlopen(url + path, timeout=600) as response:
            response.read()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    pg = context.new_page()
    pg.console_errors = []
    pg.on("console", lambda msg: msg.type == "error" and pg.console_errors.append(msg.text))
    yield pg
    context.close()


def test_search_read_in_context_and_filter(page, live_url, request):
    expect = playwright.expect
    page.goto(live_url + "/")
    box = page.get_by_label("Frage oder Stichwörter")
    expect(box).to_be_focused()  # autofocus on the empty start page only
    page.locator("h1, .brand").first.click()
    page.keyboard.press("/")  # the shortcut brings focus back
    expect(box).to_be_focused()

    box.fill(QUESTION)
    box.press("Enter")
    hits = page.locator("li.hit")
    expect(hits.first).to_be_visible()
    expect(page.locator("li.hit mark").first).to_be_visible()
    expect(page.locator("aside.cases article.case").first).to_be_visible()
    expect(page.locator("li.hit cite.citation").first).to_contain_text("S.")
    # Wide screen: case examples form a column beside the results.
    results_box = page.locator("section.results").bounding_box()
    cases_box = page.locator("aside.cases").bounding_box()
    assert cases_box["x"] > results_box["x"] + results_box["width"] / 2
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"search{'' if request.node.callspec.id == 'tiny' else '-real'}.png"),
                    full_page=True)

    # Open the first hit in its context, then go back to the results.
    first_citation = hits.first.locator("cite .doc").inner_text()
    hits.first.get_by_role("link", name="Im Zusammenhang lesen").click()
    expect(page).to_have_url(re.compile(r"/passage/"))
    expect(page.locator("#treffer")).to_be_visible()
    expect(page.locator("#treffer mark").first).to_be_visible()
    expect(page.locator("h1")).to_have_text(first_citation)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Zum Inhalt springen")).to_be_focused()
    page.get_by_role("link", name="Zurück zu den Treffern").click()
    expect(page.get_by_label("Frage oder Stichwörter")).to_have_value(QUESTION)

    # Apply a document filter through the GET form: the first document the counts say has hits.
    page.locator("details.filters summary").click()
    labels = page.locator("label.check:has(input[name=doc])")
    chosen = next(i for i in range(labels.count())
                  if int(re.search(r"\((\d+)\)", labels.nth(i).locator(".count").inner_text()).group(1)) > 0)
    count = int(re.search(r"\((\d+)\)", labels.nth(chosen).locator(".count").inner_text()).group(1))
    doc_title = labels.nth(chosen).locator(".value").inner_text().strip()
    labels.nth(chosen).locator("input[name=doc]").check()  # applies on change (app.js); the button is for pages without JavaScript
    expect(page).to_have_url(re.compile(r"[?&]doc="))
    expect(hits.first).to_be_visible()
    assert set(page.locator("li.hit cite .doc").all_inner_texts()) == {doc_title}
    assert page.locator(".hits-count").inner_text().startswith(f"{count} Treffer")  # the count it promised
    assert page.console_errors == []  # includes CSP violations


def test_phone_layout_stacks_case_examples(browser, live_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    pg = context.new_page()
    pg.goto(f"{live_url}/?q=Ehrenamtliche")
    results_box = pg.locator("section.results").bounding_box()
    cases_box = pg.locator("aside.cases").bounding_box()
    assert cases_box["y"] >= results_box["y"] + results_box["height"] - 1
    assert results_box["width"] <= 390
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390  # no horizontal scrolling
    context.close()


# -- /vergleich, /kommune/{id}?thema=, /kommunen ----------------------------------------

# What a user types, per server: the tiny fixture catalogue or the real corpus.
CASES = {
    "tiny": {"name": "Alheim", "typo": "Alhaim", "topic": "Sprachkurse", "id": "alheim", "kommune_topic": "Wohnraum",
             "q": "osna", "land": "Hessen"},
    "real": {"name": "Dortmund", "typo": "Dortmunt", "topic": "Wohnraum für Geflüchtete", "id": "dortmund",
             "kommune_topic": "Wohnraum für Geflüchtete", "q": "Osnabrück", "land": "Niedersachsen"},
}
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
RAW_SCORE = re.compile(r"\b0[.,]\d{2,}\b|\b1[.,]00?\b(?![.\d])|Kosinus|[Ss]core")  # "0.86", "1,00"


def case(request) -> dict:
    return CASES[request.node.callspec.id]


def shot(pg, request, name: str) -> None:
    """Full-page screenshot into test-artifacts/ (``name-real.png`` for the real corpus)."""
    ARTIFACTS.mkdir(exist_ok=True)
    suffix = "" if request.node.callspec.id == "tiny" else "-real"
    pg.screenshot(path=str(ARTIFACTS / f"{name}{suffix}.png"), full_page=True)


def new_page(browser, viewport, **kwargs):
    context = browser.new_context(viewport=viewport, locale="de-DE", **kwargs)
    pg = context.new_page()
    pg.console_errors = []
    pg.on("console", lambda msg: msg.type == "error" and pg.console_errors.append(msg.text))
    return context, pg


def api(pg, url: str, **params):
    response = pg.request.get(url, params=params)
    assert response.ok, response.text()
    return response.json()


def no_horizontal_scroll(pg, width: int) -> None:
    assert pg.evaluate("document.documentElement.scrollWidth") <= width


def test_vergleich_by_name_and_topic(browser, live_url, request):
    expect, c = playwright.expect, case(request)
    context, pg = new_page(browser, DESKTOP)
    pg.goto(live_url + "/")
    pg.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Vergleich").click()
    expect(pg).to_have_url(re.compile(r"/vergleich$"))
    expect(pg.get_by_role("heading", level=1)).to_have_text("Vergleichbare Kommunen finden")
    names = api(pg, live_url + "/api/municipalities")
    assert pg.locator("#kommunen-liste option").count() == len(names)  # name suggestions from the catalogue
    pg.get_by_label("Kommune", exact=True).fill(c["name"])
    pg.get_by_label("Thema", exact=True).fill(c["topic"])
    pg.get_by_role("button", name="Vergleichen").click()
    expect(pg).to_have_url(re.compile(r"/vergleich\?kommune=[^&]+&thema=[^&]+$"))  # empty fields left out
    heading = pg.get_by_role("heading", level=2, name=re.compile("Vergleichskommunen für"))
    expect(heading).to_have_text(f"Vergleichskommunen für {c['name']} zum Thema „{c['topic']}“")

    expected = api(pg, live_url + "/api/recommend", municipality=c["name"], topic=c["topic"], k=10)
    rows = expected["recommendations"]
    items = pg.locator("ol.ranking > li")
    expect(items).to_have_count(len(rows))
    assert pg.locator("ol.ranking .comparable-name").all_inner_texts() == [r["name"] for r in rows]
    for i in range(len(rows)):
        expect(items.nth(i).locator(".reason").first).to_be_visible()  # every one has a reason
    belege = pg.locator("ol.ranking").get_by_role("link", name=re.compile(r"^Beleg: .+, S\. \d+"))
    assert belege.count() >= 1
    shown = pg.locator("ol.ranking").inner_text()
    assert not RAW_SCORE.search(shown)  # no raw similarity numbers
    assert not [r["score"] for r in rows if f"{r['score']:.2f}" in shown or f"{r['score']:.2f}".replace(".", ",") in shown]
    shot(pg, request, "vergleich")

    # A "Beleg" link opens the cited passage.
    first = belege.first
    cited = first.locator("cite").inner_text()
    first.click()
    expect(pg).to_have_url(re.compile(r"/passage/"))
    expect(pg.get_by_role("heading", level=1)).to_contain_text(cited)  # the citation form of the title
    pg.go_back()
    expect(pg.get_by_label("Kommune", exact=True)).to_have_value(c["name"])
    assert pg.console_errors == []
    context.close()


def test_vergleich_on_a_phone(browser, live_url, request):
    expect, c = playwright.expect, case(request)
    context, pg = new_page(browser, PHONE, is_mobile=True, has_touch=True)
    pg.goto(f"{live_url}/vergleich?" + urlencode({"kommune": c["name"], "thema": c["topic"]}))
    kommune = pg.get_by_label("Kommune", exact=True).bounding_box()
    beschreibung = pg.get_by_label("Beschreibung", exact=True).bounding_box()
    thema = pg.get_by_label("Thema", exact=True).bounding_box()
    assert kommune["y"] + kommune["height"] <= beschreibung["y"]  # fields stacked
    assert beschreibung["y"] + beschreibung["height"] <= thema["y"]
    assert max(b["x"] + b["width"] for b in (kommune, beschreibung, thema)) <= PHONE["width"]
    expect(pg.locator("ol.ranking > li").first).to_be_visible()
    beleg = pg.locator("ol.ranking").get_by_role("link", name=re.compile(r"^Beleg")).first
    beleg.scroll_into_view_if_needed()
    expect(beleg).to_be_visible()
    no_horizontal_scroll(pg, PHONE["width"])
    pg.locator("details.filters summary").click()  # the filters, opened, fit too
    expect(pg.get_by_label("auch Kommunen ohne Einwohnerangabe")).to_be_visible()
    no_horizontal_scroll(pg, PHONE["width"])
    pg.locator("details.filters summary").click()
    shot(pg, request, "vergleich-phone")
    assert pg.console_errors == []
    context.close()


def test_vergleich_unknown_name_offers_suggestions(browser, live_url, request):
    expect, c = playwright.expect, case(request)
    context, pg = new_page(browser, DESKTOP)
    pg.goto(live_url + "/vergleich")
    pg.get_by_label("Kommune", exact=True).fill(c["typo"])
    pg.get_by_label("Kommune", exact=True).press("Enter")
    alert = pg.get_by_role("alert")
    expect(alert).to_contain_text(f"„{c['typo']}“ ist nicht im Kommunenkatalog.")
    expect(alert).to_contain_text("Meinten Sie")
    alert.get_by_role("link", name=c["name"], exact=True).click()
    expect(pg.get_by_role("heading", level=2, name=re.compile("Vergleichskommunen für"))).to_have_text(
        f"Vergleichskommunen für {c['name']}")
    expect(pg.locator("ol.ranking > li").first).to_be_visible()
    # Neither a name nor a description: a German message, no crash.
    pg.goto(live_url + "/vergleich")
    pg.get_by_role("button", name="Vergleichen").click()
    expect(pg.get_by_role("alert")).to_have_text("Bitte geben Sie eine Kommune oder eine Beschreibung an.")
    # Only the pages' own 404/400 statuses, no script or CSP error.
    assert [e for e in pg.console_errors if "status of 40" not in e] == []
    context.close()


def test_kommune_page_compares_on_a_topic(browser, live_url, request):
    expect, c = playwright.expect, case(request)
    context, pg = new_page(browser, DESKTOP)
    pg.goto(f"{live_url}/kommune/{c['id']}")
    name = pg.get_by_role("heading", level=1).inner_text()
    pg.get_by_label("Thema für den Vergleich").fill(c["kommune_topic"])
    pg.get_by_role("button", name="Thema setzen").click()
    expect(pg).to_have_url(re.compile(r"\?thema="))
    expect(pg.get_by_role("heading", level=2, name=re.compile("Vergleichbare Kommunen"))).to_have_text(
        f"Vergleichbare Kommunen zum Thema „{c['kommune_topic']}“")
    expected = api(pg, f"{live_url}/api/municipalities/{c['id']}/similar", topic=c["kommune_topic"], k=5)
    similar = pg.locator("section.similar-section .comparable-name")
    expect(similar).to_have_count(len(expected))
    assert similar.all_inner_texts() == [r["name"] for r in expected]
    assert pg.locator("section.similar-section").get_by_role("link", name=re.compile(r"^Beleg")).count() >= 1
    expect(pg.get_by_role("heading", name=f"Passagen über {name}")).to_be_visible()
    expect(pg.get_by_role("heading", name="Erwähnungen")).to_be_visible()
    expect(pg.get_by_role("term").filter(has_text="Einwohner").first).to_be_visible()
    shot(pg, request, "kommune")
    # The link to all comparable municipalities keeps name and topic.
    pg.get_by_role("link", name=re.compile("Alle Vergleichskommunen")).click()
    expect(pg).to_have_url(re.compile(r"/vergleich\?"))
    expect(pg.get_by_label("Kommune", exact=True)).to_have_value(name)
    expect(pg.get_by_label("Thema", exact=True)).to_have_value(c["kommune_topic"])
    expect(pg.locator("ol.ranking > li").first).to_be_visible()
    assert pg.console_errors == []
    context.close()


def test_kommunen_search_and_filter(browser, live_url, request):
    expect, c = playwright.expect, case(request)
    context, pg = new_page(browser, DESKTOP)
    pg.goto(live_url + "/")
    pg.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Kommunen").click()
    count = pg.locator("h2.count")
    total = len(api(pg, live_url + "/api/municipalities"))
    expect(count).to_have_text(f"{total} Kommunen")
    expect(pg.locator("table.municipalities tbody tr")).to_have_count(total)

    pg.get_by_label("Name", exact=True).fill(c["q"])
    pg.get_by_label("Name", exact=True).press("Enter")
    expect(pg).to_have_url(re.compile(r"/kommunen\?q=[^&]+$"))
    found = api(pg, live_url + "/api/municipalities", q=c["q"])
    assert found
    expect(count).to_have_text(f"{len(found)} {'Kommune' if len(found) == 1 else 'Kommunen'}")
    assert sorted(pg.locator("tbody th").all_inner_texts()) == sorted(m["name"] for m in found)

    pg.get_by_label("Name", exact=True).fill("")
    pg.get_by_label("Bundesland").select_option(c["land"])
    pg.get_by_role("button", name="Anzeigen").click()
    in_land = api(pg, live_url + "/api/municipalities", bundesland=c["land"])
    expect(count).to_have_text(f"{len(in_land)} Kommunen")
    assert set(pg.locator('td[data-label="Bundesland"]').all_inner_texts()) == {c["land"]}
    shot(pg, request, "kommunen")

    pg.get_by_label("Name", exact=True).fill("Zzzyxw")
    pg.get_by_role("button", name="Anzeigen").click()
    expect(count).to_have_text("0 Kommunen")
    expect(pg.locator("p.empty")).to_contain_text(f"Name enthält: Zzzyxw; Bundesland: {c['land']}")
    assert pg.console_errors == []
    context.close()

    context, phone = new_page(browser, PHONE, is_mobile=True, has_touch=True)
    phone.goto(live_url + "/kommunen")
    expect(phone.locator("tbody tr").first).to_be_visible()
    no_horizontal_scroll(phone, PHONE["width"])
    context.close()
