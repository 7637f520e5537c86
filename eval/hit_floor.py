"""Measure the hit count's relevance floor and the no-match verdict on the judgment sets.

For each judgment set and mode, every query is searched to depth 100 (``settings.search.max_k``);
the judged-relevant passages among those 100 (``eval.judgments.is_relevant``) are the
reference. Reported per set: the share of those passages the floor keeps (the counted hits
of ``index.search.answer.analyse``: the relevance-floor prefix, and for keyword queries only
the hits with every query word or a score close to the best), the share of queries keeping
all of them, the mean and median hit count, the same per query kind as ``analyse`` detects it
(``query_kind``: keyword or question), how many queries ``analyse`` declares no-match (must be
0), and the time ``analyse`` adds to a search (p50, p95, beside the search's own time).
``--sweep`` also prints the kept share and mean count for other floor values, and for other
``CLOSE_TO_BEST`` ratios and ``KEYWORD_COVERAGE`` shares of keyword queries. ``--probe`` prints the count of given queries.

    .venv/bin/python -m eval.hit_floor [--modes hybrid,dense,bm25] [--sweep] [--json OUT]
    .venv/bin/python -m eval.hit_floor --modes hybrid --probe "Dolmetscherpool,Mitfahrerbank"
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from core.settings import Settings
from eval.judgments import hit_fields, is_relevant, load_judgments, normalize
from index.runtime import load_embedder, open_searcher
from index.search import answer

SETS = ("eval/judgments.jsonl", "eval/judgments-pooled.jsonl", "eval/judgments-heldout.jsonl")
SWEEP = {"hybrid": [0.1, 0.15, 0.2, 0.25, 0.3, 0.4], "bm25": [0.1, 0.15, 0.2, 0.25, 0.3, 0.4],
         "dense": [0.03, 0.04, 0.05, 0.06, 0.08, 0.1]}
# keyword queries: (CLOSE_TO_BEST, KEYWORD_COVERAGE); a ratio of 1.01 counts only hits with the words
CLOSE_SWEEP = [(c, k) for k in (1.0, 0.66, 0.5) for c in (0.5, 0.6, 0.7, 0.8, 1.01)]


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
    k = searcher.settings.search.max_k
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
        counted = set(verdict.counted if verdict.counted is not None else range(verdict.total))
        close = {}
        if sweep and verdict.kind == "keyword" and not verdict.no_match:
            for value in CLOSE_SWEEP:
                old = answer.CLOSE_TO_BEST, answer.KEYWORD_COVERAGE
                answer.CLOSE_TO_BEST, answer.KEYWORD_COVERAGE = value
                try:
                    close[value] = set(answer.counted_positions(searcher, result, scores, "keyword"))
                finally:
                    answer.CLOSE_TO_BEST, answer.KEYWORD_COVERAGE = old
        rows.append({"id": j.id, "query": j.query, "scores": scores, "relevant": relevant, "kind": verdict.kind,
                     "judged_kind": j.kind, "counted": counted, "close": close,
                     "total": verdict.total, "analyse_ms": ms, "search_ms": result.took_ms, "no_match": verdict.no_match, "best_dense": verdict.best_dense,
                     "unknown": verdict.unknown_terms,
                     "all_unknown": bool(answer.content_words(j.query)) and all(
                         not answer.is_known(w, searcher, result.language, answer.lexicon(searcher))
                         for w in answer.content_words(j.query))})

    def summary(counted: list[set[int]], which: list[dict] | None = None) -> dict:
        """``counted``: the counted positions of each query of ``which`` (default: all rows)."""
        pairs = list(zip(which if which is not None else rows, counted))
        if not pairs:
            return {}
        judged = sum(len(r["relevant"]) for r, _ in pairs)
        kept = sum(sum(p in c for p in r["relevant"]) for r, c in pairs)
        full = sum(all(p in c for p in r["relevant"]) for r, c in pairs if r["relevant"])
        with_rel = sum(1 for r, _ in pairs if r["relevant"])
        counts = [len(c) for _, c in pairs]
        return {"queries": len(pairs), "judged_relevant_in_top100": judged, "kept": kept,
                "kept_share": round(kept / max(judged, 1), 4), "queries_all_kept": f"{full}/{with_rel}",
                "mean_total": round(statistics.mean(counts), 1), "median_total": statistics.median(counts)}

    counted = [r["counted"] for r in rows]
    out = {"set": path, "mode": mode, "queries": len(rows), **summary(counted),
           "by_kind": {kind: summary([r["counted"] for r in rows if r["kind"] == kind],
                                     [r for r in rows if r["kind"] == kind]) for kind in ("keyword", "question")},
           "by_judged_kind": {kind: summary([r["counted"] for r in rows if r["judged_kind"] == kind],
                                           [r for r in rows if r["judged_kind"] == kind])
                              for kind in ("keyword", "question", "paraphrase")},
           "kind_agreement": {kind: sum(1 for r in rows if r["judged_kind"] == kind and r["kind"] == "keyword")
                              for kind in ("keyword", "question", "paraphrase")},
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
        out["sweep"] = {str(v): summary([set(range(_count(r["scores"], mode, v))) for r in rows]) for v in SWEEP[mode]}
        keyword = [r for r in rows if r["close"]]
        out["close_sweep"] = {str(v): summary([r["close"][v] for r in keyword], keyword) for v in CLOSE_SWEEP}
    for r in rows:
        r["counted"] = sorted(r["counted"])
        r.pop("close")
    return out


def probe(searcher, queries: list[str], mode: str) -> list[dict]:
    """The count and the kind of each query (searched to depth ``settings.search.max_k``)."""
    out = []
    for q in queries:
        result = searcher.search(q, k=searcher.settings.search.max_k, mode=mode)
        verdict = answer.analyse(searcher, result)
        out.append({"query": q, "kind": verdict.kind, "total": verdict.total,
                    "floor_prefix": answer.counted_hits([h.score for h in result.hits], mode)})
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line of ``python -m eval.hit_floor``: the share of judged-relevant passages the relevance floor keeps, per set and mode; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", default="hybrid,dense,bm25")
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--probe", default="", help="comma-separated queries: print their counts only")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    searcher = open_searcher(settings, load_embedder(settings))
    if args.probe:
        for mode in args.modes.split(","):
            for row in probe(searcher, [q.strip() for q in args.probe.split(",") if q.strip()], mode):
                print(f"{mode:6} {row['kind']:8} {row['total']:>3} counted (floor prefix {row['floor_prefix']:>3})  {row['query']}")
        return 0
    results = [measure(searcher, s, m, args.sweep) for s in args.sets.split(",") for m in args.modes.split(",")]
    for r in results:
        print(f"{r['set']:34} {r['mode']:6} kept {r['kept']}/{r['judged_relevant_in_top100']} "
              f"({r['kept_share']:.1%}), all kept in {r['queries_all_kept']} queries, "
              f"hit count mean {r['mean_total']} median {r['median_total']}, no-match {len(r['no_match'])}, "
              f"min best dense {r['min_best_dense'] if r['min_best_dense'] is None else round(r['min_best_dense'], 3)}, below the no-match cosine "
              f"{r['best_dense_below_no_match']}, all words unknown {len(r['all_words_unknown'])}; "
              f"analyse p50 {r['analyse_ms_p50']} ms p95 {r['analyse_ms_p95']} ms (search p50 {r['search_ms_p50']} ms)")
        for kind, s in r["by_kind"].items():
            if s:
                print(f"    {kind:8} ({s['queries']} queries): kept {s['kept_share']:.1%}, all kept {s['queries_all_kept']}, "
                      f"mean count {s['mean_total']} median {s['median_total']}")
        print(f"    detected as keyword, by judged kind: {r['kind_agreement']}")
        for v, s in r.get("sweep", {}).items():
            print(f"    floor {v:>5}: kept {s['kept_share']:.1%}, all kept {s['queries_all_kept']}, "
                  f"mean count {s['mean_total']}")
        for v, s in r.get("close_sweep", {}).items():
            if s:
                print(f"    keyword close-to-best, coverage {v:>11}: kept {s['kept_share']:.1%}, all kept {s['queries_all_kept']}, "
                      f"mean count {s['mean_total']} median {s['median_total']}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
