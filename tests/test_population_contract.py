"""The input contract of helpers.population: a right answer or a named error, for any input.

For every public function: ``ODD_TYPES`` for every argument and keyword, the odd spellings of a
valid array (lists, Fortran order, strided views, integer dtype: same result; masked, bool,
complex, object: refused), hypothesis strategies over the whole finite float64 range (and
float32, which is accepted and converted), a mutation and no-view check on every call (inside
``check_contract``) and a time limit of 1 s per call; then one test per reported failure.

A root is checked in the only way that holds over the whole range: ``f`` vanishes at it or
changes sign within a few ulps of it (where ``f`` is steep, no double makes ``|f|`` small).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _contract import ODD_TYPES, check_contract, finite_arrays, odd_arraylikes
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.population import (
    create_population,
    equilibria,
    hill,
    phenotype_jac,
    phenotype_rhs,
    residual,
    steady_state_ivp,
    steady_state_roots,
)

ULPS = 4
A3 = np.array([0.5, 2.0, -1.0])
B3 = np.array([5.0, 5.0, 4.0])
Y3 = np.array([0.1, 1.0, 2.0])

#: Each public function with valid keyword arguments.
CALLS = {
    "hill": (hill, {"y": Y3, "beta": B3}),
    "phenotype_rhs": (phenotype_rhs, {"t": 0.0, "y": Y3, "alpha": A3, "beta": B3}),
    "phenotype_jac": (
        phenotype_jac,
        {"t": 0.0, "y": Y3, "alpha": A3, "beta": B3, "clamp": False},
    ),
    "residual": (residual, {"alpha": A3, "beta": B3, "y": Y3}),
    "equilibria": (equilibria, {"alpha": A3, "beta": B3}),
    "steady_state_roots": (steady_state_roots, {"alpha": A3, "beta": B3, "y0": 0.0}),
    "steady_state_ivp": (
        steady_state_ivp,
        {
            "alpha": A3,
            "beta": B3,
            "y0": 0.0,
            "t_end": 1e6,
            "method": "BDF",
            "rtol": 1e-8,
            "atol": 1e-10,
            "outside": "raise",
        },
    ),
    "create_population": (create_population, {"n": 3, "rng": 0, "y0": 0.0}),
}

#: (function, argument) pairs where an odd value is a valid input: ``rng=None`` is fresh entropy.
VALID_ODD = {("create_population", "rng", type(None))}


def _cases():
    for name, (_, kwargs) in CALLS.items():
        for arg in kwargs:
            for i, bad in enumerate(ODD_TYPES):
                yield pytest.param(name, arg, bad, id=f"{name}-{arg}-{i}")


@pytest.mark.parametrize(("name", "arg", "bad"), list(_cases()))
def test_odd_types_for_every_argument(name, arg, bad):
    fn, kwargs = CALLS[name]
    valid = (name, arg, type(bad)) in VALID_ODD
    check_contract(fn, {**kwargs, arg: bad}, names=(arg,), must_raise=not valid)


def _array_cases():
    for name, (_, kwargs) in CALLS.items():
        for arg, value in kwargs.items():
            if isinstance(value, np.ndarray):
                for label, odd, valid in odd_arraylikes(value):
                    yield pytest.param(name, arg, odd, valid, id=f"{name}-{arg}-{label}")


def _same(a, b):
    if isinstance(a, tuple):
        return all(_same(x, y) for x, y in zip(a, b, strict=True))
    if hasattr(a, "toarray"):
        a, b = a.toarray(), b.toarray()
    return np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize(("name", "arg", "odd", "valid"), list(_array_cases()))
def test_odd_arraylikes_for_every_array_argument(name, arg, odd, valid):
    fn, kwargs = CALLS[name]
    out = check_contract(fn, {**kwargs, arg: odd}, names=(arg,), must_raise=not valid)
    if valid:
        assert _same(out.result, fn(**kwargs))


# ------------------------------------------------------------------ roots over the whole range
def _f(y, a, b):
    return phenotype_rhs(0.0, np.atleast_1d(y), np.atleast_1d(a), np.atleast_1d(b))


def _is_root(y, a, b, *, rising=False):
    """``f`` vanishes at ``y`` or changes sign within ``ULPS`` doubles of it."""
    lo, hi = y, y
    for _ in range(ULPS):
        lo, hi = np.nextafter(lo, -np.inf), np.nextafter(hi, np.finfo(np.float64).max)
    f_lo, f_y, f_hi = (float(_f(v, a, b)[0]) for v in (max(lo, 0.0), y, hi))
    if f_y == 0:
        return True
    if rising:
        return f_lo <= 0 <= f_hi
    return f_lo >= 0 >= f_hi


ALPHA = st.floats(allow_nan=False, allow_infinity=False)
BETA = st.floats(min_value=5e-324, allow_nan=False, allow_infinity=False)
Y0 = st.floats(min_value=0.0, allow_nan=False, allow_infinity=False)


def _check_equilibria(a, b, roots, count):
    r = roots[~np.isnan(roots)]
    assert r.size == count
    assert count in (1, 2, 3)
    assert np.all(r >= 0)
    assert np.all(np.diff(r) > 0)
    if count == 3:  # stable, unstable, stable
        assert _is_root(r[0], a, b)
        assert _is_root(r[1], a, b, rising=True)
        assert _is_root(r[2], a, b)
    elif count == 1:
        assert _is_root(r[0], a, b)


@settings(max_examples=300)
@given(a=ALPHA, b=BETA)
def test_equilibria_over_the_whole_float64_range(a, b):
    def check(result):
        roots, count = result
        _check_equilibria(a, b, roots[0], int(count[0]))

    check_contract(equilibria, {"alpha": [a], "beta": [b]}, result_check=check)


@settings(max_examples=300)
@given(a=ALPHA, b=BETA, y0=Y0)
def test_steady_state_roots_over_the_whole_float64_range(a, b, y0):
    def check(result):
        y = float(result[0])
        assert np.isfinite(y)
        assert y >= 0
        assert _is_root(y, a, b) or y == y0
        # The first root in the direction of the flow: no root of equilibria strictly between.
        roots, _ = equilibria([a], [b])
        r = roots[0][~np.isnan(roots[0])]
        lo, hi = min(y, y0), max(y, y0)
        with np.errstate(over="ignore"):  # the spacing at the largest double is inf
            close = np.abs(r - y) <= 2 * ULPS * np.spacing(np.maximum(r, y))
        assert close.any()
        assert not np.any((r > lo) & (r < hi) & ~close)

    check_contract(steady_state_roots, {"alpha": [a], "beta": [b], "y0": y0}, result_check=check)


@settings(max_examples=60)
@given(
    a=finite_arrays(4, dtype=np.float32),
    b=finite_arrays(4, dtype=np.float32, min_value=float(np.float32(1e-30))),
)
def test_float32_is_accepted_and_computed_in_float64(a, b):
    out = check_contract(steady_state_roots, {"alpha": a, "beta": b, "y0": 0.0}).result
    assert out.dtype == np.float64
    np.testing.assert_array_equal(
        out, steady_state_roots(a.astype(np.float64), b.astype(np.float64), 0.0)
    )


@settings(max_examples=60)
@given(y=finite_arrays(3), b=finite_arrays(3, min_value=5e-324))
def test_hill_is_a_switch_for_any_finite_state(y, b):
    def check(h):
        assert np.all((h >= 0) & (h <= 1))
        assert np.all(h[y <= 0] == 0)

    check_contract(hill, {"y": y, "beta": b}, result_check=check)


@settings(max_examples=60)
@given(y=finite_arrays(3), a=finite_arrays(3), b=finite_arrays(3, min_value=5e-324))
def test_rhs_jac_and_residual_never_nan(y, a, b):
    def finite_or_inf(x):
        assert not np.isnan(np.asarray(x.toarray() if hasattr(x, "toarray") else x)).any()

    for fn in (phenotype_rhs, phenotype_jac):
        check_contract(fn, {"t": 0.0, "y": y, "alpha": a, "beta": b}, result_check=finite_or_inf)
    check_contract(residual, {"alpha": a, "beta": b, "y": y}, result_check=finite_or_inf)


@settings(max_examples=15)
@given(
    a=st.floats(-10.0, 10.0),
    b=st.floats(0.5, 50.0),
    y0=st.floats(0.0, 100.0),
)
def test_steady_state_ivp_in_its_range_agrees_with_the_roots(a, b, y0):
    def check(y):
        np.testing.assert_allclose(y, steady_state_roots([a], [b], y0), rtol=1e-6, atol=1e-9)

    check_contract(steady_state_ivp, {"alpha": [a], "beta": [b], "y0": y0}, result_check=check)


@settings(max_examples=40)
@given(a=ALPHA, b=BETA, y0=Y0)
def test_steady_state_ivp_refuses_what_it_cannot_integrate(a, b, y0):
    inside = abs(a) <= 10 and 0.5 <= b <= 50 and y0 <= 100
    kwargs = {"alpha": [a], "beta": [b], "y0": y0}
    out = check_contract(steady_state_ivp, kwargs, names=("alpha", "beta", "y0"))
    assert out.raised != inside


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"t_end": -1.0}, r"t_end must be a real number > 0, got -1"),
        ({"rtol": 0.0}, r"rtol must be a real number > 0"),
        ({"atol": np.inf}, r"atol must be a real number > 0, got inf"),
        ({"method": "RK45"}, r"method must be one of .*any case.*'RK45'"),
        ({"alpha": [-20.0]}, r"alpha outside the range .*\|alpha\| <= 10\)"),
        ({"beta": [0.1]}, r"beta outside the range .*beta in \[0.5, 50\]"),
        ({"y0": 200.0}, r"y0 outside the range .*y0 <= 100\)"),
    ],
)
def test_steady_state_ivp_messages(kwargs, match):
    with pytest.raises(ValueError, match=match):
        steady_state_ivp(**{"alpha": [1.0], "beta": [5.0], "y0": 0.0, **kwargs})


def test_steady_state_ivp_range_message_counts_and_redirects():
    """The refusal names the argument, how many entries are outside, their span, the first
    one, and the root finder to use instead (whole population, or the entries outside)."""
    beta = np.array([5.0, 0.3, 4.0, 0.25, 60.0, 5.5])
    with pytest.raises(
        ValueError,
        match=r"beta outside .*\[0.5, 50\]\): 3 of 6 entries, from "
        r"0.25 to 60 \(the first: entry 1, 0.3\); use steady_state_roots",
    ) as info:
        steady_state_ivp(np.ones(6), beta, 0.0)
    assert "for these entries and steady_state_ivp for the rest" in str(info.value)
    alpha = np.array([1.0, -12.0, 3.0])  # |alpha| is tested, the signed value reported
    with pytest.raises(
        ValueError,
        match=r"alpha outside .*: 1 of 3 entries, from -12 to -12 "
        r"\(the first: entry 1, -12\)",
    ):
        steady_state_ivp(alpha, np.full(3, 5.0), 0.0)
    inside = (beta >= 0.5) & (beta <= 50)  # the advice works: integrate the rest
    y = steady_state_roots(np.ones(6), beta, 0.0)
    y[inside] = steady_state_ivp(np.ones(6)[inside], beta[inside], 0.0)
    np.testing.assert_allclose(y, steady_state_roots(np.ones(6), beta, 0.0), rtol=1e-8)


@pytest.mark.parametrize("n", [0, -1])
def test_create_population_refuses_a_size_below_one(n):
    check_contract(create_population, {"n": n, "rng": 0}, names=("n",), must_raise=True)


# ------------------------------------------------------------------ the reported failures
def test_three_roots_for_a_huge_alpha_and_a_steep_switch():
    roots, count = equilibria([1e306], [500.0])
    assert count.tolist() == [3]
    _check_equilibria(1e306, 500.0, roots[0], 3)
    np.testing.assert_allclose(roots[0], [0.123, 10 ** (-306 / 499), 1e306], rtol=1e-2)


def test_no_overflow_of_alpha_times_beta():
    roots, count = equilibria([4e307], [5.0])
    assert not np.isnan(roots[0, : count[0]]).any()
    _check_equilibria(4e307, 5.0, roots[0], int(count[0]))
    np.testing.assert_allclose(roots[0, count[0] - 1], 4e307, rtol=1e-12)


def test_an_overflowing_derivative_is_not_taken_for_convergence():
    y = steady_state_roots([-1e250], [0.8], 0.0)[0]
    assert _is_root(y, -1e250, 0.8)
    # f = c - y - 1e250 h(y), h(y) ~ y**0.8 for small y: the root is (c / 1e250)**1.25
    np.testing.assert_allclose(y, (0.123 / 1e250) ** 1.25, rtol=1e-6)


@pytest.mark.parametrize("beta", [1e14, 1e16, 1e300])
def test_the_middle_root_of_a_switch_steeper_than_the_double_spacing(beta):
    roots, count = equilibria([1.5], [beta])
    assert count.tolist() == [3]
    _check_equilibria(1.5, beta, roots[0], 3)
    np.testing.assert_allclose(roots[0], [0.123, 1.0, 1.623], rtol=1e-13)
    low, high = steady_state_roots([1.5, 1.5], [beta, beta], [0.0, 1.5])
    assert abs(low - 0.123) < 1e-15
    assert abs(high - 1.623) < 1e-15


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: steady_state_ivp([1.0], [5.0], 0.0, t_end="1e6"), TypeError, r"^t_end must"),
        (lambda: steady_state_ivp([1.0], [5.0], 0.0, t_end=1j), TypeError, r"^t_end must"),
        (lambda: hill(1j, 2.0), TypeError, r"^y must be a real numeric array"),
        (lambda: hill([0.5, 1.0], [2.0, 3.0, 4.0]), ValueError, r"^y and beta must broadcast"),
        (lambda: phenotype_rhs(1j, [0.1], [1.0], [5.0]), TypeError, r"^t must"),
    ],
)
def test_named_errors_instead_of_numpy_ones(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("method", ["bdf", "Bdf", "radau", "RADAU", "lsoda", "LSODA"])
def test_method_names_ignore_case(method):
    canonical = {"bdf": "BDF", "radau": "Radau", "lsoda": "LSODA"}[method.lower()]
    np.testing.assert_array_equal(
        steady_state_ivp([1.0], [5.0], 0.0, method=method),
        steady_state_ivp([1.0], [5.0], 0.0, method=canonical),
    )


def test_steady_state_ivp_outside_roots_integrates_the_rest_and_reports():
    """outside='roots': the individuals outside the range come from steady_state_roots, the
    others are integrated exactly as alone; a UserWarning counts them and names the first."""
    alpha = np.array([1.0, 2.0, -12.0, 0.5, 3.0])
    beta = np.array([5.0, 0.3, 5.0, 60.0, 4.0])
    inside = np.array([True, False, False, False, True])
    with pytest.warns(UserWarning, match=r"3 of 5 individuals outside .*entry 1\) .*roots"):
        y = steady_state_ivp(alpha, beta, 0.0, outside="ROOTS")
    np.testing.assert_array_equal(y[~inside], steady_state_roots(alpha, beta, 0.0)[~inside])
    np.testing.assert_array_equal(y[inside], steady_state_ivp(alpha[inside], beta[inside], 0.0))
    with pytest.warns(UserWarning, match="5 of 5"):  # all outside: nothing to integrate
        y_all = steady_state_ivp(
            alpha[~inside][[0, 0, 1, 1, 2]], beta[~inside][[0, 0, 1, 1, 2]], 0.0, outside="roots"
        )
    assert np.isfinite(y_all).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # all inside: no report, the same as the default
        np.testing.assert_array_equal(
            steady_state_ivp(alpha[inside], beta[inside], 0.0, outside="roots"),
            steady_state_ivp(alpha[inside], beta[inside], 0.0),
        )
    with pytest.raises(ValueError, match=r"outside must be 'raise' or 'roots'.*'skip'"):
        steady_state_ivp(alpha, beta, 0.0, outside="skip")
