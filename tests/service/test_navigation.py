"""Keeping the user's place (autofocus, #treffer-N, "← Zur Suche" with query and filters),
case-card reasons and the source-document download."""

import hashlib
import re
from html import unescape
from types import SimpleNamespace as NS
from urllib.parse import parse_qsl

import pytest
from fastapi.testclient import TestClient

from core.errors import NotFound
from core.schema import Document, Hit, Passage
from service import navigation
from service.sources import source_file
from tests.service.conftest import make_app

SEARCH = {"q": "Ehrenamtliche", "bundesland": "Hessen", "doc": "praxis"}


def hrefs(html: str, text: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'<a href="([^"]+)"[^>]*>' + re.escape(text), html)]


def test_autofocus_only_on_the_empty_start_page(client):
    assert re.search(r'<input type="search" id="q"[^>]* autofocus', client.get("/").text)
    results = client.get("/", params={"q": "Ehrenamtliche"}).text
    assert 'id="treffer-1"' in results and "autofocus" not in results


def test_hits_carry_anchors_and_the_back_link_returns_to_the_hit(client):
    html = client.get("/", params=SEARCH).text
    ids = re.findall(r'<li class="hit" id="treffer-(\d+)">', html)
    assert ids and ids == [str(n) for n in range(1, len(ids) + 1)]
    links = hrefs(html, "Im Zusammenhang lesen")
    last = links[-1]
    assert last.endswith(f"treffer={ids[-1]}")
    page = client.get(last).text
    back = hrefs(page, "← Zurück zu den Treffern")
    assert back == [f"/?q=Ehrenamtliche&bundesland=Hessen&doc=praxis#treffer-{ids[-1]}"]


def test_zur_suche_on_municipality_and_comparison_pages_keeps_query_and_filters(client):
    html = client.get("/", params=SEARCH).text
    kommune = next(h for h in re.findall(r'href="(/kommune/[^"]+)"', html))
    kommune = unescape(kommune)
    assert "suche=" in kommune
    page = client.get(kommune).text
    assert hrefs(page, "← Zur Suche") == ["/?q=Ehrenamtliche&bundesland=Hessen&doc=praxis"]
    vergleich = unescape(re.search(r'href="(/vergleich\?[^"]+)"', page).group(1))
    compare = client.get(vergleich).text
    assert hrefs(compare, "← Zur Suche") == ["/?q=Ehrenamtliche&bundesland=Hessen&doc=praxis"]
    assert '<input type="hidden" name="suche" value="q=Ehrenamtliche&amp;bundesland=Hessen&amp;doc=praxis">' in compare
    plain = client.get("/kommune/alheim").text
    assert hrefs(plain, "← Zur Suche") == ["/"]


def test_packed_search_keeps_only_search_parameters(client):
    packed = "q=Wohnen&evil=1&bundesland=Hessen&thema=x&next=//evil.example"
    page = client.get("/kommune/alheim", params={"suche": packed}).text
    assert hrefs(page, "← Zur Suche") == ["/?q=Wohnen&bundesland=Hessen"]


@pytest.mark.parametrize("qs,hit,expected", [("q=a", 3, "/?q=a#treffer-3"), ("", None, "/"),
                                             ("q=a", "x\"><script>", "/?q=a"), ("q=a", "", "/?q=a")])
def test_search_url(qs, hit, expected):
    assert navigation.search_url(qs, hit) == expected


def test_phone_jump_link_to_the_case_examples(client):
    html = client.get("/", params={"q": "Ehrenamtliche"}).text
    assert re.search(r'<a href="#faelle-h">Zu den Praxisbeispielen \(\d+\)</a>', html)
    assert html.index('href="#faelle-h"') < html.index('id="treffer-1"')  # before the hits


# -- case-example reasons ------------------------------------------------------------------



@pytest.mark.parametrize("title,shown", [
    ("„Sprachmittlung“", "„Sprachmittlung“"), ("Projekt „In: Komm“–Interkultur", "„In: Komm“–Interkultur"),
    ("„Gelingende Integration benötigt ein ganzes Dorf“ – Wir leben Integration“",
     "„Gelingende Integration benötigt ein ganzes Dorf“ – Wir leben Integration"),
])
def test_titles_are_quoted_once(title, shown):
    from service.cases import quoted
    assert quoted(title) == shown


def test_every_case_card_says_why_with_a_link_to_its_passage(client):
    html = client.get("/", params={"q": "Ehrenamtliche Sprachkurse"}).text
    cards = html[html.index('<aside class="cases"'):]
    n_cards = cards.count('<article class="case"')
    whys = re.findall(r'<p class="why">([^<]+) – <a href="/passage/([^"?]+)', cards)
    assert n_cards and len(whys) == n_cards
    api = client.get("/api/search", params={"q": "Ehrenamtliche Sprachkurse", "floor": "true"}).json()["case_examples"]
    assert [c["why"]["passage_id"] for c in api] == [pid for _, pid in whys]
    assert all(c["why"]["passage_id"] in [e["passage_id"] for e in c["evidence"]] for c in api)


# -- source documents ----------------------------------------------------------------------

def make_doc(path, content: bytes, doc_id="bericht"):
    return Document(id=doc_id, title="Bericht", path=str(path), sha256=hashlib.sha256(content).hexdigest(),
                    format="txt")


def roots(tmp_path):
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    corpus.mkdir()
    (data / "sources").mkdir(parents=True)
    return NS(corpus_dir=corpus, sources_dir=data / "sources"), corpus


def test_source_file_serves_only_the_indexed_bytes_inside_the_corpus(tmp_path):
    settings, corpus = roots(tmp_path)
    content = "Grüße aus Köln\n".encode()
    (corpus / "bericht.txt").write_bytes(content)
    found = source_file(NS(documents=[make_doc(corpus / "bericht.txt", content)]), settings, "bericht")
    assert found.path.read_bytes() == content and found.filename == "bericht.txt"
    assert found.media_type == "text/plain; charset=utf-8"
    # a snapshot built elsewhere (another checkout): found by name inside the corpus
    moved = source_file(NS(documents=[make_doc("/elsewhere/bericht.txt", content)]), settings, "bericht")
    assert moved.path == (corpus / "bericht.txt").resolve()
    with pytest.raises(NotFound):  # changed since indexing
        source_file(NS(documents=[make_doc(corpus / "bericht.txt", b"other")]), settings, "bericht")
    with pytest.raises(NotFound):
        source_file(NS(documents=[]), settings, "bericht")


def test_source_file_never_leaves_the_corpus(tmp_path):
    settings, corpus = roots(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"geheim")
    for path in (secret, corpus / ".." / "secret.txt", "../secret.txt"):
        with pytest.raises(NotFound):
            source_file(NS(documents=[make_doc(path, b"geheim")]), settings, "bericht")
    (corpus / "link.txt").symlink_to(secret)
    with pytest.raises(NotFound):
        source_file(NS(documents=[make_doc(corpus / "link.txt", b"geheim")]), settings, "bericht")


def test_source_media_types(tmp_path):
    settings, corpus = roots(tmp_path)
    cases = {"a.pdf": (b"%PDF-1.4 \xff", "application/pdf"), "b.txt": (b"Gr\xfc\xdfe", "text/plain"),
             "c.md": (b"# Titel", "text/markdown; charset=utf-8")}
    for name, (content, kind) in cases.items():
        (corpus / name).write_bytes(content)
        found = source_file(NS(documents=[make_doc(corpus / name, content, name[0])]), settings, name[0])
        assert found.media_type == kind and found.filename == name[0] + "." + name.split(".")[1]


def test_source_endpoint_and_link(tiny, tmp_path, pid):
    settings, snap = tiny
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    content = snap.documents[0].text.encode("utf-8")
    (corpus / snap.documents[0].path).write_bytes(content)
    app = make_app(settings.with_(corpus_dir=corpus))
    c = TestClient(app, raise_server_exceptions=False)
    doc = c.app.state.application.searcher.snapshot.documents[0]
    doc.sha256, old = hashlib.sha256(content).hexdigest(), doc.sha256
    try:
        r = c.get(f"/api/documents/{doc.id}/source")
        assert r.status_code == 200 and r.content == content
        assert r.headers["content-type"] == "text/plain; charset=utf-8"
        assert r.headers["content-disposition"] == f'attachment; filename="{doc.id}.txt"'
        other = c.get(f"/api/documents/{snap.documents[1].id}/source")  # no file with its content
        assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
        page = c.get(f"/passage/{pid('Alheim koordiniert')}").text
        assert f'href="/api/documents/{doc.id}/source"' in page and "Originaldokument herunterladen" in page
    finally:
        doc.sha256 = old


def test_document_names_of_hits_open_the_passage_and_the_download_is_its_own_link(client):
    html = client.get("/", params={"q": "Ehrenamtliche"}).text
    hits = html[html.index('<ol class="hits">'):]
    first = hits[:hits.index("</article>")]
    title = re.search(r'<h3 id="hit-1">.*?<a class="doc-open" href="(/passage/[^"]+)">', first, re.S)
    assert title, first[:500]
    assert "/api/documents/" not in first[:first.index("</h3>")]  # the title is no download
    assert re.search(r'<a class="doc-source" href="/api/documents/(praxis|boese)/source" download>'
                     r'Original herunterladen', first)
    assert re.search(r'<a href="/dokument/(praxis|boese)">Über das Dokument', first)
