"""Executing the homework notebook (papermill, nbclient) and reading it.

Every route that executes ``hw04.ipynb`` with parameters (the command script,
the benchmark, the tests) goes through :func:`execute_notebook`, with the kernel
``.venv`` registers and the BLAS kernel of :mod:`hw04.reproducible`.
:func:`homework_settings` reads the four settings from the notebook's own
settings cell, so that they are defined once.

Each function takes the notebook's path; its folder is the homework's (the
course modules, the data). None stands for ``hw04.ipynb`` in the current folder.
"""

import ast
import sys
from pathlib import Path

from hw04 import reproducible
from hw04.progress import relayed_to

NOTEBOOK_NAME = "hw04.ipynb"
SETTINGS_TAG = "settings"  # the code cell that defines the four settings

# How nbclient stops the kernel after the last cell: at once, with its joblib
# workers and their resource trackers (every output is in by then). A graceful
# stop waits for the kernel's children, which ignore its SIGTERM (the timing is
# in docs/speed.md).
KERNEL_SHUTDOWN = "immediate"


def notebook_path(notebook=None):
    """The notebook's absolute path (None: ``hw04.ipynb`` in the current folder)."""
    return Path(NOTEBOOK_NAME if notebook is None else notebook).resolve()


class NotebookStopped(RuntimeError):
    """A cell of the executed notebook raised; the message names it."""


def execution_options(notebook=None):
    """How every run of the notebook executes it (papermill's and nbclient's
    options: the build, the benchmark, the tests).

    The kernel is Jupyter's ``python3`` of this environment, started in the
    notebook's folder, as JupyterLab starts it; in ``.venv`` its kernelspec
    carries the BLAS setting (elsewhere the command script sets it for what it
    starts).
    """
    return {
        "cwd": str(notebook_path(notebook).parent),
        "kernel_name": reproducible.KERNEL_NAME,
        "shutdown_kernel": KERNEL_SHUTDOWN,
        # The progress bars' widgets are closed and replaced by text when done;
        # nbclient would still copy their last state into the notebook's metadata.
        "store_widget_state": False,
    }


def execute_notebook(out_dir, parameters, notebook=None, progress=None, folder=None):
    """Run ``notebook`` from a fresh kernel with papermill; return the output path.

    ``progress`` shows papermill's bar of cells (default: when stderr is a
    terminal; otherwise a line per setting trained, as each finishes). The
    kernel starts in ``folder`` (default: the notebook's). Raises
    :class:`NotebookStopped` when a cell fails.
    """
    import papermill

    notebook = notebook_path(notebook)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / Path(notebook).name
    if output.resolve() == Path(notebook).resolve():
        raise NotebookStopped(
            f"Refusing to overwrite {notebook}; choose another --out."
        )
    bar = sys.stderr.isatty() if progress is None else progress
    # Output in a file or a pipe: a line per setting as it finishes, not a bar.
    relay = sys.stderr if progress is None and not bar else None
    try:
        with relayed_to(relay):
            papermill.execute_notebook(
                str(notebook),
                str(output),
                parameters=parameters,
                progress_bar=bar,
                request_save_on_cell_execute=False,
                **execution_options(notebook)
                | ({"cwd": str(folder)} if folder else {}),
            )
    except papermill.PapermillExecutionError as err:
        raise NotebookStopped(
            f"{Path(notebook).name} stopped in cell {err.exec_count}: {err.ename}: "
            f"{err.evalue}\n(the partly executed notebook is {output})"
        ) from None
    return output


def _settings_and_before(notebook):
    """The settings cell's source, and the sources of the code cells before it."""
    import nbformat

    notebook = notebook_path(notebook)
    code = [c for c in nbformat.read(notebook, as_version=4).cells]
    code = [c for c in code if c.cell_type == "code"]
    tagged = [
        i for i, c in enumerate(code) if SETTINGS_TAG in c.metadata.get("tags", [])
    ]
    if len(tagged) != 1:
        raise LookupError(
            f"{notebook} needs exactly one code cell tagged {SETTINGS_TAG!r}, "
            f"found {len(tagged)}."
        )
    return code[tagged[0]].source, [c.source for c in code[: tagged[0]]]


def _imports_of(sources, needed):
    """The import statements of the cells ``sources`` that bind a name in
    ``needed``, as IPython would run them (its magics turned into Python)."""
    found = []
    for source in sources:
        for node in ast.parse(_as_python(source)).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                bound = {(a.asname or a.name).split(".")[0] for a in node.names}
                if bound & needed:
                    found.append(node)
    return found


def _as_python(source):
    """A cell's source as Python: IPython's own translation of its magics, or,
    where IPython is not installed (a bare test environment), without them."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        lines = source.splitlines()
        return "\n".join(line for line in lines if line.lstrip()[:1] not in "%!")
    return TransformerManager().transform_cell(source)


def homework_settings(notebook=None):
    """The four settings ``{name: estimator}``, as the notebook's settings cell
    defines them.

    The cell runs in a namespace of its own after the notebook's own import
    statements that bind the names it uses (its estimator classes), with the
    notebook's folder on ``sys.path`` for the course module among them. Worker
    processes that unpickle these estimators need that folder on their
    ``sys.path`` too, as a kernel started in the notebook's folder has it.
    """
    notebook = notebook_path(notebook)
    source, before = _settings_and_before(notebook)
    cell = ast.parse(source)
    needed = {n.id for n in ast.walk(cell) if isinstance(n, ast.Name)}
    module = ast.Module(
        body=[*_imports_of(before, needed), *cell.body], type_ignores=[]
    )
    folder = str(notebook.parent)
    sys.path.insert(0, folder)
    try:
        namespace = {}
        exec(compile(module, str(notebook), "exec"), namespace)
    finally:
        sys.path.remove(folder)
    return namespace["settings"]


def default_parameters(notebook=None):
    """The parameters ``{name: value}`` as the notebook's ``parameters`` cell sets
    them (papermill reads the cell; each value is evaluated on its own)."""
    import papermill

    found = papermill.inspect_notebook(str(notebook_path(notebook)))
    return {
        name: eval(p["default"], {"__builtins__": {"list": list, "range": range}})
        for name, p in found.items()
    }
