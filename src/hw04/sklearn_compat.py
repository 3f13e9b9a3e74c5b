"""Every private scikit-learn name this package uses, behind one version gate.

The L-BFGS wrapper overrides ``MLPClassifier._fit_lbfgs`` and the batched SGD
engine calls ``_validate_input``, ``_initialize`` and ``SGDOptimizer``. These
are not public API, so they are reached only through this module, which knows
how each supported release spells them:

* scikit-learn 1.3 to 1.6: ``_fit_lbfgs(X, y, activations, deltas, coef_grads,
  intercept_grads, layer_units)``;
* scikit-learn 1.7 and newer: the same with ``sample_weight`` after ``y``.

The wrapper, as a subclass, also relies on the inherited ``_loss_grad_lbfgs``,
``_unpack`` and the ``_coef_indptr`` layout, which all these releases share;
its tests compare its weights with sklearn's on the oldest and newest release.

Outside :data:`SUPPORTED` the import stops with one line that names the version
found and the range supported.
"""

import sklearn
from packaging.version import Version
from sklearn.neural_network._stochastic_optimizers import SGDOptimizer  # noqa: F401
from sklearn.utils.optimize import _check_optimize_result  # noqa: F401

SUPPORTED = ((1, 3), (1, 9))  # oldest and newest (major, minor) tested here
# The batched engine reproduces sklearn's SGD bit for bit on these releases
# only; on any other it declines before training (see hw04.engine.lockstep).
ENGINE_VERIFIED = {(1, 9)}


def sklearn_version():
    """The installed scikit-learn as ``(major, minor)``."""
    release = Version(sklearn.__version__).release
    return release[0], release[1] if len(release) > 1 else 0


def _range_text():
    (a, b), (c, d) = SUPPORTED
    return f"{a}.{b} to {c}.{d}"


if not SUPPORTED[0] <= sklearn_version() <= SUPPORTED[1]:
    raise ImportError(
        f"hw04 needs scikit-learn {_range_text()}, found {sklearn.__version__}; "
        "install the pinned one with `pip install -r requirements.txt`."
    )

HAS_SAMPLE_WEIGHT = sklearn_version() >= (1, 7)


def engine_unverified_reason():
    """Why the batched engine must not run on this scikit-learn, or None."""
    if sklearn_version() in ENGINE_VERIFIED:
        return None
    return (
        f"it is verified bit for bit on scikit-learn 1.9 only, and this is "
        f"{sklearn.__version__}"
    )


def split_lbfgs_args(args):
    """Split the arguments sklearn passes to ``_fit_lbfgs`` after ``X, y``.

    Returns
    -------
    loss_args : tuple
        What ``_loss_grad_lbfgs`` takes after the packed weights, ``X`` and
        ``y`` (``sample_weight`` first on 1.7+), in sklearn's order.
    layer_units : list of int
    """
    expected = 6 if HAS_SAMPLE_WEIGHT else 5
    if len(args) != expected:
        raise TypeError(
            f"scikit-learn {sklearn.__version__} called _fit_lbfgs with "
            f"{len(args) + 2} arguments, not {expected + 2}; this wrapper does not "
            "know that release."
        )
    return tuple(args[:-1]), args[-1]


def validate_input(clf, X, y):
    """sklearn's own input validation of a fit from scratch: ``(X, y)``."""
    return clf._validate_input(X, y, incremental=False, reset=True)


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
