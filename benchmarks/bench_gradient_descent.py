"""One gradient-descent update: the vectorized step against a per-sample Python loop.

Issue 4 asks for the ratio at m = 10**5 examples and n = 10 features. The loop is the literal
translation of "for every example, add its residual times its features"; the vectorized step is
the two matrix-vector products of ``helpers.gradient_descent``. Both are timed in the same run,
BLAS pinned to one thread, best of several repeats, and checked to give the same theta.
The issue states no numeric target; this script fails (returns 1) if the two steps disagree or if
the vectorized step is not at least ``FLOOR`` times faster at the issue's size.
"""

from __future__ import annotations

import os
import sys
from functools import partial

import numpy as np

from booktools.support import best_time, blas_threads, save_results, table
from helpers.gradient_descent import gradient_descent, max_stable_step

N_FEATURES = 10
SIZES = [100, 1_000, 10_000, 100_000]
HEADLINE_M = 100_000
FLOOR = 10.0  # our own sanity floor, not a target of the issue


def loop_step(X: np.ndarray, y: np.ndarray, theta: np.ndarray, alpha: float) -> np.ndarray:
    """One update with a Python loop over the m examples (the naive port)."""
    m = X.shape[0]
    grad = np.zeros_like(theta)
    for i in range(m):
        grad += (X[i] @ theta - y[i]) * X[i]
    return theta - (alpha / m) * grad


def vectorized_step(X: np.ndarray, y: np.ndarray, theta: np.ndarray, alpha: float) -> np.ndarray:
    """One update as two matrix-vector products: the body of gradient_descent's loop."""
    return theta - (alpha / X.shape[0]) * (X.T @ (X @ theta - y))


def main() -> int:
    rng = np.random.default_rng(2026)
    rows = []
    results = []
    ok = True
    with blas_threads(1):
        for m in SIZES:
            X = np.column_stack([np.ones(m), rng.standard_normal((m, N_FEATURES - 1))])
            y = X @ rng.standard_normal(N_FEATURES) + 0.1 * rng.standard_normal(m)
            theta = rng.standard_normal(N_FEATURES)
            alpha = 0.5 * max_stable_step(X)
            by_loop = loop_step(X, y, theta, alpha)
            by_helper, _ = gradient_descent(X, y, theta, alpha, 1)
            by_vector = vectorized_step(X, y, theta, alpha)
            same = bool(
                np.allclose(by_loop, by_vector, rtol=1e-10)
                and np.allclose(by_loop, by_helper, rtol=1e-10)
            )
            ok = ok and same
            repeat_loop = 3 if m >= 10_000 else 5
            t_loop = best_time(partial(loop_step, X, y, theta, alpha), repeat=repeat_loop)
            number = max(1, 400_000 // m)
            t_vec = best_time(
                partial(vectorized_step, X, y, theta, alpha), repeat=15, number=number
            )
            ratio = t_loop / t_vec
            results.append(
                {
                    "m": m,
                    "loop_s": t_loop,
                    "vectorized_s": t_vec,
                    "ratio": ratio,
                    "agree": same,
                }
            )
            rows.append(
                {
                    "m": m,
                    "n": N_FEATURES,
                    "loop per step": f"{t_loop * 1e3:.3f} ms",
                    "vectorized per step": f"{t_vec * 1e6:.1f} us",
                    "ratio": f"{ratio:.0f}x",
                    "same theta": same,
                }
            )
    print(table(rows))
    headline = next(r for r in results if r["m"] == HEADLINE_M)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(f"\nload average (1 min) during the run: {load}")
    save_results(
        "gradient_descent",
        {
            "headline": {
                "label": (
                    f"one gradient-descent step, m = {HEADLINE_M:,}, n = {N_FEATURES}: "
                    "vectorized vs per-sample Python loop"
                ),
                "value": round(headline["ratio"], 1),
                "unit": "x",
                "target": None,
            },
            "floor": FLOOR,
            "n_features": N_FEATURES,
            "threads": 1,
            "load_average_1min": load,
            "sizes": results,
        },
    )
    if not ok:
        print("the loop and the vectorized step disagree", file=sys.stderr)
        return 1
    if headline["ratio"] < FLOOR:
        print(f"ratio {headline['ratio']:.1f}x is below the floor {FLOOR}x", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
