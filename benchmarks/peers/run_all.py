"""Compare the helpers with the tools readers would otherwise use: ``make bench-peers``.

Each ``benchmarks/peers/<module>.py`` is a script with ``main() -> int`` that checks the helper
and each peer agree on the same input before timing anything, then times them side by side (one
process, contenders interleaved, one BLAS thread, medians) and writes
``benchmarks/results/peers_<module>.json``, which the book's page "Choosing a tool" reads. Peers
that are not installed are reported as such and skipped; install them with
``pip install -e '.[peers]'`` (PyTorch, JAX, QuTiP, pinned in ``pyproject.toml``).

``python benchmarks/peers/run_all.py [NAME ...]`` runs all comparisons, or those named.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name != "run_all.py" and p.stem[0] != "_")
    if argv:
        scripts = [s for s in scripts if s.stem in argv]
    if not scripts:
        print("no peer comparison matched", file=sys.stderr)
        return 1
    failed = []
    for script in scripts:
        print(f"\n=== peers: {script.stem} ===", flush=True)
        spec = importlib.util.spec_from_file_location(f"peers_{script.stem}", script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if module.main() != 0:
            failed.append(script.stem)
    if failed:
        print(f"\npeer comparisons that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"\nall {len(scripts)} peer comparisons ran")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
