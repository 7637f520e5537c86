"""Latency of comparable-municipality recommendations through the application object.

    python -m tools.bench_recommend

Prints the first call (model, snapshot and practice ranker loaded), the median and
maximum over eight cases with topics not seen before (each embeds its topic and runs one
hybrid search), and the median when the same topics come again (query vectors cached).
Milliseconds of wall time on this machine; no target is asserted here.
"""

from __future__ import annotations

import statistics
import time

from core.settings import Settings

CASES = [("Alheim", "Ehrenamt im ländlichen Raum"), ("Halle (Saale)", "Unterbringung in Wohnungen"),
         ("Landkreis Osnabrück", "Integrationskonzept"), ("Kiel", "internships for refugees"),
         ("Weinsberg", "Jobbörse"), ("Freiberg", "Willkommenskultur"), ("Köln", "Gewaltschutz"),
         ("Ulm", "Quartiersentwicklung")]


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def main() -> None:
    """Print first-call, new-topic (p50, max) and repeated-topic (p50) latencies in
    milliseconds of ``Application.recommend`` over ``CASES`` (real model and snapshot)."""
    from service.application import Application

    app = Application(Settings.from_env())
    first = _timed(lambda: app.recommend("Dortmund", "Wohnraum für Geflüchtete", 10))
    cold = [_timed(lambda m=m, t=t: app.recommend(m, t, 10)) for m, t in CASES]
    warm = [_timed(lambda m=m, t=t: app.recommend(m, t, 10)) for m, t in CASES]
    print(f"first call {first / 1000:.1f} s; new topics p50 {statistics.median(cold):.0f} ms, "
          f"max {max(cold):.0f} ms; repeated topics p50 {statistics.median(warm):.0f} ms")


if __name__ == "__main__":
    main()
