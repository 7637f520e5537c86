"""Case examples beside the search results: "who already does what the question asks?".

The cards come from the one "who does X?" function (``index.municipalities.who_does``),
voting with the search page's own hits above the relevance floor (so no card rests on a
hit the list does not count) and keeping the page's municipal filters. A card's reason
(``why``) is its best evidence: the project title, table row or group that names the
practice, or the portrait or section of a passage about it, with the passage it stands in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.schema import Hit, Passage
from service.catalogue_port import municipality_record
from service.highlight import QueryTerms, snippet

EVIDENCE_CHARS = 180
_QUOTES = "„“\"' "
_WHY = {"project": "Projekt {}", "row": "Eintrag {}", "practice": "Praxis: {}", "group": "Mitglied: {}"}


def clean_title(title: str) -> str:
    """A project or portrait title as quoted in a reason: outer quotes and a leading
    "Projekt" dropped ("Projekt „In: Komm“–Interkultur" -> "In: Komm“–Interkultur")."""
    text = " ".join(str(title).split()).strip(_QUOTES)
    if text.casefold().startswith("projekt "):
        text = text[8:].strip(_QUOTES)
    return text


def quoted(title: str) -> str:
    """„title“, unless the title carries quotes of its own (then as it is, with an
    unbalanced „ or “ completed: 'Dorf“ – Wir leben' -> '„Dorf“ – Wir leben')."""
    text = clean_title(title)
    opening, closing = text.count("„"), text.count("“")
    if opening < closing:
        text = "„" + text
    elif opening > closing:
        text += "“"
    return text if any(q in text for q in "„“\"") else f"„{text}“"


def case_examples(catalogue, query: str, hits: list[Hit], terms: QueryTerms,
                  passage_of: Callable[[str], Passage | None], allowed: set[str] | None = None,
                  limit: int = 6, evidence: int = 3) -> list[dict[str, Any]]:
    """The case-example cards for a search page, best first.

    :param catalogue: the service's ``CatalogueAdapter`` (``who_does``).
    :param query: the question as searched.
    :param hits: the page's hits above the relevance floor, best first; they vote.
    :param terms: the question's analysed terms, for the snippets' ``<mark>``.
    :param passage_of: passage id -> ``Passage`` of the serving snapshot (None if unknown).
    :param allowed: municipality ids the page's filters keep (None: all).
    :returns: card dicts of the shape ``schemas.CaseExample``.
    """
    if not hits:
        return []
    ranking = [(h.passage.id, h.score) for h in hits]
    out = []
    for match in catalogue.who_does(query, limit, hits=ranking, allowed=allowed):
        m = municipality_record(catalogue.get(match.id), facts=False)
        shown = []
        for e in match.evidence:
            p = passage_of(e.passage_id) if e.passage_id else None
            if p is not None and all(s["passage_id"] != p.id for s in shown):
                shown.append({"passage_id": p.id, "doc_title": p.doc_title, "page": p.page,
                              "page_label": p.page_label, "snippet": snippet(p.text, terms, EVIDENCE_CHARS)})
        out.append({
            "id": m["id"], "name": m["name"], "type": m["type"], "bundesland": m["bundesland"],
            "population": m["population"], "projects": m["projects"], "evidence": shown[:evidence],
            "score": round(match.score, 6), "why": _why(match.evidence[0], passage_of),
        })
    return out


def reason_text(e) -> str:
    """The German one-line reason for a ``who_does.Evidence``: 'Projekt „…“', 'Eintrag „…“'
    (a table row without its first cell), 'Praxis: „…“', 'Mitglied: …'."""
    text = e.text
    if e.kind == "row":  # "Winnenden | Ehrenamtlicher Dolmetscherpool …": the row without its first cell
        cells = [c.strip() for c in text.split("|") if c.strip()]
        text = " · ".join(cells[1:]) if len(cells) > 1 else text
    label = quoted(text) if e.kind in ("project", "row", "practice") else text
    return _WHY.get(e.kind, "{}").format(label)


def _why(e, passage_of) -> dict[str, Any]:
    """The card's one-line reason from its best evidence (``who_does.Evidence``)."""
    p = passage_of(e.passage_id) if e.passage_id else None
    return {"kind": e.kind, "text": reason_text(e), "passage_id": p.id if p else None,
            "doc_title": p.doc_title if p else None, "page_label": p.page_label if p else None,
            "source": e.source}
