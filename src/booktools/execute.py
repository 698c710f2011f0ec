"""Regenerate notebooks from their Markdown sources and execute them.

``python -m booktools.execute [PAGE.md ...]`` (all pages when none is named):

1. the ``.md`` is read with jupytext and merged into the existing ``.ipynb`` the way
   ``jupytext --to ipynb --update`` does it, so cell ids are kept;
2. the notebook is executed top to bottom by ``nbclient`` in the page's folder, without timing
   metadata, so re-executing an unchanged page writes a byte-identical file;
3. a cell that raises (unless tagged ``raises-exception``) or that writes to stderr (unless tagged
   ``allow-stderr``) stops the run with the file and the cell named, and nothing is written;
4. a cell tagged ``nbval-ignore-output`` (a timing, a machine description: output nbval does not
   compare) keeps its stored output when its source is unchanged, so that re-executing an
   unchanged page rewrites nothing; ``--refresh-volatile`` (``make execute REFRESH=1``) stores the
   fresh output instead, e.g. after a change to the code being timed. Such cells are still
   executed every time, and must still succeed.
"""

from __future__ import annotations

import argparse
import atexit
import functools
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import nbformat
from jupytext.combine import combine_inputs_with_outputs
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from booktools.pairs import ROOT, Pair, find_pairs, read_md

TIMEOUT_S = 300
KERNEL_START_ATTEMPTS = 3
T = TypeVar("T")
VOLATILE_TAG = "nbval-ignore-output"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class ExecutionFailed(RuntimeError):
    """A page could not be executed cleanly; the message names the file and the cell."""


def _cell_label(nb: nbformat.NotebookNode, index: int) -> str:
    cell = nb.cells[index]
    first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
    return f"cell {index} (id {cell.get('id', '?')}): {first[:70]!r}"


def _is_volatile(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and VOLATILE_TAG in cell.metadata.get("tags", [])


def stored_volatile_outputs(pair: Pair) -> dict[str, tuple[str, list]]:
    """``{cell id: (source, outputs)}`` of the stored notebook's ``nbval-ignore-output`` cells."""
    if not pair.ipynb.exists():
        return {}
    old = nbformat.read(pair.ipynb, as_version=4)
    return {c.id: (c.source, c.outputs) for c in old.cells if _is_volatile(c) and "id" in c}


def build_notebook(pair: Pair) -> nbformat.NotebookNode:
    """The notebook of ``pair.md``, with cell ids taken over from an existing ``pair.ipynb``."""
    nb = source = read_md(pair.md)
    if pair.ipynb.exists():
        old = nbformat.read(pair.ipynb, as_version=4)
        nb = combine_inputs_with_outputs(nb, old, fmt="md:myst")
        # The .md's header is the source of truth for the notebook's own metadata (the chapter
        # registry block among it): combining keeps the old notebook's values for keys it had.
        for key, value in source.metadata.items():
            if key != "jupytext":
                nb.metadata[key] = value
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    # jupytext drops the text representation when it updates an existing notebook; drop it on
    # the first write too, so that the first and every later execution write the same bytes.
    nb.metadata.get("jupytext", {}).pop("text_representation", None)
    return nb


def _client(nb: nbformat.NotebookNode, cwd: Path) -> NotebookClient:
    return NotebookClient(
        nb,
        timeout=TIMEOUT_S,
        kernel_name="python3",
        record_timing=False,
        # Errors shown on purpose are stored as type and message only: a full traceback would
        # store this machine's paths and the helpers' line numbers (nbval ignores tracebacks).
        extra_arguments=["--InteractiveShell.xmode=Minimal"],
        resources={"metadata": {"path": str(cwd)}},
    )


def is_start_race(err: BaseException) -> bool:
    """Whether ``err`` is a kernel that died before it answered, i.e. before any cell ran.

    jupyter_client picks five free TCP ports and writes them to the connection file; the kernel
    binds them a moment later. A kernel started in between by another process (the parallel
    unit tests, a second nbval worker) can take one of them, and the new kernel then exits with
    ``ZMQError: Address already in use`` before replying to ``kernel_info``. Nothing has run,
    so starting again, on freshly picked ports, is safe.
    """
    return isinstance(err, RuntimeError) and "died before replying to kernel_info" in str(err)


def retrying_start(start: Callable[..., T]) -> Callable[..., T]:
    """``start`` (a kernel-starting function) made to start again after a start race.

    nbval starts its kernels with ``jupyter_client.start_new_kernel``, which meets the same
    race (see :func:`is_start_race`); the root ``conftest.py`` wraps it with this.
    """

    @functools.wraps(start)
    def start_again_on_race(*args: object, **kwargs: object) -> T:
        for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
            try:
                return start(*args, **kwargs)
            except RuntimeError as err:
                if not is_start_race(err) or attempt == KERNEL_START_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    return start_again_on_race


def execute_notebook(nb: nbformat.NotebookNode, cwd: Path, name: str) -> nbformat.NotebookNode:
    """Execute ``nb`` in ``cwd``; raise :class:`ExecutionFailed` naming ``name`` and the cell.

    A kernel that dies on start (see :func:`is_start_race`) is started again, up to
    ``KERNEL_START_ATTEMPTS`` times in all; any other failure is reported at once.
    """
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        client = _client(nb, cwd)
        try:
            _run(client, nb, name)
            break
        except RuntimeError as err:
            # nbclient registered an exit-time cleanup for the kernel that never came up; the
            # kernel is already cleaned up, and the handler would fail at exit.
            atexit.unregister(client._cleanup_kernel)
            if not is_start_race(err) or attempt == KERNEL_START_ATTEMPTS:
                raise
            print(f"{name}: the kernel died on start (a port race); again", file=sys.stderr)
    return _check_outputs(nb, name)


def _run(client: NotebookClient, nb: nbformat.NotebookNode, name: str) -> None:
    try:
        client.execute()
    except CellExecutionError as err:
        index = next(
            (
                i
                for i, c in enumerate(nb.cells)
                if c.cell_type == "code"
                and "raises-exception" not in c.metadata.get("tags", [])
                and any(o.get("output_type") == "error" for o in c.get("outputs", []))
            ),
            None,
        )
        where = _cell_label(nb, index) if index is not None else "a cell"
        text = _ANSI.sub("", str(err)).strip()
        summary = text.splitlines()[-1] if text else type(err).__name__
        raise ExecutionFailed(f"{name}: {where} raised: {summary}") from None


def _check_outputs(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "allow-stderr" in cell.metadata.get("tags", []):
            continue
        for out in cell.outputs:
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                text = out.get("text", "").strip().splitlines()
                raise ExecutionFailed(
                    f"{name}: {_cell_label(nb, i)} wrote to stderr: {text[0] if text else ''!r} "
                    "(fix the warning, or tag the cell allow-stderr if it is the point)"
                )
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
    return nb


def merge_streams(outputs: list) -> list:
    """Join neighbouring stream outputs of the same name into one.

    The kernel flushes a long print in pieces on a timer, so one ``print`` can arrive as two
    stream outputs, split anywhere; stored as they came, the page would show a broken line that
    depends on the machine's load. One output per run of the same stream is what was printed.
    """
    merged: list = []
    for out in outputs:
        last = merged[-1] if merged else None
        if (
            last is not None
            and out.get("output_type") == "stream"
            and last.get("output_type") == "stream"
            and last.get("name") == out.get("name")
        ):
            last["text"] += out["text"]
        else:
            merged.append(out)
    return merged


def execute_pair(pair: Pair, *, refresh_volatile: bool = False) -> bool:
    """Regenerate and execute one page; return True when the file on disk changed.

    With ``refresh_volatile`` false, cells tagged ``nbval-ignore-output`` whose source is
    unchanged keep their stored outputs (they are executed all the same).
    """
    if not pair.md.exists():
        raise ExecutionFailed(f"{pair.md}: missing (every notebook is generated from its .md)")
    kept = {} if refresh_volatile else stored_volatile_outputs(pair)
    nb = build_notebook(pair)
    nb = execute_notebook(nb, pair.md.parent, str(pair.md))
    for cell in nb.cells:
        if _is_volatile(cell) and cell.get("id") in kept and kept[cell.id][0] == cell.source:
            cell.outputs = kept[cell.id][1]
    text = nbformat.writes(nb) + "\n"
    old = pair.ipynb.read_text(encoding="utf-8") if pair.ipynb.exists() else None
    if text == old:
        return False
    pair.ipynb.write_text(text, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", type=Path, help=".md pages (default: every page)")
    parser.add_argument(
        "--refresh-volatile",
        action="store_true",
        help="store fresh outputs of nbval-ignore-output cells too (timings, machine details)",
    )
    args = parser.parse_args(argv)
    if args.pages:
        pairs = [Pair(p.with_suffix(".md"), p.with_suffix(".ipynb")) for p in args.pages]
    else:
        pairs = [p for p in find_pairs(ROOT) if p.md.exists()]
    failed = 0
    for pair in pairs:
        try:
            changed = execute_pair(pair, refresh_volatile=args.refresh_volatile)
        except ExecutionFailed as err:
            print(f"error: {err}", file=sys.stderr)
            failed += 1
            continue
        print(f"{'wrote' if changed else 'unchanged'}: {pair.ipynb}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
