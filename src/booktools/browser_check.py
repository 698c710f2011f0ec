"""Open every page of the built book in headless Chromium and check what a reader would see.

``python -m booktools.browser_check [_build/html]`` serves the folder on 127.0.0.1 and, for each
HTML page, checks that

* math is typeset: MathJax output elements are present wherever the page has math, and no raw
  ``$$``, ``\\[`` or ``\\(`` delimiters are left in the visible text;
* every image has loaded (natural width > 0) and has non-empty alt text;
* there are no console errors or uncaught exceptions;
* no request goes to any host other than the local server (such requests are blocked and reported);
* every internal link and cross-reference resolves: the target page exists (no 404) and, for a
  ``#fragment``, the target element exists;
* the page settles (MathJax finished) within the timeout, on its first load or on a second
  one in a fresh context (one stalled load on a busy machine is not a broken page);
* no link outside the article's text (the theme's buttons and sidebars) goes to a code host
  (GitHub, GitLab, Bitbucket) while ``repository.url`` in ``_config.yml`` is empty: a repository
  button with no repository is a link to nowhere (the text may cite other people's code);

and writes a full-page screenshot to ``_build/screenshots/<page>.png``. Each failure names the
page and what failed. Chromium comes from Debian's package (``/usr/bin/chromium``), driven by
Playwright's Python package; no browser is downloaded.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

from booktools.pairs import ROOT

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
#: Hosts whose links name a repository; allowed only when the book names its repository.
CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org")
#: Seconds a page may take to load and finish typesetting before it fails.
SETTLE_TIMEOUT_S = 30.0

_SETTLE_JS = """
async () => {
  if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
    await window.MathJax.startup.promise;
  }
  return true;
}
"""

_INSPECT_JS = """
() => {
  const mathSource = document.querySelectorAll('.math, .MathJax_Preview, script[type^="math/tex"]');
  const mathOut = document.querySelectorAll('mjx-container');
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, textarea, .highlight').forEach(e => e.remove());
  const text = clone.textContent || '';
  const raw = [];
  for (const d of ['$$', '\\\\[', '\\\\(', '\\\\begin{']) { if (text.includes(d)) raw.push(d); }
  const images = Array.from(document.images).map(img => ({
    src: img.getAttribute('src') || '',
    loaded: img.complete && img.naturalWidth > 0,
    alt: (img.getAttribute('alt') || '').trim(),
  }));
  const anchors = Array.from(document.querySelectorAll('a[href]'));
  const links = anchors.map(a => a.href);
  // Links in the page's chrome (header buttons, sidebars), not in the article's text.
  const chromeLinks = anchors.filter(a => !a.closest('article')).map(a => a.href);
  return {mathSource: mathSource.length, mathOut: mathOut.length, raw, images, links, chromeLinks};
}
"""


@dataclass(frozen=True)
class Failure:
    """One problem on one page."""

    page: str
    what: str

    def __str__(self) -> str:
        return f"{self.page}: {self.what}"


class BrowserUnavailable(RuntimeError):
    """Chromium (or Playwright) is not available: the check cannot run."""


def find_chromium() -> str:
    """The Chromium to drive: ``$CHROMIUM`` if set, else Debian's; raise naming the fix."""
    chosen = os.environ.get("CHROMIUM", "").strip()
    if chosen:
        if not os.access(chosen, os.X_OK):
            raise BrowserUnavailable(f"CHROMIUM={chosen} is not an executable file")
        return chosen
    for path in CHROMIUM_CANDIDATES:
        if Path(path).exists():
            return path
    found = shutil.which("chromium")
    if found:
        return found
    raise BrowserUnavailable(
        "Chromium is not installed: run `apt-get install chromium` as root (or `make chromium`), "
        "or point CHROMIUM=/path at an existing one; the browser test does not skip without it"
    )


def configured_repository(root: Path = ROOT) -> str:
    """``repository.url`` of the book's ``_config.yml`` (empty when unset)."""
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
    return str((config.get("repository") or {}).get("url") or "").strip()


def _repository_link(url: str, repository_url: str) -> str | None:
    host = urlparse(url).netloc.lower().removeprefix("www.")
    if host in CODE_HOSTS and not repository_url:
        return f"link to {url[:120]} although no repository is configured (repository.url)"
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) for the duration of the block."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _pages(site: Path) -> list[str]:
    return sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if not any(part.startswith(("_", ".")) for part in p.relative_to(site).parts[:-1])
    )


def _target_ok(site: Path, base: str, url: str, cache: dict[str, str | None]) -> str | None:
    """None when an internal link resolves, else why not."""
    target, fragment = urldefrag(url)
    path = unquote(urlparse(target).path).lstrip("/")
    file = site / path
    if path == "" or file.is_dir():
        file = file / "index.html"
    if not file.exists():
        return f"link to {url[len(base) :] or '/'} is a 404"
    if fragment and file.suffix == ".html":
        key = str(file)
        if key not in cache:
            cache[key] = file.read_text(encoding="utf-8", errors="replace")
        html = cache[key]
        if f'id="{fragment}"' not in html and f'name="{fragment}"' not in html:
            return f"link to {url[len(base) :]} has no element #{fragment} in its target"
    return None


def _local_only(route, request=None, *, host: str, found: list[str]) -> None:
    """Let requests to the local server through; block and record any other host."""
    url = route.request.url
    if urlparse(url).scheme in ("data", "blob") or urlparse(url).netloc == host:
        route.continue_()
    else:
        found.append(f"request to another host blocked: {url[:120]}")
        route.abort()


@dataclass(frozen=True)
class _Site:
    """What every page check needs to know about the site being checked."""

    root: Path
    base: str
    repository_url: str
    timeout_s: float
    screenshots: Path | None
    link_cache: dict[str, str | None]

    @property
    def host(self) -> str:
        return urlparse(self.base).netloc


def _watch(page, site: _Site) -> list[str]:
    """Record, while ``page`` loads, what only the browser sees: console and page errors, HTTP
    errors from the local server, and requests to any other host (blocked)."""
    found: list[str] = []
    page.route("**/*", functools.partial(_local_only, host=site.host, found=found))

    def on_console(msg) -> None:
        if msg.type == "error":
            found.append(f"console error: {msg.text[:200]}")

    def on_response(resp) -> None:
        if resp.status >= 400 and urlparse(resp.url).netloc == site.host:
            found.append(f"HTTP {resp.status} for {resp.url[len(site.base) :] or '/'}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: found.append(f"page error: {exc}"))
    page.on("response", on_response)
    return found


def _judge(info: dict, site: _Site) -> list[str]:
    """What is wrong with a settled page, from what ``_INSPECT_JS`` read off it."""
    problems: list[str] = []
    if info["mathSource"] and not info["mathOut"]:
        problems.append("math is not typeset (no MathJax output elements)")
    problems += [f"raw math delimiter {delim!r} in the visible text" for delim in info["raw"]]
    for img in info["images"]:
        if not img["loaded"]:
            problems.append(f"image did not load: {img['src']}")
        if not img["alt"]:
            problems.append(f"image has no alt text: {img['src']}")
    chrome = set(info["chromeLinks"])
    for url in sorted(set(info["links"])):
        if url.startswith(site.base):
            why = _target_ok(site.root, site.base, url, site.link_cache)
        elif url in chrome:  # a repository button; the article may cite other code freely
            why = _repository_link(url, site.repository_url)
        else:
            why = None
        if why:
            problems.append(why)
    return problems


def _check_page(browser, site: _Site, rel: str, error_type: type[Exception]) -> list[Failure]:
    """Load one page in a fresh browser context, let it settle, and judge it.

    A page that does not settle is loaded once more in a fresh context before it fails: on a
    loaded machine one load can stall in the browser or the local server (measured: a 2 s page
    once stalled for 30 s in CI), while a page that truly never settles fails both times.
    """
    first = _check_page_once(browser, site, rel, error_type)
    if not isinstance(first, str):
        return first
    second = _check_page_once(browser, site, rel, error_type)
    if isinstance(second, str):
        return [Failure(rel, f"did not settle within {site.timeout_s:g} s, twice: {second}")]
    print(f"browser: {rel} settled only on its second load (first: {first})", file=sys.stderr)
    return second


def _check_page_once(
    browser, site: _Site, rel: str, error_type: type[Exception]
) -> list[Failure] | str:
    """One load of one page: its failures, or why it did not settle in time."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(site.timeout_s * 1000)
        found = _watch(page, site)
        try:
            page.goto(site.base + rel, wait_until="load")
            page.wait_for_function(_SETTLE_JS, timeout=site.timeout_s * 1000)
            page.wait_for_load_state("networkidle", timeout=site.timeout_s * 1000)
            info = page.evaluate(_INSPECT_JS)
        except error_type as err:
            return str(err).splitlines()[0]
        problems = _judge(info, site) + list(dict.fromkeys(found))
        if site.screenshots is not None:
            shot = site.screenshots / (rel.removesuffix(".html").replace("/", "__") + ".png")
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
        return [Failure(rel, what) for what in problems]
    finally:
        context.close()


def check_site(
    site: Path,
    screenshots: Path | None = None,
    *,
    timeout_s: float = SETTLE_TIMEOUT_S,
    pages: list[str] | None = None,
    repository_url: str | None = None,
    workers: int = 2,
) -> list[Failure]:
    """Check every HTML page under ``site``; return the failures (empty when all is well).

    Parameters
    ----------
    site : Path
        The built HTML folder (``_build/html``).
    screenshots : Path, optional
        Where full-page screenshots go (``<page>.png``); none are taken when omitted.
    timeout_s : float
        Seconds a page may take to load and settle.
    pages : list of str, optional
        Paths relative to ``site``; default: every ``*.html`` outside ``_static``-like folders.
    repository_url : str, optional
        The book's repository; default: ``repository.url`` of ``_config.yml``. When empty, any
        link to a code host is a failure.
    workers : int
        Browsers that check pages at the same time, each in its own thread with its own
        Playwright instance (Playwright's objects belong to the thread that made them). The
        failures come back in page order whatever the number.
    """
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as err:  # pragma: no cover - the package is pinned in requirements.lock
        raise BrowserUnavailable(f"Playwright's Python package is missing: {err}") from None
    chromium = find_chromium()
    site = Path(site).resolve()
    if not (site / "index.html").exists():
        raise FileNotFoundError(f"{site}/index.html does not exist: build the book first")
    pages = _pages(site) if pages is None else pages
    if repository_url is None:
        repository_url = configured_repository()
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise TypeError(f"workers must be a positive int, got {type(workers).__name__} {workers!r}")
    if workers < 1:
        raise ValueError(f"workers must be a positive int, got {workers!r}")
    by_page: dict[str, list[Failure]] = {}
    queue = list(reversed(pages))  # popped from the end: pages are checked in order
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work(site_info: _Site) -> None:
        try:
            with sync_playwright() as pw:
                try:
                    browser = pw.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
                except PlaywrightError as err:
                    raise BrowserUnavailable(
                        f"Chromium at {chromium} did not start: {err}"
                    ) from None
                while True:
                    with lock:
                        if not queue or errors:
                            break
                        rel = queue.pop()
                    by_page[rel] = _check_page(browser, site_info, rel, PlaywrightError)
                browser.close()
        except BaseException as err:  # re-raised in the calling thread below
            with lock:
                errors.append(err)

    with serve(site) as base:
        threads = [
            threading.Thread(
                target=work,
                args=(_Site(site, base, repository_url, timeout_s, screenshots, {}),),
                daemon=True,
            )
            for _ in range(min(workers, max(len(pages), 1)))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    if errors:
        raise errors[0]
    return [f for rel in pages for f in by_page.get(rel, [])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--screenshots", type=Path, default=ROOT / "_build" / "screenshots")
    parser.add_argument("--timeout", type=float, default=SETTLE_TIMEOUT_S)
    args = parser.parse_args(argv)
    shutil.rmtree(args.screenshots, ignore_errors=True)  # no screenshot of a page now gone
    try:
        failures = check_site(args.site, args.screenshots, timeout_s=args.timeout)
    except (BrowserUnavailable, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for f in failures:
        print(f"browser: {f}", file=sys.stderr)
    n = len(_pages(args.site.resolve()))
    if failures:
        print(f"browser check failed: {len(failures)} problem(s) on {n} pages", file=sys.stderr)
        return 1
    print(f"browser check passed: {n} pages; screenshots in {args.screenshots}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
