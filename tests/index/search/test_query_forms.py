"""Query-side handling of the forms users type: typo tolerance, NFC for queries and filters."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.analyzer import analyze
from index.search import Filters, clean_query, nfc
from index.search.typo import TypoCorrector, max_distance

FIXTURE_CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "corpus"
VOCABULARY = {analyze(w, decompound=False)[0]: df for w, df in [
    ("Integrationskonzept", 12), ("Ehrenamtskoordination", 4), ("Willkommenskultur", 30),
    ("Wohnraumvermittlung", 2), ("Öffentlichkeitsarbeit", 9), ("Koordination", 20),
    ("Integration", 80), ("Wohnungen", 40), ("Integrationskurs", 7)]}


def test_edit_budget_grows_with_length():
    assert [max_distance(n) for n in (3, 7, 8, 11, 12, 25)] == [0, 0, 1, 1, 2, 2]


@pytest.mark.parametrize("typed, meant", [
    ("Integrationskonzpet", "Integrationskonzept"),   # transposition (one OSA edit)
    ("Ehrenamtskordination", "Ehrenamtskoordination"),  # letter missing
    ("Willkomenskultur", "Willkommenskultur"),
    ("Willkommenskulturr", "Willkommenskultur"),  # letter doubled
    ("Wohnraumvermitlung", "Wohnraumvermittlung"),
    ("Oeffentlichkeitsarbiet", "Öffentlichkeitsarbeit"),  # umlaut typed as oe plus a transposition
])
def test_unknown_long_terms_get_their_closest_corpus_terms(typed, meant):
    corrector = TypoCorrector(VOCABULARY)
    term = analyze(typed, decompound=False)[0]
    assert term not in VOCABULARY
    assert corrector.corrections(term)[0] == analyze(meant, decompound=False)[0]


def test_known_short_or_far_terms_are_left_alone():
    corrector = TypoCorrector(VOCABULARY)
    assert corrector.corrections(analyze("Integrationskonzept")[0]) == []  # known
    assert corrector.corrections("wohnung") == []  # too short to correct
    assert corrector.corrections("integrationsbeirat") == []  # too far from every corpus term
    assert corrector.corrections("=bamf") == []  # concept terms are not words
    # ties at the smallest distance: the more frequent term first, at most two
    tie = TypoCorrector({"integrationsbeirat": 2, "integrationsbeirut": 9, "integrationsbeiratt": 1})
    assert tie.corrections("integrationsbeirxt") == ["integrationsbeirut", "integrationsbeirat"]
    weights = corrector.expand({"integrationskonzpet": 1.0, "koordination": 1.0})
    assert weights == {"integrationskonzpet": 1.0, "koordination": 1.0, "integrationskonzept": 1.0}


def test_searcher_corrects_german_queries_only_and_setting_turns_it_off(tmp_path):
    from index.build import build_index
    from index.model.embedder import HashEmbedder
    from index.runtime import open_searcher
    from core.settings import Settings

    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    settings = Settings.from_env(data_dir=tmp_path / "var", corpus_dir=corpus)
    emb = HashEmbedder(32)
    build_index(settings, emb)
    searcher = open_searcher(settings, emb)
    fixed = analyze("Wohnraumvermittlung")[0]
    assert fixed in searcher.bm25_weights("Wohnraumvermitlung", "de")
    hits = searcher.search("Wohnraumvermitlung", k=3, mode="bm25").hits
    assert hits and "Wohnraumvermittlung" in hits[0].passage.section
    assert fixed not in searcher.bm25_weights("the Wohnraumvermitlung for refugees", "en")
    off = open_searcher(settings.with_(typo_tolerance=False), emb)
    assert fixed not in off.bm25_weights("Wohnraumvermitlung", "de")
    assert off.search("Wohnraumvermitlung", k=3, mode="bm25").hits == []
    # transliterated and gender forms reach the same passages as the written forms
    for typed, written in [("Fluechtlinge Wohnungen", "Flüchtlinge Wohnungen"), ("Vermieter:innen", "Vermieterinnen"),
                           ("Wohnungspat*innen", "Wohnungspatinnen"), ("Mu\u0308llheim-Su\u0308d", "Müllheim-Süd")]:
        a = [h.passage.id for h in searcher.search(typed, k=5, mode="bm25").hits]
        b = [h.passage.id for h in searcher.search(written, k=5, mode="bm25").hits]
        assert a == b and a, (typed, written)


def test_queries_and_filters_are_nfc():
    decomposed = "Osnabru\u0308ck"
    assert clean_query(decomposed, 100) == "Osnabrück"
    assert clean_query("Thu\u0308ringen  ", 100) == "Thüringen"
    assert nfc("Ba\u0308rbel") == "Bärbel" and nfc("Bärbel") == "Bärbel"
    f = Filters(doc_ids=["dokument-u\u0308ber"], bundesland="Baden-Wu\u0308rttemberg", municipality_type="Landkreis",
                theme="Bu\u0308rgerbeteiligung", municipality="Landkreis Osnabru\u0308ck", min_population=10)
    assert f.doc_ids == ["dokument-über"] and f.bundesland == "Baden-Württemberg"
    assert f.theme == "Bürgerbeteiligung" and f.municipality == "Landkreis Osnabrück" and f.min_population == 10


def test_changed_analyzer_rebuilds_bm25_and_reuses_every_vector(tmp_path, monkeypatch):
    import index.abbreviations
    from index.analyzer import ANALYZER_VERSION, analyzer_fingerprint
    from index.build import build_index
    from index.model.embedder import HashEmbedder
    from index.snapshot import SnapshotStore
    from core.settings import Settings

    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    settings = Settings.from_env(data_dir=tmp_path / "var", corpus_dir=corpus)
    emb = HashEmbedder(32)
    first = build_index(settings, emb)
    manifest = SnapshotStore(settings.storage.snapshots_dir).current_manifest()
    assert manifest["analyzer"] == analyzer_fingerprint() and manifest["analyzer"].startswith(ANALYZER_VERSION)
    assert not build_index(settings, emb).rebuilt
    monkeypatch.setattr(index.abbreviations, "fingerprint", lambda: "an-edited-list")  # the list was edited
    second = build_index(settings, emb)
    assert second.rebuilt and second.counts["embedded"] == 0
    assert second.counts["reused_vectors"] == first.counts["passages"]
