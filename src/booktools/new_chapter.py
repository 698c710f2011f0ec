"""Start a chapter right: ``make new-chapter NAME=<module>`` (``python -m booktools.new_chapter``).

Writes the chapter's own files from the templates in ``booktools/templates``, and nothing else:

- ``chapters/NN_<module>.md`` (the next free number), with its registry block;
- ``src/helpers/<module>.py``, ``tests/test_<module>.py``, ``benchmarks/bench_<module>.py``;

then runs the benchmark once (so ``benchmarks/results/<module>.json`` exists) and executes the
new page (``chapters/NN_<module>.ipynb``). The landing page picks the chapter up from the
registry; re-execute ``index.md`` to show it.
"""

from __future__ import annotations

import argparse
import re
import runpy
import sys
from importlib import resources
from pathlib import Path

from booktools.pairs import ROOT, Pair

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _template(name: str) -> str:
    return resources.files("booktools").joinpath(f"templates/{name}.tmpl").read_text("utf-8")


def create(name: str, root: Path = ROOT, *, title: str = "", question: str = "") -> list[Path]:
    """Write the files of a new chapter for module ``name`` under ``root``; return their paths."""
    if not _NAME.match(name):
        raise ValueError(f"NAME must be a Python module name in lower case, got {name!r}")
    chapters = root / "chapters"
    existing = sorted(chapters.glob("[0-9][0-9]_*.md"))
    if any(p.stem[3:] == name for p in existing):
        raise ValueError(f"a chapter for module {name!r} exists already")
    number = 1 + max((int(p.stem[:2]) for p in existing), default=0)
    slug = f"{number:02d}_{name}"
    fields = {
        "module": name,
        "slug": slug,
        "label": name.replace("_", "-"),
        "title": title or name.replace("_", " ").capitalize(),
        "question": (question or "The question, in one line.").replace('"', '\\"'),
    }
    targets = {
        chapters / f"{slug}.md": "chapter.md",
        root / "src" / "helpers" / f"{name}.py": "module.py",
        root / "tests" / f"test_{name}.py": "test_module.py",
        root / "benchmarks" / f"bench_{name}.py": "bench_module.py",
    }
    clash = [p for p in targets if p.exists()]
    if clash:
        raise ValueError(f"refusing to overwrite {', '.join(map(str, clash))}")
    for path, template in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_template(template).format(**fields), encoding="utf-8")
    return list(targets)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="the module name, e.g. sparse_solvers")
    parser.add_argument("--title", default="")
    parser.add_argument("--question", default="")
    parser.add_argument("--no-run", action="store_true", help="write the files only")
    args = parser.parse_args(argv)
    try:
        paths = create(args.name, title=args.title, question=args.question)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in paths:
        print(f"wrote {path.relative_to(ROOT)}")
    if not args.no_run:
        from booktools.execute import execute_pair

        bench = runpy.run_path(str(paths[3]))
        bench["main"]()
        execute_pair(Pair(paths[0], paths[0].with_suffix(".ipynb")))
        print(f"executed {paths[0].with_suffix('.ipynb').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
