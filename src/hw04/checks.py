"""What a grader would send back about a notebook, one line each, before upload.

The exporters and the notebook's last cell call the same check; it imports nothing
heavy (the saved file is read as JSON).
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
    """True when no ``Name:`` line or ``-`` bullet of COLLABORATORS.txt has text."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("Name:") and stripped[len("Name:") :].strip():
            return False
        if stripped.startswith("-") and stripped.strip("- "):
            return False
    return True


def _in_one_go(counts):
    """Whether execution counts read 1, 2, ..., n: one run from a fresh kernel (the
    last cell, which holds these checks, may have run again since)."""
    before = list(range(1, len(counts)))
    return counts[:-1] == before and (counts[-1] or 0) >= len(counts)


def upload_warnings(nb, folder):
    """What a grader would send back about notebook ``nb``, one line each.

    ``nb`` is the saved JSON or an ``nbformat.NotebookNode``; ``folder`` the one
    where ``COLLABORATORS.txt`` belongs. Empty when ready to upload.

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
    """Print :func:`upload_warnings` of the file ``notebook`` as last saved, or
    that all is ready."""
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
