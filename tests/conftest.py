"""Shared set-up: the repository on sys.path, a headless matplotlib, the data.

The wrapper's and the engine's tests also run in a bare environment with only
numpy, scipy, scikit-learn and pytest (CI's oldest-scikit-learn check), so the
heavier imports here are optional.
"""

import sys
from pathlib import Path

import pytest

try:  # headless plots in this process (not in the notebook's kernel)
    import matplotlib

    matplotlib.use("Agg")
except ImportError:
    pass
ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "hw04.ipynb"
# The jupyter command of the environment that runs the tests.
JUPYTER = Path(sys.executable).parent / "jupyter"
sys.path.insert(0, str(ROOT))

from hw04 import inputs  # noqa: E402


@pytest.fixture(scope="session")
def xor_data():
    """The shipped data: x_tr_N2, y_tr_N, x_te_N2, y_te_N."""
    return inputs.load_xor_data(ROOT / "data_xor", homework_dir=ROOT)


@pytest.fixture(scope="session")
def small_xor():
    """200 training points of the shipped data, for fast fits."""
    x_tr_N2, y_tr_N, _, _ = inputs.load_xor_data(ROOT / "data_xor", homework_dir=ROOT)
    return x_tr_N2[:200], y_tr_N[:200]


def loky_workers(pid):
    """Pids of the joblib (loky) worker processes that descend from process ``pid``.

    Only workers: loky's resource tracker, one per process that used joblib, is
    not one and stays with its process.
    """
    import psutil

    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return set()
    workers = set()
    for child in children:
        try:
            if "popen_loky" in " ".join(child.cmdline()):
                workers.add(child.pid)
        except psutil.NoSuchProcess:
            pass
    return workers


def execute(tmp_path, **parameters):
    """Run hw04.ipynb with papermill into tmp_path; return the executed notebook."""
    import papermill

    from hw04.notebook import execution_options

    parameters.setdefault("results_dir", str(tmp_path / "results"))
    out = tmp_path / "hw04.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters=parameters,
        progress_bar=False,
        **execution_options(NOTEBOOK),
    )
    import nbformat

    return nbformat.read(out, as_version=4)


@pytest.fixture(scope="session")
def default_run(tmp_path_factory):
    """The whole default notebook (appendix included), executed once: slow tier."""
    tmp = tmp_path_factory.mktemp("default_run")
    return execute(tmp), tmp


@pytest.fixture(scope="session")
def executed(tmp_path_factory):
    """The notebook as committed, with the outputs of the default run, and a copy
    of COLLABORATORS.txt beside it, as a student's folder holds them.

    The fast tier reads these outputs; the slow tier checks that they are what
    the code produces now (test_notebook's committed-outputs test).
    """
    import shutil

    out = tmp_path_factory.mktemp("executed")
    for name in (NOTEBOOK.name, "COLLABORATORS.txt"):
        shutil.copyfile(ROOT / name, out / name)
    return out / NOTEBOOK.name
