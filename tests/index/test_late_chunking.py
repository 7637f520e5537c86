"""Late chunking: window vectors pooled from the passage pass (tiny deterministic embedder)."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from core.schema import Passage
from core.settings import Settings
from index.build import build_index, build_key
from index import late_chunking
from index.late_chunking import embed_late, pool_span
from index.model.embedder import HashEmbedder
from index.multivector import window_spans, windows
from index.snapshot import load_snapshot

FIXTURE_CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"

TEXT = ("Die Stadt Kassel baut ein Netz von Sprachpaten auf. Ehrenamtliche begleiten Geflüchtete zu Ämtern. "
        "Der Landkreis zahlt Fahrtkosten für alle Paten. Jeden Monat gibt es ein Treffen im Rathaus. "
        "Die Koordination liegt bei der Integrationsbeauftragten. Neue Paten werden in zwei Abenden geschult.")


def _passage(text=TEXT, pid="p1", section_path=("Kapitel 2", "Kassel")):
    return Passage(id=pid, doc_id="d1", doc_title="Handbuch Ehrenamt", text=text, page=1,
                   section_path=list(section_path), start=0, end=len(text), index=0)


def _mean_unit(vectors):
    v = np.mean(vectors, axis=0)
    return v / np.linalg.norm(v)


def test_window_spans_cover_exactly_the_window_text():
    p = _passage()
    texts, owner, spans = window_spans([p])
    assert len(texts) == 3 and owner.tolist() == [0, 0, 0]  # 6 sentences, windows of 2 side by side
    for text, (a, b) in zip(texts, spans):
        assert text == p.text[a:b]  # no title: the window is the passage's own words
    assert spans[0][0] == 0 and spans[-1][1] == len(TEXT)
    assert windows([p])[0] == texts  # the old interface gives the same windows


def test_windows_are_two_sentences_and_a_trailing_sentence_joins_the_last():
    sentences = ["Die Stadt Kassel baut ein Netz von Sprachpaten auf.", "Ehrenamtliche begleiten Geflüchtete zu Ämtern.",
                 "Der Landkreis zahlt Fahrtkosten für alle Paten.", "Jeden Monat gibt es ein Treffen im Rathaus.",
                 "Die Koordination liegt bei der Integrationsbeauftragten."]
    five = _passage(" ".join(sentences))
    texts, _, _ = window_spans([five])
    assert texts == [" ".join(sentences[:2]), " ".join(sentences[2:])]  # the 5th sentence is not left out
    three = _passage(" ".join(sentences[:3]))
    assert window_spans([three])[0] == [three.text]
    two = _passage(" ".join(sentences[:2]))
    assert window_spans([two])[0] == []  # the passage vector already covers two sentences


def test_pool_span_is_the_normalised_mean_of_the_overlapping_tokens():
    emb = HashEmbedder(32)
    text = "passage: Titel\nEins zwei drei vier"
    _, states, offsets = emb.encode_with_states([text], "passage")
    start = text.index("zwei")
    vec = pool_span(states[0], offsets[0], start, text.index("vier") - 1)
    np.testing.assert_allclose(vec, _mean_unit([emb._one("zwei"), emb._one("drei")]), atol=1e-6)
    # a span that starts mid-token still takes the whole token
    vec2 = pool_span(states[0], offsets[0], start + 2, start + 4)
    np.testing.assert_allclose(vec2, emb._one("zwei"), atol=1e-6)
    assert pool_span(states[0], offsets[0], start, len(text) + 5) is None  # past the last token read
    # with the context: the tokens before ``context_end`` join the window's
    vec3 = pool_span(states[0], offsets[0], start, start + 4, context_end=text.index("Eins"))
    np.testing.assert_allclose(vec3, _mean_unit([emb._one(w) for w in ("passage:", "Titel", "zwei")]), atol=1e-6)


def test_embed_late_windows_are_pooled_from_the_passage_pass():
    emb = HashEmbedder(32)
    settings = Settings.from_env(late_chunking=True)
    p = _passage()
    vectors, tokens, reused, ws, separate = embed_late([p], emb, None, settings)
    assert reused == 0 and separate == 0 and len(ws.keys) == 3
    np.testing.assert_allclose(vectors[0], emb.encode_passages([p.embedding_text()])[0], atol=1e-6)
    _, spans_owner, spans = window_spans([p])
    a, b = spans[1]
    words = p.text[a:b].split()
    if late_chunking.LATE_CONTEXT:  # the title/section line is pooled into every window
        words = p.embedding_text()[: len(p.embedding_text()) - len(p.text)].split() + words
    np.testing.assert_allclose(ws.vectors[1], _mean_unit([emb._one(w) for w in words]), atol=1e-5)
    assert tokens.get(0).shape == (len(p.embedding_text().split()), 32)


class _Truncating(HashEmbedder):
    """Reads only the first ``limit`` words of each text, like a model cut at 512 tokens."""

    def __init__(self, dim, limit):
        super().__init__(dim)
        self.limit, self.separate_calls = limit, []

    def encode_with_states(self, texts, prompt, batch_size=16, progress=False):
        vecs, states, offsets = super().encode_with_states(texts, prompt, batch_size, progress)
        return vecs, [s[: self.limit] for s in states], [o[: self.limit] for o in offsets]

    def encode_passages(self, texts, batch_size=16, progress=False):
        self.separate_calls.extend(texts)
        return super().encode_passages(texts, batch_size, progress)


def test_windows_past_the_truncation_point_are_encoded_separately():
    emb = _Truncating(32, limit=30)  # title/section line + the first ~3.5 sentences
    settings = Settings.from_env(late_chunking=True)
    p = _passage()
    texts, _, _ = window_spans([p])
    _, _, _, ws, separate = embed_late([p], emb, None, settings)
    assert separate >= 1 and emb.separate_calls == texts[-separate:]
    np.testing.assert_allclose(ws.vectors[-1], HashEmbedder(32).encode_passages([texts[-1]])[0], atol=1e-6)
    assert ws.vectors[0] is not None and separate < len(texts)


def test_embed_late_reuses_unchanged_passages_and_their_windows(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    settings = Settings.from_env(data_dir=tmp_path / "var", corpus_dir=corpus, late_chunking=True)
    emb = HashEmbedder(32)
    first = build_index(settings, emb)
    assert first.rebuilt and first.counts["windows"] > 0 and first.counts["windows_encoded_separately"] == 0
    snap = load_snapshot(first.snapshot_path)
    calls = []

    class Counting(HashEmbedder):
        def encode_with_states(self, texts, prompt, batch_size=16, progress=False):
            calls.extend(texts)
            return super().encode_with_states(texts, prompt, batch_size, progress)

    again = embed_late(snap.passages, Counting(32), snap, settings)
    assert calls == [] and again[2] == len(snap.passages)
    np.testing.assert_allclose(again[3].vectors, snap.windows.vectors, atol=1e-6)


def test_late_chunking_changes_the_build_key():
    base = Settings.from_env()
    assert build_key(base, "fp", []) != build_key(base.with_(late_chunking=True), "fp", [])
    # the separate-window default keeps its key, so existing snapshots stay current
    assert build_key(base, "fp", []) == build_key(base.with_(late_chunking=False), "fp", [])


@pytest.mark.parametrize("device", ["cuda"])
def test_cuda_without_a_device_is_a_configuration_error(device):
    from core.errors import ConfigError
    from index.model.encoders import cuda_present, resolve_device

    if cuda_present("torch"):
        pytest.skip("this machine has a CUDA device")
    assert resolve_device("torch", "auto") == "cpu"
    with pytest.raises(ConfigError, match="no CUDA device"):
        resolve_device("torch", device)


def test_encoder_settings_are_validated():
    from core.errors import ConfigError

    assert Settings.from_env().model.encoder_backend == "onnx"
    assert Settings.from_env(env={"PRAXISFINDER_ENCODER_BACKEND": "torch"}).model.encoder_backend == "torch"
    with pytest.raises(ConfigError, match="encoder_backend"):
        Settings.from_env(env={"PRAXISFINDER_ENCODER_BACKEND": "onnx-int8"})
    with pytest.raises(ConfigError, match="device"):
        Settings.from_env(env={"PRAXISFINDER_DEVICE": "tpu"})


def test_a_new_window_shape_changes_the_build_key(monkeypatch):
    """Snapshots built with the old windows are stale: `make run` rebuilds them."""
    import index.build as build

    base, off = Settings.from_env(), Settings.from_env(window_vectors=False)
    before, off_before = build_key(base, "fp", []), build_key(off, "fp", [])
    monkeypatch.setattr(build, "WINDOW_VERSION", "2")
    assert build_key(base, "fp", []) != before
    assert build_key(off, "fp", []) == off_before  # without windows the shape does not matter


def test_cut_to_tokens_without_a_tokenizer_counts_words():
    from index.multivector import cut_to_tokens

    long = " ".join(f"Wort{i}" for i in range(100))
    short = "Die Stadt Kassel baut ein Netz von Sprachpaten auf."
    cut = cut_to_tokens([long, short], HashEmbedder(16), max_tokens=64)
    assert cut[0].split() == long.split()[:62] and cut[1] == short  # 62 words + 2 special tokens; short unchanged


def test_build_windows_are_cut_to_what_the_encoder_reads(tmp_path, monkeypatch):
    """With the cost lever on (``WINDOW_MAX_TOKENS``), windows are encoded as cut."""
    import index.build as build

    WINDOW_MAX_TOKENS = 64
    monkeypatch.setattr(build, "WINDOW_MAX_TOKENS", WINDOW_MAX_TOKENS)
    sentences = [" ".join(f"Satz{k}wort{i}" for i in range(50)) + "." for k in range(4)]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "lang.md").write_text("# Lange Sätze\n\n" + " ".join(sentences) + "\n", encoding="utf-8")
    settings = Settings.from_env(data_dir=tmp_path / "var", corpus_dir=corpus)
    outcome = build_index(settings, HashEmbedder(16))
    snap = load_snapshot(outcome.snapshot_path)
    assert len(snap.windows.keys) == 2  # four sentences: two windows of two
    emb = HashEmbedder(16)
    first_window = " ".join(sentences[:2])
    expected = emb.encode_passages([" ".join(first_window.split()[: WINDOW_MAX_TOKENS - 2])])[0]
    np.testing.assert_allclose(snap.windows.vectors[0], expected, atol=1e-6)


def test_windows_are_cut_at_88_tokens_by_default():
    import index.multivector as mv

    assert mv.WINDOW_MAX_TOKENS == 88 and mv.WINDOW_VERSION == "2-max88"


def _fake_onnx_dir(tmp_path, usable: bool):
    import json

    from index.model.onnx import INT8_FILE, MANIFEST

    tmp_path.mkdir()
    (tmp_path / INT8_FILE).write_bytes(b"")
    (tmp_path / MANIFEST).write_text(json.dumps({"int8": {"min_cosine": 0.99 if usable else 0.9, "usable": usable}}))
    return tmp_path


class _OnnxLike(HashEmbedder):
    """A test embedder that says it is the fp32 ONNX encoder of ``onnx_dir``."""

    backend = "onnx"

    def __init__(self, dim, onnx_dir):
        super().__init__(dim)
        self.onnx_dir = onnx_dir


def test_the_int8_window_encoder_is_chosen_only_where_it_applies(tmp_path):
    from index.model.encoders import window_encoder, window_encoder_tag

    int8, fp32 = Settings.from_env(), Settings.from_env(window_precision="fp32")
    assert int8.model.window_precision == "int8"  # the default
    good = _OnnxLike(16, _fake_onnx_dir(tmp_path / "good", True))
    bad = _OnnxLike(16, _fake_onnx_dir(tmp_path / "bad", False))
    missing = _OnnxLike(16, tmp_path / "nowhere")
    assert window_encoder_tag(int8, good) == "onnx-int8"
    assert window_encoder_tag(fp32, good) == ""  # asked for fp32
    assert window_encoder_tag(int8, bad) == ""  # the int8 copy missed INT8_MIN_COSINE
    assert window_encoder_tag(int8, missing) == ""  # an export without an int8 copy
    assert window_encoder_tag(int8, HashEmbedder(16)) == ""  # not the ONNX encoder (torch, tests)
    on_gpu = _OnnxLike(16, good.onnx_dir)
    on_gpu.device = "cuda"
    assert window_encoder_tag(int8, on_gpu) == ""  # dynamic int8 is a CPU speed-up
    plain = HashEmbedder(16)
    assert window_encoder(int8, plain) is plain and window_encoder(fp32, good) is good


def test_the_window_encoder_decides_the_build_key():
    base = Settings.from_env()
    assert build_key(base, "fp", [], "onnx-int8") != build_key(base, "fp", [])
    # without windows there is nothing the window encoder could change
    off = base.with_(window_vectors=False)
    assert build_key(off, "fp", [], "onnx-int8") == build_key(off, "fp", [])


def test_windows_are_encoded_by_the_window_encoder_and_never_reused_across_precisions(tmp_path, monkeypatch):
    """The int8 path: window vectors come from the window encoder, passages from the passage
    encoder, and a later fp32 build re-encodes every window instead of reusing int8 vectors."""
    import index.build as build

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("# Titel\n\n" + " ".join(f"Satz Nummer {k} über Sprachkurse in Kassel." for k in range(6))
                                 + "\n", encoding="utf-8")
    settings = Settings.from_env(data_dir=tmp_path / "var", corpus_dir=corpus)
    passages_enc, windows_enc = HashEmbedder(16), HashEmbedder(16)
    windows_enc.encode_passages = lambda texts, *a, **k: np.ones((len(texts), 16), np.float32) / 4.0
    monkeypatch.setattr(build, "window_encoder_tag", lambda s, e: "onnx-int8" if s.model.window_precision == "int8" else "")
    monkeypatch.setattr(build, "window_encoder", lambda s, e: windows_enc if s.model.window_precision == "int8" else e)
    first = load_snapshot(build_index(settings, passages_enc).snapshot_path)
    assert len(first.windows.keys) == 3 and np.allclose(first.windows.vectors, 0.25)
    assert first.manifest["model"]["window_encoder"] == "onnx-int8"
    assert not np.allclose(first.vectors, 0.25)  # the passages are not the window encoder's
    second = load_snapshot(build_index(settings.with_(window_precision="fp32"), passages_enc).snapshot_path)
    assert second.manifest["counts"]["reused_vectors"] == len(second.passages)  # passage vectors are reused
    assert not np.allclose(second.windows.vectors, 0.25)  # re-encoded by the passage encoder, not reused
    assert set(second.windows.keys).isdisjoint(first.windows.keys)
    assert second.manifest["model"]["window_encoder"] == "same"
