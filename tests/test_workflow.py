"""The book's guarantees, proved able to fail: each check is run on a temporary copy with a
planted problem, next to a clean control that passes (so that no test here can pass vacuously).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from booktools import ROOT, find_pairs
from booktools.drift import check_generated_tables, check_pair
from booktools.drift import main as drift_main
from booktools.execute import ExecutionFailed, execute_pair, merge_streams
from booktools.pairs import Pair

pytestmark = pytest.mark.slow
NBVAL = ("--nbval", "--nbval-current-env")

HEADER = (ROOT / "front" / "verification.md").read_text(encoding="utf-8").split("\n---\n")[0]
HEADER += "\n---\n"

TINY = (
    HEADER
    + """
(tiny)=
# Tiny

```{math}
:label: eq-tiny
1 + 2 = 3
```

```{code-cell} ipython3
import numpy as np

x = np.arange(4)
print(x.sum())
```

Equation {eq}`eq-tiny` holds.
"""
)


def _write_page(root: Path, rel: str, text: str) -> Pair:
    md = root / rel
    md.parent.mkdir(parents=True, exist_ok=True)
    md.write_text(text, encoding="utf-8")
    return Pair(md, md.with_suffix(".ipynb"))


@pytest.fixture
def tiny(tmp_path: Path) -> Pair:
    """A one-page book root with an executed pair ``chapters/01_tiny``."""
    pair = _write_page(tmp_path, "chapters/01_tiny.md", TINY)
    execute_pair(pair)
    return pair


def _nbval(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *NBVAL, str(path)],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=180,
    )


# --- executing pages -------------------------------------------------------------------------


def test_execution_stores_outputs_and_counts(tiny: Pair):
    nb = nbformat.read(tiny.ipynb, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1]
    assert code[0].outputs[0]["text"] == "6\n"
    assert "execution" not in code[0].metadata  # no timing metadata


def test_reexecuting_unchanged_page_is_byte_identical(tiny: Pair):
    first = tiny.ipynb.read_bytes()
    assert execute_pair(tiny) is False
    assert tiny.ipynb.read_bytes() == first


def test_reexecuting_a_real_page_reproduces_the_committed_file(tmp_path: Path):
    """The stored verification page is exactly what executing its source gives."""
    src = ROOT / "front" / "verification"
    (tmp_path / "front").mkdir()
    for ext in (".md", ".ipynb"):
        shutil.copy(src.with_suffix(ext), tmp_path / "front" / f"verification{ext}")
    pair = Pair(tmp_path / "front/verification.md", tmp_path / "front/verification.ipynb")
    assert execute_pair(pair) is False
    assert pair.ipynb.read_bytes() == src.with_suffix(".ipynb").read_bytes()


def test_cell_ids_survive_an_edit(tiny: Pair):
    ids_before = [c.id for c in nbformat.read(tiny.ipynb, as_version=4).cells]
    tiny.md.write_text(tiny.md.read_text().replace("x.sum()", "x.max()"), encoding="utf-8")
    assert execute_pair(tiny) is True
    nb = nbformat.read(tiny.ipynb, as_version=4)
    assert [c.id for c in nb.cells] == ids_before
    assert nb.cells[-2].outputs[0]["text"] == "3\n"


def test_execution_refuses_a_raising_cell_and_names_it(tiny: Pair):
    before = tiny.ipynb.read_bytes()
    tiny.md.write_text(tiny.md.read_text().replace("print(x.sum())", "1 / 0"), encoding="utf-8")
    with pytest.raises(ExecutionFailed, match=r"01_tiny.md: cell 1 .*ZeroDivisionError"):
        execute_pair(tiny)
    assert tiny.ipynb.read_bytes() == before  # nothing half-done was written


def test_execution_accepts_a_tagged_raising_cell(tmp_path: Path):
    text = TINY.replace(
        "```{code-cell} ipython3\n", "```{code-cell} ipython3\n:tags: [raises-exception]\n"
    )
    pair = _write_page(tmp_path, "chapters/01_tiny.md", text.replace("print(x.sum())", "1 / 0"))
    execute_pair(pair)
    outputs = nbformat.read(pair.ipynb, as_version=4).cells[1].outputs
    assert outputs[-1]["ename"] == "ZeroDivisionError"


def test_execution_refuses_stderr_output(tiny: Pair):
    warn = "import warnings\nwarnings.warn('planted')\nprint(x.sum())"
    tiny.md.write_text(tiny.md.read_text().replace("print(x.sum())", warn), encoding="utf-8")
    with pytest.raises(ExecutionFailed, match=r"cell 1 .*wrote to stderr"):
        execute_pair(tiny)


# --- the drift check -------------------------------------------------------------------------


def test_drift_passes_on_a_clean_pair(tiny: Pair):
    assert check_pair(tiny) == []
    assert drift_main([str(tiny.md.parents[1])]) == 0


def test_drift_catches_an_edited_md_cell(tiny: Pair, capsys):
    tiny.md.write_text(tiny.md.read_text().replace("np.arange(4)", "np.arange(5)"), "utf-8")
    problems = check_pair(tiny)
    assert len(problems) == 1
    assert "01_tiny.ipynb: cell 1 ('import numpy as np'): source differs" in problems[0]
    assert drift_main([str(tiny.md.parents[1])]) == 1
    assert "source differs" in capsys.readouterr().err


def test_drift_catches_changed_tags_and_cell_count(tiny: Pair):
    text = tiny.md.read_text()
    tagged = text.replace(
        "```{code-cell} ipython3\n", "```{code-cell} ipython3\n:tags: [nbval-ignore-output]\n"
    )
    tiny.md.write_text(tagged, encoding="utf-8")
    assert any("metadata 'tags'" in p for p in check_pair(tiny))
    tiny.md.write_text(text + "\n+++\n\nA new cell.\n", encoding="utf-8")
    assert any("3 cells, but 01_tiny.md has 4" in p for p in check_pair(tiny))


def test_drift_catches_an_unexecuted_code_cell(tiny: Pair):
    nb = nbformat.read(tiny.ipynb, as_version=4)
    nb.cells[1].execution_count = None
    nbformat.write(nb, tiny.ipynb)
    problems = check_pair(tiny)
    assert problems == [f"{tiny.ipynb}: cell 1 ('import numpy as np') was never executed"]


def test_drift_catches_a_missing_partner(tiny: Pair, tmp_path: Path):
    tiny.ipynb.unlink()
    assert "has no executed 01_tiny.ipynb" in check_pair(tiny)[0]
    lone = tmp_path / "chapters" / "02_lone.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), lone)
    pairs = find_pairs(tmp_path)
    assert [p.md.name for p in pairs] == ["01_tiny.md", "02_lone.md"]
    assert "has no 02_lone.md" in check_pair(pairs[1])[0]


def test_drift_passes_on_the_real_book():
    problems = [p for pair in find_pairs(ROOT) for p in check_pair(pair)]
    assert problems == []


def test_drift_catches_a_stale_generated_table(tmp_path: Path):
    for name in ("index", "front/introduction"):
        src = Pair(ROOT / f"{name}.md", ROOT / f"{name}.ipynb")
        assert check_generated_tables(src, ROOT) == []
        nb = nbformat.read(src.ipynb, as_version=4)
        cell = next(c for c in nb.cells if c.cell_type == "code" and "_table())" in c.source)
        data = cell.outputs[0]["data"]
        data["text/markdown"] = data["text/markdown"].replace("|", "!", 1)
        stale = Pair(tmp_path / f"{src.md.name}", tmp_path / f"{src.ipynb.name}")
        nbformat.write(nb, stale.ipynb)
        problems = check_generated_tables(stale, ROOT)
        assert len(problems) == 1
        assert "differs from what the registry gives now" in problems[0]


# --- strict nbval ----------------------------------------------------------------------------


def test_nbval_passes_on_the_clean_notebook(tiny: Pair):
    result = _nbval(tiny.ipynb)
    assert result.returncode == 0, result.stdout + result.stderr


def test_nbval_catches_an_edited_stored_output(tiny: Pair):
    nb = nbformat.read(tiny.ipynb, as_version=4)
    nb.cells[1].outputs[0]["text"] = "7\n"
    nbformat.write(nb, tiny.ipynb)
    result = _nbval(tiny.ipynb)
    assert result.returncode == 1
    assert "01_tiny.ipynb::Cell 0" in result.stdout
    assert "7" in result.stdout
    assert "6" in result.stdout


def test_nbval_catches_a_cell_that_raises(tiny: Pair):
    nb = nbformat.read(tiny.ipynb, as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace("print(x.sum())", "print(x.sum())\n1 / 0")
    nbformat.write(nb, tiny.ipynb)
    result = _nbval(tiny.ipynb)
    assert result.returncode == 1
    assert "ZeroDivisionError" in result.stdout


def test_nbval_catches_a_new_stderr_warning(tiny: Pair):
    nb = nbformat.read(tiny.ipynb, as_version=4)
    nb.cells[1].source += "\nimport sys\nprint('new warning', file=sys.stderr)"
    nbformat.write(nb, tiny.ipynb)
    result = _nbval(tiny.ipynb)
    assert result.returncode == 1
    assert "new warning" in result.stdout


# --- the strict book build -------------------------------------------------------------------


def _book(tmp_path: Path, extra_pages: dict[str, str], toc_files: list[str]) -> Path:
    """A small book with the real configuration, the tiny page and ``extra_pages``."""
    root = tmp_path / "book"
    root.mkdir()
    shutil.copy(ROOT / "_config.yml", root / "_config.yml")
    shutil.copy(ROOT / "references.bib", root / "references.bib")
    (root / "build_assets").mkdir()
    pages = {"index.md": HEADER + "\n# Home\n\nSee {ref}`tiny`.\n", "chapters/01_tiny.md": TINY}
    pages.update(extra_pages)
    for rel, text in pages.items():
        execute_pair(_write_page(root, rel, text))
    toc = "format: jb-book\nroot: index\nchapters:\n" + "".join(
        f"  - file: {f}\n" for f in toc_files
    )
    (root / "_toc.yml").write_text(toc, encoding="utf-8")
    return root


def _build(root: Path) -> subprocess.CompletedProcess:
    jb = Path(sys.executable).with_name("jupyter-book")
    return subprocess.run(
        [str(jb), "build", str(root), "--builder", "html", "-W", "-n", "--keep-going", "-q"],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_book_builds_cleanly_when_nothing_is_wrong(tmp_path: Path):
    root = _book(tmp_path, {}, ["chapters/01_tiny"])
    result = _build(root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (root / "_build/html/chapters/01_tiny.html").exists()


def test_book_build_fails_on_a_broken_cross_reference(tmp_path: Path):
    broken = HEADER + "\n# Broken\n\nSee {ref}`no-such-label` and {eq}`eq-missing`.\n"
    root = _book(
        tmp_path, {"chapters/02_broken.md": broken}, ["chapters/01_tiny", "chapters/02_broken"]
    )
    result = _build(root)
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "02_broken" in out
    assert "no-such-label" in out


def test_book_build_fails_on_an_unreferenced_page(tmp_path: Path):
    orphan = HEADER + "\n# Orphan\n\nNo toctree lists this page.\n"
    root = _book(tmp_path, {"chapters/02_orphan.md": orphan}, ["chapters/01_tiny"])
    result = _build(root)
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "02_orphan" in out
    assert "toctree" in out


# --- prerequisites ---------------------------------------------------------------------------


def _make_prereq(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "-s", "-C", str(ROOT), "prereq", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_prereq_passes_here():
    assert _make_prereq(dict(os.environ)).returncode == 0


def test_prereq_names_a_too_old_or_missing_python(tmp_path: Path):
    fake = tmp_path / "python-old"
    fake.write_text("#!/bin/sh\necho 'Python 3.9.2'\nexit 1\n")
    fake.chmod(0o755)
    result = _make_prereq(dict(os.environ), f"PYTHON={fake}")
    assert result.returncode != 0
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, result.stderr
    assert "Python 3.11 or newer is required" in lines[0]


def test_prereq_names_missing_npm(tmp_path: Path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    env = dict(os.environ, PATH=str(bin_dir))
    result = subprocess.run(
        [shutil.which("make"), "-s", "-C", str(ROOT), "prereq"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode != 0
    assert "npm is required" in result.stderr, result.stderr


def test_every_page_is_listed_and_valid_json():
    for pair in find_pairs(ROOT):
        json.loads(pair.ipynb.read_text(encoding="utf-8"))


def test_nbval_compares_hidden_glued_values(tmp_path: Path):
    """A value glued with display=False is still stored, and nbval still compares it."""
    nb_path = tmp_path / "verification.ipynb"
    shutil.copy(ROOT / "front" / "verification.ipynb", nb_path)
    assert _nbval(nb_path).returncode == 0
    text = nb_path.read_text(encoding="utf-8")
    planted = text.replace('/text/plain": "\'0.33335\'"', '/text/plain": "\'0.5\'"')
    assert planted != text
    nb_path.write_text(planted, encoding="utf-8")
    result = _nbval(nb_path)
    assert result.returncode == 1
    assert "0.33335" in result.stdout


VOLATILE = (
    TINY
    + """
```{code-cell} ipython3
:tags: [nbval-ignore-output]
import time

print(time.perf_counter_ns())
```
"""
)


def test_volatile_cells_keep_their_output_unless_refreshed(tmp_path: Path):
    """A timing cell does not churn the file; REFRESH stores the fresh value."""
    pair = _write_page(tmp_path, "chapters/01_tiny.md", VOLATILE)
    execute_pair(pair)
    first = pair.ipynb.read_bytes()
    assert execute_pair(pair) is False
    assert pair.ipynb.read_bytes() == first
    assert execute_pair(pair, refresh_volatile=True) is True
    stamp = nbformat.read(pair.ipynb, as_version=4).cells[-1].outputs[0]["text"]
    assert stamp != json.loads(first)["cells"][-1]["outputs"][0]["text"]


def test_volatile_cells_are_still_executed(tmp_path: Path):
    """Keeping a timing cell's output never skips running it: its errors still stop the run."""
    uses_x = VOLATILE.replace(
        "print(time.perf_counter_ns())", "print(time.perf_counter_ns())\nx.sum()"
    )
    pair = _write_page(tmp_path, "chapters/01_tiny.md", uses_x)
    execute_pair(pair)
    pair.md.write_text(uses_x.replace("print(x.sum())", "print(x.sum())\nx = None"), "utf-8")
    with pytest.raises(ExecutionFailed, match=r"cell 3 .*AttributeError"):
        execute_pair(pair)


def test_failure_names_the_failing_cell_not_an_intended_error(tmp_path: Path):
    intended = TINY.replace(
        "```{code-cell} ipython3\n", "```{code-cell} ipython3\n:tags: [raises-exception]\n"
    ).replace("print(x.sum())", "print(x.sum())\n1 / 0")
    pair = _write_page(
        tmp_path,
        "chapters/01_tiny.md",
        intended + "\n```{code-cell} ipython3\nundefined_name\n```\n",
    )
    with pytest.raises(ExecutionFailed, match=r"cell 3 .*NameError"):
        execute_pair(pair)


def _hold_ports(monkeypatch, taken: int) -> tuple[list[int], object]:
    """Make jupyter_client hand out a port another process holds, for the first ``taken`` picks.

    This is the race a parallel run meets by chance: a port found free, then bound by someone
    else before the new kernel binds it.
    """
    import socket

    from jupyter_client.provisioning import local_provisioner

    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen()
    port = held.getsockname()[1]
    original = local_provisioner.LocalPortCache.find_available_port
    handed: list[int] = []

    def find_available_port(self, ip):
        handed.append(port if len(handed) < taken else original(self, ip))
        return handed[-1]

    cache = local_provisioner.LocalPortCache
    monkeypatch.setattr(cache, "find_available_port", find_available_port)
    return handed, held  # the caller keeps ``held`` open while the kernel starts


def test_a_kernel_that_loses_its_port_on_start_is_started_again(tmp_path: Path, monkeypatch):
    pair = _write_page(tmp_path, "chapters/01_tiny.md", TINY)
    handed, held = _hold_ports(monkeypatch, taken=1)
    assert execute_pair(pair) is True
    held.close()
    nb = nbformat.read(pair.ipynb, as_version=4)
    assert {"output_type": "stream", "name": "stdout", "text": "6\n"} in nb.cells[-2].outputs
    # the first start got the taken port; a second start picked five new ones
    assert handed.count(handed[0]) == 1
    assert len(handed) == 10


def test_a_kernel_that_never_starts_is_reported_after_three_attempts(tmp_path: Path, monkeypatch):
    pair = _write_page(tmp_path, "chapters/01_tiny.md", TINY)
    handed, held = _hold_ports(monkeypatch, taken=10**6)
    with pytest.raises(RuntimeError, match="died before replying"):
        execute_pair(pair)
    held.close()
    assert len(handed) == 15  # three starts of five ports each
    assert not pair.ipynb.exists()


@pytest.mark.parametrize(("taken", "starts"), [(1, 2), (10**6, 3)])
def test_nbval_kernel_starts_are_retried_after_a_port_race(monkeypatch, taken, starts):
    import nbval.kernel

    from booktools.execute import retrying_start

    # the root conftest.py has wrapped nbval's own start_new_kernel with retrying_start
    start_new_kernel = nbval.kernel.start_new_kernel.__wrapped__
    assert start_new_kernel.__module__ == "nbval.kernel"
    handed, held = _hold_ports(monkeypatch, taken=taken)
    start = retrying_start(start_new_kernel)
    if starts == 3:
        with pytest.raises(RuntimeError, match="died before replying"):
            start(kernel_name="python3", startup_timeout=20)
    else:
        km, kc = start(kernel_name="python3", startup_timeout=20)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    held.close()
    assert len(handed) == 5 * starts


def test_merge_streams_joins_a_print_split_by_the_kernel():
    def stream(name, text):
        return {"output_type": "stream", "name": name, "text": text}

    result = {"output_type": "execute_result", "data": {"text/plain": "1"}}
    outputs = [
        stream("stdout", "alpha_max ="),
        stream("stdout", " 0.108586\n"),
        result,
        stream("stdout", "a\n"),
        stream("stderr", "w\n"),
        stream("stdout", "b\n"),
    ]
    merged = merge_streams(outputs)
    assert merged == [
        stream("stdout", "alpha_max = 0.108586\n"),
        result,
        stream("stdout", "a\n"),
        stream("stderr", "w\n"),
        stream("stdout", "b\n"),
    ]


# --- names a reader can see ------------------------------------------------------------------

HIDDEN = (
    HEADER
    + """
# Hidden

```{code-cell} ipython3
:tags: [remove-cell]

secret = 3
```

```{code-cell} ipython3
:tags: [hide-input]

folded = 4
```

```{code-cell} ipython3
print(folded + len([secret]))
```
"""
)


def test_visible_names_catches_a_name_only_a_removed_cell_defines(tmp_path: Path, capsys):
    from booktools.visible_names import hidden_names
    from booktools.visible_names import main as names_main

    clean = _write_page(
        tmp_path / "clean", "chapters/01_clean.md", HIDDEN.replace("secret", "folded")
    )
    assert hidden_names(clean.md) == []
    assert names_main([str(tmp_path / "clean")]) == 0
    bad = _write_page(tmp_path / "bad", "chapters/01_bad.md", HIDDEN)
    assert [names for _, _, names in hidden_names(bad.md)] == [["secret"]]
    assert names_main([str(tmp_path / "bad")]) == 1
    assert "secret" in capsys.readouterr().out


def test_visible_names_pass_on_the_real_book():
    from booktools.visible_names import main as names_main

    assert names_main([str(ROOT)]) == 0
