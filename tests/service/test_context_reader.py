"""The context reader shows each sentence once, though passages overlap by a sentence."""

from __future__ import annotations

from ingest.chunk import chunk_document
from core.schema import Document
from ingest.sentences import split_sentences
from core.settings import ChunkSettings, Settings
from ingest.structure import build
from service.application import reader_texts

SENTENCES = [f"Satz {n}: Die Gemeinde Nummer {n} organisiert Sprachkurse, Patenschaften und Begegnungscafés "
             f"für Geflüchtete mit vielen Ehrenamtlichen aus dem Ort." for n in range(1, 41)]


def _passages(overlap: int = 1):
    clean = build(["\n\n".join(" ".join(SENTENCES[i:i + 4]) for i in range(0, 40, 4))])
    document = Document(id="d", title="Test", path="d.txt", sha256="0", format="txt", text=clean.text,
                        page_starts=clean.page_starts, physical_pages=False)
    chunk = ChunkSettings(target_words=60, max_words=90, min_words=20, overlap_sentences=overlap)
    return chunk_document(document, clean.blocks, chunk)


def test_passages_do_overlap_so_the_reader_must_trim():
    passages = _passages()
    assert len(passages) >= 5
    assert any(b.start < a.end for a, b in zip(passages, passages[1:]))


def test_each_sentence_once_around_every_passage():
    passages = _passages()
    for keep in range(len(passages)):
        window = passages[max(0, keep - 2):keep + 3]
        k = min(keep, 2)
        shown = reader_texts(window, keep=k)
        assert shown[k] == window[k].text  # the hit itself stays whole
        sentences = [s for text in shown for s in split_sentences(text)]
        assert len(sentences) == len(set(sentences)), keep
        # and nothing is lost: the listing covers the window's text without gaps
        assert " ".join(sentences) == " ".join(s for s in SENTENCES if any(s in p.text for p in window))


def test_two_sentence_overlap_is_trimmed_too():
    passages = _passages(overlap=2)
    shown = reader_texts(passages[1:4], keep=1)
    sentences = [s for text in shown for s in split_sentences(text)]
    assert len(sentences) == len(set(sentences))


def test_api_context_rows_carry_reader_text(client, pid):
    body = client.get(f"/api/passages/{pid('In Dülmen wurde')}", params={"context": 1}).json()
    for row in body["context"]["previous"] + body["context"]["next"]:
        assert row["reader_text"] == row["text"]  # these fixture passages do not overlap


def test_passage_page_and_api_show_each_sentence_once(tmp_path, app_factory):
    """A real build (HashEmbedder) of a long document: the web reader and the API context."""
    import html
    import re

    from fastapi.testclient import TestClient

    from index.build import build_index
    from index.model.embedder import HashEmbedder

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "lang.txt").write_text("\n\n".join(" ".join(SENTENCES[i:i + 4]) for i in range(0, 40, 4)),
                                     encoding="utf-8")
    settings = Settings.from_env(data_dir=tmp_path / "var", corpus_dir=corpus, chunk_target_words=60,
                                 chunk_max_words=90, chunk_min_words=20)
    outcome = build_index(settings, HashEmbedder(64))
    from index.snapshot import load_snapshot

    passages = load_snapshot(outcome.snapshot_path).passages
    assert any(b.start < a.end for a, b in zip(passages, passages[1:]))  # they do overlap
    client = TestClient(app_factory(settings))
    middle = passages[len(passages) // 2].id
    page = client.get(f"/passage/{middle}").text
    reader = html.unescape(re.sub(r"<[^>]+>", " ", page.split('class="reader"', 1)[1].split("</div>", 1)[0]))
    for sentence in SENTENCES:
        assert reader.count(sentence) <= 1, sentence
    body = client.get(f"/api/passages/{middle}", params={"context": 2}).json()
    shown = [r["reader_text"] for r in body["context"]["previous"]] + [body["text"]] + \
        [r["reader_text"] for r in body["context"]["next"]]
    sentences = [s for text in shown for s in split_sentences(text)]
    assert len(sentences) == len(set(sentences)) >= 8
