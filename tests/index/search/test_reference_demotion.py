"""Reference passages rank below prose that scores about as well (hand-computed)."""

from __future__ import annotations

import numpy as np
import pytest

from index.search import Searcher
from core.settings import Settings


def searcher_with(reference: list[bool], factor: float, question_lists: list[bool] | None = None) -> Searcher:
    s = Searcher.__new__(Searcher)  # only what _demote_reference reads
    s.settings = Settings.from_env(reference_weight=factor)
    s._reference = np.array(reference, dtype=bool)
    s._question_lists = np.array(question_lists or [False] * len(reference), dtype=bool)
    return s


def test_reference_passages_are_demoted_by_the_factor():
    ranking = [(0, 1.0), (1, 0.9), (2, 0.5), (3, 0.4)]
    out = searcher_with([True, False, False, True], 0.75)._demote_reference(ranking)
    assert out == [(1, 0.9), (0, 0.75), (2, 0.5), (3, pytest.approx(0.3))]


def test_a_clear_reference_winner_stays_first_and_factor_one_changes_nothing():
    ranking = [(0, 1.0), (1, 0.5)]
    assert searcher_with([True, False], 0.75)._demote_reference(ranking)[0][0] == 0
    assert searcher_with([True, False], 1.0)._demote_reference(ranking) == ranking


@pytest.mark.parametrize("query, person", [
    ("Who heads the Welcome Center in Schwäbisch Gmünd?", True),
    ("Wer ist bei PHINEO Ansprechpartnerin für Fragen zur Kommunalberatung?", True),
    ("An wen wenden sich Geflüchtete?", True),
    ("To whom do refugees turn?", True),
    ("Whose idea was the Integration Point?", True),
    ("Which office is in charge of welcoming newcomers?", False),
    ("Wie organisieren Gemeinden Ehrenamtliche?", False),
    ("Werkstatt für Fahrräder", False),  # "wer" only as a prefix
    ("", False),
])
def test_asks_for_person_reads_the_first_word(query, person):
    from index.search.kinds import asks_for_person

    assert asks_for_person(query) is person


def test_a_question_for_a_person_keeps_reference_passages_undemoted():
    # the interview-partner list (0) answers "who"; prose (1) only names the place
    ranking = [(0, 1.0), (1, 0.9)]
    s = searcher_with([True, False], 0.75)
    assert s._demote_reference(ranking, "Who represented Rostock in the interviews?") == ranking
    assert s._demote_reference(ranking, "Wer vertrat Rostock in den Interviews?") == ranking
    assert s._demote_reference(ranking, "Rostock interviews") == [(1, 0.9), (0, 0.75)]


QUESTIONNAIRE = ("Fragen an die Partnerstädte\n\n1. Was wird in Ihrer Stadt unter Willkommenskultur verstanden?\n"
                 "2. Hat Ihre Stadt einen Leitfaden bzw. ein Konzept im Bereich Willkommenskultur?\n"
                 "3. Welche Ziele verbinden Sie mit einer Willkommens- und Anerkennungskultur?")


@pytest.mark.parametrize("text, is_list", [
    (QUESTIONNAIRE, True),
    # guiding questions of a workshop, run together in sentences
    ("Die Kleingruppen diskutierten Leitfragen. Welche Erfahrungen haben Sie gemacht? Was hat geholfen? "
     "Was brauchen Kommunen künftig?", True),
    # prose that asks one question and answers it
    ("Wer ist zuständig? Die Stabsstelle Integration koordiniert seit 2016 alle Angebote der Stadt, "
     "berät Ehrenamtliche und verwaltet den Integrationsfonds des Landkreises mit eigenem Personal.", False),
    # two questions, but most words answer them
    ("Was tun? Wer hilft? " + "Das Amt für Bildung, Jugend und Soziales berät Neuzugewanderte. " * 3, False),
    ("Kurze Fragen? Ja? Nein?", False),  # under three words each: no questions counted
    ("", False),
])
def test_is_question_list_needs_two_questions_holding_most_words(text, is_list):
    from index.search.kinds import is_question_list

    assert is_question_list(text) is is_list


def test_question_lists_are_demoted_like_reference_passages_for_every_query():
    # 0: the questionnaire, 1: the slide answering it, 2: an address list
    ranking = [(0, 1.0), (1, 0.9), (2, 0.8)]
    s = searcher_with([False, False, True], 0.85, question_lists=[True, False, False])
    assert s._demote_reference(ranking, "Haben die Partnerstädte einen Leitfaden?") == [
        (1, 0.9), (0, 0.85), (2, pytest.approx(0.68))]
    # a question for a person keeps the reference list undemoted, not the questionnaire
    assert s._demote_reference(ranking, "Wer leitet das Amt?") == [(1, 0.9), (0, 0.85), (2, 0.8)]


def test_question_lists_undemoted_when_switched_off(monkeypatch):
    from index.search import kinds

    monkeypatch.setattr(kinds, "DEMOTE_QUESTION_LISTS", False)
    ranking = [(0, 1.0), (1, 0.9)]
    assert searcher_with([False, False], 0.85, question_lists=[True, False])._demote_reference(ranking) == ranking
