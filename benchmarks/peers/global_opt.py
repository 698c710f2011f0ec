"""de_then_polish against what a reader would use instead, on the Ackley function.

Contenders, on Ackley over the box [-20, 20]^d for d = 2, 5, 10, each run with 10 seeds:

* ``de_then_polish``: DE (vectorized), then SLSQP from DE's point, kept only if really better;
* ``de_polish_lbfgsb``: ``differential_evolution(polish=True)``, SciPy's own L-BFGS-B polish;
* ``de_polish_slsqp``: ``differential_evolution(polish=partial(minimize, method="SLSQP"))``, the
  SciPy 1.17 callable polish (the question's pipeline in one call);
* ``shgo``: ``scipy.optimize.shgo`` with its defaults (simplicial sampling). It is deterministic
  (no seed), so it runs ``SHGO_RUNS`` times only, for its time; its quality is the same each run;
* ``dual_annealing``: ``scipy.optimize.dual_annealing`` (its own local search, L-BFGS-B).

The three DE contenders share DE's settings and seed, so their DE stage is the same run: before
any timing, the script checks that de_then_polish's DE stage ends where SciPy's DE with
``polish=False`` ends, for the first three seeds (agreement). It then records each contender's
quality: how many of the 10 runs end within ``SUCCESS_F`` of the global
minimum ``f(0) = 0`` (the true value, re-evaluated with ``helpers.global_opt.ackley``), and the
median and worst final ``f``. Times are the median wall time of the 10 runs, BLAS pinned to one
thread; ratios are against ``de_then_polish``.

Results go to ``benchmarks/results/peers_global_opt.json``; its keys:

* ``machine``: Python, NumPy, processor (added by ``booktools.support.save_results``);
* ``load_average``: the 1, 5, 15 minute load when the run ended (timings are noisy under load);
* ``settings``: the box, the dimensions, the seeds, DE's keywords, ``success_f``;
* ``results[d][contender]``: ``runs``, ``successes`` (out of ``runs``), ``median_f``, ``worst_f``,
  ``median_s`` (seconds per run), ``time_ratio`` (``median_s`` over de_then_polish's), ``nfev``
  (median evaluations reported; vectorized DE counts calls, not points);
* ``agreement[d]``: true when de_then_polish's DE stage and SciPy's DE ended at the same point
  for each seed checked.

Run: ``python benchmarks/peers/global_opt.py`` (about a minute or two on an idle core).
"""

from __future__ import annotations

import os
import sys
import time
from functools import partial
from typing import Any

import numpy as np
from scipy.optimize import differential_evolution, dual_annealing, minimize, shgo

from booktools.support import blas_threads, save_results, table
from helpers.global_opt import ackley, de_then_polish

DIMENSIONS = (2, 5, 10)
SEEDS = tuple(range(10))
HALF_WIDTH = 20.0
SUCCESS_F = 1e-6
SHGO_RUNS = 3
DE = {"maxiter": 1000, "tol": 1e-10, "vectorized": True, "updating": "deferred"}


def contenders(d: int) -> dict[str, Any]:
    """name -> run(seed) returning (x, nfev)."""
    box = [(-HALF_WIDTH, HALF_WIDTH)] * d

    def ours(seed: int):
        res = de_then_polish(ackley, box, rng=seed, **DE)
        return res.x, res.nfev

    def de_with(polish: Any, seed: int):
        res = differential_evolution(ackley, box, rng=seed, polish=polish, **DE)
        return res.x, res.nfev

    def sh(seed: int):
        res = shgo(ackley, box)
        return res.x, res.nfev

    def da(seed: int):
        res = dual_annealing(ackley, box, rng=seed)
        return res.x, res.nfev

    return {
        "de_then_polish": ours,
        "de_polish_lbfgsb": partial(de_with, True),
        "de_polish_slsqp": partial(de_with, partial(minimize, method="SLSQP")),
        "shgo": sh,
        "dual_annealing": da,
    }


def de_stages_agree(d: int) -> bool:
    """Before any timing: de_then_polish's DE stage is SciPy's DE run, point for point."""
    box = [(-HALF_WIDTH, HALF_WIDTH)] * d
    for seed in SEEDS[:3]:
        plain = differential_evolution(ackley, box, rng=seed, polish=False, **DE)
        ours = de_then_polish(ackley, box, rng=seed, **DE)
        if not np.array_equal(plain.x, ours.de.x):
            return False
    return True


def measure_one(d: int) -> tuple[dict[str, Any], bool]:
    """Quality and time of every contender in dimension d, and the DE agreement check."""
    agree = de_stages_agree(d)
    out: dict[str, Any] = {}
    for name, run in contenders(d).items():
        fs, nfevs, seconds = [], [], []
        for seed in SEEDS[:SHGO_RUNS] if name == "shgo" else SEEDS:
            t0 = time.perf_counter()
            x, nfev = run(seed)
            seconds.append(time.perf_counter() - t0)
            fs.append(ackley(np.asarray(x, dtype=float)))
            nfevs.append(nfev)
        out[name] = {
            "runs": len(fs),
            "successes": int(np.sum(np.array(fs) <= SUCCESS_F)),
            "median_f": float(np.median(fs)),
            "worst_f": float(np.max(fs)),
            "median_s": float(np.median(seconds)),
            "nfev": float(np.median(nfevs)),
        }
    base = out["de_then_polish"]["median_s"]
    for row in out.values():
        row["time_ratio"] = row["median_s"] / base
    return out, agree


def measure() -> tuple[dict[str, Any], dict[str, bool]]:
    results, agreement = {}, {}
    for d in DIMENSIONS:
        results[str(d)], agreement[str(d)] = measure_one(d)
    return results, agreement


def report(results: dict[str, Any], agreement: dict[str, bool]) -> None:
    rows = [
        {
            "d": d,
            "contender": name,
            "successes": f"{r['successes']}/{r['runs']}",
            "median f": f"{r['median_f']:.1e}",
            "worst f": f"{r['worst_f']:.1e}",
            "median time": f"{r['median_s'] * 1e3:.0f} ms",
            "time ratio": f"{r['time_ratio']:.2f}",
            "nfev": f"{r['nfev']:.0f}",
        }
        for d, per_d in results.items()
        for name, r in per_d.items()
    ]
    print(f"Ackley on [-{HALF_WIDTH:g}, {HALF_WIDTH:g}]^d, seeds {SEEDS[0]}..{SEEDS[-1]}")
    print(f"success: true f <= {SUCCESS_F:g}; DE {DE}; load {os.getloadavg()}")
    print(table(rows))
    print("DE stages agree (same seed, same DE point):", agreement)


def main() -> int:
    with blas_threads(1):
        results, agreement = measure()
    report(results, agreement)
    save_results(
        "peers_global_opt",
        {
            "load_average": list(os.getloadavg()),
            "settings": {
                "box": [-HALF_WIDTH, HALF_WIDTH],
                "dimensions": list(DIMENSIONS),
                "seeds": list(SEEDS),
                "de": DE,
                "success_f": SUCCESS_F,
                "shgo": {"defaults": True, "runs": SHGO_RUNS},
            },
            "results": results,
            "agreement": agreement,
        },
    )
    return 0 if all(agreement.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
