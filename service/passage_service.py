"""Searching, passages and documents: what ``/api/search``, ``/api/passages``,
``/api/documents`` and the search page show.

Every method returns plain dicts and lists (pydantic lives only in ``service.schemas``).
Snippets are ``markupsafe.Markup``: escaped passage text with ``<mark>`` around query
terms, safe to put into HTML as is.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from core.errors import BadRequest, NotFound, TooLong
from core.schema import Passage
from index.municipalities.gazetteer import BUNDESLAENDER, KREISANGEHOERIG, KREISFREI, LANDKREIS, STADTBEZIRK
from index.search import Filters, SearchResult, Searcher
from index.search.answer import query_stems
from index.search.filters import by_year, document_year
from index.search.query import check_k
from service import facets
from service.cases import case_examples
from service.catalogue_port import CatalogueLike, municipality_ref
from service.highlight import QueryTerms, highlight
from service.hits import page_rows
from service.snapshots import SnapshotHolder

CASE_DEPTH = 50  # hits that vote for case examples
SNIPPET_CHARS = 280
SORTS = ("relevanz", "jahr")  # the orders of search_page: the ranking, or the document's year (newest first)

__all__ = ["PassageService", "document_year", "reader_texts"]


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


class PassageService:
    """Search with snippets and case examples, passages in context, documents.

    :param snapshots: the ``SnapshotHolder``; each call reads its ``searcher`` once, so
        one request sees one snapshot even if a reload swaps meanwhile.
    """

    def __init__(self, snapshots: SnapshotHolder):
        self.snapshots = snapshots
        self._order: tuple[str, dict[str, list[int]], dict[int, int]] | None = None

    def _check_text(self, name: str, value: str | None) -> None:
        """Every free-text input obeys the query length limit (``max_query_chars``)."""
        limit = self.snapshots.settings.search.max_query_chars
        if value is not None and len(value) > limit:
            raise TooLong(f"{name} is too long ({len(value)} characters; the limit is {limit})", name, len(value), limit)

    def search(self, query: str, k: int = 10, mode: str = "hybrid", filters: Filters | None = None) -> SearchResult:
        """``Searcher.search`` on the serving snapshot."""
        return self.snapshots.searcher.search(query, k=k, mode=mode, filters=filters)

    # -- search with snippets and case examples (the API and the web page) ----------------

    def search_page(self, query: str, k: int = 10, mode: str = "hybrid", filters: Filters | None = None,
                    offset: int = 0, floor: bool = True, group: bool = False, sort: str = "relevanz") -> dict[str, Any]:
        """Search to ``settings.search.max_k``, count the hits above the relevance floor, page and
        highlight them (``service.hits``), and rank case examples over the top hits.

        ``offset``: hits (or, with ``group``, sections) to skip; ``floor=False`` pages the
        whole ranking (the API's default, so ``k`` hits come back as before). The verdict
        fields (``total``, ``no_match``, ``notice``, ``suggestions``, ``query_terms``, ...)
        come from the search's own ``SearchResult.verdict`` and the filters from its one
        ``Allowed`` set (``FilterMask.allowed``): the query is analysed once and the
        catalogue filtered once per request; ``total`` always counts the hits above the
        floor. ``sort="jahr"`` orders the counted hits by their document's year, newest
        first (``document_year``; relevance order within a year, documents without a year
        last) before paging; the default ``"relevanz"`` keeps the ranking. Raises
        ``BadRequest`` for k out of range, a negative offset or an unknown sort.
        """
        if sort not in SORTS:
            raise BadRequest(f"unknown sort {sort!r}", {"valid": list(SORTS)}, cause="unknown_sort")
        settings = self.snapshots.settings
        check_k(k, settings.search.max_k)  # the page size; the searcher checks its own depth
        if not isinstance(offset, int) or offset < 0:
            raise BadRequest("offset must be 0 or more", cause="offset_out_of_range")
        filters = filters or Filters()
        s = self.snapshots.searcher  # one snapshot for the whole request, even if a reload swaps meanwhile
        catalogue = self.snapshots.catalogue_for(s)
        allowed = s.filter_mask.allowed(filters)  # the one rule, resolved once (shared with the facet counts)
        if floor:
            # the question's relevant hits: the unfiltered search above its floor, shared with
            # the facet counts; filters narrow them (drill-down): what the counts count
            depth = min(facets.FACET_DEPTH, settings.search.max_k) if filters.active() else settings.search.max_k
            result = facets.question_cached(s, query, mode, depth)
            verdict = result.verdict
            counted = s.narrow(verdict.select(result.hits), allowed)
            if filters.active():
                result = replace(result, filters=filters.as_dict())
        else:
            result = s.search(query, k=settings.search.max_k, mode=mode, filters=filters)
            verdict = result.verdict
            counted = result.hits
        terms = QueryTerms(verdict.highlight_stems)
        if sort == "jahr":
            counted = by_year(counted, s.snapshot.documents)
        rows, paging = page_rows(counted, terms, k=k, offset=offset, group=group,
                                 refs=lambda pid: self._refs(pid, catalogue, terms), snippet_chars=SNIPPET_CHARS,
                                 text_chars=settings.chunk.max_chars,
                                 doc_meta={d.id: d.meta for d in s.snapshot.documents})
        cases = []
        if catalogue is not None and counted:  # the shown hits vote, so cases never rest on unshown hits
            def passage_of(pid: str):
                i = s.passage_index(pid)
                return s.passages[i] if i is not None else None

            cases = case_examples(catalogue, result.query, counted[:CASE_DEPTH], terms, passage_of,
                                  allowed.municipalities)
        return {"query": result.query, "mode": result.mode, "k": k, "language": result.language,
                "took_ms": round(result.took_ms, 2), "snapshot_id": result.snapshot_id,
                "filters": result.filters, "results": rows, "case_examples": cases,
                **verdict.to_dict(), "total": len(counted) if floor and filters.active() else verdict.total, **paging, "floor": floor,
                "extra_terms": verdict.extra_terms, "notice_de": verdict.notice_de(), "sort": sort}

    @staticmethod
    def _refs(passage_id: str, catalogue: CatalogueLike | None, terms: QueryTerms | None = None) -> list[dict[str, Any]]:
        """The municipalities a hit is about: its subjects, and in a reference list the
        municipalities whose table row holds a query term (the row that answers)."""
        if catalogue is None:
            return []
        refs = [municipality_ref(m) for m in catalogue.municipalities_for_passage(passage_id)]
        if terms is not None:
            for m, row in catalogue.rows_for_passage(passage_id):
                if any(terms.matches(w) for w in re.findall(r"\w+", row)):
                    ref = municipality_ref(m)
                    if ref not in refs:
                        refs.append(ref)
        return refs

    # -- passages and documents ----------------------------------------------------------

    def passage(self, passage_id: str, context: int = 1, query: str | None = None) -> dict[str, Any]:
        """One passage with ``context`` neighbours on each side from the same document."""
        s = self.snapshots.searcher
        i = s.passage_index(passage_id)
        if i is None:
            raise NotFound(f"no passage with id {passage_id!r}", cause="passage_not_found")
        self._check_text("q", query)
        terms = QueryTerms(query_stems(s, query)) if query else None  # English: its German terms too
        by_doc, position = self._doc_order(s)
        p = s.passages[i]
        siblings, pos = by_doc[p.doc_id], position[i]
        row = self.passage_row(s, i, terms)
        row["municipalities"] = self._refs(p.id, self.snapshots.catalogue_for(s))
        before, after = siblings[max(0, pos - context):pos], siblings[pos + 1:pos + 1 + context]
        shown = reader_texts([s.passages[j] for j in before + [i] + after], keep=len(before))
        row["context"] = {
            "previous": [dict(self.passage_row(s, j, None), reader_text=t) for j, t in zip(before, shown)],
            "next": [dict(self.passage_row(s, j, None), reader_text=t)
                     for j, t in zip(after, shown[len(before) + 1:])],
        }
        return row

    @staticmethod
    def passage_row(s: Searcher, i: int, terms: QueryTerms | None) -> dict[str, Any]:
        """Passage ``i`` of ``s`` as the API shows it (``passage_id``, no offsets or meta),
        with ``highlighted`` text when ``terms`` are given."""
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
        """Every document of the snapshot: ``{"id", "title", "format", "pages", "passages", "meta",
        "indexing"}``; ``indexing`` is ``"partial"`` between a staged write's two commits
        (PostgreSQL store: BM25 finds the document, its vectors are still being computed),
        else ``"complete"``."""
        s = s or self.snapshots.searcher
        by_doc, _ = self._doc_order(s)
        return [{"id": d.id, "title": d.title, "format": d.format, "pages": d.pages,
                 "passages": len(by_doc.get(d.id, [])), "meta": d.meta,
                 "indexing": d.meta.get("indexing", "complete")} for d in s.snapshot.documents]

    def document(self, doc_id: str) -> dict[str, Any]:
        """One document with its ``outline`` (passage id, page, section per passage);
        ``NotFound`` for an unknown id."""
        s = self.snapshots.searcher
        for doc in self.documents(s):
            if doc["id"] == doc_id:
                by_doc, _ = self._doc_order(s)
                doc["outline"] = [{"passage_id": s.passages[i].id, "page": s.passages[i].page,
                                   "page_label": s.passages[i].page_label,
                                   "section": s.passages[i].section} for i in by_doc.get(doc_id, [])]
                return doc
        raise NotFound(f"no document with id {doc_id!r}", cause="document_not_found")

    def filter_options(self) -> dict[str, Any]:
        """Choices for the search form: documents, Länder, municipality types, themes."""

        catalogue = self.snapshots.catalogue
        return {"documents": [{"id": d["id"], "title": d["title"]} for d in self.documents()],
                "bundeslaender": sorted(BUNDESLAENDER.values()),
                "types": [KREISFREI, KREISANGEHOERIG, LANDKREIS, STADTBEZIRK],
                "themes": list(catalogue.themes()) if catalogue is not None else [],
                "catalogue": catalogue is not None}
