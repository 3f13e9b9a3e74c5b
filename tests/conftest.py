"""Shared set-up: the repository on sys.path, a headless matplotlib, the data."""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import hw04_runs  # noqa: E402


@pytest.fixture(scope="session")
def xor_data():
    """The shipped data: x_tr_N2, y_tr_N, x_te_N2, y_te_N."""
    return hw04_runs.load_xor_data(ROOT / "data_xor")


@pytest.fixture(scope="session")
def small_xor():
    """200 training points of the shipped data, for fast fits."""
    x_tr_N2, y_tr_N, _, _ = hw04_runs.load_xor_data(ROOT / "data_xor")
    return x_tr_N2[:200], y_tr_N[:200]


def execute(tmp_path, **parameters):
    """Run hw04.ipynb with papermill into tmp_path; return the executed notebook."""
    import papermill

    import build

    parameters.setdefault("results_dir", str(tmp_path / "results"))
    out = tmp_path / "hw04.ipynb"
    papermill.execute_notebook(
        str(ROOT / "hw04.ipynb"),
        str(out),
        parameters=parameters,
        cwd=str(ROOT),
        kernel_name=build.kernel_name(),
        progress_bar=False,
    )
    return nbformat.read(out, as_version=4)


@pytest.fixture(scope="session")
def default_run(tmp_path_factory):
    """The whole default notebook (appendix included), executed once."""
    tmp = tmp_path_factory.mktemp("default_run")
    return execute(tmp), tmp
