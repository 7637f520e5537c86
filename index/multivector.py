"""More than one vector per passage: sentence windows and token vectors.

Measured on eval/judgments.jsonl (see eval/REPORT.md and the closing notes): a passage
embedding dilutes a single fact in a 150-word passage, so

- **sentence windows**: every passage of more than two sentences is also embedded as
  windows of two sentences, side by side (a trailing single sentence joins the last
  window), without title or section, read up to ``WINDOW_MAX_TOKENS`` tokens; a passage's
  dense score is the max of its own and its windows' scores (+0.017 nDCG@10 on the written set over no windows; issue 15 chose
  this shape over the earlier overlapping three-sentence windows with the title, which
  read 1.4x the encoder tokens (1.13x the passage pass, now 0.80x) and scored 0.005 less
  -- ``python -m tools.window_levers``);
- **late interaction**: the e5 model's output token vectors (L2-normalised) are kept;
  the top fused candidates are re-scored with MaxSim — the mean over query tokens of the
  best-matching passage token — and fused again with the first-stage score (+0.02).

Token vectors are stored as one float16 matrix with row offsets per passage.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from core.schema import Passage

WINDOW_SENTENCES = 2
WINDOW_STRIDE = 2
WINDOW_MIN_WORDS = 5
# What the encoder reads of a window, prompt and special tokens included (None: all of it).
# Measured (lever table in docs/measurements.md): whole windows cost 0.80x the passage pass's tokens and a
# build of 1.58x a bare pass; 80 tokens cost 0.60x and hold the three judgment sets and the
# comparable-municipality targets; 64 (0.51x) loses the blind comparable cases 0.016 recall@10.
# With the int8 window encoder (PRAXISFINDER_WINDOW_PRECISION, the default) 80 tokens lose
# that case again, 88 (0.63x) keep it and the three sets within 0.005.
WINDOW_MAX_TOKENS: int | None = 88
WINDOW_VERSION = "2" + (f"-max{WINDOW_MAX_TOKENS}" if WINDOW_MAX_TOKENS else "")  # in the build key; 1 = 3 sentences, stride 2, with the title


def windows(passages: list[Passage]) -> tuple[list[str], np.ndarray]:
    """Window texts (document title as context) and the passage index owning each.

    Returns ``(texts, owner)`` with ``owner`` int64 of shape (len(texts),); see
    :func:`window_spans` for how windows are cut.
    """
    texts, owner, _ = window_spans(passages)
    return texts, owner


def window_spans(passages: list[Passage], size: int = WINDOW_SENTENCES, stride: int = WINDOW_STRIDE,
                 title: bool = False, tail: str = "join") -> tuple[list[str], np.ndarray, list[tuple[int, int]]]:
    """Window texts, owning passage index and each window's character span in ``passage.text``.

    Windows are ``size`` sentences (default ``WINDOW_SENTENCES``) with stride ``stride``
    (``WINDOW_STRIDE``). Sentences after the last full window: ``tail="join"`` (what ships)
    lets the last window run to the passage's last sentence, so every sentence is in a
    window; ``"own"`` gives them a window of their own; ``""`` leaves them out. A window of
    fewer than ``WINDOW_MIN_WORDS`` words and passages of at most ``size`` sentences get
    none. The text is the sentences joined by a space, with ``title`` prefixed by
    ``"{doc_title}\n"`` (shipped without: measured better and 15 % fewer tokens); the span
    ``(start, end)`` runs from the first sentence's start to the last one's end. The other
    shapes are for ``tools.window_levers``.
    """
    # lazy: ingest.sentences loads NLTK's Punkt (~3 s); only a build cuts windows, a searching process never
    from ingest.sentences import sentence_spans

    texts: list[str] = []
    owner: list[int] = []
    spans: list[tuple[int, int]] = []
    for i, p in enumerate(passages):
        sents = sentence_spans(p.text)
        if len(sents) <= size:
            continue  # the passage vector already covers it
        starts = list(range(0, len(sents) - 1, stride))
        if tail == "own" and starts[-1] + size < len(sents):
            starts.append(starts[-1] + stride)
        for n, start in enumerate(starts):
            last = n == len(starts) - 1
            group = sents[start:] if tail == "join" and last else sents[start : start + size]
            text = " ".join(p.text[a:b] for a, b in group)
            if len(text.split()) >= WINDOW_MIN_WORDS:
                texts.append(f"{p.doc_title}\n{text}" if title else text)
                owner.append(i)
                spans.append((group[0][0], group[-1][1]))
    return texts, np.asarray(owner, dtype=np.int64), spans


def cut_to_tokens(texts: list[str], embedder, max_tokens: int) -> list[str]:
    """Each text cut to what the encoder reads within ``max_tokens`` tokens.

    Counts with the embedder's own tokenizer (``embedder.tokenizer``), the "passage: " prompt and the special tokens included, and cuts
    at the end of the last token read -- the model's own ``max_length`` truncation, as text,
    so the reuse keys of window vectors follow it. An embedder without a tokenizer (the
    tests' ``HashEmbedder``) counts words. Texts that fit are returned unchanged.
    """

    if not texts:  # no windows at all (one passage of one long word): the tokenizer fails on []
        return []
    tokenizer = getattr(embedder, "tokenizer", None)
    if tokenizer is None:
        return [" ".join(t.split()[: max_tokens - 2]) if len(t.split()) > max_tokens - 2 else t for t in texts]
    prompt = embedder.prompts.get("passage", "")
    with getattr(embedder, "tokenizer_lock", None) or contextlib.nullcontext():
        enc = tokenizer([prompt + t for t in texts], truncation=True, max_length=max_tokens,
                        return_offsets_mapping=True)
    out = []
    for text, offsets in zip(texts, enc["offset_mapping"]):
        end = max((b for a, b in offsets), default=0) - len(prompt)
        out.append(text if end >= len(text.rstrip()) else text[: max(end, 1)])
    return out


def max_pool(scores: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Per-passage maximum of window scores (-inf where a passage has no window).

    ``scores`` and ``owner`` have shape (n_windows,); returns float32 (n,).
    """
    out = np.full(n, -np.inf, dtype=np.float32)
    if scores.size:
        np.maximum.at(out, owner, scores.astype(np.float32))
    return out


@dataclass
class TokenStore:
    """Token vectors of all passages: ``matrix[offsets[i]:offsets[i+1]]`` belongs to passage i."""

    matrix: np.ndarray  # float16, (total_tokens, dim)
    offsets: np.ndarray  # int64, (n_passages + 1,)

    @classmethod
    def from_list(cls, per_passage: list[np.ndarray], dim: int) -> "TokenStore":
        """Stack per-passage arrays of shape (tokens_i, dim) into one float16 store."""
        lengths = [len(t) for t in per_passage]
        offsets = np.zeros(len(per_passage) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum(lengths)
        matrix = np.concatenate(per_passage).astype(np.float16) if per_passage else np.zeros((0, dim), np.float16)
        return cls(matrix, offsets)

    def get(self, i: int) -> np.ndarray:
        """Token vectors of passage ``i``: float16 (tokens_i, dim), a view into ``matrix``."""
        return self.matrix[self.offsets[i] : self.offsets[i + 1]]

    def maxsim(self, query_tokens: np.ndarray, candidates: list[int]) -> list[tuple[int, float]]:
        """MaxSim of each candidate (mean over query tokens of the best passage token), best first.

        :param query_tokens: (query tokens, dim), L2-normalised.
        :param candidates: passage indices. Passages without tokens score 0.
        :returns: [(passage, score)], sorted by score descending, ties by smaller index.

        One small matrix product per candidate over its rows of ``matrix``, in place: no
        copy of the candidates' token vectors (30 candidates are about 8,000 tokens, 12 MB
        in float32, which copying cost more than the products).
        """
        q = np.ascontiguousarray(query_tokens, dtype=self.matrix.dtype)
        out = []
        for i in candidates:
            a, b = int(self.offsets[i]), int(self.offsets[i + 1])
            out.append((i, float((q @ self.matrix[a:b].T).max(axis=1).mean()) if b > a else 0.0))
        return sorted(out, key=lambda item: (-item[1], item[0]))
