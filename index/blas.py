"""NumPy's BLAS thread count in a serving process.

The query path's NumPy products are small (MaxSim over ~30 passages: a (16, 384) by
(384, 260) product per passage; title scores). Multithreaded OpenBLAS gains nothing on
them and, on a loaded machine, its threads wait on each other: measured on the 2-core
machine at load average 14, MaxSim of 30 passages took 60-2,600 ms with two BLAS threads
and 15-40 ms with one (docs/measurements.md "Latency and load"). The encoder (torch / ONNX Runtime)
and FAISS keep their own thread pools (OpenMP); this touches only BLAS.
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits


def limit_blas_threads(threads: int) -> None:
    """Cap every BLAS library loaded in this process (NumPy's OpenBLAS, FAISS's) at
    ``threads`` threads through ``threadpoolctl``; 0 leaves them alone. Only libraries
    already loaded are reached, so ``index.runtime.open_searcher`` calls it at each
    snapshot load (a few milliseconds)."""
    if threads <= 0:
        return

    threadpool_limits(limits=threads, user_api="blas")
