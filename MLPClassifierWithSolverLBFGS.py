"""An L-BFGS ``MLPClassifier`` that records its training loss at every iteration.

scikit-learn keeps ``loss_curve_`` only for its stochastic solvers. This subclass
always trains with L-BFGS (SciPy's ``L-BFGS-B``, exactly as
``MLPClassifier(solver='lbfgs')`` does) and reads the objective after every
iteration from the optimizer's own per-iteration callback. Nothing printed is
parsed, and nothing is printed.
"""

import re

import numpy as np
import scipy.optimize
import sklearn
from sklearn.neural_network import MLPClassifier
from sklearn.utils.validation import check_is_fitted

# This module stands alone (numpy, scipy and scikit-learn only), so that it can be
# copied into another project. It relies on private parts of MLPClassifier, which
# scikit-learn may change in any release: the method ``_fit_lbfgs`` it overrides
# (its last argument is ``layer_units``, the others are what ``_loss_grad_lbfgs``
# takes after the packed weights), ``_loss_grad_lbfgs``, ``_unpack`` with the
# ``_coef_indptr`` and ``_intercept_indptr`` it reads, ``_pack``, and
# ``_check_optimize_result``. The oldest and newest (major, minor) release tested:
SUPPORTED_SKLEARN = ((1, 3), (1, 9))


def _sklearn_release(version):
    """``(major, minor)`` of a version string such as '1.9.1' or '1.10.dev0'."""
    found = re.match(r"(\d+)\.(\d+)", version)
    return (int(found[1]), int(found[2])) if found else (0, 0)


_OLDEST, _NEWEST = (".".join(map(str, release)) for release in SUPPORTED_SKLEARN)
_FOUND = _sklearn_release(sklearn.__version__)
if not SUPPORTED_SKLEARN[0] <= _FOUND <= SUPPORTED_SKLEARN[1]:
    raise ImportError(
        f"MLPClassifierLBFGS needs scikit-learn {_OLDEST} to {_NEWEST}, found "
        f"{sklearn.__version__}; install the pinned one with "
        "`pip install -r requirements.txt`."
    )

from sklearn.neural_network._multilayer_perceptron import _pack  # noqa: E402
from sklearn.utils.optimize import _check_optimize_result  # noqa: E402


class MLPClassifierLBFGS(MLPClassifier):
    """Multi-layer perceptron classifier trained by L-BFGS, with a loss curve.

    Identical to ``MLPClassifier(solver='lbfgs', ...)`` with the same settings,
    down to the last bit of the trained weights, and in addition records the
    training objective along the way.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The number of units in each hidden layer.
    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation function of the hidden units.
    alpha : float, default=1e-4
        Strength of the L2 penalty on the weights.
    max_iter : int, default=200
        Maximum number of L-BFGS iterations.
    tol : float, default=1e-4
        L-BFGS stops when the largest entry of the projected gradient is at
        most ``tol`` (SciPy's ``gtol``).
    max_fun : int, default=15000
        Maximum number of loss evaluations.
    random_state : int, RandomState instance or None, default=None
        Seed of the initial weights.

    Attributes
    ----------
    loss_curve_ : list of float
        The objective that L-BFGS minimises (sklearn's log loss plus its L2
        term, ``alpha / 2 * sum of squared weights / n_samples``), first at the
        initial weights and then after each iteration, so it has
        ``n_iter_ + 1`` entries.
    loss_ : float
        The objective at the returned weights, equal to ``loss_curve_[-1]``.
    did_converge_ : bool
        True exactly when SciPy reports convergence (status 0): the projected
        gradient fell to ``tol``, or the relative reduction of the objective
        fell below SciPy's ``ftol``. False when the fit stopped at
        ``max_iter`` or ``max_fun`` (status 1), or when the line search could
        not find a better point (status 2); sklearn then also raises a
        ``ConvergenceWarning``. Also readable as ``did_converge``.
    optimizer_status_ : int
        SciPy's status code (0, 1 or 2, as above).
    n_iter_ : int
        Number of L-BFGS iterations run.
    coefs_, intercepts_, classes_, n_layers_, n_outputs_, out_activation_
        As in ``MLPClassifier``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> x_N2 = rng.uniform(-1, 1, size=(200, 2))
    >>> y_N = (x_N2[:, 0] * x_N2[:, 1] > 0).astype(int)
    >>> clf = MLPClassifierLBFGS(hidden_layer_sizes=[4], activation="relu",
    ...                          max_iter=500, tol=1e-6, random_state=0)
    >>> clf = clf.fit(x_N2, y_N)
    >>> clf.did_converge, len(clf.loss_curve_) == clf.n_iter_ + 1
    (True, True)
    >>> print(f"loss {clf.loss_curve_[0]:.3f}, then below 0.01: {clf.loss_ < 0.01}")
    loss 0.947, then below 0.01: True
    >>> clf.score(x_N2, y_N)
    1.0
    """

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        alpha=0.0001,
        max_iter=200,
        tol=1e-4,
        max_fun=15000,
        random_state=None,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver="lbfgs",
            alpha=alpha,
            max_iter=max_iter,
            tol=tol,
            max_fun=max_fun,
            random_state=random_state,
        )

    @property
    def did_converge(self):
        """bool : Alias of ``did_converge_``, the course's original name."""
        check_is_fitted(self, "did_converge_")
        return self.did_converge_

    def _fit_lbfgs(self, X, y, *args):
        # On every supported release the last argument is layer_units and the
        # others are what _loss_grad_lbfgs takes after the packed weights and X, y.
        *loss_args, _ = args
        self._set_flat_layout()
        packed_0 = _pack(self.coefs_, self.intercepts_)

        curve = []

        def loss_and_grad(packed, *args):
            loss, grad = self._loss_grad_lbfgs(packed, *args)
            if not curve:  # SciPy evaluates the initial weights first.
                curve.append(float(loss))
            return loss, grad

        def record(intermediate_result):
            curve.append(float(intermediate_result.fun))

        result = scipy.optimize.minimize(
            loss_and_grad,
            packed_0,
            method="L-BFGS-B",
            jac=True,
            callback=record,
            options={
                "maxfun": self.max_fun,
                "maxiter": self.max_iter,
                "gtol": self.tol,
            },
            args=(X, y, *loss_args),
        )
        self.n_iter_ = _check_optimize_result("lbfgs", result, self.max_iter)
        self.loss_ = result.fun
        self.loss_curve_ = curve
        self.optimizer_status_ = int(result.status)
        self.did_converge_ = result.status == 0
        self._unpack(result.x)

    def _set_flat_layout(self):
        """Where each layer's weights sit in the flat vector that L-BFGS moves.

        sklearn's ``_loss_grad_lbfgs`` and ``_unpack`` read this layout, which
        sklearn sets inside the ``_fit_lbfgs`` that this class replaces; it
        follows ``_pack``'s order (every coefficient matrix, then every
        intercept vector), taken from the initial weights' own shapes.
        """
        arrays = self.coefs_ + self.intercepts_
        ends = np.cumsum([a.size for a in arrays]).tolist()
        starts = [0, *ends[:-1]]
        n_coefs = len(self.coefs_)
        self._coef_indptr = [
            (start, end, a.shape)
            for start, end, a in zip(starts[:n_coefs], ends[:n_coefs], self.coefs_)
        ]
        self._intercept_indptr = list(zip(starts[n_coefs:], ends[n_coefs:]))
