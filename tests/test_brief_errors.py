"""In papermill's output notebook, a mistake in the parameters shows as its message:
the error output of the check cell is at most 5 lines (issue 22's bound), for three
mistakes."""

import shutil

import nbformat
import papermill
import pytest

from make_homework import ROOT


def _bad_lengths(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(ROOT / "data_xor", folder)
    lines = (folder / "y_train.csv").read_text().splitlines()
    (folder / "y_train.csv").write_text("\n".join(lines[:-3]) + "\n")
    return {"data_dir": str(folder)}


MISTAKES = {
    "repeated seeds": (lambda tmp: {"seeds": [1, 1, 2]}, "seeds must be distinct"),
    "a missing data folder": (
        lambda tmp: {"data_dir": str(tmp / "no_such_data")},
        "is not a folder",
    ),
    "x and y of different lengths": (_bad_lengths, "has 1000 rows but"),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_mistake_shows_as_its_message_in_at_most_five_lines(
    tmp_path, mistake, execute
):
    parameters, message = MISTAKES[mistake]
    with pytest.raises(papermill.PapermillExecutionError) as err:
        execute(tmp_path, **parameters(tmp_path))
    assert err.value.ename == "HomeworkInputError" and message in err.value.evalue
    nb = nbformat.read(tmp_path / "hw04.ipynb", as_version=4)
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]  # fmt: skip
    (error,) = errors
    lines = "\n".join(error["traceback"]).splitlines()
    assert len(lines) <= 5 and message in lines[0], lines
