"""The compiled steps give numpy's bits, and the engine uses them only where safe."""

import numpy as np
import pytest

from hw04.engine import kernels, lockstep

pytestmark = pytest.mark.skipif(
    not kernels.AVAILABLE, reason="numba is not installed: nothing is compiled"
)


@pytest.mark.parametrize("n", [*range(1, 40), 127, 128, 129, 200, 1000, 4097])
def test_column_sums_are_numpys_sums(n):
    rng = np.random.default_rng(n)
    for width in (1, 3):
        d = rng.standard_normal((4, n, width)) * 10.0 ** rng.uniform(-5, 5, (4, n, 1))
        ours = np.empty((4, 1, width))
        kernels._column_sums(d, ours)
        ref = np.add.reduce(d, axis=1, keepdims=True)
        assert ours.tobytes() == ref.tobytes()


def test_activation_matches_numpy_and_scipy_at_the_edges():
    from scipy.special import expit

    z = np.array([-0.0, 0.0, -1e-300, 1e-300, -800.0, 800.0, np.nan, np.inf, -np.inf])
    z = np.concatenate([z, np.random.default_rng(0).standard_normal(10_000) * 20])
    relu = np.array([kernels._activate(v, 1) for v in z])
    logistic = np.array([kernels._activate(v, 2) for v in z])
    assert relu.tobytes() == np.maximum(z, 0).tobytes()
    assert logistic.tobytes() == expit(z).tobytes()


@pytest.mark.parametrize(
    "hidden, activation, steps, expected",
    [
        ([2], "relu", "compiled", "compiled"),
        ([8], "logistic", "compiled", "compiled"),
        ([4, 3], "relu", "compiled", "compiled"),
        ([2], "tanh", "compiled", "numpy"),
        ([2], "relu", "numpy", "numpy"),
    ],
)
def test_the_engine_says_which_steps_it_ran(
    small_xor, hidden, activation, steps, expected
):
    """Every shape takes the path asked for, but an activation the kernels leave
    to numpy (tanh): the paths the bit-for-bit tests check."""
    from sklearn.neural_network import MLPClassifier

    X, y = small_xor
    est = MLPClassifier(
        hidden_layer_sizes=hidden, activation=activation, solver="sgd", max_iter=2
    )
    _, _, ran = lockstep.fit_sgd_lockstep_with_steps(est, X, y, [0, 1], steps)
    assert ran == expected


_COVERAGE_SCRIPT = """
from sklearn.neural_network import MLPClassifier

from hw04 import inputs
from hw04.engine import kernels, lockstep
from hw04.notebook import homework_settings


def signatures():
    return {
        name: set(kernel.signatures)
        for name, kernel in vars(kernels).items()
        if hasattr(kernel, "signatures")
    }


lockstep.compile_kernels(homework_settings("hw04.ipynb").values())  # cwd: ROOT
compiled = signatures()
X, y, _, _ = inputs.load_xor_data(homework_dir=".")
for units, n_seeds in ((2, 5), (2, 1), (8, 3)):
    est = MLPClassifier(
        hidden_layer_sizes=[units], activation="logistic", solver="sgd",
        batch_size=10, max_iter=3, learning_rate="adaptive",
        learning_rate_init=0.1, momentum=0.0,
    )
    lockstep.fit_sgd_lockstep(est, X, y, list(range(n_seeds)))
new = {k: v - compiled[k] for k, v in signatures().items() if v - compiled[k]}
print(new or "none")
"""


def test_compile_kernels_covers_what_the_homeworks_runs_need():
    """After ``compile_kernels`` (which the set-up runs once), runs of the
    homework's shapes need no signature it did not compile and cache. In a
    fresh process, so that no other test's compiling hides a gap."""
    import subprocess
    import sys

    from make_homework import ROOT

    done = subprocess.run(
        [sys.executable, "-c", _COVERAGE_SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "none", done.stdout
