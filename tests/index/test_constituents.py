"""Loose compound constituents (``index.constituents.loose_parts``) with the real splitter
and the real analyzer; the vocabulary is given by hand."""

from __future__ import annotations

from index.constituents import loose_parts


def known(*stems):
    return set(stems).__contains__


def test_short_constituents_the_confident_split_leaves_out():
    # "Nähcafé" (7 letters) and "Jobbörse" (8) are below the analyzer's splitting length,
    # "Kulturcafé" splits at a score below its threshold: their parts link titles
    assert loose_parts("Nähcafé mit geflüchteten Frauen", known("nah", "caf")) == ["nah", "caf"]
    assert loose_parts("Jobbörse Betriebe", known("job", "bors", "betrieb")) == ["job", "bors"]
    assert loose_parts("Kulturcafé BSA", known("kultur", "caf")) == ["kultur", "caf"]


def test_a_cut_the_vocabulary_does_not_know_is_refused():
    assert loose_parts("Nähcafé", known("nah")) == []
    assert loose_parts("Integration", known("integration")) == []


def test_affixes_and_confident_parts_are_not_constituents():
    everything = lambda stem: True  # noqa: E731 - a vocabulary that knows every stem
    assert loose_parts("vermitteln", everything) == []  # "ver|mitteln": a prefix
    # the analyzer splits "Gesundheitsförderung" itself: nothing to add
    assert loose_parts("Gesundheitsförderung", everything) == []
    assert loose_parts("", everything) == [] and loose_parts("für die und", everything) == []
