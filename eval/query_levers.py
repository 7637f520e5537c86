"""Measure query-side levers of issue 23 on the judgment sets, one configuration at a time.

    python -m eval.query_levers --configs base,norm-none,norm-all [--sets written,pooled,heldout,dev]
                                [--variants ascii,gender,abbrev,typo] [--json OUT]

Every configuration gets a fresh ``Searcher`` over the current snapshot (no rebuild) with one
change applied (``CONFIGS``); hybrid nDCG@10 is reported overall, per language and per query
kind, and with ``--variants`` also on the typed variants of every set (``eval.typed_variants``).
Query vectors are cached per text for the whole run, so only the first configuration pays for
the encoder. ``dev`` is ``eval/judgments-dev.jsonl``, the development set of issue 23; the
blind set is never measured here (no setting is chosen on it).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

SETS = {"written": "eval/judgments.jsonl", "pooled": "eval/judgments-pooled.jsonl",
        "heldout": "eval/judgments-heldout.jsonl", "dev": "eval/judgments-dev.jsonl"}


def _steps(*steps: str) -> Callable:
    def apply(searcher) -> None:
        searcher.normalizer.steps = frozenset(steps)
    return apply


def _settings(**changes: Any) -> Callable:
    def apply(searcher) -> None:
        from index.search.fusion import Fusion

        searcher.settings = searcher.settings.with_(**changes)
        st = searcher.settings
        searcher.fusion = Fusion(st.fusion, st.hybrid_dense_weight, st.hybrid_dense_weight_en, st.rrf_k)
        searcher.reranker.depth, searcher.reranker.weight = st.rerank_depth, st.rerank_weight
    return apply


CONFIGS: dict[str, Callable] = {
    "base": lambda searcher: None,
    "norm-none": _steps(),
    "norm-transliterate": _steps("transliterate"),
    "norm-gender": _steps("gender"),
    "norm-abbreviations": _steps("abbreviations"),
    "norm-typos": _steps("typos"),
    "norm-all": _steps("transliterate", "gender", "abbreviations", "typos"),
    "dense-en-0.3": _settings(hybrid_dense_weight_en=0.3),
    "dense-en-0.5": _settings(hybrid_dense_weight_en=0.5),
    "dense-de-0.4": _settings(hybrid_dense_weight=0.4),
    "dense-de-0.6": _settings(hybrid_dense_weight=0.6),
}


def share_query_vectors(embedder) -> None:
    """Memoise ``embedder.encode_with_tokens`` and ``encode_queries`` per (texts, kind) for the run."""
    memo: dict = {}
    for name in ("encode_with_tokens", "encode_queries"):
        original = getattr(embedder, name)

        def cached(texts, *args, _original=original, _name=name, **kwargs):
            key = (_name, tuple(texts), args, tuple(sorted(kwargs.items())))
            if key not in memo:
                memo[key] = _original(texts, *args, **kwargs)
            return memo[key]

        setattr(embedder, name, cached)


def measure(searcher, judgments: list) -> dict[str, Any]:
    """Hybrid nDCG@10 overall, by language and by kind, plus per-query nDCG@10."""
    from eval.run import evaluate

    result = evaluate(searcher, judgments, ["hybrid"])["systems"]["hybrid"]
    return {"ndcg@10": result["overall"]["ndcg@10"], "recall@10": result["overall"]["recall@10"],
            "by_lang": {k: v["ndcg@10"] for k, v in result["by_lang"].items()},
            "by_kind": {k: v["ndcg@10"] for k, v in result["by_kind"].items()},
            "per_query": {q: v["ndcg@10"] for q, v in result["per_query"].items()}}


def main(argv: list[str] | None = None) -> int:
    """CLI (see the module docstring). Prints one line per configuration and set; ``--json``
    writes every figure. Needs the real model and a current snapshot. Returns 0."""
    from core.settings import Settings
    from eval.judgments import load_judgments
    from eval.run import write_json
    from eval.typed_variants import rewritten
    from index.runtime import load_embedder, open_searcher

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default="base")
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--variants", default="")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    embedder = load_embedder(settings)
    share_query_vectors(embedder)
    first = open_searcher(settings, embedder)
    doc_ids = [d.id for d in first.snapshot.documents]
    sets = {name: load_judgments(SETS[name], doc_ids) for name in args.sets.split(",") if name}
    variants = [v for v in args.variants.split(",") if v]
    table: dict[str, Any] = {}
    for config in args.configs.split(","):
        searcher = _fresh(first, settings, embedder)
        CONFIGS[config](searcher)
        searcher.clear_cache = lambda: None
        table[config] = {}
        for name, judgments in sets.items():
            row = measure(searcher, judgments)
            for variant in variants:
                row[variant] = measure(searcher, rewritten(judgments, variant))["ndcg@10"]
            table[config][name] = row
            extra = "  ".join(f"{v} {row[v]:.4f} ({row[v] - row['ndcg@10']:+.4f})" for v in variants)
            print(f"{config:<20} {name:<8} {row['ndcg@10']:.4f}  de {row['by_lang'].get('de', 0):.4f} "
                  f"en {row['by_lang'].get('en', 0):.4f}  " + " ".join(f"{k[:5]} {v:.4f}" for k, v in row["by_kind"].items())
                  + (f"  | {extra}" if extra else ""), flush=True)
    if args.json:
        write_json(args.json, table)
    return 0


def _fresh(first, settings, embedder):
    """A new ``Searcher`` over ``first``'s snapshot and catalogue (components at their defaults)."""
    from index.search.searcher import Searcher

    return Searcher(first.snapshot, embedder, settings, catalogue=first.catalogue)


if __name__ == "__main__":
    raise SystemExit(main())
