"""A reader's session in JupyterLab, driven in headless Chromium (``make browser``).

In a temporary copy of the repository (the real pages are never touched), JupyterLab is started
the way ``make lab`` starts it, on a free loopback port with a token. A chapter is opened as a
notebook and run top to bottom from the Run menu; every cell must run, the only errors being the
ones the page shows on purpose (cells tagged ``raises-exception``), and the chapter's figures must
be on screen. Then a cell is edited, run and saved: the ``.md`` must change by exactly that line,
and the drift check must see that the stored notebook is no longer a clean top-to-bottom
execution. The server is shut down whatever happens. That test is marked ``browser``; the
unmarked ones below check its pieces (the drift rules, the figure preview, the command line)
without a browser.
"""

from __future__ import annotations

import difflib
import functools
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import jupytext
import nbformat
import pytest
from jupytext.config import load_jupytext_configuration_file

from booktools import ROOT
from booktools import browser_check as bc
from booktools.drift import check_pair
from booktools.lab import (
    GLUE_PREFIX,
    PREVIEW_KEY,
    _preview_hook,
    align_pair_times,
    lab_command,
)
from booktools.pairs import Pair, read_md

#: The chapter the reader opens: chapters 1 and 4 execute fastest (about 17 s each here).
CHAPTER = "chapters/04_linear_regression"
EDIT = "# edited in JupyterLab"
#: Seconds for the whole run of the chapter: about 17 s on the idle 2-core machine, four times
#: that when it is shared.
RUN_TIMEOUT_S = 240
_IGNORED = (".venv", "_build", "node_modules", "build_assets", ".git", "*.egg-info", "__pycache__")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _copy_repository(dst: Path) -> Path:
    """The repository's files (timestamps kept), without environments and build output."""
    shutil.copytree(ROOT, dst, ignore=shutil.ignore_patterns(*_IGNORED, ".*cache*"))
    return dst


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def running_lab(root: Path, state: Path) -> Iterator[tuple[str, str]]:
    """JupyterLab on ``root`` (as ``make lab`` starts it); yields (base URL, token)."""
    port, token = _free_port(), secrets.token_hex(16)
    settings = state / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # Every cell in the page, as a reader scrolling through sees it (no virtual scrolling).
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    argv, env = lab_command(
        root,
        port=port,
        token=token,
        open_browser=False,
        extra=(
            f"--LabApp.user_settings_dir={state / 'settings'}",
            f"--LabApp.workspaces_dir={state / 'workspaces'}",
        ),
    )
    env.update(JUPYTER_CONFIG_DIR=str(state / "config"), JUPYTER_RUNTIME_DIR=str(state / "rt"))
    base = f"http://127.0.0.1:{port}/"
    with open(state / "lab.log", "wb") as log:
        proc = subprocess.Popen(
            argv, env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"JupyterLab exited ({proc.returncode}):\n{_tail(state)}")
                try:
                    urllib.request.urlopen(f"{base}api/status?token={token}", timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"JupyterLab did not answer within 60 s:\n{_tail(state)}")
                    time.sleep(0.5)
            yield base, token
        finally:
            _stop(proc, base, token)
    assert proc.poll() is not None
    assert not _listening(port), f"port {port} still open after the server was stopped"


def _stop(proc: subprocess.Popen, base: str, token: str) -> None:
    """Shut the server down (kernels first, through its API); kill its process group if need be."""
    if proc.poll() is None:
        req = urllib.request.Request(f"{base}api/shutdown?token={token}", method="POST")
        try:
            urllib.request.urlopen(req, timeout=5)
            proc.wait(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)  # the server and anything it started in its session
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            continue


def _tail(state: Path) -> str:
    return (state / "lab.log").read_text(errors="replace")[-3000:]


def _as_jupytext_writes_it(text: str, root: Path) -> str:
    """``text`` (a MyST page) as jupytext writes it with the repository's configuration.

    Saving from JupyterLab writes this layout: YAML header keys sorted and wrapped, a blank line
    after a cell's options. A page written in another layout changes by those on its first save.
    """
    config = load_jupytext_configuration_file(str(root / "pyproject.toml"))
    return jupytext.writes(jupytext.reads(text, fmt="md:myst"), fmt="md:myst", config=config)


_CELLS_JS = """
() => Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell.jp-CodeCell')).map(cell => ({
  prompt: (cell.querySelector('.jp-InputArea-prompt') || {}).textContent || '',
  errors: Array.from(cell.querySelectorAll('.jp-OutputArea-output'))
    .filter(o => o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr')
    .map(o => o.textContent.slice(0, 300)),
  images: Array.from(cell.querySelectorAll('.jp-OutputArea-output img'))
    .map(img => img.complete && img.naturalWidth > 0),
}))
"""


def _wait_until(predicate, timeout_s: float, what: str, page) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            prompts = [c["prompt"].strip() for c in page.evaluate(_CELLS_JS)]
            pytest.fail(f"{what} within {timeout_s:g} s; the code cells' prompts: {prompts}")
        page.wait_for_timeout(250)


def _run_all(page, cells) -> None:
    """Run > Run All Cells, once the notebook is the current widget (else the item is inert)."""
    for _ in range(5):
        cells.first.locator(".jp-InputPrompt").click()  # select a cell: the notebook has focus
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        item = page.locator('.lm-Menu-item[data-command="runmenu:run-all"]')
        item.wait_for()
        if "lm-mod-disabled" not in (item.get_attribute("class") or ""):
            item.click()
            return
        page.keyboard.press("Escape")
        page.wait_for_timeout(1000)
    pytest.fail("Run > Run All Cells stayed disabled")


def _start_run_all(page, cells, attempts: int = 3, wait_s: float = 30) -> None:
    """Run All Cells, and again if no cell has started within ``wait_s`` seconds: on a loaded
    machine the first click can be lost while the kernel is still connecting (every prompt
    stays ``[ ]:``). A cell that runs and fails is not retried: its prompt has changed."""
    for _ in range(attempts):
        _run_all(page, cells)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if any(c["prompt"].strip() not in ("[ ]:", "") for c in page.evaluate(_CELLS_JS)):
                return
            page.wait_for_timeout(500)
    pytest.fail(f"Run All Cells started no cell in {attempts} attempts of {wait_s:g} s")


@pytest.mark.browser
def test_a_chapter_runs_in_jupyterlab_and_saves_both_files(tmp_path: Path):
    from playwright.sync_api import sync_playwright

    chromium = bc.find_chromium()
    root = _copy_repository(tmp_path / "book")
    state = tmp_path / "jupyter"
    state.mkdir()
    md, ipynb = root / f"{CHAPTER}.md", root / f"{CHAPTER}.ipynb"
    md_before = md.read_text(encoding="utf-8")
    source = read_md(md)
    code = [c for c in source.cells if c.cell_type == "code"]
    intended = [i for i, c in enumerate(code) if "raises-exception" in c.metadata.get("tags", [])]
    n_figures = md_before.count("```{glue:figure}")
    assert code, "the chosen chapter must have code"
    assert n_figures, "the chosen chapter must have figures"

    # As after a checkout that wrote the notebook last: jupytext alone would refuse to open it.
    newer = ipynb.stat().st_mtime_ns + 30 * 10**9
    os.utime(ipynb, ns=(newer, newer))

    with running_lab(root, state) as (base, token), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=list(bc.CHROMIUM_ARGS))
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            other_hosts: list[str] = []
            host = urlparse(base).netloc
            page.route("**/*", functools.partial(bc._local_only, host=host, found=other_hosts))
            page.goto(f"{base}lab/tree/{CHAPTER}.ipynb?reset&token={token}")
            cells = page.locator(".jp-Notebook .jp-Cell.jp-CodeCell")
            cells.first.wait_for(timeout=60_000)
            _wait_until(lambda: cells.count() == len(code), 30, "the cells did not show", page)
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(
                timeout=60_000
            )

            # Run > Run All Cells, as a reader would, and wait for the last prompt number.
            _start_run_all(page, cells)

            def all_ran() -> bool:
                shown = page.evaluate(_CELLS_JS)
                return all(c["prompt"].strip() not in ("[ ]:", "[*]:", "") for c in shown)

            _wait_until(all_ran, RUN_TIMEOUT_S, "the chapter did not run to its end", page)
            shown = page.evaluate(_CELLS_JS)
            prompts = [c["prompt"].strip() for c in shown]
            assert prompts == [f"[{i + 1}]:" for i in range(len(code))], prompts
            with_errors = [i for i, c in enumerate(shown) if c["errors"]]
            assert with_errors == intended, (
                "only the cells tagged raises-exception may show an error: "
                + "; ".join(f"cell {i}: {shown[i]['errors']}" for i in with_errors)
            )
            images = [ok for c in shown for ok in c["images"]]
            # Each glued figure is on screen (a cell that draws a figure may show it too).
            assert len(images) >= n_figures, f"{len(images)} figures on screen, {n_figures} glued"
            assert all(images), "a figure did not load"
            page.screenshot(path=str(tmp_path / "lab.png"))

            # Edit the first cell, run it, save: both files of the pair are written.
            editor = cells.first.locator(".cm-content")
            editor.click()
            page.keyboard.press("Control+Home")
            page.keyboard.type(EDIT)
            page.keyboard.press("Enter")
            page.keyboard.press("Shift+Enter")
            _wait_until(
                lambda: page.evaluate(_CELLS_JS)[0]["prompt"].strip() == f"[{len(code) + 1}]:",
                30,
                "the edited cell did not run",
                page,
            )
            page.keyboard.press("Control+s")
            _wait_until(
                lambda: md.read_text(encoding="utf-8") != md_before,
                30,
                "saving did not write the .md",
                page,
            )
            page.wait_for_timeout(500)  # both files are written by one save
            assert not other_hosts, other_hosts
        finally:
            browser.close()

    # The .md changed by exactly the edited line, in the edited cell: it is what jupytext writes
    # for the page with that edit (jupytext's own layout: see _as_jupytext_writes_it).
    md_after = md.read_text(encoding="utf-8")
    diff = [
        ln
        for ln in difflib.unified_diff(
            _as_jupytext_writes_it(md_before, root).splitlines(), md_after.splitlines(), n=0
        )
        if ln[:1] in "+-" and not ln.startswith(("+++", "---"))
    ]
    assert diff == [f"+{EDIT}"], diff
    edited = read_md(md)
    k = next(i for i, c in enumerate(source.cells) if c.cell_type == "code")
    assert edited.cells[k].source == f"{EDIT}\n{source.cells[k].source}"
    assert [c.source for i, c in enumerate(edited.cells) if i != k] == [
        c.source for i, c in enumerate(source.cells) if i != k
    ]
    first_code = edited.cells[k]
    # The .ipynb has the same edit (the pair was saved), with the figures JupyterLab showed.
    saved = nbformat.read(ipynb, as_version=4)
    saved_code = [c for c in saved.cells if c.cell_type == "code"]
    assert saved_code[0].source == first_code.source
    previews = [o for c in saved_code for o in c.outputs if PREVIEW_KEY in o.get("metadata", {})]
    assert len(previews) == n_figures
    # The drift check sees that this notebook is not the checked top-to-bottom execution.
    problems = check_pair(Pair(md, ipynb))
    found = "\n".join(problems)
    assert any(f"cell {k} (" in p and "ran out of order" in p for p in problems), found
    assert sum("figure preview" in p for p in problems) == n_figures, found
    # The real chapter is untouched.
    assert (ROOT / f"{CHAPTER}.md").read_text(encoding="utf-8") == md_before


# -- without a browser: the pieces the session above relies on ----------------------------------


def _pair(tmp_path: Path, counts: list[int], preview: bool = False, name: str = "page") -> Pair:
    """A two-cell page whose stored code cells have the given execution counts."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell("a = 1"), nbformat.v4.new_code_cell("b = a + 1")]
    for cell, n in zip(nb.cells, counts, strict=True):
        cell.execution_count = n
    if preview:
        out = nbformat.v4.new_output(
            "display_data", data={"image/png": "iVBOR"}, metadata={PREVIEW_KEY: "f"}
        )
        nb.cells[1].outputs = [out]
    md = tmp_path / f"{name}.md"
    md.write_text(jupytext.writes(nb, fmt="md:myst"), encoding="utf-8")
    nbformat.write(nb, md.with_suffix(".ipynb"))
    return Pair(md, md.with_suffix(".ipynb"))


def test_a_newer_notebook_that_agrees_gives_its_time_to_the_md(tmp_path: Path, capsys):
    """After a checkout the .ipynb can be newer than its .md, which jupytext refuses to open:
    a pair whose cells agree is aligned before JupyterLab starts; one that differs is named."""
    (tmp_path / "chapters").mkdir()
    same = _pair(tmp_path / "chapters", [1, 2], name="same")
    edited = _pair(tmp_path / "chapters", [1, 2], name="edited")
    older = _pair(tmp_path / "chapters", [1, 2], name="older")
    edited.md.write_text(edited.md.read_text().replace("b = a + 1", "b = a + 2"))
    stamp = lambda path, s: os.utime(path, ns=(s * 10**9, s * 10**9))  # noqa: E731
    for pair in (same, edited):
        stamp(pair.md, 1_700_000_000)
        stamp(pair.ipynb, 1_700_000_030)  # 30 s newer: jupytext would refuse both
    stamp(older.md, 1_700_000_030)
    stamp(older.ipynb, 1_700_000_000)
    assert align_pair_times(tmp_path) == ([same.md], [edited.md])
    assert same.md.stat().st_mtime_ns == same.ipynb.stat().st_mtime_ns
    assert edited.md.stat().st_mtime_ns == 1_700_000_000 * 10**9  # left for jupytext to report
    assert older.md.stat().st_mtime_ns == 1_700_000_030 * 10**9  # the .md newer: nothing to do
    lab_command(tmp_path, port=12345, token="t", open_browser=False)
    err = capsys.readouterr().err
    assert "chapters/edited.md and its .ipynb differ" in err
    assert "make execute NB=chapters/edited.md" in err
    assert "same.md" not in err


def test_drift_accepts_one_top_to_bottom_run(tmp_path: Path):
    assert check_pair(_pair(tmp_path, [1, 2])) == []


def test_drift_names_a_cell_run_out_of_order(tmp_path: Path):
    (problem,) = check_pair(_pair(tmp_path, [1, 3]))
    assert "cell 1 ('b = a + 1') ran out of order (execution count 3, expected 2)" in problem
    assert "make execute NB=" in problem


def test_drift_refuses_a_jupyterlab_figure_preview(tmp_path: Path):
    (problem,) = check_pair(_pair(tmp_path, [1, 2], preview=True))
    assert "cell 1 ('b = a + 1') holds a JupyterLab figure preview" in problem


class _Publisher:
    def __init__(self):
        self.published: list[tuple[dict, dict]] = []

    def publish(self, data, metadata=None, **kwargs):
        self.published.append((data, metadata or {}))


def test_a_glued_figure_is_previewed_and_other_output_is_not():
    shell = type("Shell", (), {"display_pub": _Publisher()})()
    hook = _preview_hook(shell)
    figure = {
        "msg_type": "display_data",
        "content": {
            "data": {GLUE_PREFIX + "image/png": "iVBOR", GLUE_PREFIX + "text/plain": "<Figure>"},
            "metadata": {"scrapbook": {"name": "fig_key", "mime_prefix": GLUE_PREFIX}},
        },
    }
    value = {"msg_type": "display_data", "content": {"data": {GLUE_PREFIX + "text/plain": "'3'"}}}
    assert hook(figure) is figure  # the glued record itself is sent unchanged
    assert hook(value) is value
    ((data, metadata),) = shell.display_pub.published  # one preview, for the figure only
    assert data["image/png"] == "iVBOR"
    assert metadata == {PREVIEW_KEY: "fig_key"}


def test_lab_command_binds_to_loopback_with_the_project_kernel(tmp_path: Path):
    argv, env = lab_command(tmp_path, port=12345, token="t0k", open_browser=False)
    assert "--ServerApp.ip=127.0.0.1" in argv
    assert "--ServerApp.port=12345" in argv
    assert "--IdentityProvider.token=t0k" in argv
    assert f"--ServerApp.root_dir={tmp_path}" in argv
    config = Path(env["IPYTHONDIR"]) / "profile_default" / "ipython_kernel_config.py"
    assert "booktools.lab" in config.read_text()
    import json
    import sys

    spec = json.loads((Path(sys.prefix) / "share/jupyter/kernels/python3/kernel.json").read_text())
    assert spec["argv"][0] == sys.executable
    assert spec["display_name"] == "Python 3"  # as in every page's header
