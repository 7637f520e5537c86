"""Pick the encoder runtime and device from the settings.

``PRAXISFINDER_ENCODER_BACKEND``: ``onnx`` (ONNX Runtime over the export verified at
provision time, ``index.model.onnx``) or ``torch`` (sentence-transformers). ``backend=
"onnx-int8"`` (dynamic int8, not a setting: the quality floors were not measured with it)
is for benchmarks only.
``PRAXISFINDER_DEVICE``: ``auto`` uses CUDA where the runtime sees a CUDA device (torch:
``torch.cuda.is_available()``; ONNX Runtime: the CUDA execution provider, i.e. the
``onnxruntime-gpu`` wheel), else the CPU; ``cpu`` and ``cuda`` force one (``cuda`` without a
device is a configuration error).
"""

from __future__ import annotations

from pathlib import Path

from core.errors import ConfigError
from core.settings import Settings


def cuda_present(backend: str) -> bool:
    """Whether the given runtime can use a CUDA device on this machine."""
    if backend == "torch":
        try:
            import torch
        except ImportError:  # pragma: no cover
            return False
        return bool(torch.cuda.is_available())
    from index.model.onnx import cuda_available

    return cuda_available()


def resolve_device(backend: str, device: str) -> str:
    """``auto`` -> ``cuda`` or ``cpu``; ``cuda`` without a device raises ConfigError."""
    if device == "auto":
        return "cuda" if cuda_present(backend) else "cpu"
    if device == "cuda" and not cuda_present(backend):
        raise ConfigError(f"device=cuda, but the {backend} encoder sees no CUDA device; use device=auto or cpu")
    return device


def create_encoder(settings: Settings, provision: bool = True, backend: str | None = None):
    """The encoder the settings name (``backend`` overrides ``settings.encoder_backend``).

    With ``provision``, the model is provisioned (and for ONNX exported and verified) first
    when it is not there yet; everything happens offline. Raises ModelError when the model
    cannot be provisioned or loaded.
    """
    backend = backend or settings.encoder_backend
    device = resolve_device(backend, settings.device)
    model_dir = Path(settings.model_dir)
    if provision:
        from index.model.provision import provision as provision_model

        provision_model(model_dir)
    if backend == "torch":
        from index.model.embedder import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(model_dir, device=device)
    from index.model.onnx import INT8_FILE, MODEL_FILE, OnnxEmbedder, export_onnx, onnx_dir_for

    onnx_dir = onnx_dir_for(model_dir)
    if provision:
        export_onnx(model_dir, onnx_dir, quantize=backend == "onnx-int8")
    return OnnxEmbedder(onnx_dir, INT8_FILE if backend == "onnx-int8" else MODEL_FILE, device=device,
                        model_dir=model_dir)
