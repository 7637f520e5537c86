"""One encoder pass per passage: sentence-window vectors pooled from the passage's token states.

"Late chunking" (Günther et al., 2024, arXiv:2409.04701): instead of encoding each
sentence window again, the window's vector is the mean of the passage pass's output token
states (before any normalisation) over the tokens that fall inside the window's character
span, then L2-normalised -- the same mean pooling the model uses for a whole text, applied
to a span. Character spans map to tokens through the tokenizer's offset mapping. A window
whose text the passage pass did not read whole (the passage was cut at the model's 512
tokens) or that could not be located is encoded separately, as before.

``embed_late`` replaces the two passes of ``index.build`` (passages, then windows) when
``PRAXISFINDER_LATE_CHUNKING`` is on; it reuses the previous snapshot's vectors of
unchanged passages and windows exactly as the separate passes do. A late-chunked window's
reuse key covers the whole passage text (its vector depends on it), so it never collides
with a separately encoded window's key.
"""

from __future__ import annotations

import hashlib

import numpy as np

from core.schema import Passage
from index.multivector import TokenStore, window_spans
from index.snapshot import WindowSet

LATE_CONTEXT = False  # True: also pool the prompt/title/section tokens into every window (measured: no better)
LATE_KEY_VERSION = "late-v2" if LATE_CONTEXT else "late-v1"


def text_key(text: str) -> str:
    """SHA-1 hex of ``text`` (UTF-8): the reuse key of a window vector across builds."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def late_key(passage_text: str, window_text: str) -> str:
    """Reuse key of a late-chunked window: version, the passage's embedding text, the window text."""
    return text_key(f"{LATE_KEY_VERSION}\x00{passage_text}\x00{window_text}")


def pool_span(states: np.ndarray, offsets: np.ndarray, start: int, end: int, context_end: int = 0) -> np.ndarray | None:
    """Mean of the token states whose character offsets overlap ``[start, end)``, L2-normalised.

    ``states``: (tokens, dim) raw output states; ``offsets``: (tokens, 2) character offsets
    into the string the model read (special tokens (0, 0) are skipped). With
    ``context_end`` > 0 the tokens of ``[0, context_end)`` (prompt, title, section) are
    pooled too. Returns None when the span reaches past the last token read (truncation)
    or covers no token.
    """
    real = offsets[:, 1] > offsets[:, 0]
    if not real.any() or end > int(offsets[real, 1].max()):
        return None
    inside = real & (offsets[:, 1] > start) & (offsets[:, 0] < end)
    if not inside.any():
        return None
    if context_end > 0:
        inside |= real & (offsets[:, 0] < context_end)
    vec = states[inside].mean(axis=0)
    return (vec / (np.linalg.norm(vec) + 1e-12)).astype(np.float32)


def embed_late(passages: list[Passage], embedder, previous, settings, progress: bool = False):
    """Passage vectors, token vectors and sentence-window vectors from one pass per passage.

    Returns ``(vectors (n, dim) float32, TokenStore | None, reused passage count,
    WindowSet | None, windows encoded separately)`` like ``index.build._embed`` and
    ``index.build._windows`` together.
    Needs ``embedder.encode_with_states`` (torch, ONNX and the test HashEmbedder have it).
    """

    prompt_len = len(embedder.prompts.get("passage", ""))
    texts = [p.embedding_text() for p in passages]
    want_tokens, want_windows = settings.search.late_interaction, settings.model.window_vectors
    if want_windows:
        w_texts, owner, spans = window_spans(passages)
    else:
        w_texts, owner, spans = [], np.zeros(0, np.int64), []
    w_keys = [late_key(texts[o], t) for o, t in zip(owner.tolist(), w_texts)]

    p_cache: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    w_cache: dict[str, np.ndarray] = {}
    if previous is not None and (not want_tokens or previous.tokens is not None):
        for i, p in enumerate(previous.passages):
            tok = np.asarray(previous.tokens.get(i), dtype=np.float32) if want_tokens else None
            p_cache[text_key(p.embedding_text())] = (previous.vectors[i], tok)
    if previous is not None and previous.windows is not None:
        w_cache = {k: previous.windows.vectors[i] for i, k in enumerate(previous.windows.keys)}

    n = len(passages)
    vectors = np.zeros((n, embedder.dim), dtype=np.float32)
    tokens: list[np.ndarray | None] = [None] * n
    w_vectors = np.zeros((len(w_texts), embedder.dim), dtype=np.float32)
    w_done = np.zeros(len(w_texts), dtype=bool)
    by_owner: dict[int, list[int]] = {}
    for j, o in enumerate(owner.tolist()):
        by_owner.setdefault(o, []).append(j)
        if w_keys[j] in w_cache:
            w_vectors[j], w_done[j] = w_cache[w_keys[j]], True

    missing = []
    for i, text in enumerate(texts):
        hit = p_cache.get(text_key(text))
        if hit is not None and all(w_done[j] for j in by_owner.get(i, [])):
            vectors[i], tokens[i] = hit
        else:
            missing.append(i)
    if missing:
        new, states, offsets = embedder.encode_with_states(
            [texts[i] for i in missing], "passage", settings.model.embed_batch_size, progress)
        for row, i in enumerate(missing):
            vectors[i] = new[row]
            if want_tokens:
                s = states[row]
                tokens[i] = (s / (np.linalg.norm(s, axis=1, keepdims=True) + 1e-12)).astype(np.float32)
            base = prompt_len + len(texts[i]) - len(passages[i].text)  # where passage.text starts
            for j in by_owner.get(i, []):
                if w_done[j]:
                    continue
                vec = pool_span(states[row], offsets[row], base + spans[j][0], base + spans[j][1],
                                context_end=base if LATE_CONTEXT else 0)
                if vec is not None:
                    w_vectors[j], w_done[j] = vec, True
    separate = [j for j in range(len(w_texts)) if not w_done[j]]
    for j in separate:  # past the truncation point: encoded on their own, keyed as such
        w_keys[j] = text_key(w_texts[j])
        if w_keys[j] in w_cache:
            w_vectors[j], w_done[j] = w_cache[w_keys[j]], True
    separate = [j for j in separate if not w_done[j]]
    if separate:
        w_vectors[separate] = embedder.encode_passages([w_texts[j] for j in separate], settings.model.embed_batch_size)
    store = TokenStore.from_list(tokens, embedder.dim) if want_tokens else None
    window_set = WindowSet(w_vectors, owner, w_keys, None) if want_windows else None
    return vectors, store, n - len(missing), window_set, len(separate)
