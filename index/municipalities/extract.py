"""Build the catalogue: collect records from every document, merge them, attach passages.

Three passes, each on the cleaned ``Document.text`` (the raw exports work too):
1. structured sources — Difu profiles, special category and appendix, DESI Tabelle 1
   and interview list, the Darmstadt partner-city slides: the few layouts whose tables
   carry more than a name (facts, project titles, prize categories);
2. the entity linker over every document (``linker.py``, ``subjects.py``): every
   municipality any document names or is about, with type and Land from the official
   reference data, and the population figures documents state;
3. DESI "good ideas" headings whose closing parenthesis names municipalities.
Type, Land, population and settlement type then come from the reference data
(``reference.enrich`` for Kreise and kreisfreie Städte, ``geodata.enrich`` for towns).
Records are grouped by (kind, folded base name), so "Landkreis Osnabrück" and
"Osnabrück" never merge; "Kempten" merges into "Kempten (Allgäu)" because only one
qualified form of that name exists.
"""

from __future__ import annotations

from collections import defaultdict

from core.schema import Document, Passage
from index.municipalities import gazetteer as gz
from index.municipalities import geodata, reference, subjects
from index.municipalities.evidence import attach_passages, passage_locator
from index.municipalities.groups import find_groups
from index.municipalities.model import Catalogue, Municipality
from index.municipalities.names import ParsedName, aliases_for, parse_name, place_adjectives
from index.municipalities.records import Record
from index.municipalities.sources.desi import creatable, parse_ideas, parse_interviews, parse_table1
from index.municipalities.sources.difu import parse_appendix, parse_profiles, parse_special_category
from index.municipalities.linker import PRIOR_RATIO, EntityLinker, Entity
from index.municipalities.sources.darmstadt import parse_partner_cities

_STRUCTURED = (parse_profiles, parse_special_category, parse_appendix, parse_table1, parse_interviews,
               parse_partner_cities)


def build_catalogue(documents: list[Document], passages: list[Passage]) -> Catalogue:
    """The municipality catalogue of a corpus, built in the three passes of the module
    docstring, then linked to ``passages`` (``evidence.attach_passages``), enriched with
    GeoNames populations (``geodata.enrich``) and grouped (``groups.find_groups``).

    ``documents`` need their cleaned ``text``; ``passages`` are the snapshot's, in order.
    Deterministic for the same input; raises nothing for documents without municipalities.
    """
    records = [r for doc in documents for parse in _STRUCTURED for r in parse(doc.id, doc.text)]
    catalogue = _assemble(records)
    linker = EntityLinker(extra=catalogue_entities(catalogue))
    headings: dict[str, list[str]] = {}
    for p in passages:
        headings.setdefault(p.doc_id, [])
        headings[p.doc_id].extend(h for h in p.section_path if h not in headings[p.doc_id])
    found = {doc.id: subjects.analyse(doc, linker, headings.get(doc.id)) for doc in documents}
    known = {parse_name(r.name).key for r in records}
    for doc in documents:
        records.extend(subjects.records(doc, found[doc.id], known))
    catalogue = _assemble(records)
    for doc in documents:
        records.extend(parse_ideas(doc.id, doc.text, lambda item: _resolve_item(catalogue, item)))
    catalogue = _assemble(records)
    linker = EntityLinker(extra=catalogue_entities(catalogue))
    attach_passages(catalogue, documents, passages, found, linker)
    reference.enrich(catalogue.municipalities)
    geodata.enrich(catalogue.municipalities, documents)
    catalogue = Catalogue(catalogue.municipalities)  # re-indexed: enrich may add a Land
    groups = find_groups(catalogue, documents, passage_locator(passages))
    return Catalogue(catalogue.municipalities, [g.to_dict() for g in groups])


def collect_records(documents: list[Document]) -> list[Record]:
    """Pass 1 only (structured sources), for inspection and tests."""
    return [r for doc in documents for parse in _STRUCTURED for r in parse(doc.id, doc.text)]


def _resolve_item(catalogue: Catalogue, item: str) -> str | None:
    """A name for an item of a heading list that parses back to the known municipality."""
    found = catalogue.by_alias(item)
    if not found and creatable(item):
        return item
    found = found or catalogue.find_in_text(item)
    if len(found) != 1:
        return None
    m = found[0]
    return f"Bezirk {m.name}" if m.type == gz.STADTBEZIRK else m.name


def catalogue_entities(catalogue: Catalogue) -> list[tuple[str, Entity]]:
    """(name, Entity) for every catalogue municipality and alias, so the linker also knows the
    entries that the reference data lacks (Berlin and Hamburg districts, Samtgemeinden,
    foreign partner cities, towns GeoNames records under another name)."""
    out = []
    for m in catalogue.municipalities:
        parsed = parse_name(m.name)
        kind = "bezirk" if m.type == gz.STADTBEZIRK else "kreis" if m.type == gz.LANDKREIS else parsed.kind
        ent = Entity(kind, m.name if kind == "bezirk" else parsed.base, m.name, m.type, gz.land_code(m.bundesland), m.population,
                     country=m.country, catalogued=True)
        adjectives = place_adjectives(parsed.base)  # they mention a place; they never name a new entry
        for alias in [m.name, *m.aliases, ent.base]:
            if alias in adjectives:
                continue
            first = alias.split()[0] if alias.split() else ""
            # the linker reads prefixes itself ("Stadt und Landkreis Hof" names both), so a
            # Kreis is known by its base name, not as "Landkreis Hof"
            if "," not in alias and not (kind == "kreis" and first in _PREFIX_WORDS):
                out.append((alias, ent))
    return out


_PREFIX_WORDS = {"Landkreis", "Landkreises", "Kreis", "Kreises"}


def _assemble(records: list[Record]) -> Catalogue:
    groups: dict[tuple[str, str], list[tuple[Record, ParsedName]]] = defaultdict(list)
    for rec in records:
        parsed = parse_name(rec.name)
        if parsed.base:
            groups[parsed.key].append((rec, parsed))
    groups = _merge_qualified(groups)
    munis, kinds = [], {}
    taken: set[str] = set()
    for key in sorted(groups):
        muni = _municipality(sorted(groups[key], key=lambda rp: (rp[0].rank, rp[0].offset)), taken)
        munis.append(muni)
        kinds[muni.id] = key
    _bare_kreis_aliases(munis, kinds, groups)
    return Catalogue(munis)


def _merge_qualified(groups):
    """'kempten' and 'kempten im allgaeu' join 'kempten allgaeu' when the qualifier is unique."""
    by_core = defaultdict(list)
    for kind, base in groups:
        by_core[(kind, gz.fold(gz.strip_qualifier(_first(groups[(kind, base)]).base)))].append((kind, base))
    merged = dict(groups)
    for (kind, core), keys in by_core.items():
        qualified = [k for k in keys if k[1] != core]
        qualifiers = {_qualifier(_first(groups[k]).base) for k in qualified}
        if len(keys) < 2 or len(qualifiers) != 1:
            continue
        target = min(qualified, key=lambda k: min(r.rank for r, _ in groups[k]))
        for k in keys:
            if k != target:
                merged[target] = merged[target] + merged.pop(k)
    return merged


def _first(pairs) -> ParsedName:
    return pairs[0][1]


def _qualifier(base: str) -> str:
    rest = gz.fold(base)[len(gz.fold(gz.strip_qualifier(base))) :].split()
    return " ".join(w for w in rest if w not in ("im", "am", "an", "der", "in", "ob"))


def _municipality(pairs: list[tuple[Record, ParsedName]], taken: set[str]) -> Municipality:
    top_rec, top = pairs[0]
    qualified = [p for _, p in pairs if gz.strip_qualifier(p.base) != p.base and "/" not in p.base]
    display = top.display if gz.strip_qualifier(top.base) != top.base or not qualified else qualified[0].display
    provenance = {}
    kind, base = top.kind, top.base
    type_ = next((r.type_hint for r, _ in pairs if r.type_hint), None) or next(
        (p.type_hint for _, p in pairs if p.type_hint), None
    )
    land = next((r.land for r, _ in pairs if r.land), None) or next((p.land for _, p in pairs if p.land), None)
    country = next((r.country for r, _ in pairs if r.country), None)
    if land:
        provenance["bundesland"] = "dokument"
    if type_:
        provenance["type"] = "dokument"
    if country is None and (type_ is None or land is None):
        type_, land, provenance = _from_reference(kind, base, type_, land, provenance)
    population = next((r.population for r, _ in pairs if r.population is not None), None)
    if population is not None:
        provenance["population"] = "dokument"
    mid = gz.slugify(display)
    if mid in taken:
        mid = f"{mid}-{(land or country or 'x').lower()}"
    taken.add(mid)
    aliases: set[str] = set()
    facts, projects, seen = [], [], set()
    for rec, parsed in pairs:
        aliases |= aliases_for(parsed)
        for fact in rec.facts:
            sig = (fact["name"], fact["value"], rec.doc_id)
            if sig not in seen:
                seen.add(sig)
                source = {"doc_id": rec.doc_id, "passage_id": None, "offset": fact["offset"], "quote": fact["quote"]}
                facts.append({"name": fact["name"], "value": fact["value"], "source": source})
        projects.extend(p for p in rec.projects if p not in projects)
    aliases.discard(display)
    return Municipality(
        id=mid, name=display, type=type_, bundesland=gz.BUNDESLAENDER.get(land) if land else None,
        country=country or "Deutschland", population=population, aliases=sorted(aliases), facts=facts,
        projects=projects, sources=sorted({r.doc_id for r, _ in pairs}), provenance=provenance,
    )


def _from_reference(kind, base, type_, land, provenance):
    """Type and Land from the official reference data (``reference.py``): Destatis for Kreise
    and kreisfreie Städte (the list is complete, so any other German town is
    kreisangehörig), GeoNames for a town's Land when its name is unique among German places."""
    if kind == "bezirk":
        type_ = type_ or gz.STADTBEZIRK
        provenance.setdefault("type", "gazetteer")
        return type_, land, provenance
    ref = reference.find_kreis(kind, base, land)
    if ref is not None:
        type_, land = type_ or ref.type, land or ref.land
        provenance.setdefault("type", "destatis")
        provenance.setdefault("bundesland", "destatis")
        return type_, land, provenance
    type_ = type_ or (gz.LANDKREIS if kind == "kreis" else gz.KREISANGEHOERIG)
    provenance.setdefault("type", "destatis")
    if land is None and kind == "muni":
        rec = geodata.lookup(base, prior_ratio=PRIOR_RATIO)
        if rec is not None:
            land = rec.land
            provenance.setdefault("bundesland", "geonames")
    return type_, land, provenance


def _bare_kreis_aliases(munis, kinds, groups) -> None:
    """'Nordfriesland' names the Kreis when no municipality of that name is known."""
    muni_cores = {gz.fold(gz.strip_qualifier(_first(groups[k]).base)) for k in kinds.values() if k[0] != "kreis"}
    for m in munis:
        kind, base_key = kinds[m.id]
        if kind != "kreis":
            continue
        parsed = _first(groups[(kind, base_key)])
        if parsed.display == parsed.base or gz.fold(gz.strip_qualifier(parsed.base)) in muni_cores:
            continue
        extra = {parsed.base, parsed.base.split("/")[0], gz.strip_qualifier(parsed.base)}
        m.aliases = sorted(set(m.aliases) | extra)
