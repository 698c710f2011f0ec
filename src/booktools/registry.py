"""The chapter registry: each chapter's own header says what belongs to it.

A chapter ``chapters/NN_<module>.md`` declares in its YAML header::

    executed_answers:
      module: <module>            # src/helpers/<module>.py, tests/test_<module>.py,
                                  # benchmarks/bench_<module>.py, benchmarks/results/<module>.json
      question: "One line: the question as its asker would put it."
      headline_direction: ">="    # the headline is good when value >= target (or "<=")

Everything else is derived from that block and the file name, so adding a chapter touches only
the chapter's own files: the landing page's table, the headline checks and the test that every
chapter has its module, tests and benchmark all read this registry.
"""

from __future__ import annotations

import json
import operator
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from booktools.pairs import ROOT

_SLUG = re.compile(r"^(\d\d)_([a-z][a-z0-9_]*)$")
_DIRECTIONS = {">=": operator.ge, "<=": operator.le}


@dataclass(frozen=True)
class Chapter:
    """One chapter of the book and the files that belong to it."""

    root: Path
    slug: str
    number: int
    module: str
    question: str
    direction: str
    label: str
    title: str

    @property
    def source(self) -> Path:
        return self.root / "chapters" / f"{self.slug}.md"

    @property
    def notebook(self) -> Path:
        return self.root / "chapters" / f"{self.slug}.ipynb"

    @property
    def module_file(self) -> Path:
        return self.root / "src" / "helpers" / f"{self.module}.py"

    @property
    def test_file(self) -> Path:
        return self.root / "tests" / f"test_{self.module}.py"

    @property
    def benchmark(self) -> Path:
        return self.root / "benchmarks" / f"bench_{self.module}.py"

    @property
    def results(self) -> Path:
        return self.root / "benchmarks" / "results" / f"{self.module}.json"

    def missing(self) -> list[str]:
        """The files this chapter needs that do not exist, as repository-relative paths."""
        need = [self.notebook, self.module_file, self.test_file, self.benchmark, self.results]
        return [str(p.relative_to(self.root)) for p in need if not p.is_file()]

    def headline(self) -> dict[str, Any]:
        """The benchmark's headline, checked against its target in this chapter's direction.

        Returns the JSON ``headline`` (``value``, ``target``, ``unit``, ``label``) plus
        ``text``, the value to two significant figures, as timings on a shared machine allow
        (``1184`` as ``'1,200×'``, ``1.14`` as ``'1.1×'``).
        """
        record = json.loads(self.results.read_text(encoding="utf-8"))
        head = dict(record["headline"])
        value, target = float(head["value"]), head.get("target")
        if target is not None and not _DIRECTIONS[self.direction](value, float(target)):
            raise AssertionError(
                f"{self.slug}: the headline {value:g} is not {self.direction} {target}"
            )
        head["text"] = _format(value, head.get("unit", ""))
        return head


def _format(value: float, unit: str) -> str:
    text = f"{float(f'{value:.2g}'):,g}"  # two significant figures, no exponent below 1e6
    return text + ("×" if unit == "x" else f" {unit}" if unit else "")


def _header(text: str, path: Path) -> dict[str, Any]:
    if not text.startswith("---\n"):
        raise ValueError(f"{path}: no YAML header")
    end = text.index("\n---\n", 4)
    return yaml.safe_load(text[4:end]) or {}


def read_chapter(path: Path, root: Path = ROOT) -> Chapter:
    """The registry entry of the chapter source ``path``; a ``ValueError`` says what is wrong."""
    match = _SLUG.match(path.stem)
    if not match:
        raise ValueError(f"{path}: a chapter file is named NN_<module>.md, got {path.name}")
    text = path.read_text(encoding="utf-8")
    block = _header(text, path).get("executed_answers")
    if not isinstance(block, dict):
        raise ValueError(f"{path}: the header has no executed_answers block")
    for key in ("module", "question", "headline_direction"):
        if not block.get(key):
            raise ValueError(f"{path}: executed_answers has no {key!r}")
    if block["module"] != match.group(2):
        raise ValueError(
            f"{path}: the file is named after {match.group(2)!r} but its module is "
            f"{block['module']!r}; name the chapter after its module"
        )
    if block["headline_direction"] not in _DIRECTIONS:
        raise ValueError(f"{path}: headline_direction must be '>=' or '<='")
    label = re.search(r"^\((ch-[a-z0-9-]+)\)=$", text, re.MULTILINE)
    title = re.search(r"^# (.+)$", text, re.MULTILINE)
    if not label or not title:
        raise ValueError(f"{path}: a chapter needs a '(ch-...)=' label and a '# ' title")
    return Chapter(
        root=root,
        slug=path.stem,
        number=int(match.group(1)),
        module=block["module"],
        question=" ".join(str(block["question"]).split()),
        direction=block["headline_direction"],
        label=label.group(1),
        title=title.group(1).strip(),
    )


def chapters(root: Path = ROOT) -> list[Chapter]:
    """Every chapter of the book, in file-name order (the order of ``_toc.yml``'s glob)."""
    found = [read_chapter(p, root) for p in sorted((root / "chapters").glob("[0-9][0-9]_*.md"))]
    numbers = [c.number for c in found]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"two chapters share a number: {numbers}")
    return found


def landing_table(root: Path = ROOT) -> str:
    """The landing page's table as MyST Markdown: chapter, question, measured headline."""
    rows = [
        "| Chapter | The question | Key measured result |",
        "| --- | --- | --- |",
    ]
    for chapter in chapters(root):
        head = chapter.headline()
        rows.append(
            f"| {{ref}}`{chapter.label}` | {chapter.question} | {head['text']} ({head['label']}) |"
        )
    return "\n".join(rows)


def question_table(root: Path = ROOT) -> str:
    """The introduction's table as MyST Markdown: chapter number and title, the question."""
    rows = ["| Chapter | The question, in one line |", "| --- | --- |"]
    rows += [f"| {c.number}. {{ref}}`{c.label}` | {c.question} |" for c in chapters(root)]
    return "\n".join(rows)
