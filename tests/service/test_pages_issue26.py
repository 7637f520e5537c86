"""Issue 26 without a browser: the helpers behind the document, comparison, map and notebook
pages (``service.pages``, ``service.charts``, ``service.maps``), the year sort, and the
pages through the real app over the tiny snapshot (``client``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from markupsafe import Markup

from core.settings import Settings
from service import charts, maps
from service.pages import outline, parse_ids, text_blocks
from service.passage_service import document_year

XSS = "<script>alert(1)</script>"


def test_de_number_reads_german_figures():
    assert charts.de_number("366.229") == 366229.0
    assert charts.de_number("11,6 %") == 11.6
    assert charts.de_number("2.600 Personen") == 2600.0
    assert charts.de_number(4900) == 4900.0
    assert charts.de_number("ohne Angabe") is None and charts.de_number(None) is None


def test_bar_chart_scales_to_the_largest_and_needs_two_values():
    chart = charts.bar_chart([("A", "23,8 %", "23,8 %"), ("B", "14,0 %", "14,0 %"), ("C", None, "")])
    assert [b["name"] for b in chart["bars"]] == ["A", "B"]  # C has no value: no bar
    assert chart["bars"][0]["w"] == charts.BAR_WIDTH
    assert chart["bars"][1]["w"] == round(14.0 / 23.8 * charts.BAR_WIDTH, 1)
    assert charts.bar_chart([("A", "5", "5"), ("B", None, "")]) is None  # one bar compares nothing


def test_germany_map_projects_places_inside_the_outline_box():
    m = maps.germany_map([{"id": "berlin", "name": "Berlin", "lat": 52.52, "lon": 13.405},
                          {"id": "muenchen", "name": "München", "lat": 48.137, "lon": 11.575},
                          {"id": "kreis", "name": "Landkreis X", "lat": None, "lon": None},
                          {"id": "paris", "name": "Paris", "lat": 48.857, "lon": 2.352}])
    berlin, muenchen = m["points"]
    assert (berlin["n"], muenchen["n"]) == (1, 2)
    assert berlin["x"] > muenchen["x"] and berlin["y"] < muenchen["y"]  # east of and north of Munich
    assert 0 < berlin["x"] < m["width"] and 0 < muenchen["y"] < m["height"]
    assert [p["id"] for p in m["missing"]] == ["kreis", "paris"]  # no coordinates; outside Germany
    assert m["outline"].startswith("M") and m["outline"].count("Z") >= 1
    assert maps.germany_outline() is maps.germany_outline()  # read and simplified once


def test_text_blocks_make_fact_boxes_tables_and_escape():
    html = text_blocks("Einwohnerzahl\t18.809\nBundesland\tNiedersachsen\nTitel des Beitrags\tWie Flüchtlinge\n\n"
                       f"Ein Absatz {XSS}\nzweite Zeile")
    assert html.startswith('<table class="text-table"><tr><th scope="row">Einwohnerzahl</th><td>18.809</td></tr>')
    assert "<th scope=\"row\">Bundesland</th><td>Niedersachsen</td>" in html
    assert "<p>Ein Absatz &lt;script&gt;alert(1)&lt;/script&gt; zweite Zeile</p>" in html
    three = text_blocks("a\tb\tc\nd\te\tf")
    assert three == Markup('<table class="text-table"><tr><td>a</td><td>b</td><td>c</td></tr>'
                           '<tr><td>d</td><td>e</td><td>f</td></tr></table>')
    marked = text_blocks(Markup("Wohnen\t<mark>Wohnraum</mark>"))  # highlighted text keeps its marks
    assert "<td><mark>Wohnraum</mark></td>" in marked


def test_parse_ids_and_outline():
    assert parse_ids(["a,b", " c ", "a", ""]) == ["a", "b", "c"]
    rows = [{"passage_id": "p1", "section": "Teil A › Eins", "page": 3, "page_label": "3"},
            {"passage_id": "p2", "section": "Teil A › Zwei", "page": 4, "page_label": "4–5"},
            {"passage_id": "p3", "section": "Teil B", "page": 6, "page_label": "6"},
            {"passage_id": "p4", "section": "", "page": None, "page_label": None}]
    toc = outline(rows)
    assert [(e["title"], e["pages"], e["passage_id"], e["passages"], e["sub"]) for e in toc] == [
        ("Teil A", "S. 3–5", "p1", 2, ["Eins", "Zwei"]), ("Teil B", "S. 6", "p3", 1, []),
        ("Ohne Überschrift", "", "p4", 1, [])]


def test_document_year():
    assert document_year({"year": "2018"}) == 2018
    assert document_year({"year": "2019–2022"}) == 2022
    assert document_year({"year": "o. J."}) is None and document_year(None) is None


def test_sort_by_year_keeps_relevance_within_a_year(client):
    body = client.get("/api/search", params={"q": "Ehrenamtliche Wohnungen", "sort": "jahr", "k": 20}).json()
    assert body["sort"] == "jahr" and body["results"]
    default = client.get("/api/search", params={"q": "Ehrenamtliche Wohnungen", "k": 20}).json()
    assert default["sort"] == "relevanz"
    assert [r["rank"] for r in default["results"]] == sorted(r["rank"] for r in default["results"])
    wrong = client.get("/api/search", params={"q": "Ehrenamtliche", "sort": "titel"})
    assert wrong.status_code == 422  # the valid orders are listed in the OpenAPI schema


def test_pages_status_and_german_errors(client):
    assert client.get("/dokumente").status_code == 200
    page = client.get("/dokument/praxis").text
    assert "Praxisbericht Ehrenamt" in page and 'href="/api/documents/praxis/source"' in page
    assert 'name="doc" value="praxis"' in page  # the search inside it
    assert "Alheim" in page  # the municipality it portrays
    missing = client.get("/dokument/gibt-es-nicht")
    assert missing.status_code == 404 and "Dieses Dokument gibt es im Index nicht." in missing.text
    boese = client.get("/dokument/boese").text
    assert "Dokument &lt;b&gt;mit&lt;/b&gt; Markup" in boese and "<b>mit</b>" not in boese
    one = client.get("/vergleich/nebeneinander", params={"kommunen": "alheim"})
    assert one.status_code == 400 and "Bitte wählen Sie 2 bis 5 Kommunen" in one.text
    unknown = client.get("/vergleich/nebeneinander", params={"kommunen": "alheim,nix"})
    assert unknown.status_code == 404 and "„nix“" in unknown.text
    xss = client.get("/vergleich/nebeneinander", params={"kommunen": "alheim,xss"}).text
    assert XSS not in xss and "&lt;script&gt;" in xss
    both = client.get("/vergleich/nebeneinander?kommunen=alheim&kommunen=duelmen")
    assert both.status_code == 200 and both.text.count('<circle ') == 2
    assert client.get("/merkliste").status_code == 200 and client.get("/quellen").status_code == 200


def test_responses_are_compressed(client):
    r = client.get("/kommunen", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and "Kommunen im Katalog" in r.text
    assert "content-encoding" not in client.get("/kommunen", headers={"Accept-Encoding": "identity"}).headers


def test_home_page_figures_are_computed(client, tiny):
    _, snap = tiny
    html = client.get("/").text
    assert f"<strong>{len(snap.documents)}</strong> Dokumente" in html
    assert f"<strong>{len(snap.passages)}</strong> Passagen" in html
    assert "Frage stellen" in html and "Wer macht das schon?" in html and "Vergleichbare Kommunen" in html


REAL = Settings.from_env().storage.snapshots_dir


@pytest.mark.skipif(not (REAL / "CURRENT").exists(), reason="needs the built snapshot in var/")
def test_project_titles_are_spelled_as_in_their_documents():
    """Every project title of the catalogue occurs, word for word (umlauts and all), in the
    text of the documents: no step between the text export and the page changes letters.
    ("Mitfahrerbanke" is how the Difu text export spells it, in all three places.)"""
    current = REAL / (REAL / "CURRENT").read_text().strip()
    words = lambda s: " ".join(re.findall(r"\w+", s))  # noqa: E731 (markup and line breaks aside)
    text = words(" ".join(json.loads(line)["text"] for line in (current / "documents.jsonl").open(encoding="utf-8")))
    catalogue = json.loads((current / "catalogue.json").read_text(encoding="utf-8"))
    titles = {p for m in catalogue["municipalities"] for p in m["projects"]}
    assert titles and [t for t in titles if words(t) not in text] == []
    corpus = (Path(__file__).resolve().parents[2] / "corpus" / "difu-zusammenleben-hand-in-hand-2018.txt")
    export = corpus.read_text(encoding="utf-8")  # the export spells it so in all three places
    assert export.count("Mitfahrerbanke") == 3 and "Mitfahrerbänk" not in export


def test_snippets_read_fact_boxes_as_label_value_pairs():
    from service.highlight import QueryTerms, snippet

    box = "Einwohnerzahl\t18.809\nBundesland\tNiedersachsen\nTitel des Beitrags\tWie Flüchtlinge\n\nDer Text folgt."
    assert str(snippet(box, QueryTerms(set()))) == ("Einwohnerzahl: 18.809 · Bundesland: Niedersachsen · "
                                                   "Titel des Beitrags: Wie Flüchtlinge Der Text folgt.")
    assert str(snippet("Kommune\tTitel\tLand\nAlheim\tPaten\tHessen", QueryTerms(set()))) == \
        "Kommune | Titel | Land · Alheim | Paten | Hessen"
    assert str(snippet("ein <b>Satz</b>\nohne Tabelle", QueryTerms(set()))) == "ein &lt;b&gt;Satz&lt;/b&gt; ohne Tabelle"
