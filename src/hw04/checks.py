"""What a grader would send back about a notebook, one line each, before upload.

One check, :func:`upload_warnings`, reads a notebook as it is saved: the
exporters call it on the notebook they export, and the notebook's last cell
(:func:`show_before_upload`) on its own file as last saved. This module imports
nothing heavy (the saved file is read as JSON), so that the notebook can.
"""

import json
from pathlib import Path

COLLABORATORS = "COLLABORATORS.txt"  # the collaboration statement's file name
YOUR_NAME = "Your Name"  # the first cell's placeholder for the student's name
RUN_ALL = "Kernel > Restart Kernel and Run All Cells"


def _text(source):
    # nbformat joins a cell's lines; the saved JSON may keep them as a list.
    return source if isinstance(source, str) else "".join(source)


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


def _in_one_go(counts):
    """Whether execution counts read 1, 2, ..., n: one run from a fresh kernel.

    The last code cell may have run again since (it holds these checks, and its
    Markdown asks for a second run after saving).
    """
    before = list(range(1, len(counts)))
    return counts[:-1] == before and (counts[-1] or 0) >= len(counts)


def upload_warnings(nb, folder):
    """What a grader would send back about notebook ``nb``, one line each.

    Parameters
    ----------
    nb : dict or nbformat.NotebookNode
        The notebook as saved (its JSON) or as it will be exported.
    folder : str or pathlib.Path
        The notebook's folder, where ``COLLABORATORS.txt`` belongs.

    Returns
    -------
    list of str
        One line per finding, empty when the notebook is ready to upload:

        * the first Markdown cell still says 'Your Name';
        * ``COLLABORATORS.txt`` is missing or still the blank template;
        * the code cells' execution counts are not 1, 2, ... top to bottom (a
          cell never ran, ran out of order or twice, or the kernel was not
          fresh); the last code cell may have run again;
        * an output shows an error.

    Examples
    --------
    >>> cell = {"cell_type": "code", "source": "x = 1", "outputs": []}
    >>> upload_warnings({"cells": [dict(cell, execution_count=None)]}, ".")[-1]
    'The cells were not run top to bottom in one go (1 of 1 code cells never ran): \
use Kernel > Restart Kernel and Run All Cells, then save.'
    """
    warnings = []
    markdown = [_text(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    if markdown and YOUR_NAME in markdown[0]:
        warnings.append(
            f"The first cell still says '{YOUR_NAME}': put your name on its "
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
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    code = [c for c in code if _text(c["source"]).strip()]
    counts = [c.get("execution_count") for c in code]
    if code and not _in_one_go(counts):
        not_run = counts.count(None)
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


def show_before_upload(notebook):
    """Print :func:`upload_warnings` of ``notebook`` as last saved, or that all is
    ready: the last cell's output, what the export menu will also say.

    Parameters
    ----------
    notebook : str or pathlib.Path
        The notebook's file (``COLLABORATORS.txt`` belongs beside it).
    """
    notebook = Path(notebook).resolve()
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    warnings = upload_warnings(nb, notebook.parent)
    for message in warnings:
        print(f"Before uploading ({notebook.name} as last saved): {message}")
    if not warnings:
        print(
            "Ready to upload: your name is on the first cell, COLLABORATORS.txt is "
            "filled in, the cells ran top to bottom in one go, and none showed an "
            "error."
        )
