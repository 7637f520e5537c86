"""The German pages of issue 26: the documents (``/dokumente``, ``/dokument/{id}``), the
sources (``/quellen``), municipalities side by side (``/vergleich/nebeneinander``) and the
notebook (``/merkliste``).

Server-rendered like ``service.web`` (whose ``render`` and ``error_page`` they use), so
everything but the notebook works without JavaScript; the notebook lives in the browser
(``localStorage``, ``static/merkliste.js``) and nothing of it is stored on the server.
Maps and charts are inline SVG drawn on the server (``service.maps``, ``service.charts``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from core.errors import BadRequest, NotFound, PraxisError
from core.schema import SECTION_SEPARATOR
from index.municipalities.model import Municipality
from service import charts, maps
from service.errors import http_status
from service.export import citation
from service.rendering import templates

MIN_COMPARE, MAX_COMPARE = 2, 5
# Indicators the documents state in their fact boxes and tables, in the order shown.
INDICATORS = ("Einwohnerzahl", "Ausländische Bevölkerung", "Ausländeranteil", "Schutzsuchende",
              "Anteil Schutzsuchende")
# Documents' own metadata beyond the snapshot's (publisher page, DOI) from corpus/documents.json,
# which ``praxisfinder build`` reads too; read here so that a URL added later shows without a rebuild.
DOC_LINK_KEYS = ("url", "doi", "description")
# The start page's example questions, one per way in; tests/service/test_browser_issue26.py
# checks on the real corpus that each one answers.
EXAMPLE_QUESTIONS = [
    {"text": "Wie koordinieren kleine Gemeinden Ehrenamtliche?", "href": "/?q=Wie+koordinieren+kleine+Gemeinden+Ehrenamtliche%3F"},
    {"text": "Wohnraum für Geflüchtete", "href": "/?q=Wohnraum+f%C3%BCr+Gefl%C3%BCchtete"},
    {"text": "Wer hat schon einen Dolmetscherpool?", "href": "/kommunen?thema=Dolmetscherpool"},
    {"text": "Wer ist wie der Landkreis Osnabrück – beim Thema Wohnen?", "href": "/vergleich?kommune=Landkreis+Osnabr%C3%BCck&thema=Wohnen"},
]


class CompareInputError(BadRequest):
    """A wrong list of municipalities for the side-by-side page; the message is German."""

def document_meta(doc: dict[str, Any], path: str | None, corpus_dir: Path | None = None) -> dict[str, Any]:
    """The document's ``meta`` plus the keys of ``DOC_LINK_KEYS`` that ``documents.json``
    in the corpus folder (``settings.storage.corpus_dir``) or beside its file (``path``) holds;
    the snapshot's meta wins, then the corpus folder's."""
    meta = dict(doc.get("meta") or {})
    files = [Path(corpus_dir) / "documents.json"] if corpus_dir else []
    files += [Path(path).parent / "documents.json"] if path else []
    for file in files:
        extra = _catalogue_file(str(file)).get(doc["id"], {})
        for key in DOC_LINK_KEYS:
            if extra.get(key) and not meta.get(key):
                meta[key] = extra[key]
    return meta


_CATALOGUE_CACHE: dict[str, tuple[float, dict]] = {}


def _catalogue_file(path: str) -> dict[str, Any]:
    """``documents.json`` at ``path`` (cached by modification time; {} when unreadable)."""
    p = Path(path)
    try:
        mtime = p.stat().st_mtime
    except OSError:
        return {}
    cached = _CATALOGUE_CACHE.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    data = data if isinstance(data, dict) else {}
    _CATALOGUE_CACHE[path] = (mtime, data)
    return data


def _page_text(first: dict, last: dict) -> str:
    """ "S. 12" or "S. 12–14" from the first and last passage of a range ("" without pages)."""
    a = first.get("page_label") or (str(first["page"]) if first.get("page") is not None else "")
    b = last.get("page_label") or (str(last["page"]) if last.get("page") is not None else "")
    if not a and not b:
        return ""
    a_start = a.split("–")[0].split("-")[0]
    b_end = b.split("–")[-1].split("-")[-1]
    return f"S. {a_start}" if not b_end or a_start == b_end else f"S. {a_start}–{b_end}"


def outline(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A document's table of contents from its passages in reading order (``rows``: the
    ``outline`` of ``Application.document``): consecutive passages under the same top-level
    heading form one entry ``{"title", "pages" ("S. 12–14"), "passage_id" (the first),
    "passages" (count), "sub": [second-level headings, in order, unique]}``."""
    entries: list[dict[str, Any]] = []
    for row in rows:
        path = (row.get("section") or "").split(SECTION_SEPARATOR)
        top = path[0].strip() or "Ohne Überschrift"
        if not entries or entries[-1]["title"] != top:
            entries.append({"title": top, "first": row, "last": row, "passage_id": row["passage_id"],
                            "passages": 0, "sub": []})
        e = entries[-1]
        e["last"] = row
        e["passages"] += 1
        if len(path) > 1 and path[1].strip() and path[1].strip() not in e["sub"]:
            e["sub"].append(path[1].strip())
    for e in entries:
        e["pages"] = _page_text(e.pop("first"), e.pop("last"))
    return entries


def text_blocks(text: Any) -> Markup:
    """Passage text as HTML blocks: runs of lines with tabs (the documents' fact boxes and
    tables, exported as tab-separated rows) become a ``<table>``, the other lines
    paragraphs; everything escaped (``Markup`` input, e.g. highlighted text with
    ``<mark>``, is kept as it is). A row's first cell is its header when the run is a fact
    box (two columns)."""
    html = text if isinstance(text, Markup) else escape(text or "")
    lines = str(html).split("\n")
    out: list[str] = []
    run: list[list[str]] = []

    def flush_table() -> None:
        if not run:
            return
        two = all(len(r) == 2 for r in run)
        rows = []
        for r in run:
            cells = [c.strip() for c in r]
            if two:
                rows.append(f"<tr><th scope=\"row\">{cells[0]}</th><td>{cells[1]}</td></tr>")
            else:
                rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        out.append('<table class="text-table">' + "".join(rows) + "</table>")
        run.clear()

    para: list[str] = []

    def flush_para() -> None:
        if para:
            out.append("<p>" + " ".join(para) + "</p>")
            para.clear()

    for line in lines:
        if "\t" in line and line.strip():
            flush_para()
            run.append(line.split("\t"))
        else:
            flush_table()
            if line.strip():
                para.append(line.strip())
            else:
                flush_para()
    flush_para()
    flush_table()
    return Markup("".join(out))


def parse_ids(values: list[str]) -> list[str]:
    """``?kommunen=a,b&kommunen=c`` -> ["a", "b", "c"] (comma lists and repeated
    parameters, blanks and repeats dropped, order kept)."""
    ids: list[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if part and part not in ids:
                ids.append(part)
    return ids


class PagesData:
    """What the pages compute over the serving snapshot (cached per snapshot id):
    which municipalities each document portrays, and the collection's figures."""

    def __init__(self, application):
        self.application = application
        self._cache: tuple[str, dict[str, Any]] | None = None

    def _data(self) -> dict[str, Any]:
        s = self.application.searcher
        sid = s.snapshot.id
        if self._cache and self._cache[0] == sid:
            return self._cache[1]
        catalogue = self.application.catalogue
        portrays: dict[str, list[Municipality]] = {}
        records: list[Municipality] = []
        if catalogue is not None:
            for m in catalogue.filter():  # every record
                records.append(m)
                docs = {s.passages[i].doc_id for i in (s.passage_index(p) for p in m.passages) if i is not None}
                for d in docs:
                    portrays.setdefault(d, []).append(m)
        for rows in portrays.values():
            rows.sort(key=lambda m: m.name.casefold())
        documents = self.application.documents()
        years = []
        for d in documents:
            for token in str((d.get("meta") or {}).get("year", "")).replace("–", " ").split():
                if token.isdigit():
                    years.append(int(token))
        themes = sorted({t for m in records for t in m.themes})
        stats = {"documents": len(documents), "passages": sum(d["passages"] for d in documents),
                 "municipalities": sum(1 for m in records if m.passages),
                 "catalogue": len(records), "themes": themes,
                 "years": (min(years), max(years)) if years else None}
        data = {"portrays": portrays, "stats": stats}
        self._cache = (sid, data)
        return data

    def portrays(self, doc_id: str) -> list[Municipality]:
        """The catalogue records a document portrays (a subject passage in it), by name."""
        return self._data()["portrays"].get(doc_id, [])

    def stats(self) -> dict[str, Any]:
        """``{"documents", "passages", "municipalities" (with a portrait), "catalogue",
        "themes" (sorted), "years" ((first, last) or None)}``."""
        return self._data()["stats"]


def compare_rows(application, ids: list[str]) -> dict[str, Any]:
    """The side-by-side comparison of the municipalities ``ids`` (2–5 catalogue ids).

    :returns: ``{"municipalities": [record + "lat", "lon"], "indicators": [{"name",
        "cells": [{"value", "passage_id", "source", "year"} | None per municipality],
        "chart"}], "shared_themes", "only_themes" ({id: [themes]}), "shared_docs",
        "map"}``. Raises ``CompareInputError`` (German) for fewer than 2 or more than 5 ids
        and ``NotFound`` naming the unknown ids.
    """
    if not MIN_COMPARE <= len(ids) <= MAX_COMPARE:
        raise CompareInputError(
            f"Bitte wählen Sie {MIN_COMPARE} bis {MAX_COMPARE} Kommunen für den Vergleich "
            f"(gewählt: {len(ids)}).")
    catalogue = application.require_catalogue()
    unknown = [i for i in ids if catalogue.find(i) is None]
    if unknown:
        raise NotFound("unknown municipality ids", {"unknown": unknown})
    years = {d["id"]: (d.get("meta") or {}).get("year") for d in application.documents()}
    titles = {d["id"]: d["title"] for d in application.documents()}
    munis = []
    for mid in ids:
        m = application.municipality(mid)
        rec = catalogue.find(mid)
        m["lat"], m["lon"] = (rec.lat, rec.lon) if rec is not None else (None, None)
        munis.append(m)
    indicators = []
    for name in INDICATORS:
        cells = []
        for m in munis:
            facts = [f for f in m["facts"] if f["name"] == name]
            facts.sort(key=lambda f: str(years.get(f.get("doc_id")) or ""), reverse=True)  # the latest first
            f = facts[0] if facts else None
            cells.append(None if f is None else {"value": str(f["value"]), "passage_id": f.get("passage_id"),
                                                 "source": titles.get(f.get("doc_id"), ""),
                                                 "year": years.get(f.get("doc_id"))})
        if any(cells):
            chart = charts.bar_chart([(m["name"], c["value"] if c else None, c["value"] if c else "")
                                      for m, c in zip(munis, cells)])
            indicators.append({"name": name, "cells": cells, "chart": chart})
    theme_sets = [set(m["themes"]) for m in munis]
    shared = set.intersection(*theme_sets) if theme_sets else set()
    only = {m["id"]: sorted(t for t in m["themes"] if sum(t in s for s in theme_sets) == 1) for m in munis}
    doc_sets = [set(m["sources"]) for m in munis]
    shared_docs = sorted(set.intersection(*doc_sets)) if doc_sets else []
    try:
        the_map = maps.germany_map([{"id": m["id"], "name": m["name"], "lat": m["lat"], "lon": m["lon"]}
                                    for m in munis])
    except RuntimeError:
        the_map = None
    return {"municipalities": munis, "indicators": indicators, "shared_themes": sorted(shared),
            "only_themes": only, "shared_docs": [{"id": d, "title": titles.get(d, d)} for d in shared_docs],
            "map": the_map}


def example_citation(application) -> str:
    """The citation line (``service.export.citation``) of the first passage that has a page
    and a section: a real example for the sources page ("" when there is none)."""
    s = application.searcher
    metas = {d.id: d.meta for d in s.snapshot.documents}
    for p in s.passages:
        if p.page_label and p.section:
            return citation({"doc_title": p.doc_title, "page_label": p.page_label, "section": p.section},
                            metas.get(p.doc_id))
    return ""


def doc_paths(application) -> dict[str, str]:
    """Document id -> the file path it was indexed from (for ``documents.json`` beside it)."""
    return {d.id: d.path for d in application.searcher.snapshot.documents}


def places_map(application, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A map of catalogue rows (dicts with ``id`` and ``name``), coordinates from the
    catalogue; None when the outline data or the catalogue is unavailable."""
    catalogue = application.catalogue
    if catalogue is None or not rows:
        return None
    places = []
    for r in rows:
        rec = catalogue.find(r["id"])
        places.append({"id": r["id"], "name": r["name"], "lat": rec.lat if rec else None,
                       "lon": rec.lon if rec else None})
    try:
        return maps.germany_map(places)
    except RuntimeError:
        return None


def mount(api: FastAPI, application, render: Callable[..., HTMLResponse],
          error_page: Callable[[Request, PraxisError], HTMLResponse], german_message: Callable) -> None:
    """Add ``/dokumente``, ``/dokument/{id}``, ``/quellen``, ``/vergleich/nebeneinander``
    and ``/merkliste`` to ``api`` (``render``/``error_page`` from ``service.web``)."""
    data = PagesData(application)
    limit = application.settings.search.max_query_chars
    corpus = application.settings.storage.corpus_dir

    @api.get("/dokumente", response_class=HTMLResponse, include_in_schema=False)
    async def dokumente(request: Request):
        return await run_in_threadpool(documents_page, request)

    @api.get("/dokument/{doc_id}", response_class=HTMLResponse, include_in_schema=False)
    async def dokument(request: Request, doc_id: str):
        return await run_in_threadpool(document_page, request, doc_id)

    @api.get("/quellen", response_class=HTMLResponse, include_in_schema=False)
    async def quellen(request: Request):
        return await run_in_threadpool(sources_page, request)

    @api.get("/vergleich/nebeneinander", response_class=HTMLResponse, include_in_schema=False)
    async def nebeneinander(request: Request):
        return await run_in_threadpool(side_by_side_page, request)

    @api.get("/merkliste", response_class=HTMLResponse, include_in_schema=False)
    async def merkliste(request: Request):
        return render(request, "merkliste.html", title="Merkliste")

    def documents_page(request: Request) -> HTMLResponse:
        try:
            paths = doc_paths(application)
            rows = [{**d, "meta": document_meta(d, paths.get(d["id"]), corpus), "municipalities": len(data.portrays(d["id"]))}
                    for d in application.documents()]
        except PraxisError as exc:
            return error_page(request, exc)
        return render(request, "dokumente.html", docs=rows, title="Dokumente")

    def document_page(request: Request, doc_id: str) -> HTMLResponse:
        try:
            doc = application.document(doc_id)
        except PraxisError as exc:
            return error_page(request, exc)
        meta = document_meta(doc, doc_paths(application).get(doc_id), corpus)
        return render(request, "dokument.html", doc=doc, meta=meta, toc=outline(doc["outline"]),
                      portrays=data.portrays(doc_id), title=doc["title"])

    def sources_page(request: Request) -> HTMLResponse:
        try:
            paths = doc_paths(application)
            docs = [{**d, "meta": document_meta(d, paths.get(d["id"]), corpus)} for d in application.documents()]
            stats = data.stats()
        except PraxisError as exc:
            return error_page(request, exc)
        return render(request, "quellen.html", docs=docs, stats=stats, map_source=maps.SOURCE_NOTE,
                      example=example_citation(application),
                      title="Über die Quellen")

    def side_by_side_page(request: Request) -> HTMLResponse:
        ids = parse_ids(request.query_params.getlist("kommunen"))
        try:
            result = compare_rows(application, ids)
        except PraxisError as exc:
            if isinstance(exc, CompareInputError):
                message = exc.message
            elif isinstance(exc, NotFound) and isinstance(exc.detail, dict) and "unknown" in exc.detail:
                names = ", ".join(f"„{i}“" for i in exc.detail["unknown"])
                message = f"Diese Kommunen gibt es im Katalog nicht: {names}. Bitte wählen Sie sie aus der Liste."
            else:
                message = german_message(exc, limit)
            status = 400 if isinstance(exc, CompareInputError) else getattr(exc, "status", None)

            return render(request, "nebeneinander.html", http_status(exc) if status is None else status,
                          error=message, ids=ids, title="Kommunen nebeneinander")
        names = [m["name"] for m in result["municipalities"]]
        return render(request, "nebeneinander.html", c=result, ids=ids,
                      title="Nebeneinander: " + ", ".join(names))


    def citation_line(p: dict[str, Any]) -> str:
        metas = {d.id: d.meta for d in application.searcher.snapshot.documents}
        return p.get("citation") or citation(p, metas.get(p.get("doc_id")))

    templates.env.filters["citation_line"] = citation_line
    templates.env.filters["text_blocks"] = text_blocks
    # the home page's figures, for service.web's index page
    api.state.pages_data = data
