"""The documents' own groupings of municipalities: who the documents present as peers.

Four kinds, each a ``Group(label, members, doc_id, passage_id)``:
- a circle of partner cities, host included (the ``Partnerstadt von`` facts);
- a prize category of a competition ("Preisträger: Kreisangehörige Städte und Gemeinden",
  from the ``Prämierung`` facts of the Difu prize profiles);
- the case studies of a study (municipalities with a row in a data table of case studies,
  the DESI "Tabelle 1 … Fallstudien-Kommunen" records);
- a membership list in prose: a parenthesised list of at least ``MIN_LIST_ITEMS``
  semicolon-separated items of which at least ``MIN_RESOLVED`` resolve to catalogue
  municipalities, labelled by the programme the sentence names ("… haben sich am
  Modellprojekt „Weltoffene Kommune“ beteiligt (Altenburger Land, Landkreis; Dessau-Roßlau;
  …)" -> "Modellprojekt „Weltoffene Kommune“").
A recommendation counts a shared group as weaker evidence than a shared portrait, and the
more members a group has, the less it says (``strength``).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field

from typing import TYPE_CHECKING

from index.municipalities import gazetteer as gz
from index.municipalities.model import Catalogue
from index.municipalities.names import parse_name
from core.schema import Document

if TYPE_CHECKING:  # annotation only: entity_rank needs nothing from here
    from index.municipalities.entity_rank import PracticeRanker

MIN_LIST_ITEMS = 3
MIN_RESOLVED = 0.8
_LIST = re.compile(r"\(([^()]{10,800})\)")
_PROGRAMME = re.compile(
    r"\b(?:im|am|beim|in der|in dem|an dem|an der|zum|zur)\s+((?:[A-ZÄÖÜ][\w-]*\s+){0,3}[A-ZÄÖÜ][\w-]+"
    r"(?:\s+„[^“]{2,80}“)?)")
STUDY = "desi-tabelle-1"


@dataclass
class Group:
    """One grouping the documents make (prize category, case studies, membership list);
    ``members`` are municipality ids, ``doc_id``/``passage_id`` where it is stated."""

    label: str
    members: list[str] = field(default_factory=list)  # municipality ids
    doc_id: str | None = None
    passage_id: str | None = None  # the passage that names the group (a membership list)
    evidence: dict[str, str] = field(default_factory=dict)  # member -> its passage in the group (prize profile)

    @property
    def strength(self) -> float:
        """How much sharing this group says: 2 / sqrt(members), at most 1."""
        return min(1.0, 2.0 / math.sqrt(max(1, len(self.members))))

    def to_dict(self) -> dict:
        """All fields as JSON-ready data (stored in ``catalogue.json`` under ``groups``)."""
        return asdict(self)


def find_groups(catalogue: Catalogue, documents: list[Document], locate) -> list[Group]:
    """All groups of the corpus. ``locate(doc_id, offset) -> passage id | None``."""
    groups: dict[str, Group] = {}
    for m in catalogue.municipalities:
        for fact in m.facts:
            src = fact.get("source") or {}
            if fact["name"] == "Prämierung":
                label = f"{fact['value']} (Difu-Wettbewerb)"
            elif fact["name"] == "Ausländische Bevölkerung" or fact["name"] == "Interview (DESI-Fallstudie)":
                label = "Fallstudie im DESI-Handbuch"
            elif fact["name"] == "Partnerstadt von" and fact["value"] != "unbekannt":
                label = f"Partnerstädte von {fact['value']}"
                host = catalogue.by_alias(fact["value"])
                g = groups.setdefault(label, Group(label, [], src.get("doc_id"), None))
                if len(host) == 1 and host[0].id not in g.members:
                    g.members.append(host[0].id)  # the host city belongs to its partnership circle
            else:
                continue
            g = groups.setdefault(label, Group(label, [], src.get("doc_id"), None))
            if m.id not in g.members:
                g.members.append(m.id)
                own = _profile_passage(m)  # its profile or table row, never the interview list
                if own:
                    g.evidence[m.id] = own
    for doc in documents:
        for g in _membership_lists(catalogue, doc, locate):
            groups.setdefault(g.label, g)
    return [g for g in groups.values() if len(g.members) >= 2]


def _profile_passage(m) -> str | None:
    """The municipality's prize profile or table row passage: where its population or
    project title is stated."""
    for fact in m.facts:
        if fact["name"] in ("Einwohnerzahl", "Titel des Beitrags"):
            pid = (fact.get("source") or {}).get("passage_id")
            if pid:
                return pid
    return m.passages[0] if m.passages else None


def _membership_lists(catalogue: Catalogue, doc: Document, locate) -> list[Group]:
    out = []
    for m in _LIST.finditer(doc.text):
        items = [i.strip() for i in m.group(1).split(";") if i.strip()]
        if len(items) < MIN_LIST_ITEMS:
            continue
        ids = []
        for item in items:
            item = re.sub(r"\s+im\s+", " (", item) + ")" if re.search(r"\s+im\s+", item) else item
            found = catalogue.by_alias(item) or catalogue.by_alias(parse_name(item).display)
            if len(found) == 1:
                ids.append(found[0].id)
        if len(ids) < MIN_RESOLVED * len(items):
            continue
        start = max(doc.text.rfind(". ", 0, m.start()), doc.text.rfind("\n", 0, m.start())) + 1
        sentence = doc.text[start : m.start()]
        found = list(_PROGRAMME.finditer(sentence))
        label = found[0].group(1).strip() if found else sentence.strip()[:80]
        out.append(Group(_nominative(label), list(dict.fromkeys(ids)), doc.id, locate(doc.id, m.start())))
    return out


def _nominative(label: str) -> str:
    """'Kommunalen Qualitätszirkel' -> 'Kommunaler Qualitätszirkel' (a dative adjective after 'im')."""
    words = label.split()
    if len(words) >= 2 and words[0].endswith("en") and words[0][:1].isupper() and not words[0].endswith("ungen"):
        words[0] = words[0][:-2] + "er"
    return " ".join(words)


GROUP_NAMED_SHARE = 0.5
# Words of a municipality's type: structure the description parser reads, not practice. A
# topic "Integrationskonzept für eine kreisangehörige Stadt" does not name the prize category
# "Kreisangehörige Städte und Gemeinden" (partner cities are a practice and stay).
TYPE_WORDS = " ".join([gz.KREISFREI, gz.KREISANGEHOERIG, gz.LANDKREIS, gz.STADTBEZIRK, "kreisfreie Städte",
                       "kreisangehörige Städte und Gemeinden", "Landkreise", "Kreis", "Kreise", "Kommune",
                       "Kommunen", "Stadt", "Städte", "Gemeinde", "Gemeinden", "Großstadt", "Kleinstadt", "Mittelstadt"])


def groups_named(catalogue: Catalogue, topic: str, practice: "PracticeRanker | None") -> list[tuple[dict, float]]:
    """The documents' groups whose label holds at least ``GROUP_NAMED_SHARE`` of the topic's
    weighted terms ("Kommunaler Qualitätszirkel zur Integration" names the Qualitätszirkel),
    leaving out the words of a municipality's type (``TYPE_WORDS``),
    with that share, best first: their members do what the topic asks by membership."""
    if practice is None or not topic.strip():
        return []
    type_stems = set(practice.analyze(TYPE_WORDS))
    terms = {t: w for t, w in practice.topic_terms(topic).items() if t not in type_stems}
    found = [(g, practice.coverage(terms, g["label"])) for g in catalogue.groups]
    return sorted([(g, c) for g, c in found if c >= GROUP_NAMED_SHARE], key=lambda gc: -gc[1])
