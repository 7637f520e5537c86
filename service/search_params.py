"""The search's request parameters, one model for ``GET /api/search`` and the web page.

The filter parameters are derived from ``index.search.filters.Filters``: each field names
its parameter, label and description (``FILTER_PARAMS``), so a new filter is a new field
there and nothing here. ``FilterQuery`` is the pydantic model of those parameters that the
API route declares (FastAPI query-parameter model; OpenAPI documents each one);
``filters_from_web`` reads the same parameters from the web page's query string, with German
errors; both give a ``Filters``. ``WEB_FILTER_PARAMS`` lists the page's names of them (for
links that keep a search), ``API_NAMES`` maps a page's name to the API's.

``start`` turns ``page``/``offset`` into one offset; ``csv_response`` renders a search
page (``Application.search_page``) as the CSV download (``service.export``).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, create_model

from index.search.filters import FILTER_PARAMS, FilterParam, Filters
from service.errors_web import WebInputError
from service.export import csv_filename, hits_csv

WEB_FILTER_PARAMS = tuple(p.web for p in FILTER_PARAMS)
API_NAMES = {p.web: p.name for p in FILTER_PARAMS}


def _annotation(p: FilterParam) -> Any:
    if p.kind == "list":
        return list[str] | None
    if p.kind == "int":
        return int | None
    if p.kind == "bool":
        return bool
    if p.only:
        return Literal[p.only] | None  # type: ignore[valid-type]
    return str | None


def _field(p: FilterParam) -> Any:
    extra = {"enum": ["", *p.documented]} if p.documented else None
    default = False if p.kind == "bool" else None
    return Field(default, alias=p.name, description=p.description, ge=p.minimum, le=p.maximum,
                 json_schema_extra=extra)


class _FilterQueryBase(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    def filters(self) -> Filters:
        """The ``Filters`` these parameters set: empty strings and lists and a false flag set nothing."""
        values = {}
        for p in FILTER_PARAMS:
            v = getattr(self, p.field)
            if p.kind == "list":
                v = [d for d in v or () if d] or None
            values[p.field] = None if v is False or v == "" else v  # 0 is a bound (0 == False: not `in`)
        return Filters(**values)


# The API's filter parameters (``Annotated[FilterQuery, Query()]`` in ``service.routes.search``).
FilterQuery = create_model("FilterQuery", __base__=_FilterQueryBase,
                           __doc__="The filter parameters of ``GET /api/search``, one field per ``FILTER_PARAMS`` "
                                   "entry (alias: the parameter's name); ``filters()`` gives the ``Filters``.",
                           **{p.field: (_annotation(p), _field(p)) for p in FILTER_PARAMS})


def web_int(value: str | None, label: str) -> int | None:
    """A whole number typed into the page ("10.000", "10 000" as 10000); empty -> None.
    Raises ``WebInputError`` (German, naming ``label``) for text or a negative number."""
    if value is None or value.strip() == "":
        return None
    try:
        number = int(value.replace(".", "").replace(" ", ""))
    except ValueError:
        raise WebInputError(f"„{label}“ muss eine ganze Zahl sein") from None
    if number < 0:
        raise WebInputError(f"„{label}“ darf nicht negativ sein")
    return number


def web_state(params) -> dict[str, Any]:
    """The web form's filter values from a query string (``starlette`` ``QueryParams``), by
    the page's names: lists for repeatable parameters, a bool for flags, stripped text
    otherwise ("" = not set)."""
    state: dict[str, Any] = {}
    for p in FILTER_PARAMS:
        if p.kind == "list":
            state[p.web] = [d for d in params.getlist(p.web) if d]
        elif p.kind == "bool":
            state[p.web] = params.get(p.web, "") in ("1", "on", "true", "ja")
        else:
            state[p.web] = params.get(p.web, "")
    return state


def filters_from_web(state: dict[str, Any]) -> Filters:
    """``Filters`` from the page's form values (``web_state``). Raises ``WebInputError``
    (German) for a number that is not one or out of its bounds."""
    values: dict[str, Any] = {}
    for p in FILTER_PARAMS:
        v = state.get(p.web)
        if p.kind == "int":
            v = web_int(v, p.label)
            if v is not None and p.maximum is not None and v > p.maximum:
                raise WebInputError(f"„{p.label}“ darf höchstens {p.maximum} sein")
        values[p.field] = v or None if p.kind != "int" else v
    return Filters(**values)

PAGE = "Page of `k` results (1-based): offset = (page - 1) * k. `offset` wins when both are given."
OFFSET = "Results to skip (hits, or sections with `group=true`); the ranking is at most `max_k` (100) deep."
FLOOR = ("`true`: only hits above the relevance floor (what the web page and its CSV show); with filters, the "
         "question's hits above the floor of the unfiltered search that pass them (drill-down: what the web page's "
         "filter counts count). Default `false`: "
         "the k best passages whatever their score, as before; `total` counts the hits above the floor either way.")
GROUP = ("Group hits of one section: each result carries the section's other hits in `same_section`; "
         "`k` and `offset` then count sections.")
FORMAT = ("`csv`: the results as a CSV download (UTF-8 with BOM, `;`-separated, decimal comma; columns rank, "
          "document, page, section, passage, municipalities, score, citation, passage_id).")

# OpenAPI: the 200 response is JSON (the response model) or, with format=csv, CSV text.
CSV_RESPONSE = {200: {"description": "The results: JSON, or with `format=csv` a CSV file.",
                      "content": {"text/csv": {"schema": {"type": "string"}}}}}


def start(k: int, page: int | None, offset: int | None) -> int:
    """The offset a request asks for: ``offset`` if given, else ``(page - 1) * k``, else 0.
    A page past the end of the ranking is valid and empty (``results: []``, ``total`` kept)."""
    if offset is not None:
        return offset
    return (page - 1) * k if page else 0


def csv_response(body: dict[str, Any]) -> Response:
    """The results of a search page (grouped rows flattened, in rank order) as an
    attachment ``praxisfinder-<query>.csv`` of ``text/csv; charset=utf-8``."""
    rows = []
    for r in body["results"]:
        rows.append(r)
        rows.extend(r.get("same_section") or [])
    rows.sort(key=lambda r: r["rank"])
    data = hits_csv(rows).encode("utf-8")
    name = csv_filename(body["query"])
    return Response(data, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
