"""Workflow tools of the book: find notebook pairs, execute them, check them for drift.

Every page of the book is a *pair*: a jupytext MyST Markdown file (``X.md``, the source of truth)
and its executed notebook (``X.ipynb``, the nbval reference and what the book renders).

The names below are imported on first use, so that ``booktools.support`` (which the benchmarks
use) works without the book's own dependencies (jupytext, nbformat).
"""

from __future__ import annotations

from typing import Any

__all__ = ["PAGE_DIRS", "ROOT", "find_pairs"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from booktools import pairs

        return getattr(pairs, name)
    raise AttributeError(f"module 'booktools' has no attribute {name!r}")
