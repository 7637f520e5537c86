"""NFC at the HTTP entry point: decomposed umlauts in paths and query parameters mean the composed ones."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from service.unicode_nfc import NFCMiddleware, nfc_query_string

DECOMPOSED = "Du\u0308lmen"  # "Dülmen" as macOS types it


def test_query_string_names_and_values_become_nfc():
    raw = f"q={quote('Osnabru' + chr(0x308) + 'ck')}&bundesland=Thu%CC%88ringen&k=3&flag=".encode()
    assert nfc_query_string(raw) == b"q=Osnabr%C3%BCck&bundesland=Th%C3%BCringen&k=3&flag="
    already = "q=Osnabr%C3%BCck&k=3".encode()
    assert nfc_query_string(already) is already  # nothing to change: the same bytes
    assert nfc_query_string(b"") == b""
    assert nfc_query_string(b"q=%FF%FE") == b"q=%FF%FE"  # not UTF-8: left to the route's validation
    assert nfc_query_string("q=Gro\u0308\u00dfe".encode()) == b"q=Gr%C3%B6%C3%9Fe"  # raw UTF-8 bytes too


def test_middleware_rewrites_path_and_query_before_routing():
    seen = {}

    async def app(scope, receive, send):
        seen.update(scope)

    scope = {"type": "http", "path": "/kommune/du\u0308lmen", "raw_path": b"/kommune/du%CC%88lmen",
             "query_string": b"topic=Bu%CC%88rger"}
    asyncio.run(NFCMiddleware(app)(scope, None, None))
    assert seen["path"] == "/kommune/dülmen" and seen["raw_path"] == b"/kommune/d%C3%BClmen"
    assert seen["query_string"] == b"topic=B%C3%BCrger"
    assert scope["path"] == "/kommune/du\u0308lmen"  # the caller's scope is not mutated
    seen.clear()
    asyncio.run(NFCMiddleware(app)({"type": "lifespan"}, None, None))
    assert seen == {"type": "lifespan"}


def test_api_search_and_catalogue_treat_decomposed_input_as_composed(client):
    for mode in ("bm25", "hybrid"):
        composed = client.get("/api/search", params={"q": "Dülmen", "k": 3, "mode": mode}).json()
        decomposed = client.get("/api/search", params={"q": DECOMPOSED, "k": 3, "mode": mode}).json()
        assert [r["passage_id"] for r in decomposed["results"]] == [r["passage_id"] for r in composed["results"]]
        assert decomposed["results"] and "<mark>Dülmen</mark>" in decomposed["results"][0]["snippet"]
    munis = client.get("/api/municipalities", params={"q": DECOMPOSED}).json()
    assert [m["id"] for m in munis] == ["duelmen"]
    # a filter value with an umlaut: "kreisangehörige" typed decomposed is the documented choice, not a 422
    kind = "kreisangeho\u0308rige Stadt/Gemeinde"
    composed = client.get("/api/search", params={"q": "Sprachkurse", "type": "kreisangehörige Stadt/Gemeinde"})
    decomposed = client.get("/api/search", params={"q": "Sprachkurse", "type": kind})
    assert composed.status_code == decomposed.status_code == 200, decomposed.text
    assert decomposed.json()["results"] == composed.json()["results"] != []
    assert decomposed.json()["filters"] == composed.json()["filters"]
    listed = client.get("/api/municipalities", params={"type": kind})
    assert listed.status_code == 200 and {m["id"] for m in listed.json()} == {"alheim", "duelmen"}
    page = client.get("/", params={"q": DECOMPOSED})
    assert page.status_code == 200 and "Dülmen" in page.text
