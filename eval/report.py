"""Regenerate ``eval/REPORT.md`` and ``eval/report.png`` from an evaluation result.

The input is the dict :func:`eval.run.evaluate` returns (or its JSON). The report names
the snapshot it measured, gives the exact command that reproduces it, tables of
systems x metrics (overall, per language, per kind) and the queries each system
handles worst.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

WORST = 10
RESAMPLES = 10_000
SEED = 0
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def write_report(results: dict[str, Any], out_dir: Path = Path("eval"), name: str = "REPORT") -> Path:
    """Write ``<name>.md`` and its chart ``<name lower-cased>.png`` into ``out_dir``; return the Markdown path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    chart = f"{name.lower()}.png"
    write_chart(results, out_dir / chart)
    path = out_dir / f"{name}.md"
    path.write_text(render_markdown(results, chart=chart), encoding="utf-8")
    return path


def _metrics(results: dict[str, Any]) -> list[str]:
    k = results["k"]
    return [f"ndcg@{k}", f"recall@{k}", f"mrr@{k}", f"entry_recall@{k}"]


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    """A Markdown table; numeric columns (judged by the first row) are right-aligned."""
    fmt = lambda v: f"{v:.3f}" if isinstance(v, float) else str(v)  # noqa: E731
    first = rows[0] if rows else [""] * len(header)
    align = ["---:" if isinstance(v, (int, float)) or _NUMBER.fullmatch(str(v)) else "---" for v in first]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return lines


def render_markdown(results: dict[str, Any], chart: str | None = "report.png") -> str:
    """The Markdown report of an ``eval.run.evaluate`` result: what was measured (snapshot,
    model, settings, judgments hash, reproduce command), metric tables overall, per
    language and per query kind, :func:`uncertainty` and :func:`observations`;
    ``chart`` is the image link (None: no chart)."""
    systems = results["systems"]
    metrics = _metrics(results)
    snap, settings = results["snapshot"], results.get("settings", {})
    out = ["# Retrieval evaluation", ""]
    out += [f"Measured {results.get('date', '?')} on {results['judgments']['queries']} judged queries "
            f"(`{results['judgments'].get('path', 'eval/judgments.jsonl')}`), top k = {results['k']}.", ""]
    out += ["## What was measured", ""]
    out += [f"- Snapshot `{snap['id']}` (manifest hash `{snap['manifest_hash']}`, built {snap.get('created_at')}), "
            f"{snap.get('documents')} documents, {snap.get('passages')} passages",
            f"- Model: {snap.get('model')} (fingerprint `{snap.get('model_fingerprint')}`), "
            f"vector backend `{snap.get('vector_backend')}`",
            "- Search settings: " + ", ".join(f"{key}=`{value}`" for key, value in settings.items()),
            f"- Judgments: `{results['judgments'].get('path', '?')}` (sha256 `{results['judgments'].get('sha256', '?')}`)"]
    out += [f"- `{name}`: {s.get('description', name)}" for name, s in systems.items()]
    out += ["", "Reproduce:", "", "```sh", results.get("command", "praxisfinder eval --queries eval/judgments.jsonl --report"),
            "```", ""]
    out += ["## Overall", ""]
    out += _table(["system"] + metrics + ["ms/query (mean)", "ms/query (median)"],
                  [[n] + [s["overall"][m] for m in metrics] + [f"{s['latency_ms']['mean']:.1f}",
                                                                 f"{s['latency_ms']['median']:.1f}"]
                   for n, s in systems.items()])
    machine = results.get("machine")
    if machine:
        out += ["", f"Latency is wall-clock per call after one warm-up query, on {machine['cpus']} CPU cores with load "
                f"average {machine['loadavg']} (a shared machine: treat these figures as rough)."]
    if chart:
        out += ["", f"![nDCG, Recall and MRR per system]({chart})"]
    for group, title in (("by_lang", "Per language"), ("by_kind", "Per query kind")):
        out += ["", f"## {title}", ""]
        keys = sorted({key for s in systems.values() for key in s[group]})
        rows = []
        for key in keys:
            for name, s in systems.items():
                if key in s[group]:
                    cell = s[group][key]
                    rows.append([key, name, cell["queries"]] + [cell[m] for m in metrics])
        out += _table([group.split("_")[1], "system", "queries"] + metrics, rows)
    out += ["", "## How sure", ""] + uncertainty(results)
    out += ["", "## Where we lose", ""] + observations(results)
    out += ["", "Metrics: ranx nDCG/Recall/MRR over passage qrels derived from each system's own run by "
            "`eval.judgments.qrels` (a relevant fact no retrieved passage contains counts as one missing relevant "
            "item); entry recall = share of a query's relevant facts found in the top k.", ""]
    return "\n".join(out)


def uncertainty(results: dict[str, Any]) -> list[str]:
    """95 % confidence intervals of each system's mean nDCG@k, and paired tests against ``hybrid``.

    Bootstrap intervals (``scipy.stats.bootstrap``, BCa) over queries; the paired test is a
    sign-flip permutation test of the mean per-query difference (``scipy.stats.permutation_test``,
    ``permutation_type="samples"``). Fixed seed, so a report is reproducible.
    """
    rows, comparisons = interval_rows(results)
    k = results["k"]
    lines = [f"95 % bootstrap confidence intervals over queries ({RESAMPLES:,} resamples):", ""]
    lines += _table(["system", f"ndcg@{k}", "95 % CI low", "95 % CI high"], rows)
    if comparisons:
        lines += ["", f"Paired against `hybrid` (mean per-query difference in nDCG@{k}, its 95 % CI, and the two-sided "
                  "p-value of a sign-flip permutation test):", ""]
        lines += _table(["system", "hybrid minus system", "95 % CI low", "95 % CI high", "p"], comparisons)
    return lines


def interval_rows(results: dict[str, Any]) -> tuple[list[list[Any]], list[list[Any]]]:
    """Table rows for :func:`uncertainty`: ``[system, mean nDCG@k, CI low, CI high]`` and,
    against hybrid, ``[system, mean difference, CI low, CI high, p-value text]``, over the
    queries every system answered (scipy bootstrap and permutation test, fixed seed)."""
    # lazy: scipy.stats (~1.8 s) is needed only for the significance tests
    from scipy import stats

    ndcg = f"ndcg@{results['k']}"
    systems = results["systems"]
    qids = sorted(set.intersection(*(set(s["per_query"]) for s in systems.values())))
    scores = {name: np.array([s["per_query"][q][ndcg] for q in qids]) for name, s in systems.items()}

    def interval(values):
        if len(values) < 2 or np.ptp(values) == 0:
            return float(values.mean()), float(values.mean())
        ci = stats.bootstrap((values,), np.mean, n_resamples=RESAMPLES, rng=np.random.default_rng(SEED)).confidence_interval
        return float(ci.low), float(ci.high)

    rows = [[name, float(v.mean()), *interval(v)] for name, v in scores.items()]
    comparisons = []
    if "hybrid" in scores:
        for name, v in scores.items():
            if name == "hybrid":
                continue
            diff = scores["hybrid"] - v
            if len(diff) < 2 or np.ptp(diff) == 0:
                p = 1.0
            else:
                p = float(stats.permutation_test((scores["hybrid"], v), lambda a, b: np.mean(a - b),
                                                 permutation_type="samples", n_resamples=RESAMPLES,
                                                 rng=np.random.default_rng(SEED)).pvalue)
            comparisons.append([name, float(diff.mean()), *interval(diff), f"{p:.4f}" if p >= 0.001 else "< 0.001"])
    return rows, comparisons


def observations(results: dict[str, Any]) -> list[str]:
    """Weak slices, zero-score counts, worst queries per system, and where another system beats hybrid."""
    k = results["k"]
    ndcg = f"ndcg@{k}"
    systems = results["systems"]
    lines = []
    for name, s in systems.items():
        slices = [(cell[ndcg], f"{group.split('_')[1]} {key}") for group in ("by_lang", "by_kind")
                  for key, cell in s[group].items()]
        low_value, low_name = min(slices)
        zero = [q for q, row in s["per_query"].items() if row[ndcg] == 0]
        lines.append(f"- `{name}`: weakest slice {low_name} (nDCG@{k} {low_value:.3f}); "
                     f"{len(zero)} of {len(s['per_query'])} queries with nDCG@{k} = 0")
    everyone = set.intersection(*({q for q, r in s["per_query"].items() if r[ndcg] == 0} for s in systems.values()))
    if everyone:
        lines.append(f"- Missed by every system (check the judgments or the chunking): {', '.join(sorted(everyone))}")
    for name, s in systems.items():
        worst = sorted(s["per_query"].items(), key=lambda item: (item[1][ndcg], item[0]))[:WORST]
        lines += ["", f"### Worst queries: `{name}`", ""]
        lines += _table(["id", "lang", "kind", "query", ndcg, f"entry_recall@{k}"],
                        [[q, r["lang"], r["kind"], _clip(r["query"]), r[ndcg], r[f"entry_recall@{k}"]]
                         for q, r in worst])
    if "hybrid" in systems:
        ours = systems["hybrid"]["per_query"]
        for name, s in systems.items():
            if name == "hybrid":
                continue
            gaps = sorted(((s["per_query"][q][ndcg] - ours[q][ndcg], q) for q in ours if q in s["per_query"]),
                          reverse=True)
            better = [(g, q) for g, q in gaps if g > 0][:WORST]
            wins = sum(g > 0 for g, _ in gaps)
            losses = sum(g < 0 for g, _ in gaps)
            lines += ["", f"### `{name}` vs `hybrid`", "",
                      f"`{name}` scores higher on {wins} queries, lower on {losses}. Largest gaps in its favour:", ""]
            lines += _table(["id", "lang", "kind", "query", f"{name} {ndcg}", f"hybrid {ndcg}"],
                            [[q, ours[q]["lang"], ours[q]["kind"], _clip(ours[q]["query"]),
                              s["per_query"][q][ndcg], ours[q][ndcg]] for _, q in better])
    return lines


def _clip(text: str, width: int = 70) -> str:
    text = " ".join(text.split()).replace("|", "/")
    return text if len(text) <= width else text[: width - 1] + "…"


def write_chart(results: dict[str, Any], path: Path) -> Path:
    """Grouped bars: systems x nDCG/Recall/MRR overall, and nDCG per language."""
    # lazy: matplotlib only when a chart is drawn
    import matplotlib

    matplotlib.use("Agg")
    # lazy: matplotlib only when a chart is drawn
    import matplotlib.pyplot as plt
    import numpy as np

    k = results["k"]
    metrics = [f"ndcg@{k}", f"recall@{k}", f"mrr@{k}"]
    names = list(results["systems"])
    langs = sorted({lang for s in results["systems"].values() for lang in s["by_lang"]})
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [3, 2]})
    width = 0.8 / max(1, len(names))
    for panel, (ax, groups, getter, title) in enumerate((
        (axes[0], metrics, lambda s, g: s["overall"][g], "Overall"),
        (axes[1], langs, lambda s, g: s["by_lang"].get(g, {}).get(f"ndcg@{k}", 0.0), f"nDCG@{k} per language"),
    )):
        x = np.arange(len(groups))
        for i, name in enumerate(names):
            values = [getter(results["systems"][name], g) for g in groups]
            bars = ax.bar(x + (i - (len(names) - 1) / 2) * width, values, width, label=name)
            ax.bar_label(bars, fmt="%.2f", fontsize=6, padding=1)
        ax.set_xticks(x, groups)
        ax.set_ylim(0, 1)
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
        if panel == 0:
            ax.set_ylabel("score")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, ncols=min(len(names), 7), loc="lower center")
    snap = results["snapshot"]
    fig.suptitle(f"praxisfinder retrieval, {results['judgments']['queries']} queries, snapshot {snap['id']}",
                 fontsize=9)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)
