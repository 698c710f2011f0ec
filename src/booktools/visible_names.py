"""Check that every name a reader's code cell uses is defined where the reader can see it.

A page hides its book machinery (glue calls, assertions that pin the prose) in cells tagged
``remove-cell`` or ``remove-input``: the rendered page does not show their code. A reader who
copies the visible cells, in order, must still be able to run them, so a visible cell (untagged,
or ``hide-input``/``hide-cell``, which the page shows folded) may only use names defined in
earlier visible cells, or Python's builtins.

``python -m booktools.visible_names [ROOT]`` exits non-zero, naming the page, the cell and the
names, when a visible cell uses a name that only a removed cell defines.
"""

from __future__ import annotations

import ast
import builtins
import sys
from pathlib import Path

from booktools.pairs import ROOT, find_pairs, read_md

#: Tags whose cells the rendered page does not show as code.
REMOVED = frozenset({"remove-cell", "remove-input"})
#: Names IPython defines in every kernel.
KERNEL_NAMES = frozenset({"get_ipython", "display", "In", "Out"})


def _defined(tree: ast.AST) -> set[str]:
    """Every name ``tree`` binds: assignments, imports, functions, classes, arguments."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            out.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            out.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            out.add(node.name)
    return out


def _used(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def hidden_names(md: Path) -> list[tuple[int, str, list[str]]]:
    """``(cell index, first line, names)`` for each visible cell using removed-only names."""
    visible = set(dir(builtins)) | KERNEL_NAMES
    removed: set[str] = set()
    found = []
    for i, cell in enumerate(read_md(md).cells):
        if cell.cell_type != "code":
            continue
        lines = [ln for ln in cell.source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:  # a cell that shows a syntax error on purpose
            continue
        if set(cell.metadata.get("tags", [])) & REMOVED:
            removed |= _defined(tree)
            continue
        missing = sorted((_used(tree) - _defined(tree) - visible) & removed)
        if missing:
            first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")[:60]
            found.append((i, first, missing))
        visible |= _defined(tree)
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else ROOT
    bad = 0
    for pair in find_pairs(root):
        if not pair.md.is_file():
            continue
        for i, first, names in hidden_names(pair.md):
            bad += 1
            rel = pair.md.relative_to(root)
            print(
                f"{rel}: cell {i} ({first!r}) uses names defined only in removed cells: "
                f"{', '.join(names)}; define them in a visible or folded (hide-*) cell"
            )
    if bad:
        return 1
    print("visible names: every visible cell uses only names defined visibly")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
