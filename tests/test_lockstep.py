"""The lockstep SGD engine gives sklearn's fits bit for bit, or falls back."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.utils._param_validation import InvalidParameterError

from hw04 import sklearn_compat
from hw04.engine import lockstep
from hw04.notebook import homework_settings
from make_homework import NOTEBOOK

pytestmark = pytest.mark.skipif(
    sklearn_compat.engine_unverified_reason() is not None,
    reason="the batched engine declines this scikit-learn (see test_versions.py)",
)


@pytest.fixture(params=lockstep.STEPS)
def steps(request):
    """Every test here holds for the compiled path and the numpy one."""
    return request.param


# The homework's SGD configuration, all but the activation.
HOMEWORK_SGD = homework_settings(NOTEBOOK)["sgd-relu"].get_params()
del HOMEWORK_SGD["activation"]


def sklearn_fit(estimator, X, y, seed):
    clf = clone(estimator).set_params(random_state=seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return clf, warned


def assert_identical(ours, ref):
    # differences() covers the optimizer's, stopping rule's and random state too.
    assert lockstep.differences(ours, ref) == []
    assert [float(v) for v in ours.loss_curve_] == [float(v) for v in ref.loss_curve_]


def check_against_sklearn(estimator, X, y, seeds, steps):
    fits, warned = lockstep.fit_sgd_lockstep(estimator, X, y, seeds, steps)
    assert [f.random_state for f in fits] == list(seeds)
    for seed, ours, ours_warned in zip(seeds, fits, warned):
        ref, ref_warned = sklearn_fit(estimator, X, y, seed)
        assert_identical(ours, ref)
        assert ours_warned == ref_warned
    return fits, warned


@pytest.mark.parametrize("activation", ["relu", "logistic", "tanh", "identity"])
def test_homework_settings_bit_for_bit_on_the_shipped_data(xor_data, activation, steps):
    X, y = xor_data[:2]
    est = MLPClassifier(activation=activation, **(HOMEWORK_SGD | {"max_iter": 12}))
    check_against_sklearn(est, X, y, seeds=[0, 3, 7], steps=steps)


@pytest.mark.parametrize(
    "change",
    [
        {"hidden_layer_sizes": [5]},
        {"hidden_layer_sizes": [8], "activation": "logistic"},  # the appendix's
        {"hidden_layer_sizes": [4, 3], "activation": "tanh"},  # numpy steps
        {"hidden_layer_sizes": [3, 2], "activation": "logistic"},  # compiled steps
        {"learning_rate": "constant"},
        {"learning_rate": "invscaling", "learning_rate_init": 0.5},
        {"momentum": 0.9},
        {"momentum": 0.5, "nesterovs_momentum": False},
        {"batch_size": 32},  # a last, smaller batch
        {"batch_size": "auto"},
        {"shuffle": False},
        {"alpha": 0.0},
    ],
    ids=lambda d: "-".join(f"{k}={v}" for k, v in d.items()),
)
def test_variations_bit_for_bit(small_xor, change, steps):
    X, y = small_xor
    est = MLPClassifier(**(HOMEWORK_SGD | {"max_iter": 25} | change))
    check_against_sklearn(est, X, y, seeds=[1, 2, 11], steps=steps)


def test_stopping_rule_and_learning_rate_schedule_replayed(small_xor, steps):
    X, y = small_xor
    # A loose tol makes the adaptive rule divide the step and then stop early.
    est = MLPClassifier(
        **(HOMEWORK_SGD | {"tol": 1e-2, "n_iter_no_change": 2, "max_iter": 300})
    )
    fits, warned = check_against_sklearn(est, X, y, seeds=[0, 1, 2, 3], steps=steps)
    assert all(f.n_iter_ < 300 for f in fits) and not any(warned)
    assert len({f.n_iter_ for f in fits}) > 1, (
        "the seeds should stop at different epochs"
    )
    assert all(sklearn_compat.sgd_state(f)["learning_rate"] <= 1e-6 for f in fits)


def test_constant_rate_stops_once_the_loss_stalls(small_xor, steps):
    X, y = small_xor
    est = MLPClassifier(
        **(HOMEWORK_SGD | {"learning_rate": "constant", "tol": 1e-2, "max_iter": 200})
    )
    fits, warned = check_against_sklearn(est, X, y, seeds=[4, 5], steps=steps)
    assert all(f.n_iter_ < 200 for f in fits) and not any(warned)


def test_results_do_not_depend_on_the_other_seeds_in_the_batch(small_xor, steps):
    X, y = small_xor
    est = MLPClassifier(**(HOMEWORK_SGD | {"max_iter": 15}))
    alone, _ = lockstep.fit_sgd_lockstep(est, X, y, [9], steps=steps)
    together, _ = lockstep.fit_sgd_lockstep(est, X, y, [3, 9, 4], steps=steps)
    assert lockstep.differences(alone[0], together[1]) == []


def test_fitted_estimators_work_like_sklearns(small_xor, steps):
    X, y = small_xor
    est = MLPClassifier(**(HOMEWORK_SGD | {"max_iter": 5}))
    (clf,), _ = lockstep.fit_sgd_lockstep(est, X, y, [0], steps=steps)
    ref, _ = sklearn_fit(est, X, y, 0)
    np.testing.assert_array_equal(clf.predict_proba(X), ref.predict_proba(X))
    assert clf.score(X, y) == ref.score(X, y)
    # partial_fit continues from the same optimizer state.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.partial_fit(X, y)
        ref.partial_fit(X, y)
    assert lockstep.differences(clf, ref) == []


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"solver": "adam"}, "solver='adam'"),
        ({"early_stopping": True}, "early_stopping"),
        ({"warm_start": True}, "warm_start"),
    ],
)
def test_unsupported_options_fall_back_to_sklearn_with_a_message(
    small_xor, change, reason, steps
):
    X, y = small_xor
    est = MLPClassifier(**(HOMEWORK_SGD | {"max_iter": 5} | change))
    with pytest.warns(lockstep.EngineFallbackWarning, match=reason):
        fits, warned = lockstep.fit_sgd_lockstep(est, X, y, [0, 1], steps=steps)
    for seed, clf in zip([0, 1], fits):
        assert lockstep.differences(clf, sklearn_fit(est, X, y, seed)[0]) == []


def test_more_than_two_classes_fall_back(small_xor, steps):
    X, _ = small_xor
    y3 = np.arange(len(X)) % 3
    est = MLPClassifier(**(HOMEWORK_SGD | {"max_iter": 3}))
    with pytest.warns(lockstep.EngineFallbackWarning, match="2 classes, y has 3"):
        fits, _ = lockstep.fit_sgd_lockstep(est, X, y3, [0], steps=steps)
    assert fits[0].n_outputs_ == 3


def test_invalid_parameters_raise_sklearns_error(small_xor, steps):
    X, y = small_xor
    est = MLPClassifier(**(HOMEWORK_SGD | {"learning_rate_init": -1.0}))
    with pytest.raises(InvalidParameterError):
        lockstep.fit_sgd_lockstep(est, X, y, [0], steps=steps)


@pytest.mark.slow
@pytest.mark.parametrize("activation", ["relu", "logistic"])
def test_all_32_default_sgd_runs_bit_for_bit(xor_data, activation, steps):
    X, y = xor_data[:2]
    est = MLPClassifier(activation=activation, **HOMEWORK_SGD)
    check_against_sklearn(est, X, y, seeds=range(16), steps=steps)


def test_float32_inputs_fall_back(small_xor, steps):
    X, y = small_xor
    est = MLPClassifier(**(HOMEWORK_SGD | {"max_iter": 3}))
    X32 = X.astype(np.float32)
    assert "float64" in lockstep.unsupported_reason(est, y, X32)
    with pytest.warns(lockstep.EngineFallbackWarning, match="float64 inputs"):
        fits, _ = lockstep.fit_sgd_lockstep(est, X32, y, [0], steps=steps)
    assert fits[0].coefs_[0].dtype == np.float32
