"""Solving linear least squares: gradient descent against ``np.linalg.lstsq``.

What a reader of chapter 2 would choose between once the port works: keep iterating, or solve
the least-squares problem directly. Gradient descent gets every advantage: the features are
standardized first (without it, the raw problems below would need ~1e12 steps or more, given
by ``iteration_bound``), the best constant step ``2 / (lambda_1 + lambda_n)`` is handed to it
for free (computing it from the eigenvalues is timed separately), and it runs exactly the
number of steps that shrinks its error by 1e-6. It is timed from the raw matrix (standardize,
iterate, map back); ``lstsq`` is timed on the raw matrix, and so is a Cholesky solve of the
normal equations ``X^T X theta = X^T y`` (forming them included), the cheaper direct solve. All
three are checked to give the same predictions before any timing. One BLAS thread; the best of
several repeats is the estimate, and the median and worst repeats are stored too, to show the
spread; the contenders alternate.
The descent time is split into a fixed part (validation, standardizing, mapping back: the same
call with zero steps) and a time per step, from ``PER_STEP_RUN`` steps on the standardized
matrix less zero steps (both without the step check), so that timing noise in the fixed part
cannot swamp the few steps of the independent rows. The fixed part is split further: standardizing
alone (``standardize_s``) and the step check alone (``check_s``, on the standardized matrix at the
step used). Before any timing, every contender runs once, untimed, on every problem (a warm-up
pass): without it the first 100,000-row problem timed paid for fresh memory pages (glibc hands
out large arrays by ``mmap`` until a larger block has been freed), which best-of-N does not
remove, and its fixed part looked almost twice as slow as the same work on a later problem. The
timing rounds then alternate the problems as well as the contenders, so that every problem
samples the same states of the allocator (whether an 8 MB array reuses memory or gets fresh
pages depends on what was freed before) and the same load. Two kinds of data: independent
features, and features driven by three common factors (correlated, as real data often are).
"""

from __future__ import annotations

import os
import sys

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from booktools.support import best_time, blas_threads, save_results, table
from helpers.gradient_descent import _unstable_step_bound as step_check
from helpers.gradient_descent import (
    bench_problem,
    gradient_descent,
    hessian_eigenvalues,
    iteration_bound,
    iterations_to_converge,
    standardize_features,
)

N_FEATURES = 10
SIZES = [10_000, 100_000]
KINDS = ["independent", "correlated"]
HEADLINE = ("correlated", 100_000)
RTOL = 1e-6
PER_STEP_RUN = 200
ROUNDS = 3  # problems and contenders alternate this many times; each one REPEATS times a round
REPEATS = {
    "lstsq": 7,
    "cholesky": 7,
    "descent": 3,
    "descent_fixed": 3,
    "eigenvalues": 7,
    "standardize": 3,
    "check": 3,
}


def make_problem(rng: np.random.Generator, kind: str, m: int) -> tuple[np.ndarray, np.ndarray]:
    """An intercept and nine features on scales 0.1 ... 1000 with offsets; targets with noise."""
    return bench_problem(kind, m, rng)


def by_descent(X: np.ndarray, y: np.ndarray, alpha: float, steps: int) -> np.ndarray:
    """Standardize, run ``steps`` steps of size ``alpha``, map the parameters back."""
    X_s, scaling = standardize_features(X)
    theta_s, _ = gradient_descent(X_s, y, np.zeros(X.shape[1]), alpha, steps)
    return scaling.unscale_theta(theta_s)


def by_lstsq(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(X, y, rcond=None)[0]


def by_cholesky(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The normal equations ``X^T X theta = X^T y``, solved by Cholesky."""
    return cho_solve(cho_factor(X.T @ X), X.T @ y)


def repeats(fn, count: int) -> list[float]:
    """``count`` single wall times of ``fn()``, in seconds."""
    return [best_time(fn, repeat=1) for _ in range(count)]


def prepare(rng: np.random.Generator, kind: str, m: int) -> dict:
    """One problem, its step and step count, the fits compared, and its timed contenders."""
    X, y = make_problem(rng, kind, m)
    X_s, _ = standardize_features(X)
    lam_s, lam = hessian_eigenvalues(X_s), hessian_eigenvalues(X)
    alpha = 2.0 / (lam_s[0] + lam_s[-1])
    steps = iterations_to_converge(X_s, y, np.zeros(N_FEATURES), alpha, rtol=RTOL)
    raw_steps = iteration_bound(X, 2.0 / (lam[0] + lam[-1]), rtol=RTOL)
    p_gd, p_ls = X @ by_descent(X, y, alpha, steps), X @ by_lstsq(X, y)
    p_ch = X @ by_cholesky(X, y)
    agree = float(np.linalg.norm(p_gd - p_ls) / np.linalg.norm(p_ls))
    agree_ch = float(np.linalg.norm(p_ch - p_ls) / np.linalg.norm(p_ls))
    theta0 = np.zeros(N_FEATURES)
    contenders = {
        "lstsq": (lambda: by_lstsq(X, y), REPEATS["lstsq"]),
        "cholesky": (lambda: by_cholesky(X, y), REPEATS["cholesky"]),
        "descent": (lambda: by_descent(X, y, alpha, steps), REPEATS["descent"]),
        "fixed": (lambda: by_descent(X, y, alpha, 0), REPEATS["descent_fixed"]),
        "eig": (lambda: hessian_eigenvalues(X_s), REPEATS["eigenvalues"]),
        "std": (lambda: standardize_features(X), REPEATS["standardize"]),
        "chk": (lambda: step_check(X_s, alpha), REPEATS["check"]),
        "run": (
            lambda: gradient_descent(X_s, y, theta0, alpha, PER_STEP_RUN, check_step=False),
            3,
        ),
        "run0": (lambda: gradient_descent(X_s, y, theta0, alpha, 0, check_step=False), 3),
    }
    return {
        "kind": kind,
        "m": m,
        "lam": lam,
        "lam_s": lam_s,
        "steps": steps,
        "raw_steps": raw_steps,
        "agree": agree,
        "agree_ch": agree_ch,
        "contenders": contenders,
    }


def warm_up(problems: list[dict]) -> None:
    """Run every contender once, untimed, on every problem before any timing."""
    for problem in problems:
        for fn, _count in problem["contenders"].values():
            fn()


def time_all(problems: list[dict]) -> list[dict[str, list[float]]]:
    """Single wall times of every contender on every problem, in seconds.

    Each round times every problem, and on it every contender, in turn, so that all see the
    same load and the same state of the memory allocator."""
    times = [{name: [] for name in problem["contenders"]} for problem in problems]
    for _ in range(ROUNDS):
        for problem, problem_times in zip(problems, times, strict=True):
            for name, (fn, count) in problem["contenders"].items():
                problem_times[name] += repeats(fn, count)
    return times


def measure(problem: dict, times: dict[str, list[float]]) -> dict:
    kind, m = problem["kind"], problem["m"]
    lam, lam_s, steps, raw_steps = (problem[k] for k in ("lam", "lam_s", "steps", "raw_steps"))
    agree, agree_ch = problem["agree"], problem["agree_ch"]
    ls, ch, gd, fixed = times["lstsq"], times["cholesky"], times["descent"], times["fixed"]
    eig, std, chk, run, run0 = (times[k] for k in ("eig", "std", "chk", "run", "run0"))
    t_gd, t_ls, t_fixed = min(gd), min(ls), min(fixed)
    return {
        "kind": kind,
        "m": m,
        "n": N_FEATURES,
        "kappa_raw": float(lam[-1] / lam[0]),
        "kappa_standardized": float(lam_s[-1] / lam_s[0]),
        "steps": steps,
        "raw_steps_bound": raw_steps,
        "descent_s": t_gd,
        "descent_median_s": float(np.median(gd)),
        "descent_max_s": max(gd),
        "descent_fixed_s": t_fixed,
        "standardize_s": min(std),
        "check_s": min(chk),
        "descent_per_step_s": max(min(run) - min(run0), 0.0) / PER_STEP_RUN,
        "lstsq_s": t_ls,
        "lstsq_median_s": float(np.median(ls)),
        "lstsq_max_s": max(ls),
        "cholesky_s": min(ch),
        "cholesky_median_s": float(np.median(ch)),
        "eigenvalues_s": min(eig),
        "ratio": t_gd / t_ls,
        "lstsq_over_cholesky": t_ls / min(ch),
        "prediction_gap": agree,
        "cholesky_prediction_gap": agree_ch,
        "agree": agree <= 1e-5 and agree_ch <= 1e-5,
    }


def report(results: list[dict]) -> None:
    print(
        table(
            {
                "data": r["kind"],
                "m": r["m"],
                "kappa raw": f"{r['kappa_raw']:.2g}",
                "kappa std": f"{r['kappa_standardized']:.3g}",
                "steps": r["steps"],
                "raw steps (bound)": f"{r['raw_steps_bound']:.2g}",
                "descent": f"{r['descent_s'] * 1e3:.1f} ms",
                "descent median/max": (
                    f"{r['descent_median_s'] * 1e3:.1f}/{r['descent_max_s'] * 1e3:.1f} ms"
                ),
                "fixed part": f"{r['descent_fixed_s'] * 1e3:.1f} ms",
                "standardize/check": (
                    f"{r['standardize_s'] * 1e3:.1f}/{r['check_s'] * 1e3:.2f} ms"
                ),
                "per step": f"{r['descent_per_step_s'] * 1e3:.3f} ms",
                "lstsq": f"{r['lstsq_s'] * 1e3:.2f} ms",
                "lstsq median/max": (
                    f"{r['lstsq_median_s'] * 1e3:.2f}/{r['lstsq_max_s'] * 1e3:.2f} ms"
                ),
                "cholesky": f"{r['cholesky_s'] * 1e3:.2f} ms",
                "lstsq / cholesky": f"{r['lstsq_over_cholesky']:.1f}x",
                "step choice (eig)": f"{r['eigenvalues_s'] * 1e3:.2f} ms",
                "descent / lstsq": f"{r['ratio']:.1f}x",
                "same fit": r["agree"],
            }
            for r in results
        )
    )


def main() -> int:
    rng = np.random.default_rng(2026)
    with blas_threads(1):
        problems = [prepare(rng, kind, m) for kind in KINDS for m in SIZES]
        warm_up(problems)
        results = [measure(p, t) for p, t in zip(problems, time_all(problems), strict=True)]
    report(results)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(f"\nload average (1 min) during the run: {load}")
    head = next(r for r in results if (r["kind"], r["m"]) == HEADLINE)
    save_results(
        "gradient_descent",
        {
            "headline": {
                "label": (
                    f"np.linalg.lstsq over gradient descent (standardized, best step, error "
                    f"1e-6), {HEADLINE[0]} features, m = {HEADLINE[1]:,}, n = {N_FEATURES}"
                ),
                "value": round(head["ratio"], 1),
                "unit": "x",
                "target": None,
                "direction": ">=",
            },
            "rtol": RTOL,
            "per_step_run": PER_STEP_RUN,
            "runs": {name: ROUNDS * count for name, count in REPEATS.items()},  # timed runs each
            "threads": 1,
            "load_average_1min": load,
            "results": results,
        },
    )
    if not all(r["agree"] for r in results):
        print("gradient descent, lstsq and Cholesky give different fits", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
