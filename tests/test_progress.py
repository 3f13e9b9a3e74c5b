"""Progress where the student waits, and no debris in the executed notebook: no
widget, no widget state, no bar's last frame; a route with its output in a file
gets one line per setting as each finishes."""

import subprocess
import sys
import time

import nbformat

from make_homework import NOTEBOOK, ROOT

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SETTINGS = ("lbfgs-relu", "lbfgs-logistic", "sgd-relu", "sgd-logistic")

# A route of the command line: the notebook executed inside the relay, its
# output (stderr) in a file, as `python3 make_homework.py > log 2>&1` has it.
ROUTE = """
import sys
from hw04.notebook import execute_notebook
from hw04.progress import relayed_to

with relayed_to(sys.stderr):
    execute_notebook(sys.argv[1], {"seeds": [0, 1], "appendix": False,
                     "n_jobs": 2, "results_dir": sys.argv[2]},
                     notebook=sys.argv[3], progress=False)
"""


def _summary_lines(text):
    return [line for line in text.splitlines() if ": 2 of 2 runs in " in line]


def test_a_route_into_a_file_logs_each_setting_as_it_finishes_and_no_debris(
    tmp_path,
):
    log_path = tmp_path / "log"
    out = tmp_path / "out"
    with open(log_path, "w") as log:
        route = subprocess.Popen(
            [sys.executable, "-c", ROUTE, out, tmp_path / "results", NOTEBOOK],
            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip
        seen_while_running = []
        while route.poll() is None:
            seen_while_running = _summary_lines(log_path.read_text())
            time.sleep(0.1)
    assert route.returncode == 0, log_path.read_text()[-3000:]
    # Each line came while the notebook still ran (its figures come after the
    # loop), not all at the end.
    assert [line.split(":")[0].strip() for line in seen_while_running] == list(SETTINGS)
    assert _summary_lines(log_path.read_text()) == seen_while_running

    nb = nbformat.read(out / "hw04.ipynb", as_version=4)
    assert "widgets" not in nb.metadata
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not any(WIDGET_VIEW in o.get("data", {}) for o in outputs)
    # No bar's last frame in any output (tqdm's text shows "%|" and "run/s").
    for cell in (c for c in nb.cells if c.cell_type == "code"):
        text = "".join(
            o.get("text", "") or o.get("data", {}).get("text/plain", "")
            for o in cell.outputs
        )
        assert "%|" not in text and "run/s" not in text, cell.source[:60]


def test_ipywidgets_7_gets_the_text_bar(monkeypatch):
    """ipywidgets 7's widgets fail in JupyterLab 4: the bar is text there."""
    import ipywidgets

    from hw04 import progress

    assert progress._widgets() is ipywidgets  # the pinned 8
    monkeypatch.setattr(ipywidgets, "__version__", "7.7.1")
    assert progress._widgets() is None
