"""MLPClassifierLBFGS: the loss curve, convergence flag and sklearn conventions."""

import warnings

import numpy as np
import pytest
from scipy.special import expit
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.neural_network import MLPClassifier
from sklearn.utils._param_validation import InvalidParameterError

from MLPClassifierWithSolverLBFGS import MLPClassifierLBFGS


def fit_quietly(clf, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y)


def loss_at_initial_weights(X, y, hidden, activation, alpha, seed):
    """The objective at sklearn's Glorot-uniform start, computed independently."""
    rs = np.random.RandomState(seed)
    units = [X.shape[1], *hidden, 1]
    factor = 2.0 if activation == "logistic" else 6.0
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(units[:-1], units[1:]):
        bound = np.sqrt(factor / (fan_in + fan_out))
        coefs.append(rs.uniform(-bound, bound, (fan_in, fan_out)))
        intercepts.append(rs.uniform(-bound, bound, fan_out))
    a = X
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        z = a @ W + b
        a = {"relu": np.maximum(z, 0), "logistic": expit(z), "tanh": np.tanh(z)}[
            activation
        ]
    p_N = expit(a @ coefs[-1] + intercepts[-1])[:, 0]
    penalty = alpha / 2 * sum((W**2).sum() for W in coefs) / len(y)
    return log_loss(y, p_N) + penalty


CASES = [([2], "relu"), ([2], "logistic"), ([3, 2], "relu"), ([4], "tanh")]


@pytest.mark.parametrize("hidden, activation", CASES)
@pytest.mark.parametrize("seed", [0, 5])
def test_loss_curve_starts_at_initial_loss_falls_and_ends_at_loss(
    small_xor, hidden, activation, seed
):
    X, y = small_xor
    clf = MLPClassifierLBFGS(
        hidden_layer_sizes=hidden,
        activation=activation,
        alpha=1e-4,
        max_iter=200,
        tol=1e-6,
        random_state=seed,
    )
    fit_quietly(clf, X, y)
    curve = np.array(clf.loss_curve_)
    assert len(curve) == clf.n_iter_ + 1
    start = loss_at_initial_weights(X, y, hidden, activation, 1e-4, seed)
    assert curve[0] == pytest.approx(start, rel=1e-10)
    assert np.all(np.diff(curve) <= 0), "L-BFGS accepted a step that raised the loss"
    assert clf.loss_ == curve[-1]


@pytest.mark.parametrize("hidden, activation", CASES)
def test_weights_are_sklearns_bit_for_bit(small_xor, hidden, activation):
    X, y = small_xor
    kw = dict(hidden_layer_sizes=hidden, activation=activation, max_iter=150, tol=1e-6)
    for seed in (0, 1, 2):
        ours = fit_quietly(MLPClassifierLBFGS(random_state=seed, **kw), X, y)
        ref = fit_quietly(MLPClassifier(solver="lbfgs", random_state=seed, **kw), X, y)
        for a, b in zip(ours.coefs_ + ours.intercepts_, ref.coefs_ + ref.intercepts_):
            assert a.tobytes() == b.tobytes()
        assert ours.n_iter_ == ref.n_iter_ and ours.loss_ == ref.loss_
        np.testing.assert_array_equal(ours.predict_proba(X), ref.predict_proba(X))


def test_did_converge_false_at_max_iter_with_sklearns_warning(small_xor):
    X, y = small_xor
    clf = MLPClassifierLBFGS(hidden_layer_sizes=[2], max_iter=2, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert clf.did_converge is False and clf.did_converge_ is False
    assert clf.optimizer_status_ == 1
    assert clf.n_iter_ == 2 and len(clf.loss_curve_) == 3


def test_did_converge_true_on_a_converged_fit(small_xor):
    X, y = small_xor
    clf = MLPClassifierLBFGS(
        hidden_layer_sizes=[2], activation="logistic", max_iter=500, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.did_converge is True and clf.optimizer_status_ == 0
    assert clf.n_iter_ < 500


def test_nothing_is_printed(small_xor, capfd):
    X, y = small_xor
    fit_quietly(MLPClassifierLBFGS(hidden_layer_sizes=[2], random_state=0), X, y)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_sklearn_conventions():
    clf = MLPClassifierLBFGS(hidden_layer_sizes=[2], alpha=1e-3, tol=1e-6)
    params = clf.get_params()
    assert params["hidden_layer_sizes"] == [2] and params["alpha"] == 1e-3
    assert "solver" not in params and clf.solver == "lbfgs"
    twin = clone(clf)
    assert twin.get_params() == params and twin is not clf
    clf.set_params(activation="logistic", max_iter=7)
    assert clf.activation == "logistic" and clf.max_iter == 7
    assert repr(clf) == (
        "MLPClassifierLBFGS(activation='logistic', alpha=0.001, "
        "hidden_layer_sizes=[2],\n                   max_iter=7, tol=1e-06)"
    )
    with pytest.raises(ValueError, match="Invalid parameter 'solver'"):
        clf.set_params(solver="sgd")


def test_unfitted_did_converge_raises_not_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        _ = MLPClassifierLBFGS().did_converge


@pytest.mark.parametrize(
    "params", [{"activation": "bogus"}, {"alpha": -1.0}, {"max_iter": 0}]
)
def test_invalid_parameters_raise_sklearns_error(small_xor, params):
    X, y = small_xor
    with pytest.raises(InvalidParameterError):
        MLPClassifierLBFGS(**params).fit(X, y)


def test_the_projects_rule_of_identical_covers_the_wrappers_loss_curve(small_xor):
    from hw04.engine.lockstep import differences

    X, y = small_xor
    kw = dict(hidden_layer_sizes=[2], max_iter=50, random_state=3)
    a = fit_quietly(MLPClassifierLBFGS(**kw), X, y)
    b = fit_quietly(MLPClassifierLBFGS(**kw), X, y)
    assert differences(a, b) == []
    b.loss_curve_[1] = np.nextafter(b.loss_curve_[1], 0)
    assert differences(a, b) == ["loss_curve_"]
    plain = fit_quietly(MLPClassifier(solver="lbfgs", **kw), X, y)
    assert differences(plain, plain) == []
