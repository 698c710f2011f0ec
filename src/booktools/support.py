"""What every chapter and every benchmark shares: glue, the number-formatting policy, timing,
peak memory, BLAS threads and the benchmark results.

A chapter's setup cell imports from here and defines nothing of its own. Each name means one
thing:

========================  ==================================================================
``glue_value(key, v)``    hand ``v`` to the prose (``{glue:text}`key```) without showing it
``glue_figure(key, fig)`` hand a figure to ``{glue:figure}`` and close it
``sig(x, digits)``        a number to ``digits`` significant digits, as text
``fixed(x, decimals)``    a number or vector with ``decimals`` decimals, as text
``bound(x, limit)``       assert ``|x| <= limit`` everywhere, return the limit as text
``rounded(x, decimals)``  an array rounded for printing (no ``-0.``)
``best_time(fn)``         best wall time of repeated calls, in seconds
``interleaved_times(fns)`` the times of several contenders, measured in alternating rounds
``peak_bytes(fn)``        peak memory Python allocates during ``fn()``
``blas_threads(n)``       a context manager limiting BLAS/OpenMP to ``n`` threads
``load_results(name)``    the committed ``benchmarks/results/<name>.json``
``load_octave(name)``     the committed GNU Octave run ``octave/<name>.json``
``save_results(name, d)`` write it, with the machine's description (benchmarks only)
``table(rows)``           rows of dicts as a plain-text table
========================  ==================================================================

The formatting policy (see ``CONTRIBUTING.md``): a stored output must be the same on every
machine, whatever its BLAS kernel, SIMD level or thread count. So print a result only to the
digits that last-bit rounding cannot move (``sig``, ``fixed``, ``rounded``), and never print
rounding noise itself (a residual, a constraint violation, a difference of two equal results):
assert a bound on it and print the bound (``bound``).
"""

from __future__ import annotations

import json
import os
import platform
import time
import tracemalloc
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "RESULTS",
    "best_time",
    "blas_threads",
    "bound",
    "fixed",
    "glue_figure",
    "glue_value",
    "interleaved_times",
    "load_results",
    "peak_bytes",
    "rounded",
    "save_results",
    "sig",
    "table",
]

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
OCTAVE = ROOT / "octave"


# -- glue ---------------------------------------------------------------------------------------


def glue_value(key: str, value: Any) -> None:
    """Store ``value`` for ``{glue:text}`key``` in the prose, without showing it in the cell.

    The value is still stored in the notebook's outputs, so nbval compares it. Glue text that
    is stable across machines (``sig``, ``fixed``, ``bound`` or exact integers). Returns
    ``None``, so a cell that ends with it displays nothing.

    A NumPy scalar is glued as the Python number it holds: the prose shows a value's repr, and
    ``np.int64(29)`` is not what a reader should read. An array raises ``TypeError``: glue its
    text (``fixed``, ``rounded``) instead.
    """
    from myst_nb import glue

    glue(key, _plain(key, value), display=False)


def _plain(key: str, value: Any) -> Any:
    if isinstance(value, np.ndarray):
        raise TypeError(
            f"glue_value({key!r}): got an array of shape {value.shape}; glue its text "
            "(fixed, rounded, or a str) instead"
        )
    return value.item() if isinstance(value, np.generic) else value


def glue_figure(key: str, fig: Any) -> None:
    """Store the matplotlib figure ``fig`` for ``{glue:figure}`key``` and close it.

    The figure is stored as a PNG, which nbval does not compare (``tests/conftest.py``): assert
    the data it plots in the same cell.
    """
    import matplotlib.pyplot as plt
    from myst_nb import glue

    glue(key, fig, display=False)
    plt.close(fig)


# -- the formatting policy ----------------------------------------------------------------------


def _finite_float(name: str, x: Any) -> float:
    value = float(x)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def sig(x: Any, digits: int = 3) -> str:
    """``x`` to ``digits`` significant digits, e.g. ``sig(0.0123456)`` is ``'0.0123'``.

    Use it for results that are well conditioned (an error that is a property of a method, a
    ratio of timings, an optimum): ``digits`` must be well below the digits that rounding can
    move. Large and small magnitudes use exponent notation (``'1.23e-07'``).
    """
    value = _finite_float("x", x)
    return f"{value + 0.0:.{digits}g}"


def fixed(x: Any, decimals: int = 4) -> str:
    """``x`` with ``decimals`` decimals: ``'5.2148'``, or ``'(5.2148, -0.5733)'`` for a vector."""
    arr = np.asarray(x, dtype=float)
    if not np.isfinite(arr).all():
        raise ValueError(f"x must be finite, got {arr}")
    parts = [f"{v:.{decimals}f}" for v in np.round(arr.ravel(), decimals) + 0.0]
    return parts[0] if arr.ndim == 0 else "(" + ", ".join(parts) + ")"


def bound(x: Any, limit: float) -> str:
    """Assert ``|x| <= limit`` for every entry of ``x``; return ``limit`` as text (``'1e-12'``).

    This is how rounding-level quantities reach the page: the bound is checked here, and only
    the bound, which does not depend on the machine, is printed or glued.
    """
    arr = np.abs(np.asarray(x, dtype=float))
    worst = float(arr.max()) if arr.size else 0.0
    if not (np.isfinite(worst) and worst <= limit):
        raise AssertionError(f"expected |x| <= {limit:g}, got {worst!r}")
    return f"{limit:g}"


def rounded(x: Any, decimals: int = 10) -> Any:
    """``x`` rounded to ``decimals`` decimals for printing, with ``-0.`` turned into ``0.``."""
    return np.round(x, decimals) + 0.0


# -- timing, memory, threads ----------------------------------------------------------------------


def best_time(fn: Callable[[], Any], *, repeat: int = 5, number: int = 1) -> float:
    """The best of ``repeat`` wall times of ``number`` calls of ``fn``, in seconds per call.

    The minimum is the estimate least disturbed by other load on the machine. Timings are
    never compared by nbval: print them only in cells tagged ``nbval-ignore-output``.
    """
    if repeat < 1 or number < 1:
        raise ValueError(f"repeat and number must be >= 1, got {repeat} and {number}")
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def interleaved_times(
    contenders: dict[str, Callable[[], Any]], *, rounds: int, number: int = 1
) -> dict[str, list[float]]:
    """Each contender's time per call in each of ``rounds`` rounds, in seconds.

    Every round times every contender once (``number`` calls), starting one place further down
    the list each round, so that a change of load on the machine, or one contender warming a
    cache for the next, falls on all of them alike. Summarise with the median (typical) or the
    minimum (least disturbed); compare contenders only within one call of this function.
    """
    if rounds < 1 or number < 1:
        raise ValueError(f"rounds and number must be >= 1, got {rounds} and {number}")
    names = list(contenders)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            fn = contenders[name]
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            times[name].append((time.perf_counter() - t0) / number)
    return times


def peak_bytes(fn: Callable[[], Any]) -> int:
    """The peak memory, in bytes, that Python and NumPy allocate while ``fn()`` runs."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return max(0, peak - base)


def blas_threads(n: int = 1) -> Any:
    """A context manager limiting BLAS and OpenMP to ``n`` threads (``threadpoolctl``).

    Used by every benchmark and every timing cell, so that timings on a busy machine do not
    depend on how many threads happen to wait for a core.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=n)


# -- benchmark results --------------------------------------------------------------------------


def load_results(name: str) -> dict[str, Any]:
    """The committed benchmark results ``benchmarks/results/<name>.json`` as a dict."""
    path = RESULTS / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no benchmark results for {name!r}: run make bench ({path})")
    return json.loads(path.read_text(encoding="utf-8"))


def load_octave(name: str = "reference_run") -> dict[str, Any]:
    """The committed GNU Octave run ``octave/<name>.json`` (``make octave-run`` regenerates it)."""
    path = OCTAVE / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no Octave run named {name!r}: run make octave-run ({path})")
    return json.loads(path.read_text(encoding="utf-8"))


def _usable_cores() -> int:
    """How many cores this process may run on (its affinity mask, else ``os.cpu_count()``)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _cpu_model() -> str:
    """The processor's model name (``/proc/cpuinfo`` on Linux), else ``platform.processor()``."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def save_results(name: str, payload: dict[str, Any]) -> Path:
    """Write ``payload`` with the machine's description to ``benchmarks/results/<name>.json``."""
    RESULTS.mkdir(exist_ok=True)
    payload = {
        "machine": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "processor": platform.machine(),
            "cores": _usable_cores(),
            "cpu": _cpu_model(),
        },
        **payload,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def table(rows: Iterable[dict[str, Any]]) -> str:
    """A plain-text table of ``rows`` (dicts with the same keys)."""
    rows = list(rows)
    if not rows:
        return "(no rows)"
    keys = list(rows[0])
    cells = [[str(r[k]) for k in keys] for r in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    line = "  ".join(k.ljust(w) for k, w in zip(keys, widths, strict=True))
    body = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join([line, "  ".join("-" * w for w in widths), *body])
