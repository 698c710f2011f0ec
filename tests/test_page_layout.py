"""The opening of every page: imports only, folded, and nothing defined before the question.

A reader meets "The question" first: the chapter template puts nothing before it but the
learning goals and one folded cell of imports (book machinery that only imports or glues may sit
in removed cells). Companion pages open with the same folded imports-only cell.
"""

from __future__ import annotations

import ast
from pathlib import Path

import jupytext
import pytest

from booktools.pairs import ROOT

CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md"))
COMPANIONS = sorted((ROOT / "further").glob("[0-9][0-9]_*.md"))


def _imports_only(source: str) -> bool:
    body = ast.parse(source).body
    return bool(body) and all(isinstance(node, ast.Import | ast.ImportFrom) for node in body)


def _defines(source: str) -> list[str]:
    tree = ast.parse(source)
    kinds = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    return [node.name for node in ast.walk(tree) if isinstance(node, kinds)]


def opening_problems(md: Path, question_heading: str | None = "## The question") -> list[str]:
    """What is wrong with the page's opening (empty when nothing is)."""
    cells = jupytext.read(md, fmt="md:myst").cells
    code = [(i, c) for i, c in enumerate(cells) if c.cell_type == "code"]
    if not code:
        return ["the page has no code cell"]
    problems = []
    first = code[0][1]
    if "hide-cell" not in first.metadata.get("tags", []):
        problems.append("the first code cell is not tagged hide-cell")
    if not _imports_only(first.source):
        problems.append("the first code cell holds more than imports")
    if question_heading is None:
        return problems
    ends = [
        i
        for i, c in enumerate(cells)
        if c.cell_type == "markdown"
        and any(line.strip() == question_heading for line in c.source.splitlines())
    ]
    if not ends:
        return [*problems, f"no {question_heading!r} heading"]
    for i, cell in code[1:]:
        if i > ends[0]:
            break
        tags = cell.metadata.get("tags", [])
        if "remove-cell" not in tags:
            problems.append(f"cell {i}: a shown code cell before {question_heading!r}")
        if names := _defines(cell.source):
            problems.append(f"cell {i}: defines {', '.join(names)} before {question_heading!r}")
    return problems


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.name)
def test_chapter_opens_with_imports_then_the_question(md: Path):
    assert opening_problems(md) == []


@pytest.mark.parametrize("md", COMPANIONS, ids=lambda p: p.name)
def test_companion_opens_with_folded_imports(md: Path):
    assert opening_problems(md, question_heading=None) == []


def _page(tmp_path: Path, cells: str) -> Path:
    md = tmp_path / "page.md"
    md.write_text(
        "---\njupytext:\n  text_representation:\n    format_name: myst\n"
        "kernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n# Title\n\n" + cells,
        encoding="utf-8",
    )
    return md


IMPORTS = "```{code-cell} ipython3\n:tags: [hide-cell]\n\nimport numpy as np\n```\n\n"


def test_a_clean_opening_passes(tmp_path: Path):
    glue = "```{code-cell} ipython3\n:tags: [remove-cell]\n\nfrom math import pi\n```\n\n"
    assert opening_problems(_page(tmp_path, IMPORTS + glue + "## The question\n\nText.\n")) == []


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (
            IMPORTS + "```{code-cell} ipython3\ndef f(x):\n    return x\n```\n\n## The question\n",
            "a shown code cell before",
        ),
        (
            IMPORTS
            + "```{code-cell} ipython3\n:tags: [remove-cell]\n\ndef f(x):\n    return x\n```\n\n"
            "## The question\n",
            "defines f before",
        ),
        (IMPORTS.replace("hide-cell", "hide-input") + "## The question\n", "not tagged hide-cell"),
        (IMPORTS.replace("import numpy as np", "x = 1") + "## The question\n", "more than imports"),
        (IMPORTS + "## Another heading\n", "no '## The question' heading"),
    ],
    ids=["shown-def", "removed-def", "not-folded", "not-imports", "no-question"],
)
def test_a_bad_opening_is_named(tmp_path: Path, cells: str, message: str):
    problems = opening_problems(_page(tmp_path, cells))
    assert any(message in p for p in problems), problems
