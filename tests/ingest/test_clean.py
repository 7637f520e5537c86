import pytest

from ingest.clean import clean_pages, is_furniture, join_fragments, normalize_line
from ingest.structure import build


@pytest.mark.parametrize(
    "left, right, expected",
    [
        ("die Unter-", "stützung der Verwaltung", "die Unterstützung der Verwaltung"),
        ("der Kom-", "mune", "der Kommune"),
        ("Samtgemeinde Elm-", "Asse", "Samtgemeinde Elm-Asse"),
        ("Willkommens-", "und Anerkennungskultur", "Willkommens- und Anerkennungskultur"),
        ("Integrations-", "oder Sprachkurse", "Integrations- oder Sprachkurse"),
        ("Laufzeit 2017-", "2018", "Laufzeit 2017-2018"),
        ("ohne Trennung", "weiter", "ohne Trennung weiter"),
    ],
)
def test_join_fragments(left, right, expected):
    assert join_fragments(left, right)[0] == expected


def _text(*pages: str) -> str:
    return build(list(pages)).text


def test_hyphen_across_blank_line_and_page_break():
    text = _text("Mein Dank gilt dem Bundesverband Deut-", "scher Stiftungen sowie der Jury.")
    assert "Bundesverband Deutscher Stiftungen sowie der Jury." in text
    text = _text("Der Ansatz ist wohnortnah und nied-\n\n\n", "rigschwellig.")
    assert "wohnortnah und niedrigschwellig." in text


def test_paragraph_continued_after_page_break_and_photo_credit():
    text = _text("Die Stadt reagierte 2015 mit einem Netzwerk, das", "Foto: Ella Mönch\n\ndurch Ehrenamtliche getragen wird.")
    assert "einem Netzwerk, das durch Ehrenamtliche getragen wird." in text
    assert "Foto" not in text


def test_real_compounds_keep_their_hyphen():
    text = _text("Die Willkommens- und Anerkennungskultur der Samtgemeinde Elm-\nAsse ist vorbildlich.")
    assert "Willkommens- und Anerkennungskultur der Samtgemeinde Elm-Asse ist" in text


def test_inline_hyphen_leftover_is_joined():
    assert normalize_line("ein Mo- ment der Kinder- und Jugendhilfe") == "ein Moment der Kinder- und Jugendhilfe"


@pytest.mark.parametrize(
    "line",
    ["Foto: Maria Schmidt", "Bildnachweis", "Name des Amtes | Bereich ", "Maximal 3-zeilig",
     "© DESI 2024", "Logo", "| BertelsmannStiftung", "37",
     'A handwritten signature in black ink, reading "Martin zur Nedden".'],
)
def test_furniture_lines(line):
    assert is_furniture(line)


@pytest.mark.parametrize("line", ["Fotoausstellung im Rathaus", "Die Logistik der Unterbringung", "2015/16"])
def test_not_furniture(line):
    assert not is_furniture(line)


def test_furniture_dropped_from_document():
    text = _text("Name des Amtes | Bereich \n\nName der Abteilung \n\nMaximal 3-zeilig \n\n"
                 "Fragen an die Partnerstädte\n\nFoto: Nina Hoss\n\nDie Stadt antwortet ausführlich.")
    assert text == "Fragen an die Partnerstädte\n\nDie Stadt antwortet ausführlich."


def test_markdown_emphasis_and_links_removed():
    text = _text("Ergebnisbericht zum 2. **Demografie Gipfel** Mai 2013 und [Projektseite](https://x.de).")
    assert text == "Ergebnisbericht zum 2. Demografie Gipfel Mai 2013 und Projektseite."


def test_bullets_become_list_items_with_continuation_lines():
    pieces = clean_pages(["Hierzu zählen:\n\n- gesamtstädtische Konzepte,\n- Verzahnen mit\nanderen Konzepten\n• Sprachkurse"])
    assert [p.kind for p in pieces] == ["text", "list"]
    assert [i.text for i in pieces[1].items] == ["gesamtstädtische Konzepte,", "Verzahnen mit anderen Konzepten", "Sprachkurse"]


def test_table_kept_together_with_header_and_caption():
    page = ("Tab. 2: „Gibt es ein schriftliches Konzept?“ (n=142)\n\n"
            "\tJa\t\tNein\t\n\tabs.\t%\tabs.\t%\nKreisfreie Städte\t38\t86,4\t6\t13,6\nLandkreise\t19\t79,2\t5\t20,8\n\n"
            "Gut drei Viertel der Kommunen haben ein Konzept.")
    blocks = build([page]).blocks
    assert [b.kind for b in blocks] == ["table", "paragraph"]
    table = blocks[0]
    assert table.header_units == 3  # caption + two header rows
    assert table.text.splitlines()[0].startswith("Tab. 2:")
    assert table.text.splitlines()[3] == "Kreisfreie Städte\t38\t86,4\t6\t13,6"


def test_table_continued_on_next_page_is_one_table():
    blocks = build(["Name\tZahl\nAlheim\t4.985", "Diemelstadt\t5.250\nDülmen\t46.613"]).blocks
    assert [b.kind for b in blocks] == ["table"]
    assert len(blocks[0].units) == 4


# -- issue 23: lines of slides and link lists ------------------------------------------------

def test_link_only_lines_are_list_items_not_titles():
    pieces = clean_pages(["Weitere Informationen:\n\n[Integrationskonzept Wiesbaden](#)\n\n[Angekommen Wiesbaden](#)"])
    assert [p.kind for p in pieces] == ["text", "list"]
    assert [i.text for i in pieces[1].items] == ["Integrationskonzept Wiesbaden", "Angekommen Wiesbaden"]


def test_a_numbered_point_after_a_list_item_starts_a_new_piece():
    pieces = clean_pages(["- Informationsmaterial\n- Gästeempfang\n 4. Bei welcher Behörde ist die Umsetzung\n\n"
                          "angesiedelt?"])
    assert [p.kind for p in pieces] == ["list", "text"]
    assert pieces[1].items[0].text == "4. Bei welcher Behörde ist die Umsetzung angesiedelt?"


def test_a_long_paragraph_without_sentence_end_goes_on_after_a_blank_line():
    long = ("Quellen: Fokusgruppendiskussion in Köln, 12.1.2024; Interview mit Anna Beispiel, Stadt Köln, "
            "12.1.2024; Interview mit Klaus Burgmeier, Karolina")
    pieces = clean_pages([f"{long}\n\nStrzeszewski und Ariane Würzberger, Landeshauptstadt\n\nWiesbaden, 31.1.2024."])
    assert len(pieces) == 1 and pieces[0].items[0].text.endswith("Karolina Strzeszewski und Ariane Würzberger, "
                                                                  "Landeshauptstadt Wiesbaden, 31.1.2024.")


def test_a_short_unterminated_line_or_an_emphasised_quotation_does_not_swallow_the_next():
    pieces = clean_pages(["Großstadt in Bayern: *„Die enge Zusammenarbeit der Verwaltung mit allen Akteuren im "
                          "Feld ist entscheidend für das Ankommen.“*\n\nFörderprogramme des Bundes und der Länder\n\n"
                          "Kleine Mittelstadt in Sachsen: Vernetzung hilft."])
    assert [p.items[0].text.split()[0] for p in pieces] == ["Großstadt", "Förderprogramme", "Kleine"]
