"""A second numerical profile that any machine can produce, for the portability check.

``make test`` runs strict nbval twice: once as the machine computes by default, and once under
this profile: NumPy's SIMD limited to its compiled baseline (``NPY_DISABLE_CPU_FEATURES`` naming
every dispatch target this CPU has) and one BLAS thread. Both change the last bits of many results
(other kernels, another summation order), so a stored output that encodes one machine's rounding
fails here, on the author's machine, instead of on a reader's.

``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` are deliberately left alone: some processors need
them preset, because older OpenBLAS builds compute wrong results there.

``python -m booktools.profile COMMAND ...`` runs ``COMMAND`` under the profile (printing the
variables it sets first); without a command it only prints them.
"""

from __future__ import annotations

import os
import sys


def baseline_env() -> dict[str, str]:
    """The environment variables of the baseline profile for this machine's CPU."""
    from numpy._core import _multiarray_umath as umath

    have = umath.__cpu_features__
    above_baseline = [name for name in umath.__cpu_dispatch__ if have.get(name, False)]
    env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    if above_baseline:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(above_baseline)
    return env


def main(argv: list[str]) -> int:
    env = baseline_env()
    print("baseline profile: " + ", ".join(f"{k}={v}" for k, v in env.items()), flush=True)
    if not argv:
        return 0
    os.execvpe(argv[0], argv, {**os.environ, **env})
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
