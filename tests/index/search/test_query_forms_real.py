"""The forms users type reach the right passages of the real corpus (real model, real snapshot)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def _ids(searcher, query, mode, k=5):
    return [h.passage.id for h in searcher.search(query, k=k, mode=mode).hits]


def _texts(searcher, query, mode, k=5):
    return [h.passage.section + "\n" + h.passage.text for h in searcher.search(query, k=k, mode=mode).hits]


@pytest.mark.parametrize("typed, written", [
    ("Fluechtlingsunterkuenfte", "Flüchtlingsunterkünfte"),
    ("Buergerinnen und Buerger beteiligen", "Bürgerinnen und Bürger beteiligen"),
    ("Mitarbeiter:innen der Auslaenderbehoerde", "Mitarbeiterinnen der Ausländerbehörde"),
    ("Bürger*innen", "Bürgerinnen"),
    ("Landkreis Osnabru\u0308ck", "Landkreis Osnabrück"),
    ("Willkommenskultur in Du\u0308lmen", "Willkommenskultur in Dülmen"),
])
def test_typed_forms_rank_like_the_written_form(real_searcher, typed, written):
    assert _ids(real_searcher, typed, "bm25") == _ids(real_searcher, written, "bm25")
    assert _ids(real_searcher, typed, "bm25")


def test_transliterated_compound_finds_its_passages(real_searcher):
    texts = _texts(real_searcher, "Fluechtlingsunterkunft", "hybrid")
    assert any("Flüchtlingsunterkünfte" in t or "Flüchtlingsunterkünften" in t for t in texts[:3]), texts


def test_gender_forms_meet_plain_forms(real_searcher):
    texts = _texts(real_searcher, "Mitarbeiter*innen der Ausländerbehörden", "bm25", k=10)
    assert any("Mitarbeiterinnen" in t for t in texts) and any("Mitarbeiter " in t or "Mitarbeitern" in t
                                                                 for t in texts), texts


def test_decomposed_place_name_reaches_its_passages(real_searcher):
    result = real_searcher.search("Landkreis Osnabru\u0308ck Ehrenamt", k=5)
    assert result.query == "Landkreis Osnabrück Ehrenamt"
    assert [h.passage.id for h in result.hits] == _ids(real_searcher, "Landkreis Osnabrück Ehrenamt", "hybrid")
    assert any("Osnabrück" in h.passage.section_path[-1] or "Osnabrück" in h.passage.text for h in result.hits[:3])


@pytest.mark.parametrize("query, phrase", [
    ("ABH", "Ausländerbehörde"),
    ("VHS Sprachkurse", "olkshochschule"),
    ("Bundesamt für Migration und Flüchtlinge", "BAMF"),
    ("KI Integrationszentrum NRW", "Kommunale"),
])
def test_abbreviations_find_long_forms_and_back(real_searcher, query, phrase):
    texts = _texts(real_searcher, query, "bm25", k=10)
    assert any(phrase in t for t in texts), texts


@pytest.mark.parametrize("typo, phrase", [
    ("Willkomenskultur", "Willkommenskultur"),
    ("Integrationskonzpet", "Integrationskonzept"),
    ("Ehrenamtskordination", "Ehrenamtskoordination"),
])
def test_typos_in_long_compounds_still_find_them(real_searcher, typo, phrase):
    texts = _texts(real_searcher, typo, "bm25")
    assert texts and phrase.lower() in texts[0].lower(), texts[:1]
