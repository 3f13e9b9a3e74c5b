"""What a grader would send back about a notebook, one line each, before upload."""

from pathlib import Path

COLLABORATORS = "COLLABORATORS.txt"


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
    warnings = []
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if first is not None and "Your Name" in first.source:
        warnings.append(
            "The first cell still says 'Your Name': put your name on its Student line."
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
            "Kernel > Restart Kernel and Run All Cells, then save."
        )
    for index, cell in enumerate(code, start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                warnings.append(
                    f"Code cell {index} shows an error: {output.get('ename')}: "
                    f"{output.get('evalue')}"
                )
    return warnings
