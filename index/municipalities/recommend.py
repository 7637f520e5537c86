"""Comparable municipalities: practice from the search first, structure second.

``recommend(catalogue, query, topic, k, practice)`` ranks the catalogue for a municipality
(or a free-text description of one) and returns ``Recommendation`` records, best first.

score = ``WEIGHTS["practice"]`` * practice + ``WEIGHTS["shared"]`` * shared
        + ``WEIGHTS["structure"]`` * structure, each component in [0, 1]:

- practice: entity ranking of the hybrid search's hits for the topic
  (``entity_rank.PracticeRanker``): the passages about the candidate and its project
  titles. Without a topic, a named municipality's own project titles are the topic;
- shared: the candidate and the query municipality are subjects of the same portrait or
  section (the documents present them together), weighted by how well that passage
  answers the topic; or they belong to the same group of the documents (prize category,
  case studies, programme: ``groups.py``), worth ``GROUP_WEIGHT`` × 2/sqrt(members);
- structure: weighted sum (``STRUCTURE_WEIGHTS``) of type (same 1, two kinds of town 0.5), size (1 − |log10 ratio|,
  floored at 0), region (same Land 1, neighbouring Land 0.6, same side of the former
  inner-German border 0.3) and settlement (rural/urban alike 1, one mixed 0.5). Unknown
  values score ``UNKNOWN`` so missing data neither wins nor excludes.

Practice (practice + shared, 0.65) weighs clearly more than structure (0.35) when a topic
is given; without one, what the documents present together (shared portraits and groups,
0.45) and structure (0.4) lead (``NO_TOPIC_WEIGHTS``). The weights were chosen
on both case sets (``eval/cases/``; the lever table is in docs/measurements.md, "Comparable municipalities and who does X"). Every recommendation carries reasons a person
can check: the portrait or project title with its field of action and passage, the
portrait shared with the query municipality, and the structure it shares (type, size
class, Land or neighbour, rural or urban) with the source of each figure. No raw
similarity numbers go into the reasons. Ties break by name, so rankings are
deterministic.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from core.errors import BadRequest
from index.municipalities import gazetteer as gz
from index.municipalities.entity_rank import PracticeRanker, PracticeScore
from index.municipalities.groups import groups_named
from index.municipalities.model import Catalogue, Municipality
from index.municipalities.profile import MIXED, QueryProfile, parse_description, profile_of, settlement_of
from index.municipalities.taxonomy import themes_in_text
from index.municipalities.who_does import who_does_scores

WEIGHTS = {"practice": 0.45, "shared": 0.2, "structure": 0.35}
NO_TOPIC_WEIGHTS = {"practice": 0.15, "shared": 0.45, "structure": 0.4}
STRUCTURE_WEIGHTS = {"type": 0.3, "size": 0.25, "region": 0.5, "settlement": 0.15}
UNKNOWN = {"type": 0.2, "size": 0.2, "region": 0.1, "settlement": 0.5}
SHARED_WITHOUT_HIT = 0.5  # a shared portrait the topic search did not return
GROUP_WEIGHT = 0.8  # a shared group (prize category, case studies, programme) at most counts this much
_TOWNS = {gz.KREISFREI, gz.KREISANGEHOERIG, gz.STADTBEZIRK}
MAX_EVIDENCE = 5
MAX_PRACTICE_REASONS = 2


class ReasonKind(str, Enum):
    """What kind of evidence a reason rests on (its value is the API's ``kind``)."""

    PRACTICE = "practice"  # a passage about the candidate answers the topic
    PROJECT = "project"  # a project title matches the topic
    GROUP = "group"  # the topic names a programme or network the candidate belongs to
    SHARED = "shared"  # portrayed together with (or in a group with) the query municipality
    STRUCTURE = "structure"  # type, size, Land, settlement
    ROW = "row"  # a table row of a list names the candidate and the practice ("who does X?" evidence)


@dataclass
class Reason:
    """One reason for a recommendation, with what backs it: the facts, not the sentence.

    ``kind``: a ``ReasonKind``. ``what`` names the statement and ``facts`` its values
    (``service.reasons`` renders them as a German sentence into ``text``):
    "member" {label}, "practice" {label, field}, "project" {title, list}, "named" {evidence
    (a "who does X?" evidence kind), text}, "shared_portrait"
    {peer, label}, "shared_group" {peer, label}, "type" {type}, "settlement" {settlement},
    "size" {population}, "land" {land}, "neighbour" {land}, "east_west" {east}.
    ``passage_id`` links the evidence passage; ``source`` names a data source that is not a
    passage (GeoNames). ``text`` is empty until rendered.
    """

    kind: ReasonKind
    text: str = ""
    passage_id: str | None = None
    source: str | None = None
    what: str = ""
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class CandidateFilter:
    """Restricts the candidates; None means no restriction. ``include_unknown_population``
    keeps municipalities whose population is not known when a population bound is set."""

    bundesland: str | None = None  # Land name or code
    type: str | None = None
    min_population: int | None = None
    max_population: int | None = None
    include_unknown_population: bool = False

    def accepts(self, m: Municipality) -> bool:
        """True if ``m`` meets every set restriction (population bounds inclusive)."""
        if self.bundesland and m.bundesland != gz.land_name(self.bundesland):
            return False
        if self.type and m.type != self.type:
            return False
        if self.min_population is None and self.max_population is None:
            return True
        if m.population is None:
            return self.include_unknown_population
        if self.min_population is not None and m.population < self.min_population:
            return False
        return self.max_population is None or m.population <= self.max_population


@dataclass
class Recommendation:
    """One comparable municipality: ``score`` = weighted sum of the ``components``
    ("practice" and "shared" in [0, 1], "structure" = ``STRUCTURE_WEIGHTS`` · its
    "structure.*" parts, each part in [0, 1]),
    ``reasons`` (the German texts, filled when ``service.reasons`` renders the ``details``)
    with their ``details`` and up to 5 ``evidence`` passage ids."""

    id: str
    name: str
    type: str | None
    bundesland: str | None
    score: float
    reasons: list[str] = field(default_factory=list)  # the reason texts (rendered by the service)
    evidence: list[str] = field(default_factory=list)  # passage ids backing the reasons
    components: dict[str, float] = field(default_factory=dict)
    details: list[Reason] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-ready data (``details`` as a list of Reason dicts)."""
        return asdict(self)


def recommend(
    catalogue: Catalogue,
    query: Municipality | str,
    topic: str | None = None,
    k: int = 10,
    practice: PracticeRanker | None = None,
    candidates: CandidateFilter | None = None,
    ignore: set[str] | None = None,
) -> list[Recommendation]:
    """Rank comparable municipalities for ``query`` (a record, a name or a description).

    :param topic: what the user wants to learn about ("Wohnraum für Geflüchtete"); German
        or English.
    :param k: number of recommendations (0 gives an empty list).
    :param practice: the search-backed practice ranker; without it only structure counts.
    :param candidates: optional restriction of the candidates (Land, type, population).
    :returns: up to ``k`` recommendations, best first, each with reasons and evidence.

    A string that is exactly one municipality's alias is that municipality, any other
    string a description (:func:`profile.parse_description`); the query municipality
    itself is never recommended. Weights: README "How recommendations are made".
    An unknown name raises nothing: it is read as a description. For a description, the
    candidates that meet its Land and type rank first, and ``ignore`` drops parts of it
    (``QueryProfile.understood``: "typ", "land", "einwohner", "siedlung", "schwerpunkt");
    one that yields no part at all and no topic raises ``BadRequest``.
    """
    profile = _profile(catalogue, query)
    if profile.id is None:
        profile = profile.without(ignore)
        if not profile.understood() and not (topic or "").strip():
            raise BadRequest("the description names no type, Land, size, settlement or focus", {"reason": "empty_description"},
                             cause="description_not_understood")
    topic_text = (topic or "").strip() or _implicit_topic(catalogue, profile)
    hits = practice.search_hits(topic_text) if practice and topic_text else None  # one search for both rankings
    scores: dict[str, PracticeScore] = practice.rank(topic_text, hits, rows=False) if hits is not None else {}
    # a stated topic is also answered as "who does X?" (list rows and name lines included):
    # a candidate's practice is the better of its portrait score and its who-does order
    who = (who_does_scores(catalogue, practice, topic_text, hits, exclude=profile.id)
           if hits is not None and (topic or "").strip() else {})
    terms = practice.topic_alternatives(topic_text, by_concept=False) if practice and topic_text else []
    weights = WEIGHTS if (topic or "").strip() or not profile.id else NO_TOPIC_WEIGHTS
    query_subjects = dict(catalogue.get(profile.id).passage_titles) if profile.id else {}
    named = groups_named(catalogue, topic or "", practice)
    out = []
    for cand in catalogue.municipalities:
        if cand.id == profile.id or (candidates and not candidates.accepts(cand)):
            continue
        comps: dict[str, float] = {}
        details: list[Reason] = []
        ps = scores.get(cand.id)
        order, match = who.get(cand.id, (0.0, None))
        reasons = _practice_reasons(cand, ps, catalogue, practice, terms) if ps else []
        own = ps.score if ps else 0.0
        if ps and terms and not reasons:  # no passage or title of it supports the topic
            own *= UNSUPPORTED_PRACTICE
        comps["practice"] = max(own, order)
        for g, cov in named:
            if cand.id in g["members"]:  # the topic is a programme or network it belongs to
                evidence = (g.get("evidence") or {}).get(cand.id) or g.get("passage_id")
                details.append(Reason(ReasonKind.GROUP, "", evidence, None if evidence else _group_source(g),
                                      "member", {"label": g["label"]}))
                comps["practice"] = 1.0  # membership answers the topic as fully as the best portrait
                break
        details += reasons
        if match is not None and match.names_practice:
            details += _named_reason(match, details, practice)
        comps["shared"] = _shared(cand, query_subjects, ps, profile, details, catalogue, practice)
        structure, parts = _structure(profile, cand, details)
        comps["structure"] = structure
        comps.update({f"structure.{n}": v for n, v in parts.items()})
        score = sum(weights[n] * comps[n] for n in weights)
        evidence = list(dict.fromkeys(r.passage_id for r in details if r.passage_id))[:MAX_EVIDENCE]
        out.append(Recommendation(cand.id, cand.name, cand.type, cand.bundesland, round(score, 6),
                                  [], evidence,  # reasons: worded by the service (service.reasons)
                                  {n: round(v, 4) for n, v in comps.items()}, details))
    if profile.id is None and (profile.land or profile.type):  # the stated Land and type first
        meets = {r.id for r in out if _meets(catalogue.get(r.id), profile)}
        out.sort(key=lambda r: (r.id not in meets, -r.score, r.name, r.id))
    else:
        out.sort(key=lambda r: (-r.score, r.name, r.id))
    return out[: max(0, k)]


def _meets(m: Municipality, profile: QueryProfile) -> bool:
    """True when ``m`` is of the description's type and in its Land (where it names them)."""
    if profile.land and gz.land_code(m.bundesland) != profile.land:
        return False
    return not profile.type or m.type == profile.type


def _profile(catalogue: Catalogue, query: Municipality | str) -> QueryProfile:
    if isinstance(query, Municipality):
        return profile_of(query)
    exact = catalogue.by_alias(query)
    return profile_of(exact[0]) if len(exact) == 1 else parse_description(query)




def _implicit_topic(catalogue: Catalogue, profile: QueryProfile) -> str:
    """The topic when none is given: a description's focus ("Schwerpunkt Ehrenamt") or its
    themes; a named municipality's own project titles."""
    if profile.id is None:
        if profile.focus:
            return profile.focus
        return " ".join(t.replace("/", " ") for t in profile.themes)
    m = catalogue.get(profile.id)
    return " ".join(m.projects[:3])


def _label(passage_id: str, cand: Municipality, practice: PracticeRanker | None) -> str:
    """What a passage about ``cand`` is titled: its portrait or prize-profile title, else the
    passage's last section heading."""
    if passage_id in cand.passage_titles:
        return cand.passage_titles[passage_id].strip("„“\"' ")
    path = practice.section_path(passage_id) if practice is not None else []
    return path[-1] if path else ""


UNSUPPORTED_PRACTICE = 0.5  # what a practice score keeps when no passage or title of it supports the topic
REASON_MIN_COVERAGE = 0.2  # share of the topic's IDF-weighted terms a reason's passage or title must hold


def _practice_reasons(cand: Municipality, ps: PracticeScore, catalogue: Catalogue,
                      practice: PracticeRanker, terms: list[dict[str, float]]) -> list[Reason]:
    """Up to ``MAX_PRACTICE_REASONS`` passages about ``cand`` and its best project title, each
    only when it supports the topic: it holds at least ``REASON_MIN_COVERAGE`` of the topic's
    IDF-weighted terms (``terms``: ``PracticeRanker.topic_alternatives``), so a passage the
    dense arm found for its tone ("Talk about – Sexualität & Gender" for "Dolmetscherpool")
    gives no reason."""
    out: list[Reason] = []
    seen: set[str] = set()
    for vote in ps.votes:
        if len(out) >= MAX_PRACTICE_REASONS:
            break
        label = _label(vote.passage_id, cand, practice)
        if not label or label in seen:
            continue
        if practice.coverage_any(terms, practice.text(vote.passage_id)) < REASON_MIN_COVERAGE:
            continue
        seen.add(label)
        field_ = _field(practice.text(vote.passage_id))
        if vote.subject:  # a passage that only mentions it is about someone else: no reason
            out.append(Reason(ReasonKind.PRACTICE, "", vote.passage_id, what="practice",
                              facts={"label": label, "field": field_}))
    if (ps.title and ps.title.score >= 0.5 and ps.title.title not in seen
            and practice.coverage_any(terms, ps.title.title) >= REASON_MIN_COVERAGE):
        fact = ps.title.fact or {}
        src = fact.get("source") or {}
        pid = src.get("passage_id")
        source = None
        if practice.is_reference(pid):  # a title from the participants' list: cite the list, link no passage
            pid, source = None, f"Teilnehmerliste im Anhang von {src.get('doc_id')}"
        elif pid is None:  # a title line no passage holds (a heading): name where it is stated
            source = f"{src.get('doc_id') or 'Dokument'}: „{(src.get('quote') or ps.title.title)[:120]}“"
        out.append(Reason(ReasonKind.PROJECT, "", pid, source, "project",
                          {"title": ps.title.title, "list": fact.get("name")}))
    return out


def _named_reason(match, details: list[Reason], practice: PracticeRanker) -> list[Reason]:
    """The "who does X?" evidence that names the topic, as a reason, unless a reason already
    cites it: a reference-list row ("Eintrag „Winnenden … Dolmetscherpool“") or a line that
    names the candidate beside the practice. A row of reference material (a participants'
    list) links no passage, as a project title from that list does: it names the list."""
    ev = match.evidence[0]
    if any(r.passage_id == ev.passage_id and r.passage_id for r in details) or any(_states(r, ev.text) for r in details):
        return []
    kind = ReasonKind.PROJECT if ev.kind in ("row", "project") else ReasonKind.PRACTICE
    pid, source = ev.passage_id, ev.source
    if practice.is_reference(pid):
        pid, source = None, source or f"Teilnehmerliste im Anhang von {practice.document(ev.passage_id)}"
    return [Reason(kind, "", pid, source, "named", {"evidence": ev.kind, "text": ev.text[:160]})]


def _states(reason: Reason, text: str) -> bool:
    """Whether a reason already states ``text``: its sentence or one of its facts holds it."""
    return text in reason.text or any(isinstance(v, str) and text in v for v in reason.facts.values())


def _field(text: str) -> str | None:
    found = themes_in_text(text)
    return found[0] if found else None


def _shared(cand: Municipality, query_subjects: dict[str, str], ps: PracticeScore | None, profile: QueryProfile,
            details: list[Reason], catalogue: Catalogue, practice: PracticeRanker | None) -> float:
    """Portraits both are subjects of (same passage, same title); a passage that ends one
    portrait and begins the next does not make its two sets of municipalities peers."""
    value = 0.0
    shared = [p for p, title in cand.passage_titles.items() if query_subjects.get(p) == title]
    if shared:
        hit = {v.passage_id: v.weight for v in (ps.votes if ps else []) if v.subject}
        best = max(shared, key=lambda p: (hit.get(p, 0.0), p))
        details.insert(0, Reason(ReasonKind.SHARED, "", best, what="shared_portrait",
                                 facts={"peer": profile.name, "label": _label(best, cand, practice) or None}))
        value = max(hit.get(best, 0.0), SHARED_WITHOUT_HIT)
    if profile.id:
        groups = [g for g in catalogue.groups_of(cand.id) if profile.id in g["members"]]
        for g in sorted(groups, key=lambda g: len(g["members"]))[:1]:
            evidence = (g.get("evidence") or {}).get(cand.id) or g.get("passage_id")
            details.insert(len(shared and details[:1]),
                           Reason(ReasonKind.SHARED, "", evidence, None if evidence else _group_source(g),
                                  "shared_group", {"peer": profile.name, "label": g["label"]}))
            value = max(value, GROUP_WEIGHT * min(1.0, 2.0 / math.sqrt(max(1, len(g["members"])))))
    return value


def _structure(q: QueryProfile, c: Municipality, details: list[Reason]) -> tuple[float, dict[str, float]]:
    parts: dict[str, float] = {}
    if q.type is None or c.type is None:
        parts["type"] = UNKNOWN["type"]
    elif q.type == c.type:
        parts["type"] = 1.0
        details.append(Reason(ReasonKind.STRUCTURE, source=_origin(c, "type"), what="type", facts={"type": c.type}))
    else:
        parts["type"] = 0.5 if {q.type, c.type} <= _TOWNS else 0.0
    parts["size"] = _size(q, c, details)
    parts["region"] = _region(q.land, gz.land_code(c.bundesland), details, _origin(c, "bundesland"))
    c_settle = c.settlement or settlement_of(c.type, c.population)
    if q.settlement is None or c_settle is None:
        parts["settlement"] = UNKNOWN["settlement"]
    elif q.settlement == c_settle:
        parts["settlement"] = 1.0
        details.append(Reason(ReasonKind.STRUCTURE, what="settlement",
                              facts={"settlement": c_settle, "mixed": c_settle == MIXED},
                              source=c.settlement_source or "BBSR-Stadt- und Gemeindetyp nach Einwohnerzahl"))
    else:
        parts["settlement"] = 0.5 if MIXED in (q.settlement, c_settle) else 0.0
    total = sum(STRUCTURE_WEIGHTS[n] * v for n, v in parts.items())
    return total, parts


SIZE_CLASSES = ((5_000, "unter 5.000"), (20_000, "5.000–20.000"), (50_000, "20.000–50.000"),
                (100_000, "50.000–100.000"), (500_000, "100.000–500.000"), (math.inf, "über 500.000"))


def size_class(population: int | None) -> str | None:
    """German size class label ("20.000–50.000") for a population, None if unknown."""
    if population is None:
        return None
    return next(label for limit, label in SIZE_CLASSES if population < limit)


def _size(q: QueryProfile, c: Municipality, details: list[Reason]) -> float:
    if not q.population or not c.population:
        return UNKNOWN["size"]
    value = max(0.0, 1.0 - abs(math.log10(q.population) - math.log10(c.population)))
    if size_class(q.population) == size_class(c.population) or value >= 0.8:
        src = c.population_source or {}
        origin = src.get("source") or "Dokument"
        year = f", Stand {src['year']}" if src.get("year") else ""
        details.append(Reason(ReasonKind.STRUCTURE, "", src.get("passage_id"), f"{origin}{year}", "size",
                              {"population": c.population}))
    return value


def _region(q: str | None, c: str | None, details: list[Reason], source: str | None = None) -> float:
    if q is None or c is None:
        return UNKNOWN["region"]
    if q == c:
        details.append(Reason(ReasonKind.STRUCTURE, source=source, what="land", facts={"land": gz.BUNDESLAENDER[c]}))
        return 1.0
    if c in gz.neighbours(q):
        details.append(Reason(ReasonKind.STRUCTURE, source=source, what="neighbour",
                              facts={"land": gz.BUNDESLAENDER[c]}))
        return 0.6
    if gz.is_east(q) == gz.is_east(c):
        details.append(Reason(ReasonKind.STRUCTURE, source=source, what="east_west", facts={"east": gz.is_east(c)}))
        return 0.3
    return 0.0


_ORIGINS = {"destatis": "Destatis, Gemeindeverzeichnis (GV-ISys), Stand 31.12.2018", "geonames": "GeoNames",
            "dokument": "Angabe im Dokument", "gazetteer": "Länderzuordnung des Katalogs"}


def _origin(m: Municipality, name: str) -> str | None:
    """The named data source of a catalogue field (``Municipality.provenance``)."""
    return _ORIGINS.get(m.provenance.get(name, ""), "Kommunenkatalog (Dokumente, Destatis, GeoNames)")


def _group_source(g: dict) -> str:
    """Where a group without a passage is stated: its document."""
    return f"Dokument {g.get('doc_id') or 'des Korpus'}"


def _fmt(n: int) -> str:
    """German thousands separator: 82000 -> '82.000'."""
    return f"{n:,}".replace(",", ".")
