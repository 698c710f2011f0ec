"""The whole book as one PDF: ``make pdf`` (``python -m booktools.pdf``).

1. Jupyter Book's ``singlehtml`` builder writes every page into one HTML file
   (``_build/singlehtml``), as strictly as the HTML book (``-W -n``). MathJax is served from the
   build itself, as in the HTML book.
2. Debian's Chromium (driven by Playwright, as in the browser check) opens that page from a
   local server, with every other host blocked, and waits until MathJax has typeset every
   formula, the fonts are loaded and every figure is decoded.
3. The page is prepared for print: a title page (title, version, commit, build date), a table
   of contents with links, each page of the book starting on a new sheet, the site's navigation
   and buttons removed, every dropdown (solutions, hidden code) opened.
4. Chromium prints it to ``_build/pdf/executed-answers.pdf`` (A4, page numbers in the footer), with
   PDF bookmarks made from the headings and a tagged structure. ``make book`` copies the PDF
   into the HTML site, whose pages then link to it.

No network is needed: nothing is downloaded, and a request to another host fails the build.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from booktools.browser_check import CHROMIUM_ARGS, BrowserUnavailable, find_chromium, serve
from booktools.pairs import ROOT
from booktools.sphinx_book import PDF_PATH, book_commit, book_version

TITLE = "Executed Answers"
SUBTITLE = "An executable, tested book on numerical Python"
AUTHOR = "The Executed Answers authors"
#: Seconds the single page may take to load and typeset.
TIMEOUT_S = 120.0


class PdfFailed(RuntimeError):
    """The PDF could not be made; the message says why."""


def build_singlehtml(root: Path = ROOT) -> Path:
    """Build the book as one HTML page; return the folder holding ``index.html``."""
    jb = Path(sys.executable).with_name("jupyter-book")
    out = root / "_build" / "singlehtml"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [str(jb), "build", str(root), "--builder", "singlehtml", "-W", "-n", "--keep-going"]
    result = subprocess.run([*cmd, "-q"], capture_output=True, text=True)
    if result.returncode != 0 or not (out / "index.html").exists():
        raise PdfFailed(f"the single-page build failed:\n{result.stdout}\n{result.stderr}")
    return out


_READY_JS = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;  // the first typeset of the whole page is done
  }
  await document.fonts.ready;
  await Promise.all(Array.from(document.images).map(img => img.decode().catch(() => null)));
  return true;
}
"""

# Rebuild the body as a book: title page, contents, then the article itself.
_PREPARE_JS = """
(meta) => {
  const article = document.querySelector('article.bd-article') || document.querySelector('main');
  // Open every dropdown (exercise solutions, hidden code): paper cannot be clicked.
  article.querySelectorAll('details').forEach(d => { d.open = true; });
  article.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  article.querySelectorAll('.toggle-details__container, .toggle-hidden').forEach(e => {
    e.style.display = '';
  });
  article.querySelectorAll(
    '.headerlink, .copybtn, button.toggle-button, .toggle-button'
  ).forEach(e => e.remove());
  // Each page of the book (a section whose heading is h1 or h2) starts a new sheet.
  const pages = Array.from(article.querySelectorAll('section > h1, section > h2'))
    .map(h => h.parentElement);
  pages.forEach((s, i) => { if (i > 0) s.classList.add('book-page'); });
  // The table of contents: every page, and the sections of each numbered chapter.
  const toc = document.createElement('nav');
  toc.className = 'book-toc';
  toc.innerHTML = '<h1 class="book-toc-title">Contents</h1>';
  const list = document.createElement('ol');
  let n = 0;
  for (const s of pages.slice(1)) {
    const h = s.querySelector(':scope > h1, :scope > h2');
    if (!s.id) { s.id = 'book-page-' + (n++); }
    const item = document.createElement('li');
    const chapter = /^\\d+\\./.test(h.textContent.trim());
    item.className = chapter ? 'chapter' : 'page';
    item.innerHTML = `<a href="#${s.id}">${h.textContent.trim()}</a>`;
    if (chapter) {
      const sub = document.createElement('ol');
      for (const h3 of s.querySelectorAll(':scope > section > h3')) {
        const sec = h3.parentElement;
        if (!sec.id) { sec.id = 'book-sec-' + (n++); }
        const li = document.createElement('li');
        li.innerHTML = `<a href="#${sec.id}">${h3.textContent.trim()}</a>`;
        sub.appendChild(li);
      }
      item.appendChild(sub);
    }
    list.appendChild(item);
  }
  toc.appendChild(list);
  const title = document.createElement('section');
  title.className = 'book-title-page';
  title.innerHTML = `
    <p class="book-title">${meta.title}</p>
    <p class="book-subtitle">${meta.subtitle}</p>
    <p class="book-author">${meta.author}</p>
    <p class="book-version">Version ${meta.version}<br>built from commit ${meta.commit}
      on ${meta.date}</p>
    <p class="book-promise">Every output in this book was produced by the code shown and
      re-checked by nbval.</p>`;
  const book = document.createElement('div');
  book.className = 'book';
  book.append(title, toc, article);
  document.body.replaceChildren(book);
  document.documentElement.classList.add('book-print');
  const style = document.createElement('style');
  style.textContent = meta.css;
  document.head.appendChild(style);
  return pages.length;
}
"""

_PRINT_CSS = """
@page { size: A4; margin: 20mm 18mm 18mm 18mm; }
html.book-print, html.book-print body { background: white !important; }
.book { max-width: none; font-size: 10.5pt; }
.book .bd-article, .book article { padding: 0 !important; margin: 0 !important; }
.book-title-page { height: 230mm; display: flex; flex-direction: column;
  justify-content: center; text-align: center; break-after: page; }
.book-title { font-size: 34pt; font-weight: 700; margin: 0 0 8mm; }
.book-subtitle { font-size: 16pt; margin: 0 0 30mm; }
.book-author { font-size: 13pt; margin: 0 0 40mm; }
.book-version { font-size: 11pt; color: #333; }
.book-promise { font-size: 10pt; color: #555; margin-top: 10mm; }
.book-toc { break-after: page; }
.book-toc ol { list-style: none; padding-left: 0; }
.book-toc li.chapter, .book-toc li.page { margin: 2.5mm 0; font-weight: 600; }
.book-toc li ol { padding-left: 8mm; font-weight: 400; font-size: 9.5pt; }
.book-toc li ol li { margin: 0.6mm 0; }
.book-toc a { color: black; text-decoration: none; }
.book-page { break-before: page; }
h1, h2, h3 { break-after: avoid; }
figure, img, .cell_output, mjx-container[display="true"], tr { break-inside: avoid; }
pre { white-space: pre-wrap; word-break: break-word; font-size: 8.5pt; }
a { color: #1a4d8f; }
"""

_FOOTER = (
    '<div style="font-size:8px;width:100%;padding:0 18mm;color:#555;display:flex;'
    'justify-content:space-between;"><span>{title} {version} ({commit})</span>'
    '<span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>'
)


def print_pdf(site: Path, out: Path, *, root: Path = ROOT, timeout_s: float = TIMEOUT_S) -> int:
    """Print ``site/index.html`` to ``out``; return the number of book pages it holds."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from booktools.browser_check import _local_only

    chromium = find_chromium()
    meta = {
        "title": TITLE,
        "subtitle": SUBTITLE,
        "author": AUTHOR,
        "version": book_version(root),
        "commit": book_commit(root),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"),
        "css": _PRINT_CSS,
    }
    blocked: list[str] = []
    errors: list[str] = []
    with serve(site) as base, sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        except PlaywrightError as err:
            raise BrowserUnavailable(f"Chromium at {chromium} did not start: {err}") from None
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 1400})
            page.set_default_timeout(timeout_s * 1000)
            host = urlparse(base).netloc
            page.route("**/*", functools.partial(_local_only, host=host, found=blocked))
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            t0 = time.monotonic()
            page.goto(base + "index.html", wait_until="load")
            page.wait_for_function(_READY_JS, timeout=timeout_s * 1000)
            n_pages = page.evaluate(_PREPARE_JS, meta)
            t1 = time.monotonic()
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_suffix(".pdf.tmp")
            page.pdf(
                path=str(tmp),
                format="A4",
                print_background=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=_FOOTER.format(**meta),
                margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
                outline=True,
                tagged=True,
            )
            print(f"typeset in {t1 - t0:.0f} s, printed in {time.monotonic() - t1:.0f} s")
        finally:
            browser.close()
    if blocked or errors:
        tmp.unlink(missing_ok=True)
        raise PdfFailed("; ".join(blocked + [f"page error: {e}" for e in errors]))
    tmp.replace(out)
    return n_pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / PDF_PATH)
    parser.add_argument(
        "--no-build", action="store_true", help="print the existing _build/singlehtml"
    )
    args = parser.parse_args(argv)
    try:
        site = ROOT / "_build" / "singlehtml" if args.no_build else build_singlehtml(ROOT)
        n_pages = print_pdf(site, args.out)
    except (PdfFailed, BrowserUnavailable) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    html = ROOT / "_build" / "html"
    if args.out == ROOT / PDF_PATH and (html / "index.html").exists():
        shutil.copyfile(args.out, html / args.out.name)  # the built site links to it
    print(f"PDF written: {args.out} ({n_pages} pages of the book)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
