"""The application object: what the API routes, the web page and plain Python callers share.

Every method returns plain dicts and lists (pydantic lives only in ``service.schemas``).
Snippets are ``markupsafe.Markup``: escaped passage text with ``<mark>`` around query
terms, safe to put into HTML as is.
"""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from pathlib import Path
from typing import Any

from index.runtime import load_embedder, open_searcher
from index.search import Filters, SearchResult, Searcher, nfc
from index.snapshot import CURRENT
from core.errors import BadRequest, NotFound, SnapshotError
from core.schema import Passage
from core.settings import Settings
from service.cases import case_examples
from service.catalogue_port import (CatalogueAdapter, CatalogueLike, CatalogueUnavailable, municipality_record,
                                    municipality_ref)
from service.highlight import QueryTerms, highlight
from service.hits import page_rows
from index.search.answer import analyse, query_stems

log = logging.getLogger("praxisfinder.service")
CASE_DEPTH = 50  # hits that vote for case examples
SNIPPET_CHARS = 280
MUNICIPAL_FILTERS = ("bundesland", "municipality_type", "min_population", "max_population", "theme")



def reader_texts(passages: list[Passage], keep: int) -> list[str]:
    """The texts of consecutive passages of one document with each sentence shown once.

    Passages overlap (the last sentence of one opens the next; a table split over
    passages repeats its caption and header rows). ``passages[keep]`` is shown whole;
    a passage before it loses the tail the following passage repeats, a passage after
    it loses the head the previous one already showed. Offsets (``start``/``end`` into
    the document text) decide what overlaps; a repeated table header (``meta.prefix``)
    is shown only on the first passage of the listing. Returns one text per passage.
    """
    out: list[str] = []
    for n, p in enumerate(passages):
        prefix = p.meta.get("prefix", "")
        body = p.text[len(prefix):] if prefix and p.text.startswith(prefix) else p.text
        start, end = p.start, p.end
        if n < keep:
            nxt = passages[n + 1]
            if nxt.start < end and nxt.start > start:
                body = body[: nxt.start - start].rstrip()
        elif n > keep:
            prev = passages[n - 1]
            if prev.end > start and prev.end < end:
                body = body[prev.end - start:].lstrip()
        else:
            out.append(p.text)
            continue
        if prefix and n == 0:
            body = prefix + body  # the first passage shown: its table header is not shown elsewhere
        out.append(body)
    return out

class Application:
    def __init__(self, settings: Settings, embedder=None, searcher: Searcher | None = None,
                 catalogue: CatalogueLike | None = None):
        """``catalogue`` replaces the snapshot's own for the service features (case examples,
        municipality pages); the Searcher's municipality filters always use the snapshot's."""
        self.settings = settings
        self._embedder = embedder
        self._searcher = searcher
        self._catalogue = catalogue
        self._lock = threading.Lock()
        self._auto_reload = searcher is None  # an injected Searcher is never swapped behind the caller's back
        self._next_check = 0.0
        self._reloading: threading.Thread | None = None
        self._failed_reload: str | None = None
        self._load_error: str | None = None
        self._order: tuple[str, dict[str, list[int]], dict[int, int]] | None = None
        self._adapter: tuple[Searcher, CatalogueAdapter | None] | None = None

    @property
    def embedder(self):
        if self._embedder is None:
            self._embedder = load_embedder(self.settings)
        return self._embedder

    @property
    def searcher(self) -> Searcher:
        if self._searcher is None:
            with self._lock:
                if self._searcher is None:
                    try:
                        self._searcher = open_searcher(self.settings, self.embedder)
                        self._load_error = None
                    except SnapshotError as exc:
                        self._load_error = exc.message
                        raise
        elif self._auto_reload and self.settings.reload_check_seconds > 0:
            self._check_current()
        return self._searcher

    def _check_current(self) -> None:
        """At most once per ``reload_check_seconds``: if CURRENT names another snapshot (a CLI
        ingest or another replica published one), load it in a background thread; requests
        keep using the old snapshot until the new one is ready."""
        now = time.monotonic()
        if now < self._next_check:
            return
        self._next_check = now + self.settings.reload_check_seconds
        try:
            name = (self.settings.snapshots_dir / CURRENT).read_text().strip()
        except OSError:
            return
        loaded = self._searcher.snapshot.path
        if not name or loaded is None or name == Path(loaded).name or name == self._failed_reload:
            return
        with self._lock:
            if self._reloading is not None and self._reloading.is_alive():
                return
            self._reloading = threading.Thread(target=self._background_reload, args=(name,),
                                               name="praxisfinder-reload", daemon=True)
            self._reloading.start()

    def _background_reload(self, name: str) -> None:
        try:
            log.info("snapshot %s is now serving", self.reload())
            self._failed_reload = None
        except Exception as exc:  # keep serving the old snapshot; retry when CURRENT changes again
            self._failed_reload = name
            log.warning("could not load snapshot %s, the previous one keeps serving: %s", name,
                        getattr(exc, "message", type(exc).__name__))

    @property
    def catalogue(self) -> CatalogueLike | None:
        """The injected catalogue, else an adapter over the current snapshot's (None if it has none)."""
        return self._catalogue_for(self.searcher)

    def _catalogue_for(self, s: Searcher) -> CatalogueLike | None:
        if self._catalogue is not None:
            return self._catalogue
        cached = self._adapter
        if cached is None or cached[0] is not s:
            adapter = None
            if s.catalogue is not None:
                adapter = CatalogueAdapter(s.catalogue, s)
            cached = self._adapter = (s, adapter)
        return cached[1]

    def reload(self) -> str:
        """Swap in the snapshot CURRENT names now; the old one serves until the swap.

        Requests that already hold the old Searcher finish on it (each request reads
        ``self.searcher`` once); the next ones see the new one.
        """
        new = open_searcher(self.settings, self.embedder)
        self._searcher = new
        return new.snapshot.id

    def readiness(self) -> dict[str, Any]:
        try:
            s = self.searcher
        except SnapshotError as exc:
            raise SnapshotError(f"not ready: {exc.message}") from exc
        return {"status": "ready", "snapshot_id": s.snapshot.id, "passages": len(s.passages),
                "documents": len(s.snapshot.documents), "model": s.snapshot.manifest["model"]["name"]}

    def search(self, query: str, k: int = 10, mode: str = "hybrid", filters: Filters | None = None) -> SearchResult:
        return self.searcher.search(query, k=k, mode=mode, filters=filters)

    # -- search with snippets and case examples (the API and the web page) ----------------

    def search_page(self, query: str, k: int = 10, mode: str = "hybrid", filters: Filters | None = None,
                    offset: int = 0, floor: bool = True, group: bool = False) -> dict[str, Any]:
        """Search to ``settings.max_k``, count the hits above the relevance floor, page and
        highlight them (``service.hits``), and rank case examples over the top hits.

        ``offset``: hits (or, with ``group``, sections) to skip; ``floor=False`` pages the
        whole ranking. The verdict fields (``total``, ``no_match``, ``notice``,
        ``suggestions``, ``query_terms``, ...) come from ``index.search.answer.analyse``.
        """
        if not isinstance(k, int) or not 1 <= k <= self.settings.max_k:
            raise BadRequest(f"k must be between 1 and {self.settings.max_k}")
        if not isinstance(offset, int) or offset < 0:
            raise BadRequest("offset must be 0 or more")
        filters = filters or Filters()
        s = self.searcher  # one snapshot for the whole request, even if a reload swaps meanwhile
        catalogue = self._catalogue_for(s)
        result = s.search(query, k=self.settings.max_k, mode=mode, filters=filters)
        verdict = analyse(s, result)
        terms = QueryTerms(verdict.highlight_stems)
        counted = result.hits[:verdict.total] if floor else result.hits
        rows, paging = page_rows(counted, terms, k=k, offset=offset, group=group,
                                 refs=lambda pid: self._refs(pid, catalogue), snippet_chars=SNIPPET_CHARS,
                                 doc_meta={d.id: d.meta for d in s.snapshot.documents})
        cases = []
        if catalogue is not None and counted:  # the counted hits vote, so cases never rest on unshown hits
            cases = case_examples(counted[:CASE_DEPTH], catalogue, terms, self._allowed(catalogue, filters))
        return {"query": result.query, "mode": result.mode, "k": k, "language": result.language,
                "took_ms": round(result.took_ms, 2), "snapshot_id": result.snapshot_id,
                "filters": result.filters, "results": rows, "case_examples": cases,
                **verdict.to_dict(), "total": len(counted), **paging, "floor": floor,
                "extra_terms": verdict.extra_terms, "notice_de": verdict.notice_de()}

    @staticmethod
    def _refs(passage_id: str, catalogue: CatalogueLike | None) -> list[dict[str, Any]]:
        if catalogue is None:
            return []
        return [municipality_ref(m) for m in catalogue.municipalities_for_passage(passage_id)]

    @staticmethod
    def _allowed(catalogue: CatalogueLike, filters: Filters) -> set[str] | None:
        if all(getattr(filters, name) in (None, "") for name in MUNICIPAL_FILTERS):
            return None
        matching = catalogue.filter(bundesland=filters.bundesland, type=filters.municipality_type,
                                    theme=filters.theme, min_population=filters.min_population,
                                    max_population=filters.max_population,
                                    **({"include_unknown_population": True}
                                       if getattr(filters, "include_unknown_population", None) else {}))
        return {municipality_ref(m)["id"] for m in matching}

    # -- passages and documents ----------------------------------------------------------

    def passage(self, passage_id: str, context: int = 1, query: str | None = None) -> dict[str, Any]:
        """One passage with ``context`` neighbours on each side from the same document."""
        s = self.searcher
        i = s.passage_index(passage_id)
        if i is None:
            raise NotFound(f"no passage with id {passage_id!r}")
        self._check_text("q", query)
        terms = QueryTerms(query_stems(s, query)) if query else None  # English: its German terms too
        by_doc, position = self._doc_order(s)
        p = s.passages[i]
        siblings, pos = by_doc[p.doc_id], position[i]
        row = self._passage_row(s, i, terms)
        row["municipalities"] = self._refs(p.id, self._catalogue_for(s))
        before, after = siblings[max(0, pos - context):pos], siblings[pos + 1:pos + 1 + context]
        shown = reader_texts([s.passages[j] for j in before + [i] + after], keep=len(before))
        row["context"] = {
            "previous": [dict(self._passage_row(s, j, None), reader_text=t) for j, t in zip(before, shown)],
            "next": [dict(self._passage_row(s, j, None), reader_text=t)
                     for j, t in zip(after, shown[len(before) + 1:])],
        }
        return row

    @staticmethod
    def _passage_row(s: Searcher, i: int, terms: QueryTerms | None) -> dict[str, Any]:
        p = s.passages[i]
        row = {k: v for k, v in p.to_dict().items() if k not in ("meta", "start", "end")}
        row["passage_id"] = row.pop("id")
        if terms is not None:
            row["highlighted"] = highlight(p.text, terms)
        return row

    def _doc_order(self, s: Searcher) -> tuple[dict[str, list[int]], dict[int, int]]:
        """Passage positions per document (index order), cached per snapshot."""
        cached = self._order
        if cached is None or cached[0] != s.snapshot.id:
            by_doc: dict[str, list[int]] = {}
            for i, p in enumerate(s.passages):
                by_doc.setdefault(p.doc_id, []).append(i)
            for ids in by_doc.values():
                ids.sort(key=lambda j: s.passages[j].index)
            position = {i: n for ids in by_doc.values() for n, i in enumerate(ids)}
            cached = self._order = (s.snapshot.id, by_doc, position)
        return cached[1], cached[2]

    def documents(self, s: Searcher | None = None) -> list[dict[str, Any]]:
        s = s or self.searcher
        by_doc, _ = self._doc_order(s)
        return [{"id": d.id, "title": d.title, "format": d.format, "pages": d.pages,
                 "passages": len(by_doc.get(d.id, [])), "meta": d.meta} for d in s.snapshot.documents]

    def document(self, doc_id: str) -> dict[str, Any]:
        s = self.searcher
        for doc in self.documents(s):
            if doc["id"] == doc_id:
                by_doc, _ = self._doc_order(s)
                doc["outline"] = [{"passage_id": s.passages[i].id, "page": s.passages[i].page,
                                   "page_label": s.passages[i].page_label,
                                   "section": s.passages[i].section} for i in by_doc.get(doc_id, [])]
                return doc
        raise NotFound(f"no document with id {doc_id!r}")

    # -- municipalities ------------------------------------------------------------------

    def _require_catalogue(self) -> CatalogueLike:
        catalogue = self.catalogue
        if catalogue is None:
            raise CatalogueUnavailable("the municipality catalogue is not available for this snapshot")
        return catalogue

    def municipalities(self, bundesland: str | None = None, type: str | None = None, theme: str | None = None,
                       min_population: int | None = None, max_population: int | None = None,
                       q: str | None = None, include_unknown_population: bool = False) -> list[dict[str, Any]]:
        """Catalogue records matching every criterion; ``q`` matches a part of the name or an
        alias after Unicode NFC and folding (case, umlauts). A population bound drops
        municipalities without a known population unless ``include_unknown_population``."""
        q = unicodedata.normalize("NFC", q).strip() if q else None
        if q and len(q) > self.settings.max_query_chars:
            raise BadRequest(f"q is too long: {len(q)} characters, at most {self.settings.max_query_chars} allowed")
        records = self._require_catalogue().filter(bundesland=bundesland, type=type, theme=theme,
                                                   min_population=min_population,
                                                   max_population=max_population, q=q or None,
                                                   include_unknown_population=include_unknown_population)
        return [municipality_record(m) for m in records]

    def municipality(self, municipality_id: str) -> dict[str, Any]:
        """The municipality's facts and projects, plus the passages about it."""
        record = self._require_catalogue().get(municipality_id)
        if record is None:
            raise NotFound(f"no municipality with id {municipality_id!r}")
        m = municipality_record(record)
        s = self.searcher
        m["passages"] = [self._passage_row(s, i, None) for i in
                         (s.passage_index(pid) for pid in m["passage_ids"]) if i is not None]
        data = record if isinstance(record, dict) else vars(record)
        m["mentions"] = [self._passage_row(s, i, None) for i in
                         (s.passage_index(pid) for pid in data.get("mentions", [])) if i is not None]
        return m

    def similar_municipalities(self, municipality_id: str, topic: str | None = None, k: int = 5,
                               candidates=None) -> list[dict[str, Any]]:
        """Comparable municipalities (practice from the search, then structure), each with
        score, reasons and evidence; ``topic`` steers the practice part."""
        catalogue = self._require_catalogue()
        if catalogue.get(municipality_id) is None:
            raise NotFound(f"no municipality with id {municipality_id!r}")
        topic = self._topic(topic)
        return [self._recommendation_row(record, rec) for record, rec in
                catalogue.recommend(municipality_id, topic, k, candidates)]

    def recommend(self, query: str, topic: str | None = None, k: int = 10, candidates=None,
                  as_description: bool = False, record=None) -> dict[str, Any]:
        """Comparable municipalities for a municipality name or a free-text description.

        A name is resolved through the catalogue's aliases (after Unicode NFC); an
        ambiguous name raises BadRequest with the candidates. Text that names no
        municipality but describes one ("ländlicher Landkreis in Brandenburg, 80.000
        Einwohner") is matched by its structure and topic; anything else raises NotFound
        with suggestions. ``as_description`` skips name resolution; ``record`` gives the
        already resolved catalogue record.

        :returns: ``{"query", "topic", "recommendations"}``; each recommendation has the
            municipality's fields plus ``score``, ``reasons``, ``evidence``,
            ``reason_details`` and ``components``.
        """
        if not isinstance(query, str) or not query.strip():
            raise BadRequest("give a municipality name or a description")
        query = unicodedata.normalize("NFC", query).strip()
        if len(query) > self.settings.max_query_chars:
            raise BadRequest(f"the description is too long: {len(query)} characters, "
                             f"at most {self.settings.max_query_chars} allowed")
        if not 1 <= k <= self.settings.max_k:
            raise BadRequest(f"k must be between 1 and {self.settings.max_k}")
        topic = self._topic(topic)
        adapter = self._require_catalogue()
        catalogue = getattr(adapter, "catalogue", adapter)
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
                adapter.recommend_for(target, topic, k, candidates)]
        about = {"description": described} if described else municipality_record(target, facts=False)
        return {"query": about, "topic": topic, "recommendations": rows}

    def _check_text(self, name: str, value: str | None) -> None:
        """Every free-text input obeys the query length limit (``max_query_chars``)."""
        if value is not None and len(value) > self.settings.max_query_chars:
            raise BadRequest(f"{name} is too long ({len(value)} characters; the limit is {self.settings.max_query_chars})")

    def recommend_request(self, municipality: str | None, description: str | None, topic: str | None = None,
                          k: int = 10, candidates=None) -> dict[str, Any]:
        """``recommend`` for exactly one of a municipality (name or catalogue id) or a
        description, as the API and the web page take them."""
        if bool(municipality and municipality.strip()) == bool(description and description.strip()):
            raise BadRequest("give either municipality or description")
        if candidates is not None and candidates.bundesland:
            from index.municipalities.gazetteer import BUNDESLAENDER, land_name

            if land_name(candidates.bundesland) is None:
                raise BadRequest(f"unknown Bundesland: {candidates.bundesland!r}",
                                 {"valid": list(BUNDESLAENDER.values())})
        if municipality and municipality.strip():
            adapter = self._require_catalogue()
            catalogue = getattr(adapter, "catalogue", adapter)
            by_id = getattr(catalogue, "_by_id", {}).get(municipality.strip())
            return self.recommend(municipality, topic, k, candidates, record=by_id)
        return self.recommend(description, topic, k, candidates, as_description=True)

    def _topic(self, topic: str | None) -> str | None:
        if topic is None:
            return None
        topic = unicodedata.normalize("NFC", topic).strip()
        if len(topic) > self.settings.max_query_chars:
            raise BadRequest(f"topic is too long: {len(topic)} characters, at most "
                             f"{self.settings.max_query_chars} allowed")
        return topic or None

    def _recommendation_row(self, record, rec) -> dict[str, Any]:
        row = municipality_record(record, facts=False)
        s = self.searcher
        details = []
        for reason in rec.details:
            d = {"kind": reason.kind, "text": reason.text, "passage_id": reason.passage_id,
                 "source": reason.source, "evidence": None}
            i = s.passage_index(reason.passage_id) if reason.passage_id else None
            if i is not None:
                p = s.passages[i]
                text = " ".join(p.text.split())
                d["evidence"] = {"passage_id": p.id, "doc_id": p.doc_id, "doc_title": p.doc_title, "page": p.page,
                                 "page_end": getattr(p, "page_end", None), "page_label": getattr(p, "page_label", None),
                                 "section": p.section, "snippet": text[:220] + ("…" if len(text) > 220 else "")}
            details.append(d)
        row.update(score=round(float(rec.score), 6), reasons=list(rec.reasons), evidence=list(rec.evidence),
                   reason_details=details, components=dict(rec.components))
        return row

    def municipality_names(self) -> list[dict[str, Any]]:
        """Every catalogue municipality as ``{"id", "name", "type", "bundesland"}``, by name
        (for name suggestions in forms)."""
        catalogue = self._require_catalogue()
        records = catalogue.filter()
        return sorted((municipality_ref(m) for m in records), key=lambda r: (r["name"].casefold(), r["id"]))

    def filter_options(self) -> dict[str, Any]:
        """Choices for the search form: documents, Länder, municipality types, themes."""
        from index.municipalities.gazetteer import BUNDESLAENDER, KREISANGEHOERIG, KREISFREI, LANDKREIS, STADTBEZIRK

        catalogue = self.catalogue
        return {"documents": [{"id": d["id"], "title": d["title"]} for d in self.documents()],
                "bundeslaender": sorted(BUNDESLAENDER.values()),
                "types": [KREISFREI, KREISANGEHOERIG, LANDKREIS, STADTBEZIRK],
                "themes": list(catalogue.themes()) if catalogue is not None else [],
                "catalogue": catalogue is not None}


_DESCRIPTION_WORDS = ("landkreis", "kreis", "gemeinde", "stadt", "kommune", "ländlich", "einwohner", "bundesland",
                      "rural", "district", "town", "city", "municipality")


def _describes_municipality(text: str) -> bool:
    """Free text that describes a municipality rather than naming one."""
    low = text.lower()
    return any(ch.isdigit() for ch in low) or (len(low.split()) >= 3 and any(w in low for w in _DESCRIPTION_WORDS))
