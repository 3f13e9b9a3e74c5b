"""The benchmark's own accounting: which cells a run's seconds go to, and the floor."""

import json

import pytest

from conftest import NOTEBOOK
from hw04 import benchmark


def _executed(tmp_path, cells):
    path = tmp_path / "run.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}}))
    return path


def _code(source, seconds):
    meta = {"papermill": {"duration": seconds}}
    return {"cell_type": "code", "source": source, "metadata": meta}


def test_cell_seconds_labels_each_cell_by_its_heading(tmp_path):
    executed = _executed(
        tmp_path,
        [
            {"cell_type": "markdown", "source": ["### 1(a) Probability plots\n"]},
            _code(["viz.plot_probability_grid(\n", "    fitted)\n"], 1.5),
            {"cell_type": "markdown", "source": "Some text, not a heading."},
            _code("x = 1", None),  # papermill records None for a cell it skipped
            _code("", 0.2),  # an empty cell is not counted
        ],
    )
    assert benchmark.cell_seconds(executed) == [
        (1.5, "1(a) Probability: viz.plot_probability_grid("),
        (0.0, "1(a) Probability: x = 1"),
    ]


def test_where_seconds_go_adds_up_to_the_wall_time():
    cells = [(3.0, "a"), (1.0, "b"), (0.5, "c"), (0.25, "d")]
    lines = benchmark.where_seconds_go("warm", 6.0, cells, n_shown=2)
    assert lines[0] == "\nwhere the warm run's 6.0 s go:"
    assert [line.split()[0] for line in lines[1:]] == ["3.00", "1.00", "0.75", "1.25"]
    assert "the other 2 code cells" in lines[3]
    assert "outside the cells" in lines[4]


def test_floor_notebook_ends_at_the_parameters_cell(tmp_path):
    floor = benchmark.floor_notebook(NOTEBOOK, tmp_path)
    assert floor.parent != tmp_path  # so that papermill's output cannot be it
    cells = json.loads(floor.read_text())["cells"]
    assert "parameters" in cells[-1]["metadata"]["tags"]
    assert sum(c["cell_type"] == "code" for c in cells) == 2  # imports, parameters
    with pytest.raises(FileExistsError):  # never over a floor of another run
        benchmark.floor_notebook(NOTEBOOK, tmp_path)
