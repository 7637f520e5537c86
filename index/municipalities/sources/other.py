"""Partner cities of the Darmstadt survey slides, and prefixed mentions in running text.

The mention scanner finds "Landkreis Cochem-Zell", "Stadt Sundern (Sauerland)",
"Kreis Warendorf" and the like anywhere in the corpus. Words after such a prefix that
are not names ("Stadt Am Markt", "Kreis Büro", "Gemeinde Deutschunterricht") are
filtered by a stoplist and by noun endings.
"""

from __future__ import annotations

import bisect
import re

from index.municipalities import gazetteer as gz
from index.municipalities.records import Record, lines_with_offsets, short

_PARTNER_MARK = re.compile(r"^\s*Rückmeldung aus den Partnerstädten\s*$", re.M)
_ORIENTATION = re.compile(r"^\s*Orientierung an (.+?):?\s*$")
_TITLE_CITY = re.compile(r"^\s*(?P<title>[^()]{4,120}?)\s*\((?P<city>[A-ZÄÖÜ][\wäöüß-]+)\)\s*$")
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


def parse_partner_cities(doc_id: str, text: str) -> list[Record]:
    """The list after 'Rückmeldung aus den Partnerstädten' and the cities' stated guidelines."""
    mark = _PARTNER_MARK.search(text)
    if not mark:
        return []
    out: list[Record] = []
    for offset, line in lines_with_offsets(text[mark.end() :]):
        name = line.strip()
        if not name:
            continue
        if not re.fullmatch(r"[A-ZÄÖÜ][\wäöüß-]+", name):
            break  # the next slide starts
        offset += mark.end()
        rec = Record(name, doc_id, offset, name, "partnerstaedte")
        country = gz.FOREIGN_CITIES.get(name)
        if country:
            rec.country, rec.type_hint = country, gz.FOREIGN
        out.append(rec)
    host = _host_city(text, [r.name for r in out])
    for rec in out:
        if rec.name != host:
            rec.add_fact("Partnerstadt von", host or "unbekannt")
    out.extend(_guidelines(doc_id, text, {r.name for r in out}))
    return out


def _host_city(text: str, names: list[str]) -> str | None:
    for name in names:
        if re.search(rf"\b{re.escape(name)}s Partnerstädte", text):
            return name
    return None


def _guidelines(doc_id: str, text: str, cities: set[str]) -> list[Record]:
    """'Wir sind Freiberg – lokales Netz … (Freiberg)' under 'Orientierung an lokalen Agenden:'."""
    out, heading = [], None
    for offset, line in lines_with_offsets(text):
        m = _ORIENTATION.match(line)
        if m:
            heading = m.group(1).strip()
            continue
        t = _TITLE_CITY.match(line)
        if not t or heading is None or t.group("city") not in cities:
            continue
        rec = Record(t.group("city"), doc_id, offset, short(line), "partnerstaedte")
        rec.add_fact(f"Orientierung an {heading}", t.group("title").strip())
        if "lokal" in heading:
            rec.projects.append(t.group("title").strip())
        out.append(rec)
    return out


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
