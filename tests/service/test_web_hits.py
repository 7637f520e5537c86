"""The results page without a browser (tiny snapshot): count, citation, CSV link, paging errors."""

from __future__ import annotations

import html
import re


def test_results_page_shows_count_citation_and_csv_link(client):
    body = client.get("/api/search", params={"q": "Alheim Sprachkurse", "k": 10}).json()
    page = client.get("/", params={"q": "Alheim Sprachkurse"}).text
    assert f"{body['total']} Treffer für „Alheim Sprachkurse“" in page
    assert '<details class="zitat">' in page and html.escape(body["results"][0]["citation"], quote=False) in page
    assert 'href="/api/search?q=Alheim+Sprachkurse&amp;k=100&amp;floor=true&amp;format=csv"' in page
    assert 'id="treffer-1"' in page


def test_no_match_page_is_german(client):
    page = client.get("/", params={"q": "Hintertupfingen"}).text
    assert "Keine Treffer für ‚Hintertupfingen‘" in page
    assert "kommt in keinem Dokument vor" in page and 'class="hit"' not in page
    page = client.get("/", params={"q": "die der und"}).text
    assert "nur aus Füllwörtern (die, der, und)" in page


def test_bad_and_past_the_end_pages(client):
    response = client.get("/", params={"q": "Alheim", "page": "zwei"})
    assert response.status_code == 400 and "„Seite“ muss eine ganze Zahl sein" in response.text
    past = client.get("/", params={"q": "Alheim", "page": 9}).text
    assert "Auf dieser Seite gibt es keine Treffer mehr" in past
    assert re.search(r'href="/\?q=Alheim">Zur ersten Seite', past)
