"""What the set-up does inside ``.venv`` once the pinned packages are in.

``python -m hw04.install`` (run by ``make_homework.py`` after pip):

1. writes ``.venv``'s ``python3`` kernelspec with the BLAS kernel chosen for this
   machine (:mod:`hw04.reproducible`), so that JupyterLab's kernel and its
   workers get the reference numbers;
2. links pypandoc-binary's ``pandoc`` into ``.venv``'s scripts folder, where
   nbconvert's LaTeX, AsciiDoc and reST exporters look for it in an activated
   environment, and enables the server extension :mod:`hw04.export`, which puts
   it on the Jupyter server's ``PATH`` however the server was started;
3. decides which of nbconvert's exporters can run on this machine and writes
   Jupyter's configuration of the environment (``etc/jupyter`` in ``.venv``) so
   that the others are disabled: JupyterLab's *Save and Export Notebook As* menu
   and ``jupyter nbconvert`` then offer only formats that work here;
4. has numba compile the engine's kernels once, so that the notebook's first
   run does not.
"""

import importlib.util
import json
import shutil
import sys
import sysconfig
import time
from importlib.metadata import entry_points
from pathlib import Path

from hw04 import reproducible
from hw04.export import COMMAND_LINE_PDF, LATEX_PDF, MENU_PDF, pandoc_path, upload

# The names under which nbconvert and this package register exporters
# (``nbconvert.exporters`` entry points) that need more than pip's packages.
LATEX_NAMES = ("pdf", LATEX_PDF)  # xelatex and bibtex on PATH
UPLOAD_NAMES = (MENU_PDF, COMMAND_LINE_PDF)  # this package's Typst PDF
PANDOC_NAMES = ("asciidoc", "latex", "rst", *LATEX_NAMES, *UPLOAD_NAMES)
QT_NAMES = ("qtpdf", "qtpng")  # PyQtWebEngine
WEBPDF_NAMES = ("webpdf",)  # Playwright with the Chromium it downloads
# Left out of the Jupyter server only: ``typstpdf`` is kept for ``jupyter nbconvert
# --to typstpdf``, while the menu lists the same exporter once, under the name
# ``PDF_for_Gradescope``; ``custom`` needs a template named on the command line,
# which a request to the server cannot give.
SERVER_HIDDEN = (COMMAND_LINE_PDF, "custom")
SERVER_EXTENSION = "hw04.export"


def link_pandoc(scripts=None):
    """Link pypandoc-binary's pandoc into the scripts folder; return the link."""
    source = pandoc_path()
    if source is None:
        return None
    folder = Path(scripts or sysconfig.get_path("scripts"))
    link = folder / source.name
    if link.is_symlink() or link.exists():
        if link.resolve() == source.resolve():
            return link
        if not _is_our_old_link(link):
            return None  # the environment's own pandoc (Anaconda's): it stays
        link.unlink()
    try:
        link.symlink_to(source)
    except OSError:  # no symlinks (Windows without the privilege): a copy
        shutil.copy2(source, link)
    return link


def _is_our_old_link(link):
    """Whether ``link`` is a link this set-up made to pypandoc-binary's pandoc
    (of another release, or gone), which a new one may replace."""
    return link.is_symlink() and "pypandoc" in str(link.readlink())


def _playwright_has_chromium():
    """Whether Playwright and the Chromium it launches by default are installed
    (nbconvert's webpdf exporter uses no other browser)."""
    if not _has_module("playwright"):
        return False
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            return Path(pw.chromium.executable_path).exists()
    except Exception:  # noqa: BLE001 (no driver, no browser: it cannot run)
        return False


def _has_module(name):
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:  # its parent package is missing
        return False


def missing_for_exporters():
    """``{entry point name: what it lacks here}`` for exporters that cannot run."""
    missing = {}
    if pandoc_path() is None and not shutil.which("pandoc"):
        missing.update(dict.fromkeys(PANDOC_NAMES, "pandoc"))
    tex = upload.missing_latex_tools()
    if tex:
        missing.update(dict.fromkeys(LATEX_NAMES, " and ".join(tex)))
    if not _has_module("PyQt5.QtWebEngineWidgets"):
        missing.update(dict.fromkeys(QT_NAMES, "PyQtWebEngine"))
    if not _playwright_has_chromium():
        missing.update(dict.fromkeys(WEBPDF_NAMES, "Playwright's Chromium"))
    return missing


def exporter_classes():
    """``{entry point name: class}`` of every exporter nbconvert finds and loads."""
    classes = {}
    for ep in entry_points(group="nbconvert.exporters"):
        try:
            classes[ep.name] = ep.load()
        except Exception:  # noqa: BLE001 (a broken plug-in: nothing to decide)
            continue
    return classes


def exporter_config(disabled):
    """Jupyter config that disables the exporters named in ``disabled``.

    A disabled exporter's setting reaches its subclasses too (nbconvert's
    ``Exporter.enabled``), so a subclass that stays is enabled by name.
    """
    classes = exporter_classes()
    off = {cls for name, cls in classes.items() if name in disabled}
    config = {}
    for cls in classes.values():
        if cls in off:
            config[cls.__name__] = {"enabled": False}
        elif any(issubclass(cls, parent) for parent in off):
            config[cls.__name__] = {"enabled": True}
    return dict(sorted(config.items()))


def write_jupyter_config(prefix, missing):
    """Write the environment's Jupyter config for the server and for nbconvert.

    Returns the two files written. Sections other than the exporters' and the
    server extension's stay as they were.
    """
    folder = Path(prefix) / "etc" / "jupyter"
    folder.mkdir(parents=True, exist_ok=True)
    nbconvert = exporter_config(set(missing))
    server = exporter_config(set(missing) | set(SERVER_HIDDEN))
    exporter_names = {cls.__name__ for cls in exporter_classes().values()}
    written = []
    for name, settings in [("server", server), ("nbconvert", nbconvert)]:
        path = folder / f"jupyter_{name}_config.json"
        current = json.loads(path.read_text()) if path.exists() else {}
        # Each exporter's `enabled` is decided again; every other setting stays.
        for section in exporter_names & current.keys():
            current[section].pop("enabled", None)
        for section, values in settings.items():
            current.setdefault(section, {}).update(values)
        current = {k: v for k, v in current.items() if v or k not in exporter_names}
        if name == "server":
            server_app = current.setdefault("ServerApp", {})
            server_app.setdefault("jpserver_extensions", {})[SERVER_EXTENSION] = True
        path.write_text(json.dumps(current, indent=2) + "\n")
        written.append(path)
    return written


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(description="The set-up inside an environment.")
    parser.add_argument(
        "--notebook",
        type=Path,
        default=Path("hw04.ipynb"),
        help="the homework notebook, whose settings the kernels are compiled for "
        "(default: hw04.ipynb in the current folder)",
    )
    args = parser.parse_args(argv)
    chosen = reproducible.install_kernelspec(sys.prefix)
    if chosen is None:
        print(
            f"  Jupyter kernel 'python3' of {sys.prefix}: kept as it was (not "
            "ipykernel's default), with its own BLAS setting."
        )
    else:
        kernel = chosen.get(reproducible.VARIABLE, "the CPU's own")
        print(f"  Jupyter kernel 'python3' of {sys.prefix}: OpenBLAS kernel {kernel}.")
    link = link_pandoc()
    if link is not None:
        print(f"  pandoc: {link} (pypandoc-binary's).")
    missing = missing_for_exporters()
    write_jupyter_config(sys.prefix, missing)
    if missing:
        left_out = ", ".join(f"{name} (needs {what})" for name, what in missing.items())
        print(f"  Export formats left out on this machine: {left_out}.")
    from hw04.engine import kernels, lockstep
    from hw04.notebook import homework_settings

    start = time.perf_counter()
    lockstep.compile_kernels(homework_settings(args.notebook).values())
    if kernels.n_compiled():  # else numba's cache had them all: nothing to say
        print(
            f"  Compiled the training kernels for the notebook's settings "
            f"({time.perf_counter() - start:.0f} s, once: later runs load them)."
        )


if __name__ == "__main__":
    main()
