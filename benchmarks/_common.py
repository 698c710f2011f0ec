"""Shared timing support for the benchmarks: best-of-N wall time, BLAS threads pinned."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

RESULTS = Path(__file__).resolve().parent / "results"


def best_time(fn: Callable[[], Any], *, repeat: int = 5, number: int = 1) -> float:
    """The best of ``repeat`` wall times of ``number`` calls of ``fn``, in seconds per call.

    The minimum is the estimate least disturbed by other load on the machine.
    """
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def pinned(threads: int = 1):
    """Context manager pinning BLAS/OpenMP to ``threads`` threads (stable small solves)."""
    return threadpool_limits(limits=threads)


def save(name: str, payload: dict[str, Any]) -> Path:
    """Write ``payload`` with the machine's description to ``results/<name>.json``."""
    RESULTS.mkdir(exist_ok=True)
    payload = {
        "machine": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "processor": platform.machine(),
        },
        **payload,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table of ``rows`` (dicts with the same keys)."""
    if not rows:
        return "(no rows)"
    keys = list(rows[0])
    cells = [[str(r[k]) for k in keys] for r in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    line = "  ".join(k.ljust(w) for k, w in zip(keys, widths, strict=True))
    body = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join([line, "  ".join("-" * w for w in widths), *body])
