""""Who already does X?": municipalities ranked by their practice for a topic, with evidence.

One function (``who_does``) serves the case-example cards beside the search results,
``/kommunen?thema=…``, ``GET /api/municipalities?topic=…``, ``/vergleich`` with a topic
alone and ``praxisfinder eval-recommend``'s "who does X?" sets. It is entity search over
the same ranking that ``recommend`` uses for practice (``entity_rank.PracticeRanker``:
passage votes of the hybrid search, project titles, table rows of reference lists), with
two rules on top:

1. **Evidence must concern the topic.** A municipality's evidence is its best project
   title, table row or subject passage for the topic; it *names the practice* when it
   covers at least ``NAMES_SHARE`` of the topic's IDF-weighted BM25 terms (the search's own
   analysis and translations, so English topics work the same way). Candidates whose
   evidence names the practice come first (tier 1), the others follow only when their
   practice score is at least ``MIN_SCORE`` (tier 2), and a candidate with no evidence at
   all is never listed.
2. **Every hit links to the municipality it is about**: evidence is a passage whose
   subject is that municipality, a table row that begins with it, or a project title the
   catalogue records for it (with the passage or list that states it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from index.municipalities.entity_rank import PracticeRanker, PracticeScore
from index.municipalities.groups import groups_named

NAMES_SHARE = 0.5
MIN_SCORE = 0.35


@dataclass
class Evidence:
    """What shows that a municipality does the practice: ``kind`` "project" (a project title),
    "row" (a table row of a reference list), "group" (the topic names a programme or network
    it belongs to) or "practice" (a passage about it); ``text`` the
    title, row or passage label; ``passage_id`` where it stands (None for a title known only
    from a list, then ``source`` names the list); ``coverage`` the share of the topic's
    weighted terms it contains, in [0, 1]."""

    kind: str
    text: str
    passage_id: str | None
    coverage: float
    source: str | None = None


@dataclass
class PracticeMatch:
    """One municipality that does the practice: ``score`` in [0, 1] (the practice ranking,
    best = 1), ``names_practice`` True when its evidence names the practice (tier 1),
    ``evidence`` best first."""

    id: str
    name: str
    type: str | None
    bundesland: str | None
    score: float
    names_practice: bool
    evidence: list[Evidence] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


def who_does(catalogue, practice: PracticeRanker, topic: str, k: int = 10, accepts=None,
             hits=None) -> list[PracticeMatch]:
    """Municipalities that do ``topic``, best first (method: module docstring).

    :param catalogue: the ``Catalogue``.
    :param practice: the snapshot's ``PracticeRanker``.
    :param topic: the practice, German or English ("Dolmetscherpool", "volunteer interpreters").
    :param k: at most this many (0 gives []).
    :param accepts: optional ``Municipality -> bool`` filter (Land, type, population).
    :param hits: optional (passage id, score) ranking to vote with instead of a new search.
    :returns: up to ``k`` matches; [] for a topic without any evidence.
    """
    topic = (topic or "").strip()
    if not topic or k <= 0:
        return []
    terms = practice.topic_alternatives(topic)
    scores = practice.rank(topic, hits, named=terms)
    members: dict[str, Evidence] = {}
    for g, cov in groups_named(catalogue, topic, practice):  # "Kommunaler Qualitätszirkel": its members
        for mid in g["members"]:
            pid = (g.get("evidence") or {}).get(mid) or g.get("passage_id")
            members.setdefault(mid, Evidence("group", g["label"], pid, cov))
            scores.setdefault(mid, PracticeScore(score=cov))
    out = []
    for mid, ps in scores.items():
        m = catalogue.get(mid)
        if accepts is not None and not accepts(m):
            continue
        evidence = _evidence(m, ps, practice, terms)
        if mid in members:
            evidence.insert(0, members[mid])
        if not evidence:
            continue
        names = evidence[0].coverage >= NAMES_SHARE
        if not names and (ps.score < MIN_SCORE or not any(e.coverage > 0 for e in evidence)):
            continue  # evidence that shares no term with the topic does not concern it
        out.append(PracticeMatch(m.id, m.name, m.type, m.bundesland, round(ps.score, 6), names, evidence))
    out.sort(key=lambda r: (-_rank_value(r), r.name))
    return out[:k]


def who_does_scores(catalogue, practice: PracticeRanker, topic: str,
                    hits=None, exclude: str | None = None) -> dict[str, tuple[float, PracticeMatch]]:
    """Municipality id -> (its "who does X?" order for ``topic`` in [0, 1], the match): the
    order is ``_rank_value`` divided by the first match's, so the first has 1.0; only the
    municipalities ``who_does`` lists. ``recommend`` takes the order as the practice part
    for a stated topic, so a municipality known from a reference-list row or a name line
    that names the practice can be recommended too, with that evidence as its reason.
    ``hits``: the caller's search ranking for ``topic`` (``PracticeRanker.search_hits``);
    ``exclude``: the asking municipality's id, left out before the order is normalised (it
    is never a candidate, and when it is the best at its own practice, as the Weinsberg
    "Jobbörse" is, it would shrink every candidate's order)."""
    matches = [m for m in who_does(catalogue, practice, topic, k=len(catalogue.municipalities), hits=hits)
               if m.id != exclude]
    top = max((_rank_value(m) for m in matches), default=0.0)
    return {m.id: (_rank_value(m) / top, m) for m in matches} if top > 0 else {}


COVERAGE_FLOOR = 0.25  # share of the order a candidate keeps when its evidence names none of the topic


def _rank_value(match: PracticeMatch) -> float:
    """Order of the matches: the practice score weighted by how much of the topic the best
    evidence names (IDF-weighted), score × (``COVERAGE_FLOOR`` + coverage) / (1 +
    ``COVERAGE_FLOOR``), so evidence that names the practice lifts a candidate while a
    strong search score with weak evidence keeps a fifth of its weight."""
    cov = max((e.coverage for e in match.evidence), default=0.0)
    return match.score * (COVERAGE_FLOOR + cov) / (1.0 + COVERAGE_FLOOR)


def _evidence(m, ps: PracticeScore, practice: PracticeRanker, terms: list[dict[str, float]]) -> list[Evidence]:
    """The municipality's evidence for the topic, the best-covering first."""
    found: list[Evidence] = []
    if ps.title is not None:
        fact = ps.title.fact or {}
        src = fact.get("source") or {}
        pid = src.get("passage_id")
        source = None
        if practice.is_reference(pid):
            source = f"Teilnehmerliste im Anhang von {src.get('doc_id')}"
        found.append(Evidence("project", ps.title.title, pid, practice.coverage_any(terms, ps.title.title), source))
    for row in ps.rows:
        found.append(Evidence("row", row.text, row.passage_id, practice.coverage_any(terms, row.text)))
    for vote in ps.votes:
        if not vote.subject:
            continue
        label = m.passage_titles.get(vote.passage_id) or " › ".join(practice.section_path(vote.passage_id)[-1:])
        label = label or m.name
        if any(e.kind == "practice" and e.text == label for e in found):
            continue  # two passages of one portrait: one reason
        found.append(Evidence("practice", label, vote.passage_id,
                              practice.coverage_any(terms, practice.text(vote.passage_id))))
        if len([e for e in found if e.kind == "practice"]) >= 2:
            break
    found.sort(key=lambda e: -e.coverage)
    return found
