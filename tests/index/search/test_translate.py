"""English -> German query terms: the Ding dictionary reader, the glossary, the pseudo-query."""

from __future__ import annotations

import numpy as np

from index.analyzer import analyze
from index.search.translate import (
    build_surface_forms,
    build_translations,
    german_query,
    load_dictionary,
    load_glossary,
    translate_terms,
    translation_groups,
    weigh_translations,
)

# Ding format: German side :: English side, "|" separates aligned sub-entries, ";" synonyms
DING = """# Version :: 1.9
Gemeinde {f}; Kommune {f} :: municipality; community
Gemeinschaft {f} :: community
Wettbewerb {m} | Wettbewerbe {pl} :: competition | competitions
Wohnmobil {n} :: camper van
finanziert :: financed
Ring {m} :: ring
"""


def _vocabulary(*terms_df: tuple[str, int]) -> dict[str, int]:
    return {analyze(word, decompound=False)[0]: df for word, df in terms_df}


def test_dictionary_links_english_words_and_phrases_to_german_terms(tmp_path):
    path = tmp_path / "de-en"
    path.write_text(DING, encoding="utf-8")
    links = load_dictionary(path)
    assert set(links["community"]) == {analyze("Gemeinde")[0], analyze("Kommune")[0], analyze("Gemeinschaft")[0]}
    assert links["camper van"] == {analyze("Wohnmobil")[0]: 1}
    assert load_dictionary(tmp_path / "missing") == {}


def test_translations_keep_corpus_words_ranked_by_links_and_frequency(tmp_path):
    path = tmp_path / "de-en"
    path.write_text(DING, encoding="utf-8")
    vocab = _vocabulary(("Gemeinschaft", 50), ("Kommune", 3), ("Wettbewerb", 10), ("finanziert", 4))
    table = build_translations(vocab, path=path)
    # "Gemeinde" is not in the corpus; the frequent "Gemeinschaft" outranks the rare "Kommune"
    assert table["community"][:2] == [analyze("Gemeinschaft")[0], analyze("Kommune")[0]]
    assert table["financed"] == [analyze("finanziert")[0]]
    assert "ring" not in table  # its only German word is not in the corpus


def test_glossary_terms_are_analysed_and_take_precedence(tmp_path):
    glossary = load_glossary()
    assert analyze("Bürgermeister")[0] in glossary["mayor"]
    path = tmp_path / "de-en"
    path.write_text("Stadtverwaltung {f} :: municipality\n", encoding="utf-8")
    vocab = _vocabulary(("Gemeinde", 40), ("Kommune", 30), ("Stadtverwaltung", 5))
    table = build_translations(vocab, path=path)
    assert table["municipality"][0] == analyze("Gemeinde")[0]
    assert analyze("Stadtverwaltung", decompound=False)[0] in table["municipality"]


def test_translate_terms_prefers_phrases_and_handles_plurals():
    table = {"camper van": ["wohnmobil"], "camper": ["camping"], "refugee": ["geflucht"], "volunteer": ["ehrenamt"]}
    terms = translate_terms("a camper van for refugees and volunteering", table)
    assert terms[0] == "wohnmobil" and "camping" not in terms
    assert "geflucht" in terms  # "refugees" -> "refugee"
    assert translate_terms("anything", {}) == []


def test_surface_forms_pick_the_most_frequent_corpus_spelling():
    table = {"financed": [analyze("finanziert", decompound=False)[0]]}
    texts = ["Das Projekt wird finanziert.", "Finanziert wurde es von der Stadt.", "Es ist finanziert."]
    assert build_surface_forms(texts, table) == {analyze("finanziert", decompound=False)[0]: "finanziert"}


def test_german_query_uses_glossary_then_dictionary_word_forms():
    assert german_query("How do rural municipalities organise volunteers?").split()[:3] == [
        "ländlich", "Gemeinden", "Kommunen"]
    stem = analyze("finanziert", decompound=False)[0]
    table = {"financed": [stem]}
    # without the snapshot's tables only glossary words are used
    assert "finanziert" not in german_query("projects financed by the city")
    assert "finanziert" in german_query("projects financed by the city", table, {stem: "finanziert"}).split()
    assert german_query("xyzzy plugh") == ""


def test_translation_groups_keep_one_group_per_english_word():
    table = {"competition": ["konkurrenz", "wettbewerb"], "project": ["projekt"], "camper van": ["wohnmobil"]}
    assert translation_groups("the project competition and a camper van", table) == [
        ["wohnmobil"], ["projekt"], ["konkurrenz", "wettbewerb"]]
    assert translation_groups("anything", {}) == []


def test_co_occurrence_picks_the_translation_that_fits_the_other_words():
    postings = {"projekt": np.array([0, 1, 2]), "konkurrenz": np.array([7]), "wettbewerb": np.array([1, 2, 9])}
    weights = weigh_translations([["projekt"], ["konkurrenz", "wettbewerb"]], lambda t: postings[t], decay=0.5)
    assert weights == {"projekt": 1.0, "wettbewerb": 1.0, "konkurrenz": 0.5}
    # a lone word keeps the dictionary order
    assert weigh_translations([["konkurrenz", "wettbewerb"]], lambda t: postings[t], decay=0.5) == {
        "konkurrenz": 1.0, "wettbewerb": 0.5}


def test_hyphenated_keys_become_reachable_two_word_phrases(tmp_path):
    from index.search.translate import phrase_key, translation_groups

    assert phrase_key(" Go-Between ") == "go between" and phrase_key("one-stop  shop") == "one stop shop"
    path = tmp_path / "de-en"
    path.write_text("Vermittler {m} :: go-between\nVermittler {m} :: go between\n", encoding="utf-8")
    table = build_translations(_vocabulary(("Vermittler", 5)), path=path)
    assert "go-between" not in table and table["go between"] == [analyze("Vermittler")[0]]
    # a query word "go-betweens" is split at the hyphen and still finds the phrase
    assert translation_groups("refugees acting as go-betweens", table) == [[analyze("Vermittler")[0]]]


def test_glossary_file_is_well_formed():
    """Every line: one tab, a key of one or two words, German words that analyse to terms."""
    from index.search.translate import GLOSSARY_PATH, phrase_key

    keys = []
    for number, line in enumerate(GLOSSARY_PATH.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        assert line.count("\t") == 1, f"line {number}: {line!r}"
        en, german = line.split("\t")
        assert 1 <= len(phrase_key(en).split()) <= 2, f"line {number}: key {en!r} can never match a query"
        assert german.split() and all(analyze(w) for w in german.split()), f"line {number}: {german!r}"
        keys.append(phrase_key(en))
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert len(keys) >= 600 and duplicates == []


def test_phrase_spans_find_the_longest_dictionary_phrase_first(monkeypatch):
    from index.search import translate

    table = {"drop in center": ["anlaufstell"], "center": ["zentrum"], "drop": ["fall"],
             "newcomer": ["neuzugewandert"], "camper van": ["wohnmobil"]}
    # at the default two words the three-word key is out of reach, as before
    assert translate.MAX_PHRASE_WORDS == 2
    assert translation_groups("a drop-in center for newcomers", table) == [["fall"], ["zentrum"], ["neuzugewandert"]]
    monkeypatch.setattr(translate, "MAX_PHRASE_WORDS", 3)
    # "in" is a function word inside the phrase: matched on the words as typed, span over content words
    assert translate.phrase_spans("a drop-in center for newcomers", table) == [(range(0, 2), "drop in center")]
    assert translation_groups("a drop-in centers for newcomers", table) == [["anlaufstell"], ["neuzugewandert"]]
    # a phrase must begin and end with a content word; two-word phrases still found beside it
    assert translate.phrase_spans("in center camper van", table) == [(range(1, 3), "camper van")]
    assert translate.phrase_spans("anything", {}) == []


def test_pseudo_phrases_translate_a_dictionary_phrase_whole(monkeypatch):
    from index.search import translate

    fallstudi, fall, studi = (analyze(w, decompound=False)[0] for w in ("Fallstudien", "Fall", "Studie"))
    table = {"case study": [fallstudi], "case": [fall], "study": [studi]}
    surface = {fallstudi: "Fallstudien", fall: "Fall", studi: "Studie"}
    assert german_query("which case study", table, surface) == "Fall Studie"
    monkeypatch.setattr(translate, "PSEUDO_PHRASES", True)
    assert german_query("which case study", table, surface) == "Fallstudien"


def test_normalised_groups_share_one_unit_of_weight(monkeypatch):
    from index.search import translate

    postings = {"a": np.array([0]), "b": np.array([1])}
    monkeypatch.setattr(translate, "NORMALISE_GROUPS", True)
    weights = weigh_translations([["a", "b"]], lambda t: postings[t], decay=0.5)
    assert weights == {"a": 2 / 3, "b": 1 / 3}


def test_translation_concepts_pair_each_english_word_with_its_candidates():
    from types import SimpleNamespace

    from index.search.lexical import BM25Retriever
    from index.search.translate import translation_concepts

    table = {"competition": ["konkurrenz", "wettbewerb"], "project": ["projekt"], "camper van": ["wohnmobil"]}
    assert translation_concepts("the project competition and a camper van for lgbtq", table) == [
        (["camper", "van"], ["wohnmobil"]), (["project"], ["projekt"]),
        (["competition"], ["konkurrenz", "wettbewerb"]), (["lgbtq"], [])]
    retriever = BM25Retriever(SimpleNamespace(translations=table))
    concepts = retriever.concepts("project competition", "en")
    assert concepts == [(frozenset(analyze("project")), frozenset(analyze("projekt"))),
                        (frozenset(analyze("competition")), frozenset(analyze("konkurrenz")),
                         frozenset(analyze("wettbewerb")))]
    assert retriever.concepts("Projektwettbewerb", "de") is None
    # a compound translation is named by its whole stem, not by its parts
    (kinder,) = BM25Retriever(SimpleNamespace(translations={"childcare": ["Kinderbetreuung"]})).concepts("childcare", "en")
    assert frozenset({analyze("Kinderbetreuung")[0]}) in kinder and frozenset({"kind"}) not in kinder
