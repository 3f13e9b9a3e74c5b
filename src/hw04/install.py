"""The set-up of an environment for the homework: ``python -m hw04.install``.

It adds files of its own and edits none the environment shares: the kernelspec
``hw04`` with the BLAS kernel (:mod:`hw04.reproducible`); the drop-in
``etc/jupyter/jupyter_server_config.d/hw04.json`` that enables the server extension
:mod:`hw04.export`; a link to pypandoc-binary's ``pandoc`` in the scripts folder;
numba's compiled kernels. ``--uninstall`` removes the first three.
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

# nbconvert.exporters entry points that need more than pip's packages.
LATEX_NAMES = ("pdf", LATEX_PDF)  # xelatex and bibtex on PATH
UPLOAD_NAMES = (MENU_PDF, COMMAND_LINE_PDF)  # this package's Typst PDF
PANDOC_NAMES = ("asciidoc", "latex", "rst", *LATEX_NAMES, *UPLOAD_NAMES)
QT_NAMES = ("qtpdf", "qtpng")  # PyQtWebEngine
WEBPDF_NAMES = ("webpdf",)  # Playwright with the Chromium it downloads
# Left out of the server only: the menu lists typstpdf once, as PDF_for_Gradescope;
# ``custom`` needs a template named on the command line.
SERVER_HIDDEN = (COMMAND_LINE_PDF, "custom")
SERVER_EXTENSION = "hw04.export"


def _pandoc_link(prefix):
    """Where pandoc is linked in the environment at ``prefix`` (None: no pandoc)."""
    source = pandoc_path()
    if source is None:
        return None
    return Path(sysconfig.get_path("scripts", vars={"base": str(prefix)})) / source.name


def link_pandoc(prefix):
    """Link pypandoc-binary's pandoc into the scripts folder; return the link."""
    source, link = pandoc_path(), _pandoc_link(prefix)
    if link is None:
        return None
    if link.is_symlink() or link.exists():
        if link.resolve() == source.resolve():
            return link
        if not _is_our_link(link):
            return None  # the environment's own pandoc (Anaconda's): it stays
        link.unlink()
    try:
        link.symlink_to(source)
    except OSError:  # no symlinks (Windows without the privilege): a copy
        shutil.copy2(source, link)
    return link


def _is_our_link(link):
    """Whether ``link`` is this set-up's link to a pypandoc-binary's pandoc."""
    return link.is_symlink() and "pypandoc" in str(link.readlink())


def _playwright_has_chromium():
    """Whether Playwright's default Chromium, which webpdf needs, is installed."""
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            return Path(pw.chromium.executable_path).exists()
    except Exception:  # noqa: BLE001 (no Playwright, driver or browser: cannot run)
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


def server_exporter_config():
    """Config for the Jupyter server that leaves out of its export menu each exporter
    that cannot run here, and :data:`SERVER_HIDDEN`.

    A disabled exporter's setting reaches its subclasses too, so a subclass that
    stays is enabled by name.
    """
    disabled = set(missing_for_exporters()) | set(SERVER_HIDDEN)
    classes = {}
    for ep in entry_points(group="nbconvert.exporters"):
        try:
            classes[ep.name] = ep.load()
        except Exception:  # noqa: BLE001 (a broken plug-in: nothing to decide)
            continue
    off = {cls for name, cls in classes.items() if name in disabled}
    config = {}
    for cls in classes.values():
        if cls in off:
            config[cls.__name__] = {"enabled": False}
        elif any(issubclass(cls, parent) for parent in off):
            config[cls.__name__] = {"enabled": True}
    return dict(sorted(config.items()))


def drop_in_file(prefix):
    """The drop-in file that enables the server extension at ``prefix``."""
    return Path(prefix, "etc", "jupyter", "jupyter_server_config.d", "hw04.json")


def enable_server_extension(prefix):
    """Write :func:`drop_in_file`; the shared ``jupyter_server_config.json`` stays."""
    path = drop_in_file(prefix)
    path.parent.mkdir(parents=True, exist_ok=True)
    enabled = {"ServerApp": {"jpserver_extensions": {SERVER_EXTENSION: True}}}
    path.write_text(json.dumps(enabled, indent=2) + "\n")
    return path


def uninstall(prefix):
    """Remove what the set-up added to the environment at ``prefix``; return it."""
    removed = []
    kernelspec = reproducible.kernelspec_file(prefix).parent
    if kernelspec.is_dir():
        shutil.rmtree(kernelspec)
        removed.append(kernelspec)
    files = [drop_in_file(prefix)]
    link = _pandoc_link(prefix)
    if link is not None and _is_our_link(link):  # the environment's own pandoc stays
        files.append(link)
    for path in files:
        if path.is_symlink() or path.exists():
            path.unlink()
            removed.append(path)
    return removed


def install(prefix, notebook):
    """The set-up in the environment at ``prefix``, saying what it did."""
    chosen = reproducible.install_kernelspec(prefix)
    kernel = chosen.get(reproducible.VARIABLE, "the CPU's own")
    print(
        f"  Jupyter kernel {reproducible.DISPLAY_NAME!r} "
        f"({reproducible.kernelspec_file(prefix).parent}): OpenBLAS kernel {kernel}."
    )
    link = link_pandoc(prefix)
    if link is not None:
        print(f"  pandoc: {link} (pypandoc-binary's).")
    print(f"  Export menu: enabled by {enable_server_extension(prefix)}.")
    missing = missing_for_exporters()
    if missing:
        left_out = ", ".join(f"{name} (needs {what})" for name, what in missing.items())
        print(f"  Export formats left out on this machine: {left_out}.")
    from hw04.engine import kernels, lockstep
    from hw04.notebook import homework_settings

    start = time.perf_counter()
    lockstep.compile_kernels(homework_settings(notebook).values())
    if kernels.n_compiled():  # else numba's cache had them all: nothing to say
        print(
            f"  Compiled the training kernels for the notebook's settings "
            f"({time.perf_counter() - start:.0f} s, once: later runs load them)."
        )


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
    parser.add_argument(
        "--uninstall",
        action="store_true",
        help="remove the kernelspec, the server extension's file and pandoc's link",
    )
    args = parser.parse_args(argv)
    if not args.uninstall:
        install(sys.prefix, args.notebook)
        return
    for path in uninstall(sys.prefix):
        print(f"  Removed {path}.")


if __name__ == "__main__":
    main()
