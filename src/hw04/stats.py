"""The homework's rules for reading a run: solved or not, converged or not, and
the small statistics the answers rest on (Wilson intervals, loss plateaus).

Each rule is written once here; the notebook's tables, answers, appendix and
plots all call it.
"""

import math

import numpy as np

from hw04 import sklearn_compat

# A run *solves* its training set when its training error is at most the XOR
# rule's own error on those points (sign of x1 * x2) plus this slack. Runs stuck on
# a plateau make 25 % errors or more; a solution on noisy data misses a few
# points near the axes that the rule gets right, so the slack is a few points.
SOLVED_SLACK = 0.05


def xor_rule_error(x_N2, y_N):
    """Training error of the XOR rule itself, ``y = 1`` where ``x1 * x2 > 0``.

    Zero on the shipped data; on noisier data, the share of points whose noise
    carried them into a neighbouring quadrant.
    """
    x_N2 = np.asarray(x_N2, dtype=float)
    return float(np.mean((x_N2[:, 0] * x_N2[:, 1] > 0) != (np.asarray(y_N) == 1)))


def solved(train_error, rule_error):
    """Whether runs with ``train_error`` solve a training set (see the rule above).

    Parameters
    ----------
    train_error : float or array-like of float
    rule_error : float
        :func:`xor_rule_error` of the same training set.

    Examples
    --------
    >>> solved([0.0, 0.03, 0.25], rule_error=0.0).tolist()
    [True, True, False]
    """
    return np.asarray(train_error) <= rule_error + SOLVED_SLACK


def converged(clf):
    """Whether a fitted run converged by its optimizer's own rule.

    L-BFGS (:class:`MLPClassifierLBFGS`): SciPy reported convergence. SGD: the
    run stopped by sklearn's stopping rule, that is without a
    ``ConvergenceWarning``, rather than being cut off at ``max_iter``.
    """
    if hasattr(clf, "did_converge_"):
        return bool(clf.did_converge_)
    return bool(sklearn_compat.sgd_stopped_by_rule(clf))


def wilson_interval(k, n, z=1.959964):
    """95 % Wilson score interval of a success rate ``k / n``.

    Examples
    --------
    >>> [round(v, 4) for v in wilson_interval(4, 16)]
    [0.1018, 0.495]
    """
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    # At k = 0 and k = n the bounds are exactly 0 and 1; say so without rounding.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def wilson_errorbar(solved_flags):
    """seaborn's ``errorbar=`` callable: the Wilson interval of 0/1 outcomes."""
    flags = np.asarray(solved_flags, dtype=bool)
    return wilson_interval(int(flags.sum()), len(flags))


def success_table(runs, by):
    """Runs solved per group, with the rate and its 95 % Wilson interval.

    Parameters
    ----------
    runs : pandas.DataFrame
        One row per run with a boolean column ``solved``.
    by : list of str
        Columns to group by, e.g. ``["solver", "activation"]``.

    Returns
    -------
    table : pandas.DataFrame
        One row per group: ``solved``, ``runs``, ``rate``, ``ci_low``, ``ci_high``.
    """
    table = runs.groupby(by, sort=False)["solved"].agg(solved="sum", runs="count")
    table["rate"] = table["solved"] / table["runs"]
    bounds = [wilson_interval(k, n) for k, n in zip(table["solved"], table["runs"])]
    table["ci_low"], table["ci_high"] = zip(*bounds)
    return table.reset_index()


# Losses where a 2-unit network gets stuck on balanced XOR data (4 equal
# quadrants): the model fits some quadrants and predicts one constant
# probability on the others, which then costs their entropy.
_H13 = -(np.log(1 / 3) / 3 + 2 * np.log(2 / 3) / 3)
PLATEAUS = {
    0.5 * np.log(2): "two quadrants fitted, two at p = 0.5",
    0.75 * _H13: "one quadrant fitted, three at p = 1/3",
    np.log(2): "nothing learned, p = 0.5 everywhere",
}


def plateau_of(loss, tol=0.01):
    """The plateau (see :data:`PLATEAUS`) that ``loss`` sits on, or ''.

    Examples
    --------
    >>> plateau_of(0.3467)
    'two quadrants fitted, two at p = 0.5'
    """
    for value, text in PLATEAUS.items():
        if abs(loss - value) <= tol:
            return text
    return ""


def outcome_counts(rows):
    """How the runs of one setting end: a small table for an answer (b).

    Returns one row per outcome (``solved``, or the plateau a failed run sits
    on, or ``other``), with the number of runs, their seeds, their training
    error range and how many of them converged.
    """
    outcome = np.where(
        rows["solved"],
        "solved",
        [plateau_of(v) or "other" for v in rows["final_loss"]],
    )
    grouped = rows.assign(outcome=outcome).groupby("outcome", sort=False)
    table = grouped.agg(
        runs=("seed", "size"),
        converged=("converged", "sum"),
        min_train_error=("train_error", "min"),
        max_train_error=("train_error", "max"),
        seeds=("seed", lambda s: ", ".join(map(str, s))),
    )
    return table.sort_values("runs", ascending=False, kind="stable")
