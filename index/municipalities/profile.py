"""What a recommendation query is about: a municipality or a free-text description.

``parse_description("ländlicher Landkreis in Brandenburg, 80.000 Einwohner, Schwerpunkt
Ehrenamt")`` gives type Landkreis, Land Brandenburg, 80,000 inhabitants, settlement
"ländlich" and the theme Engagement/Ehrenamt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.municipalities import gazetteer as gz
from index.municipalities.model import Municipality
from index.municipalities.taxonomy import themes_in_text

RURAL, URBAN, MIXED = "ländlich", "städtisch", "gemischt"

_POPULATION = re.compile(
    r"(?P<num>\d{1,3}(?:[.\s\u202f]\d{3})+|\d+(?:,\d+)?)\s*(?P<unit>k\b|tsd\.?|tausend|mio\.?|millionen)?"
    r"\s*(?P<ew>einwohner\w*|ew\b|einw\.?)?",
    re.IGNORECASE,
)
_UNITS = {"k": 1_000, "tsd": 1_000, "tausend": 1_000, "mio": 1_000_000, "millionen": 1_000_000}
_ADJECTIVES = {
    "bayerisch": "BY", "saechsisch": "SN", "hessisch": "HE", "niedersaechsisch": "NI", "thueringisch": "TH",
    "brandenburgisch": "BB", "saarlaendisch": "SL", "nordrhein westfaelisch": "NW", "rheinland pfaelzisch": "RP",
    "baden wuerttembergisch": "BW", "schleswig holsteinisch": "SH", "mecklenburgisch": "MV",
}
_TYPE_WORDS = (  # first match wins
    (r"\bkreisfrei", gz.KREISFREI), (r"\bkreisangehoerig|\b(?:grosse )?kreisstadt", gz.KREISANGEHOERIG),
    (r"\b(?:stadt)?bezirk", gz.STADTBEZIRK), (r"\b(?:land)?kreis\b|\blandkreis", gz.LANDKREIS),
    (r"\b(?:samt)?gemeinde|\bkleinstadt|\bmittelstadt|\bdorf\b", gz.KREISANGEHOERIG),
)
_RURAL = re.compile(r"\blaendlich|\bdorf|\bflaechen|\bauf dem land\b|\bprovinz")
_URBAN = re.compile(r"\bstaedtisch|\burban|\bgrossstadt|\bmetropol|\bballungs")


@dataclass
class QueryProfile:
    """What the recommender compares: a catalogue municipality (``id``, ``name`` set) or a
    parsed description. ``land`` is a Land code, ``population`` inhabitants, ``themes``
    taxonomy names, ``settlement`` one of ``RURAL``/``URBAN``/``MIXED`` or None."""

    text: str = ""
    id: str | None = None
    name: str | None = None
    type: str | None = None
    land: str | None = None  # Land code
    population: int | None = None
    themes: list[str] = field(default_factory=list)
    settlement: str | None = None


def settlement_of(type_: str | None, population: int | None) -> str | None:
    """Rural or urban from type and size: a Landkreis is rural, a kreisfreie Stadt or
    Stadtbezirk urban; otherwise >= 100,000 inhabitants urban, < 50,000 rural, between
    mixed; None when neither is known."""
    if type_ == gz.LANDKREIS:
        return RURAL
    if type_ in (gz.KREISFREI, gz.STADTBEZIRK):
        return URBAN
    if population is None:
        return None
    if population >= 100_000:
        return URBAN
    return RURAL if population < 50_000 else MIXED


def profile_of(m: Municipality) -> QueryProfile:
    """The profile of a catalogue municipality (its own type, Land, population, themes)."""
    return QueryProfile(
        text=m.name, id=m.id, name=m.name, type=m.type, land=gz.land_code(m.bundesland),
        population=m.population, themes=list(m.themes), settlement=settlement_of(m.type, m.population),
    )


def parse_description(text: str) -> QueryProfile:
    """Profile from a free-text description: type words ("Landkreis", "Kleinstadt"), Land
    (:func:`parse_land`), population (:func:`parse_population`), "ländlich"/"städtisch"
    (else from type and size) and themes (``taxonomy.themes_in_text``). Unrecognised
    parts stay None; never raises."""
    folded = gz.fold(text)
    type_ = next((t for pattern, t in _TYPE_WORDS if re.search(pattern, folded)), None)
    population = parse_population(text)
    settlement = RURAL if _RURAL.search(folded) else URBAN if _URBAN.search(folded) else None
    if settlement is None:
        settlement = settlement_of(type_, population)
    return QueryProfile(
        text=text, type=type_, land=parse_land(text), population=population,
        themes=themes_in_text(text), settlement=settlement,
    )


_DATE = re.compile(r"\b\d{1,2}\.\s?\d{1,2}\.\s?(?:\d{4}|\d{2})\b|\b\d{1,2}\.\s?(?:Januar|Februar|März|April|Mai|"
                   r"Juni|Juli|August|September|Oktober|November|Dezember)\s+\d{4}\b", re.IGNORECASE)


def parse_population(text: str) -> int | None:
    """'80.000 Einwohner', '80 000', '80k', '1,2 Mio.' -> int; years like 2018 and German
    dates ("Stand 31.12.2022", "1. Januar 2023") are never read as figures."""
    text = _DATE.sub(" ", text)
    for m in _POPULATION.finditer(text):
        raw, unit, ew = m.group("num"), (m.group("unit") or "").lower().rstrip("."), m.group("ew")
        value = float(re.sub(r"[.\s\u202f]", "", raw).replace(",", "."))
        if unit:
            return int(round(value * _UNITS[unit]))
        grouped = bool(re.search(r"[.\s\u202f]\d{3}$", raw))
        if ew or grouped or (value >= 1000 and not 1900 <= value <= 2100):
            return int(value)
    return None


def parse_land(text: str) -> str | None:
    """Land code named in ``text``: a Land's name (longest first), an adjective
    ("bayerischer", "sächsische") or a code in capitals ("NRW", "BB"); else None."""
    folded = f" {gz.fold(text)} "
    names = sorted(gz.BUNDESLAENDER.items(), key=lambda kv: -len(kv[1]))
    for code, name in names:
        if f" {gz.fold(name)} " in folded:
            return code
    for stem, code in sorted(_ADJECTIVES.items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"\b{stem}", folded):
            return code
    for token in re.findall(r"\b[A-Z]{2,3}\b", text):
        code = "NW" if token == "NRW" else token
        if code in gz.BUNDESLAENDER:
            return code
    return None
