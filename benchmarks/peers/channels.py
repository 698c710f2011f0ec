"""helpers.channels.fixed_point against QuTiP, the tool a physicist would reach for.

For a random trace-preserving channel with d = 3 Kraus operators on n = 16, 32, 64 levels:

- ``helpers``: ``fixed_point(kraus)``, matrix-free ARPACK (two solves, the uniqueness check).
- ``qutip_eigs``: ``qutip.kraus_to_super`` (the dense n^2 x n^2 superoperator, QuTiP's
  column-stacking convention) and ``scipy.sparse.linalg.eigs(k=1)`` on it.
- ``qutip_steadystate``: the same superoperator, then ``qutip.steadystate(S - 1)``, which solves
  ``(S - 1) vec(rho) = 0`` with the trace constraint (QuTiP's direct solver).

Before any timing, every peer's density matrix must agree with the helper's to a trace
distance of at most ``AGREEMENT`` (1e-10). Then the contenders run in alternating rounds in this
one process with one BLAS thread, and the median of the rounds is kept. Peak memory is the peak
that ``tracemalloc`` sees during one call (NumPy and QuTiP allocate through Python's traced
allocators), in a separate untimed run. n = 128 is left out: QuTiP's dense superoperator alone
takes 16 n^4 bytes, 4.3 GB, and its construction needs about three times that.

Results go to ``benchmarks/results/peers_channels.json`` with these keys:

- ``qutip_version``, ``scipy_version``: the peers' versions.
- ``sizes``: ``{n: {contender: {"seconds": median, "runs": [...], "peak_bytes": int,
  "trace_distance": float}}}`` with contender in ``helpers``, ``qutip_eigs``,
  ``qutip_steadystate`` (``trace_distance`` is against the helper's result, 0 for itself).
- ``ratios``: ``{n: {"helpers_over_qutip_eigs": float, "helpers_over_qutip_steadystate": float}}``,
  time ratios (below 1: the helper is faster).
- ``d``, ``rounds``, ``agreement``, ``blas_threads``, ``load_average_1min``: the setup.

Run it with ``python benchmarks/peers/channels.py`` (or ``make bench-peers``) in an environment
that has QuTiP (``pip install -e '.[peers]'``); without QuTiP it says so and returns 0.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import tracemalloc
from typing import Any

import numpy as np
import scipy
from scipy.sparse.linalg import eigs

from booktools.support import blas_threads, save_results, table
from helpers.channels import fixed_point, random_kraus

SIZES = (16, 32, 64)
D = 3
ROUNDS = 5
AGREEMENT = 1e-10


def trace_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Half the sum of the absolute eigenvalues of ``a - b`` (Hermitian part)."""
    diff = (a - b + (a - b).conj().T) / 2
    return 0.5 * float(np.abs(np.linalg.eigvalsh(diff)).sum())


def contenders(kraus: np.ndarray, qutip: Any) -> dict[str, Any]:
    n = kraus.shape[1]
    v0 = np.random.default_rng(1000 + n).standard_normal(n * n) + 0j

    def helpers() -> np.ndarray:
        return fixed_point(kraus)[1]

    def superop():
        return qutip.kraus_to_super([qutip.Qobj(k) for k in kraus])

    def qutip_eigs() -> np.ndarray:
        s = superop()
        _, vec = eigs(s.full(), k=1, which="LM", v0=v0)
        x = vec[:, 0].reshape(n, n, order="F")  # QuTiP stacks columns
        return x / np.trace(x)

    def qutip_steadystate() -> np.ndarray:
        s = superop()
        return qutip.steadystate(s - qutip.to_super(qutip.qeye(n))).full()

    return {
        "helpers": helpers,
        "qutip_eigs": qutip_eigs,
        "qutip_steadystate": qutip_steadystate,
    }


def peak(fn) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(qutip: Any) -> dict[str, Any]:
    sizes: dict[str, Any] = {}
    with blas_threads(1):
        for n in SIZES:
            kraus = random_kraus(n, D, rng=np.random.default_rng(n))
            fns = contenders(kraus, qutip)
            reference = fns["helpers"]()
            row: dict[str, Any] = {}
            for name, fn in fns.items():  # agreement first
                distance = trace_distance(fn(), reference)
                if distance > AGREEMENT:
                    raise AssertionError(f"n={n}: {name} disagrees, trace distance {distance:.2e}")
                row[name] = {"trace_distance": distance, "runs": []}
            for _ in range(ROUNDS):  # interleaved rounds
                for name, fn in fns.items():
                    t0 = time.perf_counter()
                    fn()
                    row[name]["runs"].append(time.perf_counter() - t0)
            for name, fn in fns.items():
                row[name]["seconds"] = statistics.median(row[name]["runs"])
                row[name]["peak_bytes"] = peak(fn)
            sizes[str(n)] = row
            print(f"  n={n} done", flush=True)
    return sizes


def report(sizes: dict[str, Any]) -> dict[str, Any]:
    ratios = {}
    rows = []
    for n, row in sizes.items():
        h = row["helpers"]["seconds"]
        ratios[n] = {
            "helpers_over_qutip_eigs": h / row["qutip_eigs"]["seconds"],
            "helpers_over_qutip_steadystate": h / row["qutip_steadystate"]["seconds"],
        }
        for name, r in row.items():
            rows.append(
                {
                    "n": n,
                    "contender": name,
                    "median (s)": f"{r['seconds']:.4f}",
                    "helpers / this": f"{h / r['seconds']:.3f}",
                    "peak MiB": f"{r['peak_bytes'] / 2**20:.1f}",
                    "trace distance": f"{r['trace_distance']:.1e}",
                }
            )
    print(table(rows))
    return ratios


def main() -> int:
    try:
        import qutip
    except ImportError:
        print("qutip is not installed: pip install -e '.[peers]' (skipped)")
        return 0
    load_before = os.getloadavg()[0]
    sizes = measure(qutip)
    ratios = report(sizes)
    load = {"before": load_before, "after": os.getloadavg()[0]}
    print(f"(qutip {qutip.__version__}; 1-min load {load['before']:.1f} -> {load['after']:.1f})")
    save_results(
        "peers_channels",
        {
            "qutip_version": qutip.__version__,
            "scipy_version": scipy.__version__,
            "sizes": sizes,
            "ratios": ratios,
            "d": D,
            "rounds": ROUNDS,
            "agreement": AGREEMENT,
            "blas_threads": 1,
            "load_average_1min": load,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
