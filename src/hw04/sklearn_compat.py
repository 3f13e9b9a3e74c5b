"""Every private scikit-learn name this package uses, behind one version gate.

The batched SGD engine calls ``_validate_input``, ``_initialize``, ``_pack`` and
``SGDOptimizer``, and reads ``_no_improvement_count``. These are not public API,
so the package reaches them only through this module.

The course's L-BFGS wrapper (``MLPClassifierWithSolverLBFGS.py``) stands alone and
has its own gate for the private names it needs, over the same range (a test
checks that the two ranges agree).

Outside :data:`SUPPORTED` the import stops with one line that names the version
found and the range supported.
"""

import sklearn
from packaging.version import Version
from sklearn.neural_network._multilayer_perceptron import _pack
from sklearn.neural_network._stochastic_optimizers import SGDOptimizer  # noqa: F401

SUPPORTED = ((1, 3), (1, 9))  # oldest and newest (major, minor) tested here
# The batched engine reproduces sklearn's SGD bit for bit on these releases
# only; on any other it declines before training (see hw04.engine.lockstep).
ENGINE_VERIFIED = {(1, 9)}


def sklearn_version():
    """The installed scikit-learn as ``(major, minor)``."""
    release = Version(sklearn.__version__).release
    return release[0], release[1] if len(release) > 1 else 0


def _release_text(release):
    return ".".join(map(str, release))


def _range_text():
    return " to ".join(map(_release_text, SUPPORTED))


if not SUPPORTED[0] <= sklearn_version() <= SUPPORTED[1]:
    raise ImportError(
        f"hw04 needs scikit-learn {_range_text()}, found {sklearn.__version__}; "
        "install the pinned one with `pip install -r requirements.txt`."
    )


def engine_unverified_reason():
    """Why the batched engine must not run on this scikit-learn, or None."""
    if sklearn_version() in ENGINE_VERIFIED:
        return None
    verified = " and ".join(map(_release_text, sorted(ENGINE_VERIFIED)))
    return (
        f"it is verified bit for bit on scikit-learn {verified} only, and this is "
        f"{sklearn.__version__}"
    )


def validate_input(clf, X, y):
    """sklearn's own input validation of a fit from scratch: ``(X, y)``."""
    return clf._validate_input(X, y, incremental=False, reset=True)


def minibatch_size(batch_size, n_samples):
    """The minibatch size sklearn's SGD uses: ``batch_size='auto'`` is
    ``min(200, n_samples)``; other sizes are clipped to ``[1, n_samples]`` (sklearn
    warns then; the engine too).

    Examples
    --------
    >>> minibatch_size("auto", 1000), minibatch_size(10, 1000), minibatch_size(5000, 30)
    (200, 10, 30)
    """
    if batch_size == "auto":
        return min(200, n_samples)
    return int(min(max(batch_size, 1), n_samples))


def pack(coefs, intercepts):
    """sklearn's flat vector of the weights: every coefficient matrix, then every
    intercept vector, each raveled."""
    return _pack(coefs, intercepts)


def initialize(clf, Y_N1, layer_units, dtype):
    """sklearn's own initial weights, drawn from ``clf._random_state``."""
    clf._initialize(Y_N1, layer_units, dtype)


def sgd_stopped_by_rule(clf):
    """Whether a fitted SGD ``MLPClassifier`` stopped by its own stopping rule.

    sklearn counts the epochs without improvement in ``_no_improvement_count``
    and stops (without a ``ConvergenceWarning``) once the count passes
    ``n_iter_no_change`` at the smallest learning rate; a run that reaches
    ``max_iter`` otherwise is cut off and warns.
    """
    return clf.n_iter_ < clf.max_iter or (
        clf._no_improvement_count > clf.n_iter_no_change
    )


def validate_params(estimator):
    """sklearn's check of the constructor parameters (what ``fit`` runs first)."""
    estimator._validate_params()
