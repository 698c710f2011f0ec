"""Run the benchmarks and print their tables: ``make bench`` and ``make bench-peers``.

Each ``bench_*.py`` here is a script with a ``main() -> int`` that measures, reports (a table of
ratios against the naive method measured in the same run) and saves its figures to
``benchmarks/results/<name>.json``; it returns non-zero when a result misses the floor it states.

With ``--peers``, the scripts of ``benchmarks/peers/`` run instead: each compares a helper with
the tools readers would otherwise use (PyTorch, JAX, QuTiP, SciPy's own functions), checks that
they agree before timing anything, and writes ``benchmarks/results/peers_<name>.json``, which
the page "Choosing a tool" reads. Peers that are not installed are reported and skipped; install
them with ``pip install -e '.[peers]'``.

``python benchmarks/run_all.py [--peers] [NAME ...]`` runs all of them, or those whose file name
contains a NAME.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts(peers: bool) -> list[Path]:
    """The benchmark scripts, or the peer comparisons, in name order."""
    if peers:
        return sorted(p for p in (HERE / "peers").glob("*.py") if not p.stem.startswith("_"))
    return sorted(HERE.glob("bench_*.py"))


def run(script: Path) -> int:
    """Import ``script`` as a module and return what its ``main()`` returns."""
    name = f"bench_{script.parent.name}_{script.stem}"
    spec = importlib.util.spec_from_file_location(name, script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main()


def main(argv: list[str]) -> int:
    peers = "--peers" in argv
    names = [a for a in argv if a != "--peers"]
    chosen = [s for s in scripts(peers) if not names or any(n in s.stem for n in names)]
    if not chosen:
        print("no benchmark matched", file=sys.stderr)
        return 1
    failed = []
    for script in chosen:
        print(f"\n=== {'peers: ' if peers else ''}{script.stem} ===", flush=True)
        if run(script) != 0:
            failed.append(script.stem)
    if failed:
        print(f"\nfailed or missed their floor: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"\nall {len(chosen)} {'peer comparisons' if peers else 'benchmarks'} ran")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
