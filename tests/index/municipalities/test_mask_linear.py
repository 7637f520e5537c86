"""The URL, e-mail and tag mask of the municipality matcher (issue 27, item 2): the same
masking as before on ordinary text, and linear on hostile text. ``\\S+@\\S+`` was tried
from every position to the end of a run without spaces (20/40/80 KB: 0.6/2.5/9.8 s), and
``<[^>]*>`` from every "<" to the end of the text."""

from __future__ import annotations

import random
import re

import pytest

from index.municipalities.matcher import _MASK, AliasIndex

OLD = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+|<[^>]*>")  # the quadratic form, for comparison


def masked(pattern: re.Pattern, text: str) -> str:
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


@pytest.mark.parametrize("text", [
    "Kontakt: info@stadt-osnabrueck.de oder www.osnabrueck.de/integration, Osnabrück",
    "Mail an (buero@alheim.de) und https://alheim.de/x?y=1 – Alheim",
    "a@b c@@d @e f@ g@h@i",
    "<p>Dülmen</p> <br/> Text",
    "",
])
def test_masks_what_it_masked(text):
    assert masked(_MASK, text) == masked(OLD, text)


def test_same_mask_as_before_on_random_text():
    """Random strings of the characters the mask cares about (no "<": tags below)."""
    rng = random.Random(27)
    alphabet = "ab@ .:/wh tps\n"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert masked(_MASK, text) == masked(OLD, text), text


def test_a_tag_is_masked_up_to_its_own_opening_bracket():
    """"<" without a ">" masks nothing (it masked up to a later ">" across other "<")."""
    assert masked(_MASK, "a < b <i>c</i>") == "a < b    c    "


@pytest.mark.parametrize("kb", [20, 40, 80, 200])
@pytest.mark.parametrize("unit", ["a", "x.", "a@", "@", "<", "<a ", "www.", "a-b", "Osnabrück"])
def test_hostile_runs_are_masked_correctly(kb, unit):
    """The issue's inputs (runs without spaces or "@", 20-80 KB) and others of the same
    kind: each is handled in one pass (they took seconds to minutes before)."""
    text = (unit * (kb * 1000 // len(unit) + 1))[: kb * 1000]
    out = masked(_MASK, text)
    assert len(out) == len(text)
    if "@" in text.strip("@") and " " not in text:
        assert not out.strip()  # one e-mail-like run: all of it masked
    if unit in ("a", "x.", "a-b", "Osnabrück", "<"):
        assert out == text  # nothing to mask


def test_alias_index_finds_names_next_to_a_hostile_run():
    index = AliasIndex([("Osnabrück", "osnabrueck"), ("Dülmen", "duelmen")])
    text = "Die Stadt Osnabrück " + "x" * 50_000 + "@" + "y" * 50_000 + " und Dülmen " + "<" * 50_000
    assert index.find(text) == ["osnabrueck", "duelmen"]
