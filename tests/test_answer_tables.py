"""The tables the answers quote: a setting's outcomes and the activations' gaps."""

import numpy as np
import pandas as pd
import pytest
from sklearn.neural_network import MLPClassifier

from hw04 import stats, tables


def test_outcome_table_groups_runs_by_what_they_end_on():
    rows = pd.DataFrame(
        {
            "seed": [0, 1, 2, 3],
            "train_error": [0.0, 0.25, 0.25, 0.0],
            "final_loss": [0.001, 0.347, 0.3472, 0.002],
            "n_iter": [30, 19, 43, 25],
            "converged": [True, True, False, True],
            "quadrants_fitted": [4, 2, 2, 4],
            "rest_p_low": [float("nan"), 0.49, 0.5, float("nan")],
            "rest_p_high": [float("nan"), 0.5, 0.51, float("nan")],
            "rest_constant": [True, True, True, True],
        }
    )
    table = tables.outcome_table(rows, unit="epochs")
    assert list(table.index) == [
        "zero training error",
        "2 quadrants fitted, p = 0.49-0.51 on the other two",
    ]
    assert table["runs"].tolist() == [2, 2]
    assert table["seeds"].tolist() == ["0, 3", "1, 2"]
    assert table["epochs"].tolist() == ["25-30", "19-43"]
    assert table["final loss"].tolist() == ["0.001-0.002", "0.347"]
    assert table["converged"].tolist() == [2, 1]


def test_activation_gaps_per_condition_and_solver():
    settings = {
        f"{s}-{a}": MLPClassifier(solver=s, activation=a)
        for s in ("lbfgs", "sgd")
        for a in ("relu", "logistic")
    }
    runs = pd.DataFrame(
        [
            {"condition": c, "setting": name, "solved": k < solved}
            for c, counts in (("few", (1, 9, 5, 5)), ("many", (50, 60, 10, 90)))
            for name, solved in zip(settings, counts)
            for k in range(100 if c == "many" else 10)
        ]
    )
    gaps = tables.activation_gaps(stats.success_table(runs, ["condition", "setting"]),
                                 settings)  # fmt: skip
    assert list(gaps.index) == ["few", "many"]
    assert gaps.loc["few", "L-BFGS"] == pytest.approx(0.8)
    assert gaps.loc["many", "SGD"] == pytest.approx(0.8)
    assert gaps.loc["few", "SGD"] == pytest.approx(0.0)
    # Fisher's exact test of the two counts: 1 of 10 against 9 of 10 is beyond
    # chance, 5 against 5 and 50 of 100 against 60 of 100 are not.
    assert gaps.loc["few", "L-BFGS p"] == pytest.approx(0.001, abs=0.0005)
    assert gaps.loc["few", "SGD p"] == 1.0
    assert 0.05 < gaps.loc["many", "L-BFGS p"] < 0.3
    assert gaps.loc["many", "SGD p"] < 0.001


def runs_of_a_setting():
    """Four runs of one SGD setting as the runs table has them."""
    return pd.DataFrame(
        {
            "setting": "sgd-logistic",
            "seed": [0, 1, 2, 3],
            "zero_error": [True, False, False, False],
            "solved": [True, False, False, False],
            "train_error": [0.0, 0.25, 0.5, 0.284],
            "final_loss": [0.005, 0.347, 0.6931, 0.647],
            "n_iter": [400, 230, 121, 400],
            "converged": [False, True, True, False],
            "quadrants_fitted": [4, 2, 0, 0],
            "rest_constant": [False, True, True, False],
            "rest_p_low": [float("nan"), 0.5, 0.499, 0.38],
            "rest_p_high": [float("nan"), 0.5, 0.501, 0.55],
            "settled": [90, 6, 1, 385],
            "still_falling": [False, False, False, True],
            "near_plateau": [0.1, 0.9, 1.0, 0.8],
            "inactive_unit": [False, False, False, False],
        }
    )


def test_setting_facts_count_the_failed_runs_by_quadrants_fitted():
    settings = {"sgd-logistic": MLPClassifier(solver="sgd", batch_size=10,
                                              max_iter=400)}  # fmt: skip
    facts = tables.setting_facts(runs_of_a_setting(), settings, n_samples=1000)
    f = facts.loc["sgd-logistic"]
    assert facts.index.name is None  # no header row of its own in a table
    assert (f.zero_error, f.failed, f.share, f.zero_seeds) == (1, 3, 0.25, "seed 0")
    fitting = [f[f"failed_fitting_{k}"] for k in (2, 1, 0)]
    assert fitting == [1, 0, 2] and sum(fitting) == f.failed
    assert (f.iterations, f.median_updates, f.at_max_iter) == ("121-400", 31500, 2)
    # Medians of the share near a plateau, in percent, of each group.
    assert (f.near_plateau_zero, f.near_plateau_failed) == (10, 90)
    assert f.failed_inactive == 0 and f.unit == "epochs"


def test_a_relu_unit_inactive_on_a_quadrant_is_found_in_a_fitted_run(xor_data):
    from MLPClassifierWithSolverLBFGS import MLPClassifierLBFGS

    x_tr_N2, y_tr_N, _, _ = xor_data
    # Seed 0 of L-BFGS with ReLU ends on the two-quadrant plateau of 1 (b).
    clf = MLPClassifierLBFGS(hidden_layer_sizes=[2], activation="relu", alpha=1e-4,
                             max_iter=200, tol=1e-6, random_state=0)  # fmt: skip
    clf.fit(x_tr_N2, y_tr_N)
    hidden_NH = np.maximum(x_tr_N2 @ clf.coefs_[0] + clf.intercepts_[0], 0)
    quadrant_N = stats.quadrant_of(x_tr_N2)
    inactive = [(hidden_NH[quadrant_N == q] == 0).all(axis=0) for q in range(4)]
    assert stats.inactive_on_a_quadrant(clf, x_tr_N2) == bool(np.any(inactive))
    assert stats.inactive_on_a_quadrant(clf, x_tr_N2)
    clf.set_params(activation="logistic")
    assert not stats.inactive_on_a_quadrant(clf, x_tr_N2)


def test_plateau_losses_by_quadrants_fitted():
    assert stats.plateau_loss(0) == pytest.approx(np.log(2))
    assert stats.plateau_loss(2) == pytest.approx(np.log(2) / 2)
    h = -(np.log(1 / 3) / 3 + 2 * np.log(2 / 3) / 3)
    assert stats.plateau_loss(1) == pytest.approx(0.75 * h)


def test_outcome_table_has_no_index_name_and_gives_each_plateaus_loss():
    table = tables.outcome_table(runs_of_a_setting(), unit="epochs")
    assert table.index.name is None
    assert table.loc["zero training error", "plateau loss"] == ""
    assert table.loc["no quadrant fitted, p = 0.50 everywhere", "plateau loss"] == (
        "0.693"
    )


def test_summarize_gives_each_setting_asked_for_even_without_runs():
    rows = runs_of_a_setting()
    table = tables.summarize(rows[rows["quadrants_fitted"] == 0], ["sgd-logistic", "x"])
    assert table.loc["sgd-logistic"].tolist() == [2, "2, 3", "0.284-0.500",
                                                  "0.647-0.693", 1, 1]  # fmt: skip
    assert table.loc["x", "runs"] == 0 and table.loc["x", "train error"] == ""


def test_an_unlikely_count_is_measured_on_its_own_side():
    from scipy.stats import binom

    assert stats.chance_of_count(6, 16, 0.74) == pytest.approx(binom.cdf(6, 16, 0.74))
    assert stats.chance_of_count(15, 16, 0.5) == pytest.approx(binom.sf(14, 16, 0.5))
    assert round(100 * stats.chance_of_count(6, 16, 0.74), 1) == 0.2


def test_rates_beside_main_line_up_by_setting():
    rates = pd.DataFrame(
        {
            "condition": ["2 units", "2 units", "noisy", "noisy"],
            "setting": ["b", "a", "b", "a"],
            "rate": [0.74, 0.5, 0.7, 0.4],
        }
    )
    solved = [True, False, True, False] + [False, False, False, True]
    main = pd.DataFrame({"setting": ["a"] * 4 + ["b"] * 4, "solved": solved})
    table = tables.rates_beside_main(rates, main, "2 units")
    assert list(table.index) == ["b", "a"] and table.index.name is None
    assert table.loc["b", ["2 units", "noisy", "solved", "runs"]].tolist() == [
        0.74, 0.7, 1, 4,
    ]  # fmt: skip
    assert table.loc["a", "chance (%)"] == round(
        100 * stats.chance_of_count(2, 4, 0.5), 1
    )
