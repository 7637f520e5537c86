"""Hybrid nDCG@10 of two snapshots on the three judgment sets, each query embedded once.

    python -m tools.compare_snapshots --a var --b var-late [--sets ,-pooled,-heldout] [--json OUT]

``--a``/``--b`` are data directories (``PRAXISFINDER_DATA_DIR``); each one's ``CURRENT``
snapshot is searched with the same ``Searcher.search(mode="hybrid")`` and scored by the same
``eval.run.evaluate`` as ``praxisfinder eval --system hybrid``. The only difference: query
embeddings are memoised across the two snapshots and the three sets (the written and the
pooled set share their 180 queries), so a comparison on a busy machine costs one embedding
per distinct query instead of six. Query vectors are deterministic, so the scores equal
``praxisfinder eval``'s. Prints nDCG@10 and Recall@10 per set and the differences b − a.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from core.settings import Settings


class MemoEncoder:
    """Wraps an encoder; ``encode_with_tokens``/``encode_queries`` answers are memoised per input."""

    def __init__(self, inner):
        self.inner = inner
        self._memo: dict = {}

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def encode_with_tokens(self, texts, prompt, batch_size=16, progress=False):
        """The inner encoder's ``encode_with_tokens``, memoised per (prompt, texts); returns copies."""
        key = ("tokens", prompt, tuple(texts))
        if key not in self._memo:
            self._memo[key] = self.inner.encode_with_tokens(list(texts), prompt, batch_size, progress)
        vecs, toks = self._memo[key]
        return np.array(vecs), [np.array(t) for t in toks]

    def encode_queries(self, texts):
        """The inner encoder's ``encode_queries``, memoised per texts; returns a copy."""
        key = ("queries", tuple(texts))
        if key not in self._memo:
            self._memo[key] = self.inner.encode_queries(list(texts))
        return np.array(self._memo[key])


def main(argv: list[str] | None = None) -> int:
    """Command line of ``python -m tools.compare_snapshots``: hybrid nDCG@10 of two snapshots on the judgment sets; returns 0."""
    from eval.judgments import load_judgments
    from eval.run import hybrid_scores, write_json
    from index.runtime import load_embedder, open_searcher

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", type=Path, required=True, help="data directory of the baseline")
    parser.add_argument("--b", type=Path, required=True, help="data directory of the variant")
    parser.add_argument("--sets", default=",-pooled,-heldout", help="judgment-set suffixes, comma-separated")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    base = Settings.from_env()
    encoder = MemoEncoder(load_embedder(base))
    searchers = {name: open_searcher(base.with_(data_dir=d), encoder) for name, d in (("a", args.a), ("b", args.b))}
    out: dict = {"a": str(args.a), "b": str(args.b), "sets": {}}
    for suffix in args.sets.split(","):
        path = Path(f"eval/judgments{suffix}.jsonl")
        judgments = load_judgments(path)
        row = {}
        for name, searcher in searchers.items():
            row[name] = hybrid_scores(searcher, judgments)
        row["delta_ndcg@10"] = round(row["b"]["ndcg@10"] - row["a"]["ndcg@10"], 4)
        out["sets"][path.name] = row
        print(f"{path.name}: nDCG@10 {row['a']['ndcg@10']:.4f} -> {row['b']['ndcg@10']:.4f} "
              f"({row['delta_ndcg@10']:+.4f}); Recall@10 {row['a']['recall@10']:.3f} -> {row['b']['recall@10']:.3f}",
              flush=True)
    if args.json:
        write_json(args.json, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
