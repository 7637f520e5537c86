"""The publication-year filter in real Chromium: what a user sees (issue 24: a new filter is a
``Filters`` field, and the API, the form, the chips and the counts follow)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.service.test_browser import CHROMIUM, browser, live_url, new_page  # noqa: F401

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium")]

QUESTION = "Wie wird die Ausländerbehörde zur Willkommensbehörde und wie koordinieren Gemeinden Ehrenamtliche?"


def test_year_filter_keeps_the_promised_hits_and_shows_a_removable_chip(browser, live_url):
    expect = playwright.expect
    context, pg = new_page(browser, {"width": 1280, "height": 900})
    pg.goto(live_url + "/?q=" + QUESTION)
    expect(pg.locator("li.hit").first).to_be_visible()
    before = int(re.match(r"(\d+)", pg.locator(".hits-count").inner_text()).group(1))
    pg.locator("details.filters summary").click()
    counts = pg.locator("p.year-counts")
    expect(counts).to_be_visible()
    pairs = re.findall(r"(\d{4}) \((\d+)\)", counts.inner_text())
    assert len(pairs) >= 2, pairs  # hits from more than one year, newest first
    newest, promised = int(pairs[0][0]), int(pairs[0][1])
    assert [int(y) for y, _ in pairs] == sorted((int(y) for y, _ in pairs), reverse=True)

    pg.get_by_label("von", exact=True).nth(1).fill(str(newest))  # "Erscheinungsjahr von" (the second "von")
    pg.get_by_role("button", name="Filter anwenden").click()
    pg.wait_for_url(re.compile(rf"min_year={newest}"))
    chip = pg.locator("a.filter-chip", has_text="Erscheinungsjahr")
    expect(chip).to_contain_text(f"Erscheinungsjahr: {newest} bis beliebig")
    assert pg.locator(".hits-count").inner_text().startswith(f"{promised} Treffer")  # the count it promised
    assert promised < before
    expect(pg.get_by_label("von", exact=True).nth(1)).to_have_value(str(newest))

    chip.click()  # removing the chip brings every hit back
    expect(pg.locator("a.filter-chip", has_text="Erscheinungsjahr")).to_have_count(0)
    assert pg.locator(".hits-count").inner_text().startswith(f"{before} Treffer")

    assert pg.console_errors == []  # includes CSP violations

    response = pg.goto(live_url + "/?q=" + QUESTION + "&max_year=zwanzig")  # a German error (400)
    assert response.status == 400
    expect(pg.get_by_text("„Jahr bis“ muss eine ganze Zahl sein")).to_be_visible()
    context.close()
