"""Pick the encoder runtime and device from the settings.

``PRAXISFINDER_ENCODER_BACKEND``: ``onnx`` (ONNX Runtime over the export verified at
provision time, ``index.model.onnx``) or ``torch`` (sentence-transformers). ``backend=
"onnx-int8"`` (dynamic int8, not a setting: the quality floors were not measured with it)
is for benchmarks only.
``PRAXISFINDER_WINDOW_PRECISION``: ``int8`` encodes the sentence windows with the int8 copy
of the ONNX export (``window_encoder``), ``fp32`` with the passage encoder.
``PRAXISFINDER_DEVICE``: ``auto`` uses CUDA where the runtime sees a CUDA device (torch:
``torch.cuda.is_available()``; ONNX Runtime: the CUDA execution provider, i.e. the
``onnxruntime-gpu`` wheel), else the CPU; ``cpu`` and ``cuda`` force one (``cuda`` without a
device is a configuration error).
"""

from __future__ import annotations

from pathlib import Path

from core.errors import ConfigError
from core.settings import Settings
from index.model.embedder import SentenceTransformerEmbedder
from index.model.onnx import (INT8_FILE, MODEL_FILE, OnnxEmbedder, cuda_available, export_onnx, onnx_dir_for,
                              read_manifest)
from index.model.provision import provision as provision_model


def cuda_present(backend: str) -> bool:
    """Whether the given runtime can use a CUDA device on this machine."""
    if backend == "torch":
        try:
            # lazy: PyTorch takes seconds to load; only the torch encoder needs it
            import torch
        except ImportError:  # pragma: no cover
            return False
        return bool(torch.cuda.is_available())

    return cuda_available()


def resolve_device(backend: str, device: str) -> str:
    """``auto`` -> ``cuda`` or ``cpu``; ``cuda`` without a device raises ConfigError."""
    if device == "auto":
        return "cuda" if cuda_present(backend) else "cpu"
    if device == "cuda" and not cuda_present(backend):
        raise ConfigError(f"device=cuda, but the {backend} encoder sees no CUDA device; use device=auto or cpu")
    return device


def create_encoder(settings: Settings, provision: bool = True, backend: str | None = None):
    """The encoder the settings name (``backend`` overrides ``settings.model.encoder_backend``).

    With ``provision``, the model is provisioned (and for ONNX exported and verified) first
    when it is not there yet; everything happens offline. Raises ModelError when the model
    cannot be provisioned or loaded.
    """
    backend = backend or settings.model.encoder_backend
    device = resolve_device(backend, settings.model.device)
    model_dir = Path(settings.model.dir)
    if provision:
        provision_model(model_dir)
    if backend == "torch":
        return SentenceTransformerEmbedder(model_dir, device=device)

    onnx_dir = onnx_dir_for(model_dir)
    if provision:
        export_onnx(model_dir, onnx_dir)
    return OnnxEmbedder(onnx_dir, INT8_FILE if backend == "onnx-int8" else MODEL_FILE, device=device,
                        model_dir=model_dir)


_WINDOW_ENCODERS: dict[tuple, object] = {}


def window_encoder_tag(settings: Settings, embedder) -> str:
    """``"onnx-int8"`` when the sentence windows are encoded by the int8 export, else ``""``.

    int8 applies when ``settings.model.window_precision`` is ``int8``, the passage encoder is the
    fp32 ONNX one (``embedder.backend == "onnx"``) and its export holds an int8 copy whose
    check cosines all reach ``index.model.onnx.INT8_MIN_COSINE`` (the manifest's
    ``int8.usable``). Anything else (torch, a test embedder, fp32 asked for, an old export,
    a CUDA device, where dynamic int8 has no fast kernels) encodes the windows with
    ``embedder`` itself. Reads one small JSON file; loads nothing.
    """
    if settings.model.window_precision != "int8" or getattr(embedder, "backend", None) != "onnx":
        return ""
    if getattr(embedder, "device", "cpu") == "cuda":
        return ""

    onnx_dir = Path(getattr(embedder, "onnx_dir", ""))
    usable = (read_manifest(onnx_dir).get("int8") or {}).get("usable", False)
    return "onnx-int8" if usable and (onnx_dir / INT8_FILE).is_file() else ""


def window_encoder(settings: Settings, embedder):
    """The encoder of the sentence windows: the int8 ONNX copy (see ``window_encoder_tag``) or ``embedder``.

    The int8 session is opened once per export directory and process and kept; its vectors
    live in the fp32 model's space (cosine >= 0.98 on every check text, 0.996 on average),
    so fp32 queries score them directly.
    """
    if not window_encoder_tag(settings, embedder):
        return embedder

    key = (str(embedder.onnx_dir), embedder.device, embedder.threads)
    if key not in _WINDOW_ENCODERS:
        _WINDOW_ENCODERS[key] = OnnxEmbedder(embedder.onnx_dir, INT8_FILE, device=embedder.device,
                                             threads=embedder.threads, model_dir=embedder.model_dir)
    return _WINDOW_ENCODERS[key]
