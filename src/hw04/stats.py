"""The homework's rules for reading a run (solved, converged, what it predicts on
each XOR quadrant, how soon it settled) and the statistics the answers rest on,
each written once for the tables, the answers and the appendix.
"""

import numpy as np
import pandas as pd
from scipy.stats import binom, binomtest

from hw04 import sklearn_compat
from hw04.wording import NUMBERS, span

# A run *solves* its training set when its training error is at most the XOR
# rule's own error on those points (sign of x1 * x2) plus this slack. Runs stuck on
# a plateau make 25 % errors or more; a solution on noisy data misses a few
# points near the axes that the rule gets right, so the slack is a few points.
SOLVED_SLACK = 0.05


def xor_rule_error(x_N2, y_N):
    """Training error of the XOR rule itself, ``y = 1`` where ``x1 * x2 > 0``: the
    share of points that noise carried into a neighbouring quadrant."""
    x_N2 = np.asarray(x_N2, dtype=float)
    return float(np.mean((x_N2[:, 0] * x_N2[:, 1] > 0) != (np.asarray(y_N) == 1)))


def solved(train_error, rule_error):
    """Whether runs with ``train_error`` solve a training set whose
    :func:`xor_rule_error` is ``rule_error``.

    Examples
    --------
    >>> solved([0.0, 0.03, 0.25], rule_error=0.0).tolist()
    [True, True, False]
    """
    return np.asarray(train_error) <= rule_error + SOLVED_SLACK


def converged(clf):
    """Whether a fitted run converged by its optimizer's own rule.

    L-BFGS: with the course's :class:`MLPClassifierLBFGS`, SciPy reported
    convergence; a plain ``MLPClassifier(solver="lbfgs")`` keeps no status, so
    there it means the run stopped before ``max_iter``. SGD: the run stopped by
    sklearn's stopping rule, that is without a ``ConvergenceWarning``, rather
    than being cut off at ``max_iter``.
    """
    if clf.solver == "lbfgs":
        status = getattr(clf, "did_converge_", None)  # the course's wrapper keeps it
        return bool(clf.n_iter_ < clf.max_iter if status is None else status)
    return bool(sklearn_compat.sgd_stopped_by_rule(clf))


def wilson_interval(k, n):
    """95 % Wilson score interval of a success rate ``k / n``, as SciPy gives it.

    Examples
    --------
    >>> [round(v, 4) for v in wilson_interval(4, 16) + wilson_interval(0, 10)]
    [0.1018, 0.495, 0.0, 0.2775]
    """
    if n == 0:
        return float("nan"), float("nan")
    interval = binomtest(int(k), int(n)).proportion_ci(method="wilson")
    return float(interval.low), float(interval.high)


def success_table(runs, by):
    """Runs ``solved`` (a boolean column of ``runs``) per group of the columns
    ``by``: one row per group with ``solved``, ``runs``, ``rate``, ``ci_low`` and
    ``ci_high`` (its 95 % Wilson interval)."""
    table = runs.groupby(by, sort=False)["solved"].agg(solved="sum", runs="count")
    table["rate"] = table["solved"] / table["runs"]
    bounds = [wilson_interval(k, n) for k, n in zip(table["solved"], table["runs"])]
    table["ci_low"], table["ci_high"] = zip(*bounds)
    return table.reset_index()


# A quadrant (by the signs of x1 and x2) is *fitted* when at least this share of
# its training points is classified correctly, with a median probability within
# FITTED_MARGIN of their label: a solution misses at most the few points that noise
# carried across an axis; a plateau gives whole quadrants one middling probability
# (1/2, 1/3 or 2/3), which the 0.5 threshold then classifies either way.
QUADRANT_RIGHT = 0.9
FITTED_MARGIN = 0.2
# The probabilities on the quadrants not fitted count as one constant value when
# 90 % of them (5th to 95th percentile) lie within this range.
CONSTANT_RANGE = 0.05


def quadrant_of(x_N2):
    """Quadrant of every point by the signs of x1 and x2, 0 to 3."""
    x_N2 = np.asarray(x_N2, dtype=float)
    return 2 * (x_N2[:, 0] > 0) + (x_N2[:, 1] > 0)


def what_it_predicts(clf, x_N2, y_N):
    """What a fitted run predicts on its training points, quadrant by quadrant:
    ``quadrants_fitted`` (0 to 4), ``rest_p_low`` and ``rest_p_high`` (5th and 95th
    percentiles of P(y=1 | x) on the other quadrants' points, NaN for none) and
    ``rest_constant``."""
    y_N = np.asarray(y_N)
    quadrant_N = quadrant_of(x_N2)
    right_N = clf.predict(x_N2) == y_N
    proba_N = clf.predict_proba(x_N2)[:, 1]
    fitted_Q = {
        q: right_N[quadrant_N == q].mean() >= QUADRANT_RIGHT
        and np.median(np.abs(proba_N - y_N)[quadrant_N == q]) <= FITTED_MARGIN
        for q in np.unique(quadrant_N)
    }
    rest_N = ~np.array([fitted_Q[q] for q in quadrant_N])
    low = high = float("nan")
    if rest_N.any():
        low, high = (float(v) for v in np.percentile(proba_N[rest_N], [5, 95]))
    return {
        "quadrants_fitted": int(sum(fitted_Q.values())),
        "rest_p_low": low,
        "rest_p_high": high,
        "rest_constant": bool(high - low <= CONSTANT_RANGE),
    }


def describe(prediction):
    """A run's :func:`what_it_predicts` in words (or a group's, from the lowest and
    highest values of its runs)."""
    k = int(prediction["quadrants_fitted"])
    if k == 4:
        return "all 4 quadrants fitted"
    low, high = prediction["rest_p_low"], prediction["rest_p_high"]
    p = f"p = {span(low, high, '.2f')}"
    if not prediction["rest_constant"]:
        p = f"p spread over {low:.2f}-{high:.2f}"
    where = "everywhere" if k == 0 else f"on the other {NUMBERS[4 - k]}"
    fitted = {0: "no quadrant", 1: "1 quadrant"}.get(k, f"{k} quadrants")
    return f"{fitted} fitted, {p} {where}"


def settle_iteration(loss_curve, within=0.01):
    """The first iteration from which a run's loss stays within ``within`` of its
    final value: how soon it reached what it ends on.

    Examples
    --------
    >>> settle_iteration([0.7, 0.4, 0.352, 0.348, 0.347]), settle_iteration([0.5])
    (2, 0)
    """
    curve = np.asarray(loss_curve, dtype=float)
    away = np.flatnonzero(np.abs(curve - curve[-1]) > within)
    return int(away[-1] + 1) if away.size else 0


def still_falling(loss_curve, last=0.1, by=0.01):
    """Whether a run's loss fell by more than ``by`` over its last ``last`` share of
    iterations: a run that max_iter cut off on its way down, not one that had
    settled.

    Examples
    --------
    >>> still_falling(np.linspace(0.69, 0.5, 101)), still_falling([0.7, 0.35, 0.35])
    (True, False)
    """
    curve = np.asarray(loss_curve, dtype=float)
    back = max(1, round(last * (len(curve) - 1)))
    return bool(len(curve) > 1 and curve[-1 - back] - curve[-1] > by)


def plateau_loss(quadrants_fitted):
    """The log loss of a plateau that fits ``quadrants_fitted`` of four equal XOR
    quadrants exactly and gives the others their mean label.

    With none fitted that is p = 1/2 everywhere, ln 2; with one, p = 1/3 (or 2/3)
    on the other three, 3/4 of the entropy of 1/3; with two, p = 1/2 on the other
    two, (ln 2) / 2. A run there has no better constant to move to.

    Examples
    --------
    >>> [round(plateau_loss(k), 3) for k in range(5)]
    [0.693, 0.477, 0.347, 0.0, 0.0]
    """
    rest = 4 - int(quadrants_fitted)
    p = (rest // 2) / rest if rest else 0.0
    entropy = sum(-q * np.log(q) for q in (p, 1 - p) if q > 0)
    return float(rest / 4 * entropy)


def inactive_on_a_quadrant(clf, x_N2):
    """Whether a hidden ReLU unit of ``clf`` outputs 0 on every point of a whole
    quadrant: those points then send it no gradient, so training cannot move it
    to separate them. Always False for other activations, whose units never
    output exactly 0."""
    if getattr(clf, "activation", None) != "relu":
        return False
    z_NH = np.asarray(x_N2, dtype=float) @ clf.coefs_[0] + clf.intercepts_[0]
    quadrant_N = quadrant_of(x_N2)
    return any(
        bool((z_NH[quadrant_N == q] <= 0).all(axis=0).any())
        for q in np.unique(quadrant_N)
    )


def share_near_a_plateau(loss_curve, within=0.02):
    """The share of a run's iterations whose loss is within ``within`` of a
    plateau's (:func:`plateau_loss` with 0, 1 or 2 quadrants fitted).

    Examples
    --------
    >>> share_near_a_plateau([0.9, 0.70, 0.69, 0.5, 0.35, 0.1])
    0.5
    """
    curve = np.asarray(loss_curve, dtype=float)[:, None]
    plateaus = np.array([plateau_loss(k) for k in (0, 1, 2)])
    return float(np.mean((np.abs(curve - plateaus) <= within).any(axis=1)))


def describe_runs(fitted, seeds, x_N2, y_N):
    """How every run of ``fitted`` (setting name to its runs, in the order of
    ``seeds``) ends on its training set ``(x_N2, y_N)``, one row per run: the
    columns of :func:`what_it_predicts` and the rules below, in words where
    ``predicts``."""
    rows = []
    for name, clfs in fitted.items():
        for seed, clf in zip(seeds, clfs, strict=True):
            prediction = what_it_predicts(clf, x_N2, y_N)
            rows.append(
                {
                    "setting": name,
                    "seed": seed,
                    **prediction,
                    "predicts": describe(prediction),
                    "settled": settle_iteration(clf.loss_curve_),
                    "still_falling": still_falling(clf.loss_curve_),
                    "near_plateau": share_near_a_plateau(clf.loss_curve_),
                    "inactive_unit": inactive_on_a_quadrant(clf, x_N2),
                }
            )
    return pd.DataFrame(rows)


# The premises of the notebook's reasoning: each is True for the runs-table rows
# that the reasoning does not describe, so that an answer can name them.


def off_plateau(runs):
    """Failed runs that did not stop by the optimizer's rule on a plateau (one
    constant probability on the quadrants they miss)."""
    return ~runs["zero_error"] & ~(runs["converged"] & runs["rest_constant"])


def stopped_while_solving(runs):
    """Runs with zero training error that the optimizer's rule stopped, rather
    than ``max_iter`` cutting them off on their way down."""
    return runs["zero_error"] & runs["converged"]


def at_start(runs):
    """Runs that stopped by the rule where they started: no quadrant fitted, one
    probability everywhere."""
    return runs["converged"] & (runs["quadrants_fitted"] == 0) & runs["rest_constant"]


def stopped_off_start(runs):
    """Runs that stopped by the rule anywhere but at their start."""
    return runs["converged"] & ~at_start(runs)


def chance_of_count(k, n, rate):
    """``P(X <= k)`` below ``n * rate``, ``P(X >= k)`` above it, for ``X`` binomial
    ``(n, rate)``: the chance of a count as far out as ``k`` on its side.

    Examples
    --------
    >>> round(chance_of_count(6, 16, 0.74), 4), chance_of_count(8, 16, 0.5) > 0.5
    (0.0023, True)
    """
    if k <= n * rate:
        return float(binom.cdf(k, n, rate))
    return float(binom.sf(k - 1, n, rate))
