"""Parameters, one call per setting (engines, processes, cache), and the rules."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from hw04 import inputs, stats, tables, training
from hw04.engine import lockstep
from hw04.notebook import default_parameters, homework_settings
from make_homework import NOTEBOOK, ROOT


def settings():
    """The homework's four settings, SGD cut to 30 epochs for speed."""
    out = homework_settings(NOTEBOOK)
    for name in ("sgd-relu", "sgd-logistic"):
        out[name] = out[name].set_params(max_iter=30)
    return out


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
    with pytest.raises(inputs.HomeworkInputError, match=message):
        inputs.check_seeds(seeds)


def test_seed_lists_are_normalised():
    assert inputs.check_seeds(range(3)) == [0, 1, 2]
    assert inputs.check_seeds(np.arange(2)) == [0, 1]


def test_check_parameters_returns_a_named_record(tmp_path):
    args = dict(seeds=[0, 1], data_dir="data_xor", results_dir=tmp_path / "out")
    params = inputs.check_parameters(
        **args,
        n_jobs=-1,
        engine="batched",
        appendix=True,
        appendix_seeds=256,
        cache=True,
        homework_dir=ROOT,
    )
    assert (tmp_path / "out").is_dir() and params.results_dir == tmp_path / "out"
    assert params.x_tr_N2.shape == (1000, 2) and params.seeds == [0, 1]
    assert params.cache_dir == tmp_path / "out" / "cache"
    assert params.data_dir == "data_xor"


def test_check_parameters_takes_names_only(tmp_path):
    # Eight values in a row could land in each other's places: names are required.
    with pytest.raises(TypeError):
        inputs.check_parameters([0], "data_xor", tmp_path, 1, "batched", False, 1, 0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_jobs": 0}, "n_jobs must be a positive number"),
        ({"n_jobs": "2"}, "n_jobs must be a positive number"),
        ({"engine": "fast"}, "engine must be one of"),
        ({"appendix": "yes"}, "appendix must be True or False"),
        ({"appendix_seeds": 0}, "appendix_seeds must be a positive number"),
        ({"appendix_seeds": 2.5}, "appendix_seeds must be a positive number"),
        ({"cache": "yes"}, "cache must be True, False or 'clear'"),
        ({"data_dir": "no_such_folder"}, r"'no_such_folder' is not a folder: .*Check"),
    ],
)
def test_bad_parameters_say_what_is_wrong(tmp_path, kwargs, message):
    args = default_parameters(NOTEBOOK) | dict(
        seeds=[0], results_dir=tmp_path, n_jobs=1
    )
    with pytest.raises(inputs.HomeworkInputError, match=message):
        inputs.check_parameters(**(args | kwargs), homework_dir=ROOT)


def test_a_mistyped_data_dir_is_named_before_any_file(tmp_path):
    with pytest.raises(inputs.HomeworkInputError) as err:
        inputs.load_xor_data("data_xr", homework_dir=ROOT)
    message = str(err.value)
    assert message.startswith("data_dir 'data_xr' is not a folder: ")
    assert "spelling" in message and "regenerate" not in message.lower()


@pytest.fixture
def homework_copy(tmp_path):
    """A homework folder with the data script and the shipped data, to break."""
    import shutil

    shutil.copytree(ROOT / "data_xor", tmp_path / "data_xor")
    return tmp_path


def test_a_file_missing_from_the_shipped_data_says_how_to_regenerate_it(
    homework_copy,
):
    (homework_copy / "data_xor" / "y_test.csv").unlink()
    with pytest.raises(inputs.HomeworkInputError) as err:
        inputs.load_xor_data("data_xor", homework_dir=homework_copy)
    message = str(err.value)
    assert message.startswith("Missing data file y_test.csv in ")
    assert message.endswith(
        "regenerate the shipped XOR data with `python data_xor/make_xor_data.py`."
    )


def test_files_missing_from_another_folder_say_how_to_make_them(homework_copy):
    other = homework_copy / "my_data"
    other.mkdir()
    with pytest.raises(inputs.HomeworkInputError) as err:
        inputs.load_xor_data("my_data", homework_dir=homework_copy)
    message = str(err.value)
    assert message.startswith("Missing data files x_train.csv, y_train.csv, ")
    assert f"--out-dir {other}`" in message and "regenerate" not in message


def test_relative_paths_are_taken_from_the_homework_folder_given(homework_copy):
    params = inputs.check_parameters(
        seeds=[0],
        data_dir="data_xor",
        results_dir="out",
        n_jobs=1,
        engine="batched",
        appendix=False,
        appendix_seeds=1,
        cache=False,
        homework_dir=homework_copy,
    )
    assert params.results_dir == homework_copy / "out"
    assert params.x_tr_N2.shape == (1000, 2)


def test_unwritable_results_dir_is_named(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(inputs.HomeworkInputError, match="not a writable folder"):
        inputs.check_results_dir(blocker / "results")


def bits(estimators):
    return [
        (
            [a.tobytes() for a in clf.coefs_ + clf.intercepts_],
            [float(v) for v in clf.loss_curve_],
            clf.n_iter_,
            stats.converged(clf),
        )
        for clf in estimators
    ]


def fit(est, X, y, seeds, engine="batched", n_jobs=-1, cache_dir=None, **kw):
    trainer = training.SeedTrainer(engine=engine, n_jobs=n_jobs, cache_dir=cache_dir)
    return trainer.fit_seeds(est, X, y, seeds, **kw)


@pytest.mark.parametrize("name", ["lbfgs-logistic", "sgd-relu", "sgd-logistic"])
def test_fit_seeds_is_the_list_comprehension_for_any_engine_and_n_jobs(small_xor, name):
    X, y = small_xor
    est, seeds = settings()[name], [0, 1, 5]
    plain = [clone(est).set_params(random_state=s).fit(X, y) for s in seeds]
    for engine in ("batched", "sklearn"):
        for n_jobs in (1, 2):
            fits = fit(est, X, y, seeds, engine=engine, n_jobs=n_jobs)
            assert bits(fits.estimators) == bits(plain), (engine, n_jobs)
            assert [c.random_state for c in fits.estimators] == seeds
    batched = fit(est, X, y, seeds)
    assert batched.engine == ("batched" if name.startswith("sgd") else "sklearn")


def test_the_check_finds_the_engine_exact(small_xor):
    X, y = small_xor
    fits = fit(settings()["sgd-relu"], X, y, [4, 1], n_jobs=2)
    assert fits.check.identical and fits.check.differs == ""
    assert (fits.check.seed, fits.check.epochs) == (4, training.CHECK_EPOCHS)


def _nudged(real):
    """``real``, a step of the engine, with one rounding of its last weight
    turned the other way (one ulp up) each time it runs."""

    def step(*args, **kwargs):
        out = real(*args, **kwargs)
        params_SP = next(a for a in args if getattr(a, "ndim", 0) == 2)
        params_SP[:, -1] = np.nextafter(params_SP[:, -1], np.inf)
        return out

    return step


@pytest.mark.parametrize("path", ["compiled", "numpy"])
def test_a_kernel_rounding_otherwise_is_caught_and_the_setting_rerun_with_sklearn(
    small_xor, monkeypatch, capsys, path
):
    X, y = small_xor
    est = settings()["sgd-relu"].set_params(batch_size=10)
    if path == "compiled":  # the compiled update, as the homework's settings run it
        monkeypatch.setattr(
            lockstep.kernels, "sgd_update", _nudged(lockstep.kernels.sgd_update)
        )
    else:  # the numpy path, one activation's rounding changed
        monkeypatch.setattr(lockstep.kernels, "AVAILABLE", False)
        relu = lockstep._HIDDEN["relu"]
        monkeypatch.setitem(lockstep._HIDDEN, "relu", _nudged_relu(relu))
    fits = fit(est, X, y, [0, 1], n_jobs=1)
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert "batched engine differs from sklearn for seed 0" in out
    assert "training every seed again with sklearn's own fit" in out
    assert not fits.check.identical and fits.check.differs
    assert fits.check.steps == path and fits.engine == "sklearn"
    reference = fit(est, X, y, [0, 1], engine="sklearn", n_jobs=1)
    assert bits(fits.estimators) == bits(reference.estimators)


def _nudged_relu(relu):
    def nudged(Z):
        relu(Z)
        Z[:, 0, 0] = np.nextafter(Z[:, 0, 0], np.inf)
        return Z

    return nudged


def test_an_unverified_sklearn_release_is_declined_before_training(
    small_xor, monkeypatch
):
    X, y = small_xor
    monkeypatch.setattr(
        lockstep.sklearn_compat, "ENGINE_VERIFIED", {(0, 1)}, raising=True
    )

    def no_lockstep(*args):
        raise AssertionError("the lockstep engine must not run")

    monkeypatch.setattr(lockstep, "fit_sgd_lockstep_with_steps", no_lockstep)
    with pytest.warns(lockstep.EngineFallbackWarning, match="verified bit for bit"):
        fits = fit(settings()["sgd-relu"], X, y, [0], n_jobs=1)
    assert fits.engine == "sklearn"


@pytest.mark.parametrize("name", ["lbfgs-relu", "sgd-relu"])
def test_the_runs_table_holds_the_numbers_of_the_same_runs(small_xor, name, tmp_path):
    from sklearn.metrics import zero_one_loss

    X, y = small_xor
    est, seeds = settings()[name], [3, 0, 7]
    fits = fit(est, X, y, seeds, n_jobs=2)
    table = fit(est, X, y, seeds, n_jobs=2, cache_dir=tmp_path / "cache", keep="table")
    assert list(table.table.columns) == [*training.TABLE_COLUMNS, "fit_seconds"]
    assert table.table["seed"].tolist() == seeds and table.n_from_cache == 0
    for row, clf in zip(table.table.to_dict("records"), fits.estimators):
        assert row["n_iter"] == clf.n_iter_ and row["final_loss"] == clf.loss_
        assert row["converged"] == stats.converged(clf)
        # The exact share of points misclassified; zero_one_loss's 1 - accuracy
        # may differ in the last bit.
        assert row["train_error"] == np.count_nonzero(clf.predict(X) != y) / len(y)
        assert row["train_error"] == pytest.approx(zero_one_loss(y, clf.predict(X)))
    again = fit(est, X, y, seeds, n_jobs=1, cache_dir=tmp_path / "cache", keep="table")
    assert again.n_from_cache == 3 and again.table.equals(table.table)
    assert (table.check is None) == (name == "lbfgs-relu")


def test_an_estimator_the_engine_is_not_for_trains_without_a_warning(small_xor):
    X, y = small_xor
    with warnings.catch_warnings():
        warnings.simplefilter("error", lockstep.EngineFallbackWarning)
        fits = fit(settings()["lbfgs-relu"], X, y, [0], n_jobs=1)
    assert fits.engine == "sklearn" and not lockstep.is_sgd(settings()["lbfgs-relu"])


# ------------------------------------------------------------------------ cache


class Trainings:
    """Counts the fits that really train, behind the cache."""

    def __init__(self, monkeypatch):
        self.count = 0
        real = training._fit_chunk

        def counted(*args):
            self.count += 1
            return real(*args)

        monkeypatch.setattr(training, "_fit_chunk", counted)


@pytest.fixture
def cached(tmp_path, small_xor, monkeypatch):
    """A cache holding one SGD setting's runs, and a counter of fresh trainings."""
    X, y = small_xor
    cache_dir = tmp_path / "cache"
    est = settings()["sgd-logistic"].set_params(max_iter=10)
    first = fit(est, X, y, [0, 1], n_jobs=1, cache_dir=cache_dir)
    assert first.n_from_cache == 0
    return cache_dir, est, first, Trainings(monkeypatch)


def test_an_unchanged_rerun_trains_nothing(cached, small_xor):
    cache_dir, est, first, trainings = cached
    again = fit(est, *small_xor, [0, 1], n_jobs=1, cache_dir=cache_dir)
    assert trainings.count == 0 and again.n_from_cache == 2
    assert bits(again.estimators) == bits(first.estimators)
    assert again.check == first.check and again.fit_seconds == first.fit_seconds


def test_n_jobs_is_not_part_of_the_key(cached, small_xor):
    cache_dir, est, _, trainings = cached
    assert fit(est, *small_xor, [0, 1], n_jobs=2, cache_dir=cache_dir).n_from_cache == 2
    assert trainings.count == 0


@pytest.mark.parametrize("change", ["data", "parameter", "seeds", "engine"])
def test_each_change_of_an_input_trains_again(cached, small_xor, change):
    cache_dir, est, _, trainings = cached
    X, y, seeds, engine = *small_xor, [0, 1], "batched"
    if change == "data":
        X = X.copy()
        X[0, 0] = np.nextafter(X[0, 0], np.inf)  # one bit of one value
    elif change == "parameter":
        est = clone(est).set_params(alpha=2e-4)
    elif change == "seeds":
        seeds = [0, 2]
    else:
        engine = "sklearn"
    fits = fit(est, X, y, seeds, engine=engine, n_jobs=1, cache_dir=cache_dir)
    assert fits.n_from_cache == 0 and trainings.count > 0


@pytest.mark.parametrize(
    "what", ["scikit-learn", "numpy", "scipy", "numba", "blas", "sources"]
)
def test_library_versions_and_sources_are_in_the_key(
    cached, small_xor, monkeypatch, what
):
    cache_dir, est, _, trainings = cached
    real = training.environment_key(est)
    monkeypatch.setattr(
        training, "environment_key", lambda estimator: real | {what: f"{real[what]}+1"}
    )
    assert fit(est, *small_xor, [0, 1], n_jobs=1, cache_dir=cache_dir).n_from_cache == 0
    assert trainings.count > 0


def test_the_source_digest_covers_the_code_that_trains():
    lbfgs = settings()["lbfgs-relu"]
    assert {p.name for p in training.sources(lbfgs)} == {
        "training.py",
        "lockstep.py",
        "kernels.py",
        "MLPClassifierWithSolverLBFGS.py",
        "sklearn_compat.py",
    }
    # The course module is found where it was imported from, not beside the package.
    assert ROOT / "MLPClassifierWithSolverLBFGS.py" in training.sources(lbfgs)
    assert all(p.is_file() for p in training.sources(lbfgs))


def test_clear_empties_the_cache(cached, small_xor, tmp_path):
    cache_dir, est, _, trainings = cached
    cleared = training.SeedTrainer(n_jobs=1, cache_dir=cache_dir, clear_cache=True)
    assert cleared.fit_seeds(est, *small_xor, [0, 1]).n_from_cache == 0
    assert trainings.count > 0


def test_no_cache_trains_every_time(small_xor, monkeypatch):
    trainings = Trainings(monkeypatch)
    est = settings()["sgd-relu"].set_params(max_iter=5)
    fit(est, *small_xor, [0], n_jobs=1, cache_dir=None)
    fit(est, *small_xor, [0], n_jobs=1)
    assert trainings.count == 2


# ------------------------------------------------------------------------ rules


def test_solved_is_the_xor_rules_error_plus_five_points():
    assert stats.solved(0.0, 0.0) and stats.solved(0.05, 0.0)
    assert not stats.solved(0.051, 0.0)
    assert stats.solved(0.028, 0.005) and not stats.solved(0.25, 0.0)


def test_xor_rule_error_counts_points_across_the_axes():
    x_N2 = np.array([[1.0, 1.0], [-1.0, 1.0], [0.1, -0.2], [-0.5, -0.5]])
    assert stats.xor_rule_error(x_N2, np.array([1, 0, 0, 1])) == 0.0
    assert stats.xor_rule_error(x_N2, np.array([1, 0, 1, 1])) == 0.25


class _FixedProba:
    """A stand-in classifier with given probabilities of y = 1 per quadrant."""

    def __init__(self, p_by_quadrant, loss_curve=(0.7, 0.35)):
        self.p_by_quadrant = np.asarray(p_by_quadrant)
        self.loss_curve_ = list(loss_curve)

    def predict_proba(self, x_N2):
        p_N = self.p_by_quadrant[stats.quadrant_of(x_N2)]
        return np.column_stack([1 - p_N, p_N])

    def predict(self, x_N2):
        return (self.predict_proba(x_N2)[:, 1] > 0.5).astype(int)


@pytest.fixture
def quadrants():
    x_N2 = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]] * 25, dtype=float)
    return x_N2, (x_N2[:, 0] * x_N2[:, 1] > 0).astype(int)


@pytest.mark.parametrize(
    "p_by_quadrant, expected",
    [
        ([0.99, 0.01, 0.01, 0.99], "all 4 quadrants fitted"),
        ([0.99, 0.5, 0.5, 0.99], "2 quadrants fitted, p = 0.50 on the other two"),
        ([0.99, 0.01, 0.6, 0.6], "2 quadrants fitted, p = 0.60 on the other two"),
        ([0.33, 0.33, 0.33, 0.99], "1 quadrant fitted, p = 0.33 on the other three"),
        ([0.5, 0.5, 0.5, 0.5], "no quadrant fitted, p = 0.50 everywhere"),
    ],
)
def test_a_run_is_described_by_what_it_predicts(quadrants, p_by_quadrant, expected):
    x_N2, y_N = quadrants
    clf = _FixedProba(p_by_quadrant)
    assert stats.describe(stats.what_it_predicts(clf, x_N2, y_N)) == expected


def test_outcome_groups_put_zero_error_first_and_group_the_rest(quadrants):
    x_N2, y_N = quadrants
    probas = [[0.99, 0.01, 0.01, 0.99], [0.99, 0.5, 0.5, 0.99], [0.99, 0.49, 0.5, 0.99]]
    fitted = {"s": [_FixedProba(p) for p in probas]}
    rows = pd.DataFrame(
        {
            "setting": "s",
            "seed": [2, 0, 1],  # in another order than the fits: joined by key
            "converged": [False, True, True],
            "final_loss": [0.348, 0.001, 0.347],
            "n_iter": [40, 20, 30],
            "train_error": [0.5, 0.0, 0.25],
        }
    ).merge(stats.describe_runs(fitted, [0, 1, 2], x_N2, y_N), on=["setting", "seed"])
    rows = rows.sort_values("seed")
    groups = tables.outcome_groups(rows)
    assert groups["runs"].tolist() == [1, 2] and groups["zero_error"].tolist() == [
        True,
        False,
    ]
    failed = groups.iloc[1]
    assert failed["seeds"] == [1, 2] and failed["converged"] == 1
    assert failed["predicts"] == "2 quadrants fitted, p = 0.49-0.50 on the other two"
    assert (failed["min_train_error"], failed["max_train_error"]) == (0.25, 0.5)


def test_converged_answers_for_a_plain_lbfgs_mlp(small_xor):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    x_N2, y_N = small_xor
    plain = MLPClassifier(hidden_layer_sizes=[2], solver="lbfgs", random_state=0)
    assert stats.converged(plain.set_params(max_iter=200, tol=1e-6).fit(x_N2, y_N))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert not stats.converged(plain.set_params(max_iter=3).fit(x_N2, y_N))


def test_describe_runs_keys_each_run_and_says_whether_its_loss_still_fell(quadrants):
    x_N2, y_N = quadrants
    clf = _FixedProba([0.5, 0.5, 0.5, 0.5], loss_curve=np.linspace(0.69, 0.5, 101))
    table = stats.describe_runs({"a": [clf], "b": [clf]}, [7], x_N2, y_N)
    assert table[["setting", "seed"]].values.tolist() == [["a", 7], ["b", 7]]
    assert table["still_falling"].all() and table["settled"].eq(95).all()
    with pytest.raises(ValueError):  # one fit per seed, or the keys would be wrong
        stats.describe_runs({"a": [clf, clf]}, [7], x_N2, y_N)


def test_success_table_gives_wilson_intervals():
    runs = pd.DataFrame({"s": ["a"] * 16, "solved": [True] * 4 + [False] * 12})
    row = stats.success_table(runs, ["s"]).iloc[0]
    assert (row["solved"], row["runs"], row["rate"]) == (4, 16, 0.25)
    assert (round(row["ci_low"], 4), round(row["ci_high"], 4)) == (0.1018, 0.4950)
    assert stats.wilson_interval(0, 10)[0] == 0.0
    assert stats.wilson_interval(10, 10)[1] == 1.0


def test_an_unreadable_cache_entry_is_trained_again_with_one_line(
    cached, small_xor, tmp_path, capsys
):
    cache_dir, est, first, trainings = cached
    entries = list((tmp_path / "cache").rglob("output.pkl"))
    assert entries
    for entry in entries:  # every entry cut to half its size
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) // 2])
    capsys.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = fit(est, *small_xor, [0, 1], n_jobs=1, cache_dir=cache_dir)
    assert [str(w.message) for w in caught] == []
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "its cache entry could not be read" in out
    assert again.n_from_cache == 0 and trainings.count > 0
    assert bits(again.estimators) == bits(first.estimators)
    # The entry written again reads back: the next call trains nothing.
    before = trainings.count
    third = fit(est, *small_xor, [0, 1], n_jobs=1, cache_dir=cache_dir)
    assert third.n_from_cache == 2 and trainings.count == before


def test_no_summary_leaves_no_line(small_xor, capsys):
    est = settings()["sgd-relu"].set_params(max_iter=3)
    fit(est, *small_xor, [0], n_jobs=1, summary=False)
    assert capsys.readouterr().out == ""
    fit(est, *small_xor, [0], n_jobs=1, summary=True)
    assert "sgd-relu: 1 runs in" in capsys.readouterr().out
