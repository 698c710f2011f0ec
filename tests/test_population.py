"""Tests of helpers.population against independent references: the formula itself, central
differences, brentq per individual, long scalar integrations, and a sign scan on a fine grid."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from helpers import gradcheck
from helpers.population import (
    BASAL,
    POPULATION_DTYPE,
    create_population,
    equilibria,
    hill,
    phenotype_jac,
    phenotype_rhs,
    residual,
    steady_state_ivp,
    steady_state_roots,
)


def naive_f(y: float, a: float, b: float) -> float:
    """The model exactly as written, for y > 0."""
    return BASAL - y + a * y**b / (1 + y**b)


def params(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    pop = create_population(n, rng=np.random.default_rng(seed))
    return pop["alpha"], pop["beta"]


def integrate_alone(a: float, b: float, y0: float) -> float:
    """One individual integrated on its own, far past its transient, with tight tolerances."""
    sol = solve_ivp(
        lambda t, y: phenotype_rhs(t, y, np.array([a]), np.array([b])),
        (0.0, 1e4),
        [y0],
        method="LSODA",
        rtol=1e-11,
        atol=1e-13,
    )
    assert sol.success
    return float(sol.y[0, -1])


# ------------------------------------------------------------------ the model
def test_rhs_matches_the_formula_for_positive_states():
    alpha, beta = params(50, 1)
    y = np.random.default_rng(2).uniform(0.01, 4.0, 50)
    expected = [naive_f(yi, a, b) for yi, a, b in zip(y, alpha, beta, strict=True)]
    np.testing.assert_allclose(phenotype_rhs(0.0, y, alpha, beta), expected, rtol=1e-13, atol=1e-15)


def test_rhs_is_finite_for_slightly_negative_states():
    alpha, beta = np.array([1.0, -0.5]), np.array([4.7, 5.3])
    y = np.array([-1e-12, -1e-9])
    with np.errstate(invalid="ignore"):
        assert np.isnan(y**beta).all()  # what the naive formula would meet
    out = phenotype_rhs(0.0, y, alpha, beta)
    np.testing.assert_allclose(out, BASAL - y)  # the switch is off below 0
    assert hill(np.array([-1.0, 0.0, 1.0]), np.array([2.5, 2.5, 2.5])).tolist() == [0, 0, 0.5]


def test_rhs_accepts_columns_of_states_like_vectorized_solve_ivp():
    alpha, beta = params(7, 3)
    Y = np.random.default_rng(4).uniform(0, 3, (7, 5))
    cols = np.column_stack([phenotype_rhs(0.0, Y[:, j], alpha, beta) for j in range(5)])
    np.testing.assert_array_equal(phenotype_rhs(0.0, Y, alpha, beta), cols)


def test_hill_does_not_overflow_for_huge_states():
    assert hill(np.array([1e200]), np.array([8.0]))[0] == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_jacobian_is_diagonal_and_matches_central_differences(seed):
    alpha, beta = params(6, seed)
    y = np.random.default_rng(seed + 10).uniform(0.2, 2.0, 6)
    J = phenotype_jac(0.0, y, alpha, beta)
    assert J.shape == (6, 6)
    dense = J.toarray()
    np.testing.assert_array_equal(dense, np.diag(np.diag(dense)))
    w = np.random.default_rng(seed + 20).standard_normal(6)
    result = gradcheck(lambda v: w @ phenotype_rhs(0.0, v, alpha, beta), dense.T @ w, y)
    assert result.ok, result


# ------------------------------------------------------------------ steady states
def test_roots_match_brentq_where_the_root_is_unique():
    alpha, beta = params(300, 5)
    roots, count = equilibria(alpha, beta)
    unique = np.flatnonzero(count == 1)
    assert unique.size > 200
    y = steady_state_roots(alpha, beta, 0.0)
    ref = [
        brentq(
            naive_f, 1e-12, BASAL + max(alpha[i], 0) + 1e-9, args=(alpha[i], beta[i]), xtol=1e-15
        )
        for i in unique
    ]
    np.testing.assert_allclose(y[unique], ref, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(roots[unique, 0], ref, rtol=1e-13, atol=1e-15)
    assert np.isnan(roots[unique, 1:]).all()


def test_bistable_individuals_follow_their_initial_value_like_long_integration():
    alpha, beta = params(400, 6)
    _, count = equilibria(alpha, beta)
    bistable = np.flatnonzero(count == 3)[:8]
    assert bistable.size == 8
    for y0 in (0.0, 1.0):
        y = steady_state_roots(alpha, beta, y0)
        ref = [integrate_alone(alpha[i], beta[i], y0) for i in bistable]
        np.testing.assert_allclose(y[bistable], ref, rtol=1e-8, atol=1e-10)
    low, high = steady_state_roots(alpha, beta, 0.0), steady_state_roots(alpha, beta, 10.0)
    assert np.all(high[bistable] - low[bistable] > 0.1)  # really two different outcomes


def test_equilibria_agree_with_a_sign_scan_and_with_the_flow():
    alpha, beta = params(300, 7)
    roots, count = equilibria(alpha, beta)
    grid = np.linspace(0.0, 6.0, 20_001)
    values = phenotype_rhs(0.0, np.tile(grid, (300, 1)), alpha, beta)
    sign_changes = np.sum(np.diff(np.sign(values), axis=1) != 0, axis=1)
    np.testing.assert_array_equal(count, sign_changes)
    finite = ~np.isnan(roots)
    r = np.where(finite, roots, 1.0)
    res = np.abs(phenotype_rhs(0.0, r, alpha, beta))
    assert res[finite].max() <= 1e-12
    assert np.all(np.diff(r, axis=1)[finite[:, 1:]] > 0)
    # the flow from 0 reaches the lowest root, from far above the highest
    close = {"rtol": 4e-15, "atol": 0}  # the same root, found from another bracket: a few ulps
    np.testing.assert_allclose(steady_state_roots(alpha, beta, 0.0), roots[:, 0], **close)
    top = np.nanmax(roots, axis=1)
    np.testing.assert_allclose(steady_state_roots(alpha, beta, 50.0), top, **close)


def test_the_flow_stops_where_it_starts_on_a_root():
    alpha, beta = params(40, 8)
    roots, _ = equilibria(alpha, beta)
    start = roots[:, 0]
    y = steady_state_roots(alpha, beta, start)
    # f(start) is zero up to rounding (~1e-17), so at most a few ulps of polishing happen
    np.testing.assert_allclose(y, start, rtol=1e-14)
    assert residual(alpha, beta, y).max() <= 1e-15


@pytest.mark.parametrize("method", ["BDF", "Radau", "LSODA"])
def test_ivp_agrees_with_roots(method):
    alpha, beta = params(200, 9)
    y0 = np.random.default_rng(10).uniform(0.0, 3.0, 200)
    y = steady_state_ivp(alpha, beta, y0, method=method)
    np.testing.assert_allclose(y, steady_state_roots(alpha, beta, y0), rtol=1e-7, atol=1e-9)


def test_ivp_refuses_to_end_on_an_unstable_steady_state():
    # alpha = 2, beta = 5 is bistable; from 1e-10 below its middle root, BDF's long implicit
    # steps settle on that unstable root, where f = 0 too (a residual check cannot see it).
    alpha, beta = np.array([2.0]), np.array([5.0])
    y0 = equilibria(alpha, beta)[0][0, 1] - 1e-10
    with pytest.raises(
        RuntimeError, match=r"unstable steady state .* first y\[0\] = 0\.922"
    ) as err:
        steady_state_ivp(alpha, beta, y0, method="BDF")
    assert "method='LSODA'" in str(err.value)  # suggested only when another method is in use
    y = steady_state_ivp(alpha, beta, y0)  # the default, LSODA, falls into the low basin
    np.testing.assert_allclose(y, steady_state_roots(alpha, beta, y0), rtol=1e-7)


@pytest.mark.parametrize("t_end", [0.1, 0.5, 1.0, 10.0])
def test_ivp_refuses_a_state_that_has_not_settled(t_end):
    # From 1, alpha = 2, beta = 5 rises towards its high root (2.07): at t_end <= 1 the state is
    # still crossing the region where f' > 0, at t_end = 10 it is close (f' < 0) but not there.
    with pytest.raises(
        RuntimeError,
        match=r"did not settle by t_end = .* first y\[0\] = .*"
        r"residual .*larger t_end",
    ) as err:
        steady_state_ivp([2.0], [5.0], 1.0, t_end=t_end)
    assert "unstable" not in str(err.value)
    np.testing.assert_allclose(
        steady_state_ivp([2.0], [5.0], 1.0), steady_state_roots([2.0], [5.0], 1.0), rtol=1e-7
    )


def test_ivp_default_keeps_a_busy_individual_in_its_basin():
    # One bistable individual 0.03 below its unstable root among 9999 at their steady states:
    # BDF's root-mean-square error test lets it cross into the high basin; LSODA's maximum
    # norm (the default) does not.
    pop = create_population(9999, rng=np.random.default_rng(11))
    alpha = np.concatenate([[2.0], pop["alpha"]])
    beta = np.concatenate([[5.0], pop["beta"]])
    y0 = np.concatenate([[equilibria(alpha[:1], beta[:1])[0][0, 1] - 0.03], pop["phenotype"]])
    np.testing.assert_allclose(
        steady_state_ivp(alpha, beta, y0), steady_state_roots(alpha, beta, y0), rtol=1e-7
    )


def test_residual_is_tiny_for_a_million_sized_draw_sample():
    alpha, beta = params(20_000, 11)
    for y0 in (0.0, 1.0, 2.5):
        assert residual(alpha, beta, steady_state_roots(alpha, beta, y0)).max() <= 1e-12


def test_extreme_hill_coefficients():
    alpha = np.array([0.3, 2.0, 1.5, -1.0, 3.0, 0.2])
    beta = np.array([0.01, 0.5, 1.0, 0.3, 30.0, 0.9881])
    for y0 in (0.0, 0.7, 4.0):
        y = steady_state_roots(alpha, beta, y0)
        assert residual(alpha, beta, y).max() <= 1e-12
        ref = [integrate_alone(a, b, y0) for a, b in zip(alpha, beta, strict=True)]
        np.testing.assert_allclose(y, ref, rtol=1e-7, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    a=st.floats(-4.0, 4.0),
    b=st.floats(0.05, 15.0),
    y0=st.floats(0.0, 6.0),
)
def test_the_root_is_the_first_one_the_flow_meets(a, b, y0):
    alpha, beta = np.array([a]), np.array([b])
    y = steady_state_roots(alpha, beta, y0)[0]
    assert residual(alpha, beta, np.array([y]))[0] <= 1e-12
    direction = np.sign(phenotype_rhs(0.0, np.array([y0]), alpha, beta)[0])
    assert np.sign(y - y0) == direction or y == y0
    roots, _ = equilibria(alpha, beta)
    lo, hi = min(y, y0), max(y, y0)
    others = roots[0][~np.isnan(roots[0])]
    assert not np.any((others > lo + 1e-12) & (others < hi - 1e-12))


# ------------------------------------------------------------------ the population
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 300))
def test_every_individual_gets_its_own_phenotype(seed, n):
    pop = create_population(n, rng=np.random.default_rng(seed))
    assert pop.dtype == POPULATION_DTYPE
    assert pop.shape == (n,)
    assert np.unique(pop["phenotype"]).size == n
    np.testing.assert_array_equal(
        pop["phenotype"], steady_state_roots(pop["alpha"], pop["beta"], 0.0)
    )
    assert residual(pop["alpha"], pop["beta"], pop["phenotype"]).max() <= 1e-12
    assert np.all(pop["beta"] > 0)


def test_population_is_reproducible_and_respects_y0():
    a = create_population(50, rng=np.random.default_rng(3))
    b = create_population(50, rng=np.random.default_rng(3), y0=np.full(50, 5.0))
    np.testing.assert_array_equal(a[["alpha", "beta"]], b[["alpha", "beta"]])
    roots, _ = equilibria(a["alpha"], a["beta"])
    np.testing.assert_allclose(a["phenotype"], roots[:, 0], rtol=4e-15)
    np.testing.assert_allclose(b["phenotype"], np.nanmax(roots, axis=1), rtol=4e-15)


# ------------------------------------------------------------------ bad inputs
GOOD_A, GOOD_B = np.array([0.5, -0.2, 1.0]), np.array([5.0, 4.0, 6.0])


@pytest.mark.parametrize(
    ("alpha", "beta", "y0", "exc", "match"),
    [
        ([0.5, np.nan, 1.0], GOOD_B, 0.0, ValueError, r"alpha must be finite.*nan"),
        (GOOD_A, [5.0, np.inf, 6.0], 0.0, ValueError, r"beta must be finite.*inf"),
        (GOOD_A, GOOD_B, [0.0, np.nan, 1.0], ValueError, r"y0 must be finite"),
        (
            GOOD_A,
            GOOD_B,
            [0.0, 1.0],
            ValueError,
            r"y0 must be a scalar or have shape \(3,\).*\(2,\)",
        ),
        (GOOD_A, GOOD_B[:2], 0.0, ValueError, r"beta must have the shape of alpha \(3,\).*\(2,\)"),
        (GOOD_A, GOOD_B, [0.0, -0.1, 1.0], ValueError, r"y0 must be non-negative.*y0\[1\]"),
        (GOOD_A, [5.0, 0.0, 6.0], 0.0, ValueError, r"beta must be positive.*beta\[1\]"),
        (GOOD_A[None, :], GOOD_B[None, :], 0.0, ValueError, r"alpha must be a 1-D.*\(1, 3\)"),
        ([], [], 0.0, ValueError, r"alpha must not be empty.*\(0,\)"),
        (["a", "b", "c"], GOOD_B, 0.0, TypeError, r"alpha must be a real numeric array.*<U1"),
        (GOOD_A, [True, True, False], 0.0, TypeError, r"beta must be a real numeric.*bool"),
    ],
)
def test_bad_inputs_raise_naming_the_argument(alpha, beta, y0, exc, match):
    with pytest.raises(exc, match=match):
        steady_state_roots(alpha, beta, y0)
    with pytest.raises(exc, match=match):
        steady_state_ivp(alpha, beta, y0)


def test_bad_states_and_options():
    with pytest.raises(ValueError, match=r"y must have shape \(3,\).*got shape \(2,\)"):
        phenotype_rhs(0.0, [0.1, 0.2], GOOD_A, GOOD_B)
    with pytest.raises(ValueError, match=r"y must be finite"):
        phenotype_rhs(0.0, [0.1, np.nan, 0.2], GOOD_A, GOOD_B)
    with pytest.raises(ValueError, match=r"method must be one of.*'RK45'"):
        steady_state_ivp(GOOD_A, GOOD_B, 0.0, method="RK45")
    with pytest.raises(ValueError, match=r"t_end must be a real number > 0, got inf"):
        steady_state_ivp(GOOD_A, GOOD_B, 0.0, t_end=np.inf)
    with pytest.raises(ValueError, match=r"rtol must be a real number > 0, got 0"):
        steady_state_ivp(GOOD_A, GOOD_B, 0.0, rtol=0.0)
    with pytest.raises(ValueError, match=r"y must have shape \(3,\), got shape \(2,\)"):
        residual(GOOD_A, GOOD_B, [0.1, 0.2])
    with pytest.raises(ValueError, match=r"y must have shape \(3,\) for the Jacobian"):
        phenotype_jac(0.0, np.zeros((3, 2)), GOOD_A, GOOD_B)
    with pytest.raises(ValueError, match=r"beta must be positive"):
        hill([0.5], [-1.0])
    with pytest.raises(TypeError, match=r"y must be a real numeric array, got dtype object"):
        hill(np.array([None]), [2.0])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 50), bad=st.sampled_from(["nan", "inf"]))
def test_non_finite_parameters_anywhere_raise(seed, n, bad):
    rng = np.random.default_rng(seed)
    alpha, beta = rng.standard_normal(n), rng.standard_normal(n) + 5
    i = int(rng.integers(n))
    which = rng.integers(3)
    target = [alpha, beta, np.zeros(n)][which]
    target[i] = float(bad)
    y0 = target if which == 2 else 0.0
    name = ["alpha", "beta", "y0"][which]
    with pytest.raises(ValueError, match=rf"{name} must be finite.*index {i} "):
        steady_state_roots(alpha, beta, y0)


def test_create_population_rejects_bad_arguments():
    with pytest.raises(TypeError, match=r"rng must be None, a seed >= 0 or a numpy.*str"):
        create_population(3, rng="0")
    with pytest.raises(TypeError, match="n must be an integer >= 1, got float"):
        create_population(3.0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        create_population(0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"y0 must be a scalar or have shape \(3,\)"):
        create_population(3, rng=np.random.default_rng(0), y0=[0.0, 1.0])


@pytest.mark.parametrize(
    ("a", "b", "lo", "hi", "x0"),
    [
        # Bistable individuals whose Newton iterates stall a few ulps above the root, where f is
        # rounding noise; halving-step bisection used to take 50-55 iterations to finish them.
        (
            1.964749816824481,
            4.746961851849324,
            1.3764134603624267,
            2.087749816824481,
            1.7341579074097404,
        ),
        (
            1.803076073861653,
            3.632141101270429,
            1.3058308243075623,
            1.926076073861653,
            1.4301575711395975,
        ),
    ],
)
def test_newton_stalled_at_the_noise_floor_closes_the_bracket_in_a_few_steps(a, b, lo, hi, x0):
    from helpers.population import _bracketed_newton, _f_df_pos

    calls = []

    def g(x, idx):
        calls.append(x.copy())
        return _f_df_pos(x, np.full(x.size, a), np.full(x.size, b))

    root = _bracketed_newton(g, np.array([lo]), np.array([hi]), np.array([x0]))[0]
    assert len(calls) <= 15
    assert brentq(naive_f, lo, hi, args=(a, b), xtol=1e-300, rtol=4 * np.finfo(float).eps) == (
        pytest.approx(root, rel=1e-14)
    )
    below, above = np.nextafter(root, 0), np.nextafter(root, 9)
    for _ in range(3):
        below, above = np.nextafter(below, 0), np.nextafter(above, 9)
    f_below, f_above = (
        _f_df_pos(np.array([v]), np.array([a]), np.array([b]))[0][0] for v in (below, above)
    )
    assert f_below >= 0 >= f_above  # a sign change within four ulps either side


def test_jacobian_at_zero_is_the_right_derivative_or_refused():
    # h(y) = y**beta / (1 + y**beta) for y > 0, 0 below: at y = 0 the flow enters y > 0, so the
    # Jacobian there is the right derivative; h'(0+) = 0 for beta > 1, exactly 1 for beta = 1
    # (h = y / (1 + y)), infinite for beta < 1. Checked against one-sided differences.
    alpha, beta = np.array([1.0, 2.0, -0.5, 1.0]), np.array([1.0, 1.0, 1.0, 3.0])
    J = phenotype_jac(0.0, np.zeros(4), alpha, beta).diagonal()
    np.testing.assert_array_equal(J, alpha * np.array([1.0, 1.0, 1.0, 0.0]) - 1.0)
    step = 1e-7
    one_sided = (phenotype_rhs(0.0, np.full(4, step), alpha, beta) - BASAL) / step
    np.testing.assert_allclose(J, one_sided, atol=1e-6)
    left = (BASAL - phenotype_rhs(0.0, np.full(4, -step), alpha, beta)) / step
    np.testing.assert_allclose(left, -1.0)  # the flat switch below 0
    np.testing.assert_array_equal(
        phenotype_jac(0.0, np.full(4, -1.0), alpha, beta).diagonal(), -np.ones(4)
    )
    with pytest.raises(ValueError, match=r"y\[1\] = 0 with beta\[1\] = 0.6.*steady_state_roots"):
        phenotype_jac(0.0, np.array([0.5, 0.0]), np.array([1.0, 1.0]), np.array([0.6, 0.6]))
    # what the message points to works there (steady_state_ivp would refuse beta < 0.5)
    root = steady_state_roots(np.array([1.0]), np.array([0.3]), 0.0)
    assert abs(residual(np.array([1.0]), np.array([0.3]), root)[0]) < 1e-12
    # above 0 with beta < 1 the Jacobian exists and is large
    assert (
        phenotype_jac(0.0, np.array([1e-12]), np.array([1.0]), np.array([0.6])).diagonal()[0] > 1e4
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_clamped_jacobian_matches_differences_above_0_and_is_minus_one_where_refused(seed):
    # Above 0 clamp changes nothing: the same matrix, and it matches central differences,
    # including beta < 1 (population drawn with beta spread over [0.3, 3]).
    rng = np.random.default_rng(seed)
    alpha, beta = rng.uniform(-3, 3, 8), rng.uniform(0.3, 3.0, 8)
    y = rng.uniform(0.2, 2.0, 8)
    plain = phenotype_jac(0.0, y, alpha, beta).toarray()
    clamped = phenotype_jac(0.0, y, alpha, beta, clamp=True).toarray()
    np.testing.assert_array_equal(clamped, plain)
    w = rng.standard_normal(8)
    result = gradcheck(lambda v: w @ phenotype_rhs(0.0, v, alpha, beta), clamped.T @ w, y)
    assert result.ok, result
    # At y = 0: -1 where beta < 1 (h' infinite, set to 0), the right derivative otherwise;
    # below 0 the flat switch, -1 for all.
    alpha0, beta0 = np.array([2.0, -1.0, 2.0, 2.0]), np.array([0.3, 0.9, 1.0, 3.0])
    at_0 = phenotype_jac(0.0, np.zeros(4), alpha0, beta0, clamp=True).diagonal()
    np.testing.assert_array_equal(at_0, [-1.0, -1.0, 1.0, -1.0])
    below = phenotype_jac(0.0, np.full(4, -0.5), alpha0, beta0, clamp=True).diagonal()
    np.testing.assert_array_equal(below, -np.ones(4))
    with pytest.raises(ValueError, match=r"h'\(0\) is infinite.*clamp=True"):
        phenotype_jac(0.0, np.zeros(4), alpha0, beta0)


def test_clamped_jacobian_is_the_one_steady_state_ivp_uses_and_lets_bdf_start_at_0():
    from helpers.population import _f_df

    alpha, beta = params(300, 4)
    alpha[:3], beta[:3] = [1.5, -0.5, 2.0], [0.6, 0.7, 0.8]  # beta < 1 at y0 = 0
    for y in (np.zeros(300), np.random.default_rng(5).uniform(0.0, 3.0, 300)):
        np.testing.assert_array_equal(
            phenotype_jac(0.0, y, alpha, beta, clamp=True).diagonal(), _f_df(y, alpha, beta)[1]
        )
    sol = solve_ivp(
        phenotype_rhs,
        (0.0, 1e6),
        np.zeros(300),
        method="BDF",
        rtol=1e-8,
        atol=1e-10,
        args=(alpha, beta),
        jac=lambda t, y, *ab: phenotype_jac(t, y, *ab, clamp=True),
    )
    assert sol.success
    np.testing.assert_allclose(sol.y[:, -1], steady_state_roots(alpha, beta, 0.0), rtol=1e-6)


@pytest.mark.parametrize("bad", [1, 0, None, "yes", np.array([True])])
def test_clamp_must_be_a_bool(bad):
    with pytest.raises(TypeError, match=r"clamp must be True or False"):
        phenotype_jac(0.0, np.ones(2), np.ones(2), np.ones(2), clamp=bad)
