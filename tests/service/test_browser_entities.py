""""Who does X?", "who is like us?" and the municipality profile as a user sees them, in real
headless Chromium at desktop (1366×900) and phone (390×844) widths, on the tiny fixture
server and (marked slow) the real corpus: a topic alone answers with the municipalities that
do it and their evidence, a description is shown back part by part and a part can be
dropped, a profile shows its official figures with their sources, and no page overflows.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.service.test_browser import CHROMIUM, DESKTOP, PHONE, browser, live_url, new_page  # noqa: F401

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium")]

# Per server: a practice and the municipality that does it; a description; a Kreis profile.
SETUP = {
    "tiny": {"topic": "Wohnungen für Geflüchtete", "doer": "Landkreis Osnabrück",
             "description": "ländlicher Landkreis in Niedersachsen, Schwerpunkt Wohnen", "land": "Niedersachsen",
             "kommune": "lk-osnabrueck", "figure": None},
    "real": {"topic": "Dolmetscherpool", "doer": "Winnenden",
             "description": "ländlicher Landkreis in Brandenburg, 80.000 Einwohner, Schwerpunkt Ehrenamt",
             "land": "Brandenburg", "kommune": "landkreis-osnabrueck", "figure": "Destatis"},
}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}


def setup(request) -> dict:
    return SETUP[request.node.callspec.params["live_url"]]


def no_overflow(pg) -> bool:
    return pg.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_who_does_it_from_a_topic_alone(browser, live_url, request, width):
    expect, s = playwright.expect, setup(request)
    context, pg = new_page(browser, VIEWPORTS[width])
    pg.goto(live_url + "/vergleich?thema=" + quote(s["topic"]))
    expect(pg.get_by_role("heading", level=2)).to_contain_text(f"Wer macht das schon? Kommunen mit Praxis zum Thema „{s['topic']}“")
    first = pg.locator("ol.ranking > li").first
    expect(first.locator(".comparable-name")).to_have_text(s["doer"])
    expect(first.locator(".reasons")).to_be_visible()
    assert no_overflow(pg)
    # the same answer on /kommunen with the practice as "thema"
    pg.goto(live_url + "/kommunen?thema=" + quote(s["topic"]))
    expect(pg.locator("ol.ranking > li").first.locator(".comparable-name")).to_have_text(s["doer"])
    expect(pg.get_by_text("laut den Dokumenten praktizieren")).to_be_visible()
    assert no_overflow(pg)
    context.close()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_description_is_shown_back_and_a_part_can_be_dropped(browser, live_url, request, width):
    expect, s = playwright.expect, setup(request)
    context, pg = new_page(browser, VIEWPORTS[width])
    pg.goto(live_url + "/vergleich?beschreibung=" + quote(s["description"]))
    chips = pg.locator(".understood ul.chips li")
    expect(pg.get_by_text("So haben wir Ihre Beschreibung verstanden:")).to_be_visible()
    expect(chips.filter(has_text=s["land"])).to_have_count(1)
    first = pg.locator("ol.ranking > li").first
    expect(first.locator(".facts")).to_contain_text(s["land"])  # the stated Land first
    chips.filter(has_text=s["land"]).get_by_role("link").click()
    pg.wait_for_url(re.compile(r"ohne=land"))
    expect(pg.get_by_text(f"Nicht berücksichtigt: {s['land']}.")).to_be_visible()
    expect(pg.locator(".understood ul.chips li").filter(has_text=s["land"])).to_have_count(0)
    assert no_overflow(pg)
    pg.goto(live_url + "/vergleich?beschreibung=" + quote("asdf qwer"))
    expect(pg.get_by_role("alert")).to_contain_text("ließ sich weder Art, Bundesland, Größe noch ein Schwerpunkt lesen")
    context.close()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_profile_shows_figures_with_their_sources(browser, live_url, request, width):
    expect, s = playwright.expect, setup(request)
    context, pg = new_page(browser, VIEWPORTS[width])
    pg.goto(live_url + f"/kommune/{s['kommune']}")
    expect(pg.get_by_role("heading", level=1)).to_be_visible()
    facts = pg.locator("dl.facts-list")
    expect(facts).to_contain_text("Einwohner")
    if s["figure"]:
        expect(facts).to_contain_text(s["figure"])
        expect(facts).to_contain_text("Siedlungsstruktur")
        expect(facts).to_contain_text("Amtlicher Schlüssel")
    assert no_overflow(pg)
    context.close()
