"""The real model: ONNX export against torch, late-chunked windows against the token states."""

from pathlib import Path

import numpy as np
import pytest

from core.schema import Passage
from core.settings import Settings
from index import late_chunking
from index.late_chunking import embed_late
from index.multivector import window_spans

pytestmark = pytest.mark.slow

TEXT = ("Die Gemeinde Alheim hat früh eine hauptamtliche Flüchtlingskoordinatorin eingestellt. "
        "Sie organisiert Runde Tische mit Ehrenamtlichen, Vereinen und der Verwaltung. "
        "Mit einem Anschreiben an alle Haushalte der Gemeinde wurden Wohnungen gesucht. "
        "Die Flüchtlingsinitiative arbeitet in verschiedenen Arbeitsgruppen: Sprache, Wohnen, Arbeit. "
        "Mitfahrerbänke verbinden die Ortsteile, weil Busse selten fahren. "
        "Jedes Jahr lädt der Bürgermeister zu einem Fest der Begegnung ein.")


@pytest.fixture(scope="module")
def torch_encoder():
    from index.model.encoders import create_encoder

    return create_encoder(Settings.from_env(device="cpu"), backend="torch")


@pytest.fixture(scope="module")
def onnx_encoder():
    from index.model.encoders import create_encoder

    return create_encoder(Settings.from_env(device="cpu"), backend="onnx")


def test_onnx_export_matches_torch_on_the_provisioning_texts(torch_encoder, onnx_encoder):
    from index.model.onnx import MIN_COSINE, onnx_dir_for, read_manifest
    from index.model.provision_texts import VERIFICATION_TEXTS

    manifest = read_manifest(onnx_dir_for(Settings.from_env().model.dir))
    assert manifest["verification"]["passed"] and manifest["verification"]["n_texts"] == len(VERIFICATION_TEXTS)
    # ORT's transformer optimizer fused every layer's attention (eager-attention export)
    assert manifest["fusions"]["Attention"] == torch_encoder.model[0].auto_model.config.num_hidden_layers == 12
    texts = VERIFICATION_TEXTS[::8]
    for prompt in ("query", "passage"):
        a = torch_encoder._encode(texts, prompt, batch_size=16, progress=False)
        b = onnx_encoder._encode(texts, prompt, batch_size=16)
        assert (a * b).sum(axis=1).min() >= MIN_COSINE
    # token states and their offsets agree too (MaxSim and late chunking use them)
    _, s_torch, o_torch = torch_encoder.encode_with_states([TEXT], "passage")
    _, s_onnx, o_onnx = onnx_encoder.encode_with_states([TEXT], "passage")
    np.testing.assert_array_equal(o_torch[0], o_onnx[0])
    cos = (s_torch[0] * s_onnx[0]).sum(1) / np.linalg.norm(s_torch[0], axis=1) / np.linalg.norm(s_onnx[0], axis=1)
    assert cos.min() >= 0.999
    assert onnx_encoder.fingerprint == torch_encoder.fingerprint  # interchangeable snapshots


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_late_chunked_windows_are_the_mean_of_their_token_states(backend, torch_encoder, onnx_encoder):
    encoder = torch_encoder if backend == "torch" else onnx_encoder
    p = Passage(id="p", doc_id="d", doc_title="Zusammenleben Hand in Hand", text=TEXT, page=1,
                section_path=["Alheim"], start=0, end=len(TEXT), index=0)
    settings = Settings.from_env(late_chunking=True)
    _, _, _, ws, separate = embed_late([p], encoder, None, settings)
    texts, _, spans = window_spans([p])
    assert separate == 0 and len(ws.keys) == len(texts) == 3
    _, states, offsets = encoder.encode_with_states([p.embedding_text()], "passage")
    full = encoder.prompts["passage"] + p.embedding_text()
    base = len(full) - len(TEXT)
    tok = encoder.tokenizer
    ids = tok(full)["input_ids"]
    for j, (a, b) in enumerate(spans):
        real = offsets[0][:, 1] > offsets[0][:, 0]
        inside = (offsets[0][:, 1] > base + a) & (offsets[0][:, 0] < base + b) & real
        # the tokens pooled are exactly the window's words
        assert tok.decode([ids[k] for k in np.flatnonzero(inside)]).split() == TEXT[a:b].split()
        if late_chunking.LATE_CONTEXT:  # plus prompt, title and section
            inside |= real & (offsets[0][:, 0] < base)
        expected = states[0][inside].mean(axis=0)
        expected /= np.linalg.norm(expected)
        assert float(ws.vectors[j] @ expected) >= 0.9999
    # and they stay close in meaning to the same window encoded on its own
    separate_vectors = encoder.encode_passages(texts)
    assert (ws.vectors * separate_vectors).sum(axis=1).min() >= 0.85


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_windows_are_cut_where_the_encoder_stops_reading(backend, torch_encoder, onnx_encoder):
    from index.multivector import cut_to_tokens

    encoder = torch_encoder if backend == "torch" else onnx_encoder
    tok = encoder.tokenizer
    text = TEXT  # about 100 words: longer than 64 tokens
    [cut] = cut_to_tokens([text], encoder, max_tokens=64)
    prompt = encoder.prompts["passage"]
    assert text.startswith(cut) and len(cut) < len(text)
    truncated = tok(prompt + text, truncation=True, max_length=64)["input_ids"]
    assert tok(prompt + cut)["input_ids"] == truncated  # the same tokens as the model's own truncation
    vec_cut = encoder.encode_passages([cut])[0]
    assert cut_to_tokens(["Kurzer Satz."], encoder, max_tokens=64) == ["Kurzer Satz."]
    assert vec_cut.shape == (encoder.dim,)


def test_the_int8_window_encoder_stays_in_the_fp32_models_space(onnx_encoder):
    """The default window encoder: the int8 copy written at provision time, verified on the
    check texts, gives window vectors that fp32 queries score like the fp32 windows."""
    from index.model.encoders import window_encoder, window_encoder_tag
    from index.model.onnx import INT8_MIN_COSINE, onnx_dir_for, read_manifest
    from index.multivector import windows

    settings = Settings.from_env(device="cpu")
    record = read_manifest(onnx_dir_for(settings.model.dir))["int8"]
    assert record["usable"] and INT8_MIN_COSINE <= record["min_cosine"] <= record["mean_cosine"] < 1.0
    assert window_encoder_tag(settings, onnx_encoder) == "onnx-int8"
    int8 = window_encoder(settings, onnx_encoder)
    assert int8 is not onnx_encoder and int8.backend == "onnx-int8" and int8.dim == onnx_encoder.dim
    assert window_encoder(settings, onnx_encoder) is int8  # one session per process
    p = Passage(id="p", doc_id="d", doc_title="Zusammenleben Hand in Hand", text=TEXT, page=1,
                section_path=["Alheim"], start=0, end=len(TEXT), index=0)
    texts, _ = windows([p])
    a, b = onnx_encoder.encode_passages(texts), int8.encode_passages(texts)
    assert (a * b).sum(axis=1).min() >= INT8_MIN_COSINE
    for query in ("Wie finden Gemeinden Wohnungen für Geflüchtete?", "Mitfahrerbank im ländlichen Raum"):
        q = onnx_encoder.encode_queries([query])[0]
        assert int(np.argmax(a @ q)) == int(np.argmax(b @ q))  # the same best window
    assert window_encoder(settings.with_(window_precision="fp32"), onnx_encoder) is onnx_encoder
