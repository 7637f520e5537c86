"""Headings and section paths on snippets shaped like the real corpus."""

from ingest.structure import build, is_title_line, numbered_heading

DIFU = """4. Prämierte Beiträge

Die Jury ermittelte 21 Preisträger.



4.2 Kreisangehörige Städte und Gemeinden

Alheim

Kommune und Wettbewerbsbeitrag im Überblick

Einwohnerzahl\t4.985
Bundesland\tHessen

Beschreibung des Wettbewerbsbeitrags

Alheim besteht aus zehn Ortsteilen.

Begründung der Prämierung

Die kleine Gemeinde Alheim hat sehr frühzeitig reagiert.



Samtgemeinde Elm-Asse

Kommune und Wettbewerbsbeitrag im Überblick

Einwohnerzahl\t20.000

Beschreibung des Wettbewerbsbeitrags

Die Samtgemeinde setzt auf Mitfahrerbänke.

Begründung der Prämierung

Der Beitrag überzeugt.



4.3 Landkreise

Landkreis Osnabrück

Kommune und Wettbewerbsbeitrag im Überblick

Einwohnerzahl\t357.343

Begründung der Prämierung

Der Landkreis unterstützt das lokale Integrationsmanagement.
"""


def _paths(text: str) -> dict[str, list[str]]:
    return {b.text: b.section_path for b in build(text.split("\n\n\n\n")).blocks if b.kind != "heading"}


def test_difu_profile_section_paths():
    paths = _paths(DIFU)
    assert paths["Die Jury ermittelte 21 Preisträger."] == ["4 Prämierte Beiträge"]
    assert paths["Die kleine Gemeinde Alheim hat sehr frühzeitig reagiert."] == [
        "4 Prämierte Beiträge", "4.2 Kreisangehörige Städte und Gemeinden", "Alheim", "Begründung der Prämierung"]
    assert paths["Einwohnerzahl\t4.985\nBundesland\tHessen"][-2:] == ["Alheim", "Kommune und Wettbewerbsbeitrag im Überblick"]
    assert paths["Die Samtgemeinde setzt auf Mitfahrerbänke."][-2:] == ["Samtgemeinde Elm-Asse", "Beschreibung des Wettbewerbsbeitrags"]
    assert paths["Der Landkreis unterstützt das lokale Integrationsmanagement."] == [
        "4 Prämierte Beiträge", "4.3 Landkreise", "Landkreis Osnabrück", "Begründung der Prämierung"]


def test_desi_pipe_headings_and_subheadings():
    text = "1 | Einleitung\n\nKommunen stehen im Zentrum.\n\nAufbau des Projekts\n\nDas Projekt zielte auf eine Analyse.\n\n2 | Vorstellung der Fallstudien\n\nDie Stichprobe bestand aus 36 Kommunen."
    paths = _paths(text)
    assert paths["Das Projekt zielte auf eine Analyse."] == ["1 Einleitung", "Aufbau des Projekts"]
    assert paths["Die Stichprobe bestand aus 36 Kommunen."] == ["2 Vorstellung der Fallstudien"]


def test_toc_is_dropped_and_not_a_heading():
    text = "Inhalt\n\nVorworte\t5\n1. Der Wettbewerb: Thema, Ziele\t9\n4.1 Kreisfreie Städte\t37\nAlheim\t55\n\n1. Der Wettbewerb: Thema, Ziele\n\nDer Wettbewerb war bundesweit."
    cleaned = build([text])
    assert "\t37" not in cleaned.text and "Inhalt" not in cleaned.text
    assert [b.text for b in cleaned.blocks if b.kind == "heading"] == ["1. Der Wettbewerb: Thema, Ziele"]


def test_markdown_headings():
    paths = _paths("# Sprachkurse\n\nEinleitung hier.\n\n## Organisation\n\nDie Verwaltung plant.\n\n# Fazit Kreis\n\nEs lohnt sich.")
    assert paths["Die Verwaltung plant."] == ["Sprachkurse", "Organisation"]
    assert paths["Es lohnt sich."] == ["Fazit Kreis"]


def test_numbered_heading_rules():
    assert numbered_heading("4.1 Kreisfreie Städte") == (2, "4.1 Kreisfreie Städte")
    assert numbered_heading("2 | Vorstellung der Fallstudien") == (1, "2 Vorstellung der Fallstudien")
    assert numbered_heading("1. Der Wettbewerb: Thema, Ziele, Bewertungskriterien")[0] == 1
    assert numbered_heading("36 Kommunen wurden in den Fallstudien in den Blick genommen.") is None
    assert numbered_heading("2015 kamen viele Menschen") is None


def test_title_line_rules():
    assert is_title_line("Begründung der Prämierung")
    assert is_title_line("Kommune und Wettbewerbsbeitrag im Überblick")
    assert not is_title_line("Politische Unterstützung:")
    assert not is_title_line("Die Stadt hat ein Konzept.")
    assert not is_title_line("julia.nast@phineo.org")
    assert not is_title_line("Tab. 1: Wohnungsvermittlung")
    assert not is_title_line("Weitere Informationen: Projekt | Stadt Köln")


def test_page_starts_follow_page_breaks():
    cleaned = build(["Erste Seite.", "Foto: nur Bild", "Dritte Seite."])
    assert cleaned.page_starts[0] == 0
    third = cleaned.text.index("Dritte")
    assert cleaned.page_starts[2] == third
    assert cleaned.page_starts[1] == third  # an empty page starts where the next one does


# -- issue 23: portrait titles and table cells ------------------------------------------------

def test_a_title_ending_in_a_list_of_places_may_be_long():
    title = ("Kooperation zwischen Verwaltung und Wohnungswirtschaft bei der Unterbringung von Geflüchteten "
             "(Dortmund, Eimsbüttel in Hamburg, Halle (Saale))")
    assert is_title_line(title)
    assert not is_title_line("Kooperation zwischen Verwaltung und Wohnungswirtschaft bei der Unterbringung von "
                             "Geflüchteten in Dortmund, Eimsbüttel in Hamburg und in Halle an der Saale")


def test_a_quoted_project_name_with_places_is_a_title_but_a_quotation_is_not():
    assert is_title_line("„One-Stop-Shop“ (Augsburg, Halle (Saale), Leipzig, Saarbrücken)")
    assert is_title_line("„lokal willkommen“ (Dortmund)")
    assert not is_title_line("„Eckpunkte“ einer Willkommensbehörde werden positiv aufgenommen")
    assert not is_title_line("„... man sich nicht ‚unvorbereitet‘ derartigen Krisen stellen sollte.“")


def test_a_repeated_word_is_a_cell_mark_not_a_title():
    assert not is_title_line("Bursa Bursa Bursa")
    assert is_title_line("Bursa")


PORTRAITS = """4 Gute Ideen aus der Praxis

Soziale Betreuung in kommunaler Unterbringung (Kaiserslautern, Landkreis Kassel)

Die Stadt Kaiserslautern betreibt die Unterkünfte mit Trägern.

Quellen: Interview in Kaiserslautern, 24.4.2024.

Kooperation zwischen Verwaltung und Wohnungswirtschaft bei der Unterbringung von Geflüchteten (Dortmund, Eimsbüttel in Hamburg, Halle (Saale))

Halle (Saale) kooperiert mit zwei städtischen Wohnungsbauunternehmen.

Quellen: Interview in Halle (Saale), 11.12.2023.

Weitere gute Anregungen aus der Praxis Aus unseren Fallstudien:

- Integrationskonzepte (Osnabrück)
"""


def test_each_portrait_is_its_own_section_and_its_sources_line_closes_it():
    blocks = build([PORTRAITS]).blocks
    path = {b.text.split()[0]: b.section_path for b in blocks if b.kind != "heading"}
    assert path["Die"] == ["4 Gute Ideen aus der Praxis",
                           "Soziale Betreuung in kommunaler Unterbringung (Kaiserslautern, Landkreis Kassel)"]
    assert path["Halle"][-1].startswith("Kooperation zwischen Verwaltung und Wohnungswirtschaft")
    assert path["Weitere"] == ["4 Gute Ideen aus der Praxis"]  # after "Quellen:", back in the chapter
    assert path["-"] == ["4 Gute Ideen aus der Praxis"]
