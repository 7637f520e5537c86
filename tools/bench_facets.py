"""What the filter counts cost: the search page's own work beside the facet search.

    .venv/bin/python -m tools.bench_facets [--queries eval/judgments.jsonl] [--n 30]

For each query (in process, real snapshot and model): ``Application.search_page`` as the
web page calls it, then ``service.facets.search_facets``, timed side by side in one run;
each query is run twice, so the second pass shows the cost with the query vector cached;
"facets cached" is the same question again with a filter (a chip, page 2: no search).
Prints median and p95 milliseconds per step and pass.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--queries`` (JSONL with "query"), ``--n`` queries to time."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=Path, default=Path("eval/judgments.jsonl"))
    parser.add_argument("--n", type=int, default=30)
    args = parser.parse_args(argv)

    from core.settings import Settings
    from index.search import Filters
    from service import facets
    from service.application import Application
    from service.web import MODES

    app = Application(Settings.from_env())
    queries = [json.loads(line)["query"] for line in args.queries.read_text().splitlines() if line.strip()][:args.n]
    app.search_page("Aufwärmen", k=10)  # load model and snapshot
    options = app.filter_options()
    times: dict[str, list[float]] = {}
    for run in ("cold", "warm"):
        for q in queries:
            state = {"q": q, "mode": "hybrid", "doc": []}
            t0 = time.perf_counter()
            app.search_page(q, k=10, filters=Filters(), group=True)
            t1 = time.perf_counter()
            facets._cache.clear()  # the facet search itself, not the facet cache
            facets.search_facets(app, q, "hybrid", Filters(), state, options, MODES)
            t2 = time.perf_counter()
            facets.search_facets(app, q, "hybrid", Filters(bundesland="Hessen"), {**state, "bundesland": "Hessen"},
                                 options, MODES)  # the same question again (a chip, page 2): cached
            t3 = time.perf_counter()
            times.setdefault(f"{run} search_page", []).append((t1 - t0) * 1000)
            times.setdefault(f"{run} facets", []).append((t2 - t1) * 1000)
            times.setdefault(f"{run} facets cached", []).append((t3 - t2) * 1000)
    for name, values in times.items():
        print(f"{name:20s} median {statistics.median(values):7.1f} ms   p95 {_p(values, 0.95):7.1f} ms   n={len(values)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
