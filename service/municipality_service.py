"""The municipality catalogue and comparable municipalities: what ``/api/municipalities``,
``/api/recommend`` and the pages ``/kommunen``, ``/kommune/{id}`` and ``/vergleich`` show.

Recommendations come from ``index.municipalities`` through ``service.catalogue_port``;
this module validates the request, resolves names and shapes the rows.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from core.errors import BadRequest, NotFound, TooLong
from index.municipalities.gazetteer import BUNDESLAENDER, land_name
from index.municipalities.profile import parse_description
from index.municipalities.recommend import ReasonKind
from index.search.query import check_k
from service.catalogue_port import CatalogueLike, CatalogueUnavailable, municipality_record, municipality_ref
from service.passage_service import PassageService
from service.reasons import rendered
from service.snapshots import SnapshotHolder


class MunicipalityService:
    """Catalogue listing, municipality pages and recommendations over the serving snapshot.

    :param snapshots: the ``SnapshotHolder`` (its catalogue and searcher).
    """

    def __init__(self, snapshots: SnapshotHolder):
        self.snapshots = snapshots

    def require_catalogue(self) -> CatalogueLike:
        """The serving catalogue; ``CatalogueUnavailable`` (503) when the snapshot has none."""
        catalogue = self.snapshots.catalogue
        if catalogue is None:
            raise CatalogueUnavailable("the municipality catalogue is not available for this snapshot", cause="catalogue_missing")
        return catalogue

    def municipalities(self, bundesland: str | None = None, type: str | None = None, theme: str | None = None,
                       min_population: int | None = None, max_population: int | None = None,
                       q: str | None = None, include_unknown_population: bool = False,
                       topic: str | None = None) -> list[dict[str, Any]]:
        """Catalogue records matching every criterion; ``q`` matches a part of the name or an
        alias after Unicode NFC and folding (case, umlauts). A population bound drops
        municipalities without a known population unless ``include_unknown_population``.
        With ``topic`` ("Dolmetscherpool"): only the municipalities that do it, ranked by their
        practice ("who does X?", ``index.municipalities.who_does``), each with ``score``,
        ``reasons`` and ``reason_details``."""
        q = unicodedata.normalize("NFC", q).strip() if q else None
        limit = self.snapshots.settings.search.max_query_chars
        if q and len(q) > limit:
            raise TooLong(f"q is too long: {len(q)} characters, at most {limit} allowed", "q", len(q), limit)
        topic = self._topic(topic)
        adapter = self.require_catalogue()
        records = adapter.filter(bundesland=bundesland, type=type, theme=theme, min_population=min_population,
                                 max_population=max_population, q=q or None,
                                 include_unknown_population=include_unknown_population)
        if not topic:
            return [municipality_record(m) for m in records]
        allowed = {municipality_ref(m)["id"] for m in records}
        return [self._recommendation_row(adapter.get(match.id), _as_recommendation(match))
                for match in adapter.who_does(topic, len(allowed), allowed=allowed)]

    def who_does(self, topic: str | None, k: int = 10, candidates=None) -> dict[str, Any]:
        """"Who already does ``topic``?": ``{"query": {"who_does": True}, "topic", "recommendations"}``
        in the shape of :meth:`recommend`, each municipality with the reasons that show its
        practice (``index.municipalities.who_does``). Raises ``BadRequest`` without a topic."""
        topic = self._topic(topic)
        if not topic:
            raise BadRequest("give a municipality, a description or a topic")
        check_k(k, self.snapshots.settings.search.max_k)
        adapter = self.require_catalogue()
        rows = [self._recommendation_row(adapter.get(m.id), _as_recommendation(m))
                for m in adapter.who_does(topic, k, candidates)]
        return {"query": {"who_does": True}, "topic": topic, "recommendations": rows}

    def municipality(self, municipality_id: str) -> dict[str, Any]:
        """The municipality's facts and projects, plus the passages about it."""
        record = self.require_catalogue().get(municipality_id)
        if record is None:
            raise NotFound(f"no municipality with id {municipality_id!r}", cause="municipality_not_found")
        m = municipality_record(record)
        s = self.snapshots.searcher
        m["passages"] = [PassageService.passage_row(s, i, None) for i in
                         (s.passage_index(pid) for pid in m["passage_ids"]) if i is not None]
        m["mentions"] = [PassageService.passage_row(s, i, None) for i in
                         (s.passage_index(pid) for pid in record.mentions) if i is not None]
        return m

    def similar_municipalities(self, municipality_id: str, topic: str | None = None, k: int = 5,
                               candidates=None) -> list[dict[str, Any]]:
        """Comparable municipalities (practice from the search, then structure), each with
        score, reasons and evidence; ``topic`` steers the practice part."""
        catalogue = self.require_catalogue()
        if catalogue.get(municipality_id) is None:
            raise NotFound(f"no municipality with id {municipality_id!r}", cause="municipality_not_found")
        topic = self._topic(topic)
        return [self._recommendation_row(record, rec) for record, rec in
                catalogue.recommend(municipality_id, topic, k, candidates)]

    def recommend(self, query: str, topic: str | None = None, k: int = 10, candidates=None,
                  as_description: bool = False, record=None, ignore: set[str] | None = None) -> dict[str, Any]:
        """Comparable municipalities for a municipality name or a free-text description.

        A name is resolved through the catalogue's aliases (after Unicode NFC); an
        ambiguous name raises BadRequest with the candidates. Text that names no
        municipality but describes one ("ländlicher Landkreis in Brandenburg, 80.000
        Einwohner") is matched by its structure and topic; anything else raises NotFound
        with suggestions. ``as_description`` skips name resolution; ``record`` gives the
        already resolved catalogue record; ``ignore`` drops parts of a description (the
        answer's ``query.understood`` lists the parts it was read as).

        :returns: ``{"query", "topic", "recommendations"}``; each recommendation has the
            municipality's fields plus ``score``, ``reasons``, ``evidence``,
            ``reason_details`` and ``components``.
        """
        if not isinstance(query, str) or not query.strip():
            raise BadRequest("give a municipality name or a description", cause="municipality_or_description")
        query = unicodedata.normalize("NFC", query).strip()
        limit = self.snapshots.settings.search.max_query_chars
        if len(query) > limit:
            raise TooLong(f"the description is too long: {len(query)} characters, at most {limit} allowed",
                          "description", len(query), limit)
        check_k(k, self.snapshots.settings.search.max_k)
        topic = self._topic(topic)
        adapter = self.require_catalogue()
        catalogue = adapter.catalogue
        described = None
        if record is not None:
            target = record
        elif as_description:
            target = described = query
        else:
            try:
                target = catalogue.resolve(query)
            except NotFound:
                if not _describes_municipality(query):
                    raise
                target = described = query
        rows = [self._recommendation_row(record, rec) for record, rec in
                adapter.recommend_for(target, topic, k, candidates, ignore if described else None)]
        if described:
            profile = parse_description(described)
            about = {"description": described, "understood": profile.without(ignore).understood(),
                     "ignored": [u for u in profile.understood() if u["part"] in (ignore or set())]}
        else:
            about = municipality_record(target, facts=False)
        return {"query": about, "topic": topic, "recommendations": rows}

    def recommend_request(self, municipality: str | None, description: str | None, topic: str | None = None,
                          k: int = 10, candidates=None, ignore: set[str] | None = None) -> dict[str, Any]:
        """``recommend`` for exactly one of a municipality (name or catalogue id) or a
        description, as the API and the web page take them; a topic alone answers "who
        already does it?" (:meth:`who_does`)."""
        named, described = bool(municipality and municipality.strip()), bool(description and description.strip())
        if not named and not described and topic and topic.strip():
            return self.who_does(topic, k, candidates)
        if named == described:
            raise BadRequest("give either municipality or description", cause="municipality_or_description")
        if candidates is not None and candidates.bundesland:
            if land_name(candidates.bundesland) is None:
                raise BadRequest(f"unknown Bundesland: {candidates.bundesland!r}",
                                 {"valid": list(BUNDESLAENDER.values())})
        if municipality and municipality.strip():
            by_id = self.require_catalogue().find(municipality.strip())
            return self.recommend(municipality, topic, k, candidates, record=by_id)
        return self.recommend(description, topic, k, candidates, as_description=True, ignore=ignore)

    def _topic(self, topic: str | None) -> str | None:
        if topic is None:
            return None
        topic = unicodedata.normalize("NFC", topic).strip()
        limit = self.snapshots.settings.search.max_query_chars
        if len(topic) > limit:
            raise TooLong(f"topic is too long: {len(topic)} characters, at most {limit} allowed", "topic", len(topic), limit)
        return topic or None

    def _recommendation_row(self, record, rec) -> dict[str, Any]:
        rec = rendered(rec)  # the reasons' German sentences (service.reasons)
        row = municipality_record(record, facts=False)
        s = self.snapshots.searcher
        details = []
        for reason in rec.details:
            d = {"kind": ReasonKind(reason.kind).value, "text": reason.text, "passage_id": reason.passage_id,
                 "source": reason.source, "evidence": None}
            i = s.passage_index(reason.passage_id) if reason.passage_id else None
            if i is not None:
                p = s.passages[i]
                d["evidence"] = {"passage_id": p.id, "doc_id": p.doc_id, "doc_title": p.doc_title, "page": p.page,
                                 "page_end": getattr(p, "page_end", None), "page_label": getattr(p, "page_label", None),
                                 "section": p.section, "snippet": _evidence_snippet(p.text, reason.text)}
            details.append(d)
        row.update(score=round(float(rec.score), 6), reasons=list(rec.reasons), evidence=list(rec.evidence),
                   reason_details=details, components=dict(rec.components))
        return row

    def municipality_names(self) -> list[dict[str, Any]]:
        """Every catalogue municipality as ``{"id", "name", "type", "bundesland"}``, by name
        (for name suggestions in forms)."""
        catalogue = self.require_catalogue()
        records = catalogue.filter()
        return sorted((municipality_ref(m) for m in records), key=lambda r: (r["name"].casefold(), r["id"]))


SNIPPET_CHARS = 220


def _evidence_snippet(text: str, reason: str) -> str:
    """The part of a passage that backs a reason: around the reason's quoted title where the
    passage holds it (a row of a list, a project in a profile), else the passage's start;
    plain text of at most ``SNIPPET_CHARS`` characters with "…" where cut."""
    text = " ".join(text.split())
    quoted = re.search(r"„([^“]{6,})“", reason)
    at = text.find(quoted.group(1)[:60]) if quoted else -1
    start = max(0, at - 60) if at > 0 else 0
    cut = text[start : start + SNIPPET_CHARS]
    return ("…" if start else "") + cut + ("…" if start + SNIPPET_CHARS < len(text) else "")


def _as_recommendation(match):
    """A ``who_does.PracticeMatch`` as an ``index.municipalities.Recommendation`` (its evidence as reasons)."""
    from index.municipalities.recommend import Reason, Recommendation  # lazy: only "who does X?" rows need them
    from service.cases import reason_text  # lazy: service.cases imports catalogue_port, which this module imports first

    details = [Reason(ReasonKind(e.kind), reason_text(e), e.passage_id, e.source) for e in match.evidence[:3]]
    return Recommendation(match.id, match.name, match.type, match.bundesland, match.score,
                          [d.text for d in details], [d.passage_id for d in details if d.passage_id],
                          {"practice": round(match.score, 4)}, details)


_DESCRIPTION_WORDS = ("landkreis", "kreis", "gemeinde", "stadt", "kommune", "ländlich", "einwohner", "bundesland",
                      "rural", "district", "town", "city", "municipality")


def _describes_municipality(text: str) -> bool:
    """Free text that describes a municipality rather than naming one."""
    low = text.lower()
    return any(ch.isdigit() for ch in low) or (len(low.split()) >= 3 and any(w in low for w in _DESCRIPTION_WORDS))
