"""One line per case-example card saying why the municipality matches the question.

The reason is the municipality's best-ranked hit (a passage ABOUT it, so it voted for
the card) named the way the recommendation reasons name practice
(``index.municipalities.recommend``): a project of the municipality that the passage
states ("Projekt „Ehrenamtlicher Dolmetscherpool“"), else the portrait or prize-profile
title the passage stands under (``Municipality.passage_titles``: "Praxis: „Flexible
Stellenstrukturen“"), else the passage's section heading ("Abschnitt „Wohnen“"), else
the document. The line links that passage.
"""

from __future__ import annotations

from typing import Any

from index.municipalities.gazetteer import fold

_QUOTES = "„“\"' "


def _data(record) -> dict[str, Any]:
    return record if isinstance(record, dict) else vars(record)


def why_line(record, hits: list) -> dict[str, Any] | None:
    """The reason for one card: ``{"text", "kind", "passage_id", "doc_title", "page_label"}``.

    :param record: the municipality (a ``Municipality`` or a dict of its shape).
    :param hits: the hits that voted for it, best first (each ``hit.passage`` is about it).
    :returns: None only when ``hits`` is empty.
    """
    if not hits:
        return None
    m = _data(record)
    titles = m.get("passage_titles") or {}
    projects = [str(p) for p in m.get("projects") or [] if len(str(p)) >= 6]

    def row(hit, kind: str, text: str) -> dict[str, Any]:
        p = hit.passage
        return {"kind": kind, "text": text, "passage_id": p.id, "doc_title": p.doc_title,
                "page_label": p.page_label}

    for hit in hits:  # a project the passage states, in the best passage that states one
        text = fold(hit.passage.text)
        for project in projects:
            if fold(project.strip(_QUOTES)) in text:
                return row(hit, "project", f"Projekt „{project.strip(_QUOTES)}“")
    best = hits[0]
    title = titles.get(best.passage.id)
    if title:
        return row(best, "practice", f"Praxis: „{title.strip(_QUOTES)}“")
    section = [s for s in (getattr(best.passage, "section_path", None) or []) if s]
    if section:
        return row(best, "section", f"Abschnitt „{section[-1]}“")
    return row(best, "document", f"beschrieben in „{best.passage.doc_title}“")
