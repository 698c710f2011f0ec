"""A Sphinx extension that keeps every generated page free of requests to other hosts.

The book must read offline: MathJax is served from the site itself, and Jupyter Book's
always-on sphinx-thebe (live code cells, unused here) would otherwise embed a CDN URL in every
page. This extension drops thebe's scripts from each page and turns any other script or
stylesheet that points at another host into a build warning, which ``-W`` makes an error.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

_DROPPED = ("thebe",)


def _text(asset: Any) -> str:
    filename = getattr(asset, "filename", asset) or ""
    body = getattr(asset, "attributes", {}).get("body", "") or ""
    return f"{filename} {body}"


def _strip_remote(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    for key in ("script_files", "css_files"):
        assets = context.get(key)
        if not assets:
            continue
        kept = [a for a in assets if not any(word in _text(a).lower() for word in _DROPPED)]
        for asset in kept:
            if "://" in _text(asset):
                logger.warning(
                    "page %s loads %s from another host: %s",
                    pagename,
                    key.replace("_files", ""),
                    _text(asset).strip()[:120],
                    type="offline",
                )
        context[key] = kept


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", _strip_remote, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
