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
# Documented choices; other values get a 400 that lists them (an empty value means: no filter).
LAENDER = {"enum": sorted(BUNDESLAENDER.values())}
THEMES = {"enum": list(THEME_NAMES)}


def application(request: Request):
    """The ``service.application.Application`` serving this app (set by ``create_app``)."""
    return request.app.state.application
