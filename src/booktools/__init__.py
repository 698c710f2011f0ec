"""Workflow tools of the book: find notebook pairs, execute them, check them for drift.

Every page of the book is a *pair*: a jupytext MyST Markdown file (``X.md``, the source of truth)
and its executed notebook (``X.ipynb``, the nbval reference and what the book renders).
"""

from booktools.pairs import PAGE_DIRS, ROOT, find_pairs

__all__ = ["PAGE_DIRS", "ROOT", "find_pairs"]
