"""Parsers for the Difu competition documentation: prize profiles, special category, appendix.

They find their structures by content, not by document id, and accept both the raw
export (tab-separated rows) and cleaned text where tabs may have become spaces.
"""

from __future__ import annotations

import re

from index.municipalities import gazetteer as gz
from index.municipalities.records import Record, lines_with_offsets, short, strip_markup, to_int

_PROFILE_MARK = re.compile(r"^[ \t]*Kommune und Wettbewerbsbeitrag im Überblick[ \t]*$", re.M)
_PROFILE_FIELDS = re.compile(
    r"Einwohnerzahl\s+(?P<pop>[\d.\s]+?)\s+Bundesland\s+(?P<land>.+?)\s+Titel des Beitrags\s+(?P<title>.+?)"
    r"\s+Schwerpunkt des Beitrags\s+(?P<focus>.+?)\s*(?=\bKontakt\b|Beschreibung des Wettbewerbsbeitrags|\Z)",
    re.S,
)
_GROUP = re.compile(r"^4\.([123])\s+(Kreisfreie Städte|Kreisangehörige Städte und Gemeinden|Landkreise)\s*$", re.M)
_GROUP_TYPE = {"1": gz.KREISFREI, "2": gz.KREISANGEHOERIG, "3": gz.LANDKREIS}
_SPECIAL = re.compile(
    r"^(?P<name>[^\n(]{2,60}?)[ \t]*\n\s*\((?P<type>Landkreis|kreisangehörige Stadt|kreisangehörige Gemeinde|"
    r"kreisfreie Stadt) in (?P<land>[^;]+); (?P<pop>[\d.]+) Einwohner",
    re.M,
)
_SPECIAL_TYPE = {"Landkreis": gz.LANDKREIS, "kreisfreie Stadt": gz.KREISFREI}
_EP_SPLIT = re.compile(r"\s*\b(?:EP|Projekt)\s*\d+\s*:\s*")
_ADDRESS_CITY = re.compile(r"\b\d{4,5} ([^+,0-9]+?)\s+\+49")
_URL_SPLIT = re.compile(r"^(.*?(?:www\.|https?://)\S+)\s+(.+)$")
_TWO_WORD = {"Bad", "Schwäbisch", "Hessisch", "Neu", "Sankt", "St.", "Königs", "Groß", "Klein"}
_NAME_PREFIX = re.compile(
    r"^(Stadt und Landkreis|Freie Hansestadt|Hanse- und Universitätsstadt|Bundeshauptstadt|Landeshauptstadt|"
    r"Universitätsstadt|Wissenschaftsstadt|Widukindstadt|Eifelgemeinde|Samtgemeinde|Kreisstadt|Hansestadt|"
    r"Städteregion|Landkreis|Kreis|Bezirk|Gemeinde|Stadt)\s+(.+)$"
)


def parse_profiles(doc_id: str, text: str) -> list[Record]:
    """Prize profiles: heading line, then 'Einwohnerzahl', 'Bundesland', 'Titel', 'Schwerpunkt'."""
    groups = [(m.start(), _GROUP_TYPE[m.group(1)], m.group(2)) for m in _GROUP.finditer(text)]
    out = []
    for mark in _PROFILE_MARK.finditer(text):
        before = [ln for ln in text[: mark.start()].rstrip().split("\n") if ln.strip()]
        pos = mark.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
        fields = _PROFILE_FIELDS.match(text, pos)
        if not before or not fields:
            continue
        heading = before[-1].strip()
        group = [g for g in groups if g[0] < mark.start()]
        rec = Record(heading, doc_id, mark.start(), heading, "difu-profil")
        if group:
            rec.type_hint = group[-1][1]
            rec.add_fact("Prämierung", f"Preisträger: {group[-1][2]}", group[-1][0], group[-1][2])
        pop_text = re.sub(r"\s+", "", fields.group("pop"))
        rec.population = to_int(pop_text)
        rec.land = gz.land_code(fields.group("land").strip())
        title = strip_markup(fields.group("title"))
        rec.projects.append(title)
        for name, value, start in (
            ("Einwohnerzahl", pop_text, fields.start("pop")),
            ("Bundesland", fields.group("land").strip(), fields.start("land")),
            ("Titel des Beitrags", title, fields.start("title")),
            ("Schwerpunkt des Beitrags", strip_markup(fields.group("focus")), fields.start("focus")),
        ):
            rec.add_fact(name, value, start, _line_at(text, start))
        out.append(rec)
    return out


def parse_special_category(doc_id: str, text: str) -> list[Record]:
    """'Burgenlandkreis' / '(Landkreis in Sachsen-Anhalt; 184.081 Einwohnerinnen und Einwohner)'."""
    out = []
    for m in _SPECIAL.finditer(text):
        name = m.group("name").strip()
        rec = Record(name, doc_id, m.start(), short(m.group(0)), "difu-sonderkategorie")
        rec.type_hint = _SPECIAL_TYPE.get(m.group("type"), gz.KREISANGEHOERIG)
        rec.land = gz.land_code(m.group("land"))
        rec.population = to_int(m.group("pop"))
        rec.add_fact("Einwohnerzahl", m.group("pop"), m.start("pop"))
        rec.add_fact("Bundesland", m.group("land").strip(), m.start("land"))
        rec.add_fact("Prämierung", "Preisträger: Sonderkategorie „Bemerkenswerte Einzelprojekte“")
        out.append(rec)
    return out


def parse_appendix(doc_id: str, text: str) -> list[Record]:
    """Appendix 'Wettbewerbsteilnehmer im Überblick': rows grouped under Land headings."""
    start = text.find("Wettbewerbsteilnehmer im Überblick")
    if start < 0:
        return []
    out, land = [], None
    for offset, line in lines_with_offsets(text[start:]):
        offset += start
        stripped = strip_markup(line)
        if gz.land_code(stripped) and len(stripped) < 30:
            land = gz.land_code(stripped)
            continue
        if not stripped or stripped.startswith("Kommune ") or land is None:
            continue
        cells = line.split("\t") if "\t" in line else None
        if cells is None:
            m = _URL_SPLIT.match(stripped)
            if not m:
                continue
            cells = [m.group(1), m.group(2)]
        names = appendix_names(strip_markup(cells[0]))
        main, *eps = _EP_SPLIT.split(strip_markup(" ".join(cells[1:])).strip(" ,"))
        titles = [t.strip(" ,;") for t in [main, *eps] if t.strip(" ,;")]
        for name in names:
            rec = Record(name, doc_id, offset, short(stripped), "difu-anhang", land=land)
            rec.add_fact("Bundesland", gz.BUNDESLAENDER[land])
            if main.strip(" ,;"):
                rec.add_fact("Titel des Wettbewerbsbeitrags", main.strip(" ,;"))
            for ep in eps:
                rec.add_fact("Einzelprojekt", ep.strip(" ,;"))
            rec.projects.extend(titles)
            out.append(rec)
    return out


def appendix_names(cell: str) -> list[str]:
    """The municipality at the start of an appendix 'Kommune' cell (name, office, address)."""
    city_m = _ADDRESS_CITY.search(cell)
    city = city_m.group(1).strip() if city_m else None
    m = _NAME_PREFIX.match(cell)
    prefix, rest = (m.group(1), m.group(2)) if m else ("", cell)
    if prefix == "Stadt und Landkreis":
        name = _leading_name(rest, city)
        return [f"Stadt {name}", f"Landkreis {name}"]
    if prefix == "Bezirk":
        bm = re.match(r"^(.+?) von (Berlin|Hamburg)\b", rest)
        return [f"Bezirk {bm.group(1)} von {bm.group(2)}" if bm else f"Bezirk {rest.split()[0]}"]
    if not prefix and city and city in rest.split(" ", 3)[:3] and not rest.startswith(city):
        return [city]
    name = _leading_name(rest, city)
    return [f"{prefix} {name}".strip()]


def _leading_name(rest: str, city: str | None) -> str:
    if city and (rest == city or rest.startswith(city + " ")):
        return city
    tokens = rest.split()
    name = tokens[0]
    i = 1
    if name in _TWO_WORD and len(tokens) > 1:
        name, i = f"{name} {tokens[1]}", 2
    if i < len(tokens) and tokens[i].startswith("("):
        end = next((j for j in range(i, len(tokens)) if tokens[j].endswith(")")), i)
        name = " ".join([name, *tokens[i : end + 1]])
    elif i + 1 < len(tokens) and tokens[i] in ("am", "im", "an") and tokens[i + 1][:1].isupper():
        name = " ".join([name, tokens[i], tokens[i + 1]])
    return name


def _line_at(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return text[start : end if end >= 0 else len(text)]
