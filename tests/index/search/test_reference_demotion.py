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
