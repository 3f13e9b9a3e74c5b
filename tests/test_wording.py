"""The phrases of hw04.wording, each as an answer prints it."""

import pandas as pd
import pytest

from hw04 import wording

RUNS = pd.DataFrame({"seed": [0, 4, 7], "converged": [True, False, True]})
RUNS["still_falling"] = [False, True, False]
FAILED = pd.DataFrame(
    {"seed": [0, 1, 2, 3], "zero_error": [True] + [False] * 3,
     "quadrants_fitted": [4, 2, 0, 2]}
)  # fmt: skip
EXCEPTION = pd.DataFrame(
    [{"seed": 4, "predicts": "1 fitted", "converged": False, "train_error": 0.25,
      "final_loss": 0.4781, "n_iter": 400, "still_falling": False}]
)  # fmt: skip
AT_START = pd.DataFrame(
    {"seed": [0, 10], "rest_p_low": [0.496, 0.499], "rest_p_high": [0.504, 0.5],
     "final_loss": [0.6931, 0.6931], "train_error": [0.5, 0.5], "n_iter": [163, 121]}
)  # fmt: skip
GAPS = pd.DataFrame(
    {"L-BFGS": [0.16, 0.01], "L-BFGS p": [0.0, 0.62], "SGD": [0.33, 0.0],
     "SGD p": [0.0, 1.0]}, index=["2 units", "8 units"],
)  # fmt: skip
NAN = float("nan")
ZERO_ERROR = pd.DataFrame(
    {"seed": [0, 1] * 4,
     "setting": ["lbfgs-relu"] * 2 + ["lbfgs-logistic"] * 2 + ["sgd-relu"] * 2
     + ["sgd-logistic"] * 2,
     "zero_error": [True, True, False, True, False, True, True, True]}
)  # fmt: skip

PHRASES = [
    (lambda: wording.seed_list([3, 5, 9]), "seeds 3, 5 and 9"),
    (lambda: wording.seed_list([4]), "seed 4"),
    (lambda: wording.seed_list([]), "no seed"),
    (lambda: wording.some_runs((RUNS, 3)), "all 3 runs"),
    (lambda: wording.some_runs((RUNS[:1], 3)), "1 run (seed 0)"),
    (lambda: wording.some_runs((RUNS[:0], 3)), "no run"),
    (
        lambda: wording.stops(RUNS, "its rule", 400),
        "its rule stopped 2 runs (seeds 0 and 7), max_iter = 400 cut off 1 run "
        "(seed 4); the loss of seed 4 was still falling",
    ),
    (
        lambda: wording.stops(RUNS[RUNS["converged"]], "L-BFGS's rule", 200),
        "L-BFGS's rule stopped all 2 runs before max_iter = 200",
    ),
    (
        lambda: wording.failed_runs(FAILED),
        "the other 3 fail: 2 fit two quadrants (seeds 1 and 3) and 1 fits none "
        "(seed 2)",
    ),
    (lambda: wording.failed_runs(FAILED[:1]), "no run fails"),
    (
        lambda: wording.failed_runs(FAILED.iloc[[0, 1, 3]]),
        "the other 2 fail, all fitting two quadrants (seeds 1 and 3)",
    ),
    (
        lambda: wording.exceptions(EXCEPTION, "epochs"),
        "The exception is seed 4 (1 fitted; error 0.250, loss 0.478), which was cut "
        "off at 400 epochs.",
    ),
    (lambda: wording.exceptions(EXCEPTION[:0], "epochs"), ""),
    (lambda: wording.as_far(6, 16, 0.74), "6 or fewer of 16"),
    (lambda: wording.as_far(12, 16, 0.5), "12 or more of 16"),
    (lambda: wording.span(0.25, 0.334), "0.250-0.334"),
    (lambda: wording.span(0.2501, 0.2499), "0.250"),
    (lambda: wording.span(19, 43, "d"), "19-43"),
    (
        lambda: wording.compared(4, 7, ("ReLU", "logistic")),
        "logistic 7 against ReLU 4",
    ),
    (lambda: wording.compared(6, 6, ("ReLU", "logistic")), "a tie at 6"),
    (lambda: wording.of(0, 6), "none"),
    (lambda: wording.of(6, 6), "all 6"),
    (lambda: wording.of(2, 6), "2 of 6"),
    (lambda: wording.all_but([]), "every seed"),
    (lambda: wording.all_but([3, 15]), "every seed but 3 and 15"),
    (lambda: wording.all_but([4]), "every seed but 4"),
    (
        lambda: wording.stayed_at_start(AT_START, AT_START, "epochs"),
        "Of these, all 2 runs stayed at their start: p = 0.50 everywhere, loss "
        "0.693,\ntraining error 0.500, after 121-163 epochs.",
    ),
    (lambda: wording.gaps(GAPS[:1]), "+0.16 and +0.33 with 2 units"),
    (
        lambda: wording.easier({"relu": 10, "logistic": 13}),
        "The logistic sigmoid seems easier to optimize",
    ),
    (
        lambda: wording.easier({"relu": 6, "logistic": 6}),
        "Neither activation seems easier to optimize",
    ),
    (
        lambda: wording.beyond_chance(GAPS),
        "Fisher's exact test puts 2 of the 4 gaps beyond chance (p < 0.05); within\n"
        "chance: L-BFGS with 8 units (p = 0.62), SGD with 8 units (p = 1).",
    ),
    (
        lambda: wording.solved_by_relu_only(ZERO_ERROR),
        "seed 0 with L-BFGS and no seed with SGD",
    ),
    (lambda: wording.yes_or_no(False), "No."),
    (lambda: wording.yes_or_no(True), "Yes, in the conditions tried."),
    (
        lambda: wording.time_near_a_plateau(
            pd.Series({"near_plateau_zero": 33.0, "near_plateau_failed": 92.0}),
            "iterations",
        ),
        "The runs that solve spend a median 33 % of their iterations near a "
        "plateau,\nthe failed runs 92 %.",
    ),
    (
        lambda: wording.time_near_a_plateau(
            pd.Series({"near_plateau_zero": NAN, "near_plateau_failed": 9}), "epochs"
        ),
        "The failed runs spend a median 9 % of their epochs near a plateau.",
    ),
]


@pytest.mark.parametrize("phrase, expected", PHRASES)
def test_each_phrase_reads_as_written(phrase, expected):
    assert phrase() == expected
