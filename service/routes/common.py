"""What the API routers share: the application of a request, documented choices, error responses."""

from __future__ import annotations

from typing import Literal

from fastapi import Request

from index.municipalities.gazetteer import BUNDESLAENDER
from index.municipalities.taxonomy import THEMES as THEME_NAMES
from service import schemas

Mode = Literal["hybrid", "dense", "bm25"]
MunicipalityType = Literal["kreisfreie Stadt", "kreisangehörige Stadt/Gemeinde", "Landkreis", "Stadtbezirk"]
ERRORS = {status: {"model": schemas.ErrorResponse} for status in (400, 404, 422, 429, 500, 503)}
# Documented choices; other values get a 400 that lists them (an empty value means: no filter,
# so it is one of the choices too: the schema said it was invalid while it was accepted).
LAENDER = {"enum": ["", *sorted(BUNDESLAENDER.values())]}
THEMES = {"enum": ["", *THEME_NAMES]}
# Optional free text: empty (= not given) or containing a word; only punctuation or symbols is
# a 400, as for `q` (the schema said any string, so such a 400 broke the contract).
WORDS = {"pattern": r"^$|[\p{L}\p{N}_]"}


def application(request: Request):
    """The ``service.application.Application`` serving this app (set by ``create_app``)."""
    return request.app.state.application
