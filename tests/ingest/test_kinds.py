"""Passage kinds: reference material (address lists, interview lists, bibliographies,
imprints) against prose, on inputs of each kind (not only the corpus's)."""

from __future__ import annotations

import pytest

from ingest.kinds import PROSE, REFERENCE, is_reference_heading, passage_kind

ADDRESS_LIST = (
    "Kommune\tTitel des Wettbewerbsbeitrages\n"
    "Stadt Baden-Baden Fachbereich Bildung Gewerbepark Cité 1 76532 Baden-Baden +49 7221 931-410 www.baden-baden.de\tLebensWert\n"
    "Bodenseekreis Amt für Migration Albrechtstr. 75 88045 Friedrichshafen +49 7541 2045-653 www.bodenseekreis.de\tErklärfilme\n"
    "Stadt Emmendingen Fachstelle Landvogtei 10 79312 Emmendingen +49 7641 452-276 www.emmendingen.de\tWir gehören dazu\n"
)
CONTACTS = ("Ansprechpartnerin: Maria Muster, Integrationsbüro, Marktplatz 1, 12345 Musterstadt, Tel. 0123 456789, "
            "E-Mail: maria.muster@musterstadt.de\nHerr Beispiel, Sozialamt, 23456 Beispielhausen, Fax 0234 567890")
BIBLIOGRAPHY = (
    "- Bach, Stefan, u.a. (2017): Investitionen in die Integration der Flüchtlinge lohnen sich. DIW Wochenbericht 3.\n"
    "- Gesemann, Frank (2025b). Aufnahme und Integration von Geflüchteten in Kommunen. Berlin.\n"
    "- Schupp, Pia, und Charlotte Wohlfahrt (2022). Integrationsgesetze auf Länderebene. Gütersloh.\n"
    "- Stadt Nürnberg (2024). Koordinierungsgruppe Integration. https://www.nuernberg.de/integration\n"
)
PROFILE_WITH_CONTACT = (
    "Einwohnerzahl\t4.985\nBundesland\tHessen\nTitel des Beitrags\tFlüchtlingshilfe Alheim\n"
    "Schwerpunkt des Beitrags\tEhrenamtliche Flüchtlingshilfe einschließlich Patenschaften und diverse andere Projekte\n"
    "Kontakt\tKatharina Weller Gemeinde Alheim Alheimer Str. 2 36211 Alheim Telefon: +49 6623 9200-10 E-Mail: weller@alheim.de"
)
PROSE_TEXT = ("In Eimsbüttel ist ein Modell für Unterkünfte mit der Perspektive Wohnen entwickelt worden. Private "
              "Investoren errichten Neubauten, die für einen festgelegten Zeitraum an Träger vermietet werden. "
              "Danach stehen die Wohnungen dem regulären Wohnungsmarkt zur Verfügung (vgl. Stadt Hamburg 2023).")


@pytest.mark.parametrize("text, section, expected", [
    (ADDRESS_LIST, ["Anhang", "Baden-Württemberg"], REFERENCE),
    (ADDRESS_LIST, [], REFERENCE),  # by its furniture alone
    (CONTACTS, [], REFERENCE),
    (BIBLIOGRAPHY, [], REFERENCE),
    (BIBLIOGRAPHY, ["Literatur (Auswahl)"], REFERENCE),
    ("Kommune\tGesprächspartner:innen\tDatum\nLandkreis Kassel\tFrau A\t12.3.2024", ["Anlage 1 Liste der Interviews in Kommunen"], REFERENCE),
    (PROFILE_WITH_CONTACT, ["Alheim", "Kommune und Wettbewerbsbeitrag im Überblick"], PROSE),
    (PROSE_TEXT, ["4 Wohnen", "Kooperation mit der Wohnungswirtschaft"], PROSE),
    ("", [], PROSE),
])
def test_passage_kind(text, section, expected):
    assert passage_kind(text, section) == expected


@pytest.mark.parametrize("heading, expected", [
    ("Anhang", True), ("Anlage 2 Agenda des Reflexionsworkshops", True), ("Literaturverzeichnis", True),
    ("7 Literatur", True), ("Impressum", True), ("Inhaltsverzeichnis", True), ("Quellen", True),
    ("Wettbewerbsteilnehmer im Überblick", True), ("**Kontakt**", True),
    ("Lokale Integrationsnetzwerke", False), ("Anhänger des Ehrenamts", False), ("Quellenarbeit im Archiv", False),
])
def test_reference_headings(heading, expected):
    assert is_reference_heading(heading) is expected
