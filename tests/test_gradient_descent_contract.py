"""The input contract for every public function of helpers.gradient_descent.

For any input: a correct result, or a ValueError/TypeError naming the argument, within 1 s; no
input modified, no view of an input returned (``tests/_contract.py``). Hypothesis draws entries
from the whole finite float64 range; the reproducers of the reliability review come first.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
from _contract import ODD_TYPES, check_contract, finite_arrays, odd_arraylikes
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.gradient_descent import (
    ConvergenceError,
    bench_problem,
    compute_cost,
    contraction_factor,
    cost_gradient,
    gradient_descent,
    gradient_descent_path,
    gradient_descent_until,
    hessian_eigenvalues,
    iteration_bound,
    iterations_to_converge,
    least_squares,
    max_stable_step,
    standardize_features,
)

X_REF = np.array([[1.0, 5.0], [1.0, 2.0], [1.0, 4.0], [1.0, 5.0]])
Y_REF = np.array([1.0, 6.0, 4.0, 2.0])
T_REF = np.array([0.5, -0.25])
EPS = np.finfo(np.float64).eps
BIG = np.finfo(np.float64).max
_, SCALING_REF = standardize_features(X_REF)


def scaling_apply(X):
    return SCALING_REF.apply(X)


def scaling_unscale(theta_scaled):
    return SCALING_REF.unscale_theta(theta_scaled)


# Every public function with valid arguments by name; each argument is replaced in turn.
CALLS = {
    "compute_cost": (compute_cost, {"X": X_REF, "y": Y_REF, "theta": T_REF}),
    "cost_gradient": (cost_gradient, {"X": X_REF, "y": Y_REF, "theta": T_REF}),
    "least_squares": (least_squares, {"X": X_REF, "y": Y_REF}),
    "gradient_descent": (
        gradient_descent,
        {"X": X_REF, "y": Y_REF, "theta": T_REF, "alpha": 0.01, "num_iters": 5, "check_step": True},
    ),
    "gradient_descent_path": (
        gradient_descent_path,
        {"X": X_REF, "y": Y_REF, "theta": T_REF, "alpha": 0.01, "num_iters": 5, "check_step": True},
    ),
    "gradient_descent_until": (
        gradient_descent_until,
        {
            "X": X_REF,
            "y": Y_REF,
            "theta": T_REF,
            "alpha": 0.1,
            "rule": "gradient",
            "tol": 1e-3,
            "atol": 1e-12,
            "max_iters": 5000,
            "check_step": True,
        },
    ),
    "hessian_eigenvalues": (hessian_eigenvalues, {"X": X_REF}),
    "max_stable_step": (max_stable_step, {"X": X_REF}),
    "contraction_factor": (contraction_factor, {"X": X_REF, "alpha": 0.05}),
    "iteration_bound": (iteration_bound, {"X": X_REF, "alpha": 0.05, "rtol": 1e-6}),
    "iterations_to_converge": (
        iterations_to_converge,
        {"X": X_REF, "y": Y_REF, "theta": T_REF, "alpha": 0.1, "rtol": 1e-3, "max_iters": 5000},
    ),
    "standardize_features": (standardize_features, {"X": X_REF}),
    "bench_problem": (bench_problem, {"kind": "Correlated", "m": 20, "rng": 1}),
    "FeatureScaling.apply": (scaling_apply, {"X": X_REF}),
    "FeatureScaling.unscale_theta": (scaling_unscale, {"theta_scaled": T_REF}),
}
ARGUMENTS = [(name, arg) for name, (_, kwargs) in CALLS.items() for arg in kwargs]
ARRAY_ARGUMENTS = [(n, a) for n, a in ARGUMENTS if a in ("X", "y", "theta", "theta_scaled")]


# ------------------------------------------------------------------------------------------------
# The reproducers of the reliability review
# ------------------------------------------------------------------------------------------------


def test_zero_iterations_returns_a_new_array_not_the_callers_theta():
    t = np.zeros(2)
    th, J = gradient_descent([[1, 5], [1, 2]], [1, 2], t, 0.01, 0)
    th += 1
    np.testing.assert_array_equal(t, [0.0, 0.0])
    assert J.shape == (0,)
    check_contract(
        gradient_descent, {"X": X_REF, "y": Y_REF, "theta": T_REF, "alpha": 0.01, "num_iters": 0}
    )


def test_standardize_near_the_top_of_the_range_is_finite():
    X_s, scaling = standardize_features([[1, 1e308], [1, 1.5e308]])
    np.testing.assert_allclose(X_s, [[1, -1], [1, 1]], rtol=1e-15)
    np.testing.assert_allclose(scaling.mu, [0, 1.25e308], rtol=1e-15)
    np.testing.assert_allclose(scaling.sigma, [1, 0.25e308], rtol=1e-15)


def test_standardize_a_column_spanning_plus_minus_1e308():
    X = np.array([[1, 1e308], [1, -1e308], [1, 0.0]])
    X_s, scaling = standardize_features(X)
    assert np.isfinite(scaling.sigma).all()
    np.testing.assert_allclose(X_s[:, 1], [math.sqrt(1.5), -math.sqrt(1.5), 0.0], atol=1e-15)
    np.testing.assert_allclose(scaling.apply(X), X_s, atol=1e-15)  # X - mu would overflow


@pytest.mark.parametrize("arg", ["X", "y", "theta"])
@pytest.mark.parametrize("bad", [None, [[1.0, 2.0], [3.0]]], ids=["None", "ragged"])
def test_none_and_ragged_inputs_are_named(arg, bad):
    kwargs = {"X": X_REF, "y": Y_REF, "theta": T_REF, "alpha": 0.01, "num_iters": 3}
    kwargs[arg] = bad
    with pytest.raises(TypeError, match=rf"^{arg} must be a real numeric array"):
        gradient_descent(**kwargs)


def test_scalars_follow_one_rule_fractions_included():
    # as_scalar accepts any numbers.Real, so Fraction works for every scalar, as 0-d arrays do
    a, b = gradient_descent(X_REF, Y_REF, T_REF, Fraction(1, 100), np.array(5))
    c, d = gradient_descent(X_REF, Y_REF, T_REF, 0.01, 5)
    np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(b, d)
    assert contraction_factor(X_REF, Fraction(1, 20)) == contraction_factor(X_REF, 0.05)
    assert iteration_bound(X_REF, 0.05, rtol=Fraction(1, 1000)) == iteration_bound(
        X_REF, 0.05, rtol=1e-3
    )
    with pytest.raises(TypeError, match="num_iters must be an integer"):
        gradient_descent(X_REF, Y_REF, T_REF, 0.01, Fraction(5, 1))


# ------------------------------------------------------------------------------------------------
# Wrong types for every argument and keyword; odd spellings of every array
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "arg"), ARGUMENTS)
@pytest.mark.parametrize("bad", ODD_TYPES, ids=[f"odd{i}" for i in range(len(ODD_TYPES))])
def test_odd_types_are_refused_by_name(name, arg, bad):
    fn, kwargs = CALLS[name]
    check_contract(fn, {**kwargs, arg: bad}, names=(arg,), must_raise=True)


def _same(a, b):
    if isinstance(a, tuple):
        for u, v in zip(a, b, strict=True):
            _same(u, v)
    elif hasattr(a, "mu"):
        _same((a.mu, a.sigma, a.intercept), (b.mu, b.sigma, b.intercept))
    else:
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-13, atol=0)


@pytest.mark.parametrize(("name", "arg"), ARRAY_ARGUMENTS)
def test_odd_arraylikes(name, arg):
    fn, kwargs = CALLS[name]
    expected = fn(**kwargs)
    for _label, value, valid in odd_arraylikes(kwargs[arg]):
        outcome = check_contract(fn, {**kwargs, arg: value}, names=(arg,), must_raise=not valid)
        if valid:
            _same(outcome.result, expected)


@pytest.mark.parametrize(("name", "arg"), ARGUMENTS)
def test_valid_call_keeps_the_contract(name, arg):
    fn, kwargs = CALLS[name]
    check_contract(fn, kwargs)


# ------------------------------------------------------------------------------------------------
# The whole finite float64 range
# ------------------------------------------------------------------------------------------------

shapes = st.tuples(st.integers(1, 4), st.integers(1, 3))
alphas = st.floats(min_value=5e-324, max_value=BIG, allow_nan=False, allow_infinity=False)


@st.composite
def problems(draw):
    m, n = draw(shapes)
    return draw(finite_arrays((m, n))), draw(finite_arrays(m)), draw(finite_arrays(n))


def exact_cost(X, y, t):
    """The cost in exact rational arithmetic."""
    m = len(y)
    F = Fraction
    total = sum((sum(F(X[i, j]) * F(t[j]) for j in range(len(t))) - F(y[i])) ** 2 for i in range(m))
    return total / (2 * m)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_cost_and_gradient_over_the_whole_range(problem):
    X, y, t = problem
    m = len(y)
    # a rounding-error bound for the residual: eps * (|X| |theta| + |y|), row by row
    with np.errstate(over="ignore"):
        size = np.abs(X) @ np.abs(t) + np.abs(y)

    def cost_is_right(J):
        assert math.isfinite(J)
        assert J >= 0
        exact = exact_cost(X, y, t)
        slack = Fraction(8 * (m + 3)) * Fraction(EPS) * sum(Fraction(s) ** 2 for s in size)
        assert abs(Fraction(J) - exact) <= slack / (2 * m) + Fraction(1e-300)

    check_contract(compute_cost, {"X": X, "y": y, "theta": t}, result_check=cost_is_right)

    def gradient_is_finite(g):
        assert g.shape == t.shape
        assert np.isfinite(g).all()

    check_contract(cost_gradient, {"X": X, "y": y, "theta": t}, result_check=gradient_is_finite)


def check_run(fn, kwargs, steps, result_check):
    """check_contract, where a run that fails numerically raises ConvergenceError instead:
    it happens only after steps, and carries the last iterate and the steps taken."""
    failure = None
    try:
        check_contract(fn, kwargs, result_check=result_check)
    except ConvergenceError as err:
        failure = err
    if failure is not None:
        assert "alpha" in str(failure) or "max_iters" in str(failure), str(failure)
        assert failure.theta.shape == (np.shape(kwargs["X"])[1],)
        assert 1 <= failure.k <= steps


@settings(max_examples=60, deadline=None)
@given(problems(), alphas, st.integers(0, 20))
def test_descent_over_the_whole_range(problem, alpha, num_iters):
    X, y, t = problem

    def finite_run(result):
        theta, J = result
        assert theta.shape == t.shape
        assert np.isfinite(theta).all()
        assert J.shape == (num_iters,)
        assert np.isfinite(J).all()

    kwargs = {"X": X, "y": y, "theta": t, "alpha": alpha, "num_iters": num_iters}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        check_run(gradient_descent, kwargs, num_iters, finite_run)
        check_run(
            gradient_descent_path,
            kwargs,
            num_iters,
            lambda path: np.testing.assert_array_equal(np.isfinite(path), True),
        )
    check_run(
        iterations_to_converge,
        {"X": X, "y": y, "theta": t, "alpha": alpha, "rtol": 0.5, "max_iters": 50},
        50,
        lambda k: None if 0 <= k <= 50 else pytest.fail(f"k = {k}"),
    )

    def stopped_within_50(result):
        theta, k = result
        assert theta.shape == t.shape
        assert np.isfinite(theta).all()
        assert 0 <= k <= 50

    with warnings.catch_warnings(record=True) as caught_until:
        warnings.simplefilter("always", RuntimeWarning)
        for rule in ("gradient", "cost"):
            check_run(
                gradient_descent_until,
                {
                    "X": X,
                    "y": y,
                    "theta": t,
                    "alpha": alpha,
                    "rule": rule,
                    "tol": 0.5,
                    "max_iters": 50,
                },
                50,
                stopped_within_50,
            )
    # the only warning is the helper's own, for a step at or above the stability bound
    for w in caught + caught_until:
        assert w.category is RuntimeWarning
        assert "is too large" in str(w.message)
        assert "max_stable_step(X)" in str(w.message)
        assert alpha >= max_stable_step(X)


@settings(max_examples=60, deadline=None)
@given(st.tuples(st.integers(1, 4), st.integers(1, 3)).flatmap(finite_arrays), alphas)
def test_spectrum_over_the_whole_range(X, alpha):
    m = X.shape[0]
    # the trace of X^T X / m, exactly: the eigenvalues must add up to it
    trace = sum(Fraction(v) ** 2 for v in X.ravel()) / m

    def eigenvalues_are_right(lam):
        assert lam.shape == (X.shape[1],)
        assert np.isfinite(lam).all()
        assert np.all(lam >= 0)
        assert np.all(np.diff(lam) >= 0)
        err = abs(sum(Fraction(v) for v in lam) - trace)
        assert err <= Fraction(1e-12) * trace + Fraction(1e-300)

    check_contract(hessian_eigenvalues, {"X": X}, result_check=eigenvalues_are_right)

    def step_is_right(bound):
        assert bound >= 0
        if 0 < bound < math.inf and trace < Fraction(BIG):
            lam_max = hessian_eigenvalues(X)[-1]
            assert bound == pytest.approx(2 / lam_max, rel=1e-12)

    check_contract(max_stable_step, {"X": X}, result_check=step_is_right)
    check_contract(
        contraction_factor,
        {"X": X, "alpha": alpha},
        result_check=lambda rho: None if 0 <= rho < math.inf else pytest.fail(f"rho = {rho}"),
    )
    check_contract(
        iteration_bound,
        {"X": X, "alpha": alpha, "rtol": 1e-6},
        result_check=lambda k: None if k >= 1 else pytest.fail(f"bound {k}"),
    )
    check_contract(
        least_squares,
        {"X": X, "y": np.ones(m)},
        result_check=lambda t: np.testing.assert_array_equal(np.isfinite(t), True),
    )


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 6).flatmap(lambda m: finite_arrays((m, 2))), finite_arrays(3))
def test_standardize_over_the_whole_range(features, theta_scaled):
    m = features.shape[0]
    X = np.column_stack([np.ones(m), features])

    def standardized(result):
        X_s, scaling = result
        assert np.isfinite(X_s).all()
        assert np.isfinite(scaling.mu).all()
        assert np.isfinite(scaling.sigma).all()
        np.testing.assert_array_equal(X_s[:, 0], 1.0)
        for j in (1, 2):
            col = X_s[:, j]
            # the mean is itself rounded: relative to the spread, eps * max|x| / sigma
            tol = 1e-9 + 16 * EPS * (np.max(np.abs(X[:, j])) / scaling.sigma[j])
            assert abs(col.mean()) <= tol
            assert col.std() == pytest.approx(1.0, rel=tol)

    outcome = check_contract(standardize_features, {"X": X}, result_check=standardized)
    if outcome.raised:  # only a feature column without spread (or constant) may be refused
        message = str(outcome.error)
        keys = ("all-zero columns", "no constant", "smallest number", "has constant columns")
        assert any(k in message for k in keys)
        return
    X_s, scaling = outcome.result
    applied = check_contract(scaling.apply, {"X": X}).result
    # a subnormal mu or sigma carries fewer digits, and apply() can only use those
    subnormal = np.any(
        (np.abs(np.r_[scaling.mu, scaling.sigma]) < np.finfo(float).tiny)
        & (np.r_[scaling.mu, scaling.sigma] != 0)
    )
    tol = 1e-3 if subnormal else 1e-12
    np.testing.assert_allclose(applied, X_s, rtol=tol, atol=tol)
    check_contract(
        scaling.unscale_theta,
        {"theta_scaled": theta_scaled},
        result_check=lambda t: np.testing.assert_array_equal(np.isfinite(t), True),
    )
