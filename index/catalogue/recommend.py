"""Comparable municipalities: structural similarity plus similarity of practice.

score = weighted mean of components in [0, 1] (weights in ``WEIGHTS``):
- type: same type 1; two kinds of town (kreisfrei / kreisangehörig / Stadtbezirk) 0.5;
- size: 1 - |log10(a) - log10(b)|, floored at 0 (a factor of 10 apart scores 0);
- region: same Land 1, neighbouring Land 0.6, same side of the former border 0.3;
- settlement: ländlich / städtisch alike 1, one "gemischt" 0.5;
- themes: Jaccard overlap of the Handlungsfelder;
- topic (only with a topic): share of the topic's themes the candidate works on, plus
  (with ``practice``) how close its best passages come to the topic vector;
- practice (only with ``practice``): cosine of topic-weighted passage centroids.
Unknown values get a small neutral score (``UNKNOWN``), so missing data neither wins
nor excludes. Ties break by name, so the ranking is deterministic.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from index.catalogue import gazetteer as gz
from index.catalogue.model import Catalogue, Municipality
from index.catalogue.practice import PracticeVectors
from index.catalogue.profile import MIXED, QueryProfile, parse_description, profile_of, settlement_of
from index.catalogue.taxonomy import themes_in_text

WEIGHTS = {"type": 0.25, "size": 0.2, "region": 0.2, "settlement": 0.1, "themes": 0.15, "topic": 0.25,
           "practice": 0.2}
UNKNOWN = {"type": 0.2, "size": 0.2, "region": 0.1, "settlement": 0.5}
_TOWNS = {gz.KREISFREI, gz.KREISANGEHOERIG, gz.STADTBEZIRK}
MAX_EVIDENCE = 5


@dataclass
class Recommendation:
    id: str
    name: str
    type: str | None
    bundesland: str | None
    score: float
    reasons: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    components: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def recommend(
    catalogue: Catalogue,
    query: Municipality | str,
    topic: str | None = None,
    k: int = 10,
    practice: PracticeVectors | None = None,
) -> list[Recommendation]:
    profile = _profile(catalogue, query)
    topic_themes = themes_in_text(topic) if topic else ([] if profile.id else list(profile.themes))
    topic_vec = practice.embed(topic) if practice and topic else None
    query_vec = None
    if practice:
        query_vec = practice.centroid(profile.id, topic_vec) if profile.id else practice.embed(profile.text)
    out = []
    for cand in catalogue.municipalities:
        if cand.id == profile.id:
            continue
        comps, reasons = _structure(profile, cand)
        shared = [t for t in profile.themes if t in cand.themes]
        union = set(profile.themes) | set(cand.themes)
        comps["themes"] = len(shared) / len(union) if union else 0.0
        if shared:
            reasons.append("gemeinsame Handlungsfelder: " + ", ".join(shared))
        if topic_themes or topic_vec is not None:
            comps["topic"] = _topic(cand, topic_themes, topic_vec, practice, reasons)
        if practice is not None and query_vec is not None:
            cvec = practice.centroid(cand.id, topic_vec)
            if cvec is not None:
                sim = float(query_vec @ cvec)
                comps["practice"] = max(0.0, sim)
                reasons.append(f"ähnliche Praxis in den Texten (Kosinus {sim:.2f})")
        weights = {name: WEIGHTS[name] for name in comps}
        score = sum(weights[n] * comps[n] for n in comps) / sum(weights.values())
        evidence = _evidence(cand, topic_themes or shared, topic_vec, practice)
        out.append(Recommendation(cand.id, cand.name, cand.type, cand.bundesland, round(score, 6), reasons,
                                  evidence, {n: round(v, 4) for n, v in comps.items()}))
    out.sort(key=lambda r: (-r.score, r.name, r.id))
    return out[: max(0, k)]


def _profile(catalogue: Catalogue, query: Municipality | str) -> QueryProfile:
    if isinstance(query, Municipality):
        return profile_of(query)
    exact = catalogue.by_alias(query)
    return profile_of(exact[0]) if len(exact) == 1 else parse_description(query)


def _structure(q: QueryProfile, c: Municipality) -> tuple[dict[str, float], list[str]]:
    comps, reasons = {}, []
    if q.type is None or c.type is None:
        comps["type"] = UNKNOWN["type"]
    elif q.type == c.type:
        comps["type"] = 1.0
        reasons.append(f"gleicher Typ: {c.type}")
    else:
        comps["type"] = 0.5 if {q.type, c.type} <= _TOWNS else 0.0
    if q.population and c.population:
        comps["size"] = max(0.0, 1.0 - abs(math.log10(q.population) - math.log10(c.population)))
        if comps["size"] >= 0.7:
            reasons.append(f"ähnliche Größe ({_fmt(c.population)} vs. {_fmt(q.population)} Einwohner)")
    else:
        comps["size"] = UNKNOWN["size"]
    comps["region"] = _region(q.land, gz.land_code(c.bundesland), reasons)
    c_settle = _settlement(c)
    if q.settlement is None or c_settle is None:
        comps["settlement"] = UNKNOWN["settlement"]
    elif q.settlement == c_settle:
        comps["settlement"] = 1.0
        reasons.append(f"ebenfalls {c_settle} geprägt" if c_settle != MIXED else "ebenfalls mittelgroß")
    else:
        comps["settlement"] = 0.5 if MIXED in (q.settlement, c_settle) else 0.0
    return comps, reasons


def _region(q: str | None, c: str | None, reasons: list[str]) -> float:
    if q is None or c is None:
        return UNKNOWN["region"]
    if q == c:
        reasons.append(f"ebenfalls in {gz.BUNDESLAENDER[c]}")
        return 1.0
    if c in gz.neighbours(q):
        reasons.append(f"benachbartes Bundesland: {gz.BUNDESLAENDER[c]}")
        return 0.6
    if gz.is_east(q) == gz.is_east(c):
        reasons.append("ebenfalls " + ("ostdeutsch" if gz.is_east(c) else "westdeutsch"))
        return 0.3
    return 0.0


def _settlement(c: Municipality) -> str | None:
    return settlement_of(c.type, c.population)


def _topic(cand, topic_themes, topic_vec, practice, reasons) -> float:
    hit = [t for t in topic_themes if t in cand.themes]
    score = len(hit) / len(topic_themes) if topic_themes else 0.0
    if hit:
        reasons.append("Praxis im gesuchten Handlungsfeld: " + ", ".join(hit))
    if practice is not None and topic_vec is not None:
        rel = practice.relevance(cand.id, topic_vec)
        if rel is not None:
            score = (score + max(0.0, rel)) / 2 if topic_themes else max(0.0, rel)
    return score


def _evidence(cand: Municipality, themes: list[str], topic_vec, practice) -> list[str]:
    ids: list[str] = []
    if practice is not None and topic_vec is not None:
        ids += practice.best_passages(cand.id, topic_vec, MAX_EVIDENCE)
    for theme in themes:
        ids += cand.theme_evidence.get(theme, [])[:2]
    ids += cand.passages[:MAX_EVIDENCE]
    return list(dict.fromkeys(ids))[:MAX_EVIDENCE]


def _fmt(n: int) -> str:
    """German thousands separator: 82000 -> '82.000'."""
    return f"{n:,}".replace(",", ".")

