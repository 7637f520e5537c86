"""Link municipalities to passages, locate fact sources, and assign themes.

A passage is *about* a municipality (its subject) when one of its section headings is
the municipality: a Difu prize profile ("Alheim"), a DESI portrait heading ending in
"(Kaiserslautern, Landkreis Kassel)". Headings give that to every passage below them,
even those that never repeat the name. ``Municipality.passages`` holds these.
A prose passage that only names a municipality (``AliasIndex.find``) *mentions* it:
``Municipality.mentions``. Reference material (``ingest.kinds``: address lists,
interview lists, bibliographies, imprints) links to no municipality at all, so it is
never evidence of practice and never satisfies a municipality filter.

Themes: every passage adds its taxonomy hits (at most 3 per theme) to each of its
municipalities, divided by how many municipalities it names (a passage listing ten
towns says little about each); project titles and the "Schwerpunkt" count double.
A theme is kept from a score of 1.5, at most six per municipality.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from ingest.kinds import REFERENCE, passage_kind
from core.schema import Document, Passage
from index.municipalities import gazetteer as gz
from index.municipalities.model import Catalogue
from index.municipalities.subjects import heading_subjects
from index.municipalities.taxonomy import THEMES, theme_hits

MIN_THEME_SCORE = 1.5
MAX_THEMES = 6
MAX_HITS_PER_PASSAGE = 3
EVIDENCE_PER_THEME = 5
_TRAILING_LIST = re.compile(r"\(((?:[^()]|\([^()]*\))+)\)\s*$")


def is_reference(p: Passage) -> bool:
    """True for reference material (``ingest.kinds``); passages from before kinds were
    recorded are classified on the fly."""
    kind = p.meta.get("kind") or passage_kind(p.text, p.section_path)
    return kind == REFERENCE


IDEA_FACT = "Gute Idee (DESI)"
MAX_INLINE_PASSAGES = 4


@dataclass
class Member:
    """A municipality's link to a passage: its subject (with the portrait or profile
    title that makes it so) or a mere mention."""

    municipality_id: str
    subject: bool
    title: str | None = None


def inline_subjects(catalogue: Catalogue, passages: list[Passage]) -> dict[str, tuple[dict[str, str], bool]]:
    """passage id -> ({municipality id: title}, replaces_headings) for portrait title
    lines that the heading detection did not make a section ("Kooperation zwischen
    Verwaltung und Wohnungswirtschaft … (Dortmund, Eimsbüttel in Hamburg, Halle (Saale))").

    Such a line (a DESI "good idea" fact, with its offset) makes its municipalities the
    subject of the passage that holds it and of the following passages of the same
    section, up to the next such line and at most ``MAX_INLINE_PASSAGES`` passages. A
    passage that starts after the line belongs to that portrait only, not to the
    portrait whose heading the section carries (``replaces_headings``).
    """
    lines: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
    for m in catalogue.municipalities:
        for fact in m.facts:
            src = fact.get("source") or {}
            if fact["name"] == IDEA_FACT and src.get("offset") is not None:
                lines[(src["doc_id"], src["offset"])][m.id] = fact["value"]
    by_doc: dict[str, list[Passage]] = defaultdict(list)
    for p in passages:
        by_doc[p.doc_id].append(p)
    out: dict[str, tuple[dict[str, str], bool]] = {}
    for doc_id, doc_passages in by_doc.items():
        doc_passages.sort(key=lambda p: p.start)
        offsets = sorted(o for d, o in lines if d == doc_id)
        for i, offset in enumerate(offsets):
            end = offsets[i + 1] if i + 1 < len(offsets) else float("inf")
            first, taken = None, 0
            for p in doc_passages:
                if p.end <= offset:
                    continue
                if p.start >= end or taken >= MAX_INLINE_PASSAGES:
                    break
                if first is None:
                    first = p
                elif p.section_path != first.section_path:
                    break
                if not is_reference(p):
                    titles, replaces = out.get(p.id, ({}, False))
                    out[p.id] = ({**titles, **lines[(doc_id, offset)]}, replaces or p.start >= offset)
                    taken += 1
    return out


def passage_members(catalogue: Catalogue, passages: list[Passage], found: dict | None = None,
                     linker=None, titles_of: dict[str, str] | None = None) -> dict[str, list[Member]]:
    """passage id -> members: subjects first, then the other municipalities the text names;
    reference passages map to [].

    Subjects, innermost first: portrait title lines (``inline_subjects``); headings that are
    a municipality or end in a list of them (``heading_municipalities``); with the entity
    linker's results (``found``: doc id -> ``subjects.DocumentSubjects``, and ``linker``),
    any heading that names municipalities (``subjects.heading_subjects``) and lines that
    begin with one ("Winnenden | …"); and when none of these applies, the document's
    subject ("Integrationskonzept des Landkreises X"). ``titles_of`` maps doc id -> title.
    """
    heading_cache: dict[str, list[str]] = {}
    linked_cache: dict[str, list[str]] = {}
    resolve = entity_resolver(catalogue)
    inline = inline_subjects(catalogue, passages)
    out: dict[str, list[Member]] = {}
    for p in passages:
        if is_reference(p):
            out[p.id] = []
            continue
        titles, replaces = inline.get(p.id, ({}, False))
        members: dict[str, Member] = {mid: Member(mid, True, t) for mid, t in sorted(titles.items())}
        if not replaces:
            for heading in p.section_path:
                if heading not in heading_cache:
                    heading_cache[heading] = heading_municipalities(catalogue, heading)
                for mid in heading_cache[heading]:
                    members[mid] = Member(mid, True, _heading_title(catalogue, heading, mid))
                if linker is not None and not heading_cache[heading]:
                    if heading not in linked_cache:
                        linked_cache[heading] = [i for i in map(resolve, heading_subjects(linker, heading)) if i]
                    for mid in linked_cache[heading]:
                        members.setdefault(mid, Member(mid, True, heading))
        doc = (found or {}).get(p.doc_id)
        if doc is not None:
            for offset, entity in doc.line_subjects.items():
                mid = resolve(entity)
                if mid and p.start <= offset < p.end:
                    members.setdefault(mid, Member(mid, True, _line_title(p, doc.line_texts.get(offset, ""))))
            if not any(m.subject for m in members.values()):
                for entity in (doc.subject, doc.co_subject):
                    mid = resolve(entity) if entity is not None else None
                    if mid:
                        members[mid] = Member(mid, True, (titles_of or {}).get(p.doc_id) or p.doc_id)
        for m in catalogue.find_in_text(p.text):
            members.setdefault(m.id, Member(m.id, False))
        out[p.id] = list(members.values())
    return out


def entity_resolver(catalogue: Catalogue):
    """A function ``linker.Entity -> catalogue id or None``: the entry of the same kind
    whose name or alias is the entity's name."""
    def resolve(entity) -> str | None:
        for name in (entity.name, entity.base):
            found = [m for m in catalogue.by_alias(name) if (m.type == gz.LANDKREIS) == (entity.kind == "kreis")]
            if len(found) == 1:
                return found[0].id
        return None

    return resolve


def _line_title(p: Passage, line: str) -> str:
    """The rest of a line that begins with a municipality ("Ehrenamtlicher Dolmetscherpool …")."""
    parts = re.split(r"\s*[|/:–—\t]\s*", line.strip(" |"), maxsplit=1)
    return (parts[1] if len(parts) > 1 else line).strip()[:160] or (p.section_path[-1] if p.section_path else "")


def row_subjects(catalogue: Catalogue, passages: list[Passage], found: dict) -> dict[str, dict[str, str]]:
    """municipality id -> {passage id: row text}: table rows that name one municipality —
    rows of reference material ("Winnenden | Ehrenamtlicher Dolmetscherpool der Stadt
    Winnenden") and rows of tables in prose ("Hausaufgabenhilfe … | Stadt Ochtrup | 51").
    Such a row is evidence of that municipality's project, not of the others in the same
    table."""
    resolve = entity_resolver(catalogue)
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for p in passages:
        doc = found.get(p.doc_id)
        if doc is None:
            continue
        reference = is_reference(p)
        for offset, entity in doc.line_subjects.items():
            if p.start <= offset < p.end and (reference or offset in doc.tab_rows):
                mid = resolve(entity)
                row = " | ".join(c.strip() for c in doc.line_texts.get(offset, "").split("\t") if c.strip())
                if mid and row:
                    out[mid][p.id] = row[:400]
    return out


def _heading_title(catalogue: Catalogue, heading: str, mid: str) -> str:
    """The portrait title of a heading ("Flexible Stellenstrukturen (…)" -> "Flexible
    Stellenstrukturen"); for a prize profile headed by the name, its project title."""
    m = _TRAILING_LIST.search(heading)
    if m and m.start() > 0:
        return heading[: m.start()].strip(" :–-")
    muni = catalogue.get(mid)
    return next((f["value"] for f in muni.facts if f["name"] == "Titel des Beitrags"), heading)


def heading_municipalities(catalogue: Catalogue, heading: str) -> list[str]:
    """Ids of the municipalities a section heading is about: the heading is exactly one
    municipality's alias ("Alheim"), or ends in a parenthesised list whose every item
    resolves to exactly one ("Flexible Stellenstrukturen (Flensburg, Landkreis Karlsruhe)");
    else []."""
    exact = catalogue.by_alias(heading)
    if len(exact) == 1:
        return [exact[0].id]
    m = _TRAILING_LIST.search(heading)
    if not m or m.start() == 0:
        return []
    ids = []
    for item in re.split(r",\s*|\s+und\s+", m.group(1)):
        found = catalogue.by_alias(item) or catalogue.find_in_text(item)
        if len(found) != 1:
            return []
        ids.append(found[0].id)
    return ids


def attach_passages(catalogue: Catalogue, documents: list[Document], passages: list[Passage],
                    found: dict | None = None, linker=None) -> None:
    """Fill each municipality's ``passages``, ``mentions``, ``passage_titles``, ``rows``,
    ``sources``, ``themes`` and ``theme_evidence`` and every fact's ``source["passage_id"]``,
    in place.

    Links come from :func:`passage_members` (with the linker's ``found`` results: doc id ->
    ``subjects.DocumentSubjects``) and :func:`row_subjects`; themes are scored as in the
    module docstring (taxonomy stems, ``MIN_THEME_SCORE``, ``MAX_THEMES``).
    """
    members = passage_members(catalogue, passages, found, linker, {d.id: d.title for d in documents})
    rows = row_subjects(catalogue, passages, found or {})
    by_muni: dict[str, list[str]] = defaultdict(list)
    mentioned: dict[str, list[str]] = defaultdict(list)
    titles: dict[str, dict[str, str]] = defaultdict(dict)
    scores: dict[str, Counter] = defaultdict(Counter)
    evidence: dict[str, dict[str, list[tuple[float, int, str]]]] = defaultdict(lambda: defaultdict(list))
    doc_of = {}
    for order, p in enumerate(passages):
        mids = members.get(p.id, [])
        if not mids:
            continue
        hits = theme_hits(p.text)
        weight = 1.0 / len(mids)
        for member in mids:
            mid = member.municipality_id
            (by_muni if member.subject else mentioned)[mid].append(p.id)
            if member.subject and member.title:
                titles[mid][p.id] = member.title
            doc_of.setdefault(mid, set()).add(p.doc_id)
            w = 1.0 if member.subject else weight
            for theme, n in hits.items():
                score = min(n, MAX_HITS_PER_PASSAGE) * w
                scores[mid][theme] += score
                evidence[mid][theme].append((-score, order, p.id))
    locate = passage_locator(passages)
    for m in catalogue.municipalities:
        m.passages = by_muni.get(m.id, [])
        m.mentions = mentioned.get(m.id, [])
        m.passage_titles = dict(titles.get(m.id, {}))
        m.rows = dict(rows.get(m.id, {}))
        m.sources = sorted(set(m.sources) | doc_of.get(m.id, set()))
        for fact in m.facts:
            fact["source"]["passage_id"] = locate(fact["source"]["doc_id"], fact["source"]["offset"])
        texts = m.projects + [f["value"] for f in m.facts if f["name"] == "Schwerpunkt des Beitrags"]
        for text in texts:
            for theme, n in theme_hits(text).items():
                scores[m.id][theme] += 2 * min(n, MAX_HITS_PER_PASSAGE)
        order = list(THEMES)
        ranked = sorted(scores[m.id].items(), key=lambda kv: (-kv[1], order.index(kv[0])))
        m.themes = [t for t, s in ranked if s >= MIN_THEME_SCORE][:MAX_THEMES]
        m.theme_evidence = {
            t: [pid for _, _, pid in sorted(evidence[m.id][t])[:EVIDENCE_PER_THEME]]
            for t in m.themes
            if evidence[m.id][t]
        }


def passage_locator(passages: list[Passage]):
    """A function ``(doc id, offset) -> id of the passage covering it, or None``.

    ``offset`` is a character offset into ``Document.text``; lookups are a binary search
    over the document's passage spans (``start <= offset < end``; with overlapping
    passages the later-starting one wins).
    """
    by_doc: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for p in passages:
        by_doc[p.doc_id].append((p.start, p.end, p.id))
    for spans in by_doc.values():
        spans.sort()

    def locate(doc_id: str, offset: int | None) -> str | None:
        spans = by_doc.get(doc_id)
        if not spans or offset is None:
            return None
        i = bisect.bisect_right(spans, (offset, float("inf"), "")) - 1
        while i >= 0 and spans[i][0] <= offset:
            if offset < spans[i][1]:
                return spans[i][2]
            i -= 1
        return None

    return locate
