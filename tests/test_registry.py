"""The chapter registry: every chapter has its files, and a new chapter needs only its own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from booktools.pairs import ROOT
from booktools.registry import _format, chapters, landing_table, read_chapter

GOOD_HEADER = """---
kernelspec:
  name: python3
executed_answers:
  module: widget
  question: "Why?"
  headline_direction: ">="
---

(ch-widget)=
# Widgets
"""


def test_every_chapter_has_its_module_tests_benchmark_and_results():
    found = chapters()
    assert len(found) >= 6
    for chapter in found:
        assert chapter.missing() == [], f"{chapter.slug} lacks {chapter.missing()}"
        assert chapter.slug.endswith(chapter.module)


def test_landing_table_has_one_row_per_chapter_and_checks_headlines():
    table = landing_table().splitlines()
    assert len(table) == 2 + len(chapters())
    for chapter, row in zip(chapters(), table[2:], strict=True):
        assert f"{{ref}}`{chapter.label}`" in row
        assert chapter.headline()["text"] in row


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("07_widget.md", GOOD_HEADER.replace("module: widget", "module: gadget"), "named after"),
        ("07_widget.md", GOOD_HEADER.replace('  headline_direction: ">="\n', ""), "headline_dir"),
        ("07_widget.md", GOOD_HEADER.replace('">="', '"=="'), "'>=' or '<='"),
        ("07_widget.md", GOOD_HEADER.replace("(ch-widget)=\n", ""), "label"),
        ("7_widget.md", GOOD_HEADER, "NN_<module>"),
        ("07_widget.md", GOOD_HEADER.replace("executed_answers", "other"), "no executed_answers"),
    ],
)
def test_a_broken_registry_entry_is_named(tmp_path: Path, name: str, text: str, message: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_chapter(path, tmp_path)


def test_a_good_entry_reads(tmp_path: Path):
    path = tmp_path / "07_widget.md"
    path.write_text(GOOD_HEADER, encoding="utf-8")
    chapter = read_chapter(path, tmp_path)
    assert (chapter.module, chapter.label, chapter.title) == ("widget", "ch-widget", "Widgets")
    assert "src/helpers/widget.py" in chapter.missing()


def test_a_missed_headline_fails(tmp_path: Path):
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    (tmp_path / "benchmarks" / "results" / "widget.json").write_text(
        '{"headline": {"value": 2.0, "target": 5.0, "unit": "x", "label": "l"}}'
    )
    path = tmp_path / "07_widget.md"
    path.write_text(GOOD_HEADER, encoding="utf-8")
    with pytest.raises(AssertionError, match="not >= 5"):
        read_chapter(path, tmp_path).headline()
    path.write_text(GOOD_HEADER.replace('">="', '"<="'), encoding="utf-8")
    assert read_chapter(path, tmp_path).headline()["text"] == "2×"


@pytest.mark.slow
def test_new_chapter_needs_only_its_own_files(tmp_path: Path):
    """make new-chapter in a throw-away copy: its files, its tests, the landing page, the book."""
    root = tmp_path / "book"
    for rel in ("src", "front", "back"):
        shutil.copytree(ROOT / rel, root / rel, ignore=shutil.ignore_patterns("*.egg-info"))
    for rel in ("_config.yml", "index.md", "references.bib", "tests/_contract.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, root / rel)
    (root / "chapters").mkdir()
    (root / "build_assets").mkdir()
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    run = {"cwd": root, "env": env, "capture_output": True, "text": True, "timeout": 300}

    made = subprocess.run([sys.executable, "-m", "booktools.new_chapter", "widget"], **run)
    assert made.returncode == 0, made.stderr
    new = read_chapter(root / "chapters" / "01_widget.md", root)
    assert new.missing() == []

    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_widget.py"],
        **run,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr

    # The landing page and the introduction list it without being edited; the book builds.
    page = (
        "from booktools.execute import execute_pair\nfrom booktools.pairs import Pair\n"
        "from pathlib import Path\nfor page in ('index', 'front/introduction'):\n"
        "    execute_pair(Pair(Path(page + '.md'), Path(page + '.ipynb')))\n"
    )
    executed = subprocess.run([sys.executable, "-c", page], **run)
    assert executed.returncode == 0, executed.stderr
    assert "ch-widget" in (root / "index.ipynb").read_text(encoding="utf-8")
    pages = ["front/introduction", "front/verification", "chapters/01_widget"]
    pages += [f"back/{p.stem}" for p in sorted((root / "back").glob("*.ipynb"))]
    toc = "format: jb-book\nroot: index\nchapters:\n" + "".join(f"  - file: {p}\n" for p in pages)
    (root / "_toc.yml").write_text(toc, encoding="utf-8")
    jb = Path(sys.executable).with_name("jupyter-book")
    built = subprocess.run([str(jb), "build", ".", "--builder", "html", "-W", "-n", "-q"], **run)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    html = (root / "_build/html/index.html").read_text(encoding="utf-8")
    assert "chapters/01_widget.html" in html


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (1184.0, "x", "1,200×"),
        (2768.0, "x", "2,800×"),
        (48.2, "x", "48×"),
        (1.14, "x", "1.1×"),
        (3.92, "x", "3.9×"),
        (0.0123, "s", "0.012 s"),
        (250_000.0, "", "250,000"),
    ],
)
def test_headline_text_has_two_significant_figures(value: float, unit: str, text: str):
    assert _format(value, unit) == text
