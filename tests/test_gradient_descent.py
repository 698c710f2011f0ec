"""Tests of helpers.gradient_descent: Octave reference values, independent references, shapes,
properties and bad inputs."""

from __future__ import annotations

import functools
import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import gradcheck
from helpers.gradient_descent import (
    ConvergenceError,
    FeatureScaling,
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

# The reference run of the question: Octave's
#   [theta, J_hist] = gradientDescent([1 5; 1 2; 1 4; 1 5], [1 6 4 2]', [0 0]', 0.01, 1000)
X_REF = np.array([[1, 5], [1, 2], [1, 4], [1, 5]])
Y_REF = np.array([1, 6, 4, 2])
THETA_EXPECTED_4DP = np.array([5.2148, -0.5733])  # printed to 4 decimals: half a unit is 5e-5


def loop_gradient_descent(X, y, theta, alpha, num_iters):
    """An independent, deliberately naive reference: pure Python loops over samples and features."""
    X = [[float(v) for v in row] for row in np.asarray(X)]
    y = [float(v) for v in np.ravel(y)]
    theta = [float(v) for v in np.ravel(theta)]
    m, n = len(X), len(theta)
    history = []
    for _ in range(num_iters):
        residual = [sum(X[i][j] * theta[j] for j in range(n)) - y[i] for i in range(m)]
        grad = [sum(X[i][j] * residual[i] for i in range(m)) / m for j in range(n)]
        theta = [theta[j] - alpha * grad[j] for j in range(n)]
        residual = [sum(X[i][j] * theta[j] for j in range(n)) - y[i] for i in range(m)]
        history.append(sum(r * r for r in residual) / (2 * m))
    return np.array(theta), np.array(history)


def well_conditioned(rng: np.random.Generator, m: int, n: int, kappa: float) -> np.ndarray:
    """An (m, n) matrix whose X^T X / m has eigenvalues spread over [1, kappa]."""
    U, _ = np.linalg.qr(rng.standard_normal((m, n)))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    s = np.sqrt(m * np.geomspace(1.0, kappa, n))
    return (U * s) @ V.T


problems = st.tuples(
    st.integers(min_value=0, max_value=2**32 - 1),  # seed
    st.integers(min_value=2, max_value=40),  # m
    st.integers(min_value=1, max_value=6),  # n
)


# ------------------------------------------------------------------------------------------------
# The Octave reference run
# ------------------------------------------------------------------------------------------------


def test_reference_run_matches_octave():
    theta, J = gradient_descent(X_REF, Y_REF, np.zeros(2), 0.01, 1000)
    np.testing.assert_allclose(theta, THETA_EXPECTED_4DP, rtol=0, atol=5e-5)
    assert J.shape == (1000,)
    assert J.dtype == np.float64


def test_reference_run_with_octave_column_shapes():
    theta, J = gradient_descent(X_REF, Y_REF.reshape(4, 1), np.zeros((2, 1)), 0.01, 1000)
    assert theta.shape == (2, 1)
    np.testing.assert_allclose(theta.ravel(), THETA_EXPECTED_4DP, rtol=0, atol=5e-5)
    assert J.shape == (1000,)


def test_reference_run_has_not_converged():
    theta, _ = gradient_descent(X_REF, Y_REF, np.zeros(2), 0.01, 1000)
    theta_star = least_squares(X_REF, Y_REF)
    np.testing.assert_allclose(theta_star, [9.25, -1.5], rtol=1e-12)  # solved by hand
    assert np.linalg.norm(theta - theta_star) > 1.0
    # the distance left is predicted by the slowest eigen-direction: e_k = (I - alpha A)^k e_0
    A = X_REF.T @ X_REF / 4
    e_k = np.linalg.matrix_power(np.eye(2) - 0.01 * A, 1000) @ (np.zeros(2) - theta_star)
    np.testing.assert_allclose(theta - theta_star, e_k, rtol=1e-10)


def test_reference_history_against_loop_reference():
    theta, J = gradient_descent(X_REF, Y_REF, [0, 0], 0.01, 200)
    theta_loop, J_loop = loop_gradient_descent(X_REF, Y_REF, [0, 0], 0.01, 200)
    np.testing.assert_allclose(theta, theta_loop, rtol=1e-12)
    np.testing.assert_allclose(J, J_loop, rtol=1e-12)
    # costs are not integers: an integer J_history would have truncated them
    assert np.any(np.floor(J) != J)


def test_history_entry_is_cost_after_each_step():
    path = gradient_descent_path(X_REF, Y_REF, [0, 0], 0.01, 5)
    _, J = gradient_descent(X_REF, Y_REF, [0, 0], 0.01, 5)
    expected = [compute_cost(X_REF, Y_REF, path[k + 1]) for k in range(5)]
    np.testing.assert_allclose(J, expected, rtol=1e-14)
    np.testing.assert_array_equal(path[0], [0.0, 0.0])


# ------------------------------------------------------------------------------------------------
# Cost, gradient and closed form against independent references
# ------------------------------------------------------------------------------------------------


def test_cost_of_reference_start():
    # J(0) = (1 + 36 + 16 + 4) / (2 * 4)
    assert compute_cost(X_REF, Y_REF, [0, 0]) == pytest.approx(57 / 8, rel=1e-15)
    assert isinstance(compute_cost(X_REF, Y_REF, [0, 0]), float)


@settings(max_examples=40, deadline=None)
@given(problems)
def test_gradient_matches_central_differences(problem):
    seed, m, n = problem
    rng = np.random.default_rng(seed)
    X, y, theta = rng.standard_normal((m, n)), rng.standard_normal(m), rng.standard_normal(n)
    result = gradcheck(
        lambda t: compute_cost(X, y, t), lambda t: cost_gradient(X, y, t), theta, atol=1e-6
    )
    assert result, result


@settings(max_examples=40, deadline=None)
@given(problems)
def test_cost_matches_explicit_sum(problem):
    seed, m, n = problem
    rng = np.random.default_rng(seed)
    X, y, theta = rng.standard_normal((m, n)), rng.standard_normal(m), rng.standard_normal(n)
    explicit = sum((float(X[i] @ theta) - y[i]) ** 2 for i in range(m)) / (2 * m)
    assert compute_cost(X, y, theta) == pytest.approx(explicit, rel=1e-12, abs=1e-14)


@settings(max_examples=40, deadline=None)
@given(problems)
def test_least_squares_solves_normal_equations(problem):
    seed, m, n = problem
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((m + n, n)), rng.standard_normal(m + n)  # tall: full column rank
    theta = least_squares(X, y)
    np.testing.assert_allclose(theta, np.linalg.solve(X.T @ X, X.T @ y), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(cost_gradient(X, y, theta), 0.0, atol=1e-10)


def test_least_squares_shape_follows_y():
    assert least_squares(X_REF, Y_REF).shape == (2,)
    assert least_squares(X_REF, Y_REF.reshape(4, 1)).shape == (2, 1)


def test_rank_deficient_descent_reaches_minimum_norm_solution():
    rng = np.random.default_rng(3)
    base = rng.standard_normal((30, 2))
    X = np.column_stack([base, base[:, 0] + base[:, 1]])  # rank 2, n = 3
    y = rng.standard_normal(30)
    theta_star = least_squares(X, y)
    np.testing.assert_allclose(theta_star, np.linalg.pinv(X) @ y, atol=1e-10)
    lam = hessian_eigenvalues(X)
    assert lam[0] == pytest.approx(0.0, abs=1e-12)
    theta, _ = gradient_descent(X, y, np.zeros(3), 1.0 / lam[-1], 5000)
    np.testing.assert_allclose(theta, theta_star, atol=1e-8)


# ------------------------------------------------------------------------------------------------
# Vectorized against loops, closed-form iterates
# ------------------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(problems, st.floats(min_value=0.05, max_value=0.95))
def test_vectorized_matches_loop_reference(problem, fraction):
    seed, m, n = problem
    rng = np.random.default_rng(seed)
    X, y, theta0 = rng.standard_normal((m, n)), rng.standard_normal(m), rng.standard_normal(n)
    alpha = fraction * max_stable_step(X)
    theta, J = gradient_descent(X, y, theta0, alpha, 25)
    theta_loop, J_loop = loop_gradient_descent(X, y, theta0, alpha, 25)
    np.testing.assert_allclose(theta, theta_loop, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(J, J_loop, rtol=1e-9, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(problems, st.floats(min_value=0.05, max_value=1.9), st.integers(0, 60))
def test_iterates_match_eigen_closed_form(problem, fraction, k):
    seed, m, n = problem
    rng = np.random.default_rng(seed)
    X, y, theta0 = rng.standard_normal((m, n)), rng.standard_normal(m), rng.standard_normal(n)
    lam, V = np.linalg.eigh(X.T @ X / m)  # dense eigendecomposition, an independent route
    alpha = fraction / lam[-1]
    # affine recursion theta_{k+1} = (I - alpha A) theta_k + alpha b, solved in the eigenbasis:
    # c_k = (1 - alpha lam)^k c_0 + alpha * sum_{j<k} (1 - alpha lam)^j * beta
    g = 1.0 - alpha * lam
    beta = V.T @ (X.T @ y / m)
    c0 = V.T @ theta0
    geometric = np.array([sum(gi**j for j in range(k)) for gi in g])
    expected = V @ (g**k * c0 + alpha * geometric * beta)
    path = gradient_descent_path(X, y, theta0, alpha, k)
    np.testing.assert_allclose(path[-1], expected, rtol=1e-7, atol=1e-9)


# ------------------------------------------------------------------------------------------------
# Properties of the iteration
# ------------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(problems, st.floats(min_value=0.01, max_value=0.999))
def test_history_non_increasing_below_max_stable_step(problem, fraction):
    seed, m, n = problem
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((m, n)) * rng.uniform(0.1, 10, n), rng.standard_normal(m)
    _, J = gradient_descent(X, y, rng.standard_normal(n), fraction * max_stable_step(X), 60)
    assert np.all(np.diff(J) <= 1e-12 * max(J[0], 1.0))


@settings(max_examples=30, deadline=None)
@given(problems, st.floats(min_value=1.0, max_value=100.0))
def test_descent_approaches_least_squares(problem, kappa):
    seed, m, n = problem
    rng = np.random.default_rng(seed)
    m = max(m, n)
    X = well_conditioned(rng, m, n, kappa)
    y = rng.standard_normal(m)
    lam = hessian_eigenvalues(X)
    alpha = 2.0 / (lam[0] + lam[-1])  # the best constant step: rho = (kappa - 1) / (kappa + 1)
    rho = contraction_factor(X, alpha)
    kappa = kappa if n > 1 else 1.0  # one feature: a single eigenvalue
    np.testing.assert_allclose(rho, (kappa - 1) / (kappa + 1), atol=1e-9)
    iters = math.ceil(math.log(1e-10) / math.log(rho)) if rho > 0 else 1
    theta, _ = gradient_descent(X, y, np.zeros(n), alpha, iters)
    theta_star = least_squares(X, y)
    err0 = np.linalg.norm(theta_star)
    assert np.linalg.norm(theta - theta_star) <= 1e-10 * err0 + 1e-12


@settings(max_examples=30, deadline=None)
@given(problems, st.floats(min_value=0.05, max_value=0.98))
def test_error_contracts_by_rho_per_step(problem, fraction):
    seed, m, n = problem
    rng = np.random.default_rng(seed)
    X, y, theta0 = rng.standard_normal((m, n)), rng.standard_normal(m), rng.standard_normal(n)
    alpha = fraction * max_stable_step(X)
    rho = contraction_factor(X, alpha)
    path = gradient_descent_path(X, y, theta0, alpha, 20)
    # every iterate differs from the next by (I - alpha A)^k applied to the first difference
    d = np.linalg.norm(np.diff(path, axis=0), axis=1)
    bound = rho ** np.arange(20) * d[0]
    assert np.all(d <= bound * (1 + 1e-9) + 1e-12)


def test_max_stable_step_is_the_threshold():
    alpha_max = max_stable_step(X_REF)
    lam = np.linalg.eigvalsh(X_REF.T @ X_REF / 4)
    assert alpha_max == pytest.approx(2 / lam[-1], rel=1e-12)
    theta_star = least_squares(X_REF, Y_REF)
    below = gradient_descent_path(X_REF, Y_REF, [0, 0], 0.99 * alpha_max, 2000)
    with pytest.warns(RuntimeWarning, match="does not converge"):
        above = gradient_descent_path(X_REF, Y_REF, [0, 0], 1.01 * alpha_max, 2000)
    assert np.linalg.norm(below[-1] - theta_star) < 1e-6 * np.linalg.norm(theta_star)
    assert np.linalg.norm(above[-1] - theta_star) > 1e6 * np.linalg.norm(theta_star)


def test_hessian_eigenvalues_against_dense_eig():
    rng = np.random.default_rng(7)
    for m, n in [(10, 3), (3, 5), (1, 1)]:
        X = rng.standard_normal((m, n))
        lam = hessian_eigenvalues(X)
        assert lam.shape == (n,)
        np.testing.assert_allclose(lam, np.linalg.eigvalsh(X.T @ X / m), atol=1e-12)
        assert np.all(np.diff(lam) >= 0)


def test_all_zero_design_has_unbounded_stable_step():
    assert max_stable_step(np.zeros((3, 2))) == math.inf


def test_iterations_to_converge_meets_the_bound_and_the_path():
    alpha = 1.0 / hessian_eigenvalues(X_REF)[-1]
    k = iterations_to_converge(X_REF, Y_REF, [0, 0], alpha, rtol=1e-6)
    rho = contraction_factor(X_REF, alpha)
    assert k <= math.ceil(math.log(1e-6) / math.log(rho))
    path = gradient_descent_path(X_REF, Y_REF, [0, 0], alpha, k)
    theta_star = least_squares(X_REF, Y_REF)
    err = np.linalg.norm(path - theta_star, axis=1)
    assert err[k] <= 1e-6 * err[0] < err[k - 1]


@pytest.mark.parametrize("fraction", [0.05, 0.3, 0.5, 0.9, 0.99])
def test_iteration_bound_is_the_closed_form_and_bounds_the_measurement(fraction):
    alpha = fraction * max_stable_step(X_REF)
    rho = contraction_factor(X_REF, alpha)
    bound = iteration_bound(X_REF, alpha, rtol=1e-6)
    assert bound == math.ceil(math.log(1e-6) / math.log(rho))
    assert iterations_to_converge(X_REF, Y_REF, [0, 0], alpha, rtol=1e-6) <= bound


def test_iteration_bound_refuses_rho_at_least_one():
    with pytest.raises(ValueError, match=r"alpha=0\.2 gives the contraction factor.*0\.108586"):
        iteration_bound(X_REF, 0.2)
    X_rank1 = np.column_stack([X_REF, X_REF[:, 1]])
    with pytest.raises(ValueError, match="full column rank"):
        iteration_bound(X_rank1, 0.01)
    X_s, _ = standardize_features(X_REF)
    assert iteration_bound(X_s, 1.0) == 1  # rho = 0: one step lands on theta*


def test_iterations_to_converge_zero_at_solution_and_fails_when_unstable():
    theta_star = least_squares(X_REF, Y_REF)
    assert iterations_to_converge(X_REF, Y_REF, theta_star, 0.01) == 0
    with pytest.raises(ConvergenceError, match=r"max_iters=300 .*max_stable_step\(X\) = 0\.108586"):
        iterations_to_converge(X_REF, Y_REF, [0, 0], 0.2, max_iters=300)
    with pytest.raises(ConvergenceError, match=r"alpha=0\.2 is too large.*0\.108586"):
        iterations_to_converge(X_REF, Y_REF, [0, 0], 0.2, max_iters=5000)


def test_feature_scaling_reduces_iterations():
    X_s, _ = standardize_features(X_REF)
    slow = iterations_to_converge(X_REF, Y_REF, [0, 0], 1.0 / hessian_eigenvalues(X_REF)[-1])
    fast = iterations_to_converge(X_s, Y_REF, [0, 0], 1.0 / hessian_eigenvalues(X_s)[-1])
    assert fast < slow / 100


# ------------------------------------------------------------------------------------------------
# Stopping rules
# ------------------------------------------------------------------------------------------------


def test_gradient_rule_stops_where_the_path_says():
    path = gradient_descent_path(X_REF, Y_REF, [0, 0], 0.01, 20_000)
    g_norms = np.array([np.linalg.norm(cost_gradient(X_REF, Y_REF, t)) for t in path])
    k_ref = int(np.argmax(g_norms <= 1e-6 * g_norms[0]))  # the first k with |g_k| <= tol |g_0|
    assert 0 < k_ref < 20_000
    theta, k = gradient_descent_until(X_REF, Y_REF, [0, 0], 0.01, rule="gradient", tol=1e-6)
    assert k == k_ref == 13_655
    np.testing.assert_allclose(theta, path[k], rtol=1e-12)


def test_cost_rule_stops_at_the_first_small_drop_of_the_history():
    tol = 1e-6
    theta, k = gradient_descent_until(X_REF, Y_REF, [0, 0], 0.01, rule="COST", tol=tol)
    _, J = gradient_descent(X_REF, Y_REF, [0, 0], 0.01, k + 10)
    J = np.concatenate([[compute_cost(X_REF, Y_REF, [0, 0])], J])  # J[k]: after k steps
    small = J[:-1] - J[1:] <= tol * J[1:]
    assert k == int(np.argmax(small)) + 1
    np.testing.assert_allclose(compute_cost(X_REF, Y_REF, theta), J[k], rtol=1e-12)
    # it stops long before the gradient rule, far from theta*
    assert k < gradient_descent_until(X_REF, Y_REF, [0, 0], 0.01, tol=tol)[1] / 2


@settings(max_examples=40, deadline=None)
@given(
    problems, st.floats(min_value=0.05, max_value=0.95), st.floats(min_value=1e-8, max_value=1e-2)
)
def test_gradient_rule_bounds_the_error_by_kappa_tol(problem, fraction, tol):
    seed, m, n = problem
    m = max(m, n)
    rng = np.random.default_rng(seed)
    X = well_conditioned(rng, m, n, 50.0)
    y = rng.standard_normal(m)
    theta0 = rng.standard_normal(n)
    lam = hessian_eigenvalues(X)
    theta, k = gradient_descent_until(X, y, theta0, fraction * max_stable_step(X), tol=tol)
    theta_star = least_squares(X, y)
    g0 = np.linalg.norm(cost_gradient(X, y, theta0))
    assert np.linalg.norm(cost_gradient(X, y, theta)) <= tol * g0
    if k:  # the first such k
        before = gradient_descent(X, y, theta0, fraction * max_stable_step(X), k - 1)[0]
        assert np.linalg.norm(cost_gradient(X, y, before)) > tol * g0 * (1 - 1e-9)
    e0 = np.linalg.norm(theta0 - theta_star)
    slack = 1e-9 * (1 + np.linalg.norm(theta_star))  # rounding in theta*
    assert np.linalg.norm(theta - theta_star) <= lam[-1] / lam[0] * tol * e0 + slack


def test_stopping_at_a_zero_gradient_takes_no_step_and_returns_a_copy():
    start = np.array([1.0, 2.0])
    theta, k = gradient_descent_until(X_REF, X_REF @ start, start, 0.01)  # an exact fit
    assert k == 0
    np.testing.assert_array_equal(theta, start)
    assert not np.shares_memory(theta, start)


def test_gradient_rule_started_at_the_computed_solution():
    # lstsq's theta*: g_0 is rounding, not zero, and the default atol = 0 sets no floor
    theta_star = least_squares(X_REF, Y_REF)
    assert 0 < np.linalg.norm(cost_gradient(X_REF, Y_REF, theta_star)) < 1e-13
    with pytest.raises(ConvergenceError, match=r"max_iters=300 steps .* the absolute floor atol"):
        gradient_descent_until(X_REF, Y_REF, theta_star, 0.01, max_iters=300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no step taken: no warning, even above the bound
        for alpha in (0.01, 0.5):
            theta, k = gradient_descent_until(X_REF, Y_REF, theta_star, alpha, atol=1e-12)
            assert k == 0  # stops at once, on the start itself
            np.testing.assert_array_equal(theta, theta_star)
    _, k = gradient_descent_until(X_REF, Y_REF, theta_star, 0.01, rule="cost")
    assert k == 1  # the cost rule compares two costs: one step


@pytest.mark.parametrize("rule", ["gradient", "cost"])
def test_stopping_rules_do_not_depend_on_the_chunk_size(rule, monkeypatch):
    import helpers.gradient_descent as module

    whole = gradient_descent_until(X_REF, Y_REF, [0, 0], 0.01, rule=rule, tol=1e-5)
    monkeypatch.setattr(module, "_UNTIL_CHUNK", 7)  # many chunk boundaries
    theta, k = gradient_descent_until(X_REF, Y_REF, [0, 0], 0.01, rule=rule, tol=1e-5)
    assert k == whole[1]
    np.testing.assert_array_equal(theta, whole[0])
    _, k_short = gradient_descent_until(X_REF, Y_REF, [0, 0], 0.05, rule=rule, tol=1e-3)
    assert (
        gradient_descent_until(X_REF, Y_REF, [0, 0], 0.05, rule=rule, tol=1e-3, max_iters=k_short)[
            1
        ]
        == k_short
    )
    with pytest.raises(ConvergenceError, match="steps are not enough"):
        gradient_descent_until(
            X_REF, Y_REF, [0, 0], 0.05, rule=rule, tol=1e-3, max_iters=k_short - 1
        )
    if rule == "gradient":  # steps are counted across chunks in the messages too
        with (
            pytest.warns(RuntimeWarning),
            pytest.raises(ConvergenceError, match="overflowed at iteration 169"),
        ):
            gradient_descent_until(X_REF, Y_REF, [0, 0], 0.5)


@pytest.mark.parametrize("rule", ["gradient", "cost"])
def test_stopping_rules_respect_max_iters_exactly(rule):
    _, k = gradient_descent_until(X_REF, Y_REF, [0, 0], 0.05, rule=rule, tol=1e-3)
    assert (
        gradient_descent_until(X_REF, Y_REF, [0, 0], 0.05, rule=rule, tol=1e-3, max_iters=k)[1] == k
    )
    with pytest.raises(
        ConvergenceError,
        match=rf"max_iters={k - 1} steps are not enough for the {rule} rule.*0\.108586",
    ):
        gradient_descent_until(X_REF, Y_REF, [0, 0], 0.05, rule=rule, tol=1e-3, max_iters=k - 1)


def test_stopping_rules_refuse_a_diverging_step():
    alpha = 1.01 * max_stable_step(X_REF)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # each run first warns; the errors are tested here
        # the cost rises at the first step: the cost rule must not take that for convergence
        rose = r"the cost rose at step 1 \(from 7\.125 to .*0\.108586"
        with pytest.raises(ConvergenceError, match=rose):
            gradient_descent_until(X_REF, Y_REF, [0, 0], alpha, rule="cost")
        # the gradient grows: the message blames the step, not the start (no hint at atol)
        grew = r"alpha=.* is too large: after max_iters=500 steps the gradient grew to .*0\.108586"
        with pytest.raises(ConvergenceError, match=grew) as info:
            gradient_descent_until(X_REF, Y_REF, [0, 0], alpha, max_iters=500)
        assert "atol" not in str(info.value)
        with pytest.raises(
            ConvergenceError, match=r"alpha=0\.109 is too large: .* grew to"
        ) as info:
            gradient_descent_until(X_REF, Y_REF, [0, 0], 0.109, max_iters=1000)
        assert "atol" not in str(info.value)
        with pytest.raises(ConvergenceError, match=r"alpha=0\.5 is too large.*0\.108586"):
            gradient_descent_until(X_REF, Y_REF, [0, 0], 0.5)


@pytest.mark.parametrize("rule", ["gradient", "cost"])
def test_stopping_rules_warn_when_they_stop_above_the_bound(rule):
    # an error along v_1 only: it shrinks at alpha = 1.004 alpha_max, and the rule stops, but
    # the iteration does not converge (any error along v_n would never shrink)
    theta_star = least_squares(X_REF, Y_REF)
    v_1 = np.linalg.eigh(X_REF.T @ X_REF / 4)[1][:, 0]
    start = theta_star + 1e-3 * v_1
    with pytest.warns(
        RuntimeWarning,
        match=rf"alpha=0\.109 is too large: .*where the {rule} rule "
        r"stops is no minimiser.*max_stable_step\(X\) = 0\.108586",
    ):
        _, k = gradient_descent_until(X_REF, Y_REF, start, 0.109, rule=rule, tol=1e-3)
    assert k >= 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # below the bound: no warning
        gradient_descent_until(X_REF, Y_REF, start, 0.108, rule=rule, tol=1e-3)


def test_no_stop_error_suggests_an_atol_that_stops():
    # 10 * ulp(max|theta|) / (2 alpha): the floor that theta's float64 grid sets, ten times over
    theta_star = least_squares(X_REF, Y_REF)
    for alpha, warm in [(0.01, theta_star), (0.1, theta_star + 1e-12)]:
        with pytest.raises(ConvergenceError, match=r"atol, about 10 \* ulp") as info:
            gradient_descent_until(X_REF, Y_REF, warm, alpha)
        suggested = float(str(info.value).rsplit("= ", 1)[1])
        np.testing.assert_allclose(suggested, 10 * np.spacing(9.25) / (2 * alpha), rtol=0.01)
        assert gradient_descent_until(X_REF, Y_REF, warm, alpha, atol=suggested)[1] < 100


def test_warm_start_needs_the_absolute_floor():
    theta_star = least_squares(X_REF, Y_REF)
    warm = theta_star + 1e-10  # a previous fit, reused
    # tol * |g_0| lies below the gradient's rounding floor: the relative rule alone never holds
    with pytest.raises(ConvergenceError, match=r"max_iters=2000 steps .* the absolute floor atol"):
        gradient_descent_until(X_REF, Y_REF, warm, 0.1, max_iters=2000)
    theta, k = gradient_descent_until(X_REF, Y_REF, warm, 0.1, atol=1e-8)
    assert k == 0  # |g_0| = 2.2e-9 is already below the floor
    np.testing.assert_array_equal(theta, warm)
    # a floor above tol * |g_0|: the run stops where the gradient crosses the floor
    start = theta_star + 1e-3
    theta, k = gradient_descent_until(X_REF, Y_REF, start, 0.1, atol=1e-5)
    path = gradient_descent_path(X_REF, Y_REF, start, 0.1, k)
    g_norms = np.linalg.norm((path @ X_REF.T - Y_REF) @ X_REF / 4, axis=1)
    assert 1e-6 * g_norms[0] < 1e-5 < g_norms[0]  # the floor, not the relative part, decides
    assert 0 < k < 10_000
    assert g_norms[k] <= 1e-5 < g_norms[k - 1]
    np.testing.assert_array_equal(theta, path[k])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"rule": "loss"},
            ValueError,
            r"rule must be one of gradient, cost \(any case\), got 'loss'",
        ),
        ({"rule": None}, TypeError, "rule must be one of gradient, cost"),
        ({"tol": 0.0}, ValueError, r"tol must be a real number in \(0, 1\)"),
        ({"tol": 1.0}, ValueError, r"tol must be a real number in \(0, 1\)"),
        ({"max_iters": 0}, ValueError, "max_iters must be an integer >= 1"),
        ({"atol": -1e-9}, ValueError, "atol must be a real number >= 0"),
    ],
)
def test_stopping_rule_options_are_checked(kwargs, error, match):
    with pytest.raises(error, match=match):
        gradient_descent_until(X_REF, Y_REF, THETA0, 0.01, **kwargs)


# ------------------------------------------------------------------------------------------------
# Shapes
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("y_shape", [(4,), (4, 1)])
@pytest.mark.parametrize("theta_shape", [(2,), (2, 1)])
def test_all_four_shape_combinations_agree(y_shape, theta_shape):
    # flat y with a column theta is the mix a naive port broadcasts to a (2, 4) "theta"
    y = Y_REF.reshape(y_shape)
    theta0 = np.array([0.5, -0.25]).reshape(theta_shape)
    theta, J = gradient_descent(X_REF, y, theta0, 0.05, 50)
    ref_theta, ref_J = gradient_descent(X_REF, Y_REF, [0.5, -0.25], 0.05, 50)
    assert theta.shape == theta_shape
    np.testing.assert_array_equal(theta.ravel(), ref_theta)
    np.testing.assert_array_equal(J, ref_J)
    assert compute_cost(X_REF, y, theta0) == compute_cost(X_REF, Y_REF, [0.5, -0.25])
    assert cost_gradient(X_REF, y, theta0).shape == theta_shape
    assert gradient_descent_path(X_REF, y, theta0, 0.05, 3).shape == (4, 2)
    theta_stop, steps = gradient_descent_until(X_REF, y, theta0, 0.05, tol=1e-3)
    assert theta_stop.shape == theta_shape
    assert steps == gradient_descent_until(X_REF, Y_REF, [0.5, -0.25], 0.05, tol=1e-3)[1]


def _layout(v: np.ndarray, layout: str) -> np.ndarray:
    return v.reshape(-1, 1) if layout == "column" else v


@settings(max_examples=40, deadline=None)
@given(problems, st.sampled_from(["flat", "column"]), st.sampled_from(["flat", "column"]))
def test_every_layout_of_y_and_theta_gives_the_flat_numbers(problem, y_layout, theta_layout):
    """The contract: y and theta flat or as columns, in any mix, give the numbers of flat/flat;
    parameter vectors come back in theta's layout (least_squares: in y's), never broadcast."""
    seed, m, n = problem
    m = max(m, n + 1)
    rng = np.random.default_rng(seed)
    X = well_conditioned(rng, m, n, 10.0)
    y_flat, t_flat = rng.standard_normal(m), rng.standard_normal(n)
    y, t = _layout(y_flat, y_layout), _layout(t_flat, theta_layout)
    alpha = 0.5 * max_stable_step(X)

    assert compute_cost(X, y, t) == compute_cost(X, y_flat, t_flat)
    g = cost_gradient(X, y, t)
    assert g.shape == t.shape
    np.testing.assert_array_equal(g.ravel(), cost_gradient(X, y_flat, t_flat))
    theta, J = gradient_descent(X, y, t, alpha, 7)
    theta_ref, J_ref = gradient_descent(X, y_flat, t_flat, alpha, 7)
    assert theta.shape == t.shape
    assert J.shape == (7,)
    np.testing.assert_array_equal(theta.ravel(), theta_ref)
    np.testing.assert_array_equal(J, J_ref)
    path = gradient_descent_path(X, y, t, alpha, 7)
    assert path.shape == (8, n)
    np.testing.assert_array_equal(path, gradient_descent_path(X, y_flat, t_flat, alpha, 7))
    for rule in ("gradient", "cost"):
        theta_stop, steps = gradient_descent_until(X, y, t, alpha, rule=rule, tol=1e-4)
        theta_stop_ref, steps_ref = gradient_descent_until(
            X, y_flat, t_flat, alpha, rule=rule, tol=1e-4
        )
        assert theta_stop.shape == t.shape
        assert steps == steps_ref
        np.testing.assert_array_equal(theta_stop.ravel(), theta_stop_ref)
    assert iterations_to_converge(X, y, t, alpha, rtol=1e-4) == iterations_to_converge(
        X, y_flat, t_flat, alpha, rtol=1e-4
    )
    ls = least_squares(X, y)
    assert ls.shape == ((n, 1) if y_layout == "column" else (n,))
    np.testing.assert_array_equal(ls.ravel(), least_squares(X, y_flat))


def test_column_y_never_broadcasts_to_m_by_m():
    y_col = Y_REF.reshape(4, 1).astype(float)
    theta = np.array([1.0, 0.5])
    # the trap: (4,) - (4, 1) broadcasts to (4, 4) and the sum of squares is of 16 numbers
    trap = X_REF @ theta - y_col
    assert trap.shape == (4, 4)
    assert compute_cost(X_REF, y_col, theta) != pytest.approx(np.sum(trap**2) / 8)
    r = X_REF @ theta - Y_REF
    assert compute_cost(X_REF, y_col, theta) == pytest.approx(r @ r / 8, rel=1e-15)


def test_single_feature_and_single_example():
    theta, J = gradient_descent([[2.0]], [4.0], [0.0], 0.1, 100)
    assert theta.shape == (1,)
    np.testing.assert_allclose(theta, [2.0], rtol=1e-8)
    assert J.shape == (100,)


def test_zero_iterations_returns_start_and_empty_history():
    theta, J = gradient_descent(X_REF, Y_REF, [[1], [2]], 0.01, 0)
    np.testing.assert_array_equal(theta, [[1.0], [2.0]])
    assert J.shape == (0,)
    assert J.dtype == np.float64


def test_inputs_are_not_modified_and_integer_theta_works():
    X, y, theta0 = X_REF.copy(), Y_REF.copy(), np.array([0, 0])
    theta, _ = gradient_descent(X, y, theta0, 0.01, 10)
    np.testing.assert_array_equal(theta0, [0, 0])
    np.testing.assert_array_equal(X, X_REF)
    np.testing.assert_array_equal(y, Y_REF)
    assert theta.dtype == np.float64
    assert not np.shares_memory(theta, theta0)


def test_divergence_raises_instead_of_returning_nan():
    too_large = r"alpha=10\.0 is too large.*max_stable_step\(X\) = 0\.108586"
    with (  # the warning comes before the first step, the error at the overflow
        pytest.warns(RuntimeWarning, match="does not converge"),
        pytest.raises(ConvergenceError, match=too_large),
    ):
        gradient_descent(X_REF, Y_REF, [0, 0], 10.0, 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ConvergenceError, match="diverged"):
            gradient_descent_path(X_REF, Y_REF, [0, 0], 10.0, 1000)


def test_convergence_error_carries_the_loop_state():
    # overflow: .k is the step whose cost overflowed, .theta the iterate after it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ConvergenceError, match="overflowed at iteration 169") as info:
            gradient_descent(X_REF, Y_REF, [0, 0], 0.5, 1000)
        path = gradient_descent_path(X_REF, Y_REF, [0, 0], 0.5, 168)
    err = info.value
    assert isinstance(err, RuntimeError)
    assert not isinstance(err, ValueError)
    assert err.k == 169
    assert err.theta.shape == (2,)
    assert err.theta.dtype == np.float64
    theta = path[-1].copy()  # a plain loop, one more step
    theta -= 0.5 / 4 * X_REF.T @ (X_REF @ theta - Y_REF)
    np.testing.assert_allclose(err.theta, theta, rtol=1e-12)
    # too few steps: .theta is where the run stopped, .k = max_iters
    with pytest.raises(ConvergenceError, match="max_iters=50 steps are not enough") as info:
        gradient_descent_until(X_REF, Y_REF, [0, 0], 0.05, max_iters=50)
    assert info.value.k == 50
    np.testing.assert_array_equal(
        info.value.theta, gradient_descent(X_REF, Y_REF, [0, 0], 0.05, 50)[0]
    )
    with pytest.raises(ConvergenceError, match="steps are not enough") as info:
        iterations_to_converge(X_REF, Y_REF, [0, 0], 0.05, max_iters=50)
    assert info.value.k == 50
    np.testing.assert_array_equal(
        info.value.theta, gradient_descent(X_REF, Y_REF, [0, 0], 0.05, 50)[0]
    )
    # bad input is still a ValueError, before any step
    for bad, match in [
        (lambda: gradient_descent(X_REF, Y_REF, [0, 0], -1, 10), "alpha must be"),
        (lambda: gradient_descent_until(X_REF, Y_REF, [0, 0], 0.05, tol=2), "tol must be"),
        (lambda: iterations_to_converge(X_REF, Y_REF, [0, 0, 0], 0.05), "theta"),
    ]:
        with pytest.raises(ValueError, match=match):
            bad()


def test_the_step_warning_comes_before_the_first_step():
    # the warning depends on X and alpha only: it is given even when no step is taken and when
    # the run then overflows, and before the overflow's error
    events = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for num_iters in (0, 1):
            gradient_descent(X_REF, Y_REF, [0, 0], 0.5, num_iters)
        assert [w.category for w in caught] == [RuntimeWarning] * 2
        try:
            gradient_descent(X_REF, Y_REF, [0, 0], 0.5, 1000)
        except ConvergenceError:
            events.append(len(caught))  # the warning is already recorded when the error comes
        with pytest.raises(ConvergenceError):
            gradient_descent_until(X_REF, Y_REF, [0, 0], 0.5, max_iters=1)
    assert events == [3]
    assert [w.category for w in caught] == [RuntimeWarning] * 4


def test_mild_divergence_warns_and_is_visible_in_the_history():
    alpha = 1.01 * max_stable_step(X_REF)
    with pytest.warns(RuntimeWarning, match=r"not converge.*max_stable_step\(X\) = 0\.108586"):
        _, J = gradient_descent(X_REF, Y_REF, [0, 0], alpha, 1500)
    assert J[-1] > 1e3 * J[0]
    with pytest.warns(RuntimeWarning, match=r"alpha=0\.11 is too large"):
        _, J = gradient_descent(X_REF, Y_REF, [0, 0], 0.11, 1000)
    assert J[-1] > 1e3 * 7.125


@pytest.mark.parametrize("num_iters", [0, 10, 100])
def test_warns_at_any_step_at_or_above_the_bound_even_while_the_cost_falls(num_iters):
    alpha = 1.001 * max_stable_step(X_REF)
    message = (
        r"alpha=0\.108695 is too large: gradient descent does not converge .*"
        r"it converges only for alpha < max_stable_step\(X\) = 0\.108586"
    )
    with pytest.warns(RuntimeWarning, match=message):
        _, J = gradient_descent(X_REF, Y_REF, [0, 0], alpha, num_iters)
    assert num_iters == 0 or J[-1] < 7.125  # the cost has not risen yet: no silent answer
    with pytest.warns(RuntimeWarning, match=message):
        gradient_descent_path(X_REF, Y_REF, [0, 0], alpha, num_iters)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradient_descent(X_REF, Y_REF, [0, 0], 0.999 * max_stable_step(X_REF), num_iters)


def test_no_warning_when_converging_or_when_rounding_lifts_the_cost_at_the_optimum():
    theta_star = least_squares(X_REF, Y_REF)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradient_descent(X_REF, Y_REF, [0, 0], 0.99 * max_stable_step(X_REF), 1500)
        gradient_descent(X_REF, X_REF @ theta_star, theta_star, 0.1, 100)  # J* = 0: rounding


def _forbid_gram(monkeypatch):
    """Make the O(m n^2) path of the step check fail loudly; return the call counter."""
    import helpers.gradient_descent as gd

    calls = []

    def no_gram(*args):
        calls.append(args)
        raise AssertionError("the step check formed X^T X")

    monkeypatch.setattr(gd, "_stable_step_from_gram", no_gram)
    return calls


def _top_clustered(rng, m, n, spread):
    """(m, n) with the singular values of X / sqrt(m) in [1, 1 + spread]: hard for Lanczos."""
    U, _ = np.linalg.qr(rng.standard_normal((m, n)))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (U * np.sqrt(m) * np.linspace(1, 1 + spread, n)) @ V.T


@pytest.mark.parametrize("n", [2, 10, 64, 65, 150])
def test_a_step_below_two_over_the_trace_needs_no_gram_matrix(monkeypatch, n):
    rng = np.random.default_rng(n)
    X = rng.standard_normal((300, n))
    y = rng.standard_normal(300)
    alpha = 0.999 * 2 / (np.sum(X**2) / 300)  # below 2 / tr A: stable, proven in O(mn)
    calls = _forbid_gram(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradient_descent(X, y, np.zeros(n), alpha, 3)
    assert calls == []


@pytest.mark.parametrize(
    "make",
    [lambda rng: rng.standard_normal((400, 300)), lambda rng: _top_clustered(rng, 400, 300, 0.01)],
)
def test_a_wide_x_step_well_below_the_bound_needs_no_gram_matrix(monkeypatch, make):
    import helpers.gradient_descent as gd

    X = make(np.random.default_rng(3))
    assert gd._lanczos_is_cheaper(*X.shape)  # 300 (1 + 600 / 400) > 420
    y = np.ones(400)
    bound = max_stable_step(X)
    assert 0.9 * bound >= 2 / (np.sum(X**2) / 400)  # the trace alone does not prove it
    calls = _forbid_gram(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradient_descent(X, y, np.zeros(300), 0.9 * bound, 3)  # Lanczos estimate suffices
    assert calls == []


@pytest.mark.parametrize(
    ("m", "n", "lanczos"),
    [
        (10, 64, False),
        (20000, 100, False),
        (20000, 300, False),
        (20000, 1000, True),
        (1000, 300, True),
        (300, 300, True),
        (2000, 100, False),
        (500, 65, False),
    ],
)
def test_the_step_check_uses_lanczos_only_where_it_is_cheaper_than_the_gram_matrix(m, n, lanczos):
    import helpers.gradient_descent as gd

    # 1 thread, measured: (20000, 300) Lanczos 77 ms vs Gram 40 ms; (1000, 300) 1.4 vs 4.4 ms;
    # (20000, 1000) 225 vs 405 ms; (300, 300) 0.6 vs 2.8 ms; (2000, 100) 1.2 vs 0.8 ms
    assert gd._lanczos_is_cheaper(m, n) == lanczos


def _forbid_lanczos(monkeypatch):
    import helpers.gradient_descent as gd

    def no_lanczos(*args):
        raise AssertionError("the step check ran Lanczos")

    monkeypatch.setattr(gd, "_lanczos_top_eigenvalue", no_lanczos)


def _with_spectrum(rng, m, n, kappa):
    """(m, n) with the eigenvalues of X^T X / m spread geometrically over [1, kappa]."""
    U, _ = np.linalg.qr(rng.standard_normal((m, n)))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (U * np.sqrt(m * np.geomspace(1, kappa, n))) @ V.T


@pytest.mark.parametrize(("m", "n"), [(200, 65), (1000, 150), (2000, 300)])
@pytest.mark.parametrize("kappa", [20.0, 1e3])
def test_at_alpha_star_with_kappa_at_least_20_no_lanczos_runs(monkeypatch, m, n, kappa):
    import helpers.gradient_descent as gd

    # alpha* = 2 / (lam_1 + lam_n) >= 2 / (1.05 lam_n) when kappa >= 20: no estimate accepts it,
    # and for these tall X the Gram matrix is the cheaper route anyway
    X = _with_spectrum(np.random.default_rng(n), m, n, kappa)
    lam = np.linalg.svd(X, compute_uv=False) ** 2 / m
    assert lam[0] / lam[-1] >= 0.999 * 20  # lam: descending
    assert not gd._lanczos_is_cheaper(m, n)
    _forbid_lanczos(monkeypatch)
    assert gd._unstable_step_bound(X, 2 / (lam[0] + lam[-1])) is None  # stable, from X^T X
    assert gd._unstable_step_bound(X, 1.01 * 2 / lam[0]) == pytest.approx(2 / lam[0], rel=1e-12)


def _intercept_correlated(rng, m, n):
    """An intercept and n - 1 features sharing one common factor: kappa in the thousands."""
    Z = rng.standard_normal((m, n))
    return np.column_stack([np.ones(m), 0.5 * Z[:, 1:] + Z[:, :1]])


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: np.column_stack(
            [100 * rng.standard_normal(300), rng.standard_normal((300, 299))]
        ),
        lambda rng: _intercept_correlated(rng, 300, 300),
    ],
)
def test_wide_x_at_alpha_star_skips_lanczos_when_a_cheap_lower_bound_rejects(monkeypatch, make):
    import helpers.gradient_descent as gd

    X = make(np.random.default_rng(5))  # one dominant column (A_00 ~ 1e4), or correlated
    lam = np.linalg.svd(X, compute_uv=False) ** 2 / 300  # descending
    alpha = 2 / (lam[0] + lam[-1])
    assert gd._lanczos_is_cheaper(300, 300)
    assert lam[0] / lam[-1] >= 20
    assert 1.05 * alpha * gd._cheap_lower_bound(X) >= 2  # no estimate below lam_max accepts
    _forbid_lanczos(monkeypatch)
    assert gd._unstable_step_bound(X, alpha) is None
    assert gd._unstable_step_bound(X, 1.01 * 2 / lam[0]) == pytest.approx(2 / lam[0], rel=1e-12)


@functools.cache
def _spectrum_case(m, n, kappa):
    X = _with_spectrum(np.random.default_rng(10 * n + int(kappa)), m, n, kappa)
    return X, np.linalg.svd(X, compute_uv=False) ** 2 / m  # descending; not the check's eigvalsh


@pytest.mark.parametrize(("m", "n"), [(50, 3), (200, 65), (1000, 150), (400, 300)])
@pytest.mark.parametrize("kappa", [1.5, 20.0, 1e4])
@pytest.mark.parametrize("factor", [0.3, 0.99, 1.01, "alpha*"])
def test_the_step_check_agrees_with_the_dense_eigenvalue(m, n, kappa, factor):
    import helpers.gradient_descent as gd

    X, lam = _spectrum_case(m, n, kappa)
    alpha = 2 / (lam[0] + lam[-1]) if factor == "alpha*" else factor * 2 / lam[0]
    assert gd._cheap_lower_bound(X) <= lam[0] * (1 + 1e-12)
    bound = gd._unstable_step_bound(X, alpha)
    if alpha < 2 / lam[0]:
        assert bound is None
    else:
        assert bound == pytest.approx(2 / lam[0], rel=1e-12)


@pytest.mark.parametrize("n", [3, 10, 65])
def test_check_step_false_forms_no_gram_matrix_and_changes_no_result(monkeypatch, n):
    import helpers.gradient_descent as gd

    rng = np.random.default_rng(n)
    X = rng.standard_normal((200, n)) + 1.0
    y = rng.standard_normal(200)
    lam = hessian_eigenvalues(X)
    alpha = 2 / (lam[0] + lam[-1])  # alpha*: above 2 / tr A for n >= 3
    calls = {
        "gradient_descent": lambda **kw: gradient_descent(X, y, np.zeros(n), alpha, 5, **kw),
        "gradient_descent_path": lambda **kw: gradient_descent_path(
            X, y, np.zeros(n), alpha, 5, **kw
        ),
        "gradient_descent_until": lambda **kw: gradient_descent_until(
            X, y, np.zeros(n), alpha, tol=1e-2, **kw
        ),
    }
    real_gram, formed = gd._stable_step_from_gram, []

    def counting_gram(*args):
        formed.append(args)
        return real_gram(*args)

    for name, call in calls.items():
        formed.clear()
        monkeypatch.setattr(gd, "_stable_step_from_gram", counting_gram)
        checked = call()
        assert formed, f"{name}: the default check should form X^T X at alpha*"
        forbidden = _forbid_gram(monkeypatch)
        unchecked = call(check_step=False)
        assert forbidden == []
        if not isinstance(checked, tuple):  # the path: one array
            checked, unchecked = (checked,), (unchecked,)
        for a, b in zip(checked, unchecked, strict=True):
            np.testing.assert_array_equal(a, b)  # bit-identical


def test_check_step_false_gives_no_warning_but_a_failed_run_still_names_the_bound():
    alpha = 2 * max_stable_step(X_REF)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradient_descent(X_REF, Y_REF, [0, 0], alpha, 10, check_step=False)
        gradient_descent_path(X_REF, Y_REF, [0, 0], alpha, 10, check_step=False)
    with pytest.raises(ConvergenceError, match=r"alpha=.* is too large: after max_iters=5 steps"):
        gradient_descent_until(X_REF, Y_REF, [0, 0], alpha, max_iters=5, check_step=False)


@pytest.mark.parametrize("bad", [1, 0, 1.0, "yes", None, np.array([True])])
def test_check_step_must_be_a_bool(bad):
    message = r"^check_step must be True or False, got "
    with pytest.raises(TypeError, match=message):
        gradient_descent(X_REF, Y_REF, [0, 0], 0.01, 3, check_step=bad)
    with pytest.raises(TypeError, match=message):
        gradient_descent_path(X_REF, Y_REF, [0, 0], 0.01, 3, check_step=bad)
    with pytest.raises(TypeError, match=message):
        gradient_descent_until(X_REF, Y_REF, [0, 0], 0.01, check_step=bad)
    gradient_descent(X_REF, Y_REF, [0, 0], 0.01, 3, check_step=np.bool_(False))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n", [3, 64, 65, 120])
def test_the_warning_holds_on_both_sides_of_the_bound_for_small_and_large_n(seed, n):
    rng = np.random.default_rng(seed)
    m = 2 * n + 50
    X = _top_clustered(rng, m, n, 0.02) if seed % 2 else rng.standard_normal((m, n)) + 1.0
    y = rng.standard_normal(m)
    bound = max_stable_step(X)
    for factor in (1.001, 1.03, 2.0):
        with pytest.warns(RuntimeWarning, match="is too large"):
            gradient_descent(X, y, np.zeros(n), factor * bound, 2)
    for factor in (0.999, 0.97, 0.5):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            gradient_descent(X, y, np.zeros(n), factor * bound, 2)


# ------------------------------------------------------------------------------------------------
# Feature scaling
# ------------------------------------------------------------------------------------------------


def test_standardized_reference_matrix_is_perfectly_conditioned():
    X_s, scaling = standardize_features(X_REF)
    np.testing.assert_allclose(X_s.T @ X_s / 4, np.eye(2), atol=1e-12)
    assert isinstance(scaling, FeatureScaling)
    assert scaling.intercept == 0
    np.testing.assert_allclose(scaling.apply(X_REF), X_s)


@settings(max_examples=40, deadline=None)
@given(problems, st.sampled_from([1e-200, 1e-3, 1.0, 1e5, 1e200]), st.booleans())
def test_standardize_matches_the_plain_formula(problem, scale, fortran):
    # (X - mean) / std column by column, written out, on data where the plain formula is safe
    seed, m, n = problem
    rng = np.random.default_rng(seed)
    F = rng.normal(rng.uniform(-50, 50, n), rng.uniform(0.1, 100, n), size=(m + 2, n))
    X = np.column_stack([np.full(m + 2, 3.0), F]) * scale  # scaled only after the reference
    X = np.asfortranarray(X) if fortran else X
    X_s, scaling = standardize_features(X)
    mu, sd = F.mean(axis=0), F.std(axis=0)
    # rounding: a few eps per entry, relative to the column's spread
    np.testing.assert_allclose(X_s[:, 1:], (F - mu) / sd, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(X_s[:, 0], 1.0)
    np.testing.assert_allclose(scaling.mu, np.r_[0.0, mu * scale], rtol=1e-12, atol=0)
    np.testing.assert_allclose(scaling.sigma, np.r_[3.0, sd] * scale, rtol=1e-12)
    assert X_s.flags.c_contiguous
    assert not np.shares_memory(X_s, X)


@settings(max_examples=40, deadline=None)
@given(problems, st.floats(min_value=-5.0, max_value=5.0))
def test_unscaled_parameters_give_the_same_predictions(problem, intercept_value):
    seed, m, n = problem
    if abs(intercept_value) < 0.1:
        intercept_value = 1.0
    rng = np.random.default_rng(seed)
    features = rng.normal(rng.uniform(-50, 50, n), rng.uniform(0.1, 100, n), size=(m + 2, n))
    X = np.column_stack([features[:, :1], np.full(m + 2, intercept_value), features[:, 1:]])
    X_s, scaling = standardize_features(X)
    assert scaling.intercept == 1
    np.testing.assert_allclose(X_s[:, 1], 1.0)
    theta_s = rng.standard_normal(n + 1)
    theta = scaling.unscale_theta(theta_s)
    np.testing.assert_allclose(X @ theta, X_s @ theta_s, rtol=1e-9, atol=1e-9)
    assert scaling.unscale_theta(theta_s.reshape(-1, 1)).shape == (n + 1, 1)


def test_descent_on_scaled_features_recovers_least_squares():
    rng = np.random.default_rng(11)
    X = np.column_stack([np.ones(100), rng.normal(50, 10, 100), rng.normal(3, 1, 100)])
    y = X @ [2.0, 0.3, -1.0] + 0.1 * rng.standard_normal(100)
    X_s, scaling = standardize_features(X)
    theta_s, _ = gradient_descent(X_s, y, np.zeros(3), 1.0 / hessian_eigenvalues(X_s)[-1], 300)
    np.testing.assert_allclose(scaling.unscale_theta(theta_s), least_squares(X, y), rtol=1e-9)


@pytest.mark.parametrize(
    ("extra", "columns"),
    [
        ([2.0], "[0, 2]"),
        ([1.0], "[0, 2]"),
        ([-3.0, 5.0], "[0, 2, 3]"),
    ],
)
def test_standardize_refuses_a_second_constant_column(extra, columns):
    # scaled, every constant column would become the same column of ones: X_s rank-deficient
    X = np.column_stack([X_REF] + [np.full(4, c) for c in extra])
    with pytest.raises(
        ValueError, match=rf"shape \(4, {X.shape[1]}\) has constant columns " + re.escape(columns)
    ):
        standardize_features(X)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 3),
    st.floats(-1e6, 1e6, allow_nan=False).filter(lambda c: c != 0),
    st.integers(0, 2**32 - 1),
)
def test_standardize_refuses_any_placed_constant_column(position, constant, seed):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(6), rng.normal(size=(6, 2))])
    X = np.insert(X, position, constant, axis=1)  # a second constant column, anywhere
    expected = sorted({0 if position > 0 else 1, position})
    with pytest.raises(ValueError, match=re.escape(f"has constant columns {expected}")):
        standardize_features(X)


def test_standardize_requires_an_intercept_column():
    with pytest.raises(ValueError, match=r"shape \(4, 1\) has no constant non-zero"):
        standardize_features(X_REF[:, 1:])
    with pytest.raises(ValueError, match=r"all-zero columns \[2\]"):
        standardize_features(np.column_stack([X_REF, np.zeros(4)]))
    _, scaling = standardize_features(X_REF)
    with pytest.raises(ValueError, match=r"2 columns.*shape \(4, 3\)"):
        scaling.apply(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"theta_scaled must have shape \(2,\) or \(2, 1\)"):
        scaling.unscale_theta(np.zeros(3))


# ------------------------------------------------------------------------------------------------
# Bad inputs
# ------------------------------------------------------------------------------------------------

THETA0 = np.zeros(2)


@pytest.mark.parametrize(
    ("X", "y", "theta", "match"),
    [
        (
            X_REF,
            Y_REF.reshape(1, 4),
            THETA0,
            r"y must have shape \(4,\) or \(4, 1\).*\(4, 2\).*\(1, 4\)",
        ),
        (X_REF, Y_REF[:3], THETA0, r"y must have shape \(4,\).*got y of shape \(3,\)"),
        (X_REF, np.ones((4, 2)), THETA0, r"got y of shape \(4, 2\)"),
        (X_REF, Y_REF, np.zeros(3), r"theta must have shape \(2,\) or \(2, 1\).*\(4, 2\).*\(3,\)"),
        (X_REF, Y_REF, np.zeros((1, 2)), r"got theta of shape \(1, 2\)"),
        (X_REF, Y_REF, np.zeros((2, 2)), r"got theta of shape \(2, 2\)"),
        (X_REF[:, 1], Y_REF, THETA0, r"X must be 2-D .* got shape \(4,\)"),
        (X_REF[None], Y_REF, THETA0, r"X must be 2-D .* got shape \(1, 4, 2\)"),
        (np.zeros((0, 2)), np.zeros(0), THETA0, r"X must not be empty, got shape \(0, 2\)"),
        (X_REF, Y_REF, np.zeros(0), r"theta must not be empty"),
        (np.where(X_REF == 2, np.nan, X_REF), Y_REF, THETA0, r"X must be finite.*\(4, 2\)"),
        (X_REF, [1.0, np.inf, 4.0, 2.0], THETA0, r"y must be finite.*\(4,\)"),
        (X_REF, Y_REF, [np.nan, 0.0], r"theta must be finite.*\(2,\)"),
    ],
)
def test_bad_shapes_and_values_raise_value_error(X, y, theta, match):
    for call in (
        lambda: compute_cost(X, y, theta),
        lambda: cost_gradient(X, y, theta),
        lambda: gradient_descent(X, y, theta, 0.01, 10),
        lambda: gradient_descent_path(X, y, theta, 0.01, 10),
        lambda: iterations_to_converge(X, y, theta, 0.01),
        lambda: gradient_descent_until(X, y, theta, 0.01),
    ):
        with pytest.raises(ValueError, match=match):
            call()


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (X_REF.astype(str), r"X must be a real numeric .* dtype <U21"),
        (X_REF.astype(complex), r"X must be a real numeric .* dtype complex128"),
        (X_REF.astype(object), r"X must be a real numeric .* dtype object"),
        (X_REF > 2, r"X must be a real numeric .* dtype bool"),
    ],
)
def test_non_numeric_design_raises_type_error(X, match):
    with pytest.raises(TypeError, match=match):
        gradient_descent(X, Y_REF, THETA0, 0.01, 10)
    with pytest.raises(TypeError, match=match):
        max_stable_step(X)
    with pytest.raises(TypeError, match=match):
        least_squares(X, Y_REF)


def test_non_numeric_targets_raise_type_error():
    with pytest.raises(TypeError, match=r"y must be a real numeric .* dtype <U1"):
        compute_cost(X_REF, list("abcd"), THETA0)


@pytest.mark.parametrize(
    ("alpha", "error", "match"),
    [
        (0.0, ValueError, r"alpha must be a real number > 0, got 0\.0"),
        (-0.01, ValueError, r"alpha must be a real number > 0, got -0\.01"),
        (math.nan, ValueError, "alpha must be a real number > 0, got nan"),
        (math.inf, ValueError, "alpha must be a real number > 0, got inf"),
        ("0.01", TypeError, "alpha must be a real number > 0, got str '0.01'"),
        (True, TypeError, "alpha must be a real number > 0, got bool True"),
        (np.array([0.01]), TypeError, "alpha must be a real number > 0, got ndarray"),
    ],
)
def test_bad_alpha(alpha, error, match):
    with pytest.raises(error, match=match):
        gradient_descent(X_REF, Y_REF, THETA0, alpha, 10)
    with pytest.raises(error, match=match):
        contraction_factor(X_REF, alpha)


@pytest.mark.parametrize(
    ("num_iters", "error", "match"),
    [
        (-1, ValueError, "num_iters must be an integer >= 0, got -1"),
        (10.0, TypeError, "num_iters must be an integer >= 0, got float 10.0"),
        (True, TypeError, "num_iters must be an integer >= 0, got bool True"),
    ],
)
def test_bad_num_iters(num_iters, error, match):
    with pytest.raises(error, match=match):
        gradient_descent(X_REF, Y_REF, THETA0, 0.01, num_iters)


def test_numpy_scalars_are_accepted():
    theta, J = gradient_descent(X_REF, Y_REF, THETA0, np.float32(0.01), np.int64(3))
    assert J.shape == (3,)
    assert theta.shape == (2,)


@pytest.mark.parametrize("rtol", [0.0, 1.0, -1e-3, math.nan])
def test_bad_rtol(rtol):
    with pytest.raises(ValueError, match=r"rtol must be a real number in \(0, 1\)"):
        iterations_to_converge(X_REF, Y_REF, THETA0, 0.01, rtol=rtol)


def test_iterations_to_converge_respects_max_iters_exactly():
    alpha = 1.0 / hessian_eigenvalues(X_REF)[-1]
    k = iterations_to_converge(X_REF, Y_REF, [0, 0], alpha, rtol=1e-3)
    assert iterations_to_converge(X_REF, Y_REF, [0, 0], alpha, rtol=1e-3, max_iters=k) == k
    with pytest.raises(ConvergenceError, match=f"max_iters={k - 1} steps are not enough"):
        iterations_to_converge(X_REF, Y_REF, [0, 0], alpha, rtol=1e-3, max_iters=k - 1)


def test_docstring_examples():
    import doctest

    import helpers.gradient_descent as module

    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 4
    assert result.failed == 0


def test_bench_problem_matches_the_benchmarks_draws():
    """The same draws, in the same order, as written out by hand; both kinds; refusals."""
    for kind in ("independent", "correlated"):
        X, y = bench_problem(kind, 50, np.random.default_rng(7))
        g = np.random.default_rng(7)
        if kind == "independent":
            F = g.standard_normal((50, 9))
        else:
            F = g.standard_normal((50, 3)) @ g.standard_normal((3, 9))
            F = F + 0.5 * g.standard_normal((50, 9))
        F = F * np.geomspace(0.1, 1000, 9) + g.uniform(-100, 100, 9)
        X_ref = np.column_stack([np.ones(50), F])
        np.testing.assert_array_equal(X, X_ref)
        np.testing.assert_array_equal(y, X_ref @ g.standard_normal(10) + g.standard_normal(50))
    # correlated features: a standardized kappa far above the independent one's
    kappas = []
    for kind in ("independent", "correlated"):
        X_s, _ = standardize_features(bench_problem(kind, 2000, 3)[0])
        lam = hessian_eigenvalues(X_s)
        kappas.append(lam[-1] / lam[0])
    assert kappas[0] < 2 < 100 < kappas[1]
    with pytest.raises(ValueError, match="kind"):
        bench_problem("sparse", 50, 0)
    with pytest.raises(ValueError, match="m"):
        bench_problem("independent", 5, 0)
    with pytest.raises(TypeError, match="rng"):
        bench_problem("independent", 50, 1.5)
