"""Pydantic response models: the documented shape of the HTTP API (and nothing else).

FastAPI validates every JSON response against these models (``response_model=`` in
``service/routes/``) and publishes them in ``/openapi.json``; a field a route returns but
a model lacks is dropped from the response. The rows come from the domain objects
(``core.schema.Hit.to_dict``, ``index.municipalities.Recommendation``) via
``service.application``. Page numbers are 1-based; scores are rounded to 6 decimals.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    """The ``error`` object of every error response (``core.errors.PraxisError.to_dict``)."""

    code: str = Field(description="Machine-readable error code, e.g. `bad_request`, `not_found`.")
    message: str = Field(description="Human-readable explanation.")
    detail: Any = Field(None, description="Optional structured detail (e.g. the invalid parameters).")


class ErrorResponse(BaseModel):
    """Every 4xx/5xx answer of the API: ``{"error": {"code", "message", "detail"}}``; the
    status of each ``code`` is in ``service.errors.HTTP_STATUS``."""

    error: ErrorBody


class Health(BaseModel):
    """``GET /healthz``: the process is up (always ``{"status": "ok"}``)."""

    status: str = Field(examples=["ok"])


class Fallback(BaseModel):
    """Why ``/readyz``'s snapshot is not the one ``CURRENT`` named: that one failed its checks."""

    current: str | None = Field(description="What `CURRENT` named (null if it was missing or empty).")
    reason: str = Field(description="Why it cannot serve, e.g. `vectors.npy has 1024 bytes, the manifest says 663680`.")
    set_aside: list[str] = Field(description="Damaged snapshot directories renamed to `.damaged-<id>` (kept for "
                                             "inspection); empty when the data directory was not writable.")
    current_repointed: bool = Field(description="Whether `CURRENT` now names the snapshot serving.")
    message: str = Field(description="The above in one sentence.")


class Readiness(BaseModel):
    """``GET /readyz``: the index snapshot now serving (503 with an ``ErrorResponse`` while none is loaded)."""

    status: str = Field(examples=["ready"])
    snapshot_id: str = Field(description="Id of the snapshot serving the answers (its directory name).")
    passages: int = Field(description="Number of indexed passages.")
    documents: int = Field(description="Number of indexed documents.")
    model: str = Field(description="Name of the embedding model the snapshot was built with (manifest).")
    fallback: Fallback | None = Field(None, description="Null when the snapshot `CURRENT` names serves; else why "
                                      "an older, intact one serves instead.")
    upload_workers: dict[str, str] | None = Field(
        None, description="The upload's warm fork servers (`PRAXISFINDER_UPLOAD_WORKER`): `parse` and `build`, each "
                          "`ready`, `loading` (its process is loading: an upload waits for it), `down` (none alive: "
                          "started again shortly; uploads start fresh processes meanwhile) or `off`; null when "
                          "uploads are off.")


class MunicipalityRef(BaseModel):
    """A municipality named in another answer (search hits, passages); base of the municipality models."""

    id: str = Field(description="Catalogue id (path segment of `/api/municipalities/{id}`).")
    name: str
    type: str | None = Field(None, description="kreisfreie Stadt, kreisangehörige Stadt/Gemeinde, Landkreis, Stadtbezirk")
    bundesland: str | None = None


class Cited(BaseModel):
    """A passage as a citation: document, page (or range) where known."""

    passage_id: str
    doc_id: str
    doc_title: str
    page: int | None = Field(description="Page of the source document: the physical page for PDFs, the first "
                                         "printed page of the cited range for text exports with a table of "
                                         "contents; null where no page is known.")
    page_end: int | None = Field(None, description="Last page of the cited range (same numbering as `page`); "
                                                   "null for an open end or where no page is known.")
    page_label: str | None = Field(None, description="What a citation shows after \"S.\": the printed page or "
                                                     "range (\"12\", \"67–70\", \"113 ff.\"); null where no "
                                                     "page is known.")


class SearchHit(Cited):
    """One ranked passage of ``GET /api/search`` (``SearchResponse.results``; ``core.schema.Hit``)."""

    section: str = Field(description="Section path, parts joined by ' › '.")
    text: str = Field(description="The passage text (plain, untrusted: escape before display).")
    snippet: str = Field(description="HTML: an excerpt of the escaped text with query terms in `<mark>`.")
    score: float = Field(description="Final score (scale depends on `mode`: fused and reranked in [0, 1] for "
                                     "hybrid, cosine for dense, BM25 for bm25); comparable within one answer only.")
    rank: int = Field(description="1-based position in `results`.")
    scores: dict[str, float] = Field(description="Per-component scores of this passage: `dense` (cosine), `bm25`, "
                                                 "and `maxsim` for the reranked head; a component that did not "
                                                 "retrieve it is absent.")
    municipalities: list[MunicipalityRef] = Field(description="The municipalities the passage is about.")
    citation: str = Field("", description="Citation as in German reports: "
                                          "`Difu (2018): Zusammenleben Hand in Hand – Kommunen gestalten, S. 12, "
                                          "Abschnitt „…“`.")
    section_rank: int | None = Field(None, description="Rank of the first hit from the same document section "
                                                       "(equals `rank` for that first hit): group hits by it.")
    same_section: list["SearchHit"] = Field(default_factory=list, description="With `group=true`: the section's "
                                                                              "other hits above the floor.")


class Evidence(BaseModel):
    """A passage that made a municipality a case example (``CaseExample.evidence``)."""

    passage_id: str
    doc_title: str
    page: int | None
    page_label: str | None = None
    snippet: str = Field(description="HTML excerpt with `<mark>`ed query terms.")


class CaseReason(BaseModel):
    """Why a case example matches the question, in one line, with the passage it rests on."""

    kind: str = Field(description="project (a project title), row (a table row of a list), group (a programme "
                                  "the question names) or practice (a passage about the municipality).")
    text: str = Field(description="German, e.g. 'Projekt „Ehrenamtlicher Dolmetscherpool“'.")
    passage_id: str | None = Field(None, description="The passage the reason stands in; null for a title known "
                                                     "only from a list (then `source` names it).")
    doc_title: str | None = None
    page_label: str | None = None
    source: str | None = Field(None, description="Where a reason without a passage comes from.")


class CaseExample(MunicipalityRef):
    """A municipality whose practice matches the query (``SearchResponse.case_examples``; ``service.cases``)."""

    population: int | None = Field(None, description="Inhabitants; null when no source states it.")
    projects: list[str] = Field(description="Titles of the municipality's projects.")
    evidence: list[Evidence] = Field(description="Top passages about this municipality for the query.")
    score: float = Field(description="Practice score for the question in [0, 1] (best = 1; "
                                     "index.municipalities.who_does).")
    why: CaseReason | None = Field(None, description="The matched project or practice, with its passage.")


class SearchResponse(BaseModel):
    """``GET /api/search``: ranked, cited passages and case examples (``index.search.SearchResult`` plus snippets)."""

    query: str = Field(description="The query after normalisation.")
    mode: str = Field(description="hybrid, dense or bm25.")
    k: int = Field(description="Number of passages asked for; `results` holds at most this many.")
    language: str = Field(description="Detected query language (de or en).")
    took_ms: float = Field(description="Time the search itself took, in milliseconds (without snippets and "
                                       "case examples).")
    snapshot_id: str = Field(description="Id of the snapshot that answered.")
    filters: dict[str, Any] = Field(description="The filters that were set, by field name (`doc_ids`, "
                                                "`bundesland`, `municipality_type`, ...).")
    results: list[SearchHit]
    case_examples: list[CaseExample] = Field(description="Municipalities whose practice matches, best first.")
    total: int = Field(0, description="Hits above the relevance floor (passages; with `floor=false` the ranking's "
                                      "length); at most 100. 0 on no match.")
    offset: int = Field(0, description="Results skipped before the first one here (sections with `group=true`).")
    page: int = Field(1, description="Page number (1-based) of these results for this `k`.")
    pages: int = Field(1, description="Pages of `k` results the counted ranking fills.")
    next_offset: int | None = Field(None, description="`offset` of the next page; null on the last one.")
    sections: int = Field(0, description="Document sections among the counted hits.")
    floor: bool = Field(True, description="Whether the relevance floor applied.")
    sort: str = Field("relevanz", description="Order of the hits: `relevanz` (the ranking) or `jahr` (the "
                                              "document's year, newest first).")
    no_match: bool = Field(False, description="The corpus cannot answer the query: only stop words, or none of its "
                                              "words occurs anywhere and the semantic scores are low.")
    notice: str | None = Field(None, description="Why there are no (or only partial) matches, in English.")
    suggestions: list[str] = Field(default_factory=list, description="Corrected queries (near spellings from the "
                                                                     "corpus and the municipality catalogue).")
    query_terms: list[str] = Field(default_factory=list, description="The German search terms used, in readable "
                                                                     "form: an English query's translations, a "
                                                                     "German query's words and typo corrections.")
    extra_terms: list[str] = Field(default_factory=list, description="Those of `query_terms` that are not words "
                                   "of the query (the page's \"Gesucht wurde auch\").")
    notice_de: str | None = Field(None, description="`notice` in German, as the web page shows it.")
    unknown_terms: list[str] = Field(default_factory=list, description="Query words found in no document.")


class PassageBrief(Cited):
    """A passage with its position and text (context neighbours, a municipality's passages)."""

    section: str = Field(description="Section path, parts joined by ' › '.")
    section_path: list[str] = Field(description="The headings above the passage, outermost first.")
    index: int = Field(description="Position of the passage within its document.")
    text: str = Field(description="The passage text (plain, untrusted: escape before display).")
    reader_text: str | None = Field(None, description="In a context listing: the text without the sentences "
                                                      "the neighbouring passage shown beside it already holds "
                                                      "(passages overlap by a sentence), so the reader shows "
                                                      "each sentence once.")


class PassageContext(BaseModel):
    """The neighbours of a passage in its document (``PassageDetail.context``)."""

    previous: list[PassageBrief] = Field(description="Up to `context` passages before it, in reading order.")
    next: list[PassageBrief] = Field(description="Up to `context` passages after it, in reading order.")


class PassageDetail(PassageBrief):
    """``GET /api/passages/{passage_id}``: a passage in its context (404 for an unknown id)."""

    highlighted: str | None = Field(None, description="HTML text with `<mark>`ed terms (only when `q` is given).")
    municipalities: list[MunicipalityRef] = Field(description="The municipalities the passage is about.")
    context: PassageContext


class DocumentSummary(BaseModel):
    """One item of ``GET /api/documents``: an indexed document."""

    id: str = Field(description="Document id, from the file name: lower case, `[a-z0-9._-]` only.")
    title: str
    format: str = Field(description="Source format: pdf, txt or md.")
    pages: int = Field(description="Number of pages as the reader split them (1 for text without page breaks).")
    passages: int = Field(description="Number of indexed passages.")
    meta: dict[str, Any] = Field(description="What reading found: PDF metadata (`pdf`), encoding `repairs`, "
                                             "removed `running_lines` (headers and footers), where present.")
    indexing: str = Field("complete", description="`complete`, or `partial` while an upload's vectors are still "
                                                  "being computed (PostgreSQL store, staged write): keyword (BM25) "
                                                  "search finds the document already, semantic search not yet.")


class OutlineEntry(BaseModel):
    """One passage in a document's outline (``DocumentDetail.outline``)."""

    passage_id: str
    page: int | None
    page_label: str | None = None
    section: str


class DocumentDetail(DocumentSummary):
    """``GET /api/documents/{doc_id}``: a document and its passage outline (404 for an unknown id)."""

    outline: list[OutlineEntry] = Field(description="Every passage of the document in reading order.")


class Fact(BaseModel):
    """A fact the catalogue read from the documents (``Municipality.facts``), with its source."""

    name: str = Field(description="The fact's German label as the document gives it, e.g. `Einwohnerzahl`, "
                                  "`Prämierung`.")
    value: Any
    doc_id: str | None = Field(None, description="Document the fact was read from.")
    passage_id: str | None = Field(None, description="Passage the fact was read from.")
    quote: str | None = Field(None, description="The source text.")


class PopulationSource(BaseModel):
    """Where a municipality's population figure comes from (``Municipality.population_source``)."""

    source: str = Field(description="Document title, or the data set (GeoNames).")
    year: Any = Field(None, description="Year of the document or data set.")
    doc_id: str | None = None
    passage_id: str | None = Field(None, description="Passage that states the figure.")
    quote: str | None = None


class ReasonEvidence(Cited):
    """The cited passage behind a reason (``Reason.evidence``)."""

    section: str = Field(description="Section path, parts joined by ' › '.")
    snippet: str = Field(description="The start of the passage (plain text).")


class Reason(BaseModel):
    """One reason why a municipality is comparable (``SimilarMunicipality.reason_details``)."""

    kind: Literal["practice", "project", "row", "group", "shared", "structure"] = Field(
        description="practice: a passage about it answers the topic; project: a project title matches; "
                    "row: a table row of a list names it with the practice; group: the topic names a programme "
                    "or network it belongs to; shared: portrayed together with the query municipality; "
                    "structure: type, size, Land, settlement.")
    text: str = Field(description="The reason in German, as shown on the web page.")
    passage_id: str | None = Field(None, description="The evidence passage.")
    source: str | None = Field(None, description="A data source that is not a passage (GeoNames and year).")
    evidence: ReasonEvidence | None = Field(None, description="The evidence passage, cited.")


class PopulationFigure(BaseModel):
    """One population figure with its source (``Municipality.figures``)."""

    value: int = Field(description="Inhabitants.")
    source: str = Field(description="Data set (Destatis, GeoNames) or document title.")
    year: Any = Field(None, description="Year of the figure (the Stand, else the document's year).")
    doc_id: str | None = None
    passage_id: str | None = Field(None, description="Passage that states the figure.")
    quote: str | None = None
    official: bool = Field(description="True for official reference data, false for a figure a document states.")


class Municipality(MunicipalityRef):
    """One item of ``GET /api/municipalities``: a catalogue municipality
    (``service.catalogue_port.municipality_record``)."""

    population: int | None = Field(None, description="Inhabitants; null when no source states it.")
    population_source: PopulationSource | None = Field(None, description="Where the population comes from.")
    size_class: str | None = Field(None, description="German size class, e.g. \"20.000–50.000\".")
    themes: list[str] = Field(description="Handlungsfelder the documents show practice in.")
    projects: list[str] = Field(description="Titles of the municipality's projects, as the documents name them.")
    passage_ids: list[str] = Field(description="Passages about this municipality.")
    facts: list[Fact] = Field(description="Facts with their sources.")
    sources: list[str] = Field(description="Documents that mention the municipality.")
    figures: list[PopulationFigure] = Field(default_factory=list, description="Every population figure known: "
                                            "the official one first (Destatis for Kreise and kreisfreie Städte, "
                                            "GeoNames for towns), then those the documents state, each with source.")
    settlement: str | None = Field(None, description="ländlich, städtisch or gemischt (BBSR types, see "
                                                     "`settlement_source`); null when unknown.")
    settlement_source: str | None = Field(None, description="The rule and data behind `settlement`.")
    ags: str | None = Field(None, description="Official municipality key (Amtlicher Gemeindeschlüssel) of a Kreis "
                                              "or kreisfreie Stadt.")
    area_km2: float | None = Field(None, description="Area in km² (Destatis).")
    density: float | None = Field(None, description="Inhabitants per km² (Destatis).")
    score: float | None = Field(None, description="With `topic`: its practice score for the topic in [0, 1] "
                                                  "(best = 1); null otherwise.")
    reasons: list[str] = Field(default_factory=list, description="With `topic`: why it does the practice.")
    reason_details: list[Reason] = Field(default_factory=list, description="With `topic`: each reason with its "
                                                                            "kind and evidence.")


class MunicipalityDetail(Municipality):
    """``GET /api/municipalities/{municipality_id}``: a municipality with its passages (404 for an unknown id)."""

    passages: list[PassageBrief] = Field(description="The passages about this municipality (its portraits, profiles, sections).")
    mentions: list[PassageBrief] = Field(default_factory=list,
                                         description="Prose passages that only name it (no reference material).")


class SimilarMunicipality(Municipality):
    """A comparable municipality: items of ``GET /api/municipalities/{id}/similar`` and
    ``RecommendResponse.recommendations`` (``index.municipalities.Recommendation``)."""

    score: float = Field(description="Weighted sum of `components` (practice, shared, structure), in [0, 1].")
    reasons: list[str] = Field(description="Why it is comparable: the texts of `reason_details`.")
    evidence: list[str] = Field(description="Passage ids showing the comparable practice.")
    reason_details: list[Reason] = Field(default_factory=list, description="Each reason with its kind and evidence.")
    components: dict[str, float] = Field(default_factory=dict,
                                         description="Score components in [0, 1]: practice, shared, structure, "
                                                     "and the parts of structure as `structure.*`.")


class RecommendQuery(BaseModel):
    """What a recommendation was asked for (``RecommendResponse.query``): the resolved municipality or a description."""

    id: str | None = Field(None, description="Catalogue id when a municipality was given.")
    name: str | None = None
    type: str | None = None
    bundesland: str | None = None
    population: int | None = None
    population_source: PopulationSource | None = None
    size_class: str | None = None
    themes: list[str] = Field(default_factory=list)
    projects: list[str] = Field(default_factory=list)
    passage_ids: list[str] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    figures: list[PopulationFigure] = Field(default_factory=list)
    settlement: str | None = None
    settlement_source: str | None = None
    ags: str | None = None
    area_km2: float | None = None
    density: float | None = None
    description: str | None = Field(None, description="The description, when one was given instead of a name.")
    understood: list[dict[str, str]] = Field(default_factory=list, description="How a description was read: "
                                             "parts `{part, text}` (typ, land, einwohner, siedlung, schwerpunkt).")
    ignored: list[dict[str, str]] = Field(default_factory=list, description="Parts of the description dropped "
                                          "with `ignore`.")
    who_does: bool = Field(False, description="True when only a topic was given: the answer lists the "
                                              "municipalities that do it (\"who already does X?\").")


class RecommendResponse(BaseModel):
    """``GET /api/recommend``: comparable municipalities for a name, id or description, best first."""

    query: RecommendQuery
    topic: str | None = Field(description="The topic compared on (after NFC and trimming); null without one.")
    recommendations: list[SimilarMunicipality] = Field(description="Best first, at most `k`.")
