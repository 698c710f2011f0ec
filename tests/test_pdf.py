"""The book as one PDF (``make pdf``), and what the pages say about the build they came from.

The tests marked ``pdf`` read ``_build/pdf/executed-answers.pdf`` with poppler's tools, as a
reader's PDF viewer would: it opens, has a sane number of pages, holds the title page with the
version and commit, every page's title, bookmarks, typeset math (no TeX left outside the code
the book shows) and a rendered page that is not blank. ``make test`` builds the PDF first. The
unmarked tests check booktools.sphinx_book's hooks without a build.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from booktools import ROOT, find_pairs
from booktools import sphinx_book as sb
from booktools.pairs import read_md

PDF = ROOT / sb.PDF_PATH
#: The book has about 400 pages (six chapters of 30 to 38, six companions of 20 to 30, front and
#: back matter): fewer than this means pages went missing, more means a runaway page.
PAGES = (250, 500)


def _page_titles() -> dict[str, str]:
    """``{page: title}``: the first ``# `` heading of every page of the book, from the sources."""
    titles = {}
    for pair in find_pairs(ROOT):
        for cell in read_md(pair.md).cells:
            heading = next((ln for ln in cell.source.splitlines() if ln.startswith("# ")), None)
            if cell.cell_type == "markdown" and heading:
                titles[pair.md.relative_to(ROOT).as_posix()] = heading[2:].strip()
                break
    return titles


def _run(*cmd: str) -> str:
    tool = shutil.which(cmd[0])
    if tool is None:
        pytest.fail(f"{cmd[0]} is missing: run `make poppler` (Debian's poppler-utils)")
    return subprocess.run(
        [tool, *cmd[1:]], capture_output=True, text=True, check=True, timeout=120
    ).stdout


@pytest.fixture(scope="module")
def pdf() -> Path:
    if not PDF.exists():
        pytest.fail(f"{PDF} does not exist: run `make pdf` first (make test does)")
    return PDF


@pytest.fixture(scope="module")
def text(pdf: Path) -> str:
    return _run("pdftotext", "-enc", "UTF-8", str(pdf), "-")


@pytest.mark.pdf
def test_the_pdf_opens_with_a_sane_page_count(pdf: Path):
    info = _run("pdfinfo", str(pdf))
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert PAGES[0] <= pages <= PAGES[1], pages
    assert re.search(r"^Title:\s+Executed Answers", info, re.M), info
    assert re.search(r"^Page size:.*\(A4\)", info, re.M), info
    assert b"/Outlines" in pdf.read_bytes(), "no PDF bookmarks"


@pytest.mark.pdf
def test_the_title_page_names_version_commit_and_date(pdf: Path):
    first = _run("pdftotext", "-f", "1", "-l", "1", str(pdf), "-")
    assert "Executed Answers" in first
    assert f"Version {sb.book_version(ROOT)}" in first, first
    assert re.search(r"built from commit (\w+) on \d{4}-\d{2}-\d{2}", first), first


@pytest.mark.pdf
def test_every_page_title_is_in_the_pdf_and_in_its_contents(text: str):
    # Sphinx's smartquotes set Ackley's as Ackley’s: compare with straight quotes.
    straight = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
    flat = " ".join(text.split()).translate(straight)
    titles = {page: title.translate(straight) for page, title in _page_titles().items()}
    assert len(titles) == len(find_pairs(ROOT))
    chapters = sorted(page for page in titles if page.startswith("chapters/"))
    for n, page in enumerate(chapters, start=1):  # numbered, in the contents and as a heading
        assert flat.count(f"{n}. {titles[page]}") >= 2, f"{n}. {titles[page]!r}"
    for title in titles.values():
        assert flat.count(title) >= 2, f"{title!r} is not in the contents and the text"


@pytest.mark.pdf
def test_math_is_typeset_and_tex_appears_only_in_shown_code(text: str):
    shown_code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "src").rglob("*.py"))
    raw = [
        ln.strip()
        for ln in text.splitlines()
        if ("$$" in ln or "\\frac" in ln or "\\begin{" in ln) and ln.strip() not in shown_code
    ]
    assert raw == [], raw[:5]
    assert "Bibliography" in text
    assert "doi:10." in text  # the bibliography's entries, not just its title


@pytest.mark.pdf
def test_a_chapter_page_renders_as_ink_on_paper(pdf: Path, tmp_path: Path):
    from PIL import Image

    text_pages = _run("pdftotext", str(pdf), "-").split("\f")
    page = 1 + next(i for i, t in enumerate(text_pages) if "What goes wrong" in t)
    _run(
        "pdftoppm",
        "-png",
        "-r",
        "50",
        "-f",
        str(page),
        "-l",
        str(page),
        str(pdf),
        str(tmp_path / "p"),
    )
    (png,) = tmp_path.glob("p*.png")
    gray = Image.open(png).convert("L")
    dark = sum(gray.histogram()[:128]) / (gray.width * gray.height)
    assert 0.005 < dark < 0.5, f"page {page}: {dark:.3%} of pixels are ink"


# -- booktools.sphinx_book, without a build -------------------------------------------------------


def _config(repository_url: str = "", buttons=("use_repository_button",), launch=None):
    theme = {"repository_url": repository_url, "use_repository_button": False}
    theme["launch_buttons"] = launch or {"binderhub_url": "", "colab_url": "", "thebe": False}
    return SimpleNamespace(
        myst_substitutions={},
        html_theme_options=theme,
        booktools_repository_buttons=list(buttons),
    )


def test_no_repository_means_no_repository_or_launch_buttons():
    config = _config("", launch={"binderhub_url": "https://mybinder.org", "thebe": True})
    sb._config_inited(None, config)
    opts = config.html_theme_options
    assert not any(opts[b] for b in ("use_repository_button", "use_issues_button"))
    assert "repository_url" not in opts
    assert not any(opts["launch_buttons"].values())


def test_a_repository_turns_on_the_buttons_listed_and_only_those():
    config = _config("https://example.org/book", launch={"binderhub_url": "https://mybinder.org"})
    sb._config_inited(None, config)
    opts = config.html_theme_options
    assert opts["use_repository_button"] is True
    assert opts["use_issues_button"] is False
    assert opts["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert set(config.myst_substitutions) == {"book_version", "book_commit", "book_pdf"}


def test_version_and_commit(tmp_path: Path):
    assert sb.book_version(ROOT) == re.search(
        r'^version = "(.+)"', (ROOT / "pyproject.toml").read_text(), re.M
    ).group(1)
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    assert sb.book_commit(ROOT) == (head or "unknown")
    assert sb.book_commit(tmp_path) == "unknown"  # outside git
    assert sb.book_version(tmp_path) == "unknown"


#: The line the landing page carries (index.md).
LANDING_LINE = (
    "This is version {{ book_version }} of the book, built from commit {{ book_commit }}. "
    "{{ book_pdf }}"
)


def _build_tiny_book(root: Path, with_pdf: bool) -> str:
    """Build a one-page book (real configuration) whose page has LANDING_LINE; its HTML."""
    import nbformat

    root.mkdir()
    shutil.copy(ROOT / "_config.yml", root / "_config.yml")
    shutil.copy(ROOT / "references.bib", root / "references.bib")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    (root / "build_assets").mkdir()
    (root / "_toc.yml").write_text("format: jb-book\nroot: index\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_markdown_cell(f"# Home\n\n{LANDING_LINE}\n")]
    nbformat.write(nb, root / "index.ipynb")
    if with_pdf:
        (root / sb.PDF_PATH).parent.mkdir(parents=True)
        (root / sb.PDF_PATH).write_bytes(b"%PDF-1.4 stand-in\n")
    jb = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jb), "build", str(root), "--builder", "html", "-W", "-n", "-q"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return (root / "_build/html/index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_landing_line_shows_version_commit_and_the_pdf_when_there_is_one(tmp_path: Path):
    version = sb.book_version(ROOT)
    html = _build_tiny_book(tmp_path / "with", with_pdf=True)
    assert f"This is version {version} of the book, built from commit unknown." in html
    assert f'href="{sb.PDF_NAME}">{sb.PDF_LINK_TEXT}</a>.' in html
    assert (tmp_path / "with/_build/html" / sb.PDF_NAME).exists()
    assert f"Version {version}, commit unknown." in html  # the footer
    assert "BOOKTOOLS-" not in html
    html = _build_tiny_book(tmp_path / "without", with_pdf=False)
    assert "built from commit unknown. </p>" in html or "commit unknown.</p>" in html
    assert sb.PDF_NAME not in html  # no link to a PDF that does not exist
    assert "window.print()" not in html  # nor the print dialog dressed as one
    assert "BOOKTOOLS-" not in html
