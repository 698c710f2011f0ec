"""The book's own Sphinx hooks: what it is built from, where its PDF is, no link to nowhere.

* **Version and commit.** ``{{ book_version }}`` (``project.version`` in ``pyproject.toml``) and
  ``{{ book_commit }}`` (``git rev-parse --short HEAD``, ``unknown`` outside git) can be written
  in any page, and the footer of every HTML page shows both. They are filled in when a page is
  written, so a new commit does not make Sphinx re-read every page.
* **The PDF.** ``{{ book_pdf }}`` is the sentence "The whole book as one PDF." linking to the
  PDF (``make pdf``), the footer links it too, and the ".pdf" entry of each page's download
  menu points to it instead of the browser's print dialog. When no PDF has been built, all
  three are left out, and the PDF itself does not link to itself. The PDF is copied into the
  HTML site.
* **No link to nowhere.** ``repository.url`` in ``_config.yml`` is the one place the repository
  is named; it is empty by default. The buttons listed in ``booktools_repository_buttons``
  appear only when it is set, and launch buttons only when the repository and a launch service
  are both set.
* **singlehtml.** sphinx-exercise registers visitors for the ``singlehtml`` builder, which makes
  Sphinx stop falling back to the ``html`` visitors of every other extension there; they are
  copied over, so that the single-page build (the PDF's source) renders every node.
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: The PDF of the whole book, relative to the book's root, and its name in the HTML site.
PDF_PATH = "_build/pdf/executed-answers.pdf"
PDF_NAME = "executed-answers.pdf"
PDF_LINK_TEXT = "The whole book as one PDF"
#: Placeholders stored in the doctrees; replaced when each page is written.
PLACEHOLDERS = {
    "book_version": "BOOKTOOLS-BOOK-VERSION",
    "book_commit": "BOOKTOOLS-BOOK-COMMIT",
    "book_pdf": "BOOKTOOLS-BOOK-PDF",
}
_LAUNCH_SERVICES = ("binderhub_url", "jupyterhub_url", "colab_url", "deepnote_url")


def book_version(root: Path) -> str:
    """``project.version`` from ``root/pyproject.toml`` (``unknown`` without one)."""
    try:
        with open(root / "pyproject.toml", "rb") as f:
            return str(tomllib.load(f)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def book_commit(root: Path) -> str:
    """The short hash of the commit checked out in ``root``; ``unknown`` outside git."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def _config_inited(app: Sphinx, config: Any) -> None:
    subs = dict(config.myst_substitutions or {})
    for key, placeholder in PLACEHOLDERS.items():
        subs.setdefault(key, placeholder)
    config.myst_substitutions = subs

    opts = dict(config.html_theme_options or {})
    repo = (opts.get("repository_url") or "").strip()
    for button in ("use_repository_button", "use_issues_button", "use_edit_page_button"):
        opts[button] = bool(repo) and button in config.booktools_repository_buttons
    opts["use_source_button"] = bool(repo) and "use_source_button" in (
        config.booktools_repository_buttons
    )
    if not repo:
        opts.pop("repository_url", None)
    launch = dict(opts.get("launch_buttons") or {})
    if not (repo and any((launch.get(k) or "").strip() for k in _LAUNCH_SERVICES)):
        launch = dict.fromkeys(_LAUNCH_SERVICES, "") | {"thebe": False}
    opts["launch_buttons"] = launch
    config.html_theme_options = opts


def _pdf_source(app: Sphinx) -> Path | None:
    """The built PDF, when there is one and this build is not the PDF's own source."""
    if app.builder.name == "singlehtml":
        return None
    pdf = Path(app.srcdir) / PDF_PATH
    return pdf if pdf.is_file() else None


def _builder_inited(app: Sphinx) -> None:
    root = Path(app.srcdir)
    app.config.booktools_build = {"version": book_version(root), "commit": book_commit(root)}
    handlers = app.registry.translation_handlers
    if "singlehtml" in handlers:
        for node, visitors in handlers.get("html", {}).items():
            handlers["singlehtml"].setdefault(node, visitors)
    pdf = _pdf_source(app)
    if pdf is not None and app.builder.format == "html":
        Path(app.outdir).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pdf, Path(app.outdir) / PDF_NAME)


def _pdf_uri(app: Sphinx, docname: str) -> str:
    return "../" * docname.count("/") + PDF_NAME


def _doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    build = app.config.booktools_build
    text = {
        PLACEHOLDERS["book_version"]: build["version"],
        PLACEHOLDERS["book_commit"]: build["commit"],
    }
    has_pdf = _pdf_source(app) is not None
    for node in list(doctree.findall(nodes.Text)):
        value = str(node)
        if not any(p in value for p in PLACEHOLDERS.values()):
            continue
        for placeholder, replacement in text.items():
            value = value.replace(placeholder, replacement)
        parts = value.split(PLACEHOLDERS["book_pdf"])
        new: list[nodes.Node] = [nodes.Text(parts[0])]
        for rest in parts[1:]:
            if has_pdf:
                link = nodes.reference("", PDF_LINK_TEXT, refuri=_pdf_uri(app, docname))
                new += [link, nodes.Text(".")]
            new.append(nodes.Text(rest))
        node.parent.replace(node, new)


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    build = app.config.booktools_build
    pathto = context["pathto"]
    footer = context.get("theme_extra_footer") or ""
    stamp = f"Version {build['version']}, commit {build['commit']}."
    if _pdf_source(app) is not None:
        stamp += f' <a href="{pathto(PDF_NAME, 1)}">The whole book as one PDF</a>.'
    context["theme_extra_footer"] = f"{footer} {stamp}".strip()
    for group in context.get("header_buttons") or []:
        buttons = group.get("buttons")
        if not buttons:
            continue
        kept = []
        for button in buttons:
            if button.get("label") == "download-pdf-button":
                if _pdf_source(app) is None:
                    continue  # the browser's print dialog is not the book's PDF
                button = {
                    "type": "link",
                    "url": pathto(PDF_NAME, 1),
                    "text": ".pdf",
                    "tooltip": "The whole book as one PDF",
                    "icon": "fas fa-file-pdf",
                    "label": "download-pdf-button",
                }
            kept.append(button)
        group["buttons"] = kept


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("booktools_repository_buttons", ["use_repository_button"], "html")
    app.add_config_value("booktools_build", {}, "")
    app.connect("config-inited", _config_inited, priority=900)
    app.connect("builder-inited", _builder_inited)
    app.connect("doctree-resolved", _doctree_resolved)
    app.connect("html-page-context", _page_context, priority=950)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
