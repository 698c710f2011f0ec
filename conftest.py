"""pytest configuration shared by the unit tests and strict nbval over the pages.

nbval compares every stored output of a notebook byte for byte, except the types in its
collector's ``skip_compare``. It already skips plain ``image/png``; myst-nb's ``glue`` stores a
figure under its own MIME type, which nbval would compare byte for byte, so a last-bit change in
plotted data on another CPU would fail the page. Figures are therefore not compared; the cell
that draws each figure asserts the data it plots instead.

A kernel that nbval starts can lose one of its TCP ports to another kernel started at the same
moment (the two parallel workers); it then dies before its first reply, and nbval would fail the
whole notebook. nbval's kernel start is wrapped to start again in that case, as the book's own
executor does (``booktools.execute.is_start_race``).
"""

from __future__ import annotations

GLUED_IMAGES = (
    "application/papermill.record/image/png",
    "application/papermill.record/image/jpeg",
    "application/papermill.record/image/svg+xml",
)


def pytest_collectstart(collector):
    """Add the glued image types to nbval's ``skip_compare`` for every notebook."""
    if getattr(collector, "path", None) is not None and collector.path.suffix == ".ipynb":
        collector.skip_compare = (*collector.skip_compare, "image/png", *GLUED_IMAGES)


def pytest_configure(config):
    """Make nbval start a kernel again when it died on start from a port race."""
    try:
        import nbval.kernel
    except ImportError:  # pragma: no cover - nbval is a test dependency
        return
    from booktools.execute import retrying_start

    if not getattr(nbval.kernel.start_new_kernel, "__wrapped__", None):
        nbval.kernel.start_new_kernel = retrying_start(nbval.kernel.start_new_kernel)
