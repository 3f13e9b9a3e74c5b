"""Train many seeds of an SGD ``MLPClassifier`` at once, bit for bit as sklearn does.

The fits of all seeds run in lockstep on stacked ``(n_seeds, ...)`` arrays, doing
per seed sklearn's floating-point operations in its order (each product the same
BLAS call per block as its ``a @ b``); the steps between products run as numpy calls
or compiled (:mod:`.kernels`). What the engine does not cover falls back to
sklearn's ``fit``, with an :class:`EngineFallbackWarning` that says why.
"""

import importlib.util
import sys
import warnings
from itertools import pairwise

import numpy as np
from scipy.special import expit, xlogy

from hw04 import sklearn_compat  # the version gate, before sklearn.neural_network

# isort: split
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.utils import gen_batches


def _lazy_module(name):
    """``name`` imported on its first attribute access."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# The compiled kernels load numba, which a run read back from the cache never needs.
kernels = _lazy_module("hw04.engine.kernels")

STEPS = ("compiled", "numpy")


class EngineFallbackWarning(UserWarning):
    """The batched engine cannot train this configuration; sklearn's fit did."""


def warn_fallback(reason, stacklevel=3):
    """Say that sklearn's own fit trains instead (3: the caller's caller's line)."""
    warnings.warn(
        f"Batched SGD engine: {reason}; these runs are trained by sklearn's own fit, "
        "with the same results, more slowly.",
        EngineFallbackWarning,
        stacklevel=stacklevel,
    )


def is_sgd(estimator):
    """Whether ``estimator`` is an SGD ``MLPClassifier``, the kind the engine is for."""
    return isinstance(estimator, MLPClassifier) and estimator.solver == "sgd"


def unsupported_reason(estimator, y=None, X=None):
    """Why the engine cannot train ``estimator`` (on ``y`` and ``X``, when given):
    an option, the data or this scikit-learn release; or None.

    Examples
    --------
    >>> unsupported_reason(MLPClassifier(solver="sgd", early_stopping=True))
    'early_stopping=True is not supported'
    >>> unsupported_reason(MLPClassifier(solver="sgd")) is None
    True
    """
    if type(estimator) is not MLPClassifier:
        # A subclass may change what fit does, which the engine replays.
        return f"it trains only MLPClassifier, not {type(estimator).__name__}"
    unverified = sklearn_compat.engine_unverified_reason()
    if unverified:
        return unverified
    params = estimator.get_params()
    checks = [
        (params["solver"] != "sgd", f"solver={params['solver']!r} is not 'sgd'"),
        (params["early_stopping"], "early_stopping=True is not supported"),
        (params["warm_start"], "warm_start=True is not supported"),
        (params["activation"] not in _HIDDEN, f"activation={params['activation']!r}"),
    ]
    if y is not None:
        n_classes = len(np.unique(np.asarray(y)))
        checks.append((n_classes != 2, f"it needs 2 classes, y has {n_classes}"))
    if X is not None:
        dtype = np.asarray(X).dtype
        checks.append((dtype != np.float64, f"it needs float64 inputs, not {dtype}"))
    return next((reason for failed, reason in checks if failed), None)


def fit_sgd_lockstep(estimator, X, y, seeds, steps="compiled"):
    """Fit ``clone(estimator)`` once per seed, all seeds in lockstep.

    Parameters
    ----------
    steps : {'compiled', 'numpy'}, default='compiled'
        The path between the products, where there are compiled steps (numba, an
        activation of :data:`.kernels.ACTIVATION_CODES`); both give the same bits.

    Returns
    -------
    fits : list of MLPClassifier
        Identical bit for bit to ``clone(estimator).set_params(random_state=seed)
        .fit(X, y)``, in the order of ``seeds``.
    warned : list of bool
        Where sklearn's fit would have raised a ``ConvergenceWarning`` (not raised
        here).
    """
    fits, warned, _ = fit_sgd_lockstep_with_steps(estimator, X, y, seeds, steps)
    return fits, warned


def fit_sgd_lockstep_with_steps(estimator, X, y, seeds, steps="compiled"):
    """:func:`fit_sgd_lockstep`, and how the epochs ran: ``'compiled'``,
    ``'numpy'``, ``'sklearn'`` (a configuration not covered) or ``'none'``."""
    if steps not in STEPS:
        raise ValueError(f"steps must be one of {STEPS}, got {steps!r}.")
    seeds = list(seeds)
    sklearn_compat.validate_params(estimator)
    reason = unsupported_reason(estimator, y, X)
    if reason is not None:
        warn_fallback(reason, stacklevel=4)  # the caller of fit_sgd_lockstep
        fitted = [fit_with_sklearn(estimator, X, y, seed) for seed in seeds]
        return [clf for clf, _ in fitted], [warned for _, warned in fitted], "sklearn"
    if not seeds:
        return [], [], "none"
    fits, X_NF, Y_N1 = _initialized_clones(estimator, X, y, seeds)
    lock = _Lockstep(fits, np.ascontiguousarray(X_NF), Y_N1, steps)
    return fits, lock.run(), lock.steps


def compile_kernels(estimators):
    """Have numba compile and cache the kernels of ``estimators``: two epochs of a
    tiny problem each, with three seeds and with one (every signature)."""
    if not kernels.AVAILABLE:
        return
    rng = np.random.RandomState(0)
    X = rng.randn(40, 2)
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    for est in estimators:
        if unsupported_reason(est, y, X) is not None:
            continue
        small = clone(est).set_params(max_iter=2)
        for seeds in ([0, 1, 2], [0]):
            fit_sgd_lockstep(small, X, y, seeds)


def fit_with_sklearn(estimator, X, y, seed):
    """``(clf, warned)``: sklearn's own fit of ``seed``, and whether it raised a
    ``ConvergenceWarning`` (recorded, not shown)."""
    clf = clone(estimator).set_params(random_state=seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        clf.fit(X, y)
    return clf, any(issubclass(w.category, ConvergenceWarning) for w in caught)


def _initialized_clones(estimator, X, y, seeds):
    """Clones with sklearn's initial weights, and its validated ``X`` and 2-D ``y``."""
    fits = []
    for seed in seeds:
        clf = clone(estimator).set_params(random_state=seed)
        X_v, Y = sklearn_compat.validate_input(clf, X, y)
        Y_N1 = Y.reshape((-1, 1)) if Y.ndim == 1 else Y
        hidden = clf.hidden_layer_sizes
        hidden = list(hidden) if hasattr(hidden, "__iter__") else [hidden]
        if min(hidden) <= 0:
            raise ValueError(f"hidden_layer_sizes must be > 0, got {hidden}.")
        clf.n_outputs_ = Y_N1.shape[1]
        layer_units = [X_v.shape[1], *hidden, Y_N1.shape[1]]
        sklearn_compat.initialize(clf, seed, Y_N1, layer_units, X_v.dtype)
        fits.append(clf)
    return fits, X_v, Y_N1


_HIDDEN = {
    "relu": lambda Z: np.maximum(Z, 0, out=Z),
    "logistic": lambda Z: expit(Z, out=Z),
    "tanh": lambda Z: np.tanh(Z, out=Z),
    "identity": lambda Z: Z,
}


# sklearn's in-place derivatives, from the activation's output Z.
_DERIVATIVE = {
    "relu": lambda Z, delta: np.copyto(delta, 0.0, where=Z == 0),
    "logistic": lambda Z, delta: np.multiply(delta * Z, 1 - Z, out=delta),
    "tanh": lambda Z, delta: np.multiply(delta, 1 - Z**2, out=delta),
    "identity": lambda Z, delta: None,
}


class _Lockstep:
    """The state of all seeds' fits, stacked along a leading seed axis ``S``."""

    def __init__(self, fits, X_NF, Y_N1, steps="compiled"):
        self.fits, self.X_NF, self.Y_N1 = fits, X_NF, Y_N1
        ref = fits[0]
        self.n_samples = N = X_NF.shape[0]
        if ref.batch_size != "auto" and ref.batch_size > N:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than "
                "sample size. It is going to be clipped",
                stacklevel=4,
            )
        self.batches = list(
            gen_batches(N, sklearn_compat.minibatch_size(ref.batch_size, N))
        )
        self.starts = np.array([0] + [sl.stop for sl in self.batches], np.int64)
        self.sizes_K = np.diff(self.starts)
        self.shapes = [c.shape for c in ref.coefs_]
        # One row per seed, packed by sklearn: all coefs, then all intercepts.
        sizes = [int(np.prod(s)) for s in self.shapes] + [s[1] for s in self.shapes]
        self.bounds = np.concatenate([[0], np.cumsum(sizes)])
        self.coef_bounds = self.bounds[: len(self.shapes) + 1].astype(np.int64)
        self.n_coef = int(self.coef_bounds[-1])
        self.params_SP = np.stack(
            [sklearn_compat.pack(f.coefs_, f.intercepts_) for f in fits]
        )
        self.velocity_SP = np.zeros_like(self.params_SP)
        S = len(fits)
        self.X_buf = np.empty((S, N, X_NF.shape[1]))
        self.Y_buf = np.empty((S, N, Y_N1.shape[1]), dtype=Y_N1.dtype)
        self.prob_buf = np.empty((S, N, 1))
        self.hist_buf = np.empty(S * len(self.batches) * self.n_coef)
        self.order_SN = np.tile(np.arange(N), (S, 1))
        self.lr_S = np.full(S, float(ref.learning_rate_init))
        self.active = list(range(S))
        self.best_loss = [np.inf] * S
        self.no_improvement = [0] * S
        self.warned = [False] * S
        compiled = kernels.AVAILABLE and ref.activation in kernels.ACTIVATION_CODES
        self.steps = steps if compiled else "numpy"
        self.runner = _Steps(self)

    def views(self, flat_SP):
        """Per-layer coef views ``(S, fan_in, fan_out)`` and intercept views."""
        S, L, b = flat_SP.shape[0], len(self.shapes), self.bounds
        coefs = [
            flat_SP[:, b[i] : b[i + 1]].reshape(S, *self.shapes[i]) for i in range(L)
        ]
        inters = [
            flat_SP[:, b[L + i] : b[L + i + 1]].reshape(S, 1, -1) for i in range(L)
        ]
        return coefs, inters

    def run(self):
        for _ in range(self.fits[0].max_iter):
            stopped = self.end_epoch(self.epoch())
            if stopped:
                self.retire(stopped)
            if not self.active:
                break
        if self.active:
            self.retire(list(range(len(self.active))))
        return self.warned

    def epoch(self):
        S = len(self.active)
        if self.fits[0].shuffle:
            # sklearn shuffles an arange; shuffling the previous order in place makes
            # the same swaps from the same draws (they depend only on the length).
            for row, k in enumerate(self.active):
                sklearn_compat.shuffle_in_place(self.fits[k], self.order_SN[row])
        # np.take copies whole rows (X_NF[order_SN] gathers element by element);
        # the epoch's arrays reuse the first S rows of buffers made for all seeds.
        X_SNF = np.take(self.X_NF, self.order_SN, axis=0, out=self.X_buf[:S])
        Y_SN1 = np.take(self.Y_N1, self.order_SN, axis=0, out=self.Y_buf[:S])
        prob_SN1 = self.prob_buf[:S]
        hist = self.hist_buf[: S * len(self.batches) * self.n_coef]
        self.runner.minibatches(X_SNF, Y_SN1, prob_SN1, hist)
        l2_SK = _squared_norms(_history_views(hist, S, self.coef_bounds))
        return self.runner.epoch_losses(prob_SN1, Y_SN1, l2_SK)

    def end_epoch(self, loss_S):
        """Book-keep each seed's epoch as sklearn does; return rows that stop."""
        ref = self.fits[0]
        stopped = []
        for row, k in enumerate(self.active):
            clf, loss = self.fits[k], loss_S[row]
            clf.n_iter_ += 1
            clf.loss_ = loss
            clf.t_ += self.n_samples
            clf.loss_curve_.append(loss)
            if loss > self.best_loss[k] - ref.tol:
                self.no_improvement[k] += 1
            else:
                self.no_improvement[k] = 0
            self.best_loss[k] = min(self.best_loss[k], loss)
            if ref.learning_rate == "invscaling":
                self.lr_S[row] = (
                    float(ref.learning_rate_init) / (clf.t_ + 1) ** ref.power_t
                )
            if self.no_improvement[k] > ref.n_iter_no_change:
                if ref.learning_rate != "adaptive" or self.lr_S[row] <= 1e-6:
                    stopped.append(row)
                    continue
                self.lr_S[row] = self.lr_S[row] / 5.0
                self.no_improvement[k] = 0
            if clf.n_iter_ == ref.max_iter:
                self.warned[k] = True
        return stopped

    def retire(self, rows):
        """Write the final state of ``rows`` into their estimators; drop them."""
        coefs, inters = self.views(self.params_SP)
        vcoefs, vinters = self.views(self.velocity_SP)
        for row in rows:
            k = self.active[row]
            clf = self.fits[k]
            clf.coefs_ = [c[row].copy() for c in coefs]
            clf.intercepts_ = [b[row, 0].copy() for b in inters]
            clf.best_loss_ = self.best_loss[k]
            velocities = [v[row] for v in vcoefs] + [v[row, 0] for v in vinters]
            sklearn_compat.set_sgd_state(
                clf, velocities, float(self.lr_S[row]), self.no_improvement[k]
            )
            if not all(np.isfinite(p).all() for p in clf.coefs_ + clf.intercepts_):
                raise ValueError(
                    f"Seed {clf.random_state}: the solver produced non-finite "
                    "weights. The input data may contain large values and need "
                    "scaling."
                )
        keep = [r for r in range(len(self.active)) if r not in set(rows)]
        self.active = [self.active[r] for r in keep]
        self.params_SP = self.params_SP[keep]
        self.velocity_SP = self.velocity_SP[keep]
        self.order_SN = self.order_SN[keep]
        self.lr_S = self.lr_S[keep]


def _history_views(hist, S, coef_bounds):
    """Per layer, the C-contiguous ``(S, K, fan_in * fan_out)`` block of each batch's
    weights before its update (for the L2 term of its loss)."""
    K = hist.size // (S * int(coef_bounds[-1]))
    return [
        hist[S * K * a : S * K * b].reshape(S, K, b - a)
        for a, b in pairwise(coef_bounds)
    ]


def _squared_norms(history):
    """Sum over layers of ``np.dot(w, w)`` of each batch's flattened weights."""
    l2_SK = 0
    for w_SKC in history:
        S, K, _ = w_SKC.shape
        w_R1C = w_SKC.reshape(S * K, 1, -1)
        l2_SK = l2_SK + np.matmul(w_R1C, w_R1C.transpose(0, 2, 1)).reshape(S, K)
    return l2_SK


# The numpy path's steps between two products, with the compiled kernels' arguments,
# each operand with sklearn's strides so that each sum runs as sklearn's does.


def _column_sums(d_SBW, out_S1W):
    np.add.reduce(d_SBW, axis=1, keepdims=True, out=out_S1W)


def _output_error(p_SBW, b_S1W, y_SBW, delta_SBW, grad_b_S1W):
    expit(np.add(p_SBW, b_S1W, out=p_SBW), out=p_SBW)
    np.subtract(p_SBW, y_SBW, out=delta_SBW)
    _column_sums(delta_SBW, grad_b_S1W)


def _sgd_update(
    params_SP, grad_SP, velocity_SP, lr_S, hist, bounds, k, alpha, n_b, momentum,
    nesterov,
):  # fmt: skip
    for hist_SKC, (a, b) in zip(
        _history_views(hist, len(params_SP), bounds), pairwise(bounds)
    ):
        hist_SKC[:, k] = params_SP[:, a:b]
    n_coef = bounds[-1]
    grad_SP[:, :n_coef] += alpha * params_SP[:, :n_coef]
    grad_SP /= n_b
    # sklearn: velocity = momentum * velocity - lr * grad, and with Nesterov the
    # update is the same formula on the new velocity.
    step_SP = lr_S[:, None] * grad_SP
    np.subtract(momentum * velocity_SP, step_SP, out=velocity_SP)
    params_SP += momentum * velocity_SP - step_SP if nesterov else velocity_SP


def _batch_sums(terms_SN, sizes_K):
    """Each batch's sum of ``terms_SN``, each a contiguous row, summed pairwise as
    numpy sums sklearn's single batch."""
    S, N = terms_SN.shape
    full = N - N % int(sizes_K[0])
    sums_SK = terms_SN[:, :full].reshape(S, -1, int(sizes_K[0])).sum(axis=2)
    if full < N:
        last_S1 = terms_SN[:, full:].sum(axis=1, keepdims=True)
        sums_SK = np.concatenate([sums_SK, last_S1], axis=1)
    return sums_SK


def _epoch_losses(prob_SN1, Y_SN1, l2_SK, sizes_K, alpha, apart, out_S):
    eps = np.finfo(prob_SN1.dtype).eps
    p_SN1 = np.clip(prob_SN1, eps, 1 - eps)
    # sklearn's xlogy(y, p) and xlogy(1 - y, 1 - p): with y in {0, 1} one is
    # exactly +0 and the other is xlogy(1, q) for q = p or 1 - p.
    log_SN = xlogy(1.0, np.where(Y_SN1, p_SN1, 1 - p_SN1))[:, :, 0]
    if apart:
        one_SN = Y_SN1[:, :, 0] != 0
        sums_SK = _batch_sums(np.where(one_SN, log_SN, 0.0), sizes_K)
        sums_SK = sums_SK + _batch_sums(np.where(one_SN, 0.0, log_SN), sizes_K)
    else:
        sums_SK = _batch_sums(log_SN, sizes_K)
    loss_SK = -(sums_SK / sizes_K) + (0.5 * alpha) * l2_SK / sizes_K
    total_S = np.add.accumulate(loss_SK * sizes_K, axis=1)[:, -1]
    np.divide(total_S, prob_SN1.shape[1], out=out_S)


class _Steps:
    """An epoch's minibatches and losses, by numpy calls or the compiled steps."""

    def __init__(self, lock):
        self.lock = lock
        ref = lock.fits[0]
        self.alpha, self.momentum = float(ref.alpha), float(ref.momentum)
        self.nesterov = bool(ref.nesterovs_momentum)
        if lock.steps == "numpy":
            act, deriv = _HIDDEN[ref.activation], _DERIVATIVE[ref.activation]
            self.bias_activation = lambda z, b: act(np.add(z, b, out=z))

            def derivative_sums(z, d, grad_b):
                deriv(z, d)
                _column_sums(d, grad_b)

            self.derivative_sums = derivative_sums
            self.output_error, self.sgd_update = _output_error, _sgd_update
            self.losses = _epoch_losses
            return
        code = kernels.ACTIVATION_CODES[ref.activation]
        self.bias_activation = lambda z, b: kernels.bias_activation(z, b, code)
        self.derivative_sums = lambda z, d, g: kernels.derivative_sums(z, d, g, code)
        self.output_error, self.sgd_update = kernels.output_error, kernels.sgd_update
        self.losses = kernels.epoch_losses

    def minibatches(self, X_SNF, Y_SN1, prob_SN1, hist):
        lock = self.lock
        params_SP, grad_SP = lock.params_SP, np.empty_like(lock.params_SP)
        coefs, inters = lock.views(params_SP)
        coefs_T = [c.transpose(0, 2, 1) for c in coefs]
        gcoefs, ginters = lock.views(grad_SP)
        L, S = len(lock.shapes), len(lock.active)
        X_T_SFN = X_SNF.transpose(0, 2, 1)
        widths = [s[1] for s in lock.shapes]
        buffers = {  # per batch size: hidden activations and deltas
            int(n): (
                [np.empty((S, n, w)) for w in widths[:-1]],
                [np.empty((S, n, w)) for w in widths],
            )
            for n in np.unique(lock.sizes_K)
        }
        for k, sl in enumerate(lock.batches):
            n_b = sl.stop - sl.start
            zs, ds = buffers[n_b]
            acts = [X_SNF[:, sl], *zs, prob_SN1[:, sl]]
            acts_T = [X_T_SFN[:, :, sl], *(z.transpose(0, 2, 1) for z in zs)]
            for i in range(L - 1):
                self.bias_activation(
                    np.matmul(acts[i], coefs[i], out=acts[i + 1]), inters[i]
                )
            np.matmul(acts[L - 1], coefs[L - 1], out=acts[L])
            self.output_error(
                acts[L], inters[L - 1], Y_SN1[:, sl], ds[L - 1], ginters[L - 1]
            )
            for i in range(L - 1, -1, -1):
                np.matmul(acts_T[i], ds[i], out=gcoefs[i])
                if i > 0:
                    np.matmul(ds[i], coefs_T[i], out=ds[i - 1])
                    self.derivative_sums(acts[i], ds[i - 1], ginters[i - 1])
            self.sgd_update(
                params_SP, grad_SP, lock.velocity_SP, lock.lr_S, hist,
                lock.coef_bounds, k, self.alpha, n_b, self.momentum, self.nesterov,
            )  # fmt: skip

    def epoch_losses(self, prob_SN1, Y_SN1, l2_SK):
        """Each seed's epoch loss, summed batch by batch as sklearn does."""
        loss_S = np.empty(prob_SN1.shape[0])
        self.losses(
            prob_SN1, Y_SN1, l2_SK, self.lock.sizes_K, self.alpha,
            sklearn_compat.LOSS_SUMS_LABELS_APART, loss_S,
        )  # fmt: skip
        return loss_S


def _same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def differences(clf, ref):
    """Names of the fitted attributes whose bits differ between two fits: weights,
    ``n_iter_``, loss and loss curve; for SGD also ``t_``, ``best_loss_``, the
    stopping rule and the state the fit leaves (optimizer, random state)."""
    checks = {
        "coefs_": all(_same_bits(a, b) for a, b in zip(clf.coefs_, ref.coefs_)),
        "intercepts_": all(
            _same_bits(a, b) for a, b in zip(clf.intercepts_, ref.intercepts_)
        ),
        "loss_curve_": _same_bits(_curve(clf), _curve(ref)),
        "n_iter_": clf.n_iter_ == ref.n_iter_,
        "loss_": _same_bits(clf.loss_, ref.loss_),
    }
    if clf.solver == "sgd":
        ours, theirs = sklearn_compat.sgd_state(clf), sklearn_compat.sgd_state(ref)
        checks |= {
            "t_": clf.t_ == ref.t_,
            "best_loss_": _same_bits(clf.best_loss_, ref.best_loss_),
            "converged": sklearn_compat.sgd_stopped_by_rule(clf)
            == sklearn_compat.sgd_stopped_by_rule(ref),
        }
        checks |= {
            name: all(_same_bits(a, b) for a, b in zip(ours[name], theirs[name]))
            if name in ("velocities", "random_state")
            else _same_bits(ours[name], theirs[name])
            for name in ours
        }
    return [name for name, same in checks.items() if not same]


def _curve(clf):
    # sklearn keeps no loss curve for L-BFGS; the course's wrapper adds one.
    return np.asarray(getattr(clf, "loss_curve_", []), dtype=float)
