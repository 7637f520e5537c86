"""German web texts are keyed by the error's cause (``PraxisError.cause``), not by fragments
of English messages (issue 24, item 2)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.errors import BadRequest, NotFound
from service.errors_web import CAUSE_TEXTS, german_message

ROOT = Path(__file__).resolve().parents[2]


def raised_causes() -> set[str]:
    """Every literal ``cause="..."`` the shipped packages raise with."""
    found = set()
    for pkg in ("core", "ingest", "index", "service"):
        for path in (ROOT / pkg).rglob("*.py"):
            found.update(re.findall(r'cause="([a-z_]+)"', path.read_text(encoding="utf-8")))
    return found


def test_every_raised_cause_has_a_german_text():
    causes = raised_causes()
    assert len(causes) >= 20
    assert causes <= set(CAUSE_TEXTS), causes - set(CAUSE_TEXTS)


def test_the_text_follows_the_cause_not_the_english_wording():
    # the same English message with another cause gets that cause's text: no fragment matching
    assert german_message(BadRequest("query is empty", cause="unknown_theme")) == CAUSE_TEXTS["unknown_theme"]
    assert german_message(BadRequest("anything at all", cause="query_empty")) == CAUSE_TEXTS["query_empty"]
    assert german_message(BadRequest("query is empty")) == "Die Eingabe ist ungültig."  # no cause: by status
    assert german_message(NotFound("x", cause="passage_not_found")) == "Diese Passage gibt es im Index nicht."
    assert german_message(BadRequest("k", cause="query_too_long"), limit=1000).endswith("(höchstens 1.000 Zeichen).")


def test_an_error_without_a_cause_has_its_code_as_cause_and_the_api_shape_stays():
    e = BadRequest("bad")
    assert e.cause == "bad_request" and e.code == "bad_request"
    assert set(BadRequest("x", cause="query_empty").to_dict()["error"]) == {"code", "message", "detail"}


@pytest.mark.parametrize("params,text", [
    ({"q": "   "}, "Bitte geben Sie eine Frage oder Stichwörter ein."),
    ({"q": "?!"}, "Die Suchanfrage enthält keine Wörter, nur Satz- oder Sonderzeichen."),
    ({"q": "Wohnen", "bundesland": "Atlantis"}, "Unbekanntes Bundesland. Bitte wählen Sie eines aus der Liste."),
    ({"q": "Wohnen", "doc": "gibt-es-nicht"}, CAUSE_TEXTS["unknown_document"]),
])
def test_search_page_errors_in_german_by_cause(client, params, text):
    r = client.get("/", params=params)
    assert r.status_code in (400, 404) and text in r.text
