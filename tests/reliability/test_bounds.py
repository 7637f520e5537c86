"""Bounded work per document and per request (issue 16, items 6 and 8): uploads are parsed
once, in the sandbox; passages and documents have size caps; every free-text parameter
obeys the query length limit."""

from __future__ import annotations

import pytest

from index.build import build_index
from index.model.embedder import HashEmbedder
from core.errors import BadRequest
from tests.reliability.conftest import GERMAN
from tests.reliability.test_upload import upload


def test_upload_is_parsed_only_in_the_sandbox(writer, monkeypatch):
    import ingest.loop
    import ingest.pipeline
    import ingest.readers
    import ingest.structure

    def never(*args, **kwargs):
        raise AssertionError("untrusted bytes parsed in the server process")

    for module, name in [(ingest.readers, "read_document"), (ingest.pipeline, "read_document"),
                         (ingest.pipeline, "ingest_one"), (ingest.loop, "ingest_one"), (ingest.structure, "build"),
                         (ingest.pipeline, "build")]:
        monkeypatch.setattr(module, name, never)
    r = upload(writer, "sandbox.txt", GERMAN.encode())
    assert r.status_code == 201, r.text
    assert r.json()["checked"]["passages"] >= 1


def test_text_without_punctuation_gives_bounded_passages(writer, data_settings):
    words = " ".join(f"wohnraum{i % 50} ehrenamt" for i in range(10_000))  # 20,000 words, no full stop
    r = upload(writer, "endlos.txt", words.encode())
    assert r.status_code == 201, r.text
    hits = writer.get("/api/search", params={"q": "wohnraum7 ehrenamt", "mode": "bm25", "k": 5,
                                             "doc": "endlos"}).json()["results"]
    assert hits and all(len(h["text"].split()) <= data_settings.chunk.max_words for h in hits)


@pytest.mark.parametrize("limits, reason", [({"max_document_chars": 5000}, "limit is 5000"),
                                            ({"max_document_passages": 3}, "limit is 3")])
def test_document_caps_are_stated(data_settings, make_client, limits, reason):
    client = make_client(data_settings.with_(**limits))
    r = upload(client, "gross.txt", (GERMAN * 20).encode())
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "ingest_error" and reason in error["message"]
    assert "PRAXISFINDER_MAX_DOCUMENT" in error["message"]


def test_document_caps_in_a_sync(data_settings, tmp_path):
    big = tmp_path / "gross.txt"
    big.write_text(GERMAN * 20, encoding="utf-8")
    out = build_index(data_settings.with_(max_document_chars=5000), HashEmbedder(64), [big], add=True)
    row = next(r for r in out.report if r["doc_id"] == "gross")
    assert row["status"] == "failed" and "limit is 5000" in row["reason"]


@pytest.mark.parametrize("path, param", [("/api/municipalities/x/similar", "topic"), ("/api/municipalities", "q"),
                                         ("/api/passages/x", "q")])
def test_free_text_parameters_obey_the_length_limit(writer, data_settings, path, param):
    r = writer.get(path, params={param: "Ehrenamt " * 200})  # 1,800 characters
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_parameter"
    assert "1000" in str(r.json()["error"]["detail"])


def test_application_checks_topic_length(writer):
    app = writer.app.state.application
    some = app.municipalities()[0]["id"]
    with pytest.raises(BadRequest, match="too long"):
        app.similar_municipalities(some, topic="T" * 1001)
    with pytest.raises(BadRequest, match="too long"):
        app.recommend("Landkreis Osnabrück", topic="T" * 1001)


def _long_passages_corpus(folder, n_paragraphs: int = 60):
    """Paragraphs of ~250 long words each (passages at the character cap), full of
    municipality names and four-byte characters."""
    words = ["Willkommenskulturbeauftragte", "Osnabrück", "Integrationskursverordnungen🙂", "Landkreis",
             "Ehrenamtskoordinationsstelle", "Dülmen", "Sprachpatenschaftsprogramme"]
    para = " ".join(words[i % len(words)] for i in range(250)) + "."
    folder.mkdir()
    (folder / "lang.txt").write_text("\n\n".join([para] * n_paragraphs), encoding="utf-8")
    return folder


def test_search_response_is_bounded_in_bytes(template, tmp_path, make_client):
    """k=100 hits of passages at the character cap: every hit's text within the cap, and the
    whole response within k * (4 bytes * (cap + snippet) + refs + fields). One search returned
    2.1 MB when passages were 151-640 KB."""
    from core.settings import Settings
    from service.hits import MAX_HIT_REFS
    from service.passage_service import SNIPPET_CHARS

    corpus = _long_passages_corpus(tmp_path / "corpus")
    settings = Settings.from_env(data_dir=tmp_path / "var", corpus_dir=corpus, reload_check_seconds=0)
    build_index(settings, HashEmbedder(64))
    client = make_client(settings)
    r = client.get("/api/search", params={"q": "Willkommenskulturbeauftragte Osnabrück", "k": 100})
    assert r.status_code == 200
    hits = r.json()["results"]
    assert len(hits) >= 50
    assert all(len(h["text"]) <= settings.chunk.max_chars for h in hits)
    bound = 100 * (4 * (settings.chunk.max_chars + 2 * SNIPPET_CHARS) + MAX_HIT_REFS * 300 + 4096) + 65536
    assert len(r.content) <= bound
    print(f"\n{len(hits)} hits at the character cap: {len(r.content):,} bytes (bound {bound:,})")


def test_passages_from_before_the_cap_are_cut_in_answers(template, tmp_path, make_client):
    """A snapshot built with longer passages (before the cap, or another setting) still
    answers within the serving process's cap."""
    from core.settings import Settings

    corpus = _long_passages_corpus(tmp_path / "corpus", 3)
    (corpus / "lang.txt").write_text((corpus / "lang.txt").read_text().replace(".\n\n", " "), encoding="utf-8")
    wide = Settings.from_env(data_dir=tmp_path / "var", corpus_dir=corpus, reload_check_seconds=0,
                             chunk_max_chars=50_000, chunk_max_words=2000, chunk_target_words=1000)
    build_index(wide, HashEmbedder(64))
    narrow = wide.with_(chunk_max_chars=4000, chunk_max_words=260, chunk_target_words=160)
    hits = make_client(narrow).get("/api/search", params={"q": "Osnabrück", "k": 10}).json()["results"]
    assert hits and all(len(h["text"]) <= 4000 for h in hits) and hits[0]["text"].endswith("…")
