"""Executing the homework notebook (papermill, nbclient) and reading it.

Every route that executes ``hw04.ipynb`` (the command script, the benchmark,
the tests) goes through :func:`execute_notebook` or :func:`refresh_outputs`,
with the kernel ``.venv`` registers and the BLAS kernel of
:mod:`hw04.reproducible`. :func:`homework_settings` reads the four settings
from the notebook's own settings cell, so that they are defined once.
"""

import sys
import time
from pathlib import Path

from hw04 import HOMEWORK_DIR, reproducible

NOTEBOOK = HOMEWORK_DIR / "hw04.ipynb"
SETTINGS_TAG = "settings"  # the code cell that defines the four settings

# How nbclient stops the kernel after the last cell: at once, with its joblib
# workers and their resource trackers (every output is in by then). The graceful
# stop waits about 2.5 s per run: the kernel signals its children with SIGTERM,
# which the trackers ignore.
KERNEL_SHUTDOWN = "immediate"


class NotebookStopped(RuntimeError):
    """A cell of the executed notebook raised; the message names it."""


def papermill_options():
    """The options of every papermill run of the notebook (build, benchmark, tests).

    The kernel is Jupyter's ``python3`` of this environment; in ``.venv`` its
    kernelspec carries the BLAS setting (elsewhere the command script sets it for
    what it starts).
    """
    return {
        "cwd": str(HOMEWORK_DIR),
        "kernel_name": reproducible.KERNEL_NAME,
        "shutdown_kernel": KERNEL_SHUTDOWN,
    }


def execute_notebook(out_dir, parameters, notebook=NOTEBOOK, progress=None):
    """Run ``notebook`` from a fresh kernel with papermill; return the output path.

    ``progress`` shows papermill's bar of cells (default: when stderr is a
    terminal). Raises :class:`NotebookStopped` when a cell fails.
    """
    import papermill

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / Path(notebook).name
    if output.resolve() == Path(notebook).resolve():
        raise NotebookStopped(
            f"Refusing to overwrite {notebook}; choose another --out."
        )
    try:
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters,
            progress_bar=sys.stderr.isatty() if progress is None else progress,
            request_save_on_cell_execute=False,
            **papermill_options(),
        )
    except papermill.PapermillExecutionError as err:
        raise NotebookStopped(
            f"{Path(notebook).name} stopped in cell {err.exec_count}: {err.ename}: "
            f"{err.evalue}\n(the partly executed notebook is {output})"
        ) from None
    return output


def refresh_outputs(notebook=NOTEBOOK):
    """Re-execute ``notebook`` in place with its own parameters; sources are kept.

    Returns the seconds it took. Raises :class:`NotebookStopped` when a cell
    fails, and then writes nothing.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    options = papermill_options()
    nb = nbformat.read(notebook, as_version=4)
    start = time.perf_counter()
    try:
        NotebookClient(
            nb,
            kernel_name=options["kernel_name"],
            shutdown_kernel=options["shutdown_kernel"],
            timeout=1800,
            resources={"metadata": {"path": options["cwd"]}},
        ).execute()
    except CellExecutionError as err:
        raise NotebookStopped(
            f"{Path(notebook).name} stopped: {err.ename}: {err.evalue}; its saved "
            "outputs were left as they were."
        ) from None
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, notebook)
    return time.perf_counter() - start


def settings_cell(notebook=NOTEBOOK):
    """The source of the notebook's code cell tagged ``settings``."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    cells = [c for c in nb.cells if SETTINGS_TAG in c.metadata.get("tags", [])]
    if len(cells) != 1:
        raise LookupError(
            f"{notebook} needs exactly one code cell tagged {SETTINGS_TAG!r}, "
            f"found {len(cells)}."
        )
    return cells[0].source


def homework_settings(notebook=NOTEBOOK):
    """The four settings ``{name: estimator}``, as the notebook's settings cell
    defines them (the cell is run in a namespace of its own)."""
    sys.path.insert(0, str(HOMEWORK_DIR))  # the course module it imports
    try:
        namespace = {}
        exec(
            "from sklearn.neural_network import MLPClassifier\n"
            "from MLPClassifierWithSolverLBFGS import MLPClassifierLBFGS\n"
            + settings_cell(notebook),
            namespace,
        )
    finally:
        sys.path.remove(str(HOMEWORK_DIR))
    return namespace["settings"]


def default_parameters(notebook=NOTEBOOK):
    """The parameters ``{name: value}`` as the notebook's ``parameters`` cell sets
    them (papermill reads the cell; each value is evaluated on its own)."""
    import papermill

    found = papermill.inspect_notebook(str(notebook))
    return {
        name: eval(p["default"], {"__builtins__": {"list": list, "range": range}})
        for name, p in found.items()
    }
