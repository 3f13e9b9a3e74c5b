"""Supported scikit-learn releases: the gate, the engine's refusal, other releases.

The slow tests run the wrapper's, the engine's and these tests again in other
environments: ``.venv-oldest`` (``requirements-oldest.txt``, scikit-learn 1.3) and
``.venv-sklearn-1.6`` (``requirements-sklearn-1.6.txt``, a hosted notebook's
versions), so that the releases the engine is verified on are checked.
"""

import importlib
import subprocess
import sys

import numpy as np
import pytest
import sklearn

from hw04 import sklearn_compat, training
from hw04.engine import lockstep
from hw04.notebook import homework_settings
from make_homework import NOTEBOOK, ROOT


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


_MOVED_PRIVATES = """
import sys
import sklearn
import sklearn.neural_network  # public; its private modules are then taken away
sklearn.__version__ = {version!r}
for name in ("_multilayer_perceptron", "_stochastic_optimizers"):
    sys.modules["sklearn.neural_network." + name] = None  # unimportable
{statement}
"""


@pytest.mark.parametrize(
    "statement", ["from hw04 import training", "from hw04.engine import lockstep"]
)
def test_a_release_that_moved_the_private_names_stops_in_the_range_line(statement):
    """As on a release outside the range that moved sklearn's private modules:
    importing the training module (or the engine) stops with the gate's one
    line, not with a raw ImportError from a private import."""
    code = _MOVED_PRIVATES.format(version="1.10.0", statement=statement)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True
    )
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode != 0
    assert last.startswith("ImportError: hw04 needs scikit-learn 1.3 to 1.9, found")
    assert "1.10.0" in last and "_multilayer_perceptron" not in result.stderr


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
        fits = training.SeedTrainer(n_jobs=1).fit_seeds(est, X, y, [0, 1])
    assert fits.engine == "sklearn" and "verified bit for bit" in reason
    ref = est.set_params(random_state=1).fit(X, y)
    assert np.array_equal(fits.estimators[1].coefs_[0], ref.coefs_[0])


def _environment(name):
    """The python of a test environment made from ``tests/requirements-NAME.txt``:
    ``.venv-oldest`` for ``oldest``, else ``build/venv-NAME`` (made once per
    version of that file)."""
    import hashlib

    import make_homework

    requirements = ROOT / "tests" / f"requirements-{name}.txt"
    folder = ROOT / (".venv-oldest" if name == "oldest" else f"build/venv-{name}")
    stamp = folder / "hw04-requirements.txt"
    wanted = hashlib.sha256(requirements.read_bytes()).hexdigest()
    if not (stamp.exists() and stamp.read_text() == wanted):
        make_homework.fill_environment(folder, requirements, with_project=True)
        stamp.write_text(wanted)
    return folder / "bin" / "python"


@pytest.mark.slow
@pytest.mark.parametrize("name, release", [("oldest", "1.3."), ("sklearn-1.6", "1.6.")])
def test_wrapper_and_engine_tests_pass_on_other_supported_releases(name, release):
    """The releases ``ENGINE_VERIFIED`` names beside the pin: the engine's
    bit-for-bit tests (its compiled path and its numpy one) and the wrapper's."""
    python = _environment(name)
    result = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-o",
         "addopts=", "-m", "not slow", "tests/test_lbfgs_wrapper.py",
         "tests/test_versions.py", "tests/test_lockstep.py", "tests/test_kernels.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    version = subprocess.run(
        [str(python), "-c", "import sklearn; print(sklearn.__version__)"],
        capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    assert version.startswith(release), version
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
    skipped = [line for line in result.stdout.splitlines() if "SKIPPED" in line]
    # The oldest environment has no numba (the engine's numpy path); the 1.6 one
    # has numba 0.60, where the compiled path runs too.
    allowed = "numba is not installed" if name == "oldest" else None
    assert all(allowed and allowed in line for line in skipped), skipped
    assert sys.executable != str(python)
