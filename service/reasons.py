"""The German sentences of recommendation reasons.

``index.municipalities.recommend`` states each reason as facts (``Reason.kind``, a
``ReasonKind``; ``Reason.what`` and ``Reason.facts``); this module words them for the API's
``reasons`` and ``reason_details[].text`` and the pages (``/vergleich``, ``/kommune/{id}``).
A reason already worded (the "who does X?" evidence, ``service.cases.reason_text``) keeps
its text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from index.municipalities.recommend import Reason, Recommendation, size_class

# What the participants' list a project title comes from is called in a reason.
PROJECT_LISTS = {"Gute Idee (DESI)": "gute Idee laut DESI-Handbuch",
                 "Einzelprojekt": "Einzelprojekt im Difu-Wettbewerb"}


def _de_int(n: int) -> str:
    """German thousands separator: 82000 -> '82.000'."""
    return f"{n:,}".replace(",", ".")


def _practice(f: dict[str, Any]) -> str:
    return f"Praxis zum Thema: „{f['label']}“" + (f" (Handlungsfeld {f['field']})" if f.get("field") else "")


def _settlement(f: dict[str, Any]) -> str:
    if f.get("mixed"):
        return "ebenfalls mittelgroß, weder ländlich noch großstädtisch"
    return f"ebenfalls {f['settlement']} geprägt"


def _size(f: dict[str, Any]) -> str:
    return f"ähnliche Größe: {_de_int(f['population'])} Einwohner (Größenklasse {size_class(f['population'])})"


# How a "who does X?" evidence that names the topic is introduced (``Reason.what == "named"``).
EVIDENCE_LABELS = {"row": "Eintrag", "project": "Projekt", "practice": "Praxis zum Thema", "group": "Mitglied"}

SENTENCES: dict[str, Callable[[dict[str, Any]], str]] = {
    "named": lambda f: f"{EVIDENCE_LABELS.get(f['evidence'], 'Praxis zum Thema')}: „{f['text']}“",
    "member": lambda f: f"Mitglied: {f['label']}",
    "practice": _practice,
    "project": lambda f: f"Projekt „{f['title']}“ ({PROJECT_LISTS.get(f.get('list'), 'Wettbewerbsbeitrag')})",
    "shared_portrait": lambda f: f"gemeinsam mit {f['peer']} vorgestellt: „{f.get('label') or 'derselbe Abschnitt'}“",
    "shared_group": lambda f: f"wie {f['peer']}: {f['label']}",
    "type": lambda f: f"gleicher Typ: {f['type']}",
    "settlement": _settlement,
    "size": _size,
    "land": lambda f: f"ebenfalls in {f['land']}",
    "neighbour": lambda f: f"Nachbarland: {f['land']}",
    "east_west": lambda f: "ebenfalls in " + ("Ostdeutschland" if f["east"] else "Westdeutschland"),
}


def sentence(reason: Reason) -> str:
    """The German sentence of one reason (its ``text`` when it has no ``what``: already worded).

    Raises ``KeyError`` for a ``what`` this module does not word (a test keeps the two in step)."""
    if not reason.what:
        return reason.text
    return SENTENCES[reason.what](reason.facts)


def rendered(rec: Recommendation) -> Recommendation:
    """``rec`` with every reason worded: each ``details[i].text`` and ``reasons`` (in place; returned)."""
    for reason in rec.details:
        reason.text = sentence(reason)
    rec.reasons = [r.text for r in rec.details]
    return rec
