"""The rendered book in headless Chromium (Debian's package, driven by Playwright).

Run by ``make browser`` (part of ``make test``) after the book is built. The planted-problem
tests prove that the checker catches what it claims to; the last test checks the real book.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from booktools import ROOT
from booktools import browser_check as bc

pytestmark = pytest.mark.browser

# A valid 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _site(tmp_path: Path, pages: dict[str, str]) -> Path:
    site = tmp_path / "html"
    site.mkdir()
    (site / "ok.png").write_bytes(PNG)
    for name, body in pages.items():
        (site / name).write_text(f"<!doctype html><html><body>{body}</body></html>", "utf-8")
    return site


def test_planted_problems_are_caught_and_named(tmp_path: Path):
    site = _site(
        tmp_path,
        {
            "index.html": (
                '<p id="top">Home</p><a href="clean.html">clean</a> <img src="ok.png" alt="dot">'
            ),
            "clean.html": '<a href="index.html#top">back</a> <img src="ok.png" alt="a dot">',
            "broken.html": (
                '<img src="missing.png" alt="missing">'
                '<img src="ok.png">'
                "<p>Raw formula: $$x^2$$</p>"
                '<span class="math">\\(a\\)</span>'
                '<a href="nope.html">dead</a> <a href="index.html#no-such-id">bad anchor</a>'
                '<a href="https://github.com/executed-answers/executed-answers">repository</a>'
                '<script src="https://cdn.example.org/lib.js"></script>'
                "<script>console.error('planted console error')</script>"
            ),
        },
    )
    shots = tmp_path / "shots"
    failures = bc.check_site(site, shots, timeout_s=20, repository_url="")
    by_page: dict[str, list[str]] = {}
    for f in failures:
        by_page.setdefault(f.page, []).append(f.what)
    assert set(by_page) == {"broken.html"}, failures  # the clean pages are clean (control)
    found = "\n".join(by_page["broken.html"])
    for expected in (
        "image did not load: missing.png",
        "image has no alt text: ok.png",
        "raw math delimiter '$$' in the visible text",
        "math is not typeset",
        "link to nope.html is a 404",
        "link to index.html#no-such-id has no element #no-such-id",
        "request to another host blocked: https://cdn.example.org/lib.js",
        "console error: planted console error",
        "HTTP 404 for missing.png",
        "link to https://github.com/executed-answers/executed-answers although no repository",
    ):
        assert expected in found, f"{expected!r} not reported; got:\n{found}"
    assert sorted(p.name for p in shots.glob("*.png")) == ["broken.png", "clean.png", "index.png"]
    assert str(failures[0]).startswith("broken.html: ")


def test_several_workers_report_the_failures_in_page_order(tmp_path: Path):
    """Three browsers share the pages; the failures still come back in page order."""
    pages = {f"p{i}.html": f'<a href="nope{i}.html">dead</a>' for i in range(4)}
    # p0 settles last (its typesetting takes 1.5 s), so completion order is not page order.
    late = "<script>window.MathJax = {startup: {promise: new Promise(r => setTimeout(r, 1500))}};"
    pages["p0.html"] += late + "</script>"
    site = _site(tmp_path, {"index.html": "<p>fine</p>", **pages})
    failures = bc.check_site(site, None, timeout_s=20, repository_url="", workers=3)
    assert [str(f) for f in failures] == [
        f"p{i}.html: link to nope{i}.html is a 404" for i in range(4)
    ]


@pytest.mark.parametrize(
    ("workers", "error"), [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError)]
)
def test_workers_must_be_a_positive_int(tmp_path: Path, workers, error):
    site = _site(tmp_path, {"index.html": "<p>fine</p>"})
    with pytest.raises(error, match="workers must be a positive int"):
        bc.check_site(site, None, repository_url="", workers=workers)


def test_the_article_may_cite_code_on_a_code_host(tmp_path: Path):
    site = _site(
        tmp_path,
        {"index.html": '<article><a href="https://github.com/o/r">their code</a></article>'},
    )
    assert bc.check_site(site, None, timeout_s=20, repository_url="") == []


def test_repository_links_are_allowed_once_a_repository_is_configured(tmp_path: Path):
    site = _site(tmp_path, {"index.html": '<a href="https://github.com/o/r">repository</a>'})
    assert bc.check_site(site, None, timeout_s=20, repository_url="https://github.com/o/r") == []
    assert "although no repository" in str(bc.check_site(site, None, repository_url="")[0])


def test_the_book_names_no_repository_by_default():
    """The repository URL is one setting, empty until a repository exists."""
    assert bc.configured_repository() == ""


def test_a_page_that_never_settles_fails_with_its_name(tmp_path: Path):
    never = "<script>window.MathJax = {startup: {promise: new Promise(() => {})}};</script>"
    site = _site(tmp_path, {"index.html": "<p>fine</p>", "slow.html": never})
    failures = bc.check_site(site, None, timeout_s=2)
    assert [(f.page, f.what.split(":")[0]) for f in failures] == [
        ("slow.html", "did not settle within 2 s, twice")
    ]


def test_a_page_that_stalls_once_passes_on_its_second_load(tmp_path: Path, monkeypatch, capsys):
    """One stalled load (a busy machine) is retried in a fresh context; the page then passes."""
    never = "<script>window.MathJax = {startup: {promise: new Promise(() => {})}};</script>"
    site = _site(tmp_path, {"index.html": "<p>fine</p>", "flaky.html": never})
    served = bc._QuietHandler.do_GET

    def first_stalls_then_fine(handler):
        served(handler)  # the first request of flaky.html gets the page that never settles,
        if handler.path == "/flaky.html":  # every later one a page that settles at once
            (site / "flaky.html").write_text("<!doctype html><p>fine now</p>", "utf-8")

    monkeypatch.setattr(bc._QuietHandler, "do_GET", first_stalls_then_fine)
    assert bc.check_site(site, None, timeout_s=2) == []
    assert "flaky.html settled only on its second load" in capsys.readouterr().err


def test_missing_chromium_is_an_error_not_a_skip(monkeypatch, tmp_path: Path):
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setattr(bc, "CHROMIUM_CANDIDATES", ("/nonexistent/chromium",))
    monkeypatch.setattr(bc.shutil, "which", lambda name: None)
    with pytest.raises(bc.BrowserUnavailable, match="apt-get install chromium"):
        bc.find_chromium()
    # its own screenshot folder: main() empties it, and the page check may run beside this test
    shots = tmp_path / "shots"
    assert bc.main([str(ROOT / "_build" / "html"), "--screenshots", str(shots)]) == 2


def _make(target: str, tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    """``make target`` with an empty PATH (nothing installed) and the given variables."""
    args = [f"{k}={v}" for k, v in variables.items()]
    return subprocess.run(
        [shutil.which("make"), "-s", "-C", str(ROOT), target, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": str(tmp_path)},
        timeout=60,
    )


@pytest.mark.parametrize(
    ("target", "variable", "package"),
    [("chromium", "CHROMIUM", "chromium"), ("octave", "OCTAVE", "octave")],
)
def test_a_missing_tool_without_root_stops_with_one_clear_line(target, variable, package, tmp_path):
    result = _make(target, tmp_path, CAN_INSTALL="")  # as a user who cannot install
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert result.returncode != 0
    assert len(errors) == 1, result.stderr
    assert f"apt-get install {package}" in errors[0]
    assert f"point {variable}=/path/to/" in errors[0]
    result = _make(target, tmp_path, **{variable: "/nonexistent/tool"})
    assert result.returncode != 0
    assert f"error: {variable}=/nonexistent/tool is not an executable file" in result.stderr
    result = _make(target, tmp_path, **{variable: sys.executable})  # any executable will do
    assert result.returncode == 0, result.stderr


def test_chromium_can_be_pointed_at(monkeypatch):
    monkeypatch.setenv("CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(bc.BrowserUnavailable, match="CHROMIUM=/nonexistent/chromium"):
        bc.find_chromium()
    monkeypatch.setenv("CHROMIUM", sys.executable)
    assert bc.find_chromium() == sys.executable


def test_every_page_of_the_built_book():
    site = ROOT / "_build" / "html"
    if not (site / "index.html").exists():
        pytest.fail("the book is not built: run `make book` first (make browser does)")
    shots = ROOT / "_build" / "screenshots"
    shutil.rmtree(shots, ignore_errors=True)
    failures = bc.check_site(site, shots)
    assert not failures, "\n".join(map(str, failures))
    pages = bc._pages(site)
    assert len(list(shots.glob("*.png"))) == len(pages)
