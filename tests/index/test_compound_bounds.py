"""The compound splitter bounded per word (issue 27, item 3): the package's algorithm was
cubic in the word's length (three 5,000-letter words took 49 s, a 1.5 MB word never
finished). ``char_split_best`` gives the package's answer in linear time, and words over
``COMPOUND_MAX_WORD`` letters are not split at all."""

from __future__ import annotations

import random

import pytest

from index import compounds
from index.analyzer import COMPOUND_MAX_WORD, analyze, split_compound
from index.compounds import char_split_best

WORDS = ["Ehrenamtskoordination", "Flüchtlingsunterkunft", "Integrationskursverordnungsänderung",
         "Willkommenskultur", "Sprachpatinnen", "Kreisgleichstellungsbeauftragte", "abc", "abcdef",
         "Stadtentwicklungsgesellschaft", "Hilfs-Organisation", "tststststststs", "gsgsgsgsgsgs"]


def reference(word: str) -> tuple[float, str, str]:
    from compound_split import char_split

    best = char_split.split_compound(word)[0]
    return float(best[0]), str(best[1]), str(best[2])


@pytest.mark.parametrize("word", WORDS)
def test_same_best_split_as_the_package(word):
    assert char_split_best(word) == reference(word)


def test_same_best_split_on_random_words():
    rng = random.Random(27)
    letters = "abcdefghiklmnoprstuwzäöüß"
    for _ in range(150):
        word = "".join(rng.choice(letters) for _ in range(rng.randint(4, 40)))
        assert char_split_best(word) == reference(word), word


@pytest.mark.parametrize("length", [65, 5000, 1_500_000])
def test_over_long_words_are_not_split(length):
    word = ("willkommenskultur" * (length // 17 + 1))[:length]
    assert length > COMPOUND_MAX_WORD and split_compound(word) == ()


def test_analysis_of_three_5000_letter_words():
    """The issue's file: each word is one term, nothing is split or cached."""
    compounds.forget_splits()
    text = " ".join([("Willkommenskultur" * 300)[:5000]] * 3)
    assert len(analyze(text)) == 3
    assert not any(len(w) > COMPOUND_MAX_WORD for w in compounds._splits)


def test_long_words_still_cost_linear_work():
    """A word at the cap and far beyond it gives an answer (the package's tables hold no
    n-gram over 20 letters, so longer slices never need to be cut out)."""
    assert char_split_best("a" * 5_000)[0] == char_split_best("a" * 5_001)[0]
