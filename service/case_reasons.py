"""One line per case-example card saying why the municipality matches the question.

The reason is one of the hits that voted for the card (passages ABOUT the municipality),
named the way the recommendation reasons name practice (``index.municipalities.recommend``):
a project of the municipality that shares a word with the question and that a voting
passage states ("Projekt „Ehrenamtlicher Dolmetscherpool“"), else the portrait or
prize-profile title the best voting passage stands under (``Municipality.passage_titles``:
"Praxis: „Flexible Stellenstrukturen“"), else that passage's section heading ("Abschnitt
„Wohnen“"), else its document. The line links that passage.
"""

from __future__ import annotations

import re
from typing import Any

from index.municipalities.gazetteer import fold

_QUOTES = "„“\"' "


def _data(record) -> dict[str, Any]:
    return record if isinstance(record, dict) else vars(record)


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


def why_line(record, hits: list, terms=None) -> dict[str, Any] | None:
    """The reason for one card: ``{"text", "kind", "passage_id", "doc_title", "page_label"}``.

    :param record: the municipality (a ``Municipality`` or a dict of its shape).
    :param hits: the hits that voted for it, best first (each ``hit.passage`` is about it).
    :param terms: the question's ``service.highlight.QueryTerms``; a project counts only
        when one of its words matches them (without terms: any stated project).
    :returns: None only when ``hits`` is empty.
    """
    if not hits:
        return None
    m = _data(record)
    titles = m.get("passage_titles") or {}
    projects = [str(p) for p in m.get("projects") or [] if len(clean_title(p)) >= 6]
    if terms is not None:
        projects = [p for p in projects if any(terms.matches(w) for w in re.findall(r"\w+", p))]

    def row(hit, kind: str, text: str) -> dict[str, Any]:
        p = hit.passage
        return {"kind": kind, "text": text, "passage_id": p.id, "doc_title": p.doc_title,
                "page_label": p.page_label}

    for hit in hits:  # a project the passage states, in the best passage that states one
        text = fold(hit.passage.text)
        for project in projects:
            if fold(clean_title(project)) in text:
                return row(hit, "project", f"Projekt {quoted(project)}")
    best = hits[0]
    title = titles.get(best.passage.id)
    if title:
        return row(best, "practice", f"Praxis: {quoted(title)}")
    section = [s for s in (getattr(best.passage, "section_path", None) or []) if s]
    if section:
        return row(best, "section", f"Abschnitt „{section[-1]}“")
    return row(best, "document", f"beschrieben in „{best.passage.doc_title}“")
