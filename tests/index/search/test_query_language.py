"""The language of a query whose marker words tie: the lexicon vote of ``index.search.kinds``."""

from __future__ import annotations

import pytest

from index.analyzer import analyze, detect_language
from index.search import kinds
from index.search.kinds import lexicon_votes, query_language

ENGLISH = frozenset({"multilingual", "asylum", "seeker", "guide", "integration", "mobile", "youth", "local"})
VOCABULARY = frozenset(analyze(w, decompound=False)[0]
                       for w in ("Integration", "mobile", "ländliche", "Jugendarbeit", "Asyl"))


def test_lower_case_words_vote_by_which_lexicon_alone_knows_them():
    # multilingual, asylum, seeker(s), guide: English words the corpus lacks
    assert lexicon_votes("multilingual asylum seekers guide", ENGLISH, VOCABULARY) == (4, 0)
    # "ländliche" is a corpus word no English key; "integration" and "mobile" both know: no vote
    assert lexicon_votes("ländliche integration mobile", ENGLISH, VOCABULARY) == (0, 1)
    # capitalised words (names, German nouns) do not vote
    assert lexicon_votes("Chesterfield Guide Asylum", ENGLISH, VOCABULARY) == (0, 0)


@pytest.mark.parametrize("mode, query, lang", [
    (None, "multilingual asylum seeker guide", "de"),       # off: German wins the tie, as before
    ("keyword", "multilingual asylum seeker guide", "en"),
    ("keyword", "Integration Jugendarbeit", "de"),          # no lower-case votes: German as before
    ("keyword", "mobile Jugendarbeit", "de"),               # "mobile" is known to both
    ("keyword", "youth asylum seeker guide multilingual newcomers", "de"),  # 6 content words: a question
    ("all", "youth asylum seeker guide multilingual newcomers", "en"),
    ("all", "How do rural towns organise volunteers?", "en"),  # no tie: the marker words decide
])
def test_query_language_breaks_ties_only_where_the_setting_says(monkeypatch, mode, query, lang):
    monkeypatch.setattr(kinds, "LEXICON_LANGUAGE", mode)
    assert query_language(query, ENGLISH, VOCABULARY) == lang
    if mode is None:
        assert query_language(query, ENGLISH, VOCABULARY) == detect_language(query)


def test_the_shipped_setting_breaks_ties_of_keyword_queries_only():
    assert kinds.LEXICON_LANGUAGE == "keyword"
    assert query_language("multilingual asylum seeker guide", ENGLISH, VOCABULARY) == "en"
    assert query_language("youth asylum seeker guide multilingual newcomers", ENGLISH, VOCABULARY) == "de"


def test_one_english_word_is_too_little_to_read_a_query_as_english():
    # "guide" votes English, "bitcoin" nobody: a margin of one (bitcoin mining stays German, so
    # nonsense keeps its no-match verdict)
    assert lexicon_votes("bitcoin guide", ENGLISH, VOCABULARY) == (1, 0)
    assert query_language("bitcoin guide", ENGLISH, VOCABULARY) == "de"
    assert query_language("bitcoin seeker guide", ENGLISH, VOCABULARY) == "en"
