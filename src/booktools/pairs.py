"""Where the book's pages live, and how a Markdown source is read as a notebook."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parents[2]
#: Folders (relative to the book root) whose ``*.md`` / ``*.ipynb`` files are notebook pairs.
PAGE_DIRS = ("front", "chapters", "further", "back")
#: Pages at the book root that are pairs too.
ROOT_PAGES = ("index",)
#: Metadata jupytext would add that only records the tool's version: filtered to avoid churn.
JUPYTEXT_VERSION_KEYS = ("jupytext_version",)


@dataclass(frozen=True)
class Pair:
    """One page: its Markdown source and its executed notebook (either may be missing)."""

    md: Path
    ipynb: Path

    @property
    def name(self) -> str:
        return str(self.md.with_suffix(""))


def find_pairs(root: Path = ROOT) -> list[Pair]:
    """Every page of the book under ``root``, sorted, as (md, ipynb) pairs.

    A page is any ``.md`` or ``.ipynb`` in :data:`PAGE_DIRS` or named in :data:`ROOT_PAGES`;
    a page whose partner file is missing is still returned, so that checks can report it.
    """
    stems: set[Path] = set()
    for d in PAGE_DIRS:
        for ext in ("*.md", "*.ipynb"):
            stems.update(p.with_suffix("") for p in (root / d).glob(ext))
    for name in ROOT_PAGES:
        for ext in (".md", ".ipynb"):
            if (root / (name + ext)).exists():
                stems.add(root / name)
    return [Pair(s.with_suffix(".md"), s.with_suffix(".ipynb")) for s in sorted(stems)]


def read_md(md: Path) -> nbformat.NotebookNode:
    """Read a MyST Markdown page as a notebook, without tool-version metadata."""
    nb = jupytext.read(md, fmt="md:myst")
    strip_jupytext_version(nb)
    return nb


def strip_jupytext_version(nb: nbformat.NotebookNode) -> None:
    """Remove the jupytext version from the notebook metadata, in place."""
    rep = nb.metadata.get("jupytext", {}).get("text_representation", {})
    for key in JUPYTEXT_VERSION_KEYS:
        rep.pop(key, None)
