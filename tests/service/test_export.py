"""service.export: the CSV download and the citation line."""

from __future__ import annotations

import csv
import io

from service.export import (BOM, COLUMNS, author_year, citation, csv_filename, de_decimal, hits_csv,
                            safe_cell)

ROW = {"rank": 1, "doc_title": "Zusammenleben Hand in Hand – Kommunen gestalten (Difu 2018)", "page_label": "12",
       "section": "Teil B › Ehrenamt in Alheim", "text": "Die Gemeinde  Alheim\nkoordiniert Ehrenamtliche; „gut“.",
       "municipalities": [{"id": "alheim", "name": "Alheim"}, {"id": "duelmen", "name": "Dülmen"}],
       "score": 0.812345, "passage_id": "p1"}


def parse(text: str) -> list[dict[str, str]]:
    assert text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text[len(BOM):]), delimiter=";"))


def test_formula_cells_are_defused():
    for dangerous in ("=HYPERLINK(\"http://x\")", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("Alheim = gut") == "Alheim = gut"
    assert safe_cell(None) == ""


def test_author_year_title_from_the_title_parenthesis_and_meta():
    assert author_year(ROW["doc_title"], {"year": "2018"}) == (
        "Difu", "2018", "Zusammenleben Hand in Hand – Kommunen gestalten")
    assert author_year("Weltoffene Kommune (PHINEO/Bertelsmann Stiftung 2019–2022)", {}) == (
        "PHINEO/Bertelsmann Stiftung", "2019–2022", "Weltoffene Kommune")
    assert author_year("Partnerstädte (Wissenschaftsstadt Darmstadt)", {"year": "o. J."}) == (
        "Wissenschaftsstadt Darmstadt", "o. J.", "Partnerstädte")
    assert author_year("Ohne Klammer", {"publisher": "BAMF"}) == ("BAMF", "o. J.", "Ohne Klammer")


def test_citation_in_the_german_report_form():
    assert citation(ROW, {"year": "2018"}) == ("Difu (2018): Zusammenleben Hand in Hand – Kommunen gestalten, "
                                               "S. 12, Abschnitt „Ehrenamt in Alheim“")
    assert citation({**ROW, "page_label": None, "section": ""}) == (
        "Difu (2018): Zusammenleben Hand in Hand – Kommunen gestalten")


def test_csv_has_bom_semicolons_the_columns_and_the_values():
    text = hits_csv([{**ROW, "citation": citation(ROW)}])
    assert text.startswith(BOM) and "\r\n" in text
    rows = parse(text)
    assert list(rows[0]) == list(COLUMNS)
    assert list(COLUMNS[:7]) == ["rank", "document", "page", "section", "passage", "municipalities", "score"]
    row = rows[0]
    assert row["rank"] == "1" and row["page"] == "12" and row["section"] == "Teil B › Ehrenamt in Alheim"
    assert row["passage"] == "Die Gemeinde Alheim koordiniert Ehrenamtliche; „gut“."  # whitespace folded, ; quoted
    assert row["municipalities"] == "Alheim; Dülmen"
    assert row["score"] == "0,8123" == de_decimal(0.812345)
    assert row["citation"].startswith("Difu (2018)") and row["passage_id"] == "p1"
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")  # what Excel looks for


def test_csv_defuses_corpus_text_that_looks_like_a_formula():
    row = parse(hits_csv([{**ROW, "text": "=cmd|' /C calc'!A0", "section": "+Abschnitt", "doc_title": "@Titel"}]))[0]
    assert row["passage"] == "'=cmd|' /C calc'!A0"
    assert row["section"] == "'+Abschnitt" and row["document"] == "'@Titel"


def test_empty_csv_is_just_the_header():
    assert parse(hits_csv([])) == []


def test_csv_filename_is_ascii():
    assert csv_filename("Wohnraum für Geflüchtete") == "praxisfinder-wohnraum-fuer-gefluechtete.csv"
    assert csv_filename("???") == "praxisfinder-treffer.csv"
