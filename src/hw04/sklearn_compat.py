"""Every private scikit-learn name this package uses, behind one version gate.

Outside :data:`SUPPORTED` the import stops with one line, before any private import
(the course's L-BFGS wrapper has its own gate over the same range; a test checks).
"""

import sklearn
from packaging.version import Version

SUPPORTED = ((1, 3), (1, 9))  # oldest and newest (major, minor) tested here
# The releases where the engine's bit-for-bit tests pass (tests/test_versions.py).
ENGINE_VERIFIED = {(1, 3), (1, 4), (1, 5), (1, 6), (1, 7), (1, 8), (1, 9)}


def _release(version):
    release = Version(version).release
    return release[0], release[1] if len(release) > 1 else 0


def _text(release):
    return ".".join(map(str, release))


RELEASE = _release(sklearn.__version__)  # the installed one, (major, minor)

if not SUPPORTED[0] <= RELEASE <= SUPPORTED[1]:
    raise ImportError(
        f"hw04 needs scikit-learn {_text(SUPPORTED[0])} to {_text(SUPPORTED[1])}, "
        f"found {sklearn.__version__}; install the pinned one with "
        "`pip install -r requirements.txt`."
    )

# How a minibatch's log loss is summed changed in 1.7, and the engine follows it:
# 1.3-1.6 sum the two xlogy terms apart, then add the two sums; 1.7-1.9 take
# -(sum of xlogy(y, p) + xlogy(1 - y, 1 - p)) / n.
LOSS_SUMS_LABELS_APART = RELEASE < (1, 7)

from sklearn.neural_network._multilayer_perceptron import _pack  # noqa: E402
from sklearn.neural_network._stochastic_optimizers import SGDOptimizer  # noqa: E402
from sklearn.utils import check_random_state  # noqa: E402


def engine_unverified_reason():
    """Why the lockstep engine must not run on this scikit-learn, or None."""
    if RELEASE in ENGINE_VERIFIED:
        return None
    verified = ", ".join(map(_text, sorted(ENGINE_VERIFIED)))
    return (
        f"it is verified bit for bit on scikit-learn {verified}, and this is "
        f"{sklearn.__version__}"
    )


def validate_params(estimator):
    """sklearn's check of the constructor parameters."""
    estimator._validate_params()


def validate_input(clf, X, y):
    """sklearn's input validation of a fit from scratch: ``(X, y)``."""
    return clf._validate_input(X, y, incremental=False, reset=True)


def initialize(clf, seed, Y_N1, layer_units, dtype):
    """Give ``clf`` sklearn's random state for ``seed`` and its initial weights."""
    clf._random_state = check_random_state(seed)
    clf._initialize(Y_N1, layer_units, dtype)


def shuffle_in_place(clf, order_N):
    """One epoch's shuffle of ``order_N`` from ``clf``'s own random state."""
    clf._random_state.shuffle(order_N)


def pack(coefs, intercepts):
    """sklearn's flat vector of the weights: coefficients, then intercepts."""
    return _pack(coefs, intercepts)


def minibatch_size(batch_size, n_samples):
    """The minibatch size sklearn's SGD uses.

    Examples
    --------
    >>> minibatch_size("auto", 1000), minibatch_size(10, 1000), minibatch_size(5000, 30)
    (200, 10, 30)
    """
    if batch_size == "auto":
        return min(200, n_samples)
    return int(min(max(batch_size, 1), n_samples))


def set_sgd_state(clf, velocities, learning_rate, no_improvement):
    """Leave in ``clf`` the optimizer and stopping-rule state of a finished SGD fit."""
    opt = SGDOptimizer(
        clf.coefs_ + clf.intercepts_,
        clf.learning_rate_init,
        clf.learning_rate,
        clf.momentum,
        clf.nesterovs_momentum,
        clf.power_t,
    )
    opt.learning_rate = learning_rate
    opt.velocities = [v.copy() for v in velocities]
    clf._optimizer = opt
    clf._no_improvement_count = no_improvement


def sgd_state(clf):
    """The state an SGD fit leaves beyond its public attributes, to compare fits."""
    _, keys, pos, *_ = clf._random_state.get_state()
    return {
        "learning_rate": clf._optimizer.learning_rate,
        "velocities": list(clf._optimizer.velocities),
        "no_improvement": clf._no_improvement_count,
        "random_state": (keys, pos),
    }


def sgd_stopped_by_rule(clf):
    """Whether a fitted SGD ``MLPClassifier`` stopped by its own stopping rule, not
    cut off at ``max_iter`` (with a ``ConvergenceWarning``)."""
    return clf.n_iter_ < clf.max_iter or (
        clf._no_improvement_count > clf.n_iter_no_change
    )
