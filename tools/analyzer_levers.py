"""Measure the analyzer levers of issue 12 one at a time on the three judgment sets.

    python -m tools.analyzer_levers [--configs base,umlauts,gender,abbreviations,typo,all] [--json OUT]

For each configuration the BM25 index, the English translation table and the surface
forms are rebuilt in memory from the current snapshot's passages (the dense vectors are
the snapshot's own), then bm25 and hybrid are scored with ``eval.run.evaluate`` on
eval/judgments.jsonl, eval/judgments-pooled.jsonl and eval/judgments-heldout.jsonl.
Query embeddings are computed once and shared by all configurations. A lever is
switched off by replacing the analyzer step with the identity (a measurement device
only; the shipped analyzer has no switches except the ``typo_tolerance`` setting).

``--variant`` rewrites every query the way users type before searching (the judgments
stay): ``ascii`` writes umlauts as ae/oe/ue and ß as ss, ``nfd`` decomposes them (macOS),
``typo`` swaps two adjacent letters in the middle of the query's longest word of 10+
letters (German queries only), ``gender`` writes a plural agent noun as "-:innen"
("Mitarbeiter" -> "Mitarbeiter:innen", "Bürgern" -> "Bürger:innen").

Configurations: ``base`` = all four levers off (the analyzer before issue 12);
``umlauts``, ``gender``, ``abbreviations``, ``typo`` = base plus that lever alone;
``all`` = everything on (what ships); ``all-<lever>`` = everything but one lever.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from eval.run import JUDGMENT_SETS

LEVERS = ("umlauts", "gender", "abbreviations", "typo")


def _levers(config: str) -> set[str]:
    if config == "base":
        return set()
    if config == "all":
        return set(LEVERS)
    if config.startswith("all-"):
        return set(LEVERS) - {config[4:]}
    return {config}


def rewrite(query: str, lang: str, variant: str | None) -> str:
    """The query as a user might type it: ``eval.typed_variants.rewrite`` (one generator for every tool)."""
    from eval.typed_variants import rewrite as typed

    return typed(query, lang, variant)


def _apply(on: set[str]) -> None:
    """Switch the analyzer steps of the levers not in ``on`` to the identity and clear caches."""
    import index.abbreviations as abbreviations
    import index.analyzer as analyzer
    import index.search.translate as translate

    original = _apply.__dict__.setdefault("original", {
        "umlauts": analyzer.umlauts, "mark": analyzer._GENDER_MARK, "endings": analyzer._AGENT_ENDINGS,
        "concepts": abbreviations.concept_terms})
    analyzer.umlauts = original["umlauts"] if "umlauts" in on else (lambda word: word)
    analyzer._GENDER_MARK = original["mark"] if "gender" in on else re.compile(r"(?!)(x)")
    analyzer._AGENT_ENDINGS = original["endings"] if "gender" in on else ()
    abbreviations.concept_terms = original["concepts"] if "abbreviations" in on else (lambda mains, parts=None, **_: [])
    analyzer.base_form.cache_clear()
    translate._memo.clear()
    translate._glossary_words.cache_clear()


def _rebuild(searcher, on: set[str]) -> None:
    from index.bm25 import BM25Index
    from index.build import BM25_PARAMS, _bm25_text
    from index.search.translate import build_surface_forms, build_translations

    _apply(on)
    snap = searcher.snapshot
    snap.bm25 = BM25Index(BM25_PARAMS["k1"], BM25_PARAMS["b"]).build([_bm25_text(p) for p in snap.passages])
    snap.translations = build_translations(snap.bm25.vocabulary, cache_dir=None)
    snap.surface_forms = build_surface_forms([p.text for p in snap.passages], snap.translations)
    searcher._typo = None
    searcher.settings = searcher.settings.with_(typo_tolerance="typo" in on)


def _share_query_vectors(searcher) -> None:
    """Embed each distinct (texts, kind) once for the whole run."""
    embedder = searcher.dense.embedder
    memo: dict = {}
    encode = embedder.encode_with_tokens

    def cached(texts, kind, *args, **kwargs):
        key = (tuple(texts), kind)
        if key not in memo:
            memo[key] = encode(texts, kind, *args, **kwargs)
        return memo[key]

    embedder.encode_with_tokens = cached
    searcher.clear_cache = lambda: searcher.dense.clear_cache()


def main(argv: list[str] | None = None) -> int:
    """CLI (usage in the module docstring): prints one row of nDCG@10/recall@10 per
    configuration and judgment set; ``--json`` also writes them with per-query nDCG@10.
    Needs the real model and a current snapshot (``SnapshotError`` otherwise). Returns 0."""
    from eval.judgments import load_judgments
    from eval.run import evaluate
    from index.runtime import load_embedder, open_searcher
    from core.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default="base,umlauts,gender,abbreviations,typo,all")
    parser.add_argument("--systems", default="bm25,hybrid")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--variant", choices=("ascii", "nfd", "typo", "gender"), default=None)
    parser.add_argument("--lang", choices=("de", "en"), default=None, help="only the queries in this language")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    searcher = open_searcher(settings, load_embedder(settings))
    _share_query_vectors(searcher)
    doc_ids = [d.id for d in searcher.snapshot.documents]
    import dataclasses

    judgments = {name: [dataclasses.replace(j, query=rewrite(j.query, j.lang, args.variant))
                        for j in load_judgments(path, doc_ids) if args.lang in (None, j.lang)]
                 for name, path in JUDGMENT_SETS.items()}
    originals = {j.id: j.query for path in JUDGMENT_SETS.values() for j in load_judgments(path, doc_ids)}
    changed = sum(j.query != originals[j.id] for js in judgments.values() for j in js)
    print(f"variant {args.variant}: {changed} queries rewritten", flush=True)
    systems = args.systems.split(",")
    table: dict[str, dict] = {}
    for config in args.configs.split(","):
        _rebuild(searcher, _levers(config))
        table[config] = {}
        for set_name, js in judgments.items():
            result = evaluate(searcher, js, systems, k=10)
            table[config][set_name] = {s: {m: result["systems"][s]["overall"][f"{m}@10"] for m in ("ndcg", "recall")}
                                       for s in systems}
            table[config][set_name]["per_query"] = {
                s: {q: v["ndcg@10"] for q, v in result["systems"][s]["per_query"].items()} for s in systems}
        row = "  ".join(f"{n}: " + " ".join(f"{s} {table[config][n][s]['ndcg']:.3f}/{table[config][n][s]['recall']:.3f}"
                                            for s in systems) for n in judgments)
        print(f"{config:<16} {row}", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(table, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
