"""What a grader would send back about a notebook, one line each, before upload.

:func:`gradescope_warnings` reads an executed notebook (the exporters call it);
:func:`show_before_upload` tells the same from inside the running kernel, for the
notebook's last cell. This module imports nothing heavy, so that the notebook can.
"""

import json
import sys
from pathlib import Path
from types import SimpleNamespace

COLLABORATORS = "COLLABORATORS.txt"  # the collaboration statement's file name
YOUR_NAME = "Your Name"  # the first cell's placeholder for the student's name
RUN_ALL = "Kernel > Restart Kernel and Run All Cells"


def _is_blank_template(text):
    """True when no line of COLLABORATORS.txt has been filled in.

    The template's lines are either labels ending in ``:``, an empty ``Name:``,
    bare ``-`` bullets, or fixed sentences; a student's entry adds text after
    ``Name:`` or after a ``-``.
    """
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("Name:") and stripped[len("Name:") :].strip():
            return False
        if stripped.startswith("-") and stripped.strip("- "):
            return False
    return True


def gradescope_warnings(nb, folder):
    """What a grader would send back, one line each, for notebook ``nb``.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook as it will be exported.
    folder : pathlib.Path
        The notebook's folder, where ``COLLABORATORS.txt`` belongs.

    Returns
    -------
    list of str
        Empty when the notebook is ready to upload.
    """
    warnings = _name_and_collaborators(nb, folder)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.get("execution_count") for c in code]
    if code and counts != list(range(1, len(code) + 1)):
        not_run = sum(count is None for count in counts)
        detail = (
            f"{not_run} of {len(code)} code cells never ran"
            if not_run
            else "execution counts are out of order"
        )
        warnings.append(
            f"The cells were not run top to bottom in one go ({detail}): use "
            f"{RUN_ALL}, then save."
        )
    for index, cell in enumerate(code, start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                warnings.append(
                    f"Code cell {index} shows an error: {output.get('ename')}: "
                    f"{output.get('evalue')}"
                )
    return warnings


def _saved_cells(notebook):
    """The saved notebook's cells, each with ``cell_type`` and ``source``.

    Read as the JSON it is: importing nbformat takes seconds in a kernel, longer
    than this whole check.
    """
    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    return SimpleNamespace(
        cells=[
            SimpleNamespace(cell_type=c["cell_type"], source="".join(c["source"]))
            for c in cells
        ]
    )


def _name_and_collaborators(nb, folder, as_saved=""):
    """The warnings about the first cell's name and ``COLLABORATORS.txt``."""
    warnings = []
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if first is not None and YOUR_NAME in first.source:
        warnings.append(
            f"The first cell still says '{YOUR_NAME}'{as_saved}: put your name on its "
            "Student line."
        )
    collaborators = Path(folder) / COLLABORATORS
    if not collaborators.exists():
        warnings.append(
            f"{collaborators} is missing: the course asks for it beside the notebook."
        )
    elif _is_blank_template(collaborators.read_text(errors="replace")):
        warnings.append(
            f"{collaborators} is still the blank template: fill in your name, "
            "hours and collaborators."
        )
    return warnings


def _is_papermill_parameters(source):
    # papermill runs the parameters it injects as a cell of its own, so headed.
    return source.lstrip().startswith("# Parameters")


def kernel_warnings(notebook, shell=None):
    """What a grader would send back, as far as the running kernel can tell.

    From inside the kernel, the notebook file on disk is the one last saved, so
    the name is read from it, and the cells that ran are compared with its code
    cells; the kernel's own records say the rest.

    Parameters
    ----------
    notebook : str or Path
        The notebook's file (``COLLABORATORS.txt`` belongs beside it).
    shell : IPython.core.interactiveshell.InteractiveShell, optional
        Default: the running one.

    Returns
    -------
    list of str
        One line per finding, empty when the notebook is ready to upload:

        * the first Markdown cell, as last saved, still says 'Your Name';
        * ``COLLABORATORS.txt`` is missing or still the blank template;
        * the cells this kernel ran since it started are not the saved notebook's
          code cells, top to bottom, each once (cells run out of order or twice,
          or edits not saved yet);
        * an error was shown in this kernel since it started.
    """
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    notebook = Path(notebook).resolve()
    nb = _saved_cells(notebook)
    as_saved = f" in {notebook.name} as last saved"
    warnings = _name_and_collaborators(nb, notebook.parent, as_saved)
    saved = [c.source.strip() for c in nb.cells if c.cell_type == "code"]
    saved = [s for s in saved if s]
    ran = [s.strip() for s in shell.history_manager.input_hist_raw[1:]]
    ran = [s for s in ran if s and not _is_papermill_parameters(s)]
    if ran != saved:
        detail = (
            f"this kernel ran {len(ran)} cells, the saved notebook has {len(saved)}"
            if len(ran) != len(saved)
            else "what ran differs from the saved notebook: save it"
        )
        warnings.append(
            f"The cells were not run top to bottom in one go ({detail}): use "
            f"{RUN_ALL}, then save."
        )
    error = getattr(sys, "last_value", None)  # IPython sets it for every error shown
    if error is not None:
        warnings.append(
            f"A cell showed an error in this kernel: {type(error).__name__}: {error}"
        )
    return warnings


def show_before_upload(notebook, shell=None):
    """Print :func:`kernel_warnings`, one line each, or that all is ready.

    For the notebook's last cell, so that the checks are its last output.
    """
    warnings = kernel_warnings(notebook, shell)
    for message in warnings:
        print(f"Before uploading: {message}")
    if not warnings:
        print(
            "Ready to upload: your name is on the first cell, COLLABORATORS.txt is "
            "filled in, the cells ran top to bottom in one go, and none showed an "
            "error."
        )
