"""Softmax backprop and cross-entropy: helpers against hand NumPy, PyTorch and JAX.

Two computations, each forward plus backward, at (n, k) = (256, 1000) and (4096, 10000), float64,
one thread everywhere:

* ``softmax_vjp``: ``s = softmax(z)`` and ``dz = g^T J`` for a random upstream gradient ``g``.
  helpers: ``softmax`` + ``softmax_vjp``; hand NumPy: ``scipy.special.softmax`` + the two-line
  VJP ``s * (g - (g * s).sum(-1, keepdims=True))``; torch: ``torch.softmax`` forward and
  ``torch.autograd.grad`` backward (CPU); JAX: ``jax.vjp(jax.nn.softmax, z)`` under ``jax.jit``.
* ``cross_entropy``: the mean loss and its gradient for class indices ``y``. helpers:
  ``cross_entropy`` + ``cross_entropy_grad``; hand NumPy: log-sum-exp loss and
  ``(softmax - onehot) / n``; torch: ``torch.nn.functional.cross_entropy`` + autograd; JAX:
  ``jax.value_and_grad`` of the log-softmax loss under ``jax.jit``.

Every contender's outputs are checked against the helpers' to 1e-12 (relative, with an absolute
floor of 1e-15) before any timing; contenders are timed in interleaved rounds (each round times
every contender once, in rotating order) and the median is kept. torch and JAX are optional:
when one cannot be imported the script says so and goes on without it.

Run: ``python benchmarks/peers/softmax.py`` (in an environment with torch / jax installed, e.g.
``pip install -e . torch==2.13.0 jax``). Results: ``benchmarks/results/peers_softmax.json``,
written with :func:`booktools.support.save_results`, with keys

``machine``
    Python, NumPy and processor (added by ``save_results``).
``versions``
    ``{"numpy": ..., "scipy": ..., "torch": ... or null, "jax": ... or null}``.
``threads``, ``load_average_1min``
    1, and the one-minute load average when the run started.
``skipped``
    ``{peer: reason}`` for every peer that could not be imported.
``rows``
    One dict per (computation, n, k): ``computation`` (``"softmax_vjp"`` or
    ``"cross_entropy"``), ``n``, ``k``, ``rounds``, ``seconds`` (``{contender: median seconds}``
    with contenders ``helpers``, ``numpy``, ``torch``, ``jax``) and ``ratio`` (``{peer: helpers
    time / peer time}``; above 1 means helpers is slower).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy
import scipy.special

from booktools.support import blas_threads, save_results, table
from helpers.softmax import cross_entropy, cross_entropy_grad, softmax, softmax_vjp

SIZES = ((256, 1000, 21), (4096, 10000, 7))
AGREEMENT = 1e-12


def _torch() -> Any:
    import torch

    torch.set_num_threads(1)
    return torch


def _jax() -> Any:
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")
    import jax

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    return jax


def load_peers() -> tuple[dict[str, Any], dict[str, str]]:
    peers, skipped = {}, {}
    for name, loader in (("torch", _torch), ("jax", _jax)):
        try:
            peers[name] = loader()
        except Exception as err:  # ImportError, or a broken install: say so and go on
            skipped[name] = f"{type(err).__name__}: {err}"
            print(f"skipping {name}: {skipped[name]}")
    return peers, skipped


# -- the contenders: each returns a function of (z, g, y) giving NumPy arrays ----------------------


def vjp_contenders(peers: dict[str, Any]) -> dict[str, Callable[..., tuple[Any, ...]]]:
    def helpers_vjp(z, g, y):
        s = softmax(z)
        return s, softmax_vjp(s, g)

    def numpy_vjp(z, g, y):
        s = scipy.special.softmax(z, axis=-1)
        return s, s * (g - (g * s).sum(axis=-1, keepdims=True))

    out = {"helpers": helpers_vjp, "numpy": numpy_vjp}
    if "torch" in peers:
        torch = peers["torch"]

        def torch_vjp(z, g, y):
            zt = torch.from_numpy(z).requires_grad_(True)
            s = torch.softmax(zt, dim=-1)
            (dz,) = torch.autograd.grad(s, zt, torch.from_numpy(g))
            return s.detach().numpy(), dz.numpy()

        out["torch"] = torch_vjp
    if "jax" in peers:
        jax = peers["jax"]

        @jax.jit
        def fwd_bwd(z, g):
            s, pullback = jax.vjp(lambda v: jax.nn.softmax(v, axis=-1), z)
            return s, pullback(g)[0]

        def jax_vjp(z, g, y):
            s, dz = fwd_bwd(z, g)
            return np.asarray(s.block_until_ready()), np.asarray(dz)

        out["jax"] = jax_vjp
    return out


def ce_contenders(peers: dict[str, Any]) -> dict[str, Callable[..., tuple[Any, ...]]]:
    def helpers_ce(z, g, y):
        return cross_entropy(z, y), cross_entropy_grad(z, y)

    def numpy_ce(z, g, y):
        m = z.max(axis=-1, keepdims=True)
        e = np.exp(z - m)
        total = e.sum(axis=-1, keepdims=True)
        rows = np.arange(len(y))
        loss = float(np.mean(np.log(total[:, 0]) + m[:, 0] - z[rows, y]))
        grad = e / total
        grad[rows, y] -= 1
        grad /= len(y)
        return loss, grad

    out = {"helpers": helpers_ce, "numpy": numpy_ce}
    if "torch" in peers:
        torch = peers["torch"]

        def torch_ce(z, g, y):
            zt = torch.from_numpy(z).requires_grad_(True)
            loss = torch.nn.functional.cross_entropy(zt, torch.from_numpy(y))
            (dz,) = torch.autograd.grad(loss, zt)
            return float(loss), dz.numpy()

        out["torch"] = torch_ce
    if "jax" in peers:
        jax = peers["jax"]

        def loss_fn(z, y):
            log_s = jax.nn.log_softmax(z, axis=-1)
            return -jax.numpy.mean(jax.numpy.take_along_axis(log_s, y[:, None], axis=-1))

        value_and_grad = jax.jit(jax.value_and_grad(loss_fn))

        def jax_ce(z, g, y):
            loss, dz = value_and_grad(z, y)
            return float(loss), np.asarray(dz.block_until_ready())

        out["jax"] = jax_ce
    return out


# -- measure, report, save -------------------------------------------------------------------------


def agree(reference: tuple[Any, ...], other: tuple[Any, ...], who: str) -> None:
    for ref, got in zip(reference, other, strict=True):
        np.testing.assert_allclose(got, ref, rtol=AGREEMENT, atol=1e-15, err_msg=who)


def interleaved(contenders: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    names = list(contenders)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            t0 = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def measure(peers: dict[str, Any]) -> list[dict[str, Any]]:
    rng = np.random.default_rng(20260302)
    rows = []
    for n, k, rounds in SIZES:
        z = rng.normal(scale=3.0, size=(n, k))
        g = rng.normal(size=(n, k))
        y = rng.integers(0, k, size=n)
        for computation, make in (
            ("softmax_vjp", vjp_contenders),
            ("cross_entropy", ce_contenders),
        ):
            contenders = make(peers)
            reference = contenders["helpers"](z, g, y)
            for name, fn in contenders.items():
                agree(reference, fn(z, g, y), f"{computation} {name} at ({n}, {k})")  # and warm-up
            seconds = interleaved(
                {name: (lambda fn=fn, a=(z, g, y): fn(*a)) for name, fn in contenders.items()},
                rounds,
            )
            ratio = {p: seconds["helpers"] / t for p, t in seconds.items() if p != "helpers"}
            rows.append(
                {
                    "computation": computation,
                    "n": n,
                    "k": k,
                    "rounds": rounds,
                    "seconds": seconds,
                    "ratio": ratio,
                }
            )
    return rows


def report(rows: list[dict[str, Any]]) -> None:
    print(
        table(
            {
                "computation": r["computation"],
                "(n, k)": f"({r['n']}, {r['k']})",
                "helpers (ms)": f"{r['seconds']['helpers'] * 1e3:.3g}",
                **{f"helpers/{p}": f"{v:.2f}" for p, v in r["ratio"].items()},
            }
            for r in rows
        )
    )


def main() -> int:
    peers, skipped = load_peers()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    with blas_threads(1):
        rows = measure(peers)
    report(rows)
    versions = {
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "torch": getattr(peers.get("torch"), "__version__", None),
        "jax": getattr(peers.get("jax"), "__version__", None),
    }
    save_results(
        "peers_softmax",
        {
            "versions": versions,
            "threads": 1,
            "load_average_1min": load,
            "skipped": skipped,
            "rows": rows,
        },
    )
    print(f"1-min load average at the start: {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
