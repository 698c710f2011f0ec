"""Linear regression forward pass plus gradients: helpers against hand NumPy and PyTorch.

One computation, float64, one thread everywhere: the mean-squared-error loss of
``P = X @ W + B`` and its gradients with respect to ``W`` (D, 1) and ``B`` (1, 1), for a batch
``X`` of shape (N, D), at (N, D) = (100 000, 50) and (1 000 000, 50).

* helpers: ``forward_linear_regression`` + ``loss_gradients`` (with their input checks);
* hand NumPy: the same two passes written directly, without checks;
* torch: ``X @ W + B``, ``((y - P) ** 2).mean()`` and ``loss.backward()`` on CPU tensors that
  share the NumPy arrays' memory (``torch.from_numpy``), with ``torch.set_num_threads(1)``;
* floor: the two bare products ``X @ W`` and ``X.T @ r`` that any implementation needs (each
  reads all of ``X``), timed as a reference, not as a contender.

Every contender's loss and gradients are checked against the helpers' to 1e-12 (relative: the
largest difference over the largest magnitude) before any timing; contenders are timed in
interleaved rounds (each round times every contender once, in rotating order) and the median
is kept. torch is optional: when it cannot be imported the script says so and goes on without
it.

Run: ``python benchmarks/peers/linear_regression.py`` (in an environment with torch installed,
e.g. ``pip install -e . torch==2.13.0 threadpoolctl``). Results:
``benchmarks/results/peers_linear_regression.json``, written with
:func:`booktools.support.save_results`, with keys

``machine``
    Python, NumPy and processor (added by ``save_results``).
``versions``
    ``{"numpy": ..., "torch": ... or null}``.
``threads``, ``load_average_1min``, ``load_average_1min_end``
    1, and the one-minute load average when the run started and when it ended.
``skipped``
    ``{peer: reason}`` for every peer that could not be imported.
``rows``
    One dict per size: ``n``, ``d``, ``rounds``, ``seconds`` (``{contender: median seconds}``
    with contenders ``helpers``, ``numpy``, ``torch`` and the reference ``floor``),
    ``agreement`` (``{peer: largest relative difference from helpers}``, each <= 1e-12) and
    ``ratio`` (``{peer or "floor": helpers time / its time}``; above 1 means helpers is slower).
"""

from __future__ import annotations

import os
import statistics
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from booktools.support import best_time, blas_threads, save_results, table
from helpers.linear_regression import forward_linear_regression, loss_gradients

SIZES = [(100_000, 50), (1_000_000, 50)]
ROUNDS = {100_000: 21, 1_000_000: 11}
AGREEMENT = 1e-12

try:
    import torch
except ImportError as err:  # optional peer
    torch = None
    TORCH_SKIPPED = f"torch cannot be imported ({err}); install torch==2.13.0 to compare"
else:
    TORCH_SKIPPED = ""

Result = tuple[float, np.ndarray, np.ndarray]  # loss, dL/dW (D, 1), dL/dB (1, 1)


def helpers_pass(X, y, w) -> Result:
    loss, info = forward_linear_regression(X, y, w)
    g = loss_gradients(info, w)
    return loss, g["W"], g["B"]


def numpy_pass(X, y, w) -> Result:
    n = X.shape[0]
    P = X @ w["W"] + w["B"]
    loss = float(np.mean((y - P) ** 2))
    dL_dP = 2.0 / n * (P - y)
    return loss, X.T @ dL_dP, dL_dP.sum(axis=0, keepdims=True)


def torch_contender(X, y, w) -> Callable[[], Result]:
    """A closure running torch's forward and autograd backward on tensors sharing X and y."""
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    Wt = torch.from_numpy(w["W"].copy()).requires_grad_(True)
    Bt = torch.from_numpy(w["B"].copy()).requires_grad_(True)

    def run() -> Result:
        Wt.grad = Bt.grad = None
        loss = ((yt - (Xt @ Wt + Bt)) ** 2).mean()
        loss.backward()
        return float(loss.detach()), Wt.grad.numpy(), Bt.grad.numpy()

    return run


def relative_difference(got: Result, want: Result) -> float:
    """The largest difference over the largest magnitude, per output, maximised over outputs."""
    worst = 0.0
    for a, b in zip(got, want, strict=True):
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        worst = max(worst, float(np.max(np.abs(a - b)) / np.max(np.abs(b))))
    return worst


def measure(n: int, d: int, rng: np.random.Generator) -> dict[str, Any]:
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal((d, 1)) + 0.1 * rng.standard_normal((n, 1))
    w = {"W": rng.standard_normal((d, 1)), "B": rng.standard_normal((1, 1))}
    r = rng.standard_normal((n, 1))
    contenders: dict[str, Callable[[], Any]] = {
        "helpers": lambda: helpers_pass(X, y, w),
        "numpy": lambda: numpy_pass(X, y, w),
    }
    if torch is not None:
        contenders["torch"] = torch_contender(X, y, w)

    reference = contenders["helpers"]()
    agreement = {}
    for name, fn in contenders.items():
        if name != "helpers":
            agreement[name] = relative_difference(fn(), reference)
            if not agreement[name] <= AGREEMENT:
                raise AssertionError(f"{name} differs from helpers by {agreement[name]:.2e}")

    contenders["floor"] = lambda: (X @ w["W"], X.T @ r)
    names = list(contenders)
    times: dict[str, list[float]] = {name: [] for name in names}
    for k in range(ROUNDS[n]):
        for name in names[k % len(names) :] + names[: k % len(names)]:  # rotating order
            times[name].append(best_time(contenders[name], repeat=1))
    seconds = {name: statistics.median(ts) for name, ts in times.items()}
    ratio = {name: seconds["helpers"] / seconds[name] for name in names if name != "helpers"}
    return {
        "n": n,
        "d": d,
        "rounds": ROUNDS[n],
        "seconds": seconds,
        "agreement": agreement,
        "ratio": ratio,
    }


def main() -> int:
    if torch is None:
        print(f"skipping torch: {TORCH_SKIPPED}")
    else:
        torch.set_num_threads(1)
    load_start = os.getloadavg()[0]
    rng = np.random.default_rng(20260417)
    with blas_threads(1):
        rows = [measure(n, d, rng) for n, d in SIZES]
    load_end = os.getloadavg()[0]

    print(
        table(
            [
                {
                    "N": row["n"],
                    "D": row["d"],
                    **{f"{name} (ms)": f"{1e3 * t:.2f}" for name, t in row["seconds"].items()},
                    **{f"helpers / {name}": f"{v:.2f}" for name, v in row["ratio"].items()},
                }
                for row in rows
            ]
        )
    )
    print(
        f"medians of interleaved rounds, 1 thread; agreement <= {AGREEMENT:g} checked first; "
        f"1-minute load average {load_start:.2f} at the start, {load_end:.2f} at the end"
    )
    save_results(
        "peers_linear_regression",
        {
            "versions": {
                "numpy": np.__version__,
                "torch": None if torch is None else torch.__version__,
            },
            "threads": 1,
            "load_average_1min": load_start,
            "load_average_1min_end": load_end,
            "skipped": {} if torch is not None else {"torch": TORCH_SKIPPED},
            "rows": rows,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
