"""The homework's rules for reading a run: solved or not, converged or not, and
the small statistics and descriptions the answers rest on (Wilson intervals, what
a run predicts on each XOR quadrant).

Each rule is written once here; the notebook's tables, answers, appendix and
plots all call it.
"""

import numpy as np
import pandas as pd
from scipy.stats import binom, binomtest, fisher_exact

from hw04 import sklearn_compat
from hw04.wording import seed_list, span

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

    L-BFGS: with the course's :class:`MLPClassifierLBFGS`, SciPy reported
    convergence; a plain ``MLPClassifier(solver="lbfgs")`` keeps no status, so
    there it means the run stopped before ``max_iter``. SGD: the run stopped by
    sklearn's stopping rule, that is without a ``ConvergenceWarning``, rather
    than being cut off at ``max_iter``.

    Examples
    --------
    >>> import warnings
    >>> from sklearn.neural_network import MLPClassifier
    >>> x_N2, y_N = [[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # the cut-off run warns
    ...     short = MLPClassifier(solver="lbfgs", max_iter=2).fit(x_N2, y_N)
    >>> converged(short)
    False
    """
    if clf.solver == "lbfgs":
        status = getattr(clf, "did_converge_", None)  # the course's wrapper keeps it
        return bool(clf.n_iter_ < clf.max_iter if status is None else status)
    return bool(sklearn_compat.sgd_stopped_by_rule(clf))


def wilson_interval(k, n):
    """95 % Wilson score interval of a success rate ``k / n``, as SciPy gives it.

    Examples
    --------
    >>> [round(v, 4) for v in wilson_interval(4, 16)]
    [0.1018, 0.495]
    >>> wilson_interval(0, 10)[0], wilson_interval(10, 10)[1]
    (0.0, 1.0)
    """
    if n == 0:
        return float("nan"), float("nan")
    interval = binomtest(int(k), int(n)).proportion_ci(method="wilson")
    return float(interval.low), float(interval.high)


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
_OTHER = {1: "other one", 2: "other two", 3: "other three"}


def quadrant_of(x_N2):
    """Quadrant of every point by the signs of x1 and x2: 0 to 3, shape (n_samples,)."""
    x_N2 = np.asarray(x_N2, dtype=float)
    return 2 * (x_N2[:, 0] > 0) + (x_N2[:, 1] > 0)


def what_it_predicts(clf, x_N2, y_N):
    """What a fitted run predicts on its training points, quadrant by quadrant.

    Returns
    -------
    dict with
        ``quadrants_fitted`` : int, how many of the 4 quadrants are fitted (see
        :data:`QUADRANT_RIGHT` and :data:`FITTED_MARGIN`);
        ``rest_p_low``, ``rest_p_high`` : float, the 5th and 95th percentiles of
        P(y=1 | x) on the points of the other quadrants (NaN when all are fitted);
        ``rest_constant`` : bool, whether those lie within :data:`CONSTANT_RANGE`.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> x_N2 = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]] * 5)
    >>> y_N = np.array([1, 0, 1, 0] * 5)
    >>> clf = DummyClassifier(strategy="prior").fit(x_N2, y_N)
    >>> describe(what_it_predicts(clf, x_N2, y_N))
    'no quadrant fitted, p = 0.50 everywhere'
    """
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
    """A run's (or a group's) :func:`what_it_predicts` in words.

    ``prediction`` needs ``quadrants_fitted``, ``rest_p_low``, ``rest_p_high`` and
    ``rest_constant``; for a group, the lowest and highest values of its runs.
    """
    k = int(prediction["quadrants_fitted"])
    if k == 4:
        return "all 4 quadrants fitted"
    low, high = prediction["rest_p_low"], prediction["rest_p_high"]
    p = f"p = {span(low, high, '.2f')}"
    if not prediction["rest_constant"]:
        p = f"p spread over {low:.2f}-{high:.2f}"
    where = "everywhere" if k == 0 else f"on the {_OTHER[4 - k]}"
    fitted = {0: "no quadrant", 1: "1 quadrant"}.get(k, f"{k} quadrants")
    return f"{fitted} fitted, {p} {where}"


def settle_iteration(loss_curve, within=0.01):
    """The first iteration from which a run's loss stays within ``within`` of its
    final value: how soon it reached what it ends on.

    Examples
    --------
    >>> settle_iteration([0.7, 0.4, 0.352, 0.348, 0.347])
    2
    >>> settle_iteration([0.5])
    0
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


def silent_on_a_quadrant(clf, x_N2):
    """Whether a hidden ReLU unit of ``clf`` outputs 0 on every point of a whole
    quadrant: those points then send it no gradient, so training cannot move it
    to separate them. Always False for other activations, whose units never
    output exactly 0.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> x_N2 = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]])
    >>> unit = SimpleNamespace(activation="relu", coefs_=[np.array([[1.0], [0.0]])],
    ...                        intercepts_=[np.array([0.0])])
    >>> silent_on_a_quadrant(unit, x_N2)  # x1 < 0: two quadrants silent
    True
    """
    if clf.activation != "relu":
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
    """How every run ends, one row per run, keyed by ``setting`` and ``seed``.

    Parameters
    ----------
    fitted : dict
        A setting's name to its fitted runs, in the order of ``seeds``.
    seeds : list of int
    x_N2, y_N : array-like
        The training set the runs were fitted on.

    Returns
    -------
    table : pandas.DataFrame
        ``setting``, ``seed``, the columns of :func:`what_it_predicts`,
        ``predicts`` (in words), ``settled`` (:func:`settle_iteration`),
        ``still_falling`` (:func:`still_falling`), ``near_plateau``
        (:func:`share_near_a_plateau`) and ``silent_unit``
        (:func:`silent_on_a_quadrant`).
    """
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
                    "silent_unit": silent_on_a_quadrant(clf, x_N2),
                }
            )
    return pd.DataFrame(rows)


def outcome_groups(rows):
    """The runs of one setting grouped by what they end on: a table for answer (b).

    ``rows`` are runs-table rows with the columns of :func:`describe_runs`. Runs
    with exactly zero training error come first; the others are grouped by the
    quadrants they fit and the probability they give the rest (to 0.1).

    Returns
    -------
    table : pandas.DataFrame
        One row per group: ``zero_error``, ``quadrants_fitted``, ``predicts``
        (in words, over the group's range), ``runs``, ``seeds`` (list),
        ``converged``, the lowest and highest ``train_error``, ``final_loss``
        and ``n_iter``; largest groups first.
    """
    p_key = ((rows["rest_p_low"] + rows["rest_p_high"]) / 2).round(1).fillna(-1)
    key = pd.DataFrame({
        "zero": rows["train_error"] == 0, "k": rows["quadrants_fitted"],
        "constant": rows["rest_constant"], "p": p_key.where(rows["rest_constant"], -1),
    })  # fmt: skip
    groups = []
    for _, group in rows.groupby([key[c] for c in key], sort=False):
        groups.append({
            "zero_error": bool((group["train_error"] == 0).all()),
            "quadrants_fitted": int(group["quadrants_fitted"].iloc[0]),
            "predicts": describe({
                "quadrants_fitted": group["quadrants_fitted"].iloc[0],
                "rest_p_low": group["rest_p_low"].min(),
                "rest_p_high": group["rest_p_high"].max(),
                "rest_constant": bool(group["rest_constant"].all()),
            }),
            "runs": len(group),
            "seeds": group["seed"].tolist(),
            "converged": int(group["converged"].sum()),
            "min_train_error": group["train_error"].min(),
            "max_train_error": group["train_error"].max(),
            "min_loss": group["final_loss"].min(),
            "max_loss": group["final_loss"].max(),
            "min_n_iter": group["n_iter"].min(),
            "max_n_iter": group["n_iter"].max(),
        })  # fmt: skip
    table = pd.DataFrame(groups)
    return table.sort_values(
        ["zero_error", "runs"], ascending=False, kind="stable"
    ).reset_index(drop=True)


def summarize(rows, names):
    """Some runs of each setting in ``names``, one row per setting: a table the
    answers compare solvers on.

    Returns
    -------
    table : pandas.DataFrame
        Indexed by ``names`` (no index name): ``runs``, ``seeds``, the ranges of
        ``train error`` and ``final loss`` ('' for no run), and how many
        ``converged`` and were ``still falling``.
    """
    table = {}
    for name in names:
        g = rows[rows["setting"] == name]
        table[name] = {
            "runs": len(g),
            "seeds": ", ".join(map(str, g["seed"])),
            "train error": span(g["train_error"].min(), g["train_error"].max())
            if len(g)
            else "",
            "final loss": span(g["final_loss"].min(), g["final_loss"].max())
            if len(g)
            else "",
            "converged": int(g["converged"].sum()),
            "still falling": int(g["still_falling"].sum()),
        }
    return pd.DataFrame.from_dict(table, orient="index")


# The premises of the notebook's reasoning, each a test of runs-table rows
# (``zero_error``, ``converged``, ``quadrants_fitted``, ``rest_constant``) that
# is True for the runs the reasoning does not describe, so that an answer can
# name them.


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
    start = (runs["quadrants_fitted"] == 0) & runs["rest_constant"]
    return runs["converged"] & start


def stopped_off_start(runs):
    """Runs that stopped by the rule anywhere but at their start."""
    return runs["converged"] & ~at_start(runs)


def setting_facts(runs, settings, n_samples):
    """What the answers quote about each setting's runs, one row per setting.

    Parameters
    ----------
    runs : pandas.DataFrame
        The runs table, with the columns of :func:`describe_runs`.
    settings : dict
        Setting name to its estimator (for ``max_iter`` and the updates per
        iteration).
    n_samples : int
        Size of the training set.

    Returns
    -------
    facts : pandas.DataFrame
        Indexed by setting (no index name): ``runs``, ``zero_error``, ``share``
        (rounded to 0.01), ``zero_seeds`` (in words), ``failed``, the failed runs
        by quadrants fitted (``failed_fitting_2`` to ``failed_fitting_0``),
        ``iterations`` (the range), the medians of ``iterations``, ``updates``
        and ``settled``, ``failed_silent`` (failed runs with a ReLU unit silent on
        a quadrant), the median share of iterations near a plateau of the runs
        with zero error and of the failed runs (``near_plateau_zero``,
        ``near_plateau_failed``, in percent), ``converged``, ``unit`` (what
        ``n_iter`` counts: ``'iterations'`` or ``'epochs'``), ``max_iter`` and
        ``at_max_iter``.
    """
    facts = {}
    for name, g in runs.groupby("setting", sort=False):
        est = settings[name]
        zero, failed = g[g["zero_error"]], g[~g["zero_error"]]
        fits = failed["quadrants_fitted"].value_counts()
        updates = g["n_iter"] * updates_per_epoch(est, n_samples)
        facts[name] = {
            "runs": len(g),
            "zero_error": len(zero),
            "share": round(len(zero) / len(g), 2),
            "zero_seeds": seed_list(zero["seed"]),
            "failed": len(failed),
            **{f"failed_fitting_{k}": int(fits.get(k, 0)) for k in (2, 1, 0)},
            "iterations": span(g["n_iter"].min(), g["n_iter"].max(), "d"),
            "median_iterations": g["n_iter"].median(),
            "median_updates": updates.median(),
            "median_settled": g["settled"].median(),
            "failed_silent": int(failed["silent_unit"].sum()),
            # In percent of a run's iterations, medians over the runs (NaN: none).
            "near_plateau_zero": np.round(100 * zero["near_plateau"].median()),
            "near_plateau_failed": np.round(100 * failed["near_plateau"].median()),
            "converged": int(g["converged"].sum()),
            "unit": "epochs" if est.solver == "sgd" else "iterations",
            "max_iter": est.max_iter,
            "at_max_iter": int((g["n_iter"] == est.max_iter).sum()),
        }
    return pd.DataFrame.from_dict(facts, orient="index")


# The facts the answers quote, as a printed table labels them (see setting_facts).
FACT_LABELS = {
    "zero_error": "runs with 0 training error",
    "share": "share with 0 training error",
    "failed": "failed runs",
    "failed_fitting_0": "failed, fitting no quadrant",
    "failed_silent": "failed, with a ReLU unit silent on a quadrant",
    "near_plateau_zero": "% of its length near a plateau, runs with 0 error",
    "near_plateau_failed": "% of its length near a plateau, failed runs",
    "median_iterations": "median length",
    "median_updates": "median weight updates",
    "median_settled": "median settled by",
    "converged": "converged",
    "max_iter": "max_iter",
    "at_max_iter": "stopped at max_iter",
}


def quoted_facts(facts, names=None, rows=None):
    """:func:`setting_facts` as printed: one column per setting (``names``, default
    all), one row per fact (``rows``, keys of :data:`FACT_LABELS`, default all),
    labelled in words; a length is given in its setting's unit (L-BFGS
    iterations, SGD epochs)."""
    table = facts.loc[names or list(facts.index), rows or list(FACT_LABELS)].copy()
    for column in ("median_iterations", "median_settled"):
        if column in table:
            table[column] = [
                f"{v:g} {unit}"
                for v, unit in zip(table[column], facts.loc[table.index, "unit"])
            ]
    return table.T.rename(index=FACT_LABELS).astype(object)


def updates_per_epoch(estimator, n_samples):
    """Weight updates per iteration: minibatches per epoch for SGD, one for L-BFGS.

    The minibatch size is sklearn's (:func:`hw04.sklearn_compat.minibatch_size`).

    Examples
    --------
    >>> from sklearn.neural_network import MLPClassifier
    >>> updates_per_epoch(MLPClassifier(solver="sgd", batch_size=10), 1000)
    100
    >>> updates_per_epoch(MLPClassifier(solver="sgd"), 1000)  # 'auto': 200
    5
    >>> updates_per_epoch(MLPClassifier(solver="lbfgs"), 1000)
    1
    """
    if estimator.solver == "lbfgs":
        return 1
    size = sklearn_compat.minibatch_size(estimator.batch_size, n_samples)
    return -(-n_samples // size)


def outcome_table(rows, unit="iterations"):
    """The runs of one setting grouped by what they end on, rounded for reading.

    The table that answers (b) quote: one row per :func:`outcome_groups` group,
    zero-error runs first, with its runs and seeds, the ranges of training error
    and final loss, the loss of the plateau it sits on (:func:`plateau_loss`, by
    the quadrants fitted), and the range of iterations (the column named
    ``unit``). The index, what the runs end with, has no name: a named index
    prints a header row of its own.
    """
    groups = outcome_groups(rows)
    ends = groups["predicts"].where(~groups["zero_error"], "zero training error")
    plateau = [
        "" if zero else f"{plateau_loss(k):.3f}"
        for zero, k in zip(groups["zero_error"], groups["quadrants_fitted"])
    ]

    def ranges(column, fmt=".3f"):
        lows, highs = groups[f"min_{column}"], groups[f"max_{column}"]
        return [span(low, high, fmt) for low, high in zip(lows, highs)]

    return pd.DataFrame(
        {
            "runs": groups["runs"].to_numpy(),
            "seeds": [", ".join(map(str, s)) for s in groups["seeds"]],
            "train error": ranges("train_error"),
            "final loss": ranges("loss"),
            "plateau loss": plateau,
            unit: ranges("n_iter", "d"),
            "converged": groups["converged"].to_numpy(),
        },
        index=ends.to_numpy(),
    )


SOLVER_NAMES = {"lbfgs": "L-BFGS", "sgd": "SGD"}


def activation_gaps(rates, settings):
    """Logistic minus ReLU in the share solving, per condition and solver, with
    the p-value of Fisher's exact test of the two counts.

    Parameters
    ----------
    rates : pandas.DataFrame
        :func:`success_table` by ``["condition", "setting"]``.
    settings : dict
        Setting name to its estimator (for the solver and the activation).

    Returns
    -------
    gaps : pandas.DataFrame
        One row per condition; per solver (``'L-BFGS'``, ``'SGD'``) the gap of the
        two rates as the tables print them (to 0.01), and in ``'<solver> p'`` the
        two-sided p-value (to 0.001) of the hypothesis that both activations
        solve at the same rate.
    """
    by = rates.set_index(["condition", "setting"])
    table = {}
    for condition in dict.fromkeys(rates["condition"]):
        row = {}
        for solver, label in SOLVER_NAMES.items():
            pair = {
                est.activation: by.loc[(condition, name)]
                for name, est in settings.items()
                if est.solver == solver
            }
            relu, logistic = pair["relu"], pair["logistic"]
            # The difference of the rates as printed, so that the two agree.
            row[label] = round(round(logistic["rate"], 2) - round(relu["rate"], 2), 2)
            counts = [[r["solved"], r["runs"] - r["solved"]] for r in (relu, logistic)]
            row[f"{label} p"] = round(float(fisher_exact(counts).pvalue), 3)
        table[condition] = row
    return pd.DataFrame.from_dict(table, orient="index")


def chance_of_count(k, n, rate):
    """The probability, at a success rate ``rate``, of a count of ``n`` runs as far
    from ``n * rate`` as ``k`` on its side: ``P(X <= k)`` below it, ``P(X >= k)``
    above, for ``X`` binomial.

    Examples
    --------
    >>> round(chance_of_count(6, 16, 0.74), 4), chance_of_count(8, 16, 0.5) > 0.5
    (0.0023, True)
    """
    if k <= n * rate:
        return float(binom.cdf(k, n, rate))
    return float(binom.sf(k - 1, n, rate))


def rates_beside_main(rates, main, condition):
    """Each setting's rate solving under every condition, beside its main runs.

    Parameters
    ----------
    rates : pandas.DataFrame
        :func:`success_table` by ``["condition", "setting"]``.
    main : pandas.DataFrame
        The main runs, one row per run, with ``setting`` and boolean ``solved``.
    condition : str
        The condition the main runs were made under.

    Returns
    -------
    table : pandas.DataFrame
        One row per setting: the rate under each condition (a column each), the
        main runs ``solved`` and ``runs``, and ``chance (%)``: the
        :func:`chance_of_count` of the main count at the rate of ``condition``,
        in percent, rounded to 0.1.
    """
    table = rates.pivot(index="setting", columns="condition", values="rate")
    table = table.loc[list(dict.fromkeys(rates["setting"]))]
    table = table[list(dict.fromkeys(rates["condition"]))].round(2)
    counts = main.groupby("setting")["solved"].agg(solved="sum", runs="count")
    table = table.join(counts.astype(int))
    chances = [
        chance_of_count(k, n, rate)
        for k, n, rate in zip(table["solved"], table["runs"], table[condition])
    ]
    table["chance (%)"] = np.round(100 * np.array(chances), 1)
    return table.rename_axis(index=None, columns=None)
