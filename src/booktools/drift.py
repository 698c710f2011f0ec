"""Check that every page's Markdown source and executed notebook agree.

``python -m booktools.drift [ROOT]`` exits non-zero, naming the file and the cell, when

* one file of a pair is missing;
* the ``.md`` and the ``.ipynb`` differ in the number, type, source or tags of their cells
  (someone edited one and did not regenerate the other);
* a code cell of the ``.ipynb`` has no execution count (nbval would silently skip it);
* the ``.ipynb`` is not one top-to-bottom execution: its code cells are not numbered 1, 2, 3, ...
  in order (a cell was edited and re-run, e.g. in JupyterLab, whose pairing writes the edit to
  both files), or it holds a figure preview that only ``make lab``'s kernels show. In both cases
  ``make execute NB=X.md`` stores the checked execution;
* a stored table that ``booktools.registry`` generates (a cell ending in
  ``Markdown(landing_table())`` or ``Markdown(question_table())``) no longer matches what the
  registry gives now: a chapter's header or a committed benchmark result changed since the page
  was executed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

from booktools.lab import PREVIEW_KEY
from booktools.pairs import ROOT, Pair, find_pairs, read_md

#: Cell metadata that changes how a cell is run, checked or rendered.
COMPARED_METADATA = ("tags",)


def _first_line(source: str) -> str:
    return next((ln for ln in source.splitlines() if ln.strip()), "")[:70]


def check_pair(pair: Pair) -> list[str]:
    """Problems of one pair, each a line naming the file and the cell."""
    if not pair.md.exists():
        return [f"{pair.ipynb}: has no {pair.md.name} (the .md is the source of truth)"]
    if not pair.ipynb.exists():
        return [f"{pair.md}: has no executed {pair.ipynb.name} (run: make execute NB={pair.md})"]
    nb = nbformat.read(pair.ipynb, as_version=4)
    return cell_differences(pair, nb) + _run_problems(pair, nb)


def cell_differences(pair: Pair, nb: nbformat.NotebookNode | None = None) -> list[str]:
    """Where the cells of a pair's two files differ (number, type, source, tags, kernel).

    Both files must exist; ``nb`` is the pair's notebook when already read.
    """
    problems = []
    md = read_md(pair.md)
    nb = nbformat.read(pair.ipynb, as_version=4) if nb is None else nb
    if len(md.cells) != len(nb.cells):
        problems.append(
            f"{pair.ipynb}: {len(nb.cells)} cells, but {pair.md.name} has {len(md.cells)}"
        )
    for i, (a, b) in enumerate(zip(md.cells, nb.cells, strict=False)):
        where = f"{pair.ipynb}: cell {i} ({_first_line(a.source)!r})"
        if a.cell_type != b.cell_type:
            problems.append(f"{where}: {b.cell_type} in the .ipynb, {a.cell_type} in the .md")
        elif a.source.rstrip() != b.source.rstrip():
            problems.append(f"{where}: source differs from {pair.md.name}")
        for key in COMPARED_METADATA:
            if a.metadata.get(key) != b.metadata.get(key):
                problems.append(
                    f"{where}: metadata {key!r} is {b.metadata.get(key)!r} in the .ipynb, "
                    f"{a.metadata.get(key)!r} in the .md"
                )
    if md.metadata.get("kernelspec") != nb.metadata.get("kernelspec"):
        problems.append(f"{pair.ipynb}: kernelspec differs from {pair.md.name}")
    return problems


def _run_problems(pair: Pair, nb: nbformat.NotebookNode) -> list[str]:
    """What keeps a stored notebook from being one checked top-to-bottom run."""
    problems = []
    rerun = f"re-execute it with: make execute NB={pair.md}"
    expected = 1
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        where = f"{pair.ipynb}: cell {i} ({_first_line(cell.source)!r})"
        if cell.execution_count is None:
            problems.append(f"{where} was never executed")
        elif cell.execution_count != expected:
            problems.append(
                f"{where} ran out of order (execution count {cell.execution_count}, expected "
                f"{expected}): the stored notebook is not one top-to-bottom run; {rerun}"
            )
        expected += 1
        if any(PREVIEW_KEY in out.get("metadata", {}) for out in cell.get("outputs", [])):
            problems.append(f"{where} holds a JupyterLab figure preview; {rerun}")
    return problems


#: The registry's generated tables, by the name a page calls.
GENERATED_TABLES = ("landing_table", "question_table")
_TABLE_CALL = re.compile(r"^Markdown\((\w+)\(\)\)$")


def check_generated_tables(pair: Pair, root: Path) -> list[str]:
    """Stored outputs of the registry's tables that differ from what the registry gives now."""
    if not pair.ipynb.exists():
        return []
    from booktools import registry

    problems = []
    nb = nbformat.read(pair.ipynb, as_version=4)
    for i, cell in enumerate(nb.cells):
        lines = (
            [ln for ln in cell.source.splitlines() if ln.strip()]
            if cell.cell_type == "code"
            else []
        )
        match = _TABLE_CALL.match(lines[-1].strip()) if lines else None
        if not match or match.group(1) not in GENERATED_TABLES:
            continue
        stored = "".join(
            "".join(out.get("data", {}).get("text/markdown", "")) for out in cell.get("outputs", [])
        )
        if stored != getattr(registry, match.group(1))(root):
            problems.append(
                f"{pair.ipynb}: cell {i} ({_first_line(cell.source)!r}): the stored "
                f"{match.group(1)}() differs from what the registry gives now (a chapter header or "
                f"benchmark result changed); re-execute it with: make execute NB={pair.md}"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]).resolve() if argv else ROOT
    pairs = find_pairs(root)
    problems = [p for pair in pairs for p in check_pair(pair) + check_generated_tables(pair, root)]
    for p in problems:
        print(f"drift: {p}", file=sys.stderr)
    if problems:
        print(
            f"drift check failed: {len(problems)} problem(s) in {len(pairs)} pages", file=sys.stderr
        )
        return 1
    print(f"drift check passed: {len(pairs)} pages, every .md matches its executed .ipynb")
    return 0


if __name__ == "__main__":
    sys.exit(main())
