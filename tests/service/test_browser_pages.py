"""What a user sees of errors, navigation, filters, case reasons and source downloads, in
real headless Chromium at desktop (1366×900) and phone (390×844) widths, plus axe-core
(vendored from its npm package, tests/fixtures/axe-core/) on the search, passage,
municipality and error pages: no serious or critical violations.

Runs against the tiny fixture server and (marked slow) the real corpus, like
``test_browser.py`` whose fixtures it shares.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.service.test_browser import ARGS, CHROMIUM, DESKTOP, PHONE, browser, live_url, new_page  # noqa: F401

playwright = pytest.importorskip("playwright.sync_api")
AXE = Path(__file__).resolve().parents[1] / "fixtures" / "axe-core" / "axe.min.js"
CORPUS = Path(__file__).resolve().parents[2] / "corpus"

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium")]

# Per server: a question with several hits and case examples, a Land with hits, one without.
SETUP = {
    "tiny": {"q": "Wie helfen Ehrenamtliche Geflüchteten bei Wohnungen und Sprachkursen?", "land": "Hessen", "empty_land": "Bayern",
             "type": "kreisangehörige Stadt/Gemeinde", "kommune": "alheim", "empty_extra": ""},
    # Every Land has municipalities with passages; Bavaria has no Stadtbezirk: the two together empty it.
    "real": {"q": "Wie organisieren ländliche Gemeinden die Koordination von Ehrenamtlichen?", "land": "Niedersachsen",
             "empty_land": "Bayern", "type": "kreisangehörige Stadt/Gemeinde", "kommune": "dortmund",
             "empty_extra": "&type=Stadtbezirk"},
}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}


def server(request) -> str:
    """ "tiny" or "real": which server this test runs against."""
    return request.node.callspec.params["live_url"]


def setup(request) -> dict:
    return SETUP[server(request)]


def run_axe(pg) -> list[dict]:
    """axe-core's serious and critical violations on the current page (injected through
    DevTools, so the page's CSP stays as served)."""
    pg.evaluate(AXE.read_text(encoding="utf-8"))
    result = pg.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ["violations"]});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
    }""")
    return [v for v in result if v["impact"] in ("serious", "critical")]


def in_viewport(pg, selector: str) -> bool:
    return pg.evaluate("""(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
        return r.top > -2 && r.top < window.innerHeight; }""", selector)  # subpixel offsets


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_german_404_page(browser, live_url, width):
    expect = playwright.expect
    context, pg = new_page(browser, VIEWPORTS[width])
    response = pg.goto(live_url + "/foo/bar")
    assert response.status == 404 and "text/html" in response.headers["content-type"]
    expect(pg.locator("h1")).to_have_text("Seite nicht gefunden")
    expect(pg.get_by_role("alert")).to_contain_text("Diese Seite gibt es nicht")
    expect(pg.get_by_role("link", name="Zur Suche", exact=True)).to_be_visible()
    response = pg.goto(live_url + "/passage/gibt-es-nicht")
    assert response.status == 404
    expect(pg.get_by_role("alert")).to_have_text("Diese Passage gibt es im Index nicht.")
    assert run_axe(pg) == []
    assert [e for e in pg.console_errors if "status of 404" not in e] == []  # the pages themselves are 404s
    context.close()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_axe_on_search_passage_and_municipality_pages(browser, live_url, request, width):
    s = setup(request)
    context, pg = new_page(browser, VIEWPORTS[width])
    pages = {"start": "/", "search": f"/?q={s['q']}&bundesland={s['land']}",
             "empty": f"/?q={s['q']}&bundesland={s['empty_land']}{s['empty_extra']}",
             "kommune": f"/kommune/{s['kommune']}"}
    found = {}
    for name, path in pages.items():
        pg.goto(live_url + path)
        found[name] = run_axe(pg)
    pg.goto(live_url + pages["search"])
    pg.locator("li.hit a", has_text="Im Zusammenhang lesen").first.click()
    pg.wait_for_url(re.compile(r"/passage/"))
    found["passage"] = run_axe(pg)
    assert found == {name: [] for name in found}
    context.close()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_back_from_a_passage_returns_to_the_hit(browser, live_url, request, width):
    expect, s = playwright.expect, setup(request)
    context, pg = new_page(browser, VIEWPORTS[width])
    pg.goto(live_url + "/?" + f"q={s['q']}")
    hits = pg.locator("ol.hits > li.hit")
    n = hits.count()
    assert n >= 3
    target = hits.nth(n - 1)
    target.scroll_into_view_if_needed()
    anchor = target.get_attribute("id")
    assert re.fullmatch(r"treffer-\d+", anchor)  # the hit's rank (hits of one section are grouped)
    expect(pg.get_by_label("Frage oder Stichwörter")).not_to_be_focused()  # no autofocus on results
    before = pg.evaluate("window.scrollY")
    target.get_by_role("link", name="Im Zusammenhang lesen").first.click()
    pg.wait_for_url(re.compile(rf"/passage/.*treffer={anchor[8:]}"))
    pg.go_back()
    pg.wait_for_url(re.compile(r"/\?q="))
    pg.wait_for_function(f"() => Math.abs(window.scrollY - {before}) <= 2")  # the browser restored it
    assert in_viewport(pg, f"#{anchor}")
    # The page's own back link leads to the same hit.
    target.get_by_role("link", name="Im Zusammenhang lesen").first.click()
    pg.get_by_role("link", name="← Zurück zu den Treffern").click()
    pg.wait_for_url(re.compile(rf"#{anchor}$"))
    assert in_viewport(pg, f"#{anchor}")
    assert pg.console_errors == []
    context.close()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_filter_counts_chips_removal_and_apply_on_change(browser, live_url, request, width):
    expect, s = playwright.expect, setup(request)
    context, pg = new_page(browser, VIEWPORTS[width])
    pg.goto(live_url + f"/?q={s['q']}")
    pg.locator("details.filters summary").click()
    land = pg.locator("#f-bundesland option", has_text=s["land"])
    label = land.inner_text()
    count = int(re.search(r"\((\d+)\)$", label).group(1))
    assert count > 0  # "Hessen (2)": hits that value gives
    # Apply on change: choosing a value loads the filtered results without the button.
    pg.locator("#f-bundesland").select_option(s["land"])
    pg.wait_for_url(re.compile(r"bundesland="))
    assert len(pg.locator("li.hit").all()) >= min(count, 1)
    if width == "desktop":  # typed bounds wait until both are filled (Enter or the button)
        pg.locator("#f-min").fill("1000")
        pg.locator("#f-max").focus()
        pg.wait_for_timeout(300)
        assert "min_population=1000" not in pg.url
        pg.locator("#f-max").fill("500000")
        pg.locator("#f-max").press("Enter")
        pg.wait_for_url(re.compile(r"min_population=1000.*max_population=500000"))
    pg.goto(live_url + f"/?q={s['q']}&bundesland={s['land']}&type={s['type']}")
    chips = pg.locator(".filter-chips a")
    expect(chips).to_have_count(2)
    expect(chips.nth(0)).to_contain_text(f"Bundesland: {s['land']}")
    expect(chips.nth(1)).to_contain_text(f"Art der Kommune: {s['type']}")
    chips.nth(0).click()  # remove the Land filter
    pg.wait_for_load_state()
    params = parse_qs(urlsplit(pg.url).query)
    assert "bundesland" not in params and params["type"] == [s["type"]] and params["q"] == [s["q"]]
    expect(pg.locator(".filter-chips a")).to_have_count(1)
    if width == "phone":
        # Active filters collapse into chips, so the first hit is on the first screen.
        expect(pg.locator("details.filters")).not_to_have_attribute("open", "")
        assert pg.locator("li.hit").first.bounding_box()["y"] < PHONE["height"]
        pg.get_by_role("link", name=re.compile(r"^Zu den Praxisbeispielen \(")).click()
        assert in_viewport(pg, "#faelle-h")
    assert pg.console_errors == []
    context.close()


def test_search_urls_leave_out_empty_fields_but_keep_an_empty_question(browser, live_url, request):
    expect, s = playwright.expect, setup(request)
    context, pg = new_page(browser, DESKTOP)
    pg.goto(live_url + "/")
    pg.get_by_label("Frage oder Stichwörter").fill(s["q"])
    pg.get_by_role("button", name="Suchen").click()
    pg.wait_for_url(re.compile(r"\?q="))
    assert set(parse_qs(urlsplit(pg.url).query)) == {"q", "mode"}  # no "bundesland=&type=&…"
    pg.get_by_label("Frage oder Stichwörter").fill("")
    pg.get_by_role("button", name="Suchen").click()
    expect(pg.get_by_role("alert")).to_have_text("Bitte geben Sie eine Frage oder Stichwörter ein.")
    context.close()


def test_filters_work_without_javascript(browser, live_url, request):
    s = setup(request)
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    pg = context.new_page()
    pg.goto(live_url + f"/?q={s['q']}")
    pg.locator("details.filters summary").click()
    pg.locator("#f-bundesland").select_option(s["land"])
    assert "bundesland" not in pg.url  # nothing happens without the button ...
    pg.get_by_role("button", name="Filter anwenden").click()  # ... which is still there
    pg.wait_for_url(re.compile(r"bundesland="))
    context.close()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_empty_result_names_the_filter(browser, live_url, request, width):
    expect, s = playwright.expect, setup(request)
    context, pg = new_page(browser, VIEWPORTS[width])
    pg.goto(live_url + f"/?q={s['q']}&bundesland={s['empty_land']}{s['empty_extra']}")
    message = pg.locator(".emptied li", has_text="Bundesland")
    expect(message).to_contain_text(f"Keine Treffer mit Bundesland = {s['empty_land']}; ohne diesen Filter:")
    n = int(re.search(r"ohne diesen Filter: (\d+) Treffer", message.inner_text()).group(1))
    assert n > 0
    message.get_by_role("link").click()
    pg.wait_for_load_state()
    assert "bundesland" not in pg.url and pg.locator("li.hit").count() > 0
    if not s["empty_extra"]:  # without any filter: exactly the hits the message promised
        expect(pg.locator(".hits-count")).to_contain_text(f"{n} Treffer")
    context.close()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_case_cards_say_why(browser, live_url, request, width):
    expect, s = playwright.expect, setup(request)
    context, pg = new_page(browser, VIEWPORTS[width])
    pg.goto(live_url + f"/?q={s['q']}")
    cards = pg.locator("aside.cases article.case")
    expect(cards.first).to_be_visible()
    for i in range(cards.count()):
        why = cards.nth(i).locator("p.why")
        expect(why).to_have_text(re.compile(r"^(Projekt „|Eintrag „|Praxis: „|Mitglied: ).+ – .+"))
    cards.first.locator("p.why a").click()
    pg.wait_for_url(re.compile(r"/passage/"))
    expect(pg.locator("#treffer")).to_be_visible()
    # "← Zur Suche" on the municipality page keeps the query.
    pg.go_back()
    cards.first.locator("h3 a").click()
    pg.wait_for_url(re.compile(r"/kommune/"))
    pg.get_by_role("link", name="← Zur Suche").click()
    pg.wait_for_url(re.compile(r"/\?q="))
    expect(pg.get_by_label("Frage oder Stichwörter")).to_have_value(s["q"])
    context.close()


def test_overlong_paste_is_kept_and_refused_in_german(browser, live_url):
    expect = playwright.expect
    context, pg = new_page(browser, DESKTOP)
    pg.goto(live_url + "/")
    text = ("Wie koordinieren Gemeinden Ehrenamtliche in der Flüchtlingshilfe? " * 40)[:1500]
    box = pg.get_by_label("Frage oder Stichwörter")
    box.fill(text)
    assert len(box.input_value()) == 1500  # not cut by the browser
    expect(pg.locator("#q-length")).to_contain_text("1.500 Zeichen")
    box.press("Enter")
    expect(pg.get_by_role("alert")).to_have_text(
        "Ihre Suchanfrage hat 1.500 Zeichen; erlaubt sind höchstens 1.000. Bitte kürzen Sie den Text – "
        "es wurde nichts abgeschnitten.")
    context.close()


def test_source_download_equals_the_corpus_file(browser, live_url, request):
    context, pg = new_page(browser, DESKTOP)
    pg.goto(live_url + f"/?q={setup(request)['q']}")
    pg.locator("li.hit a", has_text="Im Zusammenhang lesen").first.click()
    pg.wait_for_url(re.compile(r"/passage/"))
    link = pg.get_by_role("link", name=re.compile("Originaldokument herunterladen"))
    doc_id = re.search(r"/api/documents/([^/]+)/source", link.get_attribute("href")).group(1)
    if server(request) == "tiny":  # the fixture's documents have no file
        response = pg.request.get(live_url + link.get_attribute("href"))
        assert response.status == 404 and response.json()["error"]["code"] == "not_found"
    else:
        with pg.expect_download() as info:
            link.click()
        download = info.value
        assert download.suggested_filename == f"{doc_id}.txt"
        assert Path(download.path()).read_bytes() == (CORPUS / f"{doc_id}.txt").read_bytes()
    context.close()
