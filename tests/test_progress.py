"""Progress bars leave no debris in an executed notebook: no widget, no widget state,
and the main loop's cell shows its lines only."""

from conftest import execute

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_an_executed_notebook_keeps_no_widget_and_no_bar(tmp_path):
    nb = execute(tmp_path, seeds=[0, 1], appendix=False, n_jobs=2)
    assert "widgets" not in nb.metadata
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not any(WIDGET_VIEW in o.get("data", {}) for o in outputs)
    code = [c for c in nb.cells if c.cell_type == "code"]
    loop = next(c for c in code if "training.fit_seeds(" in c.source)
    text = "".join(
        o.get("text", "") or o.get("data", {}).get("text/plain", "")
        for o in loop.outputs
    )
    assert "%|" not in text and "run/s" not in text, text  # no bar's last frame
    assert text.strip().splitlines()[0].startswith("Trained 4 settings x 2 seeds")
