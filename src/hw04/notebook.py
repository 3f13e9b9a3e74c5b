"""Executing the homework notebook (papermill, nbclient) and reading its settings.

Each function takes the notebook's path (None: ``hw04.ipynb`` in the current
folder); its folder is the homework's.
"""

import ast
import sys
from pathlib import Path

from hw04 import reproducible
from hw04.progress import relayed_to

NOTEBOOK_NAME = "hw04.ipynb"
SETTINGS_TAG = "settings"  # the code cell that defines the four settings


def notebook_path(notebook=None):
    return Path(NOTEBOOK_NAME if notebook is None else notebook).resolve()


class NotebookStopped(RuntimeError):
    """A cell of the executed notebook raised; the message names it."""


def execution_options(notebook=None):
    """nbclient's options for every execution of the notebook: the ``hw04`` kernel,
    started in the notebook's folder as JupyterLab starts it."""
    return {
        "cwd": str(notebook_path(notebook).parent),
        "kernel_name": reproducible.KERNEL_NAME,
        # At once: a graceful stop waits for joblib's workers, which ignore SIGTERM.
        "shutdown_kernel": "immediate",
        # The bars' widgets are closed when done; their state would still be saved.
        "store_widget_state": False,
    }


def execute_notebook(out_dir, parameters, notebook=None, progress=None, folder=None):
    """Run ``notebook`` from a fresh kernel with papermill; return the output path.

    ``progress``: papermill's bar of cells (default: when stderr is a terminal;
    else a line per setting trained). The kernel starts in ``folder`` (default:
    the notebook's). Raises :class:`NotebookStopped` when a cell fails.
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

    cells = nbformat.read(notebook, as_version=4).cells
    code = [c for c in cells if c.cell_type == "code"]
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
    ``needed``, as IPython would run them."""
    found = []
    for source in sources:
        for node in ast.parse(_as_python(source)).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                bound = {(a.asname or a.name).split(".")[0] for a in node.names}
                if bound & needed:
                    found.append(node)
    return found


def _as_python(source):
    """A cell's source as Python: IPython's translation of its magics, or without
    them where IPython is not installed (the engine's test environments)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        lines = source.splitlines()
        return "\n".join(line for line in lines if line.lstrip()[:1] not in "%!")
    return TransformerManager().transform_cell(source)


def homework_settings(notebook=None):
    """The settings ``{name: estimator}`` of the notebook's settings cell, run after
    the notebook's imports of the names it uses, with its folder on ``sys.path``
    (where workers that unpickle these estimators need it too)."""
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
    """The parameters ``{name: value}`` of the notebook's ``parameters`` cell."""
    import papermill

    found = papermill.inspect_notebook(str(notebook_path(notebook)))
    return {
        name: eval(p["default"], {"__builtins__": {"list": list, "range": range}})
        for name, p in found.items()
    }
