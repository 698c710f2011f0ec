"""Tests of helpers.global_opt: the Ackley function, its gradient, and de_then_polish."""

from __future__ import annotations

import functools
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.optimize import (
    Bounds,
    LinearConstraint,
    NonlinearConstraint,
    OptimizeResult,
    minimize,
    minimize_scalar,
)

from helpers import gradcheck
from helpers.global_opt import (
    FEASIBILITY_ATOL,
    TRADE_LIMIT,
    ackley,
    ackley_gradient,
    ackley_textbook,
    as_constraint_list,
    band,
    cobyla_from_spread,
    constraint_violation,
    de_then_polish,
    polish_acceptance,
)

finite = st.floats(-30.0, 30.0, allow_nan=False, allow_infinity=False)


def columns(max_d: int = 10, max_s: int = 8):
    """(d, S) float arrays of moderate values."""
    shapes = st.tuples(st.integers(1, max_d), st.integers(1, max_s))
    return hnp.arrays(np.float64, shapes, elements=finite)


def sum_at_least_one(d: int) -> NonlinearConstraint:
    """sum(x) >= 1, written for both (d,) -> (1,) and (d, S) -> (1, S)."""
    return NonlinearConstraint(lambda x: np.sum(x, axis=0, keepdims=True), 1.0, np.inf)


# ---------------------------------------------------------------------------------------------
# ackley
# ---------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(columns())
def test_ackley_columns_match_points_bit_for_bit(x):
    values = ackley(x)
    assert values.shape == (x.shape[1],)
    per_point = np.array([ackley(x[:, j]) for j in range(x.shape[1])])
    np.testing.assert_array_equal(values, per_point)
    # Fortran order (what vectorized DE passes) gives the same bits too
    np.testing.assert_array_equal(ackley(np.asfortranarray(x)), values)


@settings(max_examples=60, deadline=None)
@given(columns())
def test_ackley_matches_textbook_formula(x):
    # two different formulas of the same function: the textbook one loses ~1e-15 absolutely
    np.testing.assert_allclose(ackley(x), ackley_textbook(x), rtol=0, atol=1e-13)
    assert np.all(ackley(x) >= 0.0)


@pytest.mark.parametrize("d", [1, 2, 4, 9])
def test_ackley_closed_forms(d):
    assert ackley(np.zeros(d)) == 0.0  # exact, no cancellation
    assert ackley_textbook(np.zeros(d)) < 0.0  # the textbook form rounds to -4.4e-16
    # at a unit vector sin(pi) ~ 1e-16 adds only ~1e-32: f = 20 (1 - exp(-0.2 / sqrt(d)))
    np.testing.assert_allclose(
        ackley(np.eye(d)[0]), 20 * (1 - np.exp(-0.2 / np.sqrt(d))), rtol=1e-14
    )
    # at x = t 1 with t = 1/2: r = 1/2, sin^2(pi/2) = 1 -> f = 20 (1 - e^-0.1) + e (1 - e^-2)
    np.testing.assert_allclose(
        ackley(np.full(d, 0.5)), 20 * (1 - np.exp(-0.1)) + np.e * (1 - np.exp(-2.0)), rtol=1e-14
    )


@pytest.mark.parametrize("d", [1, 4, 16])
def test_ackley_is_accurate_near_the_kink(d):
    # f(t e_1) = 20 (1 - exp(-0.2 t / sqrt d)) + O(t^2) -> 4 t / sqrt(d) to full relative accuracy
    t = np.logspace(-300, -12, 30)  # the cosine term adds 13 t / 4 relatively
    x = np.zeros((d, t.size))
    x[0] = t
    np.testing.assert_allclose(ackley(x) / t, 4 / np.sqrt(d), rtol=1e-8)
    # the textbook form cannot resolve these values at all
    assert np.all(np.abs(ackley_textbook(x[:, :5]) - ackley_textbook(np.zeros(d))) < 1e-14)


@pytest.mark.parametrize("d", [2, 4, 8])
def test_forward_difference_at_the_kink_is_four_over_root_d_whatever_the_step(d):
    steps = np.logspace(-16, -4, 13)
    slopes = np.array([ackley(np.eye(d)[0] * h) / h for h in steps])  # f(0) = 0
    np.testing.assert_allclose(slopes, 4 / np.sqrt(d), rtol=1e-3)
    # ... while the central difference at 0 is exactly zero, by symmetry
    central = [(ackley(np.eye(d)[0] * h) - ackley(-np.eye(d)[0] * h)) / (2 * h) for h in steps]
    np.testing.assert_array_equal(central, 0.0)


@pytest.mark.parametrize("func", [ackley, ackley_textbook, ackley_gradient])
def test_zero_columns_give_an_empty_result(func):
    out = func(np.zeros((3, 0)))
    assert out.shape == ((0,) if func is not ackley_gradient else (3, 0))


def test_constrained_vectorized_de_can_pass_zero_columns():
    # with an equality constraint no trial point of a generation may be feasible; DE then
    # evaluates the objective on a (d, 0) array, which must not raise
    seen = []

    def recording(x):
        seen.append(x.shape[1])
        return ackley(x)

    eq = NonlinearConstraint(lambda x: np.sum(x, axis=0, keepdims=True), 1.0, 1.0)
    res = de_then_polish(
        recording, [(-3.0, 3.0)] * 3, constraints=eq, vectorized=True, rng=7, maxiter=20, popsize=5
    )
    assert 0 in seen
    np.testing.assert_allclose(np.sum(res.x), 1.0, atol=1e-9)


def test_ackley_accepts_integers_and_returns_python_float():
    value = ackley(np.array([1, 0, 0]))
    assert isinstance(value, float)
    assert value == ackley(np.array([1.0, 0.0, 0.0]))


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        (np.array([0.0, np.nan]), ValueError, r"x must be finite.*shape \(2,\)"),
        (np.array([[np.inf], [0.0]]), ValueError, r"x must be finite.*shape \(2, 1\)"),
        (np.zeros((2, 2, 2)), ValueError, r"shape \(d,\).*\(d, S\).*got shape \(2, 2, 2\)"),
        (np.float64(1.0), ValueError, r"got shape \(\)"),
        (np.zeros(0), ValueError, r"at least one coordinate, got shape \(0,\)"),
        (np.zeros((0, 3)), ValueError, r"at least one coordinate, got shape \(0, 3\)"),
        (np.array(["1", "2"]), TypeError, r"real numeric.*dtype <U1"),
        (np.array([1 + 0j, 2]), TypeError, r"dtype complex128"),
        (np.array([True, False]), TypeError, r"dtype bool"),
        (np.array([1.0, None]), TypeError, r"dtype object"),
    ],
)
@pytest.mark.parametrize("func", [ackley, ackley_textbook, ackley_gradient])
def test_bad_points_are_rejected(func, x, error, match):
    with pytest.raises(error, match=match):
        func(x)


# ---------------------------------------------------------------------------------------------
# ackley_gradient
# ---------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(-6.0, 6.0)))
def test_gradient_matches_central_differences_away_from_the_kink(x):
    if np.linalg.norm(x) < 0.05:  # the central difference needs h << |x|
        x = x + 0.1
    result = gradcheck(ackley, ackley_gradient, x, rtol=1e-5, atol=1e-6)
    assert result.ok, (result.worst, result.max_abs_error)


@settings(max_examples=40, deadline=None)
@given(columns(max_d=8, max_s=6))
def test_gradient_columns_match_points(x):
    g = ackley_gradient(x)
    assert g.shape == x.shape
    per_point = np.column_stack([ackley_gradient(x[:, j]) for j in range(x.shape[1])])
    np.testing.assert_array_equal(g, per_point)


@pytest.mark.parametrize("d", [1, 3, 4])
def test_gradient_at_and_next_to_the_kink(d):
    np.testing.assert_array_equal(ackley_gradient(np.zeros(d)), np.zeros(d))
    # next to the kink |grad| is the radius of the subdifferential ball, 4 / sqrt(d),
    # even for subnormal inputs whose squares underflow to zero
    for tiny in (1e-310, 1e-200, 1e-12):
        v = np.linspace(1.0, 2.0, d) * tiny
        g = ackley_gradient(v)
        np.testing.assert_allclose(np.linalg.norm(g), 4 / np.sqrt(d), rtol=1e-9)
        direction = v / np.max(v)  # v / |v| computed without underflow
        direction /= np.linalg.norm(direction)
        np.testing.assert_allclose(g / np.linalg.norm(g), direction, rtol=1e-12)


def test_gradient_zero_subgradient_is_optimal_for_a_local_method():
    # with the analytic gradient SLSQP stops at 0 at once; with forward differences it leaves
    exact = minimize(ackley, np.zeros(4), jac=ackley_gradient, method="SLSQP")
    drift = minimize(ackley, np.zeros(4), method="SLSQP")
    assert exact.fun == 0.0
    np.testing.assert_array_equal(exact.x, 0.0)
    assert drift.fun > 1e-9
    assert ackley(drift.x) > 0.0


# ---------------------------------------------------------------------------------------------
# constraints
# ---------------------------------------------------------------------------------------------


def test_constraint_violation_against_hand_values():
    x = np.array([0.2, 0.3, -0.1])
    linear = LinearConstraint(np.ones((1, 3)), 1.0, np.inf)  # sum = 0.4 -> violation 0.6
    nonlin = NonlinearConstraint(lambda v: v**2, 0.0, 0.02)  # 0.09 - 0.02 = 0.07
    box = Bounds(0.0, 1.0)  # -0.1 -> 0.1
    eq = {"type": "eq", "fun": lambda v: v[0] - 0.5}  # |0.2 - 0.5| = 0.3
    ineq = {"type": "ineq", "fun": lambda v, a: v[1] - a, "args": (0.25,)}  # 0.05 >= 0: ok
    np.testing.assert_allclose(constraint_violation(linear, x), 0.6)
    np.testing.assert_allclose(constraint_violation([nonlin], x), 0.07)
    np.testing.assert_allclose(constraint_violation(box, x), 0.1)
    np.testing.assert_allclose(constraint_violation(eq, x), 0.3)
    assert constraint_violation(ineq, x) == 0.0
    np.testing.assert_allclose(constraint_violation([linear, nonlin, box, eq, ineq], x), 0.6)
    assert constraint_violation((), x) == 0.0
    assert constraint_violation(NonlinearConstraint(lambda v: np.nan, 0, 1), x) == np.inf


def test_dict_constraints_become_nonlinear_constraints():
    (c,) = as_constraint_list({"type": "ineq", "fun": lambda v: v.sum() - 1, "jac": np.ones_like})
    assert isinstance(c, NonlinearConstraint)
    np.testing.assert_array_equal(c.lb, 0.0)
    np.testing.assert_array_equal(c.ub, np.inf)
    np.testing.assert_array_equal(c.jac(np.zeros(3)), np.ones((1, 3)))
    (e,) = as_constraint_list([{"type": "eq", "fun": lambda v: v[0]}])
    np.testing.assert_array_equal(e.ub, 0.0)


@pytest.mark.parametrize(
    ("constraints", "error", "match"),
    [
        ("sum(x) >= 1", TypeError, r"constraints must be .* got str"),
        (42, TypeError, r"got int"),
        ([lambda x: x], TypeError, r"constraints\[0\] must be .* got function"),
        ([{"type": "le", "fun": np.sum}], ValueError, r"constraints\[0\].*type='le'"),
        ([{"type": "eq"}], ValueError, r"callable 'fun'"),
    ],
)
def test_bad_constraints_are_rejected(constraints, error, match):
    with pytest.raises(error, match=match):
        as_constraint_list(constraints)


def test_constraint_violation_needs_one_point():
    with pytest.raises(ValueError, match=r"one point of shape \(d,\), got shape \(2, 3\)"):
        constraint_violation((), np.zeros((2, 3)))


# ---------------------------------------------------------------------------------------------
# de_then_polish
# ---------------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    d=st.integers(2, 8),
    low=st.floats(-8.0, -0.5),
    width=st.floats(1.0, 12.0),
    method=st.sampled_from(["SLSQP", "COBYLA", "L-BFGS-B", "Nelder-Mead", "Powell"]),
)
def test_never_worse_than_de_and_inside_the_bounds(seed, d, low, width, method):
    bounds = [(low, low + width)] * d
    res = de_then_polish(
        ackley, bounds, local_method=method, rng=seed, maxiter=15, popsize=4, tol=1e-3
    )
    assert res.fun <= res.de.fun
    assert np.all(res.x >= low)
    assert np.all(res.x <= low + width)
    assert res.fun == ackley(res.x)  # the reported value is f at the returned point
    assert np.array_equal(res.x, res.local.x if res.polished else res.de.x)
    assert res.nfev > res.de.nfev


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1), d=st.integers(2, 8), method=st.sampled_from(["SLSQP", "COBYLA"])
)
def test_constraints_hold_and_never_worse_than_de(seed, d, method):
    res = de_then_polish(
        ackley,
        [(-5.0, 5.0)] * d,
        constraints=sum_at_least_one(d),
        local_method=method,
        rng=seed,
        maxiter=15,
        popsize=4,
        tol=1e-3,
    )
    assert res.de.maxcv == 0.0  # DE found a feasible point ...
    assert res.fun <= res.de.fun  # ... so the guarantee applies
    assert np.sum(res.x) >= 1.0 - FEASIBILITY_ATOL
    assert res.maxcv <= FEASIBILITY_ATOL
    assert res.maxcv == constraint_violation(sum_at_least_one(d), res.x)


def test_slsqp_drift_from_the_exact_minimum_is_rejected():
    fast = {"rng": 1, "maxiter": 1000, "tol": 1e-12, "vectorized": True}
    res = de_then_polish(ackley, [(-20.0, 20.0)] * 4, **fast)
    # DE converges onto the minimiser (exactly 0 on most machines: not relied on here)
    assert np.abs(res.de.x).max() <= 1e-12
    assert res.local.fun > res.de.fun  # SLSQP from there moved away ...
    assert not res.polished  # ... and was rejected
    np.testing.assert_array_equal(res.x, res.de.x)
    assert res.fun == res.de.fun
    assert "not lower" in res.message
    # with the subgradient at the kink, SLSQP started exactly at 0 stays put
    exact = minimize(ackley, np.zeros(4), jac=ackley_gradient, method="SLSQP")
    np.testing.assert_array_equal(exact.x, 0.0)


def test_constrained_optimum_matches_a_one_dimensional_reference():
    d = 4
    res = de_then_polish(
        ackley,
        [(-5.0, 5.0)] * d,
        constraints=sum_at_least_one(d),
        jac=ackley_gradient,
        local_options={"ftol": 1e-14},
        rng=3,
        maxiter=200,
    )
    assert res.polished
    assert res.fun < res.de.fun
    # reference: the optimum is on sum(x) = 1 with one large coordinate b = 1 - (d - 1) a and
    # d - 1 equal small ones a; minimise over a in one dimension (a bounded scalar problem)
    k = int(np.argmax(res.x))

    def point(a: float) -> np.ndarray:
        x = np.full(d, a)
        x[k] = 1 - (d - 1) * a
        return x

    ref = minimize_scalar(
        lambda a: ackley(point(a)), bounds=(0.0, 0.1), method="bounded", options={"xatol": 1e-12}
    )
    np.testing.assert_allclose(res.fun, ref.fun, rtol=1e-9)
    np.testing.assert_allclose(res.x, point(ref.x), atol=1e-5)
    # KKT: on the active constraint the gradient is a non-negative multiple of (1, ..., 1)
    g = ackley_gradient(res.x)
    np.testing.assert_allclose(g, np.full(d, g.mean()), atol=1e-6)
    assert g.mean() > 0


def test_vectorized_gives_the_same_result_and_counts_calls():
    calls = {"points": 0, "calls": 0}

    def counted(x):
        calls["calls"] += 1
        calls["points"] += 1 if x.ndim == 1 else x.shape[1]
        return ackley(x)

    kwargs = {"rng": 7, "maxiter": 40, "popsize": 5, "updating": "deferred"}
    per_point = de_then_polish(ackley, [(-3.0, 3.0)] * 3, **kwargs)
    calls.update(points=0, calls=0)
    vec = de_then_polish(counted, [(-3.0, 3.0)] * 3, vectorized=True, **kwargs)
    np.testing.assert_array_equal(vec.de.x, per_point.de.x)
    np.testing.assert_array_equal(vec.x, per_point.x)
    assert vec.fun == per_point.fun
    # DE's own nfev counts calls of the vectorized function; de_then_polish's counts points
    population = 5 * 3
    assert vec.de.nfev == vec.de.nit + 1
    assert per_point.de.nfev == population * (per_point.de.nit + 1)
    assert calls["points"] == population * (vec.de.nit + 1) + vec.local.nfev + 1
    assert calls["points"] == vec.nfev == per_point.nfev


def test_vectorized_defaults_to_deferred_updating_without_a_warning(recwarn):
    de_then_polish(ackley, [(-2.0, 2.0)] * 2, vectorized=True, rng=0, maxiter=5)
    assert not [w for w in recwarn if "updating" in str(w.message)]


def test_same_seed_same_result_and_generators_accepted():
    a = de_then_polish(ackley, [(-4.0, 4.0)] * 3, rng=11, maxiter=20, popsize=5)
    b = de_then_polish(ackley, [(-4.0, 4.0)] * 3, rng=11, maxiter=20, popsize=5)
    np.testing.assert_array_equal(a.x, b.x)
    g1 = de_then_polish(
        ackley, [(-4.0, 4.0)] * 3, rng=np.random.default_rng(5), maxiter=20, popsize=5
    )
    g2 = de_then_polish(
        ackley, [(-4.0, 4.0)] * 3, rng=np.random.default_rng(5), maxiter=20, popsize=5
    )
    np.testing.assert_array_equal(g1.x, g2.x)


def test_old_style_dict_constraints_work_like_new_ones():
    new = de_then_polish(
        ackley, [(-3.0, 3.0)] * 2, constraints=sum_at_least_one(2), rng=2, maxiter=60
    )
    old = de_then_polish(
        ackley,
        [(-3.0, 3.0)] * 2,
        constraints=[{"type": "ineq", "fun": lambda x: np.sum(x) - 1.0}],
        rng=2,
        maxiter=60,
    )
    np.testing.assert_allclose(old.fun, new.fun, rtol=1e-6)
    assert old.maxcv <= FEASIBILITY_ATOL


def test_args_reach_both_stages():
    # a shifted Ackley: the minimiser moves to the shift c, passed through args
    c = np.array([0.3, -0.7])

    def shifted(x, shift):
        return ackley(x - (shift if x.ndim == 1 else shift[:, None]))

    def shifted_grad(x, shift):
        return ackley_gradient(x - shift)

    res = de_then_polish(
        shifted, [(-3.0, 3.0)] * 2, args=(c,), jac=shifted_grad, rng=0, maxiter=200, tol=1e-12
    )
    np.testing.assert_allclose(res.x, c, atol=1e-12)
    assert res.fun == shifted(res.x, c)
    vec = de_then_polish(
        shifted, [(-3.0, 3.0)] * 2, args=(c,), vectorized=True, rng=0, maxiter=200, tol=1e-12
    )
    np.testing.assert_allclose(vec.de.x, res.de.x)


def test_local_point_outside_the_bounds_is_rejected():
    # BFGS ignores bounds: from the box edge x = 1 it runs to the unconstrained minimum x = 5
    def f(x):
        return float(np.sum((x - 5.0) ** 2))

    res = de_then_polish(f, [(-1.0, 1.0)] * 2, local_method="BFGS", rng=0, maxiter=50)
    np.testing.assert_allclose(res.local.x, 5.0, atol=1e-4)
    assert not res.polished
    assert "leaves the bounds" in res.message
    assert np.all(np.abs(res.x) <= 1.0)


def test_infeasible_de_point_is_replaced_by_a_feasible_local_point():
    # an equality constraint: DE's random trial points essentially never satisfy it exactly
    eq = NonlinearConstraint(lambda x: np.sum(x, axis=0, keepdims=True), 1.0, 1.0)
    res = de_then_polish(ackley, [(-3.0, 3.0)] * 3, constraints=eq, rng=4, maxiter=30)
    assert res.de.maxcv > FEASIBILITY_ATOL
    assert res.polished
    assert "infeasible" in res.message
    np.testing.assert_allclose(np.sum(res.x), 1.0, atol=1e-9)
    assert res.success


@pytest.mark.parametrize(
    ("maxcv_de", "maxcv_local", "accept"),
    [
        (1e-3, 1e-6, True),
        (1e-6, 1e-3, False),
        (1e-3, 1e-3, False),
        (np.inf, 1.0, True),
        (0.0, 1e-6, False),
    ],
)
def test_of_two_infeasible_points_the_smaller_violation_wins(maxcv_de, maxcv_local, accept):
    # whatever the values: DE ranks infeasible points by their violation alone
    result, why = polish_acceptance(1.0, maxcv_de, 2.0, True, maxcv_local)
    assert result is accept
    assert ("violates less" in why) is accept


def test_feasibility_atol_scales_with_the_constraints():
    # the same feasible set, written s * sum(x) >= s: SLSQP meets it to rounding, about s * 1e-16
    s = 1e7
    scaled = NonlinearConstraint(lambda x: s * np.sum(x, axis=0, keepdims=True), s, np.inf)
    kw = {"constraints": scaled, "jac": ackley_gradient, "vectorized": True, "rng": 7}
    box = [(-20.0, 20.0)] * 4
    default = de_then_polish(ackley, box, maxiter=300, **kw)
    # SLSQP's violation here is rounding of size s * 1e-16 (7e-9 on the machine that wrote this
    # test): the absolute 1e-9 rejects it, unless another CPU's rounding happens to land closer.
    if default.polished:
        assert default.maxcv <= FEASIBILITY_ATOL
    else:
        assert "violates a constraint" in default.message
        assert default.fun == default.de.fun
    res = de_then_polish(ackley, box, maxiter=300, feasibility_atol=s * FEASIBILITY_ATOL, **kw)
    assert res.polished
    assert res.success
    assert res.fun < res.de.fun
    assert res.maxcv <= s * FEASIBILITY_ATOL
    # the unscaled constraint keeps SLSQP's point with the default, at the same value
    plain = de_then_polish(ackley, box, maxiter=300, **{**kw, "constraints": sum_at_least_one(4)})
    assert plain.polished
    np.testing.assert_allclose(res.fun, plain.fun, rtol=1e-9)


def test_feasibility_atol_in_polish_acceptance():
    assert not polish_acceptance(1.0, 0.0, 0.5, True, 1e-3)[0]
    assert polish_acceptance(1.0, 1e-3, 0.5, True, 1e-3, feasibility_atol=1e-3)[0]
    accept, why = polish_acceptance(1.0, 1e-4, 2.0, True, 0.0, feasibility_atol=1e-3)
    assert not accept  # both count as feasible now: judged by f
    assert "not lower" in why


# feasibility_atol may be 0 (exact feasibility); trade_limit must be positive
_BAD_KEYWORDS = [
    (name, value, error)
    for name, zero_error in (("feasibility_atol", None), ("trade_limit", ValueError))
    for value, error in [
        ("1e-9", TypeError),
        (None, TypeError if name == "feasibility_atol" else None),  # None: trade_limit's default
        (True, TypeError),
        (0.0, zero_error),
        (-1e-9, ValueError),
        (np.nan, ValueError),
        (np.inf, ValueError),
    ]
    if error is not None
]


@pytest.mark.parametrize(("name", "value", "error"), _BAD_KEYWORDS)
def test_bad_tolerance_keywords_are_rejected(name, value, error):
    with pytest.raises(error, match=name):
        de_then_polish(ackley, [(-1.0, 1.0)] * 2, maxiter=2, **{name: value})
    with pytest.raises(error, match=name):
        polish_acceptance(1.0, 0.0, 0.5, True, 0.0, **{name: value})


def _fake_minimize(x, fun):
    def fake(*args, **kwargs):
        return OptimizeResult(x=np.asarray(x, float), fun=fun, success=True, nfev=3)

    return fake


@pytest.mark.parametrize(
    ("x_local", "reported", "why"),
    [
        ([0.5, 0.5], -1.0, "not lower"),  # reports a value lower than fun(x)
        ([np.nan, 0.0], -1.0, "not finite"),
        ([0.1, 0.3], 0.0, "violates a constraint"),
    ],
)
def test_bad_local_results_are_rejected(x_local, reported, why):
    cons = sum_at_least_one(2)
    with mock.patch("helpers.global_opt.minimize", _fake_minimize(x_local, reported)):
        res = de_then_polish(ackley, [(-2.0, 2.0)] * 2, constraints=cons, rng=0, maxiter=40)
    assert not res.polished
    assert why in res.message
    np.testing.assert_array_equal(res.x, res.de.x)
    assert res.fun == res.de.fun


# ---------------------------------------------------------------------------------------------
# de_then_polish: bad inputs
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bounds", "error", "match"),
    [
        ([(-1, 1, 2)], ValueError, r"bounds must have shape \(d, 2\).*got shape \(1, 3\)"),
        ([(-1,), (0,)], ValueError, r"got shape \(2, 1\)"),
        ([], ValueError, r"got shape \(0,\)"),
        ([(-1, 1), (0,)], TypeError, r"bounds must be a real numeric array"),
        ([(-1, np.nan)], ValueError, r"bounds must be finite"),
        ([(-np.inf, 1)], ValueError, r"bounds must be finite"),
        ([(0, 1), (2, 1)], ValueError, r"bounds\[1\] has low > high: \(2.0, 1.0\)"),
        ([("a", "b")], TypeError, r"bounds must be a real numeric array.*dtype <U1"),
        (
            Bounds(np.zeros((2, 2)), 1.0),
            ValueError,
            r"Bounds.lb and Bounds.ub must be 1-D.*\(2, 2\)",
        ),
    ],
)
def test_bad_bounds_are_rejected(bounds, error, match):
    with pytest.raises(error, match=match):
        de_then_polish(ackley, bounds, maxiter=2)


def test_bounds_of_the_wrong_length_for_x0_are_rejected():
    with pytest.raises(
        ValueError, match=r"x0 must have shape \(3,\) to match bounds, got shape \(2,\)"
    ):
        de_then_polish(ackley, [(-1, 1)] * 3, x0=np.zeros(2), maxiter=2)


def test_bounds_object_is_accepted():
    res = de_then_polish(ackley, Bounds([-1.0, -1.0], [1.0, 2.0]), rng=0, maxiter=10)
    assert res.x.shape == (2,)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"fun": "ackley"}, TypeError, r"fun must be callable, got str"),
        ({"local_method": "Newton"}, ValueError, r"local_method must be one of .* got 'Newton'"),
        ({"local_method": 3}, TypeError, r"local_method must be a string, got int"),
        (
            {"local_method": "L-BFGS-B", "constraints": sum_at_least_one(2)},
            ValueError,
            r"'L-BFGS-B' cannot handle constraints",
        ),
        ({"local_method": "COBYLA", "jac": ackley_gradient}, ValueError, r"does not use it"),
        ({"local_method": "Newton-CG"}, ValueError, r"'Newton-CG' needs jac"),
        ({"jac": np.zeros(2)}, TypeError, r"jac must be callable or None, got ndarray"),
        (
            {"jac": lambda x: np.zeros(3)},
            ValueError,
            r"jac must return .* shape \(2,\), got .*\(3,\)",
        ),
        ({"local_options": [("ftol", 1e-9)]}, TypeError, r"local_options must be a mapping"),
        (
            {"local_options": lambda de: [("ftol", 1e-9)]},
            TypeError,
            r"local_options, called with DE's result, must return a mapping of options, got list",
        ),
    ],
)
def test_bad_arguments_are_rejected(kwargs, error, match):
    args = {"fun": ackley, **kwargs}
    fun = args.pop("fun")
    with pytest.raises(error, match=match):
        de_then_polish(fun, [(-1.0, 1.0)] * 2, rng=0, maxiter=2, **args)


def test_vector_valued_fun_is_rejected_in_the_local_phase():
    with pytest.raises(ValueError, match=r"fun must map \(d, 1\) -> \(1,\), got .* shape \(2,\)"):
        de_then_polish(
            lambda X: ackley(X) if X.shape[1] > 1 else np.zeros(2),
            [(-1.0, 1.0)] * 2,
            vectorized=True,
            rng=0,
            maxiter=2,
        )


def test_local_options_may_be_a_callable_of_the_de_result():
    seen = []

    def from_spread(de):
        seen.append(de)
        return {"rhobeg": float(np.ptp(de.population, axis=0).max()), "tol": 1e-14}

    kw = {"maxiter": 60, "tol": 0, "vectorized": True, "rng": 5}
    bounds = [(-20.0, 20.0)] * 4
    tuned = de_then_polish(ackley, bounds, local_method="COBYLA", local_options=from_spread, **kw)
    fixed = de_then_polish(ackley, bounds, local_method="COBYLA", **kw)
    assert len(seen) == 1
    assert seen[0] is tuned.de
    assert tuned.polished
    assert tuned.fun < 1e-12
    assert fixed.fun > 1e-6  # the default tol = 1e-4 stops COBYLA early


def test_cobyla_with_constraints_stops_inside_the_feasibility_tolerance():
    # SciPy's COBYLA counts a point as feasible up to catol = sqrt(eps) ~ 1.5e-8; with a tight
    # tol it stopped at maxcv ~ 1e-8 > FEASIBILITY_ATOL and its point was rejected.
    def from_spread(de):
        return {"rhobeg": float(np.ptp(de.population, axis=0).max()), "tol": 1e-14}

    kw = {"constraints": sum_at_least_one(4), "local_method": "COBYLA", "rng": 7, "maxiter": 300}
    bounds = [(-20.0, 20.0)] * 4
    res = de_then_polish(ackley, bounds, local_options=from_spread, vectorized=True, **kw)
    assert res.polished
    assert res.local.maxcv <= FEASIBILITY_ATOL
    assert res.fun < res.de.fun - 1e-4
    loose = de_then_polish(
        ackley,
        bounds,
        local_options=lambda de: {**from_spread(de), "catol": 1e-7},
        vectorized=True,
        **kw,
    )
    assert loose.local.maxcv <= 1e-7  # the caller's catol is kept


# ---------------------------------------------------------------------------------------------
# de_then_polish with several local stages
# ---------------------------------------------------------------------------------------------


def test_stages_start_from_the_kept_point_and_are_judged_by_the_same_rule():
    box = [(-20.0, 20.0)] * 4
    kw = {"constraints": sum_at_least_one(4), "rng": 7, "maxiter": 300, "vectorized": True}
    one = de_then_polish(ackley, box, jac=ackley_gradient, local_options={"ftol": 1e-14}, **kw)
    two = de_then_polish(
        ackley,
        box,
        jac=ackley_gradient,
        local_method=("SLSQP", "COBYLA"),
        local_options=({"ftol": 1e-14}, {"rhobeg": 1e-2, "tol": 1e-14}),
        **kw,
    )
    assert len(two.stages) == 2
    assert two.local is two.stages[1]
    np.testing.assert_array_equal(two.stages[0].x, one.local.x)  # stage 1 = the one-stage run
    assert two.polished
    assert two.maxcv <= FEASIBILITY_ATOL
    assert two.fun <= one.fun
    assert two.nfev > one.nfev


@functools.cache
def slsqp_then_loose_cobyla():
    """SLSQP, then COBYLA allowed catol = 1e-12, on sum(x) >= 1 in 4-D: ``(box, kw, result)``."""
    box = [(-20.0, 20.0)] * 4
    kw = {"constraints": sum_at_least_one(4), "rng": 7, "maxiter": 300, "vectorized": True}
    loose = {"rhobeg": 1e-2, "tol": 1e-14, "catol": 1e-12}
    two = de_then_polish(
        ackley,
        box,
        jac=ackley_gradient,
        local_method=("SLSQP", "COBYLA"),
        local_options=({"ftol": 1e-14}, loose),
        **kw,
    )
    return box, kw, two


def test_a_lower_value_bought_by_a_larger_violation_is_not_kept():
    # SLSQP ends on the active constraint, violated by 7.8e-16 (rounding); COBYLA, allowed
    # catol = 1e-12, ends lower, relative gap -6.5e-14, by violating it by 2.5e-13
    f = 4.0
    accept, why = polish_acceptance(f, 7.8e-16, f * (1 - 6.5e-14), True, 2.5e-13)
    assert not accept
    assert "violating" in why
    assert polish_acceptance(f, 7.8e-16, f * (1 - 6.5e-14), True, 5e-15)[0]  # rounding
    assert polish_acceptance(f, 3e-13, f * (1 - 6.5e-14), True, 2.5e-13)[0]  # violates less
    # a real drop is kept whatever rounding the constraint carries: on sum(x) >= 10.3 SLSQP's
    # point, 0.003 lower than DE's, violates by about 1e-14 to 7e-14
    assert polish_acceptance(1.860, 0.0, 1.857, True, 7e-14)[0]
    assert not polish_acceptance(1.860, 0.0, 1.860 - 5e-11, True, 7e-14)[0]  # a rounding-size drop
    *_, two = slsqp_then_loose_cobyla()
    x1, x2 = two.stages[0].x, two.stages[1].x
    assert ackley(x2) < ackley(x1)  # COBYLA's point is lower ...
    assert constraint_violation(sum_at_least_one(4), x2) > 1e-14  # ... by violating more
    np.testing.assert_array_equal(two.x, x1)  # so SLSQP's point is kept


def test_trade_limit_scales_with_the_objective():
    """On 1e4 f the multiplier is about 4.8e3: the default limit scales with f and refuses the
    bought drop, as on f; the absolute TRADE_LIMIT keeps it."""
    k = 1e4
    box, kw, _ = slsqp_then_loose_cobyla()
    scaled = {
        "jac": lambda x: k * ackley_gradient(x),
        "local_method": ("SLSQP", "COBYLA"),
        "local_options": ({"ftol": k * 1e-14}, {"rhobeg": 1e-2, "tol": 1e-14, "catol": 1e-12}),
        **kw,
    }
    default = de_then_polish(lambda x: k * ackley(x), box, **scaled)
    absolute = de_then_polish(lambda x: k * ackley(x), box, trade_limit=TRADE_LIMIT, **scaled)
    x1, x2 = absolute.stages[0].x, absolute.stages[1].x
    np.testing.assert_array_equal(default.stages[1].x, x2)  # the same COBYLA run
    drop = k * (ackley(x1) - ackley(x2))
    extra = constraint_violation(sum_at_least_one(4), x2) - constraint_violation(
        sum_at_least_one(4), x1
    )
    assert extra > 1e-13  # COBYLA's point violates more than rounding (1e-12 allowed) ...
    assert TRADE_LIMIT * extra < drop < TRADE_LIMIT * k * extra  # ... drop / extra is k lambda
    np.testing.assert_array_equal(absolute.x, x2)  # an absolute 1e3 keeps the bought drop
    assert "COBYLA: kept the COBYLA point" in absolute.message
    np.testing.assert_array_equal(default.x, x1)  # the scaled default refuses it, as on f
    assert "lower only by violating" in default.message


@pytest.mark.parametrize(
    "case",
    [
        (1.0, 0.0, 1.0 - 5e-10, True, 1e-12),  # a drop bought by violating: refused
        (1.0, 0.0, 1.0 - 2e-7, True, 1e-10),  # lambda = 2e3 above the limit: kept
        (2.0, 0.0, 1.0, True, 1e-9),  # a real drop at the tolerated violation: kept
        (1.5, 1e-16, 1.5 - 1e-7, True, 1e-9),  # a real drop below 1e3 * 1e-9: refused
        (1.0, 0.0, 1.0 - 1e-12, True, 1e-14),  # a violation within rounding: kept
    ],
)
@pytest.mark.parametrize("scale", [1e3, 1e6])
def test_the_default_trade_limit_gives_the_same_decision_on_a_scaled_f(case, scale):
    """Multipliers scale with f, and so does the default limit (where |f_local| >= 1)."""
    f_de, maxcv_de, f_local, in_box, maxcv_local = case
    scaled = (scale * f_de, maxcv_de, scale * f_local, in_box, maxcv_local)
    assert polish_acceptance(*scaled) == polish_acceptance(*case)


def test_trade_limit_in_polish_acceptance():
    case = (1.0, 0.0, 1.0 - 5e-10, True, 1e-12)  # drop 5e-10, extra violation 1e-12
    assert polish_acceptance(*case) == polish_acceptance(*case, trade_limit=TRADE_LIMIT)
    assert not polish_acceptance(*case)[0]  # 5e-10 <= 1e3 * 1e-12
    assert polish_acceptance(*case, trade_limit=100)[0]  # a lowered limit keeps the drop
    bought = (1.0, 0.0, 1.0 - 2e-7, True, 1e-10)  # lambda = 2e3 > TRADE_LIMIT
    assert polish_acceptance(*bought)[0]
    assert not polish_acceptance(*bought, trade_limit=1e4)[0]
    # within rounding (ROUNDING_SHARE * feasibility_atol = 1e-14) the limit plays no part
    assert polish_acceptance(1.0, 0.0, 1.0 - 1e-16, True, 1e-14, trade_limit=1e300)[0]


@pytest.mark.parametrize("c", [2.3, 10.3, 47.9])
def test_slsqp_is_kept_on_a_constraint_whose_rounding_exceeds_1e_14(c):
    """On sum(x) >= c with c ~ 10, SLSQP ends outside by rounding of more than 1e-14."""
    con = NonlinearConstraint(lambda x: np.sum(x, axis=0, keepdims=True), c, np.inf)
    for seed in range(6):
        res = de_then_polish(
            ackley, [(-20.0, 20.0)] * 4, constraints=con, vectorized=True, maxiter=300, rng=seed
        )
        assert res.maxcv <= FEASIBILITY_ATOL
        if not res.polished:  # only when SLSQP found nothing lower
            assert "violating" not in res.message, (seed, res.message)


def test_a_worse_later_stage_is_rejected():
    # DE hits Ackley's kink exactly; COBYLA stays there, SLSQP's finite differences walk away
    kw = {"maxiter": 1000, "tol": 1e-12, "vectorized": True, "rng": 2026}
    res = de_then_polish(ackley, [(-20.0, 20.0)] * 4, local_method=["COBYLA", "SLSQP"], **kw)
    assert np.array_equal(res.de.x, np.zeros(4))
    assert np.array_equal(res.x, np.zeros(4))
    assert res.fun == 0.0
    assert ackley(res.stages[1].x) > 0.0
    # one verdict per stage, each naming the point kept after it
    not_lower = "kept DE's point, the local point is not lower than the DE point"
    assert res.message == f"COBYLA: {not_lower}; SLSQP: {not_lower}"


def test_the_message_reports_every_stage():
    # SLSQP's point is kept; COBYLA's, lower only by violating more, is not: both verdicts shown
    box, kw, two = slsqp_then_loose_cobyla()
    slsqp, cobyla = two.message.split("; ")
    assert slsqp == "SLSQP: kept the SLSQP point, the local point has a lower value"
    assert cobyla == (
        "COBYLA: kept the SLSQP point, the local point is lower only by violating a constraint more"
    )
    one = de_then_polish(ackley, box, jac=ackley_gradient, local_options={"ftol": 1e-14}, **kw)
    assert one.message == "kept the SLSQP point: the local point has a lower value"
    # a later stage judged against an earlier stage's point names that point, not DE's: COBYLA
    # reaches below 1e-13 from DE's early point, SLSQP's finite differences then end higher
    later = de_then_polish(
        ackley,
        box,
        local_method=("COBYLA", "SLSQP"),
        local_options=({"rhobeg": 1e-3, "tol": 1e-14}, None),
        maxiter=60,
        tol=0,
        vectorized=True,
        rng=5,
    )
    assert ackley(later.stages[1].x) > later.fun
    assert later.message == (
        "COBYLA: kept the COBYLA point, the local point has a lower value; "
        "SLSQP: kept the COBYLA point, the local point is not lower than the COBYLA point"
    )


# ---------------------------------------------------------------------------------------------
# cobyla_from_spread
# ---------------------------------------------------------------------------------------------


def test_cobyla_from_spread_of_a_converged_population_is_the_floor():
    de = OptimizeResult(population=np.zeros((20, 4)))
    assert cobyla_from_spread(de) == {"rhobeg": 1e-3, "tol": 1e-14}
    tight = OptimizeResult(population=np.array([[0.0, 1.0], [1e-5, 1.0]]))
    assert cobyla_from_spread(tight)["rhobeg"] == 1e-3


def test_cobyla_from_spread_of_a_wide_population_is_its_widest_coordinate_range():
    pop = np.random.default_rng(0).uniform(-1.0, 1.0, (15, 3)) * np.array([0.1, 2.0, 0.5])
    expected = float(np.max(np.ptp(pop, axis=0)))
    assert 1.0 < expected < 4.0  # the second coordinate's range
    assert cobyla_from_spread(OptimizeResult(population=pop)) == {"rhobeg": expected, "tol": 1e-14}


def test_cobyla_from_spread_reads_a_real_de_run():
    res = de_then_polish(
        ackley,
        [(-5.0, 5.0)] * 2,
        local_method="COBYLA",
        local_options=cobyla_from_spread,
        maxiter=3,
        tol=0,
        rng=0,
    )
    spread = float(np.max(np.ptp(res.de.population, axis=0)))
    assert spread > 1e-3  # three generations: still spread out
    assert cobyla_from_spread(res.de)["rhobeg"] == spread


@pytest.mark.parametrize(
    ("de", "error", "match"),
    [
        (OptimizeResult(x=np.zeros(2)), TypeError, r"^de must be the OptimizeResult"),
        (np.zeros((3, 2)), TypeError, r"^de must be the OptimizeResult"),
        (OptimizeResult(population=np.zeros(3)), ValueError, r"de.population must have shape"),
        (
            OptimizeResult(population=np.array([[0.0, np.nan]])),
            ValueError,
            r"de.population",
        ),
        (
            OptimizeResult(population=np.array([[-1e308, 0.0], [1e308, 0.0]])),
            ValueError,
            r"de.population's spread must be finite",
        ),
    ],
)
def test_cobyla_from_spread_refuses_bad_input(de, error, match):
    with pytest.raises(error, match=match):
        cobyla_from_spread(de)


def test_cobyla_from_spread_takes_tol_and_rhobeg_floor():
    converged = OptimizeResult(population=np.zeros((20, 4)))
    options = cobyla_from_spread(converged, tol=1e-12, rhobeg_floor=0.5)
    assert options == {"rhobeg": 0.5, "tol": 1e-12}
    wide = OptimizeResult(population=np.array([[0.0, 0.0], [2.0, 0.0]]))
    assert cobyla_from_spread(wide, rhobeg_floor=0.5) == {"rhobeg": 2.0, "tol": 1e-14}


def test_cobyla_from_spread_tol_changes_the_cobyla_run():
    kw = {"local_method": "COBYLA", "maxiter": 3, "tol": 0, "rng": 0}
    tight = de_then_polish(ackley, [(-5.0, 5.0)] * 2, local_options=cobyla_from_spread, **kw)
    loose_options = functools.partial(cobyla_from_spread, tol=1e-4)
    loose = de_then_polish(ackley, [(-5.0, 5.0)] * 2, local_options=loose_options, **kw)
    assert loose.local.nfev < tight.local.nfev  # a larger last step stops COBYLA sooner
    assert ackley(tight.x) < ackley(loose.x)


@pytest.mark.parametrize("name", ["tol", "rhobeg_floor"])
@pytest.mark.parametrize(
    ("value", "error"),
    [
        (0.0, ValueError),
        (-1e-3, ValueError),
        (np.nan, ValueError),
        (np.inf, ValueError),
        ("1e-3", TypeError),
        (True, TypeError),
        (None, TypeError),
    ],
)
def test_cobyla_from_spread_refuses_bad_tol_and_floor(name, value, error):
    with pytest.raises(error, match=rf"^{name} must be a real number > 0"):
        cobyla_from_spread(OptimizeResult(population=np.zeros((3, 2))), **{name: value})


def test_single_method_in_a_list_equals_the_string_form():
    kw = {"rng": 3, "maxiter": 30, "jac": ackley_gradient}
    a = de_then_polish(ackley, [(-5.0, 5.0)] * 2, **kw)
    b = de_then_polish(ackley, [(-5.0, 5.0)] * 2, local_method=["SLSQP"], **kw)
    np.testing.assert_array_equal(a.x, b.x)
    assert (a.fun, a.polished, a.message) == (b.fun, b.polished, b.message)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"local_method": ()}, ValueError, r"must name at least one method"),
        (
            {"local_method": ("SLSQP", "COBYLA"), "local_options": {"ftol": 1e-9}},
            ValueError,
            r"local_options must be None or a list or tuple of 2 options, got dict",
        ),
        (
            {"local_method": ("SLSQP", "COBYLA"), "local_options": ({},)},
            ValueError,
            r"list or tuple of 2 options",
        ),
        ({"local_method": ("SLSQP", 3)}, TypeError, r"local_method\[1\] must be a string, got int"),
        ({"local_method": ["SLSQP", "Newton"]}, ValueError, r"local_method must be one of"),
        (
            {"local_method": ("COBYLA", "Nelder-Mead"), "jac": ackley_gradient},
            ValueError,
            r"no stage of local_method uses it",
        ),
        (
            {"local_method": ("SLSQP", "COBYLA"), "local_options": ({}, 5)},
            TypeError,
            r"local_options\[1\] must be a mapping",
        ),
        (
            {"local_method": ("SLSQP", "L-BFGS-B"), "constraints": sum_at_least_one(2)},
            ValueError,
            r"'L-BFGS-B' cannot handle constraints",
        ),
    ],
)
def test_bad_stages_are_rejected(kwargs, error, match):
    with pytest.raises(error, match=match):
        de_then_polish(ackley, [(-1.0, 1.0)] * 2, maxiter=2, **kwargs)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(1e-300, 9.99, allow_nan=False), min_size=1, max_size=6))
def test_band_names_the_closest_edges_that_hold_every_value(values):
    edges = (0, 1e-13, 1e-9, 1e-7, 1e-4, 1, 10)
    lo, hi = (float(t) for t in band(values).strip("()").split(", "))
    i, j = edges.index(lo), edges.index(hi)
    assert all(lo < v <= hi for v in values)
    assert min(values) <= edges[i + 1]  # a higher lo would leave the smallest value out
    assert max(values) > edges[j - 1]  # a lower hi would leave the largest value out


def test_band_of_zeros_and_on_an_edge():
    assert band(np.zeros(3)) == "0"
    assert band(1e-7) == "(1e-09, 1e-07)"  # an edge belongs to the band below it
    with pytest.raises(ValueError, match="edges"):
        band([0.0, 1e-5])  # 0 is not inside (0, 10]
    with pytest.raises(ValueError, match="edges"):
        band(11.0)
