"""Case examples: the municipalities whose practice best matches a question.

Each of the top hits votes for the municipalities its passage is about with the
reciprocal of its rank (1, 1/2, 1/3, ...); a municipality's score is the sum of its
votes. So a place named in the first hit and in a few others outranks one named once
further down. The passages that voted are its evidence.
"""

from __future__ import annotations

from typing import Any

from core.schema import Hit
from service.case_reasons import why_line
from service.catalogue_port import CatalogueLike, municipality_record
from service.highlight import QueryTerms, snippet

EVIDENCE_CHARS = 180


def case_examples(hits: list[Hit], catalogue: CatalogueLike, terms: QueryTerms, allowed: set[str] | None = None,
                  limit: int = 6, evidence: int = 3) -> list[dict[str, Any]]:
    """Rank municipalities by the summed reciprocal ranks of the hits about them."""
    scores: dict[str, float] = {}
    records: dict[str, Any] = {}
    votes: dict[str, list[Hit]] = {}
    seen: set[tuple[str, str]] = set()
    for hit in hits:
        for record in catalogue.municipalities_for_passage(hit.passage.id):
            mid = record["id"] if isinstance(record, dict) else record.id
            if allowed is not None and mid not in allowed:
                continue
            if (mid, hit.passage.id) in seen:
                continue  # a passage counts once per municipality
            seen.add((mid, hit.passage.id))
            records.setdefault(mid, record)
            scores[mid] = scores.get(mid, 0.0) + 1.0 / hit.rank
            votes.setdefault(mid, []).append(hit)
    ranked = sorted(scores, key=lambda mid: (-scores[mid], mid))[:limit]
    out = []
    for mid in ranked:
        m = municipality_record(records[mid], facts=False)
        out.append({
            "id": m["id"], "name": m["name"], "type": m["type"], "bundesland": m["bundesland"],
            "population": m["population"], "projects": m["projects"],
            "evidence": [{"passage_id": h.passage.id, "doc_title": h.passage.doc_title, "page": h.passage.page, "page_label": h.passage.page_label,
                          "snippet": snippet(h.passage.text, terms, EVIDENCE_CHARS)}
                         for h in votes[mid][:evidence]],
            "score": round(scores[mid], 6),
            "why": why_line(records[mid], votes[mid], terms),
        })
    return out
