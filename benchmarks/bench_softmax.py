"""Softmax backprop: the O(nk) vector-Jacobian product against the explicit O(nk^2) Jacobian.

For a batch of ``n`` samples with ``k`` classes, backpropagating an upstream gradient ``g`` through
softmax can either form every Jacobian ``J = diag(s) - s s^T`` (``n * k * k`` numbers) and multiply
``g @ J``, or use ``softmax_vjp(s, g) = s * (g - <g, s>)``. Issue 3 asks for a speed ratio of at
least 300x at (n, k) = (256, 1000) and for the VJP's peak memory to stay O(n k); both peaks are
measured with tracemalloc (which sees NumPy's allocations) and reported in bytes and in units of
``n * k * 8`` bytes (one float64 array of the batch).

Run: ``python benchmarks/bench_softmax.py`` (or ``python benchmarks/run_all.py softmax``).
"""

from __future__ import annotations

import os
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from booktools.support import best_time, blas_threads, save_results, table
from helpers.softmax import softmax, softmax_jacobian, softmax_vjp

TARGET_N, TARGET_K = 256, 1000
TARGET_RATIO = 300.0
#: The VJP may use at most this many batch-sized float64 arrays at its peak (O(n k)).
VJP_MEMORY_BOUND = 8.0
SWEEP_K = (10, 30, 100, 300, 1000)


def explicit_product(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    """The naive backward pass: form every (k, k) Jacobian, then ``g @ J`` sample by sample."""
    return np.matmul(g[:, None, :], softmax_jacobian(s))[:, 0, :]


def peak_bytes(fn: Callable[[], Any]) -> int:
    """Peak traced allocation (bytes) while ``fn`` runs, its result included."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(n: int, k: int, rng: np.random.Generator, repeat: int) -> dict[str, Any]:
    s = softmax(rng.normal(size=(n, k)))
    g = rng.normal(size=(n, k))
    dz = softmax_vjp(s, g)
    ref = explicit_product(s, g)
    np.testing.assert_allclose(dz, ref, rtol=1e-10, atol=1e-14)  # same answer, or no ratio
    t_vjp = best_time(lambda: softmax_vjp(s, g), repeat=max(repeat, 20))
    t_jac = best_time(lambda: explicit_product(s, g), repeat=repeat)
    mem_vjp = peak_bytes(lambda: softmax_vjp(s, g))
    return {
        "n": n,
        "k": k,
        "t_vjp_s": t_vjp,
        "t_jacobian_s": t_jac,
        "ratio": t_jac / t_vjp,
        "peak_bytes_vjp": mem_vjp,
        "peak_vjp_in_batch_arrays": mem_vjp / (n * k * 8),
    }


def main() -> int:
    rng = np.random.default_rng(20260301)
    rows = []
    with blas_threads(1):
        for k in SWEEP_K:
            rows.append(measure(TARGET_N, k, rng, repeat=3 if k == TARGET_K else 5))
        target = rows[-1]
        s = softmax(rng.normal(size=(TARGET_N, TARGET_K)))
        g = rng.normal(size=(TARGET_N, TARGET_K))
        mem_vjp = peak_bytes(lambda: softmax_vjp(s, g))
        mem_jac = peak_bytes(lambda: explicit_product(s, g))
    batch_bytes = TARGET_N * TARGET_K * 8
    print(
        table(
            [
                {
                    "n": r["n"],
                    "k": r["k"],
                    "VJP (s)": f"{r['t_vjp_s']:.3g}",
                    "explicit J (s)": f"{r['t_jacobian_s']:.3g}",
                    "ratio": f"{r['ratio']:.0f}x",
                    "VJP peak / (n*k*8 B)": f"{r['peak_vjp_in_batch_arrays']:.2f}",
                }
                for r in rows
            ]
        )
    )
    print(
        f"\npeak memory at (n, k) = ({TARGET_N}, {TARGET_K}): VJP {mem_vjp / 1e6:.2f} MB "
        f"({mem_vjp / batch_bytes:.2f} x n*k*8 bytes), explicit Jacobian {mem_jac / 1e6:.1f} MB "
        f"({mem_jac / batch_bytes:.0f} x n*k*8 bytes); memory ratio {mem_jac / mem_vjp:.0f}x"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    ratio_ok = target["ratio"] >= TARGET_RATIO
    # O(n k): at every k of the sweep the VJP's peak is a bounded number of batch-sized arrays.
    memory_ok = mem_vjp <= VJP_MEMORY_BOUND * batch_bytes and all(
        r["peak_vjp_in_batch_arrays"] <= VJP_MEMORY_BOUND for r in rows
    )
    save_results(
        "softmax",
        {
            "headline": {
                "label": (
                    f"softmax backprop: VJP vs explicit Jacobian product at "
                    f"(n, k) = ({TARGET_N}, {TARGET_K})"
                ),
                "value": round(target["ratio"], 1),
                "unit": "x",
                "target": TARGET_RATIO,
            },
            "threads": 1,
            "load_average_1min": load,
            "sweep": rows,
            "memory": {
                "n": TARGET_N,
                "k": TARGET_K,
                "peak_bytes_vjp": mem_vjp,
                "peak_bytes_jacobian": mem_jac,
                "batch_bytes": batch_bytes,
                "vjp_bound_batch_arrays": VJP_MEMORY_BOUND,
            },
            "targets_met": {"ratio": ratio_ok, "vjp_memory_O_nk": memory_ok},
        },
    )
    print(
        f"target: ratio >= {TARGET_RATIO:.0f}x at ({TARGET_N}, {TARGET_K}): "
        f"{'met' if ratio_ok else 'MISSED'} ({target['ratio']:.0f}x); VJP peak <= "
        f"{VJP_MEMORY_BOUND:.0f} x n*k*8 bytes: {'met' if memory_ok else 'MISSED'} "
        f"(1-min load average {load})"
    )
    return 0 if ratio_ok and memory_ok else 1


if __name__ == "__main__":
    sys.exit(main())
