"""What a recommendation query is about: a municipality or a free-text description.

``parse_description("ländlicher Landkreis in Brandenburg, 80.000 Einwohner, Schwerpunkt
Ehrenamt")`` gives type Landkreis, Land Brandenburg, 80,000 inhabitants, settlement
"ländlich" and the theme Engagement/Ehrenamt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from index.municipalities import gazetteer as gz
from index.municipalities.model import Municipality
from index.municipalities.taxonomy import themes_in_text

from index.municipalities.reference import MIXED, RURAL, URBAN, settlement_of_gemeinde  # noqa: E402

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
    focus: str | None = None  # a description's "Schwerpunkt …"

    def understood(self) -> list[dict[str, str]]:
        """What a description was read as, in German, one part per constraint:
        ``[{"part": "typ" | "land" | "einwohner" | "siedlung" | "schwerpunkt", "text": …}]``
        (shown back to the user; each part can be dropped with ``ignore``)."""
        out = []
        if self.type:
            out.append({"part": "typ", "text": self.type})
        if self.land:
            out.append({"part": "land", "text": gz.BUNDESLAENDER[self.land]})
        if self.population:
            out.append({"part": "einwohner", "text": f"rund {self.population:,} Einwohner".replace(",", ".")})
        if self.settlement:
            out.append({"part": "siedlung", "text": self.settlement})
        if self.focus or self.themes:
            out.append({"part": "schwerpunkt", "text": f"Schwerpunkt {self.focus or ', '.join(self.themes)}"})
        return out

    def without(self, parts) -> "QueryProfile":
        """A copy with the named parts of :meth:`understood` dropped."""
        parts = set(parts or ())
        return replace(
            self, type=None if "typ" in parts else self.type, land=None if "land" in parts else self.land,
            population=None if "einwohner" in parts else self.population,
            settlement=None if "siedlung" in parts else self.settlement,
            focus=None if "schwerpunkt" in parts else self.focus,
            themes=[] if "schwerpunkt" in parts else list(self.themes))


def settlement_of(type_: str | None, population: int | None) -> str | None:
    """Rural or urban when the reference data has no settlement type (a description, a
    Berlin district): a kreisfreie Stadt or Stadtbezirk is urban; a town by the BBSR's
    Stadt- und Gemeindetyp of its population (``reference.settlement_of_gemeinde``); a
    Landkreis by its type alone is not known (the BBSR types Kreise by density, and
    "Landkreis München" is urban); None when nothing is known."""
    if type_ in (gz.KREISFREI, gz.STADTBEZIRK):
        return URBAN
    if type_ == gz.LANDKREIS:
        return None
    typed = settlement_of_gemeinde(population)
    return typed[0] if typed else None


def profile_of(m: Municipality) -> QueryProfile:
    """The profile of a catalogue municipality (its own type, Land, population, themes)."""
    return QueryProfile(
        text=m.name, id=m.id, name=m.name, type=m.type, land=gz.land_code(m.bundesland),
        population=m.population, themes=list(m.themes),
        settlement=m.settlement or settlement_of(m.type, m.population),
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
    focus = _FOCUS.search(text)
    return QueryProfile(
        text=text, type=type_, land=parse_land(text), population=population,
        themes=themes_in_text(text), settlement=settlement,
        focus=(focus.group(1) or focus.group(2)).strip(" .,;") if focus else None,
    )


_FOCUS = re.compile(r"(?i)\b(?:schwerpunkte?|thema|fokus|focus|topic)\b[:\s]+(.+)$"
                    r"|\bmit\s+(?!(?:rund|etwa|ca\.|über|knapp|gut)?\s*\d)(.+)$")


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
