"""Measure query-side levers of issue 23 on the judgment sets, one configuration at a time.

    python -m tools.query_levers --configs base,norm-none,norm-all [--sets written,pooled,heldout,dev]
                                [--variants ascii,gender,abbrev,typo] [--json OUT]

Every configuration gets a fresh ``Searcher`` over the current snapshot (no rebuild) with one
change applied (``CONFIGS``; the snapshot-level ones, BM25 over "title, section, text" and
sentence windows re-encoded with their section or title, are built in memory and undone after); hybrid nDCG@10 is reported overall, per language and per query
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
        "heldout": "eval/judgments-heldout.jsonl", "dev": "eval/judgments-dev.jsonl",
        "blind": "eval/judgments-blind.jsonl"}
#: The sets measured unless ``--sets`` names others: the blind set only when asked for, to report
#: a configuration chosen on the others beside them (no setting is chosen on it).
DEFAULT_SETS = ("written", "pooled", "heldout", "dev")


def _steps(*steps: str) -> Callable:
    def apply(searcher) -> None:
        searcher.normalizer.steps = frozenset(steps)
    return apply


def _settings(**changes: Any) -> Callable:
    def apply(searcher) -> None:
        from index.search.fusion import Fusion

        searcher.settings = searcher.settings.with_(**changes)
        st = searcher.settings
        searcher.fusion = Fusion(st.search.fusion, st.search.hybrid_dense_weight, st.search.hybrid_dense_weight_en, st.search.rrf_k)
        searcher.reranker.depth, searcher.reranker.weight = st.search.rerank_depth, st.search.rerank_weight
        searcher.reranker.weight_en = st.search.rerank_weight_en
    return apply


def _dense(**attrs: Any) -> Callable:
    def apply(searcher) -> None:
        for name, value in attrs.items():
            setattr(searcher.dense, name, value)
    return apply


def _kinds(**weights: float) -> Callable:
    def apply(searcher) -> None:
        searcher.fusion.kind_weights = {k.replace("_", "-"): v for k, v in weights.items()}
    return apply


def _chain(*changes: Callable) -> Callable:
    def apply(searcher):
        undos = [change(searcher) for change in changes]

        def undo():
            for u in reversed(undos):
                if callable(u):
                    u()
        return undo
    return apply


def _bm25_context(with_title: bool) -> Callable:
    """BM25 rebuilt in memory over "title\nsection\ntext" (or the shipped "section\ntext"); undone after."""
    def apply(searcher):
        from index.bm25 import BM25Index
        from index.build import BM25_PARAMS, _bm25_text

        snap = searcher.snapshot
        old = snap.bm25
        texts = [(f"{p.doc_title}\n" if with_title else "") + _bm25_text(p) for p in snap.passages]
        snap.bm25 = BM25Index(BM25_PARAMS["k1"], BM25_PARAMS["b"]).build(texts)
        searcher.bm25._typo = None

        def undo():
            snap.bm25 = old
        return undo
    return apply


def _window_context(prefix: str) -> Callable:
    """Sentence windows re-encoded in memory with ``prefix`` ("section": the passage's section
    path, "title": its document title) before their text, cut as the build cuts them; undone after."""
    def apply(searcher):
        from index import ann
        from index.ann.factory import dense_params
        from index.model.encoders import window_encoder
        from index.multivector import WINDOW_MAX_TOKENS, cut_to_tokens, window_spans
        from index.snapshot import WindowSet

        snap, settings = searcher.snapshot, searcher.settings
        embedder = searcher.dense.embedder
        texts, owner, _ = window_spans(snap.passages)
        heads = [snap.passages[i].section if prefix == "section" else snap.passages[i].doc_title for i in owner]
        texts = [f"{h}\n{t}" if h else t for h, t in zip(heads, texts)]
        texts = cut_to_tokens(texts, embedder, WINDOW_MAX_TOKENS)
        vectors = window_encoder(settings, embedder).encode_passages(texts, settings.model.embed_batch_size)
        index = ann.create(settings.ann.vector_backend, embedder.dim, dense_params(settings.ann))
        index.add(vectors)
        old = snap.windows
        snap.windows = WindowSet(vectors, owner, [""] * len(texts), index)

        def undo():
            snap.windows = old
        return undo
    return apply


def _translate(max_phrase_words: int | None = None, **flags: Any) -> Callable:
    """Module settings of ``index.search.translate`` changed for one configuration (flags such
    as ``PSEUDO_PHRASES``); with ``max_phrase_words`` the snapshot's English -> German table and
    surface forms are rebuilt in memory with dictionary phrases up to that many words; undone after."""
    def apply(searcher):
        from core.settings import Settings
        from index.search import translate

        snap = searcher.snapshot
        old = {name: getattr(translate, name) for name in flags}
        old_table, old_surface, old_max = snap.translations, snap.surface_forms, translate.MAX_PHRASE_WORDS
        for name, value in flags.items():
            setattr(translate, name, value)
        if max_phrase_words is not None:
            translate.MAX_PHRASE_WORDS = max_phrase_words
            cache_dir = Path(Settings.from_env().storage.cache_dir)
            snap.translations = translate.build_translations(snap.bm25.vocabulary, cache_dir=cache_dir)
            snap.surface_forms = translate.build_surface_forms([p.text for p in snap.passages], snap.translations)

        def undo():
            for name, value in old.items():
                setattr(translate, name, value)
            snap.translations, snap.surface_forms, translate.MAX_PHRASE_WORDS = old_table, old_surface, old_max
        return undo
    return apply


def _module(module: str, **values: Any) -> Callable:
    """Module-level settings of ``module`` changed for one configuration; undone after."""
    def apply(searcher):
        import importlib

        mod = importlib.import_module(module)
        old = {name: getattr(mod, name) for name in values}
        for name, value in values.items():
            setattr(mod, name, value)

        def undo():
            for name, value in old.items():
                setattr(mod, name, value)
        return undo
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
    **{f"pseudo-{w}": _dense(pseudo_weight=w) for w in (0.3, 0.4, 0.6, 0.7)},
    "strip-question": _dense(strip_question=True),
    "pseudo-context": _dense(pseudo_context=True),
    "pseudo-context-0.7": _dense(pseudo_context=True, pseudo_weight=0.7),
    **{f"en-keyword-{w}": _kinds(en_keyword=w) for w in (0.2, 0.3, 0.5)},
    **{f"en-question-{w}": _kinds(en_question=w) for w in (0.3, 0.5, 0.6)},
    **{f"de-keyword-{w}": _kinds(de_keyword=w) for w in (0.3, 0.4, 0.6)},
    **{f"de-question-{w}": _kinds(de_question=w) for w in (0.4, 0.6, 0.7)},
    **{f"rerank-{w}": _settings(rerank_weight=w) for w in (0.6, 0.8)},
    "en-keyword-0.3+pseudo-0.7": _chain(_kinds(en_keyword=0.3), _dense(pseudo_weight=0.7)),
    "en-keyword-0.3+pseudo-context": _chain(_kinds(en_keyword=0.3), _dense(pseudo_context=True)),
    **{f"rerank-en-{w}": (lambda w: lambda searcher: setattr(searcher.reranker, "weight_en", w))(w)
       for w in (0.75, 0.8, 0.85, 0.9)},
    "bm25-title": _bm25_context(True),
    "windows-section": _window_context("section"),
    "windows-title": _window_context("title"),
    "pseudo-phrases": _translate(PSEUDO_PHRASES=True),
    "ding-placeholders": _translate(2, DING_PLACEHOLDERS=True),
    **{f"maxsim-{t}": _module("index.search.dense", MAXSIM_TEXTS=t) for t in ("german", "english")},
    **{f"terms-{n}": _module("index.search.translate", MAX_TERMS_PER_WORD=n) for n in (2, 3)},
    "group-norm": _module("index.search.translate", NORMALISE_GROUPS=True),
    **{f"en-statement-{w}": _kinds(en_statement=w) for w in (0.3, 0.5, 0.6)},
    **{f"de-statement-{w}": _kinds(de_statement=w) for w in (0.3, 0.4, 0.6, 0.7)},
    **{f"rerank-en-statement-{w}": _module("index.search.rerank", KIND_WEIGHTS={"en-statement": w})
       for w in (0.6, 0.7, 0.95)},
    **{f"rerank-de-statement-{w}": _module("index.search.rerank", KIND_WEIGHTS={"de-statement": w})
       for w in (0.5, 0.6, 0.85)},
    **{f"language-{m}": _module("index.search.kinds", LEXICON_LANGUAGE=m) for m in ("keyword", "all")},
    **{f"person-ref-{w}": _module("index.search.kinds", PERSON_REFERENCE_WEIGHT=w) for w in (1.0, 0.9)},
    **{f"reference-{w}": _settings(reference_weight=w) for w in (0.65, 0.8, 0.85, 0.9, 0.95, 1.0)},
    "question-lists-off": _module("index.search.kinds", DEMOTE_QUESTION_LISTS=False),
    **{f"maxsim-{lang}-{kind}-{w}": _module("index.search.rerank", KIND_WEIGHTS={f"{lang}-{kind}": w})
       for lang, kind, ws in (("en", "keyword", (0.7, 0.95)), ("en", "question", (0.75, 0.95)),
                              ("de", "keyword", (0.5, 0.85)), ("de", "question", (0.5, 0.85)))
       for w in ws},
    **{f"phrases-{n}": _translate(n) for n in (3, 4)},
    **{f"phrases-{n}+pseudo-phrases": _translate(n, PSEUDO_PHRASES=True) for n in (3, 4)},
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
    parser.add_argument("--sets", default=",".join(DEFAULT_SETS))
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
        undo = CONFIGS[config](searcher)
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
        if callable(undo):
            undo()
    if args.json:
        write_json(args.json, table)
    return 0


def _fresh(first, settings, embedder):
    """A new ``Searcher`` over ``first``'s snapshot and catalogue (components at their defaults)."""
    from index.search.searcher import Searcher

    return Searcher(first.snapshot, embedder, settings, catalogue=first.catalogue)


if __name__ == "__main__":
    raise SystemExit(main())
