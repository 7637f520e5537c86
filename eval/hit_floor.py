"""Measure the hit count's relevance floor and the no-match verdict on the judgment sets.

For each judgment set and mode, every query is searched to depth 100 (``settings.max_k``);
the judged-relevant passages among those 100 (``eval.judgments.is_relevant``) are the
reference. Reported per set: the share of those passages the floor keeps (the counted
prefix of ``index.search.answer.counted_hits``), the share of queries keeping all of them,
the mean and median hit count, how many queries ``analyse`` declares no-match (must be
0), and the time ``analyse`` adds to a search (p50, p95, beside the search's own time). ``--sweep`` also prints the kept share and mean count for other floor values.

    .venv/bin/python -m eval.hit_floor [--modes hybrid,dense,bm25] [--sweep] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from eval.judgments import hit_fields, is_relevant, load_judgments, normalize
from index.search import answer

SETS = ("eval/judgments.jsonl", "eval/judgments-pooled.jsonl", "eval/judgments-heldout.jsonl")
SWEEP = {"hybrid": [0.1, 0.15, 0.2, 0.25, 0.3, 0.4], "bm25": [0.1, 0.15, 0.2, 0.25, 0.3, 0.4],
         "dense": [0.03, 0.04, 0.05, 0.06, 0.08, 0.1]}


def _count(scores: list[float], mode: str, value: float) -> int:
    """``counted_hits`` with the floor set to ``value`` (ratio, or dense margin)."""
    if mode == "dense":
        old, answer.DENSE_MARGIN = answer.DENSE_MARGIN, value
    else:
        old, answer.RELATIVE_FLOOR[mode] = answer.RELATIVE_FLOOR[mode], value
    try:
        return answer.counted_hits(scores, mode)
    finally:
        if mode == "dense":
            answer.DENSE_MARGIN = old
        else:
            answer.RELATIVE_FLOOR[mode] = old


def measure(searcher, path: str, mode: str, sweep: bool) -> dict:
    """Per set and mode: kept share of judged-relevant top-100 passages, counts, no-match verdicts."""
    judgments = load_judgments(path)
    k = searcher.settings.max_k
    rows = []
    for j in judgments:
        result = searcher.search(j.query, k=k, mode=mode)
        scores = [h.score for h in result.hits]
        relevant = []
        for pos, h in enumerate(result.hits):
            doc, _, text = hit_fields(h)
            if is_relevant(doc, normalize(text), j):
                relevant.append(pos)
        t0 = time.perf_counter()
        verdict = answer.analyse(searcher, result)
        ms = (time.perf_counter() - t0) * 1000
        rows.append({"id": j.id, "query": j.query, "scores": scores, "relevant": relevant,
                     "total": verdict.total, "analyse_ms": ms, "search_ms": result.took_ms, "no_match": verdict.no_match, "best_dense": verdict.best_dense,
                     "unknown": verdict.unknown_terms,
                     "all_unknown": bool(answer.content_words(j.query)) and all(
                         not answer.is_known(w, searcher, result.language, answer.lexicon(searcher))
                         for w in answer.content_words(j.query))})

    def summary(counts: list[int]) -> dict:
        judged = sum(len(r["relevant"]) for r in rows)
        kept = sum(sum(p < c for p in r["relevant"]) for r, c in zip(rows, counts))
        full = sum(all(p < c for p in r["relevant"]) for r, c in zip(rows, counts) if r["relevant"])
        with_rel = sum(1 for r in rows if r["relevant"])
        return {"judged_relevant_in_top100": judged, "kept": kept, "kept_share": round(kept / max(judged, 1), 4),
                "queries_all_kept": f"{full}/{with_rel}", "mean_total": round(statistics.mean(counts), 1),
                "median_total": statistics.median(counts)}

    out = {"set": path, "mode": mode, "queries": len(rows), **summary([r["total"] for r in rows]),
           "no_match": [r["id"] for r in rows if r["no_match"]],
           "analyse_ms_p50": round(statistics.median(r["analyse_ms"] for r in rows), 2),
           "analyse_ms_p95": round(sorted(r["analyse_ms"] for r in rows)[int(0.95 * (len(rows) - 1))], 2),
           "search_ms_p50": round(statistics.median(r["search_ms"] for r in rows), 1),
           "with_unknown_terms": {r["id"]: r["unknown"] for r in rows if r["unknown"]},
           "min_best_dense": min((r["best_dense"] for r in rows if r["best_dense"] is not None), default=None),
           "best_dense_below_no_match": sum(1 for r in rows if r["best_dense"] is not None
                                            and r["best_dense"] < answer.NO_MATCH_DENSE),
           "all_words_unknown": [r["id"] for r in rows if r["all_unknown"]]}
    if sweep:
        out["sweep"] = {str(v): summary([_count(r["scores"], mode, v) for r in rows]) for v in SWEEP[mode]}
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line of ``python -m eval.hit_floor``: the share of judged-relevant passages the relevance floor keeps, per set and mode; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", default="hybrid,dense,bm25")
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    from core.settings import Settings
    from index.runtime import load_embedder, open_searcher

    settings = Settings.from_env()
    searcher = open_searcher(settings, load_embedder(settings))
    results = [measure(searcher, s, m, args.sweep) for s in args.sets.split(",") for m in args.modes.split(",")]
    for r in results:
        print(f"{r['set']:34} {r['mode']:6} kept {r['kept']}/{r['judged_relevant_in_top100']} "
              f"({r['kept_share']:.1%}), all kept in {r['queries_all_kept']} queries, "
              f"hit count mean {r['mean_total']} median {r['median_total']}, no-match {len(r['no_match'])}, "
              f"min best dense {r['min_best_dense']:.3f}, below the no-match cosine "
              f"{r['best_dense_below_no_match']}, all words unknown {len(r['all_words_unknown'])}; "
              f"analyse p50 {r['analyse_ms_p50']} ms p95 {r['analyse_ms_p95']} ms (search p50 {r['search_ms_p50']} ms)")
        for v, s in r.get("sweep", {}).items():
            print(f"    floor {v:>5}: kept {s['kept_share']:.1%}, all kept {s['queries_all_kept']}, "
                  f"mean count {s['mean_total']}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
