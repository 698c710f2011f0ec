"""Run every benchmark in this folder and print its table.

Each ``bench_*.py`` is a script with a ``main() -> int`` that prints a table of ratios against the
naive method measured in the same run, writes its figures to ``benchmarks/results/<name>.json``,
and returns non-zero when a target stated in its issue is missed.
``python benchmarks/run_all.py [NAME ...]`` runs all of them, or those named.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if any(name in s.stem for name in argv)]
    if not scripts:
        print("no benchmarks matched", file=sys.stderr)
        return 1
    failed = []
    for script in scripts:
        print(f"\n=== {script.stem} ===", flush=True)
        spec = importlib.util.spec_from_file_location(script.stem, script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if module.main() != 0:
            failed.append(script.stem)
    if failed:
        print(f"\nbenchmarks that missed their target: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"\nall {len(scripts)} benchmarks met their targets")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
