"""Progress bars leave no debris in an executed notebook: no widget, no widget state,
no bar's last frame."""

from conftest import execute

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_an_executed_notebook_keeps_no_widget_and_no_bar(tmp_path):
    nb = execute(tmp_path, seeds=[0, 1], appendix=False, n_jobs=2)
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
