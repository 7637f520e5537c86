"""``GET /api/municipalities…`` and ``GET /api/recommend``: the catalogue and comparable municipalities."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from core.errors import BadRequest
from core.settings import Settings
from index.municipalities.recommend import CandidateFilter
from service import schemas
from service.routes.common import ERRORS, LAENDER, THEMES, WORDS, MunicipalityType, application


def recommend_filter(bundesland, type_, min_population, max_population, include_unknown) -> CandidateFilter | None:
    """The candidate restriction of a recommend request (None when nothing restricts)."""
    f = CandidateFilter(bundesland or None, type_ or None, min_population, max_population, include_unknown)
    return f if any(v is not None for v in (f.bundesland, f.type, f.min_population, f.max_population)) else None


DESCRIPTION_PARTS = ("typ", "land", "einwohner", "siedlung", "schwerpunkt")


def ignore_parts(value: str | None) -> set[str] | None:
    """'land,typ' -> {"land", "typ"}; unknown parts raise ``BadRequest`` naming the valid ones."""
    parts = {p.strip() for p in (value or "").split(",") if p.strip()}
    unknown = parts - set(DESCRIPTION_PARTS)
    if unknown:
        raise BadRequest(f"unknown description part: {', '.join(sorted(unknown))}", {"valid": list(DESCRIPTION_PARTS)},
                         cause="unknown_description_part")
    return parts or None


def router(settings: Settings) -> APIRouter:
    """The municipality routes; ``settings.search.max_query_chars`` bounds every free-text parameter."""
    text = settings.search.max_query_chars
    r = APIRouter(tags=["municipalities"])

    @r.get("/api/municipalities", response_model=list[schemas.Municipality], responses=ERRORS,
           summary="Municipalities in the catalogue")
    async def municipalities(
        request: Request,
        bundesland: str | None = Query(None, json_schema_extra=LAENDER),
        type_: MunicipalityType | None = Query(None, alias="type"),
        theme: str | None = Query(None, json_schema_extra=THEMES), min_population: int | None = Query(None, ge=0),
        max_population: int | None = Query(None, ge=0),
        q: str | None = Query(None, max_length=text, description="Name contains."),
        include_unknown_population: bool = Query(False, description="Keep municipalities without a known population "
                                                                    "when a population bound is set."),
        topic: str | None = Query(None, max_length=text, description="A practice (\"Dolmetscherpool\"): only the "
                                  "municipalities that do it, ranked by their practice, each with reasons.",
                                  json_schema_extra=WORDS),
    ):
        """Filterable list; with `topic`, "who already does it?" ranked by practice. 503 while
        the snapshot has no municipality catalogue."""
        return await run_in_threadpool(application(request).municipalities, bundesland=bundesland or None, type=type_,
                                       theme=theme or None, min_population=min_population,
                                       max_population=max_population, q=q or None,
                                       include_unknown_population=include_unknown_population, topic=topic or None)

    @r.get("/api/municipalities/{municipality_id}", response_model=schemas.MunicipalityDetail,
           responses=ERRORS, summary="One municipality")
    async def municipality(request: Request, municipality_id: str):
        """Facts, projects and the passages about the municipality."""
        return await run_in_threadpool(application(request).municipality, municipality_id)

    @r.get("/api/municipalities/{municipality_id}/similar", response_model=list[schemas.SimilarMunicipality],
           responses=ERRORS, summary="Comparable municipalities")
    async def similar(request: Request, municipality_id: str,
                      topic: str | None = Query(None, max_length=text, description="Compare on this topic.",
                                                json_schema_extra=WORDS),
                      k: int = Query(5, ge=1, le=50)):
        """Municipalities comparable to this one (optionally on a topic), with reasons."""
        return await run_in_threadpool(application(request).similar_municipalities, municipality_id,
                                       topic=topic or None, k=k)

    @r.get("/api/recommend", response_model=schemas.RecommendResponse, responses=ERRORS,
           summary="Comparable municipalities for a name or a description")
    async def recommend(
        request: Request,
        municipality: str | None = Query(None, max_length=text, json_schema_extra=WORDS,
                                         description="A catalogue name or id (\"Landkreis Osnabrück\")."),
        description: str | None = Query(None, max_length=text, json_schema_extra=WORDS,
                                        description="Or a description of one's own municipality "
                                        "(\"ländlicher Landkreis in Brandenburg, 80.000 Einwohner\")."),
        topic: str | None = Query(None, max_length=text, description="What to learn about (\"Wohnraum für Geflüchtete\").",
                                  json_schema_extra=WORDS),
        k: int = Query(10, ge=1, le=50),
        bundesland: str | None = Query(None, description="Only candidates in this Land.", json_schema_extra=LAENDER),
        type_: MunicipalityType | None = Query(None, alias="type", description="Only candidates of this type."),
        min_population: int | None = Query(None, ge=0), max_population: int | None = Query(None, ge=0),
        include_unknown_population: bool = Query(False, description="Keep candidates without a known population "
                                                                    "when a population bound is set."),
        ignore: str | None = Query(None, max_length=100, description="Parts of the description to drop, comma-"
                                   "separated: typ, land, einwohner, siedlung, schwerpunkt."),
    ):
        """Ranked comparable municipalities: practice from the hybrid search for the topic first,
        then structure (type, size, Land, rural/urban), each with reasons and evidence
        passages. A topic alone lists the municipalities that do it ("who already does X?",
        `query.who_does` true). An unknown name is a 404 with `detail.suggestions`, an
        ambiguous one a 400 with `detail.candidates`."""
        return await run_in_threadpool(application(request).recommend_request, municipality, description, topic, k,
                                       recommend_filter(bundesland, type_, min_population, max_population,
                                                        include_unknown_population), ignore_parts(ignore))

    return r
