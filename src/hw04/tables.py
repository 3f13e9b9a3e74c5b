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
    """The runs of one setting (runs-table ``rows``) grouped by what they end on:
    exactly zero training error first, then by the quadrants fitted and the
    probability on the rest (to 0.1), larger groups first; one row per group with
    its ``seeds`` (a list), counts and the lowest and highest of each value."""
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
    """Some runs of each setting in ``names``, one row per setting (a range is ''
    for no run): a table the answers compare solvers on."""
    table = {}
    for name in names:
        g = rows[rows["setting"] == name]
        error, loss = (
            span(g[c].min(), g[c].max()) if len(g) else ""
            for c in ("train_error", "final_loss")
        )
        table[name] = {
            "runs": len(g),
            "seeds": ", ".join(map(str, g["seed"])),
            "train error": error,
            "final loss": loss,
            "converged": int(g["converged"].sum()),
            "still falling": int(g["still_falling"].sum()),
        }
    return pd.DataFrame.from_dict(table, orient="index")


def setting_facts(runs, settings, n_samples):
    """What the answers quote about each setting's runs (the runs table), one row
    per setting (:data:`FACT_LABELS` says each fact in words). ``settings`` maps a
    setting's name to its estimator, for ``max_iter`` and the updates per iteration
    on ``n_samples`` training points."""
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
            "failed_inactive": int(failed["inactive_unit"].sum()),
            # In percent of a run's iterations, medians over the runs (NaN: none).
            "near_plateau_zero": np.round(100 * zero["near_plateau"].median()),
            "near_plateau_failed": np.round(100 * failed["near_plateau"].median()),
            "converged": int(g["converged"].sum()),
            "unit": "epochs" if est.solver == "sgd" else "iterations",
            "max_iter": est.max_iter,
            "at_max_iter": int((g["n_iter"] == est.max_iter).sum()),
        }
    return pd.DataFrame.from_dict(facts, orient="index")


# The facts the answers quote, as a printed table labels them.
FACT_LABELS = {
    "zero_error": "runs with 0 training error",
    "share": "share with 0 training error",
    "failed": "failed runs",
    "failed_fitting_0": "failed, fitting no quadrant",
    "failed_inactive": "failed, with a ReLU unit inactive on a quadrant",
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
    """Weight updates per iteration: sklearn's minibatches per epoch for SGD, one
    for L-BFGS.

    Examples
    --------
    >>> from sklearn.neural_network import MLPClassifier as MLP
    >>> [updates_per_epoch(MLP(solver="sgd", batch_size=10), 1000),
    ...  updates_per_epoch(MLP(solver="sgd"), 1000),  # 'auto': 200
    ...  updates_per_epoch(MLP(solver="lbfgs"), 1000)]
    [100, 5, 1]
    """
    if estimator.solver == "lbfgs":
        return 1
    size = sklearn_compat.minibatch_size(estimator.batch_size, n_samples)
    return -(-n_samples // size)


def outcome_table(rows, unit="iterations"):
    """:func:`outcome_groups` rounded for reading, the table answers (b) quote,
    with the loss of the plateau each group sits on and its range of iterations
    (the column named ``unit``). The index, what the runs end with, has no name: a
    named index prints a header row of its own."""
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

    ``rates`` is :func:`success_table` by ``["condition", "setting"]``, and
    ``settings`` maps each setting to its estimator. One row per condition; per
    solver (``'L-BFGS'``, ``'SGD'``) the gap of the rates as printed (to 0.01),
    and in ``'<solver> p'`` the two-sided p-value (to 0.001).
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
    """Each setting's rate solving under every condition (:func:`success_table`
    by ``["condition", "setting"]``), beside the ``solved`` and ``runs`` of its
    ``main`` runs and ``chance (%)``, the :func:`chance_of_count` of the main
    count at the rate of their ``condition``."""
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
