"""What any document says about municipalities: its subjects and the figures it states.

Built on the entity linker (``linker.py``), for every document, whatever its layout:

- **records**: one ``Record`` per linked mention (source "verlinkt"), with type and Land
  from the reference data, so a municipality the corpus never named before enters the
  catalogue. Unprefixed names enter only when the document makes them a subject or names
  them at least twice; a name after a prefix ("Samtgemeinde Elm-Asse") always does.
- **document subject**: the municipality the title and first lines name ("Integrationskonzept
  des Landkreises X", "Pressemitteilung der Stadt X"), when the document names it more
  often than any other (``document_subject``).
- **section subjects**: the municipalities a section heading names (``heading_subjects``).
- **line subjects**: a line that begins with a municipality followed by a separator
  ("Winnenden | Dolmetscherpool …", "Brescia / Dezernat …", "Lingen (Ems): …") is about it,
  and so is a table row that names one municipality in any cell; in a document about one
  municipality only table rows count (its bullet lists name partners: "Landkreis X:
  Ausländerbehörde").
- **population facts** (``population_facts``): "rund 48.000 Einwohnerinnen und Einwohnern",
  "Einwohnerzahl: 23.400", "Stand 31.12.2022: 52.300 Einwohner" — attached to the
  municipality named nearest before the figure in the same sentence, else to the line's,
  section's or document's subject; the year is the "Stand" or a year in the sentence, else
  the document's year.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field

from core.schema import Document
from index.municipalities import gazetteer as gz
from index.municipalities.linker import EntityLinker, Entity, Link
from index.municipalities.records import Record, lines_with_offsets, short

SUBJECT_LINES = 4  # title plus the first lines that can name the document's subject
HEAD_CHARS = 300  # ... and at most this much of them (a first "line" may be a whole paragraph)
MIN_REPEAT = 2
HEADING_MAX_WORDS = 14
_LINE_SUBJECT = re.compile(r"[ ]*(?:[|/:–—,\t-]|\(|$)", re.M)
_BULLET = re.compile(r"^[\s\-–•*·▪>]*(?:\d{1,2}[.)]\s+)?")
_NUMBER = r"(?P<num>\d{1,3}(?:[.\u202f\u00a0 ]\d{3})+|\d{4,7})"
_POPULATION = re.compile(
    rf"(?:(?:rund|etwa|ca\.|circa|knapp|gut|über|mehr als|fast|nahezu)\s+)?{_NUMBER}\s+"
    r"(?:Einwohner(?:innen)?|Bewohner(?:innen)?|Menschen|Bürgerinnen|Bürger)\b"
    rf"|(?:Einwohnerzahl|Einwohner(?:innen)?|Bevölkerung(?:szahl)?)\s*(?:\([^)]{{0,30}}\))?\s*[:=]\s*"
    rf"(?:(?:rund|etwa|ca\.)\s+)?{_NUMBER.replace('num', 'num2')}"
)
_STAND = re.compile(r"Stand[:\s]+(?:\d{1,2}\.\s?\d{1,2}\.\s?|\w+\s)?(?P<y>(?:19|20)\d{2})|\b(?P<y2>(?:19|20)\d{2})\b")
_SENTENCE = re.compile(r"[.!?]\s+(?=[A-ZÄÖÜ])|\n|\s[>|;]\s")  # also the cells of a flattened fact box
AFTER_CHARS = 60  # "Mit 23.400 Einwohnern ist Eschwege …": a name after the figure counts this close


@dataclass
class DocumentSubjects:
    """What the linker found in one document: its ``links``, the ``subject`` entity (or
    None), and the entities a line names at its start, by the line's start offset."""

    doc_id: str
    links: list[Link]
    subject: Entity | None = None
    co_subject: Entity | None = None  # "Stadt und Landkreis Hof": the Kreis beside the town
    line_subjects: dict[int, Entity] = field(default_factory=dict)
    line_texts: dict[int, str] = field(default_factory=dict)  # the text of each subject line or row
    tab_rows: set[int] = field(default_factory=set)  # line subjects that are table rows (tab or pipe)
    heading_entities: dict[tuple[str, str], Entity] = field(default_factory=dict)
    heading_positions: list[tuple[int, Entity]] = field(default_factory=list)  # (offset, the one entity a heading names)
    lands: list[dict] = field(default_factory=list)  # "Bundesland: X" facts: entity, land, offset, quote
    facts: list[dict] = field(default_factory=list)  # population facts: entity, value, year, offset, quote


def analyse(doc: Document, linker: EntityLinker, headings: list[str] | None = None) -> DocumentSubjects:
    """Links, subject, line subjects, heading subjects and population facts of ``doc``
    (module docstring). ``headings``: the document's section headings (from its passages)."""
    text = doc.text or ""
    links = [lk for lk in linker.link(text) if lk.linked]
    result = DocumentSubjects(doc.id, links)
    # "Stadt und Landkreis Hof": a town and the Kreis of its name, together; else one subject
    result.subject, result.co_subject = joint_subject(doc, links, linker)
    if result.subject is None:
        result.subject = document_subject(doc, links, linker)
    by_start = {lk.start: lk for lk in links}
    by_prefix = {lk.prefix_start: lk for lk in links if lk.prefix_start is not None}
    starts = [lk.start for lk in links]
    for offset, line in lines_with_offsets(text):
        lead = _BULLET.match(line)
        start = offset + (lead.end() if lead else 0)
        lk = by_start.get(start) or by_prefix.get(start)
        if lk is not None and _LINE_SUBJECT.match(text, lk.end):
            result.line_subjects[offset] = lk.entity
        elif "\t" in line and not (lk is not None and lk.start > offset + line.index("\t")):
            # a tab-separated row whose first cell names one municipality ("Stadt Winnenden
            # Fachbereich … 71364 Winnenden<TAB>EP 1: Ehrenamtlicher Dolmetscherpool")
            first = offset + line.index("\t")
            lo, hi = bisect.bisect_left(starts, offset), bisect.bisect_left(starts, first)
            named = {links[k].entity.key: links[k].entity for k in range(lo, hi)}
            if len(named) == 1:
                result.line_subjects[offset] = next(iter(named.values()))
                result.tab_rows.add(offset)
        elif line.count("|") >= 2:  # table rows that name one municipality in any cell
            for row_start, row_end in _rows(line):
                lo = bisect.bisect_left(starts, offset + row_start)
                hi = bisect.bisect_left(starts, offset + row_end)
                named = {links[k].entity.key: links[k].entity for k in range(lo, hi)}
                if len(named) == 1:
                    result.line_subjects[offset + row_start] = next(iter(named.values()))
                    result.tab_rows.add(offset + row_start)
    if result.subject is not None:  # a document about one municipality: its lists name partners, not subjects
        rows = {o for o in result.line_subjects if "|" in text[o : text.find("\n", o) if "\n" in text[o:] else len(text)]}
        result.line_subjects = {o: e for o, e in result.line_subjects.items() if o in rows or e == result.subject}
    for heading in headings or []:
        found = heading_subjects(linker, heading)
        for entity in found:
            result.heading_entities.setdefault(entity.key, entity)
        pos = text.find(heading)
        if len(found) == 1 and pos >= 0:
            result.heading_positions.append((pos, found[0]))
    result.heading_positions.sort(key=lambda pe: pe[0])
    for o in result.line_subjects:
        end = text.find("\n", o)
        row = text[o : end if end >= 0 else len(text)]
        result.line_texts[o] = re.split(r"\|\s+\|", row, maxsplit=1)[0] if row.count("|") >= 2 else row
    result.facts = population_facts(doc, links, result)
    result.lands = land_facts(doc, result)
    return result


_ROW_BREAK = re.compile(r"\|\s+\|")


def _rows(line: str) -> list[tuple[int, int]]:
    """(start, end) of each table row in a line: a markdown table whose line breaks the
    reader joined reads "| a | b | | c | d |"; a row ends where "| |" does."""
    out, start = [], 0
    for m in _ROW_BREAK.finditer(line):
        out.append((start, m.start() + 1))
        start = m.start() + 1
    end = line.rfind("|")  # text after the last cell is no part of the table
    out.append((start, end + 1 if end >= start else len(line)))
    return out


def document_subject(doc: Document, links: list[Link], linker: EntityLinker) -> Entity | None:
    """The municipality a document is about: the one municipality its title names, else the
    one municipality its first ``SUBJECT_LINES`` lines name, provided the text names no
    other municipality more often; None for a document about several or none."""
    text = doc.text or ""
    head_lines = [ln for ln in text.split("\n") if ln.strip()][:SUBJECT_LINES]
    limit = min(HEAD_CHARS, text.find(head_lines[-1]) + len(head_lines[-1])) if head_lines else 0
    counts = Counter(lk.entity.key for lk in links)
    top = max(counts.values(), default=0)
    for head in ([lk.entity for lk in linker.link(doc.title or "", strict=False) if lk.linked],
                 [lk.entity for lk in links if lk.start < limit]):
        distinct = list({e.key: e for e in head}.values())
        if len(distinct) == 1:
            best = distinct[0]
            return best if counts.get(best.key, 0) + 1 >= top else None
        if len(distinct) > 1:
            return None
    return None


def joint_subject(doc: Document, links: list[Link], linker: EntityLinker) -> tuple[Entity | None, Entity | None]:
    """(town, Kreis) when the title or first lines name exactly a town and the Kreis of the
    same name ("Handlungskonzept von Stadt und Landkreis Hof"), else (None, None)."""
    text = doc.text or ""
    head_lines = [ln for ln in text.split("\n") if ln.strip()][:SUBJECT_LINES]
    limit = min(HEAD_CHARS, text.find(head_lines[-1]) + len(head_lines[-1])) if head_lines else 0
    kreise = {lk.entity.key[1]: lk.entity for lk in links if lk.entity.kind == "kreis"}
    for head in ([lk for lk in linker.link(doc.title or "", strict=False) if lk.linked],
                 [lk for lk in links if lk.start < limit]):
        joint = [lk.entity for lk in head if lk.prefix == "stadt und landkreis" and lk.entity.kind != "kreis"]
        if joint:
            town = joint[0]
            kreis = kreise.get(town.key[1]) or Entity("kreis", town.base, f"Landkreis {town.base}", gz.LANDKREIS,
                                                      town.land)
            return town, kreis
        distinct = list({lk.entity.key: lk.entity for lk in head}.values())
        if len(distinct) == 2 and distinct[0].key[1] == distinct[1].key[1] and distinct[0].kind != distinct[1].kind:
            town, kreis = sorted(distinct, key=lambda e: e.kind == "kreis")
            return town, kreis
        if distinct:
            break
    return None, None


def heading_subjects(linker: EntityLinker, heading: str) -> list[Entity]:
    """The municipalities a section heading names (at most three; none for a long heading)."""
    if len(heading.split()) > HEADING_MAX_WORDS:
        return []
    found = list(dict.fromkeys(lk.entity for lk in linker.link(heading, strict=False) if lk.linked))
    return found if len(found) <= 3 else []


def population_facts(doc: Document, links: list[Link], subjects: DocumentSubjects) -> list[dict]:
    """Population figures the document states, each ``{entity, value, year, offset, quote}``
    (method: module docstring); a figure no municipality can be attached to is dropped."""
    text = doc.text or ""
    if not text:
        return []
    starts = [lk.start for lk in links]
    bounds = [0] + [m.end() for m in _SENTENCE.finditer(text)]
    line_offsets = sorted(subjects.line_subjects)
    out = []
    for m in _POPULATION.finditer(text):
        raw = m.group("num") or m.group("num2")
        value = int(re.sub(r"\D", "", raw))
        if not 100 <= value <= 5_000_000 or (len(raw) == 4 and 1900 <= value <= 2100 and "." not in raw):
            continue
        s = bisect.bisect_right(bounds, m.start()) - 1
        lo = bounds[s]
        hi = bounds[s + 1] if s + 1 < len(bounds) else len(text)
        i = bisect.bisect_right(starts, m.start()) - 1
        entity = links[i].entity if i >= 0 and links[i].start >= lo else None
        if entity is None:
            after = [lk for lk in links if m.end() <= lk.start < min(hi, m.end() + AFTER_CHARS)
                     and not _LABEL_BEFORE.search(text[max(0, (lk.prefix_start or lk.start) - 20) : lk.prefix_start or lk.start])]
            entity = after[0].entity if after else None
        if entity is None:
            j = bisect.bisect_right(line_offsets, m.start()) - 1
            entity = subjects.line_subjects[line_offsets[j]] if j >= 0 and line_offsets[j] >= lo else None
        if entity is None:  # a fact box under a portrait heading or title line
            entity = _title_before(subjects, m.start())
        entity = entity or subjects.subject
        if entity is None:
            continue
        sentence = text[lo:hi]
        year = None
        for y in _STAND.finditer(sentence):
            year = int(y.group("y") or y.group("y2"))
            if y.group("y"):
                break
        out.append({"entity": entity, "value": value, "year": year or _doc_year(doc), "offset": m.start(),
                    "quote": short(sentence)})
        # "In der Stadt Hof leben 46.963 Menschen, im Landkreis Hof 94.333": the same unit, elided
        for lk in links[bisect.bisect_right(starts, m.end()):]:
            if lk.start >= hi:
                break
            more = re.match(rf"\s+{_NUMBER}\b(?!\s*(?:Euro|€|Prozent|%))", text[lk.end : hi])
            if more and lk.entity != entity:
                number = int(re.sub(r"\D", "", more.group("num")))
                if 100 <= number <= 5_000_000:
                    out.append({"entity": lk.entity, "value": number, "year": year or _doc_year(doc),
                                "offset": lk.end + more.start("num"), "quote": short(sentence)})
    return out


BOX_CHARS = 400  # a fact box follows its portrait's heading or title line this closely
_LABEL_BEFORE = re.compile(r"\b[A-ZÄÖÜ][\wäöüß]+\s*:\s*$")  # "Landkreis: Rotenburg" is a fact value, not the subject
_LAND_LINE = re.compile(r"(?:^|\s)Bundesland\s*[:=]\s*(?P<land>[A-ZÄÖÜ][\w-]+(?:-[A-ZÄÖÜ][\w]+)*)", re.M)


def _title_before(subjects: DocumentSubjects, offset: int) -> Entity | None:
    """The entity of the nearest heading or title line before ``offset`` (within ``BOX_CHARS``)."""
    marks = [(pos, e) for pos, e in subjects.heading_positions if pos <= offset]
    marks += [(pos, e) for pos, e in subjects.line_subjects.items() if pos <= offset]
    if not marks:
        return None
    pos, entity = max(marks, key=lambda pe: pe[0])
    return entity if offset - pos <= BOX_CHARS else None


def land_facts(doc: Document, subjects: DocumentSubjects) -> list[dict]:
    """"Bundesland: Niedersachsen" lines of fact boxes, each ``{entity, land, offset, quote}``,
    attached like population figures to the portrait they stand under."""
    out = []
    for m in _LAND_LINE.finditer(doc.text or ""):
        code = gz.land_code(m.group("land"))
        entity = _title_before(subjects, m.start()) if code else None
        if entity is not None:
            out.append({"entity": entity, "land": code, "offset": m.start("land"), "quote": short(m.group(0))})
    return out


def _doc_year(doc: Document) -> int | None:
    m = re.search(r"(?:19|20)\d{2}", str(doc.meta.get("year") or ""))
    return int(m.group(0)) if m else None


def record_name(entity: Entity) -> str:
    """The name a record carries so that ``names.parse_name`` gives the entity's key back."""
    if entity.kind == "bezirk":
        return f"Bezirk {entity.base}"
    if entity.kind == "kreis" and not re.search(r"kreis\b|^(Region|Städteregion|Regionalverband)\s", entity.name,
                                                re.IGNORECASE):
        return f"Landkreis {entity.base}"
    return entity.name


def records(doc: Document, found: DocumentSubjects, known: set[tuple[str, str]]) -> list[Record]:
    """Catalogue records of one document (module docstring): every prefixed mention, and the
    unprefixed ones that are a subject, named ``MIN_REPEAT`` times, or already ``known``."""
    text = doc.text or ""
    counts = Counter(lk.entity.key for lk in found.links)
    subjects = ({e.key for e in found.line_subjects.values()} | set(found.heading_entities)
                | {e.key for e in (found.subject, found.co_subject) if e is not None})
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    out = []
    for lk in found.links:
        e = lk.entity
        if not (lk.prefix or e.kind == "kreis" or e.key in subjects or counts[e.key] >= MIN_REPEAT or e.key in known):
            continue
        out.append(_record(doc, e, lk.start, text, line_starts))
    linked = {lk.entity.key for lk in found.links}
    for key, entity in found.heading_entities.items():
        if key not in linked:  # a portrait heading names it, the (strict) running text does not
            offset = text.find(entity.base)
            out.append(_record(doc, entity, max(0, offset), text, line_starts))
    for fact in found.lands:
        rec = _record(doc, fact["entity"], fact["offset"], text, line_starts)
        rec.source, rec.land = "einwohnerangabe", fact["land"]
        out.append(rec)
    for fact in found.facts:
        rec = _record(doc, fact["entity"], fact["offset"], text, line_starts)
        rec.source = "einwohnerangabe"
        rec.population = fact["value"]
        rec.add_fact("Einwohnerzahl", f"{fact['value']:,}".replace(",", "."), fact["offset"], fact["quote"])
        if fact["year"]:
            rec.add_fact("Stand der Einwohnerzahl", str(fact["year"]), fact["offset"], fact["quote"])
        out.append(rec)
    return out


def _record(doc: Document, e: Entity, offset: int, text: str, line_starts: list[int]) -> Record:
    line = bisect.bisect_right(line_starts, offset) - 1
    end = line_starts[line + 1] - 1 if line + 1 < len(line_starts) else len(text)
    quote = short(text[line_starts[line] : min(end, line_starts[line] + 4000)])
    type_hint = e.type if e.type in gz.TYPES else (gz.KREISANGEHOERIG if e.kind == "muni" else None)
    return Record(record_name(e), doc.id, offset, quote, "verlinkt", type_hint=type_hint, land=e.land)
