"""Shared fixtures: the data, the notebook's executions, workers, a Jupyter server;
and a headless matplotlib. The repository's folder is on ``sys.path`` (pytest's
``pythonpath`` setting), for the course modules and ``make_homework``.

The wrapper's and the engine's tests also run in a bare environment with only
numpy, scipy, scikit-learn and pytest (CI's oldest-scikit-learn check), so the
heavier imports here are optional.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from hw04 import inputs
from make_homework import NOTEBOOK, ROOT

try:  # headless plots in this process (not in the notebook's kernel)
    import matplotlib

    matplotlib.use("Agg")
except ImportError:
    pass


@pytest.fixture(scope="session")
def xor_data():
    """The shipped data: x_tr_N2, y_tr_N, x_te_N2, y_te_N."""
    return inputs.load_xor_data(ROOT / "data_xor", homework_dir=ROOT)


@pytest.fixture(scope="session")
def small_xor():
    """200 training points of the shipped data, for fast fits."""
    x_tr_N2, y_tr_N, _, _ = inputs.load_xor_data(ROOT / "data_xor", homework_dir=ROOT)
    return x_tr_N2[:200], y_tr_N[:200]


def _loky_workers(pid):
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


def _execute(tmp_path, **parameters):
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
def loky_workers():
    """``loky_workers(pid)``: the pids of the joblib workers below process ``pid``."""
    return _loky_workers


@pytest.fixture(scope="session")
def execute():
    """``execute(folder, **parameters)``: hw04.ipynb run by papermill into
    ``folder``, with these parameters; returns the executed notebook."""
    return _execute


@pytest.fixture(scope="session")
def default_run(tmp_path_factory):
    """The whole default notebook (appendix included), executed once: slow tier."""
    tmp = tmp_path_factory.mktemp("default_run")
    return _execute(tmp), tmp


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


def _get(url, timeout=120):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.headers, response.read()


@pytest.fixture
def jupyter_server(tmp_path):
    """``with jupyter_server(app, root_dir, token) as url``: a real ``jupyter
    server`` or ``jupyter lab`` (``app``) on ``root_dir``, of the environment whose
    ``jupyter`` command is given (default: this one's).

    Its configuration, settings and workspaces live under ``tmp_path``, so the
    user's own are neither read nor changed; the environment's own (written by
    the set-up) is read. It starts as from a shell where that environment is not
    activated: its scripts folder is not on ``PATH``.
    """

    @contextlib.contextmanager
    def start(app, root_dir, token, jupyter=Path(sys.executable).parent / "jupyter"):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        parts = os.environ.get("PATH", os.defpath).split(os.pathsep)
        path = [p for p in parts if p.rstrip("/") != str(jupyter.parent)]
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
               "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter-runtime"),
               "PATH": os.pathsep.join(path)}  # fmt: skip
        log_file = tmp_path / f"jupyter-{app}.log"
        log = open(log_file, "w")  # noqa: SIM115 (closed below)
        server = subprocess.Popen(
            [str(jupyter), app, "--no-browser", f"--port={port}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
             f"--ServerApp.root_dir={root_dir}", "--allow-root"],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    _get(f"{base}/api/status?token={token}", timeout=5)
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        log.flush()
                        pytest.fail(
                            f"jupyter {app} did not start:\n"
                            + log_file.read_text()[-3000:]
                        )
                    time.sleep(0.5)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()

    return start
