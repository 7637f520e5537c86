"""The web page in real headless Chromium against a real uvicorn server.

``live_url`` serves the tiny snapshot with the fake catalogue by default; the
``real`` variant (marked slow) serves ``create_app(Settings.from_env())``: the real
snapshot and model. ``PRAXISFINDER_BROWSER_URL`` points both at an already running
server instead.
"""

from __future__ import annotations

import os
import re
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
    from ingest.settings import Settings
    from service.api import create_app
    from service.liveserver import LiveServer

    app = app_factory(tiny[0]) if request.param == "tiny" else create_app(Settings.from_env())
    with LiveServer(app) as server:
        yield server.url


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
    expect(box).to_be_focused()  # autofocus
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

    # Apply a document filter through the GET form.
    page.locator("details.filters summary").click()
    first_doc = page.locator("input[name=doc]").first
    doc_title = page.locator("label.check").first.inner_text().strip()
    first_doc.check()
    page.get_by_role("button", name="Filter anwenden").click()
    expect(page).to_have_url(re.compile(r"[?&]doc="))
    expect(hits.first).to_be_visible()
    assert set(page.locator("li.hit cite .doc").all_inner_texts()) == {doc_title}
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
