"""The tables the answers quote: a setting's outcomes and the activations' gaps."""

import pandas as pd
import pytest
from sklearn.neural_network import MLPClassifier

from hw04 import stats


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
    table = stats.outcome_table(rows, unit="epochs")
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
    gaps = stats.activation_gaps(stats.success_table(runs, ["condition", "setting"]),
                                 settings)  # fmt: skip
    assert list(gaps.index) == ["few", "many"]
    assert gaps.loc["few", "L-BFGS"] == pytest.approx(0.8)
    assert gaps.loc["many", "SGD"] == pytest.approx(0.8)
    assert gaps.loc["few", "SGD"] == pytest.approx(0.0)
    assert gaps.loc["few", "L-BFGS intervals"] == "apart"
    assert gaps.loc["few", "SGD intervals"] == "overlap"
    assert gaps.loc["many", "L-BFGS intervals"] == "overlap"  # 0.50 against 0.60
