"""Run the book's notebooks in JupyterLab: ``make lab`` (``python -m booktools.lab``).

JupyterLab is started on 127.0.0.1 with

* the project's ``.venv`` as the kernel: the ``python3`` kernel spec every page names is installed
  into the environment (``--sys-prefix``), pointing at this interpreter;
* jupytext's server extension (enabled by the jupytext package in the same environment) and the
  pairs declared in ``pyproject.toml`` (``[tool.jupytext]``): opening ``chapters/X.ipynb`` reads
  the cells from ``X.md``, and saving writes both files of the pair. Git keeps no timestamps,
  and jupytext refuses a pair whose ``.ipynb`` is newer than its ``.md``; so before JupyterLab
  starts, each ``.md`` whose cells agree with its notebook's is given the notebook's time
  (:func:`align_pair_times`);
* figure previews: a page hands its figures to the book with ``glue(..., display=False)``, which
  JupyterLab cannot show. The kernels of this server load :func:`load_ipython_extension`, which
  also shows each glued image in the cell that glues it. Such previews carry
  :data:`PREVIEW_KEY` in their metadata, and the drift check refuses a stored notebook that holds
  one: after editing a page in JupyterLab, ``make execute NB=...`` stores the checked outputs.

The token is printed in the URL JupyterLab logs (``http://127.0.0.1:PORT/lab?token=...``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from booktools.pairs import ROOT

#: Metadata key of a figure preview shown in JupyterLab (never part of a stored page).
PREVIEW_KEY = "booktools_lab_preview"
#: The MIME prefix under which myst-nb's ``glue(..., display=False)`` stores a value.
GLUE_PREFIX = "application/papermill.record/"
#: The kernel every page's header names.
KERNEL_NAME = "python3"
KERNEL_DISPLAY_NAME = "Python 3"


def install_kernel(prefix: Path = Path(sys.prefix)) -> Path:
    """Install the ``python3`` kernel spec of this interpreter into ``prefix``; return its file.

    The spec runs ``sys.executable`` (the project's ``.venv``) and is named like the pages'
    headers, so JupyterLab neither asks for a kernel nor rewrites a page's header on save.
    """
    spec_dir = prefix / "share" / "jupyter" / "kernels" / KERNEL_NAME
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": KERNEL_DISPLAY_NAME,
        "language": "python",
        "metadata": {"debugger": True},
    }
    spec_file = spec_dir / "kernel.json"
    text = json.dumps(spec, indent=1) + "\n"
    if not spec_file.exists() or spec_file.read_text(encoding="utf-8") != text:
        spec_dir.mkdir(parents=True, exist_ok=True)
        spec_file.write_text(text, encoding="utf-8")
    return spec_file


def ipython_dir(prefix: Path = Path(sys.prefix)) -> Path:
    """An IPython directory whose kernels load this module as an extension (figure previews)."""
    where = prefix / "share" / "booktools" / "ipython"
    config = where / "profile_default" / "ipython_kernel_config.py"
    text = (
        "# Written by booktools.lab: kernels started by `make lab` show glued figures.\n"
        f"c.InteractiveShellApp.extensions = [{__name__!r}]\n"
    )
    if not config.exists() or config.read_text(encoding="utf-8") != text:
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(text, encoding="utf-8")
    return where


def align_pair_times(root: Path = ROOT) -> tuple[list[Path], list[Path]]:
    """Let jupytext open every page whose two files agree, whatever their timestamps.

    jupytext refuses to open a pair whose ``.ipynb`` is more than a second newer than its
    ``.md`` ("is more recent than"), fearing the notebook holds edits the text lacks. Git does
    not keep timestamps, so a checkout or pull, or ``make execute`` (which writes the notebook
    after reading the text), can leave any page so. When the cells of both files agree (the
    drift check's comparison), the ``.md`` gets the notebook's modification time; a page whose
    files differ is left alone for jupytext to report.

    Returns
    -------
    (aligned, differing) : tuple of list of Path
        The ``.md`` files whose time was moved, and those left alone because they differ.
    """
    from booktools.drift import cell_differences  # drift imports this module
    from booktools.pairs import find_pairs

    aligned: list[Path] = []
    differing: list[Path] = []
    for pair in find_pairs(root):
        if not (pair.md.exists() and pair.ipynb.exists()):
            continue
        md_time, nb_time = pair.md.stat(), pair.ipynb.stat()
        if nb_time.st_mtime_ns <= md_time.st_mtime_ns:
            continue
        if cell_differences(pair):
            differing.append(pair.md)
            continue
        os.utime(pair.md, ns=(md_time.st_atime_ns, nb_time.st_mtime_ns))
        aligned.append(pair.md)
    return aligned, differing


def lab_command(
    root: Path = ROOT,
    *,
    port: int = 8888,
    token: str | None = None,
    open_browser: bool = True,
    extra: tuple[str, ...] = (),
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that start JupyterLab on ``root``.

    ``token=None`` lets JupyterLab make one (it prints the URL with it). The pages whose two
    files agree are made openable first (:func:`align_pair_times`).
    """
    install_kernel()
    _, differing = align_pair_times(root)
    for md in differing:
        print(
            f"note: {md.relative_to(root)} and its .ipynb differ and the .ipynb is newer; "
            "JupyterLab (jupytext) will refuse to open it until one of them is brought up to date "
            f"(make execute NB={md.relative_to(root)} rebuilds the .ipynb from the .md)",
            file=sys.stderr,
        )
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.open_browser={open_browser}",
        # No requests to other hosts: no update check, no news feed, no extension index.
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=None",
        "--LabApp.extension_manager=readonly",
        *extra,
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # CI runs as root
    if token is not None:
        argv.append(f"--IdentityProvider.token={token}")
    env = dict(os.environ, IPYTHONDIR=str(ipython_dir()))
    env.pop("MPLBACKEND", None)  # the kernel draws inline, as when the pages were executed
    return argv, env


# -- the kernel side: figure previews ------------------------------------------------------------


def _preview_hook(shell):
    def hook(msg: dict) -> dict:
        content = msg.get("content", {})
        data = content.get("data") or {}
        images = {
            k[len(GLUE_PREFIX) :]: v
            for k, v in data.items()
            if k.startswith(GLUE_PREFIX + "image/")
        }
        if msg.get("msg_type") == "display_data" and images:
            name = (content.get("metadata") or {}).get("scrapbook", {}).get("name", "")
            shell.display_pub.publish(
                data={**images, "text/plain": f"[preview of the glued figure {name!r}]"},
                metadata={PREVIEW_KEY: name},
            )
        return msg

    return hook


def load_ipython_extension(shell) -> None:
    """Show every glued image in the cell that glues it (JupyterLab kernels only)."""
    register = getattr(shell.display_pub, "register_hook", None)
    if register is not None:  # ipykernel's publisher; a terminal IPython has nothing to preview
        register(_preview_hook(shell))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8888)
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    args = parser.parse_args(argv)
    cmd, env = lab_command(ROOT, port=args.port, open_browser=not args.no_browser)
    print(f"JupyterLab on http://127.0.0.1:{args.port}/ (kernel: {sys.executable})", flush=True)
    print("Open chapters/NN_topic.ipynb: the cells come from its .md; saving writes both.")
    os.execvpe(cmd[0], cmd, env)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
