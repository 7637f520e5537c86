"""Reference passages rank below prose that scores about as well (hand-computed)."""

from __future__ import annotations

import numpy as np
import pytest

from index.search import Searcher
from core.settings import Settings


def searcher_with(reference: list[bool], factor: float) -> Searcher:
    s = Searcher.__new__(Searcher)  # only what _demote_reference reads
    s.settings = Settings.from_env(reference_weight=factor)
    s._reference = np.array(reference, dtype=bool)
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
