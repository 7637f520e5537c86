"""The municipality catalogue: ``Municipality`` records and the ``Catalogue`` around them.

Name resolution policy (``Catalogue.resolve``):
1. an exact alias (case, umlauts and punctuation ignored) wins. A bare name is the
   city or municipality: "Osnabrück" and "München" are the cities; the districts are
   always named with their prefix ("Landkreis München", "Kreis Osnabrück"). A
   Landkreis gets its bare name as alias only when no municipality shares it
   ("Nordfriesland" -> Kreis Nordfriesland);
2. otherwise the names found inside the text ("Stadt Dülmen in NRW");
3. otherwise names that contain the query as whole words ("Wilmersdorf");
several candidates in 1–3 raise ``BadRequest`` listing them; nothing at all raises
``NotFound`` with the closest names (difflib) as suggestions.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field
from typing import Any

from core.errors import BadRequest, NotFound
from index.municipalities import gazetteer as gz
from index.municipalities.matcher import AliasIndex, alias_key
from index.municipalities.taxonomy import THEMES, canonical_theme

CATALOGUE_VERSION = 8
_TYPE_WORDS = {
    "kreisfrei": gz.KREISFREI, "kreisangehoerig": gz.KREISANGEHOERIG, "gemeinde": gz.KREISANGEHOERIG,
    "landkreis": gz.LANDKREIS, "kreis": gz.LANDKREIS, "stadtbezirk": gz.STADTBEZIRK, "bezirk": gz.STADTBEZIRK,
    "ausland": gz.FOREIGN, "partnerstadt": gz.FOREIGN,
}


@dataclass
class Municipality:
    """One municipality of the catalogue, merged from every record the documents hold.

    ``type`` is one of ``gazetteer.TYPES``; ``bundesland`` the Land's full name;
    ``population`` inhabitants (from a document, else GeoNames; None = "ohne Angabe"),
    its origin in ``population_source``; ``facts`` are ``{name, value, source: {doc_id,
    passage_id, offset, quote}}`` statements from the documents; ``passages``/``mentions``/
    ``theme_evidence`` hold passage ids; ``provenance`` says per field whether it came
    from a document, the gazetteer or GeoNames.
    """

    id: str
    name: str
    type: str | None = None
    bundesland: str | None = None
    country: str = "Deutschland"
    population: int | None = None
    aliases: list[str] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    theme_evidence: dict[str, list[str]] = field(default_factory=dict)  # theme -> passage ids
    passages: list[str] = field(default_factory=list)  # passages about it (its subject)
    mentions: list[str] = field(default_factory=list)  # prose passages that only name it
    passage_titles: dict[str, str] = field(default_factory=dict)  # subject passage -> portrait/profile title
    sources: list[str] = field(default_factory=list)
    provenance: dict[str, str] = field(default_factory=dict)  # field -> "dokument" | "gazetteer" | "geonames"
    # Where the population figure comes from: {"source", "year", "doc_id", "passage_id", "quote"}
    population_source: dict[str, Any] | None = None
    # Every population figure known, official and stated: {"value", "source", "year", "doc_id",
    # "passage_id", "quote", "official"}; the official one (Destatis, GeoNames) first.
    figures: list[dict[str, Any]] = field(default_factory=list)
    ags: str | None = None  # official municipality key (Kreise and kreisfreie Städte)
    area_km2: float | None = None
    density: float | None = None  # inhabitants per km² (Destatis)
    settlement: str | None = None  # "ländlich" | "städtisch" | "gemischt" (reference.py's BBSR rule)
    settlement_source: str | None = None  # the rule and data behind ``settlement``
    lat: float | None = None  # WGS84 degrees (GeoNames)
    lon: float | None = None
    rows: dict[str, str] = field(default_factory=dict)  # reference passage id -> its table row naming it

    def fact(self, name: str) -> list[dict[str, Any]]:
        """All facts with this ``name`` ("Titel des Beitrags", "Prämierung", ...), in stored order."""
        return [f for f in self.facts if f["name"] == name]

    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-ready data (the shape stored in ``catalogue.json``)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Municipality":
        """Inverse of :meth:`to_dict`; unknown keys are ignored."""
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in names})


class Catalogue:
    """The municipalities, their alias index, and the documents' own groupings of them
    (``groups``: dicts of ``index.municipalities.groups.Group``)."""

    def __init__(self, municipalities: list[Municipality], groups: list[dict[str, Any]] | None = None):
        self.municipalities = sorted(municipalities, key=lambda m: m.id)
        self.groups = list(groups or [])
        self._by_id = {m.id: m for m in self.municipalities}
        self.index = AliasIndex((a, m.id) for m in self.municipalities for a in [m.name, *m.aliases])

    def __len__(self) -> int:
        return len(self.municipalities)

    def __iter__(self):
        return iter(self.municipalities)

    def get(self, mid: str) -> Municipality:
        """The municipality with id ``mid``; ``NotFound`` with up to 5 close names as
        ``detail["suggestions"]`` otherwise."""
        try:
            return self._by_id[mid]
        except KeyError:
            raise NotFound(f"unknown municipality: {mid!r}", {"suggestions": self._suggest(mid)},
                           cause="municipality_not_found") from None

    def groups_of(self, mid: str) -> list[dict[str, Any]]:
        """The groups (prize category, case studies, programme) a municipality belongs to."""
        return [g for g in self.groups if mid in g["members"]]

    def by_alias(self, name: str) -> list[Municipality]:
        """Municipalities one of whose aliases equals ``name`` after folding (see
        ``gazetteer.fold``), in id order; [] if none."""
        return [self._by_id[i] for i in sorted(self.index.exact(name))]

    def resolve(self, name: str) -> Municipality:
        """The one municipality ``name`` means, by the policy in the module docstring.

        Raises ``BadRequest`` for an empty name or an ambiguous one (``detail["candidates"]``)
        and ``NotFound`` when nothing matches (``detail["suggestions"]``, from difflib).
        """
        if not name or not name.strip():
            raise BadRequest("empty municipality name", cause="municipality_or_description")
        for candidates in (self.by_alias(name), self.find_in_text(name), self._containing(name)):
            if len(candidates) == 1:
                return candidates[0]
            if len(candidates) > 1:
                names = [m.name for m in candidates]
                raise BadRequest(f"ambiguous municipality name: {name!r}", {"candidates": names},
                                 cause="ambiguous_municipality")
        raise NotFound(f"unknown municipality: {name!r}", {"suggestions": self._suggest(name)},
                       cause="municipality_not_found")

    def find_in_text(self, text: str) -> list[Municipality]:
        """Municipalities named in ``text``, in order of first mention (ambiguous aliases skipped)."""
        return [self._by_id[i] for i in self.index.find(text)]

    def filter(self, bundesland=None, type=None, min_population=None, max_population=None, theme=None,
               include_unknown_population: bool = False) -> list[Municipality]:
        """Municipalities matching every given criterion, in id order.

        A population bound excludes municipalities whose population is unknown unless
        ``include_unknown_population`` ("ohne Angabe") is set. Unknown Land, type or theme
        values raise ``BadRequest`` listing the valid ones.
        """
        land = None
        if bundesland is not None:
            land = gz.land_name(bundesland)
            if land is None:
                raise BadRequest(f"unknown Bundesland: {bundesland!r}", {"valid": list(gz.BUNDESLAENDER.values())},
                                 cause="unknown_bundesland")
        wanted_type = _canonical_type(type) if type is not None else None
        wanted_theme = None
        if theme is not None:
            wanted_theme = canonical_theme(theme)
            if wanted_theme is None:
                raise BadRequest(f"unknown field of action (theme): {theme!r}", {"valid": list(THEMES)},
                                 cause="unknown_theme")
        out = []
        for m in self.municipalities:
            if land and m.bundesland != land:
                continue
            if wanted_type and m.type != wanted_type:
                continue
            if m.population is None:
                if (min_population is not None or max_population is not None) and not include_unknown_population:
                    continue
            elif (min_population is not None and m.population < min_population) or (
                    max_population is not None and m.population > max_population):
                continue
            if wanted_theme and wanted_theme not in m.themes:
                continue
            out.append(m)
        return out

    def coverage(self) -> dict[str, Any]:
        """Counts for the manifest and README: municipalities, how many have each field,
        where populations come from, number of facts, and municipalities per type."""
        ms = self.municipalities
        by_type: dict[str, int] = {}
        for m in ms:
            by_type[m.type or "unbekannt"] = by_type.get(m.type or "unbekannt", 0) + 1
        return {
            "municipalities": len(ms),
            "with_type": sum(m.type is not None for m in ms),
            "with_bundesland": sum(m.bundesland is not None for m in ms),
            "with_country": sum(bool(m.country) for m in ms),
            "with_population": sum(m.population is not None for m in ms),
            "with_projects": sum(bool(m.projects) for m in ms),
            "with_themes": sum(bool(m.themes) for m in ms),
            "with_passages": sum(bool(m.passages) for m in ms),
            "with_mentions": sum(bool(m.mentions) for m in ms),
            "with_evidence": sum(bool(m.passages or m.mentions or m.projects) for m in ms),
            "population_from_documents": sum(m.provenance.get("population") == "dokument" for m in ms),
            "population_from_geonames": sum(m.provenance.get("population") == "geonames" for m in ms),
            "facts": sum(len(m.facts) for m in ms),
            "by_type": dict(sorted(by_type.items())),
        }

    def to_dict(self) -> dict[str, Any]:
        """``{"version": CATALOGUE_VERSION, "municipalities": [...], "groups": [...]}``,
        the snapshot's ``catalogue.json`` (the builder adds ``project_titles``)."""
        return {"version": CATALOGUE_VERSION, "municipalities": [m.to_dict() for m in self.municipalities],
                "groups": self.groups}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Catalogue":
        """Inverse of :meth:`to_dict`; other keys (``version``, ``project_titles``) are ignored."""
        return cls([Municipality.from_dict(m) for m in data.get("municipalities", [])], data.get("groups", []))

    def _containing(self, name: str) -> list[Municipality]:
        query = alias_key(name)
        if not query:
            return []
        n = len(query)
        hits = {
            mid
            for key, ids in self.index.keys.items()
            if any(key[i : i + n] == query for i in range(len(key) - n + 1))
            for mid in ids
        }
        return [self._by_id[i] for i in sorted(hits)]

    def _suggest(self, name: str) -> list[str]:
        names = {a: m.name for m in self.municipalities for a in [m.name, *m.aliases]}
        close = difflib.get_close_matches(name, list(names), n=8, cutoff=0.6)
        return list(dict.fromkeys(names[c] for c in close))[:5]


def _canonical_type(value: str) -> str:
    if value in gz.TYPES:
        return value
    key = gz.fold(value).split()
    for word in key:
        for stem, typ in _TYPE_WORDS.items():
            if word.startswith(stem):
                return typ
    raise BadRequest(f"unknown municipality type: {value!r}", {"valid": list(gz.TYPES)},
                     cause="unknown_municipality_type")
