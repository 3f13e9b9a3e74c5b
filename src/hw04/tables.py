"""The tables the answers quote, made from the runs table by the rules of
:mod:`hw04.stats`: each setting's facts, its runs grouped by how they end, and
the experiments' gaps between the activations."""

import numpy as np
import pandas as pd
from scipy.stats import fisher_exact

from hw04 import sklearn_compat
from hw04.stats import chance_of_count, describe, plateau_loss
from hw04.wording import SOLVER_NAMES, seed_list, span


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
