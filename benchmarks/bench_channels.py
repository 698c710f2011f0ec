"""Fixed point of a quantum channel: matrix-free ARPACK against a dense eig of the superoperator.

Issue 7 targets: at n = 64 (d = 3) the matrix-free ARPACK fixed point is at least 1000x faster
than ``scipy.linalg.eig`` of the (n**2, n**2) superoperator, and at n = 256, d = 3 it takes under
10 s with memory O(d n**2). BLAS is pinned to one thread; every time is the best of several runs.
The dense eig at n = 64 (a 4096 x 4096 complex eig) takes minutes and is run once.
"""

from __future__ import annotations

import os
import sys
import tracemalloc

import numpy as np

from booktools.support import best_time, blas_threads, save_results, table
from helpers.channels import (
    channel_operator,
    fixed_point,
    random_kraus,
    superoperator,
)

D = 3
DENSE_SIZES = (8, 16, 32, 64)  # full eig of the superoperator
MATVEC_SIZES = (8, 16, 32, 64, 128, 256, 512)
DENSE_MATVEC_MAX = 64  # S itself takes 16 n^4 bytes: 270 MB at n = 64
SOLVER_SIZES = (8, 16, 32, 64, 128, 256)
BIG_N = 256
MEMORY_CASES = ((64, 3), (128, 3), (256, 3), (128, 2), (128, 6), (128, 12))
TARGET_RATIO_64 = 1000.0
TARGET_SECONDS_256 = 10.0


def kraus_for(n: int) -> np.ndarray:
    return random_kraus(n, D, rng=np.random.default_rng(n))


def start_vector(n: int) -> np.ndarray:
    rng = np.random.default_rng(1000 + n)
    return rng.standard_normal(n * n) + 1j * rng.standard_normal(n * n)


def main() -> int:
    load_before = os.getloadavg()
    rows = []
    matvec = {}
    solvers = {}
    with blas_threads(1):
        for n in MATVEC_SIZES:
            k = kraus_for(n)
            op = channel_operator(k)
            v = start_vector(n)
            free = best_time(lambda op=op, v=v: op @ v, repeat=7, number=3)
            dense = None
            if n <= DENSE_MATVEC_MAX:
                s = superoperator(k)
                dense = best_time(lambda s=s, v=v: s @ v, repeat=5, number=3)
                del s
            matvec[n] = {"matrix_free_s": free, "dense_s": dense}
        for n in SOLVER_SIZES:
            k = kraus_for(n)
            v0 = start_vector(n)
            arpack = best_time(
                lambda k=k, v0=v0: fixed_point(k, method="arpack", v0=v0),
                repeat=5 if n <= 64 else 3,
            )
            power = best_time(
                lambda k=k, v0=v0: fixed_point(k, method="power", v0=v0),
                repeat=5 if n <= 64 else 3,
            )
            dense = None
            if n in DENSE_SIZES:
                dense = best_time(
                    lambda k=k: fixed_point(k, method="dense"), repeat=1 if n >= 64 else 3
                )
            solvers[n] = {"arpack_s": arpack, "power_s": power, "dense_eig_s": dense}
            print(f"  n={n}: arpack {arpack:.4f} s, dense eig {dense} s", flush=True)

        # peak memory of fixed_point (traced in separate, untimed runs), across n and d
        memory = {}
        for n, d in MEMORY_CASES:
            k = random_kraus(n, d, rng=np.random.default_rng(n + d))
            tracemalloc.start()
            lam, rho = fixed_point(k, v0=start_vector(n))
            _, peak_nd = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            assert abs(lam - 1.0) < 1e-9
            assert abs(np.trace(rho) - 1.0) < 1e-12
            memory[f"{n},{d}"] = {
                "n": n,
                "d": d,
                "peak_bytes": peak_nd,
                "peak_in_n2_matrices": peak_nd / (16 * n * n),
            }
        big_seconds = solvers[BIG_N]["arpack_s"]
        peak = memory[f"{BIG_N},{D}"]["peak_bytes"]

    for n in sorted(set(MATVEC_SIZES) | set(SOLVER_SIZES)):
        mv, so = matvec.get(n, {}), solvers.get(n, {})
        rows.append(
            {
                "n": n,
                "matvec free (ms)": f"{1e3 * mv['matrix_free_s']:.3f}" if mv else "-",
                "matvec dense (ms)": (
                    f"{1e3 * mv['dense_s']:.3f}" if mv and mv["dense_s"] else "-"
                ),
                "arpack (s)": f"{so['arpack_s']:.4f}" if so else "-",
                "power (s)": f"{so['power_s']:.4f}" if so else "-",
                "dense eig (s)": f"{so['dense_eig_s']:.3f}" if so.get("dense_eig_s") else "-",
                "eig / arpack": (
                    f"{so['dense_eig_s'] / so['arpack_s']:.0f}x" if so.get("dense_eig_s") else "-"
                ),
            }
        )
    print(table(rows))
    print()
    print(
        table(
            [
                {
                    "n": m["n"],
                    "d": m["d"],
                    "peak MiB": f"{m['peak_bytes'] / 2**20:.1f}",
                    "peak / (16 n^2 bytes)": f"{m['peak_in_n2_matrices']:.1f}",
                }
                for m in memory.values()
            ]
        )
    )
    print(
        f"(1-min load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after, "
        f"on {os.cpu_count()} CPUs; BLAS pinned to 1 thread)"
    )
    ratio_32 = solvers[32]["dense_eig_s"] / solvers[32]["arpack_s"]
    ratio_64 = solvers[64]["dense_eig_s"] / solvers[64]["arpack_s"]
    bytes_per_matrix = 16 * BIG_N**2
    print(
        f"\nn=32: eig/arpack = {ratio_32:.0f}x; n=64: eig/arpack = {ratio_64:.0f}x "
        f"(target >= {TARGET_RATIO_64:.0f}x)\n"
        f"n={BIG_N}, d={D}: {big_seconds:.2f} s (target < {TARGET_SECONDS_256:.0f} s), "
        f"peak traced memory {peak / 2**20:.1f} MiB = {peak / bytes_per_matrix:.1f} n x n "
        f"complex matrices (the dense S would need {16 * BIG_N**4 / 2**30:.0f} GiB)"
    )
    save_results(
        "channels",
        {
            "headline": {
                "label": "matrix-free ARPACK fixed point vs dense eig of the superoperator, n=64",
                "value": round(ratio_64, 1),
                "unit": "x",
                "target": TARGET_RATIO_64,
            },
            "threads": 1,
            "load_average_1min": {"before": load_before[0], "after": os.getloadavg()[0]},
            "cpus": os.cpu_count(),
            "d": D,
            "matvec": {str(n): v for n, v in matvec.items()},
            "solvers": {str(n): v for n, v in solvers.items()},
            "ratio_eig_over_arpack": {"32": ratio_32, "64": ratio_64},
            "memory": memory,
            "big": {
                "n": BIG_N,
                "d": D,
                "seconds": big_seconds,
                "target_seconds": TARGET_SECONDS_256,
                "peak_bytes": peak,
                "peak_in_n2_matrices": peak / bytes_per_matrix,
                "dense_superoperator_bytes": 16 * BIG_N**4,
            },
        },
    )
    missed = []
    if ratio_64 < TARGET_RATIO_64:
        missed.append(f"eig/arpack at n=64 is {ratio_64:.0f}x < {TARGET_RATIO_64:.0f}x")
    if big_seconds >= TARGET_SECONDS_256:
        missed.append(f"n={BIG_N} took {big_seconds:.1f} s >= {TARGET_SECONDS_256:.0f} s")
    for m in missed:
        print(f"TARGET MISSED: {m}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
