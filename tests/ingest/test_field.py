"""The kinds of fault public bug reports about German text show, on the field files
(tests/fixtures/field/, copied from ../shared/field/) and on inputs of our own of the
same kinds: hyphens at line ends, stray bytes, running headers and footers, ligatures
and detached diacritics, two-column pages, abbreviations, HTML remnants, NFC, dates.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from ingest.clean import fold_glyphs, is_furniture, normalize_line, strip_html, strip_running_lines
from ingest.pipeline import ingest_one, report_extras
from ingest.readers import decode_text_report, printed_page_labels, read_document
from ingest.sentences import split_sentences
from ingest.structure import build, numbered_heading

FIELD = Path(__file__).resolve().parent.parent / "fixtures" / "field"


def _ingest(path: Path, settings):
    document, passages = ingest_one(path, settings)
    return document, passages


# -- soft and Unicode hyphens at line ends ---------------------------------------------

@pytest.mark.parametrize("name", ["F03_silbentrennung.txt", "F03b_silbentrennung.pdf"])
def test_field_soft_hyphens_are_joined(name, settings):
    document, _ = _ingest(FIELD / name, settings)
    for word in ("Integrationskurse", "Sprachförderung", "Koordinierungsstelle"):
        assert word in document.text
    assert "Integra tionskurse" not in document.text and "\u00ad" not in document.text
    if name.endswith(".txt"):
        assert "Kinderbetreuung" in document.text and "Wohnraumversorgung" in document.text


@pytest.mark.parametrize("raw, expected", [
    ("die Ehrenamts\u00ad\nkoordination im Rathaus", "die Ehrenamtskoordination im Rathaus"),
    ("die Ehrenamts\u2010\nkoordination im Rathaus", "die Ehrenamtskoordination im Rathaus"),
    ("die Ehrenamts\u2011\nkoordination im Rathaus", "die Ehrenamtskoordination im Rathaus"),
    ("die Samtgemeinde Elm\u2010\nAsse", "die Samtgemeinde Elm-Asse"),
    ("Integrations\u2010\nund Sprachkurse", "Integrations- und Sprachkurse"),
    ("Beratungs\u00adstelle mitten im Wort", "Beratungsstelle mitten im Wort"),
])
def test_own_soft_and_unicode_hyphens(raw, expected):
    assert build([raw]).text == expected


def test_soft_hyphen_across_a_page_break():
    assert build(["Die Volkshochschule bietet Integra\u00ad", "tionskurse an."]).text == \
        "Die Volkshochschule bietet Integrationskurse an."


# -- encoding repair per segment ---------------------------------------------------------

def test_field_one_stray_byte_repairs_only_that_byte(settings):
    document, _ = _ingest(FIELD / "F13_sprachcafe_einzelbyte.txt", settings)
    assert "Sprachcafé und Flüchtlingsberatung" in document.text
    assert "15 – 18 Uhr" in document.text
    assert "Ã" not in document.text
    assert report_extras(document)["repairs"] == {"cp1252_bytes": 1}


def test_own_stray_bytes_and_mojibake_lines():
    data = ("Gemeinsam für Geflüchtete\n".encode("utf-8")
            + b"Die Stra\xdfe zum B\xfcrgerhaus\n"  # a cp1252 line inside UTF-8
            + "Die BÃ¼rgerinnen und BÃ¼rger\n".encode("utf-8")  # UTF-8 read as cp1252 once
            + "„Zusammen“ – ein Motto\n".encode("utf-8"))
    text, repairs = decode_text_report(data)
    assert text.splitlines() == ["Gemeinsam für Geflüchtete", "Die Straße zum Bürgerhaus",
                                 "Die Bürgerinnen und Bürger", "„Zusammen“ – ein Motto"]
    assert repairs["cp1252_bytes"] == 2 and repairs["mojibake_lines"] == 1


def test_own_whole_cp1252_file_is_still_cp1252():
    text, repairs = decode_text_report("Die Bürger begrüßen die Maßnahme – „gut“.".encode("cp1252"))
    assert text == "Die Bürger begrüßen die Maßnahme – „gut“."
    assert repairs["cp1252_bytes"] > 0


def test_ingest_report_names_the_repair(tmp_path, settings):
    from ingest.loop import ingest_paths

    (tmp_path / "kaputt.txt").write_bytes("Öffnungszeiten im Bürgerhaus: 15 ".encode() + b"\x96 18 Uhr.\n")
    entry = ingest_paths([tmp_path], settings).report[0]
    assert entry["status"] == "ok" and entry["repairs"] == {"cp1252_bytes": 1}


# -- NFC ---------------------------------------------------------------------------------

def test_decomposed_text_is_composed(tmp_path, settings):
    path = tmp_path / "nfd.txt"
    path.write_text(unicodedata.normalize("NFD", "Die Bürgerinnen und Bürger der Gemeinde Großweiler "
                                                 "gründen einen Förderverein für Geflüchtete."), encoding="utf-8")
    document, passages = _ingest(path, settings)
    assert "Bürgerinnen" in document.text and "gründen" in document.text
    assert unicodedata.is_normalized("NFC", document.text)
    assert unicodedata.is_normalized("NFC", passages[0].text)


# -- running headers and footers -----------------------------------------------------------

def test_field_running_header_and_footer_removed_and_kept_as_metadata(settings):
    document, passages = _ingest(FIELD / "F04_kopf_fusszeile.pdf", settings)
    assert "Integrationsbericht 2023 – Stadt Musterstadt" not in document.text
    assert "Seite 1 von 2" not in document.text and "Stand: März 2024" not in document.text
    assert document.meta["running_lines"] == [
        "Integrationsbericht 2023 – Stadt Musterstadt",
        "Fachbereich Soziales, Jugend und Integration | Stand: März 2024 | Seite 1 von 2",
    ]
    # the sentence across the page break stays one sentence, in one passage, under no heading
    sentence = "Termine beim Jobcenter und bei der Ausländerbehörde vorbereiten"
    assert sentence in document.text
    assert any(sentence in p.text for p in passages)
    assert all(p.section_path == [] for p in passages)


def test_own_running_lines_three_pages(tmp_path, settings, pdf_factory):
    body = ("Die Freiwilligenagentur vermittelt Ehrenamtliche an Vereine und Initiativen in der ganzen Stadt, "
            "berät sie zu Versicherungsfragen und organisiert regelmäßig Austauschtreffen für alle Aktiven, die")
    pages = [("Jahresbericht Ehrenamt 2024 | Seite 1 von 3", body),
             ("Jahresbericht Ehrenamt 2024 | Seite 2 von 3", "sich engagieren wollen. " + body),
             ("Jahresbericht Ehrenamt 2024 | Seite 3 von 3", "sich engagieren wollen. Das Angebot ist kostenlos.")]
    document, passages = _ingest(pdf_factory(tmp_path / "bericht.pdf", pages=pages), settings)
    assert "Jahresbericht" not in document.text
    assert document.meta["running_lines"] == ["Jahresbericht Ehrenamt 2024 | Seite 1 von 3"]
    assert "Austauschtreffen für alle Aktiven, die sich engagieren wollen." in document.text
    assert document.page_labels == ["1", "2", "3"]
    assert all(not p.section_path for p in passages)


def test_own_running_header_in_a_text_export_does_not_cut_a_sentence(tmp_path, settings):
    header = "Integrationsbericht 2023 – Stadt Musterstadt"
    body1 = ("Die Lotsinnen begleiten Familien zu Terminen beim Jobcenter, helfen bei Anträgen und vermitteln "
             "zwischen Schulen und Eltern, damit Missverständnisse früh geklärt werden und die Familien")
    body2 = "schnell Anschluss finden. Der Rat hat die Finanzierung bis 2026 gesichert."
    path = tmp_path / "bericht.txt"
    path.write_text(f"{header}\n\n{body1}\n\nSeite 1 von 2\n\n\n\n{header}\n\n{body2}\n\nSeite 2 von 2\n",
                    encoding="utf-8")
    document, passages = _ingest(path, settings)
    assert header not in document.text and "Seite" not in document.text
    assert "damit Missverständnisse früh geklärt werden und die Familien schnell Anschluss finden." in document.text
    assert all(p.section_path == [] for p in passages)
    assert document.meta["running_lines"] == [header, "Seite 1 von 2"]


def test_lines_on_one_page_only_are_kept():
    pages = ["Kopf A\nText eins.\nFuß", "Kopf B\nText zwei.\nFuß", "Kopf C\nText drei.\nFuß"]
    kept, removed = strip_running_lines(pages)
    assert removed == ["Fuß"]
    assert kept == ["Kopf A\nText eins.", "Kopf B\nText zwei.", "Kopf C\nText drei."]


@pytest.mark.parametrize("line", ["33/56", "Seite 4", "Seite 4 von 12", "- 12 -", "S. 7"])
def test_page_furniture_lines(line):
    assert is_furniture(line)


@pytest.mark.parametrize("line", ["2015/16", "33 Kommunen", "Seite an Seite"])
def test_not_page_furniture(line):
    assert not is_furniture(line)


def test_printed_page_numbers_in_headers_give_labels():
    pages = ["Titelblatt", "Inhalt\nText", "Kapitel\nText\n3", "Mehr Text\n4/9", "Seite 5 von 9\nText"]
    assert printed_page_labels(pages) == ["", "", "3", "4", "5"]
    assert printed_page_labels(["Text\n12", "Text\n7", "Text\n99"]) == []  # no consistent numbering
    assert printed_page_labels(["12 | Bericht\nText", "Text\nKapitel 2     13", "Text"]) == ["12", "13", "14"]
    # numbered headings at page tops are not page numbers
    assert printed_page_labels(["1 Einleitung\nText", "Text", "Text", "Text", "Text", "Text", "Text",
                                "Text", "4 Wohnen\nText", "Text"]) == []


# -- ligatures and detached diacritics -----------------------------------------------------

def test_field_ligatures_and_diaeresis(settings):
    document, _ = _ingest(FIELD / "F05_ligaturen_diaeresis.pdf", settings)
    for word in ("Qualifizierung", "Geflüchtetenhilfe", "flexibel", "zertifiziert", "Bürgerbeteiligung",
                 "unterstützt", "Leitbild für"):
        assert word in document.text
    assert "¨" not in document.text and "\ufb01" not in document.text


@pytest.mark.parametrize("raw, expected", [
    ("B¨urger und Gr¨une", "Bürger und Grüne"),
    ("B¨ urger", "Bürger"),
    ("u¨ber die Ko¨pfe", "über die Köpfe"),
    ("Caf´e und Cr´eche", "Café und Crèche".replace("è", "é")),
    ("\ufb01nden \ufb02ießend Stoﬀ Eﬃzienz", "finden fließend Stoff Effizienz"),
    ("geht´s los", "geht´s los"),  # an acute used as an apostrophe stays
])
def test_own_glyph_folding(raw, expected):
    assert fold_glyphs(raw) == expected


# -- two columns ---------------------------------------------------------------------------

def test_field_two_columns_in_column_order(settings):
    document, passages = _ingest(FIELD / "F15_zweispaltig.pdf", settings)
    text = document.text
    # the title, set in a larger font, is a heading, not the first words of the text
    assert passages[0].section_path == ["Wohnraumvermittlung für Geflüchtete im Kreis Beispielland"]
    assert text.index("Heizen erklärt werden.") < text.index("Seit dem Start des Projekts")
    assert "in eigene Wohnungen. Vermieterinnen und Vermieter erhalten" in text


def test_own_interleaved_two_column_page(tmp_path):
    from fpdf import FPDF

    left = ["Die Tafel in Nordstadt versorgt jede", "Woche rund dreihundert Haushalte mit",
            "Lebensmitteln aus dem Einzelhandel.", "Ehrenamtliche holen die Waren ab."]
    right = ["Im Familienzentrum treffen sich", "Mütter aus zwölf Ländern zum Frühstück.",
             "Eine Hebamme berät sie dort einmal", "im Monat zu Fragen der Gesundheit."]
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.set_xy(10, 10)
    pdf.cell(190, 8, "Zwei Spalten aus dem Landkreis")
    for row, (a, b) in enumerate(zip(left, right)):  # written row by row: left, right, left, ...
        pdf.set_xy(10, 25 + 7 * row)
        pdf.cell(85, 6, a)
        pdf.set_xy(110, 25 + 7 * row)
        pdf.cell(85, 6, b)
    path = tmp_path / "spalten.pdf"
    pdf.output(str(path))
    lines = [ln for ln in read_document(path).pages[0].split("\n") if ln.strip()]
    assert lines == ["Zwei Spalten aus dem Landkreis"] + left + right


# -- sentences and abbreviations -------------------------------------------------------------

def _f06():
    for line in (FIELD / "F06_saetze.txt").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\[(\d+)\]\s+(.*)$", line)
        if m:
            yield int(m.group(1)), m.group(2)


@pytest.mark.parametrize("expected, text", list(_f06()))
def test_field_sentence_counts(expected, text):
    assert len(split_sentences(text)) == expected, split_sentences(text)


@pytest.mark.parametrize("text, expected", [
    ("Die Sprechstunde ist Di. und Do. im Rathaus. Termine vergibt Hr. Meier.", 2),
    ("Seit Okt. 2019 gibt es das Büro. Es hat 3 Tsd. Besucher gezählt.", 2),
    ("Der Lkr. Harburg hat rund 250.000 Einw. und wächst. Viele ziehen aus Hamburg zu.", 2),
    ("Die Zahl stieg auf 12. Danach sank sie wieder.", 2),
    ("Am 3. Oktober wurde gefeiert. Im 4. Quartal folgte die Bilanz.", 2),
])
def test_own_sentence_counts(text, expected):
    assert len(split_sentences(text)) == expected, split_sentences(text)


# -- HTML remnants ---------------------------------------------------------------------------

def test_difu_html_remnants_stripped():
    line = ("Schwerpunkt des Beitrags\t<p>Die Stadt stellt ihr Konzept vor:</p> "
            "<ul style=\"list-style-type: none\"> • „PatchWorkCity“: Quartiersarbeit</ul>")
    assert normalize_line(line) == ("Schwerpunkt des Beitrags\tDie Stadt stellt ihr Konzept vor: • „PatchWorkCity“: "
                                    "Quartiersarbeit")


@pytest.mark.parametrize("raw, expected", [
    ("<p>Kontakt: Rathaus<br/>Markt 1</p>", "Kontakt: Rathaus Markt 1"),
    ("<li><strong>Sprachcafé</strong> &amp; Begegnung</li>", "Sprachcafé & Begegnung"),
    ("F&W Fördern und Wohnen", "F&W Fördern und Wohnen"),
    ("Werte <5 % und >10 %", "Werte <5 % und >10 %"),
    ("<https://www.difu.de>", "<https://www.difu.de>"),
])
def test_own_html_remnants(raw, expected):
    assert strip_html(raw).strip() == expected


def test_real_difu_has_no_html(settings):
    path = Path(__file__).resolve().parents[2] / "corpus" / "difu-zusammenleben-hand-in-hand-2018.txt"
    if not path.exists():
        pytest.skip("real corpus not present")
    document, _ = _ingest(path, settings)
    assert not re.search(r"</?(?:p|ul|li|br)\b[^>]*>", document.text)
    assert "Neuss stellt sein Gesamtkonzept zur Integration vor." in document.text


# -- dates are not figures ---------------------------------------------------------------------

@pytest.mark.parametrize("line", ["31.12. Stichtag für die Anträge", "1.10.2024 Beginn der Kurse",
                                  "3.5. Treffen im Rathaus"])
def test_dates_are_not_section_numbers(line):
    assert numbered_heading(line) is None


@pytest.mark.parametrize("line, label", [("4.1 Kreisfreie Städte", "4.1 Kreisfreie Städte"),
                                         ("2. Der Wettbewerb", "2 Der Wettbewerb")])
def test_section_numbers_still_headings(line, label):
    assert numbered_heading(line)[1] == label


def test_date_lines_are_not_page_numbers():
    pages = ["Stand 31.12.2022\nText", "Stand 31.12.2022\nText", "Stand 31.12.2022\nText"]
    assert printed_page_labels(pages) == []
    assert not is_furniture("31.12.2022")


# -- printed pages of PDFs --------------------------------------------------------------------

def test_pdf_page_labels_are_cited_beside_the_physical_page(tmp_path, settings, pdf_factory):
    from pypdf import PdfReader, PdfWriter

    path = pdf_factory(tmp_path / "labels.pdf")
    writer = PdfWriter(clone_from=PdfReader(str(path)))
    writer.set_page_label(0, 0, style="/r")  # a roman front page, then 1, 2
    writer.set_page_label(1, 2, style="/D", start=1)
    with open(path, "wb") as fh:
        writer.write(fh)
    document, passages = _ingest(path, settings)
    assert document.page_labels == ["i", "1", "2"]
    cited = {p.section_path[0]: (p.page, p.page_label) for p in passages}
    assert cited == {"1 Einleitung": (1, "i"), "2 Sprachförderung": (2, "1"), "3 Wohnen": (3, "2")}
    assert report_extras(document)["page_source"] == "page labels"


def test_pdf_page_of_footers_are_removed_and_give_labels(tmp_path, settings, pdf_factory):
    body = "Die Integrationslotsinnen begleiten Familien zu Ämtern und Schulen im ganzen Landkreis"
    pages = [("Ehrenamt im Landkreis", body + " und beraten sie."), ("Sprachkurse", body + " und übersetzen."),
             ("Wohnen", body + " und vermitteln Wohnungen.")]
    pages = [(h, f"{b}\n\n{n} / 3") for n, (h, b) in enumerate(pages, start=1)]
    document, _ = _ingest(pdf_factory(tmp_path / "seiten.pdf", pages=pages), settings)
    assert not re.search(r"\d / 3", document.text)
    assert document.page_labels == ["1", "2", "3"]


def test_pdf_printed_footer_numbers_become_labels(tmp_path, settings, pdf_factory):
    body = "Die Gemeinde fördert Sprachkurse und Patenschaften für Geflüchtete in allen Ortsteilen. " * 3
    pages = [("Titelblatt der Broschüre", "Herausgegeben von der Gemeinde."),
             ("1 Sprachkurse", body + "\n\n- 7 -"), ("2 Patenschaften", body + "\n\n- 8 -")]
    document, passages = _ingest(pdf_factory(tmp_path / "fuss.pdf", pages=pages), settings)
    assert document.page_labels == ["", "7", "8"]
    cited = {p.section_path[0]: (p.page, p.page_label) for p in passages if p.section_path}
    assert cited["2 Patenschaften"] == (3, "8")
    assert "- 8 -" not in document.text


def test_pdfium_failure_falls_back_to_pypdf(tmp_path, settings, pdf_factory, monkeypatch):
    import ingest.readers as readers

    def broken(page):
        raise RuntimeError("pdfium cannot read this page")

    monkeypatch.setattr(readers, "page_text_in_reading_order", broken)
    document, _ = _ingest(pdf_factory(tmp_path / "fallback.pdf"), settings)
    assert "Großweiler" in document.text
    assert document.meta["pdf"]["pypdf_pages"] == [1, 2, 3]


# -- pages from a table of contents --------------------------------------------------------------

DOTTED = """Integrationskonzept der Stadt Nordheim

Inhaltsverzeichnis

1 Einleitung ........................ 3
2 Sprachförderung ................... 5
2.1 Kurse für Eltern ................ 7
3 Wohnen …………… 9
Literatur . . . . . . . . . . . . . . 12

1 Einleitung

Die Stadt Nordheim hat 2016 ihr erstes Integrationskonzept beschlossen. {filler}

2 Sprachförderung

Die Volkshochschule bietet Integrationskurse an. {filler}

2.1 Kurse für Eltern

Während der Kurse werden die Kinder betreut. {filler}

3 Wohnen

Die Wohnungsbaugesellschaft stellt Wohnungen bereit. {filler}

Literatur

Stadt Nordheim (2016): Integrationskonzept. Nordheim.
"""


def test_own_dotted_toc_gives_printed_pages(tmp_path, settings):
    filler = "Ehrenamtliche begleiten die Familien im Alltag und bei Behördengängen. " * 12
    path = tmp_path / "konzept.txt"
    path.write_text(DOTTED.format(filler=filler), encoding="utf-8")
    document, passages = _ingest(path, settings)
    assert "........" not in document.text and "Inhaltsverzeichnis" not in document.text
    cited = {p.section_path[-1]: p.page_label for p in passages if p.section_path}
    assert cited["1 Einleitung"] == "3–4"
    assert cited["2 Sprachförderung"] == "5–6"
    assert cited["2.1 Kurse für Eltern"] == "7–8"
    assert cited["3 Wohnen"] == "9–11"
    assert cited["Literatur"] == "12 ff."
    assert report_extras(document)["page_source"] == "table of contents"
