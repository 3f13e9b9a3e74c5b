"""Supported scikit-learn releases: the gate, the engine's refusal, the oldest one.

The last test runs the wrapper's and these tests again in ``.venv-oldest``, made
from ``requirements-oldest.txt`` (scikit-learn 1.3), so that both ends of the
supported range are checked by the one test command.
"""

import importlib
import os
import subprocess
import sys

import numpy as np
import pytest
import sklearn

from conftest import NOTEBOOK, ROOT
from hw04 import sklearn_compat, training
from hw04.engine import lockstep
from hw04.notebook import homework_settings


@pytest.mark.parametrize("version", ["1.2.2", "1.10.0", "2.0.1"])
def test_an_unsupported_release_stops_at_import_with_one_line(monkeypatch, version):
    monkeypatch.setattr(sklearn, "__version__", version)
    with pytest.raises(ImportError) as err:
        importlib.reload(sklearn_compat)
    message = str(err.value)
    assert f"needs scikit-learn 1.3 to 1.9, found {version}" in message
    assert "\n" not in message
    monkeypatch.undo()
    importlib.reload(sklearn_compat)


@pytest.mark.parametrize("version", ["1.2.2", "1.10.0"])
def test_the_wrappers_own_gate_stops_an_unsupported_release_in_one_line(version):
    # In a child process: reloading the course module here would make a second
    # class of the same name, which pickle then refuses for the first one's fits.
    code = (
        f"import sklearn; sklearn.__version__ = {version!r}; "
        "import MLPClassifierWithSolverLBFGS"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True
    )
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode != 0
    assert f"MLPClassifierLBFGS needs scikit-learn 1.3 to 1.9, found {version}" in last


def test_the_wrapper_and_the_package_support_the_same_releases():
    import MLPClassifierWithSolverLBFGS as wrapper

    assert wrapper.SUPPORTED_SKLEARN == sklearn_compat.SUPPORTED


def test_the_engine_runs_only_where_it_was_verified(small_xor, monkeypatch):
    X, y = small_xor
    est = homework_settings(NOTEBOOK)["sgd-relu"].set_params(max_iter=3)
    reason = sklearn_compat.engine_unverified_reason()
    if reason is None:
        monkeypatch.setattr(sklearn_compat, "ENGINE_VERIFIED", set())
        reason = sklearn_compat.engine_unverified_reason()

    def no_lockstep(*args):
        raise AssertionError("the lockstep engine must not train")

    monkeypatch.setattr(lockstep, "_Lockstep", no_lockstep)
    with pytest.warns(lockstep.EngineFallbackWarning, match=sklearn.__version__):
        fits = training.fit_seeds(est, X, y, [0, 1], n_jobs=1, progress=False)
    assert fits.engine == "sklearn" and "verified bit for bit" in reason
    ref = est.set_params(random_state=1).fit(X, y)
    assert np.array_equal(fits.estimators[1].coefs_[0], ref.coefs_[0])


@pytest.mark.skipif(
    os.environ.get("HW04_OLDEST") == "1", reason="already the oldest environment"
)
def test_wrapper_and_engine_tests_pass_on_the_oldest_supported_release():
    import make_homework

    python = make_homework.oldest_environment()
    result = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o",
         "addopts=", "tests/test_lbfgs_wrapper.py", "tests/test_versions.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "HW04_OLDEST": "1"},
    )  # fmt: skip
    version = subprocess.run(
        [str(python), "-c", "import sklearn; print(sklearn.__version__)"],
        capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    assert version.startswith("1.3."), version
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and sys.executable != str(python)
