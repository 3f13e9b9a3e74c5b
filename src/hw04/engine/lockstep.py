"""Train many seeds of an SGD ``MLPClassifier`` at once, bit for bit as sklearn does.

scikit-learn's ``MLPClassifier(solver='sgd')`` spends almost all of a small fit in
per-minibatch Python overhead. This module runs the fits of many random seeds in
lockstep on stacked numpy arrays of shape ``(n_seeds, ...)`` and hands back
ordinary fitted ``MLPClassifier`` objects.

Exactness rests on doing, for every seed, the very floating-point operations that
sklearn does, in the same order:

* the initial weights come from sklearn's own ``_initialize``, so the random draws
  (weights then intercepts per layer) are sklearn's;
* each epoch's shuffle draws from the same ``RandomState`` and permutes the
  previous epoch's order, as ``sklearn.utils.shuffle`` does;
* every product is a stacked ``np.matmul`` over C-contiguous ``(n, m)`` blocks,
  which calls the same BLAS kernel per block as sklearn's ``a @ b`` on one seed
  (or, where :mod:`hw04.engine.kernels` has checked that it gives the same bits on this
  machine, a compiled chain of fused multiply-adds); reductions run over the
  same contiguous axis, so numpy sums in the same order;
* the loss of each minibatch is computed from the weights before its update and
  accumulated batch-weighted, and the learning-rate schedule and stopping rule are
  replayed per seed.

The result depends on the BLAS build and the C library: :func:`hw04.training.fit_seeds`
refits one run of every setting it trains with sklearn's own ``fit`` and
compares the bits, and trains the setting with sklearn's ``fit`` on any
difference.

A minibatch runs as compiled steps (:mod:`hw04.engine.kernels`, with numba) where it
can, else as numpy calls; the ``steps`` argument says which are allowed
(:data:`STEPS`).

Options this engine does not cover (``early_stopping``, ``warm_start``,
``solver`` other than ``'sgd'``, more than two classes, float32 input, sample
weights) make :func:`fit_sgd_lockstep` fall back to sklearn's own ``fit``, one
seed after another, with a :class:`EngineFallbackWarning` that says why.
"""

import importlib.util
import sys
import warnings
from itertools import pairwise

import numpy as np
from scipy.special import expit, xlogy
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.utils import check_random_state, gen_batches

from hw04 import sklearn_compat


def _lazy_module(name):
    """``name`` imported on its first attribute access (importlib's LazyLoader)."""
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


class EngineFallbackWarning(UserWarning):
    """The batched engine cannot train this configuration; sklearn's fit did."""


def warn_fallback(reason, stacklevel=3):
    """Say, once for a caller's call, that sklearn's own fit trains instead.

    ``stacklevel`` 3 names the line that called this function's caller."""
    warnings.warn(
        f"Batched SGD engine: {reason}; these runs are trained by sklearn's own fit, "
        "with the same results, more slowly.",
        EngineFallbackWarning,
        stacklevel=stacklevel,
    )


def is_sgd(estimator):
    """Whether ``estimator`` is an ``MLPClassifier`` trained by SGD, the kind the
    batched engine is for; for any other it does not apply, and says nothing."""
    return isinstance(estimator, MLPClassifier) and estimator.solver == "sgd"


def unsupported_reason(estimator, y=None, X=None):
    """Say why the batched engine cannot train ``estimator``, or return None.

    Parameters
    ----------
    estimator : MLPClassifier
        The configured, unfitted estimator.
    y : array-like of shape (n_samples,), optional
        The labels, to check that there are exactly two classes.
    X : array-like of shape (n_samples, n_features), optional
        The inputs, to check that they are float64.

    Returns
    -------
    reason : str or None
        A sentence naming the option that is not covered, or None when the
        batched engine reproduces sklearn for this configuration.
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
    for failed, reason in checks:
        if failed:
            return reason
    return None


def fit_sgd_lockstep(estimator, X, y, seeds, steps="whole"):
    """Fit ``clone(estimator)`` once per seed, all seeds in lockstep.

    Parameters
    ----------
    estimator : MLPClassifier
        Configured with ``solver='sgd'``; its ``random_state`` is replaced by
        each seed in turn.
    X : array-like of shape (n_samples, n_features)
        Training inputs.
    y : array-like of shape (n_samples,)
        Binary labels.
    seeds : sequence of int
        One fit per seed.
    steps : {'whole', 'fused', 'compiled', 'numpy'}, default='whole'
        The fastest way of running a minibatch that the engine may take (see
        :data:`STEPS`); each gives the same bits, and it takes the fastest this
        machine allows up to this one.

    Returns
    -------
    fits : list of MLPClassifier
        Fitted estimators, in the order of ``seeds``, identical bit for bit to
        ``clone(estimator).set_params(random_state=seed).fit(X, y)``.
    warned : list of bool
        True where sklearn's fit would have raised a ``ConvergenceWarning``
        (the last epoch was reached without the stopping rule firing). No
        warning is emitted here, so that callers decide how to report it.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neural_network import MLPClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(40, 2)
    >>> y = (X[:, 0] * X[:, 1] > 0).astype(int)
    >>> est = MLPClassifier(hidden_layer_sizes=[2], solver="sgd", max_iter=5)
    >>> fits, warned = fit_sgd_lockstep(est, X, y, seeds=[0, 1])
    >>> ref = MLPClassifier(hidden_layer_sizes=[2], solver="sgd", max_iter=5,
    ...                     random_state=1)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", ConvergenceWarning)
    ...     ref = ref.fit(X, y)
    >>> bool(np.array_equal(fits[1].coefs_[0], ref.coefs_[0])), warned
    (True, [True, True])
    """
    fits, warned, _ = fit_sgd_lockstep_with_steps(estimator, X, y, seeds, steps)
    return fits, warned


def fit_sgd_lockstep_with_steps(estimator, X, y, seeds, steps="whole"):
    """:func:`fit_sgd_lockstep`, and which steps ran: ``(fits, warned, ran)``.

    ``ran`` is ``'whole'``, ``'fused'``, ``'compiled'``, ``'numpy'``, ``'sklearn'``
    (its own ``fit``, for a configuration the engine does not cover), or
    ``'none'`` (no seeds)."""
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


def compile_kernels(estimators, wider=(4,)):
    """Have numba compile (and cache) the kernels that ``estimators`` use.

    Trains a few epochs of tiny problems with each SGD estimator, in its own
    shape and with ``wider`` hidden layers (two hidden units: whole epochs; four
    and more: fused steps), in groups of several seeds and of one, so that numba
    writes its cache for every signature they need. The set-up calls this once
    with the notebook's settings, so that the notebook's first run does not
    spend its first seconds compiling. Does nothing without numba.
    """
    if not kernels.AVAILABLE:
        return
    rng = np.random.RandomState(0)
    X = rng.randn(40, 2)
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    for est in estimators:
        if unsupported_reason(est, y, X) is not None:
            continue
        for hidden in (est.hidden_layer_sizes, *([w] for w in wider)):
            small = clone(est).set_params(hidden_layer_sizes=hidden, max_iter=2)
            for seeds in ([0, 1, 2], [0]):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    fit_sgd_lockstep(small, X, y, seeds)


def fit_with_sklearn(estimator, X, y, seed):
    """Fit ``clone(estimator)`` with ``random_state=seed`` by sklearn's own ``fit``.

    Returns
    -------
    clf : fitted estimator
    warned : bool
        Whether the fit raised a ``ConvergenceWarning`` (recorded, not shown).
    """
    clf = clone(estimator).set_params(random_state=seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        clf.fit(X, y)
    return clf, any(issubclass(w.category, ConvergenceWarning) for w in caught)


def _initialized_clones(estimator, X, y, seeds):
    """Clones with sklearn's own validated inputs and initial weights.

    Returns the clones, and the inputs and 2-D labels as sklearn validated them.
    """
    fits = []
    for seed in seeds:
        clf = clone(estimator).set_params(random_state=seed)
        X_v, Y = sklearn_compat.validate_input(clf, X, y)
        Y_N1 = Y.reshape((-1, 1)) if Y.ndim == 1 else Y
        hidden = clf.hidden_layer_sizes
        hidden = list(hidden) if hasattr(hidden, "__iter__") else [hidden]
        if min(hidden) <= 0:
            raise ValueError(f"hidden_layer_sizes must be > 0, got {hidden}.")
        layer_units = [X_v.shape[1], *hidden, Y_N1.shape[1]]
        clf.n_outputs_ = Y_N1.shape[1]
        clf._random_state = check_random_state(seed)
        sklearn_compat.initialize(clf, Y_N1, layer_units, X_v.dtype)
        fits.append(clf)
    return fits, X_v, Y_N1


# How a minibatch can run, fastest first: "whole" (the whole epoch in one
# compiled call, every product compiled, where this machine's BLAS agrees),
# "fused" (compiled steps, and the hidden layer's products too where the BLAS
# agrees), "compiled" (compiled steps, products by np.matmul) or "numpy" (numpy
# calls only). Each gives sklearn's bits; the engine takes the fastest available
# up to the one asked for, and tests ask for each in turn.
STEPS = ("whole", "fused", "compiled", "numpy")

_HIDDEN = {
    "relu": lambda Z: np.maximum(Z, 0, out=Z),
    "logistic": lambda Z: expit(Z, out=Z),
    "tanh": lambda Z: np.tanh(Z, out=Z),
    "identity": lambda Z: Z,
}


def _relu_derivative(Z, delta):
    np.copyto(delta, 0.0, where=Z == 0)


def _logistic_derivative(Z, delta):
    delta *= Z
    delta *= 1 - Z


def _tanh_derivative(Z, delta):
    delta *= 1 - Z**2


_DERIVATIVE = {
    "relu": _relu_derivative,
    "logistic": _logistic_derivative,
    "tanh": _tanh_derivative,
    "identity": lambda Z, delta: None,
}


class _Lockstep:
    """The state of all seeds' fits, stacked along a leading seed axis ``S``."""

    def __init__(self, fits, X_NF, Y_N1, steps="whole"):
        self.fits = fits
        self.X_NF = X_NF
        self.Y_N1 = Y_N1
        ref = fits[0]
        self.n_samples = X_NF.shape[0]
        if ref.batch_size != "auto" and ref.batch_size > self.n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than "
                "sample size. It is going to be clipped",
                stacklevel=4,
            )
        self.batch_size = sklearn_compat.minibatch_size(ref.batch_size, self.n_samples)
        self.batches = list(gen_batches(self.n_samples, self.batch_size))
        self.starts = np.array([0] + [sl.stop for sl in self.batches], np.int64)
        # Batches grouped by size (all but maybe the last share one), for the loss.
        self.sizes_K = np.array([sl.stop - sl.start for sl in self.batches])
        self.batch_groups = []
        for size in np.unique(self.sizes_K):
            cols = np.flatnonzero(self.sizes_K == size)
            rows = np.concatenate(
                [np.arange(self.batches[c].start, self.batches[c].stop) for c in cols]
            )
            if np.array_equal(rows, np.arange(rows[0], rows[0] + len(rows))):
                rows = slice(int(rows[0]), int(rows[0]) + len(rows))  # no copy
            self.batch_groups.append((int(size), cols, rows))
        self.shapes = [c.shape for c in ref.coefs_]
        # One row per seed, packed by sklearn; the bounds of each array in a row
        # follow _pack's order (all coefs, then all intercepts), for the views.
        sizes = [int(np.prod(s)) for s in self.shapes] + [s[1] for s in self.shapes]
        self.bounds = np.concatenate([[0], np.cumsum(sizes)])
        self.n_coef = int(sum(sizes[: len(self.shapes)]))
        self.coef_bounds = self.bounds[: len(self.shapes) + 1].astype(np.int64)
        self.params_SP = np.stack(
            [sklearn_compat.pack(f.coefs_, f.intercepts_) for f in fits]
        )
        self.velocity_SP = np.zeros_like(self.params_SP)
        S0, N = len(fits), self.n_samples
        self.X_buf = np.empty((S0, N, X_NF.shape[1]))
        self.Y_buf = np.empty((S0, N, Y_N1.shape[1]), dtype=Y_N1.dtype)
        self.prob_buf = np.empty((S0, N, 1))
        self.hist_buf = np.empty(S0 * len(self.batches) * self.n_coef)
        self.order_SN = np.tile(np.arange(self.n_samples), (len(fits), 1))
        self.lr_S = np.full(len(fits), float(ref.learning_rate_init))
        self.active = list(range(len(fits)))
        self.best_loss = [np.inf] * len(fits)
        self.no_improvement = [0] * len(fits)
        self.warned = [False] * len(fits)
        self.steps = self.choose_steps(steps)
        self.runner = (_NumpySteps if self.steps == "numpy" else _CompiledSteps)(self)

    def choose_steps(self, allowed):
        """``'whole'``, ``'fused'``, ``'compiled'`` or ``'numpy'``: the most
        ``allowed`` allows (one of :data:`STEPS`).

        Compiled steps need numba and an activation whose function the C library
        rounds as numpy and scipy do; fused products need one hidden layer, one
        output, and this machine's BLAS ordering its small products as they do;
        whole epochs need that for the output unit's products too.
        """
        ref = self.fits[0]
        if (
            allowed == "numpy"
            or not kernels.AVAILABLE
            or ref.activation not in kernels.ACTIVATION_CODES
        ):
            return "numpy"
        (n_in, n_hidden), *rest = self.shapes
        if allowed in ("whole", "fused") and [s[1] for s in rest] == [1]:
            if kernels.products_agree(self.sizes_K, n_in, n_hidden):
                whole = kernels.output_products_agree(self.sizes_K, n_hidden)
                return "whole" if allowed == "whole" and whole else "fused"
        return "compiled"

    def views(self, flat_SP):
        """Per-layer coef views ``(S, fan_in, fan_out)`` and intercept views."""
        S = flat_SP.shape[0]
        L = len(self.shapes)
        coefs = [
            flat_SP[:, self.bounds[i] : self.bounds[i + 1]].reshape(S, *self.shapes[i])
            for i in range(L)
        ]
        inters = [
            flat_SP[:, self.bounds[L + i] : self.bounds[L + i + 1]].reshape(S, 1, -1)
            for i in range(L)
        ]
        return coefs, inters

    def run(self):
        ref = self.fits[0]
        for _ in range(ref.max_iter):
            loss_S = self.epoch()
            stopped = self.end_epoch(loss_S)
            if stopped:
                self.retire(stopped)
            if not self.active:
                break
        if self.active:
            self.retire(list(range(len(self.active))))
        return self.warned

    def epoch(self):
        ref = self.fits[0]
        S = len(self.active)
        if ref.shuffle:
            # sklearn shuffles (X, y) by a shuffled arange; shuffling the row of
            # indices in place makes the same Fisher-Yates swaps from the same
            # draws (they depend only on the length), so the order is the same.
            for row, k in enumerate(self.active):
                self.fits[k]._random_state.shuffle(self.order_SN[row])
        # The epoch's arrays reuse the first S rows of buffers made for all seeds.
        # np.take copies whole rows at once, where X_NF[order_SN] gathers element
        # by element; either way the values are the same.
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
            clf = self.fits[k]
            loss = loss_S[row]
            clf.n_iter_ += 1
            clf.loss_ = loss
            clf.t_ += self.n_samples
            clf.loss_curve_.append(loss)
            if loss > self.best_loss[k] - ref.tol:
                self.no_improvement[k] += 1
            else:
                self.no_improvement[k] = 0
            if loss < self.best_loss[k]:
                self.best_loss[k] = loss
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
            _finish(
                self.fits[k],
                [c[row] for c in coefs] + [b[row, 0] for b in inters],
                [v[row] for v in vcoefs] + [v[row, 0] for v in vinters],
                float(self.lr_S[row]),
                self.best_loss[k],
                self.no_improvement[k],
            )
        keep = [r for r in range(len(self.active)) if r not in set(rows)]
        self.active = [self.active[r] for r in keep]
        self.params_SP = self.params_SP[keep]
        self.velocity_SP = self.velocity_SP[keep]
        self.order_SN = self.order_SN[keep]
        self.lr_S = self.lr_S[keep]


def _finish(clf, params, velocities, learning_rate, best_loss, no_improvement):
    """Write a seed's final state into its estimator, as sklearn's ``fit`` leaves it.

    ``params`` and ``velocities`` are the coefficient arrays, then the
    intercept arrays (copied here).
    """
    n_layers = len(params) // 2
    clf.coefs_ = [p.copy() for p in params[:n_layers]]
    clf.intercepts_ = [p.copy() for p in params[n_layers:]]
    clf.best_loss_ = best_loss
    clf._no_improvement_count = no_improvement
    fitted = clf.coefs_ + clf.intercepts_
    opt = sklearn_compat.SGDOptimizer(
        fitted,
        clf.learning_rate_init,
        clf.learning_rate,
        clf.momentum,
        clf.nesterovs_momentum,
        clf.power_t,
    )
    opt.learning_rate = learning_rate
    opt.velocities = [v.copy() for v in velocities]
    clf._optimizer = opt
    if not all(np.isfinite(p).all() for p in fitted):
        raise ValueError(
            f"Seed {clf.random_state}: the solver produced non-finite weights. "
            "The input data may contain large values and need scaling."
        )


def _batch_buffers(shapes, sizes_K, S):
    """Per batch size: hidden activations, their transposes, and the deltas."""
    widths = [s[1] for s in shapes]
    buffers = {}
    for n_b in np.unique(sizes_K):
        zs = [np.empty((S, n_b, w)) for w in widths[:-1]]
        ds = [np.empty((S, n_b, w)) for w in widths]
        buffers[int(n_b)] = zs, [z.transpose(0, 2, 1) for z in zs], ds
    return buffers


def _history_views(hist, S, coef_bounds):
    """Per layer, the ``(S, K, fan_in * fan_out)`` block of the weight history.

    Each batch's weights before its update go there (for the L2 term of its
    loss); one C-contiguous block per layer gives numpy's dot products
    without a copy.
    """
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


class _CompiledSteps:
    """An epoch's minibatches and losses in the compiled steps of :mod:`.kernels`."""

    def __init__(self, lock):
        self.lock = lock
        ref = lock.fits[0]
        self.code = kernels.ACTIVATION_CODES[ref.activation]
        self.alpha = float(ref.alpha)
        self.momentum = float(ref.momentum)
        self.nesterov = bool(ref.nesterovs_momentum)

    def minibatches(self, X_SNF, Y_SN1, prob_SN1, hist):
        if self.lock.steps == "whole":
            self.whole_epoch(X_SNF, Y_SN1, prob_SN1, hist)
        else:
            self.step_by_step(X_SNF, Y_SN1, prob_SN1, hist)

    def step_by_step(self, X_SNF, Y_SN1, prob_SN1, hist):
        """The epoch's minibatches in compiled steps, products by np.matmul; with
        fused steps, the one hidden layer's own two products are compiled too."""
        lock, code = self.lock, self.code
        fused = lock.steps == "fused"
        params_SP, velocity_SP = lock.params_SP, lock.velocity_SP
        coefs, inters = lock.views(params_SP)
        coefs_T = [c.transpose(0, 2, 1) for c in coefs]
        grad_SP = np.empty_like(params_SP)
        gcoefs, ginters = lock.views(grad_SP)
        L = len(lock.shapes)
        X_T_SFN = X_SNF.transpose(0, 2, 1)
        buffers = _batch_buffers(lock.shapes, lock.sizes_K, len(lock.active))
        for k, sl in enumerate(lock.batches):
            n_b = sl.stop - sl.start
            zs, zs_T, ds = buffers[n_b]
            acts = [X_SNF[:, sl], *zs, prob_SN1[:, sl]]
            acts_T = [X_T_SFN[:, :, sl], *zs_T]
            for i in range(L - 1):
                if fused:  # (one hidden layer, one output)
                    kernels.hidden_forward(
                        acts[i], coefs[i], inters[i], acts[i + 1], code
                    )
                else:
                    np.matmul(acts[i], coefs[i], out=acts[i + 1])
                    kernels.bias_activation(acts[i + 1], inters[i], code)
            np.matmul(acts[L - 1], coefs[L - 1], out=acts[L])
            kernels.output_error(
                acts[L], inters[L - 1], Y_SN1[:, sl], ds[L - 1], ginters[L - 1]
            )
            for i in range(L - 1, -1, -1):
                np.matmul(acts_T[i], ds[i], out=gcoefs[i])
                if fused:  # the hidden layer's gradients, its product included
                    kernels.hidden_backward(
                        acts[0], acts[1], ds[1], coefs[1], ds[0], gcoefs[0],
                        ginters[0], code,
                    )  # fmt: skip
                    break
                if i > 0:
                    np.matmul(ds[i], coefs_T[i], out=ds[i - 1])
                    kernels.derivative_sums(acts[i], ds[i - 1], ginters[i - 1], code)
            kernels.sgd_update(
                params_SP, grad_SP, velocity_SP, lock.lr_S, hist, lock.coef_bounds,
                k, self.alpha, n_b, self.momentum, self.nesterov,
            )  # fmt: skip

    def whole_epoch(self, X_SNF, Y_SN1, prob_SN1, hist):
        """The epoch's minibatches in one compiled call (one hidden layer)."""
        lock = self.lock
        grad_SP = np.empty_like(lock.params_SP)
        (W, w), (b, c) = lock.views(lock.params_SP)
        (gW, gw), (gb, gc) = lock.views(grad_SP)
        S, n_b, H = len(lock.active), int(lock.sizes_K.max()), lock.shapes[0][1]
        kernels.whole_epoch(
            X_SNF, Y_SN1, prob_SN1, W, b, w, c, gW, gb, gw, gc, lock.params_SP,
            grad_SP, lock.velocity_SP, lock.lr_S, hist, lock.coef_bounds,
            lock.starts, np.empty((S, n_b, H)), np.empty((S, n_b, H)),
            np.empty((S, n_b, 1)), self.code, self.alpha, self.momentum,
            self.nesterov,
        )  # fmt: skip

    def epoch_losses(self, prob_SN1, Y_SN1, l2_SK):
        """Each seed's epoch loss, summed batch by batch as sklearn does."""
        loss_S = np.empty(prob_SN1.shape[0])
        kernels.epoch_losses(
            prob_SN1, Y_SN1, l2_SK, self.lock.sizes_K, self.alpha, loss_S
        )
        return loss_S


class _NumpySteps:
    """An epoch's minibatches and losses in numpy calls over all seeds."""

    def __init__(self, lock):
        self.lock = lock

    def minibatches(self, X_SNF, Y_SN1, prob_SN1, hist):
        lock = self.lock
        ref = lock.fits[0]
        S = len(lock.active)
        params_SP, velocity_SP = lock.params_SP, lock.velocity_SP
        coefs, inters = lock.views(params_SP)
        coefs_T = [c.transpose(0, 2, 1) for c in coefs]
        grad_SP = np.empty_like(params_SP)
        gcoefs, ginters = lock.views(grad_SP)
        tmp1_SP, tmp2_SP = np.empty_like(params_SP), np.empty_like(params_SP)
        tmp_SC = np.empty((S, lock.n_coef))
        grad_coef_SC, params_coef_SC = (
            grad_SP[:, : lock.n_coef],
            params_SP[:, : lock.n_coef],
        )
        hist_SKCs = _history_views(hist, S, lock.coef_bounds)
        coefs_SC = [params_SP[:, a:b] for a, b in pairwise(lock.coef_bounds)]
        act = _HIDDEN[ref.activation]
        deriv = _DERIVATIVE[ref.activation]
        alpha, momentum, nesterov = ref.alpha, ref.momentum, ref.nesterovs_momentum
        lr_S11 = lock.lr_S[:, None]
        L = len(lock.shapes)
        # Every operand is a block with sklearn's own strides (C-contiguous, or the
        # transpose of a C-contiguous block), so each matmul block runs the same
        # BLAS call as sklearn's `a @ b` and each sum runs along a contiguous row.
        X_T_SFN = X_SNF.transpose(0, 2, 1)
        buffers = _batch_buffers(lock.shapes, lock.sizes_K, S)
        for k, sl in enumerate(lock.batches):
            n_b = sl.stop - sl.start
            zs, zs_T, ds = buffers[n_b]
            # The L2 term of this batch's loss uses the weights before its update.
            for hist_SKC, coef_SC in zip(hist_SKCs, coefs_SC):
                hist_SKC[:, k] = coef_SC
            acts = [X_SNF[:, sl], *zs, prob_SN1[:, sl]]
            acts_T = [X_T_SFN[:, :, sl], *zs_T]
            for i in range(L):
                np.matmul(acts[i], coefs[i], out=acts[i + 1])
                np.add(acts[i + 1], inters[i], out=acts[i + 1])
                if i < L - 1:
                    act(acts[i + 1])
            expit(acts[L], out=acts[L])
            np.subtract(acts[L], Y_SN1[:, sl], out=ds[L - 1])
            for i in range(L - 1, -1, -1):
                np.matmul(acts_T[i], ds[i], out=gcoefs[i])
                np.add.reduce(ds[i], axis=1, keepdims=True, out=ginters[i])
                if i > 0:
                    np.matmul(ds[i], coefs_T[i], out=ds[i - 1])
                    deriv(acts[i], ds[i - 1])
            np.multiply(alpha, params_coef_SC, out=tmp_SC)
            np.add(grad_coef_SC, tmp_SC, out=grad_coef_SC)
            np.divide(grad_SP, n_b, out=grad_SP)
            # sklearn: velocity = momentum * velocity - lr * grad, and with
            # Nesterov the update is the same formula on the new velocity.
            np.multiply(momentum, velocity_SP, out=tmp1_SP)
            np.multiply(lr_S11, grad_SP, out=tmp2_SP)
            np.subtract(tmp1_SP, tmp2_SP, out=velocity_SP)
            if nesterov:
                np.multiply(momentum, velocity_SP, out=tmp1_SP)
                np.subtract(tmp1_SP, tmp2_SP, out=tmp1_SP)
                np.add(params_SP, tmp1_SP, out=params_SP)
            else:
                np.add(params_SP, velocity_SP, out=params_SP)

    def epoch_losses(self, prob_SN1, Y_SN1, l2_SK):
        """Each seed's epoch loss, summed batch by batch as sklearn does."""
        lock = self.lock
        alpha = lock.fits[0].alpha
        eps = np.finfo(prob_SN1.dtype).eps
        p_SN1 = np.clip(prob_SN1, eps, 1 - eps)
        # sklearn adds xlogy(y, p) + xlogy(1 - y, 1 - p); with y in {0, 1} one term
        # is exactly +0 and the other is xlogy(1, q) for q = p or 1 - p, so a single
        # xlogy (the same scipy log) gives the same bits at half the cost.
        terms_SN1 = xlogy(1.0, np.where(Y_SN1, p_SN1, 1 - p_SN1))
        S, K = l2_SK.shape
        loss_SK = np.empty((S, K))
        sizes_K = lock.sizes_K
        for size, cols, rows in lock.batch_groups:
            # A C-contiguous copy, so that numpy sums each batch pairwise along
            # a contiguous row exactly as it does for sklearn's single batch.
            t_SBn = np.ascontiguousarray(terms_SN1[:, rows, 0]).reshape(S, -1, size)
            loss_SK[:, cols] = -(t_SBn.sum(axis=2) / size)
        loss_SK += (0.5 * alpha) * l2_SK / sizes_K
        accumulated_SK = np.add.accumulate(loss_SK * sizes_K, axis=1)
        return accumulated_SK[:, -1] / lock.n_samples


def _same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def differences(clf, ref):
    """Names of the fitted attributes whose bits differ between two fits.

    The rule of "identical" everywhere (the exactness check, the benchmark): the
    weights, ``n_iter_``, the final loss and the loss curve; for SGD also ``t_``,
    ``best_loss_`` and whether sklearn's stopping rule ended the run. An L-BFGS
    fit has a loss curve only from the course's wrapper (``MLPClassifierLBFGS``);
    a plain one's is absent from both.
    """
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
        checks |= {
            "t_": clf.t_ == ref.t_,
            "best_loss_": _same_bits(clf.best_loss_, ref.best_loss_),
            "converged": sklearn_compat.sgd_stopped_by_rule(clf)
            == sklearn_compat.sgd_stopped_by_rule(ref),
        }
    return [name for name, same in checks.items() if not same]


def _curve(clf):
    # sklearn keeps no loss curve for L-BFGS; the course's wrapper adds one.
    return np.asarray(getattr(clf, "loss_curve_", []), dtype=float)
