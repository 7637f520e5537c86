"""Partner cities of the Darmstadt survey slides (``darmstadt-partnerstaedte-willkommenskultur``).

The slides report, per partner city, what it does ("Rückmeldung aus den Partnerstädten")
and whom the city orients itself by ("Orientierung an …"); each becomes a record with its
line as the quote.
"""

from __future__ import annotations

import re

from index.municipalities import gazetteer as gz
from index.municipalities import geodata
from index.municipalities.reference import country_name
from index.municipalities.records import Record, lines_with_offsets, short

_PARTNER_MARK = re.compile(r"^\s*Rückmeldung aus den Partnerstädten\s*$", re.M)
_ORIENTATION = re.compile(r"^\s*Orientierung an (.+?):?\s*$")
_TITLE_CITY = re.compile(r"^\s*(?P<title>[^()]{4,120}?)\s*\((?P<city>[A-ZÄÖÜ][\wäöüß-]+)\)\s*$")
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
        country = _abroad(name)
        if country:
            rec.country, rec.type_hint = country, gz.FOREIGN
        out.append(rec)
    host = _host_city(text, [r.name for r in out])
    for rec in out:
        if rec.name != host:
            rec.add_fact("Partnerstadt von", host or "unbekannt")
    out.extend(_guidelines(doc_id, text, {r.name for r in out}))
    return out


def _abroad(name: str) -> str | None:
    """German name of the country of a partner city that is no German place (GeoNames)."""
    if geodata.candidates(name):
        return None
    place = geodata.lookup_foreign(name)
    return country_name(place.country) if place else None


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
