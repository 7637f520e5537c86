"""Dense text embedders behind one small interface.

``SentenceTransformerEmbedder`` loads the provisioned multilingual-e5-small model
(see ``index.model.provision``) with its ``query: `` / ``passage: `` prompts.
``HashEmbedder`` is a tiny deterministic stand-in for unit tests: character n-gram
hashing, so texts that share words land near each other.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Protocol

import numpy as np

from core.errors import ModelError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class Embedder(Protocol):
    """What the build and the search need from an encoder (torch, ONNX or the test hash).

    ``name`` and ``fingerprint`` identify the model (a snapshot records them and refuses
    another model); ``dim`` is the vector size (384 for multilingual-e5-small);
    ``prompts`` the e5 prefixes ("query: ", "passage: ").
    """

    name: str
    dim: int
    prompts: dict[str, str]

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors float32 (n, dim), L2-normalised."""
        ...

    def encode_passages(self, texts: list[str], batch_size: int = 16, progress: bool = False) -> np.ndarray:
        """Passage vectors float32 (n, dim), L2-normalised."""
        ...

    def encode_with_tokens(
        self, texts: list[str], prompt: str, batch_size: int = 16, progress: bool = False
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors (n, dim) and, per text, its output token vectors (t, dim), L2-normalised,
        for late interaction (``prompt`` is "query" or "passage")."""
        ...


class SentenceTransformerEmbedder:
    """The real model: L2-normalised float32 vectors, prompts from the model config."""

    def __init__(self, model_dir: Path, threads: int | None = None, device: str = "cpu"):
        model_dir = Path(model_dir)
        if not (model_dir / "modules.json").exists():
            raise ModelError(
                f"no sentence-transformers model at {model_dir}; run `praxisfinder provision` first"
            )
        try:
            # lazy: PyTorch takes seconds to load; only the torch encoder needs it
            import torch
            # lazy: sentence-transformers loads PyTorch; only the torch encoder needs it
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelError("sentence-transformers is not installed: pip install -e .") from exc
        if threads:
            torch.set_num_threads(threads)
        self.model = SentenceTransformer(str(model_dir), device=device, local_files_only=True)
        self.device = device
        self.backend = "torch"
        self.model_dir = model_dir
        info = _read_json(model_dir / "praxisfinder_model.json")
        self.name = info.get("name", model_dir.name)
        self.fingerprint = info.get("fingerprint", "")
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.prompts = dict(self.model.prompts)
        # query tokens that carry no content: <s>, "▁query", ":" and the closing </s>
        self.query_token_trim = (3, 1)

    @property
    def tokenizer(self):
        """The model's own fast tokenizer (as ``OnnxEmbedder.tokenizer``)."""
        return self.model.tokenizer

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors float32 (n, dim), L2-normalised, with the "query: " prompt."""
        return self._encode(texts, "query", batch_size=32, progress=False)

    def encode_passages(self, texts: list[str], batch_size: int = 16, progress: bool = False) -> np.ndarray:
        """Passage vectors float32 (n, dim), L2-normalised, with the "passage: " prompt."""
        return self._encode(texts, "passage", batch_size=batch_size, progress=progress)

    def _encode(self, texts: list[str], prompt: str, batch_size: int, progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            prompt_name=prompt,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_with_tokens(
        self, texts: list[str], prompt: str, batch_size: int = 16, progress: bool = False
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Pooled vectors and per-token output vectors (L2-normalised) from one forward pass."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), []
        outputs = self.model.encode(
            list(texts), prompt_name=prompt, batch_size=batch_size, output_value=None,
            convert_to_numpy=False, show_progress_bar=progress,
        )
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        tokens = []
        for i, out in enumerate(outputs):
            vec = out["sentence_embedding"].float().cpu().numpy()
            vectors[i] = vec / (np.linalg.norm(vec) + 1e-12)
            mask = out["attention_mask"].bool().cpu().numpy()
            tok = out["token_embeddings"].float().cpu().numpy()[mask]
            tok /= np.linalg.norm(tok, axis=1, keepdims=True) + 1e-12
            tokens.append(tok.astype(np.float32))
        return vectors, tokens

    def encode_with_states(
        self, texts: list[str], prompt: str, batch_size: int = 16, progress: bool = False
    ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """One forward pass: pooled vectors, raw token states and their character offsets.

        Returns ``(vectors (n, dim) float32 L2-normalised, states [(tokens_i, dim) float32,
        not normalised], offsets [(tokens_i, 2) int64])``. Offsets index into the string
        the model reads, ``prompt text + text``, from the model's own fast tokenizer with
        the same truncation; special tokens have (0, 0). Used for late chunking
        (``index.late_chunking``).
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), [], []
        outputs = self.model.encode(
            list(texts), prompt_name=prompt, batch_size=batch_size, output_value=None,
            convert_to_numpy=False, show_progress_bar=progress,
        )
        full = [self.prompts.get(prompt, "") + t for t in texts]
        enc = self.tokenizer(full, truncation=True, max_length=self.model.max_seq_length,
                                   return_offsets_mapping=True)
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        states, offsets = [], []
        for i, out in enumerate(outputs):
            vec = out["sentence_embedding"].float().cpu().numpy()
            vectors[i] = vec / (np.linalg.norm(vec) + 1e-12)
            mask = out["attention_mask"].bool().cpu().numpy()
            state = out["token_embeddings"].float().cpu().numpy()[mask]
            off = np.asarray(enc["offset_mapping"][i], dtype=np.int64).reshape(-1, 2)
            if len(off) != len(state):
                raise ModelError(f"tokenizer offsets ({len(off)}) and model tokens ({len(state)}) disagree")
            states.append(state.astype(np.float32))
            offsets.append(off)
        return vectors, states, offsets


class HashEmbedder:
    """Deterministic character-trigram hashing embedder for fast unit tests."""

    def __init__(self, dim: int = 64):
        self.dim = dim
        self.name = f"hash-trigram-{dim}"
        self.fingerprint = self.name
        self.prompts = {"query": "", "passage": ""}
        self.query_token_trim = (0, 0)

    def _one(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in text.casefold().split():
            padded = f"#{word}#"
            for i in range(max(1, len(padded) - 2)):
                h = int.from_bytes(hashlib.blake2b(padded[i : i + 3].encode(), digest_size=4).digest(), "little")
                vec[h % self.dim] += 1.0 if (h >> 31) & 1 else -1.0
        norm = np.linalg.norm(vec)
        return vec / norm if norm > 0 else vec

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors float32 (n, dim), L2-normalised, with the "query: " prompt."""
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_passages(self, texts: list[str], batch_size: int = 16, progress: bool = False) -> np.ndarray:
        """Passage vectors float32 (n, dim), L2-normalised, with the "passage: " prompt."""
        return self.encode_queries(texts)

    def encode_with_tokens(self, texts: list[str], prompt: str, batch_size: int = 16, progress: bool = False):
        """Vectors (n, dim) and per text its token vectors (t, dim), both L2-normalised (deterministic hashes)."""
        tokens = [np.stack([self._one(w) for w in (t.split() or [t])]) for t in texts]
        return self.encode_queries(texts), tokens

    def encode_with_states(self, texts: list[str], prompt: str, batch_size: int = 16, progress: bool = False):
        """Words as tokens: each word's vector as its state, its character span as offset."""

        states, offsets = [], []
        for t in texts:
            words = [(m.start(), m.end()) for m in re.finditer(r"\S+", t)] or [(0, 0)]
            states.append(np.stack([self._one(t[a:b]) for a, b in words]))
            offsets.append(np.asarray(words, dtype=np.int64).reshape(-1, 2))
        return self.encode_queries(texts), states, offsets


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
