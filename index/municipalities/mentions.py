"""Prefixed mentions in running text, in every document: "Landkreis Cochem-Zell",
"Stadt Sundern (Sauerland)", "Kreis Warendorf" and the like.

Words after such a prefix that are not names ("Stadt Am Markt", "Kreis Büro", "Gemeinde
Deutschunterricht") are filtered by a stoplist and by noun endings.
"""

from __future__ import annotations

import bisect
import re

from index.municipalities.records import Record, short

_NAME = r"[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)*"
_MENTION = re.compile(
    rf"(?:\b|(?P<compound>\b[A-ZÄÖÜ][a-zäöüß]+-))(?P<prefix>Landkreises|Landkreis|Kreises|Kreis|Samtgemeinde|Gemeinde|"
    rf"Kreisstadt|Landeshauptstadt|Hansestadt|Stadt)\s+(?P<name>(?:Bad |Schwäbisch |Hessisch )?{_NAME}"
    rf"(?: \([A-ZÄÖÜ][a-zäöüß]{{2,12}}\)| (?:am|an der|im) {_NAME})?)"
)
_STOP = {
    "am", "an", "auf", "aus", "bei", "büro", "der", "die", "das", "des", "dem", "den", "ein", "eine", "für",
    "in", "im", "mit", "und", "von", "zu", "zur", "zum", "ohne", "über", "als", "sowie", "wie", "deutschland",
    "berlin", "hamburg", "bremen", "verwaltung", "kommune", "kommunen", "gesellschaft", "zugewanderte",
    "deutschunterricht", "teil", "ebene", "seite", "entwicklung", "erfahrungen", "integration", "leitung",
    "politik", "region", "raum", "bevölkerung", "flüchtlinge", "geflüchtete", "mitarbeiter", "rat",
    "gemeinsam", "selbst", "hand", "alle", "heimat", "land", "vielfalt", "stadtteil", "quartier",
}
QUOTE_SOURCE_CHARS = 4000  # a quote is at most 300 characters; clean no more of a line than this
_NOUN_ENDINGS = ("ung", "heit", "keit", "schaft", "tion", "ierte", "ismus", "ität", "ment", "ende", "ern")


def scan_mentions(doc_id: str, text: str) -> list[Record]:
    """'Landkreis X', 'Stadt X', ... anywhere in the text, one record per mention.

    Linear in the text: line bounds come from one list of line starts (binary search per
    mention) and each line's quote is cleaned once, from at most ``QUOTE_SOURCE_CHARS`` of
    it, however many mentions the line holds (cleaning the whole line again for every
    mention made a 200 KB one-line text take 18 s).
    """
    out = []
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    quotes: dict[int, str] = {}
    for m in _MENTION.finditer(text):
        name = m.group("name")
        first = name.split()[0].split("-")[0]
        if first.casefold() in _STOP or first.endswith(_NOUN_ENDINGS) or len(first) < 3:
            continue
        prefix = m.group("prefix")
        if prefix in ("Landkreises", "Kreises"):
            prefix = prefix[:-2]
        if m.group("compound"):
            if prefix != "Kreis":
                continue
            prefix = m.group("compound") + prefix  # "Rhein-Kreis Neuss"
        line = bisect.bisect_right(line_starts, m.start()) - 1
        quote = quotes.get(line)
        if quote is None:
            line_start = line_starts[line]
            line_end = line_starts[line + 1] - 1 if line + 1 < len(line_starts) else len(text)
            quote = quotes[line] = short(text[line_start : min(line_end, line_start + QUOTE_SOURCE_CHARS)])
        out.append(Record(f"{prefix} {name}", doc_id, m.start("prefix"), quote, "erwaehnung"))
    return out
