"""Link municipalities to passages, locate fact sources, and assign themes.

A passage is about a municipality when it names it (``AliasIndex.find``) or when one
of its section headings is the municipality: a Difu profile heading ("Alheim") or a
DESI portrait heading ending in "(Kaiserslautern, Landkreis Kassel)". Headings give
membership to every passage below them, even those that never repeat the name.

Themes: every passage adds its taxonomy hits (at most 3 per theme) to each of its
municipalities, divided by how many municipalities it names (a passage listing ten
towns says little about each); project titles and the "Schwerpunkt" count double.
A theme is kept from a score of 1.5, at most six per municipality.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict

from ingest.schema import Document, Passage
from index.catalogue.model import Catalogue
from index.catalogue.taxonomy import THEMES, theme_hits

MIN_THEME_SCORE = 1.5
MAX_THEMES = 6
MAX_HITS_PER_PASSAGE = 3
EVIDENCE_PER_THEME = 5
_TRAILING_LIST = re.compile(r"\(((?:[^()]|\([^()]*\))+)\)\s*$")


def passage_members(catalogue: Catalogue, passages: list[Passage]) -> dict[str, list[tuple[str, bool]]]:
    """passage id -> [(municipality id, via heading)]."""
    heading_cache: dict[str, list[str]] = {}
    out = {}
    for p in passages:
        members: dict[str, bool] = {}
        for heading in p.section_path:
            if heading not in heading_cache:
                heading_cache[heading] = heading_municipalities(catalogue, heading)
            for mid in heading_cache[heading]:
                members[mid] = True
        for m in catalogue.find_in_text(p.text):
            members.setdefault(m.id, False)
        out[p.id] = list(members.items())
    return out


def heading_municipalities(catalogue: Catalogue, heading: str) -> list[str]:
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


def attach_passages(catalogue: Catalogue, documents: list[Document], passages: list[Passage]) -> None:
    members = passage_members(catalogue, passages)
    by_muni: dict[str, list[str]] = defaultdict(list)
    scores: dict[str, Counter] = defaultdict(Counter)
    evidence: dict[str, dict[str, list[tuple[float, int, str]]]] = defaultdict(lambda: defaultdict(list))
    doc_of = {}
    for order, p in enumerate(passages):
        mids = members.get(p.id, [])
        if not mids:
            continue
        hits = theme_hits(p.text)
        weight = 1.0 / len(mids)
        for mid, via_heading in mids:
            by_muni[mid].append(p.id)
            doc_of.setdefault(mid, set()).add(p.doc_id)
            w = 1.0 if via_heading else weight
            for theme, n in hits.items():
                score = min(n, MAX_HITS_PER_PASSAGE) * w
                scores[mid][theme] += score
                evidence[mid][theme].append((-score, order, p.id))
    locate = _locator(passages)
    for m in catalogue.municipalities:
        m.passages = by_muni.get(m.id, [])
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


def _locator(passages: list[Passage]):
    """(doc id, offset) -> id of the passage covering it, or None."""
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
