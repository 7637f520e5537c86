"""Administrative abbreviations fold onto one concept term with their long forms (index/data/abbreviations_de.tsv)."""

from __future__ import annotations

import pytest

from index.abbreviations import ABBREVIATIONS_PATH, read_abbreviations
from index.analyzer import analyze
from index.bm25 import BM25Index


def _concepts(text: str) -> set[str]:
    return {t for t in analyze(text) if t.startswith("=")}


@pytest.mark.parametrize("short, long", [
    ("BAMF", "Bundesamt für Migration und Flüchtlinge"),
    ("BAMF", "des Bundesamtes für Migration und Flüchtlinge"),
    ("VHS", "Volkshochschule"),
    ("vhs", "an den Volkshochschulen"),
    ("ABH", "Ausländerbehörde"),
    ("ABHn", "die Ausländerbehörden"),
    ("MBE", "Migrationsberatung für erwachsene Zuwanderer"),
    ("JMD", "Jugendmigrationsdienste"),
    ("BüMA", "Bescheinigung über die Meldung als Asylsuchender"),
    ("AsylbLG", "Asylbewerberleistungsgesetz"),
    ("SGB", "Sozialgesetzbuch"),
    ("SGB II", "Grundsicherung für Arbeitsuchende"),
    ("UMA", "unbegleitete minderjährige Flüchtlinge"),
    ("umF", "unbegleiteten minderjährigen Ausländer"),
    ("KI", "Kommunale Integrationszentren"),
    ("LAGeSo", "Landesamt für Gesundheit und Soziales"),
    ("EAE", "Erstaufnahmeeinrichtungen"),
    ("GU", "Gemeinschaftsunterkünfte"),
    ("ÖPNV", "öffentlicher Personennahverkehr"),
    ("Kitas", "Kindertagesstätten"),
])
def test_abbreviation_and_long_form_share_a_concept_term(short, long):
    assert _concepts(short) & _concepts(long), (short, analyze(short), long, analyze(long))


def test_ambiguous_abbreviation_reaches_both_meanings_but_the_meanings_stay_apart():
    ki = _concepts("KI")
    assert len(ki) == 2
    assert _concepts("künstliche Intelligenz") < ki and _concepts("Kommunales Integrationszentrum") < ki
    assert not _concepts("künstliche Intelligenz") & _concepts("Kommunales Integrationszentrum")


def test_words_that_only_look_like_long_forms_add_nothing():
    assert _concepts("Die Migration nach Europa und die Flüchtlinge") == set()  # not the phrase in order
    assert _concepts("Bundesamt") == set() and _concepts("Integration") == set()
    assert _concepts("Der Anker der Lea liegt im Hafen, but not here") == set()  # left out on purpose
    assert analyze("Volkshochschule", decompound=False) == [analyze("Volkshochschule")[0]]  # one term per word


def test_compound_containing_a_long_form_gets_its_concept():
    assert _concepts("Ausländerbehördenmitarbeiter") == _concepts("ABH")


def test_queries_find_passages_in_both_directions():
    docs = ["Die Anmeldung erfolgt beim Bundesamt für Migration und Flüchtlinge in Nürnberg.",
            "Das BAMF fördert Integrationskurse.",
            "Die VHS bietet Abendkurse an.",
            "Termine bei der Ausländerbehörde sind knapp.",
            "Die Jugendmigrationsdienste begleiten junge Menschen."]
    bm25 = BM25Index().build(docs)
    hits = lambda q: {i for i, _ in bm25.search(q, 5)}  # noqa: E731
    assert hits("BAMF") == {0, 1}
    assert hits("Bundesamt für Migration und Flüchtlinge") >= {0, 1}
    assert hits("Volkshochschule") == {2}
    assert hits("ABH") == {3}
    assert hits("JMD") == {4}


def test_abbreviation_file_is_well_formed_and_names_its_sources():
    entries = read_abbreviations()
    assert len(entries) >= 40
    abbrs = {a for e in entries for a in e.abbreviations}
    assert {"BAMF", "VHS", "ABH", "MBE", "JMD", "BüMA", "AsylbLG", "SGB", "UMA", "UMF", "KI", "IKZ", "LAGeSo",
            "EAE", "GU"} <= abbrs
    for e in entries:
        assert e.long_forms and e.source and e.concept.startswith("=")
        for form in e.abbreviations + e.long_forms:
            assert analyze(form, decompound=False), form  # every form analyses to terms
    assert len({e.concept for e in entries}) == len(entries)
    header = ABBREVIATIONS_PATH.read_text(encoding="utf-8").split("\n", 12)
    assert any("bamf.de" in line for line in header) and any("gesetze-im-internet.de" in line for line in header)


def test_malformed_line_is_a_clear_error(tmp_path):
    bad = tmp_path / "abbr.tsv"
    bad.write_text("# comment\nBAMF\tBundesamt für Migration und Flüchtlinge\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        read_abbreviations(bad)
