"""Passage kinds: prose, or reference material (address lists, interview lists, bibliographies).

Reference material names many municipalities without saying what they do: the Difu
appendix "Wettbewerbsteilnehmer im Überblick" (an address per row), DESI's "Anlage 1
Liste der Interviews", a "Literatur" list, a table of contents, an imprint. Such a
passage is never evidence of a municipality's practice, and search ranks it below prose.

A passage is reference material when
1. one of its section headings is a reference heading (``REFERENCE_HEADINGS``: Anhang,
   Anlage, Literatur, Quellen(verzeichnis), Inhalt(sverzeichnis), Impressum, Kontakt,
   Teilnehmer lists, Abbildungs-/Tabellenverzeichnis); or
2. less than half of its words stand in lines of running text (``MIN_PROSE_SHARE``: lines
   of 12+ words that end or contain a sentence and hold no list furniture) and its text is dense with list furniture
   (one line, the densest, is not counted when there are three or more: a portrait's
   contact block does not make it a list): postcodes followed by a place, phone numbers,
   URLs, e-mail addresses and bibliography years "(2019)" / "2019:" together make up more
   than ``MAX_FURNITURE_PER_100_WORDS`` per 100 words (and at least two), or
3. it is mostly lines without a sentence verb: at least ``MIN_LIST_LINES`` lines and under
   ``MAX_SENTENCE_SHARE`` of them end a sentence, with furniture present.
The rules are written for German reports in general (not for one document); the
thresholds were chosen on the five corpus documents so that every address-list,
interview-list and bibliography passage is caught and no portrait or profile is
(``tests/ingest/test_kinds.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

PROSE = "prose"
REFERENCE = "reference"
KINDS = (PROSE, REFERENCE)

REFERENCE_HEADINGS = re.compile(
    r"^(?:\d+(?:\.\d+)*\s+)?(?:Anhang|Anh[äa]nge|Anlage(?:n|\s+\d+)?|Literatur(?:verzeichnis|liste|hinweise)?|"
    r"Quellen(?:verzeichnis|angaben)?|Bibliogra(?:ph|f)ie|Inhalt(?:sverzeichnis)?|Impressum|Kontakt(?:e|daten)?|"
    r"Ansprechpartner(?::innen|innen)?|Abbildungsverzeichnis|Tabellenverzeichnis|Abkürzungsverzeichnis|"
    r"Wettbewerbsteilnehmer(?:innen)?(?:\s+im\s+Überblick)?|Teilnehmer(?::innen|innen)?liste|"
    r"Liste der (?:Interviews|Teilnehmer\w*|Gesprächspartner\w*))\b",
    re.IGNORECASE,
)
_FURNITURE = re.compile(
    r"\b\d{5}\s+[A-ZÄÖÜ]"  # postcode + place
    r"|\+49[\s\d/()-]{5,}|\b0\d{2,5}[/\s-]\d{3,}"  # phone numbers
    r"|\b(?:https?://|www\.)\S+"  # URLs
    r"|(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.]+"  # e-mail
    r"|\((?:19|20)\d{2}[a-z]?\)|\b(?:19|20)\d{2}[a-z]?:\s"  # bibliography years
    r"|\bTel\.|\bFax\b|\bE-Mail\b"
)
MAX_FURNITURE_PER_100_WORDS = 2.5
MIN_LIST_LINES = 6
MAX_SENTENCE_SHARE = 0.25
MIN_PROSE_SHARE = 0.5
_SENTENCE_END = re.compile(r"[.!?…][\"“”»«)]*$")


def _is_prose_line(line: str) -> bool:
    """A line of running text: 12 words or more that end or contain a sentence, with no
    list furniture (an address, phone number or bibliography year is not running text)."""
    if len(line.split()) < 12 or _FURNITURE.search(line):
        return False
    return bool(_SENTENCE_END.search(line) or re.search(r"[a-zäöüß]{2}\. [A-ZÄÖÜ]", line))


def is_reference_heading(heading: str) -> bool:
    """True for a heading that opens reference material ("Anhang", "Literatur", ...)."""
    return bool(REFERENCE_HEADINGS.match(heading.strip().strip("#*").strip()))


def passage_kind(text: str, section_path: Sequence[str] = ()) -> str:
    """``REFERENCE`` or ``PROSE`` for a passage's text and section headings (rules above)."""
    if any(is_reference_heading(h) for h in section_path):
        return REFERENCE
    words = len(text.split())
    if words == 0:
        return PROSE
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    prose_words = sum(len(ln.split()) for ln in lines if _is_prose_line(ln))
    if prose_words >= MIN_PROSE_SHARE * words:
        return PROSE  # a portrait with a contact block at its end is still a portrait
    per_line = sorted(len(_FURNITURE.findall(ln)) for ln in lines)
    if len(per_line) >= 3:
        per_line = per_line[:-1]  # one contact block ("Kontakt ... Telefon ... E-Mail") is not a list
    furniture = sum(per_line)
    if furniture >= 2 and furniture * 100 / words > MAX_FURNITURE_PER_100_WORDS:
        return REFERENCE
    if furniture and len(lines) >= MIN_LIST_LINES:
        sentences = sum(ln.endswith((".", "!", "?", ":", "“", '"')) for ln in lines)
        if sentences / len(lines) < MAX_SENTENCE_SHARE:
            return REFERENCE
    return PROSE
