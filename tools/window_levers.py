"""Measure the sentence-window levers of issue 15 (build cost against quality) on the three judgment sets.

    python -m tools.window_levers [--configs separate,none,late,...] [--json OUT]

Every configuration swaps the snapshot's sentence-window vectors (``Snapshot.windows``) for
another set built in memory from the same passages, and may change the MaxSim rerank
depth; the passage vectors, token vectors, BM25 and everything
else stay the snapshot's own. Hybrid nDCG@10 / Recall@10 are scored by ``eval.run.evaluate``
(as ``praxisfinder eval --system hybrid``) on eval/judgments.jsonl, -pooled and -heldout;
query encodings are computed once and shared by all configurations.

Beside quality, each configuration reports its build cost: the tokens the encoder reads for
its windows (``window_tokens``, prompt and special tokens included) as a share of the
passage pass's tokens, and the seconds its windows took to encode in this run (0 for
windows pooled from the passage pass). Compare the seconds of one run only.

Window sets (``--configs``: comma-separated; a set's parts joined by ``-``, e.g.
``w2-s2-notitle-join-max64``; ``+depthN`` appended changes the rerank depth):

``separate``  the snapshot's own windows (what ships: ``index.multivector``);
``none``      no windows (dense score = passage cosine);
``late``      late chunking: each window pooled from the passage pass's token states
              (``index.late_chunking``);
``int8``      encoded by the dynamic-int8 ONNX export (``int8`` alone: the w3-s2 windows);
``wN``, ``sN`` windows of N sentences, stride N (default w3, s2: the shape before issue 15,
              with "title\\n" before the text); ``notitle``: window text without the title;
``join``/``own`` sentences after the last full window join it or form their own window
              (default: left out);
``maxN``      windows cut at N tokens;
``base|rule`` a subset of ``base``'s windows (``Lab._subset``: ``minwordsN``, ``minwindowsN``, ``pruneP``, ``oracleP``);
``depthN``    MaxSim rerank depth N (default ``rerank_depth``, 30).
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np

from core.settings import Settings
from eval.run import JUDGMENT_SETS, hybrid_scores, write_json
from index.multivector import window_spans

class Lab:
    """The snapshot, its searcher and the encoders; builds window sets on demand (memoised)."""

    def __init__(self, settings: Settings):
        from tools.compare_snapshots import MemoEncoder
        from index.runtime import load_embedder, open_searcher

        self.settings = settings
        self.encoder = load_embedder(settings)
        self.searcher = open_searcher(settings, MemoEncoder(self.encoder))
        self.snapshot = self.searcher.snapshot
        self.shipped = self.snapshot.windows
        self._states = None
        self._made: dict[str, tuple] = {}
        self.cost: dict[str, dict] = {}

    def _tokens(self, texts: list[str], limit: int = 512) -> int:
        tok = self.encoder.tokenizer
        prompt = self.encoder.prompts.get("passage", "")
        return int(sum(min(limit, len(ids)) for ids in tok([prompt + t for t in texts])["input_ids"]))

    def shipped_tokens(self) -> int:
        """Tokens the encoder reads for the shipped windows (cut as ``index.build`` cuts them)."""
        from index.multivector import WINDOW_MAX_TOKENS, cut_to_tokens, windows

        texts = windows(self.snapshot.passages)[0]
        return self._tokens(cut_to_tokens(texts, self.encoder, WINDOW_MAX_TOKENS) if WINDOW_MAX_TOKENS else texts)

    def passage_tokens(self) -> int:
        """Tokens of the passage pass (prompt and special tokens included, cut at 512)."""
        return self._tokens([p.embedding_text() for p in self.snapshot.passages])

    def windows(self, kind: str):
        """The ``WindowSet`` of ``kind`` (see the module docstring) or None for ``none``."""
        from index import ann
        from index.snapshot import WindowSet

        if "|" in kind:
            return self._subset(kind)
        if kind == "separate":
            return self.shipped
        if kind == "none":
            self.cost[kind] = {"window_tokens": 0, "encode_s": 0.0}
            return None
        passages = self.snapshot.passages
        size = int(m.group(1)) if (m := re.search(r"w(\d+)", kind)) else 3
        stride = int(m.group(1)) if (m := re.search(r"s(\d+)", kind)) else 2
        title = "notitle" not in kind
        tail = "join" if "join" in kind else "own" if "own" in kind else ""
        texts, owner, spans = window_spans(passages, size, stride, title, tail)
        max_tokens = int(m.group(1)) if (m := re.search(r"max(\d+)", kind)) else None
        encoder = self._int8() if "int8" in kind else self.encoder
        if max_tokens:
            encoder.max_length, saved = max_tokens, encoder.max_length
        t = time.perf_counter()
        if kind.startswith("late"):
            vectors, separate = self._late(texts, owner, spans)
            tokens = self._tokens([texts[j] for j in separate]) if separate else 0
        else:
            vectors = encoder.encode_passages(texts, batch_size=self.settings.model.embed_batch_size)
            tokens = self._tokens(texts, max_tokens or 512)
        if max_tokens:
            encoder.max_length = saved
        self.cost[kind] = {"window_tokens": tokens, "encode_s": round(time.perf_counter() - t, 1), "windows": len(texts)}
        self._made[kind] = (texts, owner, spans, vectors)
        return self._window_set(vectors, owner)

    def _window_set(self, vectors, owner):
        from index import ann
        from index.snapshot import WindowSet

        index = ann.create(self.settings.ann.vector_backend, vectors.shape[1], {})
        index.add(np.ascontiguousarray(vectors))
        return WindowSet(vectors, owner, [str(i) for i in range(len(owner))], index)

    def _subset(self, kind: str):
        """``base|rule``: the windows of ``base`` that a rule keeps; cost = their tokens.

        ``minwordsN``: windows of passages of at least N words; ``minwindowsN``: windows of
        passages that have at least N windows; ``pruneP``: the P % of windows
        whose late-chunked vector is least similar to their passage's vector (predicted
        from the passage pass alone); ``oracleP``: the same by the encoded window vector
        (an upper bound that needs the encoding it would save).
        """
        base, rule = kind.split("|")
        if base not in self._made:
            self.windows(base)
        texts, owner, spans, vectors = self._made[base]
        passages = self.snapshot.passages
        if rule.startswith("minwords"):
            n = int(rule[8:])
            keep = np.array([len(passages[o].text.split()) >= n for o in owner.tolist()])
        elif rule.startswith("minwindows"):
            n = int(rule[10:])
            counts = np.bincount(owner, minlength=len(passages))
            keep = counts[owner] >= n
        else:
            share = int(re.search(r"(\d+)", rule).group(1)) / 100
            if rule.startswith("oracle"):
                sims = (vectors * self.snapshot.vectors[owner]).sum(axis=1)
            else:
                late, _ = self._late(texts, owner, spans)
                sims = (late * self.snapshot.vectors[owner]).sum(axis=1)
            keep = np.zeros(len(texts), dtype=bool)
            keep[np.argsort(sims)[: int(round(share * len(texts)))]] = True
        idx = np.flatnonzero(keep)
        limit = int(m.group(1)) if (m := re.search(r"max(\d+)", base)) else 512
        self.cost[kind] = {"window_tokens": self._tokens([texts[j] for j in idx], limit), "encode_s": None,
                           "windows": len(idx)}
        return self._window_set(vectors[idx], owner[idx])

    def _int8(self):
        """The dynamic int8 copy of the export (``create_encoder(backend="onnx-int8")``), opened once."""
        from index.model.encoders import create_encoder

        if getattr(self, "_int8_encoder", None) is None:
            self._int8_encoder = create_encoder(self.settings, backend="onnx-int8")
            self._int8_encoder.encode_passages(["warm up"])
        return self._int8_encoder

    def _late(self, texts, owner, spans):
        from index.late_chunking import pool_span

        passages = self.snapshot.passages
        full = [p.embedding_text() for p in passages]
        if self._states is None:
            _, states, offsets = self.encoder.encode_with_states(full, "passage", self.settings.model.embed_batch_size)
            self._states = (states, offsets)
        states, offsets = self._states
        prompt_len = len(self.encoder.prompts.get("passage", ""))
        vectors = np.zeros((len(texts), self.encoder.dim), dtype=np.float32)
        separate = []
        for j, o in enumerate(owner.tolist()):
            base = prompt_len + len(full[o]) - len(passages[o].text)
            vec = pool_span(states[o], offsets[o], base + spans[j][0], base + spans[j][1])
            if vec is None:
                separate.append(j)
            else:
                vectors[j] = vec
        if separate:
            vectors[separate] = self.encoder.encode_passages([texts[j] for j in separate])
        return vectors, separate


def main(argv: list[str] | None = None) -> int:
    """Command line of ``python -m tools.window_levers``; returns 0."""
    from eval.judgments import load_judgments

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default="separate,none,late,w3-s2,w2-s2-notitle-join,w2-s2-notitle-join-max64")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    lab = Lab(Settings.from_env())
    judged = {name: load_judgments(Path(path)) for name, path in JUDGMENT_SETS.items()}
    passage_tokens = lab.passage_tokens()
    out = {"passage_tokens": passage_tokens, "configs": {}}
    print(f"passage pass: {passage_tokens} tokens", flush=True)
    default_depth = lab.searcher.reranker.depth
    for config in args.configs.split(","):
        parts = config.split("+")
        depth = next((int(p[5:]) for p in parts if p.startswith("depth")), default_depth)
        kind = "+".join(p for p in parts if not p.startswith("depth")) or "separate"
        lab.snapshot.windows = lab.windows(kind)
        lab.searcher.reranker.depth = depth
        row = dict(lab.cost.get(kind) or {"window_tokens": lab.shipped_tokens(), "encode_s": None})
        row["window_share"] = round(row["window_tokens"] / passage_tokens, 3)
        for name, judgments in judged.items():
            row[name] = hybrid_scores(lab.searcher, judgments, digits=4)
        out["configs"][config] = row
        print(f"{config:28s} windows {row['window_share']:.2f}x passage tokens, encode {row['encode_s']} s | "
              + " · ".join(f"{n} {row[n]['ndcg@10']:.4f}" for n in JUDGMENT_SETS), flush=True)
    lab.snapshot.windows = lab.shipped
    if args.json:
        write_json(args.json, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
