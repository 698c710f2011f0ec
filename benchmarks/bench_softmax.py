"""Softmax helpers against hand-written NumPy and against the machine's memory floor.

Two measurements, both with BLAS pinned to one thread:

1. **Backprop through softmax: VJP vs explicit Jacobian.** For a batch of ``n`` samples with ``k``
   classes, backpropagating an upstream gradient ``g`` can either form every Jacobian
   ``J = diag(s) - s s^T`` (``n * k * k`` numbers) and multiply ``g @ J``, or use
   ``softmax_vjp(s, g) = s * (g - <g, s>)``. The chapter claims a speed ratio above 300x at
   (n, k) = (256, 1000) and a VJP peak memory of O(n k); both peaks are measured with tracemalloc
   and reported in units of ``n * k * 8`` bytes (one float64 array of the batch).

2. **Each helper against the NumPy a reader would write, and against a floor**, at (256, 1000)
   and (4096, 10000) float64: ``softmax``, ``log_softmax``, ``softmax_vjp``, ``cross_entropy``
   and ``cross_entropy_grad`` (class indices). Contenders are timed in interleaved rounds
   (every round times each contender once, in rotating order) and the median is reported.

   * ``hand``: the idiomatic NumPy expression (below), without any input validation.
   * ``floor``: the minimum memory traffic of the computation, in units of one ``np.copyto`` of
     the ``(n, k)`` array (one array read plus one written), measured in the same rounds:
     ``softmax``, ``log_softmax`` and ``cross_entropy_grad`` read ``z`` and write one array
     (1 copy); ``softmax_vjp`` reads ``s`` and ``g`` and writes one array (1.5 copies);
     ``cross_entropy`` only reads ``z`` (0.5 copies). The exponentials are not in the floor,
     so a ratio to the floor also shows how much of the time is arithmetic.

   Every contender's result is checked against the helper's (1e-12) before any timing.

3. **Where the explicit product's time goes**, at k = 100, 300 and 1000 (n = 256), in
   interleaved rounds (the best round of each): building the Jacobians into a fresh array (as
   ``softmax_jacobian`` does) and into one allocated beforehand (``np.multiply`` and the diagonal's
   ``np.einsum`` view with ``out=``), the batched product alone (Jacobians built beforehand), and
   the whole explicit product with the Jacobians built either way. The minor page faults of one
   call of each build (``getrusage``) show which arrays come as fresh pages from the operating
   system; the size of the last-level cache is recorded alongside.

4. **The helper's fixed cost per call**: ``softmax_vjp`` against the bare one-liner at n = 256,
   k = 10 and 1000, in interleaved rounds; ``checks_share`` = 1 - one-liner / helper (medians).

Run: ``python benchmarks/bench_softmax.py`` (or ``python benchmarks/run_all.py softmax``);
``--split-only`` re-runs part 3 alone and replaces it in the saved results.
Results: ``benchmarks/results/softmax.json``.
"""

from __future__ import annotations

import os
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from booktools.support import (
    best_time,
    blas_threads,
    interleaved_times,
    load_results,
    peak_bytes,
    save_results,
    table,
)
from helpers.softmax import (
    cross_entropy,
    cross_entropy_grad,
    log_softmax,
    softmax,
    softmax_jacobian,
    softmax_vjp,
)

TARGET_N, TARGET_K = 256, 1000
#: The claim the chapter makes about the VJP against the explicit Jacobian product.
CLAIMED_RATIO = 300.0
#: The VJP may use at most this many batch-sized float64 arrays at its peak (O(n k)).
VJP_MEMORY_BOUND = 8.0
SWEEP_K = (10, 30, 100, 300, 1000)
#: Sizes of the comparison with hand-written NumPy, and rounds per size.
SIZES = ((256, 1000, 41), (4096, 10000, 7))
#: Each helper must be within this factor of the hand-written NumPy.
HAND_LIMIT = 1.1
#: Sizes (k, rounds) at which the explicit product's time is split, with n = TARGET_N.
SPLIT = ((100, 61), (300, 31), (1000, 11))
#: Sizes (k, rounds) of the fixed cost per call of softmax_vjp, with n = TARGET_N.
PER_CALL = ((10, 201), (1000, 201))


# -- part 1: VJP against the explicit Jacobian ----------------------------------------------------


def explicit_product(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    """The naive backward pass: form every (k, k) Jacobian, then ``g @ J`` sample by sample."""
    return np.matmul(g[:, None, :], softmax_jacobian(s))[:, 0, :]


def measure_jacobian(n: int, k: int, rng: np.random.Generator, repeat: int) -> dict[str, Any]:
    s = softmax(rng.normal(size=(n, k)))
    g = rng.normal(size=(n, k))
    np.testing.assert_allclose(softmax_vjp(s, g), explicit_product(s, g), rtol=1e-10, atol=1e-14)
    t_vjp = best_time(lambda: softmax_vjp(s, g), repeat=max(repeat, 20))
    t_jac = best_time(lambda: explicit_product(s, g), repeat=repeat)
    mem_vjp = peak_bytes(lambda: softmax_vjp(s, g))
    return {
        "n": n,
        "k": k,
        "repeat_vjp": max(repeat, 20),
        "repeat_jacobian": repeat,
        "t_vjp_s": t_vjp,
        "t_jacobian_s": t_jac,
        "ratio": t_jac / t_vjp,
        "peak_bytes_vjp": mem_vjp,
        "peak_vjp_in_batch_arrays": mem_vjp / (n * k * 8),
    }


# -- part 2: hand-written NumPy and the floor ------------------------------------------------------


def hand_softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def hand_log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def hand_vjp(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    return s * (g - (g * s).sum(axis=-1, keepdims=True))


def hand_cross_entropy(z: np.ndarray, y: np.ndarray) -> float:
    m = z.max(axis=-1)
    lse = m + np.log(np.exp(z - m[:, None]).sum(axis=-1))
    return float(np.mean(lse - z[np.arange(len(y)), y]))


def hand_cross_entropy_grad(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    grad = hand_softmax(z)
    grad[np.arange(len(y)), y] -= 1
    return grad / len(y)


#: helper name -> (helper, hand version, argument names, floor in copies of one (n, k) array)
CASES: dict[str, tuple[Callable[..., Any], Callable[..., Any], tuple[str, ...], float]] = {
    "softmax": (softmax, hand_softmax, ("z",), 1.0),
    "log_softmax": (log_softmax, hand_log_softmax, ("z",), 1.0),
    "softmax_vjp": (softmax_vjp, hand_vjp, ("s", "g"), 1.5),
    "cross_entropy": (cross_entropy, hand_cross_entropy, ("z", "y"), 0.5),
    "cross_entropy_grad": (cross_entropy_grad, hand_cross_entropy_grad, ("z", "y"), 1.0),
}


def measure_hand(n: int, k: int, rounds: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    z = rng.normal(scale=3.0, size=(n, k))
    data = {"z": z, "s": softmax(z), "g": rng.normal(size=(n, k)), "y": rng.integers(0, k, n)}
    dst = np.empty_like(z)
    rows = []
    for name, (helper, hand, argnames, passes) in CASES.items():
        args = [data[a] for a in argnames]
        np.testing.assert_allclose(helper(*args), hand(*args), rtol=1e-12, atol=1e-15)
        times = interleaved_times(
            {
                "helper": lambda helper=helper, args=args: helper(*args),
                "hand": lambda hand=hand, args=args: hand(*args),
                "copyto": lambda: np.copyto(dst, z),
            },
            rounds=rounds,
        )
        med = {name: statistics.median(ts) for name, ts in times.items()}
        floor = passes * med["copyto"]
        rows.append(
            {
                "helper": name,
                "n": n,
                "k": k,
                "rounds": rounds,
                "t_helper_s": med["helper"],
                "t_hand_s": med["hand"],
                "t_copyto_s": med["copyto"],
                "floor_copies": passes,
                "vs_hand": med["helper"] / med["hand"],
                "vs_floor": med["helper"] / floor,
                "hand_vs_floor": med["hand"] / floor,
            }
        )
    return rows


# -- parts 3 and 4: where the time goes -----------------------------------------------------------


def _minor_faults() -> int | None:
    """Minor page faults of this process so far (None where ``getrusage`` is missing)."""
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def faults_per_call(fn: Callable[[], Any]) -> int | None:
    """Minor page faults of one call of ``fn`` (after a first call that warms the allocator)."""
    fn()
    before = _minor_faults()
    fn()
    after = _minor_faults()
    return None if before is None or after is None else after - before


def last_level_cache_bytes() -> int | None:
    """The largest cache of CPU 0 in bytes, from Linux's sysfs (None elsewhere)."""
    sizes = []
    for path in Path("/sys/devices/system/cpu/cpu0/cache").glob("index*/size"):
        text = path.read_text(encoding="utf-8").strip()
        units = {"K": 2**10, "M": 2**20, "G": 2**30}
        sizes.append(int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text))
    return max(sizes) if sizes else None


def build_jacobians(s: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``softmax_jacobian``'s two array operations without its checks, optionally into ``out``."""
    jac = np.multiply(s[..., :, None], -s[..., None, :], out=out)
    np.einsum("...ii->...i", jac)[...] += s
    return jac


def measure_split(n: int, k: int, rounds: int, rng: np.random.Generator) -> dict[str, Any]:
    """Best of interleaved rounds: build J fresh or preallocated; product; the whole, both ways."""
    s = softmax(rng.normal(size=(n, k)))
    g = rng.normal(size=(n, k))
    buf = np.empty((n, k, k))
    np.testing.assert_array_equal(build_jacobians(s), softmax_jacobian(s))
    np.testing.assert_array_equal(build_jacobians(s, out=buf), softmax_jacobian(s))
    np.testing.assert_allclose(
        np.matmul(g[:, None, :], buf)[:, 0, :], softmax_vjp(s, g), rtol=1e-10, atol=1e-14
    )
    contenders = {
        "build_new": lambda: build_jacobians(s),
        "build_prealloc": lambda: build_jacobians(s, out=buf),
        "product": lambda: np.matmul(g[:, None, :], buf),  # buf always holds J
        "whole_new": lambda: np.matmul(g[:, None, :], build_jacobians(s))[:, 0, :],
        "whole_prealloc": lambda: np.matmul(g[:, None, :], build_jacobians(s, out=buf))[:, 0, :],
    }
    times = interleaved_times(contenders, rounds=rounds)
    entries = n * k * k
    row: dict[str, Any] = {
        "n": n,
        "k": k,
        "rounds": rounds,
        "jacobian_bytes": 8 * entries,
        "last_level_cache_bytes": last_level_cache_bytes(),
        "faults_build_new": faults_per_call(contenders["build_new"]),
        "faults_build_prealloc": faults_per_call(contenders["build_prealloc"]),
    }
    for name, ts in times.items():  # the least disturbed round: the machine may be shared
        row[f"t_{name}_s"] = min(ts)
        row[f"ns_per_entry_{name}"] = min(ts) / entries * 1e9
    return row


def measure_per_call(n: int, k: int, rounds: int, rng: np.random.Generator) -> dict[str, Any]:
    """Medians of interleaved rounds of softmax_vjp and the bare one-liner."""
    s = softmax(rng.normal(size=(n, k)))
    g = rng.normal(size=(n, k))
    np.testing.assert_allclose(softmax_vjp(s, g), hand_vjp(s, g), rtol=1e-12, atol=1e-15)
    times = interleaved_times(
        {"helper": lambda: softmax_vjp(s, g), "hand": lambda: hand_vjp(s, g)}, rounds=rounds
    )
    t_helper, t_hand = (statistics.median(times[name]) for name in ("helper", "hand"))
    return {
        "n": n,
        "k": k,
        "rounds": rounds,
        "t_helper_s": t_helper,
        "t_hand_s": t_hand,
        "checks_share": 1 - t_hand / t_helper,
    }


# -- main: measure, report, save -------------------------------------------------------------------


def measure() -> dict[str, Any]:
    rng = np.random.default_rng(20260301)
    with blas_threads(1):
        sweep = [measure_jacobian(TARGET_N, k, rng, 3 if k == TARGET_K else 15) for k in SWEEP_K]
        s = softmax(rng.normal(size=(TARGET_N, TARGET_K)))
        g = rng.normal(size=(TARGET_N, TARGET_K))
        mem_vjp = peak_bytes(lambda: softmax_vjp(s, g))
        mem_jac = peak_bytes(lambda: explicit_product(s, g))
        hand = [row for n, k, rounds in SIZES for row in measure_hand(n, k, rounds, rng)]
        split = [measure_split(TARGET_N, k, rounds, rng) for k, rounds in SPLIT]
        per_call = [measure_per_call(TARGET_N, k, rounds, rng) for k, rounds in PER_CALL]
    return {
        "sweep": sweep,
        "mem_vjp": mem_vjp,
        "mem_jac": mem_jac,
        "hand": hand,
        "split": split,
        "per_call": per_call,
    }


def report_split(split: list[dict[str, Any]]) -> None:
    print("\nexplicit product, ns per Jacobian entry (best of interleaved rounds):")
    print(
        table(
            {
                "k": r["k"],
                "J (MB)": f"{r['jacobian_bytes'] / 1e6:.1f}",
                "build J, fresh": f"{r['ns_per_entry_build_new']:.2f}",
                "build J, prealloc.": f"{r['ns_per_entry_build_prealloc']:.2f}",
                "product, J built": f"{r['ns_per_entry_product']:.2f}",
                "whole, fresh J": f"{r['ns_per_entry_whole_new']:.2f}",
                "whole, prealloc. J": f"{r['ns_per_entry_whole_prealloc']:.2f}",
                "page faults fresh/prealloc.": (
                    f"{r['faults_build_new']}/{r['faults_build_prealloc']}"
                ),
            }
            for r in split
        )
    )


def report(m: dict[str, Any], load: float | None) -> None:
    batch_bytes = TARGET_N * TARGET_K * 8
    print(
        table(
            {
                "n": r["n"],
                "k": r["k"],
                "VJP (s)": f"{r['t_vjp_s']:.3g}",
                "explicit J (s)": f"{r['t_jacobian_s']:.3g}",
                "ratio": f"{r['ratio']:.0f}x",
                "VJP peak / (n*k*8 B)": f"{r['peak_vjp_in_batch_arrays']:.2f}",
            }
            for r in m["sweep"]
        )
    )
    print(
        f"\npeak memory at (n, k) = ({TARGET_N}, {TARGET_K}): VJP {m['mem_vjp'] / 1e6:.2f} MB, "
        f"explicit Jacobian {m['mem_jac'] / 1e6:.1f} MB "
        f"({m['mem_jac'] / batch_bytes:.0f} x n*k*8 B)"
    )
    print("\nhelpers against hand-written NumPy and the copy floor (medians, 1 BLAS thread):")
    print(
        table(
            {
                "helper": r["helper"],
                "(n, k)": f"({r['n']}, {r['k']})",
                "helper (ms)": f"{r['t_helper_s'] * 1e3:.3g}",
                "hand (ms)": f"{r['t_hand_s'] * 1e3:.3g}",
                "helper/hand": f"{r['vs_hand']:.2f}",
                "floor (copies)": r["floor_copies"],
                "helper/floor": f"{r['vs_floor']:.2f}",
                "hand/floor": f"{r['hand_vs_floor']:.2f}",
            }
            for r in m["hand"]
        )
    )
    report_split(m["split"])
    print("\nsoftmax_vjp against the one-liner (medians of interleaved rounds):")
    print(
        table(
            {
                "k": r["k"],
                "softmax_vjp (us)": f"{r['t_helper_s'] * 1e6:.3g}",
                "one-liner (us)": f"{r['t_hand_s'] * 1e6:.3g}",
                "checks' share": f"{r['checks_share']:.2f}",
            }
            for r in m["per_call"]
        )
    )
    print(f"\n1-min load average: {load}")


def save(m: dict[str, Any], load: float | None) -> tuple[bool, bool, bool]:
    target = m["sweep"][-1]
    batch_bytes = TARGET_N * TARGET_K * 8
    ratio_ok = target["ratio"] >= CLAIMED_RATIO
    memory_ok = m["mem_vjp"] <= VJP_MEMORY_BOUND * batch_bytes and all(
        r["peak_vjp_in_batch_arrays"] <= VJP_MEMORY_BOUND for r in m["sweep"]
    )
    hand_ok = all(r["vs_hand"] <= HAND_LIMIT for r in m["hand"])
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
                "target": CLAIMED_RATIO,
            },
            "threads": 1,
            "load_average_1min": load,
            "sweep": m["sweep"],
            "memory": {
                "n": TARGET_N,
                "k": TARGET_K,
                "peak_bytes_vjp": m["mem_vjp"],
                "peak_bytes_jacobian": m["mem_jac"],
                "batch_bytes": batch_bytes,
                "vjp_bound_batch_arrays": VJP_MEMORY_BOUND,
            },
            "hand": m["hand"],
            "hand_limit": HAND_LIMIT,
            "split": m["split"],
            "split_load_average_1min": load,
            "per_call": m["per_call"],
            "targets_met": {"ratio": ratio_ok, "vjp_memory_O_nk": memory_ok, "hand": hand_ok},
        },
    )
    return ratio_ok, memory_ok, hand_ok


def measure_split_only() -> list[dict[str, Any]]:
    """Part 3 alone, with its own generator: to re-run it without the rest."""
    rng = np.random.default_rng(20260302)
    with blas_threads(1):
        return [measure_split(TARGET_N, k, rounds, rng) for k, rounds in SPLIT]


def main(argv: list[str] | None = None) -> int:
    """Measure, report and save; ``--split-only`` re-runs part 3 into the saved results."""
    if argv and argv != ["--split-only"]:
        raise SystemExit(f"usage: bench_softmax.py [--split-only], got {argv}")
    if argv:
        results = load_results("softmax")
        split = measure_split_only()
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        report_split(split)
        print(f"\n1-min load average: {load}")
        results.pop("machine")
        save_results("softmax", {**results, "split": split, "split_load_average_1min": load})
        return 0
    m = measure()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    report(m, load)
    ratio_ok, memory_ok, hand_ok = save(m, load)
    print(
        f"VJP >= {CLAIMED_RATIO:.0f}x the explicit product: {'yes' if ratio_ok else 'NO'}; VJP "
        f"peak <= {VJP_MEMORY_BOUND:.0f} x n*k*8 B: {'yes' if memory_ok else 'NO'}; every helper "
        f"within {HAND_LIMIT}x of hand NumPy: {'yes' if hand_ok else 'NO'}"
    )
    return 0 if ratio_ok and memory_ok and hand_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
