"""Screenshots of the web pages for the README (``docs/*.png``), desktop and phone.

    .venv/bin/python -m tools.screenshots                 # serves the real snapshot itself
    .venv/bin/python -m tools.screenshots --url http://127.0.0.1:8000 --out docs

Drives Debian's Chromium through Playwright (the browser tests' set-up) at 1366×900
(desktop) and 390×844 (phone, mobile emulation). Each shot is clipped to at most
``MAX_HEIGHT`` CSS pixels of the page, so the README images stay readable. Needs the
``dev`` extra (playwright) and ``/usr/bin/chromium``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from urllib.parse import urlencode

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
MAX_HEIGHT = 2400
QUESTION = "Wie organisieren ländliche Gemeinden die Koordination von Ehrenamtlichen?"

# name -> (path, viewport, what to do on the page before the shot)
SHOTS: dict[str, tuple[str, dict, str | None]] = {
    "search": ("/?" + urlencode({"q": QUESTION}), DESKTOP, None),
    "search-phone": ("/?" + urlencode({"q": QUESTION, "type": "kreisangehörige Stadt/Gemeinde"}), PHONE, None),
    "search-filters": ("/?" + urlencode({"q": QUESTION, "bundesland": "Niedersachsen",
                                         "type": "kreisangehörige Stadt/Gemeinde"}), DESKTOP, None),
    "search-english": ("/?" + urlencode({"q": "how do rural municipalities organise volunteer coordination"}),
                       DESKTOP, None),
    "search-empty-filter": ("/?" + urlencode({"q": QUESTION, "bundesland": "Bayern", "type": "Stadtbezirk"}),
                            DESKTOP, None),
    "passage": ("/?" + urlencode({"q": QUESTION}), DESKTOP, "open-first-hit"),
    "passage-phone": ("/?" + urlencode({"q": QUESTION}), PHONE, "open-first-hit"),
    "404": ("/foo/bar", DESKTOP, None),
    "404-phone": ("/passage/gibt-es-nicht", PHONE, None),
    "kommune": ("/kommune/dortmund?" + urlencode({"thema": "Wohnraum für Geflüchtete"}), DESKTOP, None),
    "kommunen": ("/kommunen?" + urlencode({"bundesland": "Niedersachsen"}), DESKTOP, None),
    "vergleich": ("/vergleich?" + urlencode({"kommune": "Dortmund", "thema": "Wohnraum für Geflüchtete"}),
                  DESKTOP, None),
    "vergleich-phone": ("/vergleich?" + urlencode({"kommune": "Dortmund", "thema": "Wohnraum für Geflüchtete"}),
                        PHONE, None),
    "wer-macht-das": ("/vergleich?" + urlencode({"thema": "Dolmetscherpool"}), DESKTOP, None),
    "wer-macht-das-phone": ("/kommunen?" + urlencode({"thema": "Mitfahrerbank"}), PHONE, None),
    "beschreibung": ("/vergleich?" + urlencode({"beschreibung": "ländlicher Landkreis in Brandenburg, 80.000 Einwohner, "
                                                                "Schwerpunkt Ehrenamt"}), DESKTOP, None),
    "beschreibung-phone": ("/vergleich?" + urlencode({"beschreibung": "ländlicher Landkreis in Brandenburg, "
                                                                      "80.000 Einwohner, Schwerpunkt Ehrenamt"}),
                           PHONE, None),
    "kommune-landkreis-phone": ("/kommune/landkreis-osnabrueck", PHONE, None),
    # issue 26: start page, documents, sources, side by side, notebook
    "start": ("/", DESKTOP, None),
    "dokumente": ("/dokumente", DESKTOP, None),
    "dokument": ("/dokument/desi-resilienz-kommunen-2025", DESKTOP, None),
    "quellen": ("/quellen", DESKTOP, None),
    "nebeneinander": ("/vergleich/nebeneinander?kommunen=dortmund,leipzig,saarbruecken", DESKTOP, None),
    "nebeneinander-phone": ("/vergleich/nebeneinander?kommunen=dortmund,leipzig,saarbruecken", PHONE, None),
    "merkliste": ("/?" + urlencode({"q": QUESTION}), DESKTOP, "fill-notebook"),
}


def take(url: str, out: Path, names: list[str] | None = None) -> list[Path]:
    """Take the ``SHOTS`` (or those named) of the server at ``url`` into ``out``; returns the files."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        for name, (path, viewport, action) in SHOTS.items():
            if names and name not in names:
                continue
            phone = viewport is PHONE
            context = browser.new_context(viewport=viewport, locale="de-DE", is_mobile=phone,
                                          device_scale_factor=2 if phone else 1, has_touch=phone)
            page = context.new_page()
            page.goto(url + path, timeout=600_000)
            if action == "open-first-hit":
                page.locator("li.hit a", has_text="Im Zusammenhang lesen").first.click()
                page.wait_for_url("**/passage/**")
                page.evaluate("window.scrollTo(0, 0)")
            elif action == "fill-notebook":  # keep two hits and a municipality, then open the notebook
                for i in range(2):
                    page.locator("ol.hits > li.hit > article > p.more button.merken").nth(i).click()
                page.goto(url + "/kommune/dortmund", timeout=600_000)
                page.locator("h1 + .row-actions button.merken").click()
                page.goto(url + "/merkliste", timeout=600_000)
            height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT)
            target = out / f"{name}.png"
            page.screenshot(path=str(target), full_page=True,
                            clip={"x": 0, "y": 0, "width": viewport["width"], "height": height})
            written.append(target)
            context.close()
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--url`` of a running server (else the real snapshot is served on a
    free port), ``--out`` folder (docs/), ``--only`` names of ``SHOTS``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running server; default: serve the real snapshot here")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs")
    parser.add_argument("--only", nargs="*", choices=sorted(SHOTS), help="take only these shots")
    args = parser.parse_args(argv)
    if args.url:
        files = take(args.url.rstrip("/"), args.out, args.only)
    else:
        from core.settings import Settings
        from service.api import create_app
        from tools.liveserver import LiveServer

        with LiveServer(create_app(Settings.from_env())) as server:
            files = take(server.url, args.out, args.only)
    for f in files:
        print(f)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
