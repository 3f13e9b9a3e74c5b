"""Parameters, sweeps over processes, the exactness check and the summaries."""

import numpy as np
import pandas as pd
import pytest

import batched_sgd
import hw04_runs


def settings():
    """The homework's four settings, SGD cut to 30 epochs for speed."""
    out = list(hw04_runs.homework_settings().values())
    return out[:2] + [est.set_params(max_iter=30) for est in out[2:]]


@pytest.mark.parametrize(
    "seeds, message",
    [
        ([], "seeds is empty"),
        ([1, -2], r"between 0 and 2\*\*32 - 1; these are not: \[-2\]"),
        ([1, 2.5], r"must be integers; these are not: \[2.5\]"),
        ([1, True], "must be integers"),
        ([3, 4, 3], r"must be distinct; repeated: \[3\]"),
        ("0123", "must be a list of integers"),
        (5, "must be a list of integers"),
    ],
)
def test_bad_seeds_say_what_is_wrong(seeds, message):
    with pytest.raises(hw04_runs.HomeworkInputError, match=message):
        hw04_runs.check_seeds(seeds)


def test_seed_lists_are_normalised():
    assert hw04_runs.check_seeds(range(3)) == [0, 1, 2]
    assert hw04_runs.check_seeds(np.arange(2)) == [0, 1]


def test_check_parameters_returns_data_and_folders(tmp_path):
    params = hw04_runs.check_parameters(
        [0, 1], "data_xor", tmp_path / "out", -1, "batched", True
    )
    assert (tmp_path / "out").is_dir() and params["results_dir"] == tmp_path / "out"
    assert params["data"][0].shape == (1000, 2) and params["seeds"] == [0, 1]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_jobs": 0}, "n_jobs must be a positive number"),
        ({"n_jobs": "2"}, "n_jobs must be a positive number"),
        ({"engine": "fast"}, "engine must be one of"),
        ({"appendix": "yes"}, "appendix must be True or False"),
        ({"data_dir": "no_such_folder"}, r"Missing data file .*no_such_folder"),
    ],
)
def test_bad_parameters_say_what_is_wrong(tmp_path, kwargs, message):
    args = dict(
        seeds=[0],
        data_dir="data_xor",
        results_dir=tmp_path,
        n_jobs=1,
        engine="batched",
        appendix=False,
    )
    with pytest.raises(hw04_runs.HomeworkInputError, match=message):
        hw04_runs.check_parameters(**(args | kwargs))


def test_unwritable_results_dir_is_named(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(hw04_runs.HomeworkInputError, match="not a writable folder"):
        hw04_runs.check_results_dir(blocker / "results")


def run_records(runs):
    return {
        (name, r.seed): (
            [c.tobytes() for c in r.clf.coefs_ + r.clf.intercepts_],
            [float(v) for v in r.loss_curve],
            r.n_iter,
            r.converged,
        )
        for name, rs in runs.items()
        for r in rs
    }


def test_sweep_is_identical_sequential_parallel_and_across_engines(small_xor):
    X, y = small_xor
    seeds = [0, 1, 5]
    one = hw04_runs.run_sweep(settings(), X, y, seeds, n_jobs=1, progress=False)
    two = hw04_runs.run_sweep(settings(), X, y, seeds, n_jobs=2, progress=False)
    plain = hw04_runs.run_sweep(
        settings(), X, y, seeds, n_jobs=2, engine="sklearn", progress=False
    )
    assert run_records(one) == run_records(two) == run_records(plain)
    assert list(one) == ["lbfgs-relu", "lbfgs-logistic", "sgd-relu", "sgd-logistic"]
    assert [r.seed for r in one["sgd-relu"]] == seeds
    assert {r.engine for r in one["sgd-relu"]} == {"batched"}
    assert {r.engine for r in plain["sgd-relu"]} == {"sklearn"}


def test_check_finds_the_engine_exact(small_xor):
    X, y = small_xor
    runs, checks = hw04_runs.run_checked_sweep(
        settings()[2:], X, y, [0, 1], n_jobs=1, progress=False
    )
    assert checks["setting"].tolist() == ["sgd-relu", "sgd-logistic"]
    assert checks["identical"].all()


def test_a_mismatch_is_reported_and_the_setting_rerun_with_sklearn(
    small_xor, monkeypatch, capsys
):
    X, y = small_xor
    real = batched_sgd.fit_sgd_lockstep

    def off_by_one_ulp(estimator, X, y, seeds):
        fits, warned = real(estimator, X, y, seeds)
        for clf in fits:
            clf.coefs_[0][0, 0] = np.nextafter(clf.coefs_[0][0, 0], np.inf)
        return fits, warned

    monkeypatch.setattr(batched_sgd, "fit_sgd_lockstep", off_by_one_ulp)
    runs, checks = hw04_runs.run_checked_sweep(
        settings()[2:3], X, y, [0, 1], n_jobs=1, progress=False
    )
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert "batched engine differs from sklearn for sgd-relu" in out
    assert "rerunning sgd-relu with sklearn's own fit" in out
    assert checks["identical"].tolist() == [False]
    assert checks["differs"].iloc[0] == "coefs_"
    assert {r.engine for r in runs["sgd-relu"]} == {"sklearn"}
    reference = hw04_runs.run_sweep(
        settings()[2:3], X, y, [0, 1], n_jobs=1, engine="sklearn", progress=False
    )
    assert run_records(runs) == run_records(reference)


def toy_table():
    rows = []
    outcomes = {0: (0.0, 0.0002), 1: (0.25, 0.3466), 2: (0.25, 0.3470), 3: (0.3, 0.6)}
    for seed, (err, loss) in outcomes.items():
        rows.append(
            dict(
                setting="sgd-relu",
                solver="sgd",
                activation="relu",
                seed=seed,
                n_iter=100 + seed,
                converged=seed != 2,
                final_loss=loss,
                train_error=err,
                test_error=err,
                fit_seconds=0.1,
            )
        )
    return pd.DataFrame(rows)


def test_summary_groups_failed_runs_by_plateau():
    s = hw04_runs.summarize(toy_table(), "sgd-relu")
    assert s["zero_seeds"] == [0] and s["frac_zero"] == 0.25
    plateau, lone = s["others"]
    assert plateau["seeds"] == [1, 2] and plateau["n_cut_off"] == 1
    assert "two quadrants fitted" in plateau["plateau"]
    assert lone == {
        "plateau": None,
        "seeds": [3],
        "train_error": (0.3, 0.3),
        "final_loss": (0.6, 0.6),
        "n_cut_off": 0,
    }
    assert s["iter_mean"] == 101.5 and s["n_converged"] == 3


def test_wilson_interval_matches_the_textbook_values():
    low, high = hw04_runs.wilson_interval(4, 16)
    assert (round(low, 4), round(high, 4)) == (0.1018, 0.4950)
    assert hw04_runs.wilson_interval(0, 10)[0] == 0.0
    assert hw04_runs.wilson_interval(10, 10)[1] == 1.0


def test_run_lines_one_per_run():
    lines = hw04_runs.run_lines(toy_table(), "sgd-relu").splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("run  1/4  seed   0") and "epochs" in lines[0]
    assert "NOT converged" in lines[2] and "train error 0.250" in lines[2]
