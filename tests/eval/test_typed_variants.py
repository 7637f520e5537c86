"""The typed-variant generator (eval.typed_variants): deterministic rewrites of judged queries."""

from __future__ import annotations

import unicodedata

from eval.typed_variants import rewrite


def test_ascii_writes_umlauts_and_sharp_s_out():
    assert rewrite("Flüchtlinge an der Straße", "de", "ascii") == "Fluechtlinge an der Strasse"


def test_nfd_decomposes():
    out = rewrite("Bürger", "de", "nfd")
    assert out != "Bürger" and unicodedata.normalize("NFC", out) == "Bürger"


def test_gender_writes_plural_agent_nouns_with_a_colon():
    assert rewrite("Wie helfen Mitarbeiter den Bürgern?", "de", "gender") == "Wie helfen Mitarbeiter:innen den Bürger:innen?"
    assert rewrite("how do volunteers help", "en", "gender") == "how do volunteers help"


def test_abbrev_replaces_long_forms_in_both_languages():
    assert rewrite("Terminvergabe der Ausländerbehörde", "de", "abbrev") == "Terminvergabe der ABH"
    assert rewrite("courses of the Bundesamt für Migration und Flüchtlinge", "en", "abbrev") == "courses of the BAMF"


def test_typo_swaps_two_letters_in_the_longest_long_word():
    assert rewrite("Integrationskurs in Köln", "de", "typo") == "Integratoinskurs in Köln"
    assert rewrite("Kurs in Köln", "de", "typo") == "Kurs in Köln"  # no word of 10+ letters


def test_no_variant_keeps_the_query():
    assert rewrite("Flüchtlinge", "de", None) == "Flüchtlinge"
