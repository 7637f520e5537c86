"""The application object: what the API routes, the web page and plain Python callers share.

Every method returns plain dicts and lists (pydantic lives only in ``service.schemas``).
Snippets are ``markupsafe.Markup``: escaped passage text with ``<mark>`` around query
terms, safe to put into HTML as is.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from index.runtime import load_embedder, open_searcher
from index.search import Filters, SearchResult, Searcher
from index.snapshot import CURRENT
from ingest.errors import BadRequest, NotFound, SnapshotError
from ingest.settings import Settings
from service.cases import case_examples
from service.catalogue_port import (CatalogueAdapter, CatalogueLike, CatalogueUnavailable, municipality_record,
                                    municipality_ref)
from service.highlight import QueryTerms, highlight, snippet

log = logging.getLogger("praxisfinder.service")
CASE_DEPTH = 50  # hits that vote for case examples
SNIPPET_CHARS = 280
MUNICIPAL_FILTERS = ("bundesland", "municipality_type", "min_population", "max_population", "theme")


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
                def embed(text: str):
                    return self.embedder.encode_queries([text])[0]

                adapter = CatalogueAdapter(s.catalogue, s.passages, s.snapshot.vectors, embed)
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

    def search_page(self, query: str, k: int = 10, mode: str = "hybrid", filters: Filters | None = None) -> dict[str, Any]:
        """Search, highlight the k returned snippets, and rank case examples over the top hits."""
        if not isinstance(k, int) or not 1 <= k <= self.settings.max_k:
            raise BadRequest(f"k must be between 1 and {self.settings.max_k}")
        filters = filters or Filters()
        s = self.searcher  # one snapshot for the whole request, even if a reload swaps meanwhile
        catalogue = self._catalogue_for(s)
        depth = max(k, min(CASE_DEPTH, self.settings.max_k)) if catalogue is not None else k
        result = s.search(query, k=depth, mode=mode, filters=filters)
        terms = QueryTerms.of(result.query)
        rows = []
        for hit in result.hits[:k]:
            row = hit.to_dict()
            row["snippet"] = snippet(hit.passage.text, terms, SNIPPET_CHARS)
            row["municipalities"] = self._refs(hit.passage.id, catalogue)
            rows.append(row)
        cases = []
        if catalogue is not None:
            cases = case_examples(result.hits, catalogue, terms, self._allowed(catalogue, filters))
        return {"query": result.query, "mode": result.mode, "k": k, "language": result.language,
                "took_ms": round(result.took_ms, 2), "snapshot_id": result.snapshot_id,
                "filters": result.filters, "results": rows, "case_examples": cases}

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
                                    max_population=filters.max_population)
        return {municipality_ref(m)["id"] for m in matching}

    # -- passages and documents ----------------------------------------------------------

    def passage(self, passage_id: str, context: int = 1, query: str | None = None) -> dict[str, Any]:
        """One passage with ``context`` neighbours on each side from the same document."""
        s = self.searcher
        i = s.passage_index(passage_id)
        if i is None:
            raise NotFound(f"no passage with id {passage_id!r}")
        self._check_text("q", query)
        terms = QueryTerms.of(query) if query else None
        by_doc, position = self._doc_order(s)
        p = s.passages[i]
        siblings, pos = by_doc[p.doc_id], position[i]
        row = self._passage_row(s, i, terms)
        row["municipalities"] = self._refs(p.id, self._catalogue_for(s))
        row["context"] = {
            "previous": [self._passage_row(s, j, None) for j in siblings[max(0, pos - context):pos]],
            "next": [self._passage_row(s, j, None) for j in siblings[pos + 1:pos + 1 + context]],
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
                       q: str | None = None) -> list[dict[str, Any]]:
        self._check_text("q", q)
        records = self._require_catalogue().filter(bundesland=bundesland, type=type, theme=theme,
                                                   min_population=min_population,
                                                   max_population=max_population, q=q)
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
        return m

    def similar_municipalities(self, municipality_id: str, topic: str | None = None, k: int = 5) -> list[dict[str, Any]]:
        """Comparable municipalities (structure and practice), each with score, reasons and evidence."""
        self._check_text("topic", topic)
        catalogue = self._require_catalogue()
        if catalogue.get(municipality_id) is None:
            raise NotFound(f"no municipality with id {municipality_id!r}")
        out = []
        for record, score, reasons, evidence in catalogue.recommend(municipality_id, topic, k):
            row = municipality_record(record)
            row.update(score=round(float(score), 6), reasons=list(reasons), evidence=list(evidence))
            out.append(row)
        return out

    def recommend(self, query: str, topic: str | None = None, k: int = 10) -> dict[str, Any]:
        """Comparable municipalities for a municipality name or a free-text description.

        A name is resolved through the catalogue's aliases; an ambiguous name raises
        BadRequest with the candidates. Text that names no municipality but describes one
        ("ländlicher Landkreis in Brandenburg, 80.000 Einwohner") is matched by its
        structure and topic; anything else raises NotFound with suggestions.
        """
        if not isinstance(query, str) or not query.strip():
            raise BadRequest("give a municipality name or a description")
        self._check_text("query", query)
        self._check_text("topic", topic)
        if not 1 <= k <= self.settings.max_k:
            raise BadRequest(f"k must be between 1 and {self.settings.max_k}")
        adapter = self._require_catalogue()
        catalogue = getattr(adapter, "catalogue", adapter)
        try:
            target = catalogue.resolve(query.strip())
            described = None
        except NotFound:
            if not _describes_municipality(query):
                raise
            target, described = query.strip(), query.strip()
        rows = []
        for record, score, reasons, evidence in adapter.recommend_for(target, topic, k):
            row = municipality_record(record, facts=False)
            row.update(score=round(float(score), 6), reasons=list(reasons), evidence=list(evidence))
            rows.append(row)
        about = {"description": described} if described else municipality_record(target, facts=False)
        return {"query": about, "topic": topic, "recommendations": rows}

    def _check_text(self, name: str, value: str | None) -> None:
        """Every free-text input obeys the query length limit (``max_query_chars``)."""
        if value is not None and len(value) > self.settings.max_query_chars:
            raise BadRequest(f"{name} is too long ({len(value)} characters; the limit is {self.settings.max_query_chars})")

    def filter_options(self) -> dict[str, Any]:
        """Choices for the search form: documents, Länder, municipality types, themes."""
        from index.catalogue.gazetteer import BUNDESLAENDER, KREISANGEHOERIG, KREISFREI, LANDKREIS, STADTBEZIRK

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
