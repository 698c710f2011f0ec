"""steady_state_roots against scipy.optimize.newton: speed, and whether the root is the right one.

A reader with a population of scalar steady-state problems would reach for
``scipy.optimize.newton`` with an array ``x0`` (vectorized Newton, or the secant method without
``fprime``). Newton finds *a* root near its start; the flow started at ``y0`` reaches the *first*
root in its direction, which is what ``steady_state_roots`` returns. This script measures both
for the question's population (``alpha ~ N(0, 1)``, ``beta ~ N(5, 1)``, ``n = 10**5``) from
``y0 = 0`` and from ``y0 = 1``. Newton gets the same safe right-hand side (the switch is 0 for
``y <= 0``, so no NaN) and its analytic derivative, through the module's unvalidated kernels, so
that the times compare the algorithms, not input checks:

1. agreement: every contender's answer is checked against an independent reference on a
   subsample: per individual, a sign scan of ``f`` on a fine grid from ``y0`` in the direction of
   the flow finds the first sign change, and ``brentq`` refines it;
2. time: the contenders measured alternately, one BLAS thread, median of ``ROUNDS`` runs.

Results go to ``benchmarks/results/peers_population.json``, keys:

``n``, ``subsample``, ``rounds``, ``load_average``
    population size, individuals checked against the reference, timing rounds, the machine's
    load (1, 5, 15 min) while measuring (2 shared cores).
``starts``
    ``{"0": {...}, "1": {...}}``, one entry per start ``y0``, each with
    ``time_s``: median seconds per call, ``{"steady_state_roots", "newton_fprime", "find_root",
    "newton_secant"}``;
    ``ratio_vs_newton_fprime``, ``ratio_vs_newton_secant``, ``ratio_vs_find_root``: helper time /
    peer time (< 1: the helper is faster); ``find_root`` is
    ``scipy.optimize.elementwise.find_root`` on the chapter's bracket table (built from the
    helper's critical points, inside the timed call);
    ``wrong``: per contender, individuals of the subsample whose answer is not the flow's
    steady state (off the reference by more than ``1e-8 * max(1, |ref|)``, NaN included);
    ``nan``: per contender, NaN answers over the whole population;
    ``nan_flagged_converged``: for newton, NaN answers its ``converged`` array calls converged;
    ``wrong_converged``, ``wrong_not_converged``: for newton, the wrong answers of the subsample
    that its ``converged`` array calls converged (a root the flow does not reach) or not;
    ``not_converged``: for newton (for find_root: ``~success``), individuals of the population
    it reports as not converged;
    ``wrong_fraction``: ``wrong / subsample`` per contender.

Run: ``python benchmarks/peers/population.py`` (seconds; not part of ``make test``).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import warnings

import numpy as np
from scipy.optimize import brentq, newton
from scipy.optimize.elementwise import find_root

from booktools.support import blas_threads, save_results, table
from helpers.population import (
    BASAL,
    _critical_points,
    create_population,
    phenotype_rhs,
    steady_state_roots,
)
from helpers.population import _f as _model_f
from helpers.population import _f_df as _model_f_df

N = 100_000
SUBSAMPLE = 2_000
ROUNDS = 7
GRID = 20_001


def _f(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The model with the safe switch (0 for y <= 0), the arithmetic steady_state_roots uses."""
    return _model_f(y, a, b)


def _fprime(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Its analytic derivative, -1 + a h'(y), the diagonal of phenotype_jac."""
    return _model_f_df(y, a, b)[1]


def brackets(a: np.ndarray, b: np.ndarray, y0: float) -> tuple[np.ndarray, np.ndarray]:
    """The chapter's bracket table (the six cases), from the helper's critical points."""
    y = np.full(a.size, y0)
    y_minus, y_plus = np.zeros_like(a), np.zeros_like(a)
    two, lo_c, hi_c = _critical_points(a, b)
    y_minus[two], y_plus[two] = lo_c, hi_c
    top = BASAL + np.maximum(a, 0.0)
    f0, f_minus, f_plus = _f(y, a, b), _f(y_minus, a, b), _f(y_plus, a, b)
    up, down = f0 > 0, f0 < 0
    rows = [
        up & (y < y_minus) & (f_minus <= 0),
        up & (y < y_plus),
        up,
        down & (y > y_plus) & (f_plus >= 0),
        down & (y > y_minus),
        down,
    ]
    lo = np.select(rows, [y, y_plus, y, y_plus, 0 * y, 0 * y], y)
    hi = np.select(rows, [y_minus, top, top, y, y_minus, y], y)
    return lo, hi


def reference(a: float, b: float, y0: float) -> float:
    """The first root of f from y0 in the direction of the flow: a sign scan, then brentq."""

    def f(v: float) -> float:
        return float(phenotype_rhs(0.0, np.array([v]), np.array([a]), np.array([b]))[0])

    f0 = f(y0)
    if f0 == 0:
        return y0
    end = 0.0 if f0 < 0 else BASAL + max(a, 0.0) + 1.0
    grid = np.linspace(y0, end, GRID)
    values = phenotype_rhs(0.0, grid, np.full(GRID, a), np.full(GRID, b))
    change = np.flatnonzero(np.sign(values[1:]) != np.sign(f0))[0]
    lo, hi = sorted((grid[change], grid[change + 1]))
    if values[change + 1] == 0:
        return float(grid[change + 1])
    return brentq(f, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps)


def contenders(a: np.ndarray, b: np.ndarray, y0: float) -> dict:
    x0 = np.full(a.size, y0)
    return {
        "steady_state_roots": lambda: steady_state_roots(a, b, y0),
        "newton_fprime": lambda: newton(_f, x0, fprime=_fprime, args=(a, b), full_output=True),
        "newton_secant": lambda: newton(_f, x0, args=(a, b), full_output=True),
        "find_root": lambda: find_root(_f, brackets(a, b, y0), args=(a, b)),  # brackets timed
    }


def _answer(out):
    if hasattr(out, "success"):  # find_root's result object
        return out.x
    return out if isinstance(out, np.ndarray) else out[0]


def measure(a: np.ndarray, b: np.ndarray, y0: float, sample: np.ndarray) -> dict:
    calls = contenders(a, b, y0)
    answers = {name: call() for name, call in calls.items()}
    ref = np.array([reference(a[i], b[i], y0) for i in sample])
    wrong, nan, flagged = {}, {}, {}
    wrong_conv, wrong_stuck, stuck = {}, {}, {}
    for name, out in answers.items():
        y = _answer(out)
        off = np.abs(y[sample] - ref) > 1e-8 * np.maximum(1.0, np.abs(ref))
        wrong[name] = int(np.count_nonzero(off | np.isnan(y[sample])))
        nan[name] = int(np.count_nonzero(np.isnan(y)))
        if hasattr(out, "success"):
            stuck[name] = int(np.count_nonzero(~out.success))
        elif not isinstance(out, np.ndarray):
            flagged[name] = int(np.count_nonzero(np.isnan(y) & out.converged))
            bad = off | np.isnan(y[sample])
            wrong_conv[name] = int(np.count_nonzero(bad & out.converged[sample]))
            wrong_stuck[name] = int(np.count_nonzero(bad & ~out.converged[sample]))
            stuck[name] = int(np.count_nonzero(~out.converged))
    assert wrong["steady_state_roots"] == 0, "the helper disagrees with the reference"
    assert wrong["find_root"] == 0, "find_root on the bracket table disagrees with the reference"
    times: dict[str, list[float]] = {name: [] for name in calls}
    with blas_threads(1):
        for _ in range(ROUNDS):  # alternate, so that load hits every contender alike
            for name, call in calls.items():
                t0 = time.perf_counter()
                call()
                times[name].append(time.perf_counter() - t0)
    med = {name: statistics.median(t) for name, t in times.items()}
    return {
        "time_s": med,
        "ratio_vs_newton_fprime": med["steady_state_roots"] / med["newton_fprime"],
        "ratio_vs_newton_secant": med["steady_state_roots"] / med["newton_secant"],
        "ratio_vs_find_root": med["steady_state_roots"] / med["find_root"],
        "wrong": wrong,
        "wrong_fraction": {k: v / sample.size for k, v in wrong.items()},
        "nan": nan,
        "nan_flagged_converged": flagged,
        "wrong_converged": wrong_conv,
        "wrong_not_converged": wrong_stuck,
        "not_converged": stuck,
    }


def main() -> int:
    warnings.simplefilter("ignore", RuntimeWarning)  # newton's "some failed to converge"
    pop = create_population(N, rng=np.random.default_rng(2026))
    a, b = pop["alpha"], pop["beta"]
    sample = np.random.default_rng(7).choice(N, SUBSAMPLE, replace=False)
    starts = {str(int(y0)): measure(a, b, y0, sample) for y0 in (0.0, 1.0)}
    rows = [
        {
            "y0": y0,
            "contender": name,
            "median time [ms]": f"{1e3 * r['time_s'][name]:.1f}",
            f"wrong of {SUBSAMPLE}": r["wrong"][name],
            f"NaN of {N}": r["nan"][name],
            f"not converged of {N}": r["not_converged"].get(name, "-"),
        }
        for y0, r in starts.items()
        for name in r["time_s"]
    ]
    print(table(rows))
    for y0, r in starts.items():
        print(
            f"y0 = {y0}: steady_state_roots / newton(fprime) = "
            f"{r['ratio_vs_newton_fprime']:.2f}, / newton(secant) = "
            f"{r['ratio_vs_newton_secant']:.2f}"
        )
    load = os.getloadavg()
    print(f"load average while measuring: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores)")
    save_results(
        "peers_population",
        {
            "n": N,
            "subsample": SUBSAMPLE,
            "rounds": ROUNDS,
            "load_average": list(load),
            "starts": starts,
        },
    )
    return 0 if starts["0"]["ratio_vs_newton_fprime"] <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
