"""Parsers for the DESI handbook: Tabelle 1, the interview list and the "good ideas".

Tabelle 1 rows are matched by their column shape (name, Land code, population,
foreign population, share, Schutzsuchende, share), so tabs or spaces both work.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from index.municipalities import gazetteer as gz
from index.municipalities.names import parse_name
from index.municipalities.records import Record, lines_with_offsets, short, strip_markup, to_int

_NUM = r"(?:\d{1,3}(?:\.\d{3})+|\d+)\**|---"
_PCT = r"\d+,\d+\s?%\**|---"
_TABLE_ROW = re.compile(
    rf"^(?P<name>\S.*?)\s+(?P<land>[A-Z]{{2}})\s+(?P<pop>{_NUM})\s+(?P<aus>{_NUM})\s+(?P<ausp>{_PCT})"
    rf"\s+(?P<schutz>{_NUM})\s+(?P<schutzp>{_PCT})\s*$"
)
_TABLE_HEADER = re.compile(r"^Kommune\s+Bundesland\s+Bevölkerung\s+Ausländische Bevölkerung", re.M)
_INTERVIEW_HEADER = re.compile(r"^Kommune\s+Gesprächspartner", re.M)
_DATE = re.compile(r"\d{1,2}\. (?:Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember) \d{4}")
_IDEA = re.compile(r"^(?:[-•]\s*)?(?:\*\*)?(?P<title>[^()]{3,200}?(?:\([^()]*\)[^()]*?)*?)\s*\((?P<list>(?:[^()]|\([^()]*\))+)\)(?:\*\*)?\s*$")
_MD_LINK = re.compile(r"\[((?:[^\[\]\\]|\\.)+)\]\([^)\s]*\)")  # never across another "[": linear
_OFFICE = re.compile(r"(?i)(amt|behörde|büro|stelle)$")
_COLUMNS = (
    ("pop", "Einwohnerzahl"), ("aus", "Ausländische Bevölkerung"), ("ausp", "Ausländeranteil"),
    ("schutz", "Schutzsuchende"), ("schutzp", "Anteil Schutzsuchende"),
)


def parse_table1(doc_id: str, text: str) -> list[Record]:
    """DESI 'Tabelle 1 Relevante Daten der Fallstudien-Kommunen' (36 rows)."""
    header = _TABLE_HEADER.search(text)
    if not header:
        return []
    out = []
    for offset, line in lines_with_offsets(text[header.start() :]):
        offset += header.start()
        m = _TABLE_ROW.match(line.strip())
        if not m:
            if line.startswith(("Quellen", "* Stand")):
                break
            continue
        land = m.group("land")
        if land not in gz.BUNDESLAENDER:
            continue
        rec = Record(m.group("name"), doc_id, offset, short(line), "desi-tabelle-1", land=land)
        rec.type_hint = parse_name(m.group("name")).type_hint
        rec.population = to_int(m.group("pop"))
        rec.add_fact("Bundesland", gz.BUNDESLAENDER[land])
        for group, label in _COLUMNS:
            value = m.group(group).replace("*", "").strip()
            if value != "---":
                rec.add_fact(label, value, offset + m.start(group))
        out.append(rec)
        parent = parse_name(m.group("name")).parent
        if parent:  # "(Kreis Wesel)": the Kreis is named too
            kreis = Record(parent, doc_id, offset, short(line), "desi-tabelle-1-kreis", land=land)
            kreis.type_hint = gz.LANDKREIS
            out.append(kreis)
    return out


def parse_interviews(doc_id: str, text: str) -> list[Record]:
    """'Anlage 1 Liste der Interviews in Kommunen': Kommune, Gesprächspartner:innen, Datum."""
    header = _INTERVIEW_HEADER.search(text)
    if not header:
        return []
    out = []
    body = text.find("\n", header.end()) + 1
    for offset, line in lines_with_offsets(text[body:]):
        offset += body
        if line.startswith("Anlage"):
            break
        if "\t" not in line:
            continue
        cells = [c.strip() for c in line.split("\t")]
        date = _DATE.search(cells[-1])
        rec = Record(cells[0], doc_id, offset, short(line), "desi-interviews")
        if date:
            rec.add_fact("Interview (DESI-Fallstudie)", date.group(0))
        out.append(rec)
    return out


def parse_ideas(doc_id: str, text: str, resolve: Callable[[str], str | None]) -> list[Record]:
    """Headings like 'Flexible Stellenstrukturen (Flensburg, Landkreis Karlsruhe, Leipzig)'.

    ``resolve`` maps an item to a municipality name (or None); a line counts only when
    every item of its closing parenthesis resolves (office words like "Ausländeramt"
    are skipped).
    """
    out = []
    for offset, line in lines_with_offsets(text):
        stripped = _MD_LINK.sub(r"\1", line.strip()).replace("\\(", "(").replace("\\)", ")")
        for head in _heads(stripped):
            found = _idea(head, resolve)
            if found:
                title, names = found
                for name in dict.fromkeys(names):
                    rec = Record(name, doc_id, offset, short(head), "desi-gute-idee")
                    rec.projects.append(title)
                    rec.add_fact("Gute Idee (DESI)", title)
                    out.append(rec)
                break
    return out


def _heads(line: str) -> list[str]:
    """The whole line if it is heading-sized, else (for a bullet joined with its
    description) every prefix ending in ')' before a new sentence."""
    heads = []
    if len(line) <= 220 and line.endswith((")", ")**")):
        heads.append(line)
    if line[:1] in "-•":
        heads += [line[: m.start() + 1] for m in re.finditer(r"\)\s+(?=[A-ZÄÖÜ„\"])", line[:250])]
    return heads


def _idea(head: str, resolve: Callable[[str], str | None]) -> tuple[str, list[str]] | None:
    if head.count("(") > 6:
        return None
    m = _IDEA.match(head)
    if not m:
        return None
    items = [i for i in _split_items(m.group("list")) if not _OFFICE.search(i)]
    names = [resolve(item) for item in items]
    if not items or any(n is None for n in names):
        return None
    title = re.sub(r"^[-•]\s*", "", strip_markup(m.group("title"))).strip(" -–:")
    if len(title) < 4 or title[0].islower():
        return None
    return title, names


def creatable(item: str) -> bool:
    """An unknown item still names a municipality when its form says so ("Landkreis X")."""
    parsed = parse_name(item)
    return parsed.kind in ("kreis", "bezirk") or parsed.written != parsed.base or parsed.type_hint is not None


def _split_items(inner: str) -> list[str]:
    """'Dortmund, Eimsbüttel in Hamburg, Halle (Saale)' -> three items (parentheses kept)."""
    items, depth, current = [], 0, ""
    for ch in inner:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += ch
    items.append(current)
    out = []
    for item in items:
        out.extend(p for p in re.split(r"\s+und\s+", item) if p.strip())
    return [strip_markup(i).strip() for i in out if i.strip()]
