"""The input contract for helpers.global_opt (see tests/_contract.py and CONTRIBUTING.md).

For any input, every public function returns a correct result or raises a ValueError/TypeError
naming the argument, within a second, without modifying its inputs or returning views of them.
Points range over the whole finite float64 range (and float32, which is accepted and computed in
float64); ``de_then_polish`` gets odd values for every argument and for the DE keywords it checks.
The last section has one test per reproducer of the reliability review.
"""

from __future__ import annotations

import numpy as np
import pytest
from _contract import ODD_TYPES, check_contract, finite_arrays, odd_arraylikes
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult

from helpers.global_opt import (
    LOCAL_METHODS,
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

SETTINGS = settings(max_examples=50, deadline=None)
POINTS = st.tuples(st.integers(1, 6), st.integers(1, 4))
BIG = float(np.finfo(np.float64).max)
F_MAX = 20.0 + np.e  # f = 20 (1 - e^{-0.2 r}) + e (1 - e^{-2 s}) < 20 + e
ACKLEYS = (ackley, ackley_textbook, ackley_gradient)
FAST = {"maxiter": 3, "popsize": 5, "rng": 0}  # a DE run of a few milliseconds
BOX = [(-2.0, 2.0), (-1.0, 3.0)]


def gradient_bound(d: int) -> float:
    """|grad f| <= 4 / sqrt(d) (radial part) + 2 pi e / sqrt(d) (periodic part)."""
    return (4.0 + 2.0 * np.pi * np.e) / np.sqrt(d)


def points(dtype=np.float64):
    return POINTS.flatmap(lambda shape: finite_arrays(shape, dtype=dtype))


def any_args(x, *args):
    """An objective that takes any extra arguments (so that odd ``args`` reach the check)."""
    return ackley(x)


# ---------------------------------------------------------------------------------------------
# the Ackley functions: the whole finite range
# ---------------------------------------------------------------------------------------------


@SETTINGS
@given(points())
def test_ackley_is_finite_and_bounded_for_every_finite_point(x):
    for fn in (ackley, ackley_textbook):
        out = check_contract(fn, {"x": x}).result
        assert out.shape == (x.shape[1],)
        assert np.all(np.isfinite(out))
        assert np.all(out >= -1e-14)  # the textbook form rounds to -4.4e-16 at 0
        assert np.all(out <= F_MAX + 1e-12)
    g = check_contract(ackley_gradient, {"x": x}).result
    assert g.shape == x.shape
    assert np.all(np.isfinite(g))
    assert np.all(np.linalg.norm(g, axis=0) <= gradient_bound(x.shape[0]) * (1 + 1e-12))


@SETTINGS
@given(points())
def test_one_point_and_columns_agree_everywhere(x):
    np.testing.assert_array_equal(ackley(x), [ackley(x[:, j]) for j in range(x.shape[1])])
    np.testing.assert_array_equal(
        ackley_gradient(x), np.column_stack([ackley_gradient(x[:, j]) for j in range(x.shape[1])])
    )


@SETTINGS
@given(POINTS.flatmap(lambda s: finite_arrays(s, min_value=-1e6, max_value=1e6)))
def test_stable_and_textbook_formulas_agree_within_their_conditioning(x):
    # pi x is rounded to |x| eps, which moves the periodic term by about that much
    atol = 1e-12 + 1e-14 * float(np.max(np.abs(x)))
    np.testing.assert_allclose(ackley(x), ackley_textbook(x), rtol=0, atol=atol)


@SETTINGS
@given(points(np.float32))
def test_float32_is_computed_in_float64(x):
    for fn in ACKLEYS:
        np.testing.assert_array_equal(fn(x), fn(x.astype(np.float64)))


@pytest.mark.parametrize("fn", ACKLEYS)
@pytest.mark.parametrize("shape", [(3,), (3, 2)])
def test_odd_array_likes(fn, shape):
    base = np.arange(np.prod(shape), dtype=float).reshape(shape) - 2.0
    expected = fn(base)
    for label, value, valid in odd_arraylikes(base):
        outcome = check_contract(fn, {"x": value}, must_raise=not valid)
        if valid:
            np.testing.assert_array_equal(outcome.result, expected, err_msg=label)


@pytest.mark.parametrize("fn", ACKLEYS)
@pytest.mark.parametrize("bad", ODD_TYPES, ids=repr)
def test_ackleys_refuse_odd_types(fn, bad):
    check_contract(fn, {"x": bad}, must_raise=True)


# ---------------------------------------------------------------------------------------------
# constraints and the acceptance rule
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ODD_TYPES, ids=repr)
def test_as_constraint_list_odd_types(bad):
    # None means "no constraints"; a dict must have a type and a callable fun
    outcome = check_contract(as_constraint_list, {"constraints": bad})
    if bad is None:
        assert outcome.result == []
    else:
        assert outcome.raised


@pytest.mark.parametrize("bad", ODD_TYPES, ids=repr)
@pytest.mark.parametrize("which", ["constraints", "x"])
def test_constraint_violation_odd_types(bad, which):
    kwargs = {"constraints": LinearConstraint(np.ones((1, 2)), 1.0, np.inf), "x": np.zeros(2)}
    kwargs[which] = bad
    outcome = check_contract(constraint_violation, kwargs, names=(which,))
    assert outcome.raised or (which == "constraints" and bad is None and outcome.result == 0.0)


@SETTINGS
@given(finite_arrays((3,)))
def test_constraint_violation_over_the_whole_range(x):
    cons = [Bounds(-1.0, 1.0), LinearConstraint(np.ones((1, 3)), -np.inf, 0.0)]
    cv = check_contract(constraint_violation, {"constraints": cons, "x": x}).result
    with np.errstate(over="ignore"):
        expected = max(0.0, float(np.max(np.abs(x))) - 1.0, float(np.sum(x)))
    assert cv == pytest.approx(expected, rel=1e-12) or (np.isinf(cv) and np.isinf(expected))


@pytest.mark.parametrize("bad", ODD_TYPES, ids=repr)
def test_cobyla_from_spread_odd_types(bad):
    check_contract(cobyla_from_spread, {"de": bad}, must_raise=True)
    check_contract(cobyla_from_spread, {"de": OptimizeResult(population=bad)}, must_raise=True)


def test_cobyla_from_spread_odd_array_likes():
    base = np.array([[0.0, 1.0], [2.0, -1.0], [0.5, 0.0]])
    for label, value, valid in odd_arraylikes(base):
        outcome = check_contract(
            cobyla_from_spread, {"de": OptimizeResult(population=value)}, must_raise=not valid
        )
        if valid:
            assert outcome.result == {"rhobeg": 2.0, "tol": 1e-14}, label


@SETTINGS
@given(finite_arrays((4, 3)))
def test_cobyla_from_spread_over_the_whole_range(pop):
    outcome = check_contract(cobyla_from_spread, {"de": OptimizeResult(population=pop)})
    with np.errstate(over="ignore"):
        spread = float(np.max(pop.max(axis=0) - pop.min(axis=0)))
    if np.isfinite(spread):
        assert outcome.result == {"rhobeg": max(spread, 1e-3), "tol": 1e-14}
    else:
        assert isinstance(outcome.error, ValueError)


ACCEPT = {"f_de": 1.0, "maxcv_de": 0.0, "f_local": 0.5, "local_in_box": True, "maxcv_local": 0.0}


@pytest.mark.parametrize("bad", ODD_TYPES, ids=repr)
@pytest.mark.parametrize("which", list(ACCEPT))
def test_polish_acceptance_odd_types(bad, which):
    check_contract(polish_acceptance, {**ACCEPT, which: bad}, names=(which,), must_raise=True)


@pytest.mark.parametrize(
    ("which", "value"),
    [("f_de", np.nan), ("f_de", -np.inf), ("maxcv_de", -1.0), ("f_local", np.nan)],
)
def test_polish_acceptance_refuses_bad_values(which, value):
    # (NaN != NaN, so check_contract's mutation check cannot take a NaN scalar)
    with pytest.raises(ValueError, match=rf"^{which} must be"):
        polish_acceptance(**{**ACCEPT, which: value})


@SETTINGS
@given(
    st.floats(-BIG, BIG),
    st.floats(-BIG, BIG),
    st.booleans(),
    st.floats(0, BIG),
    st.floats(0, BIG),
)
def test_polish_acceptance_never_accepts_a_worse_feasible_point(f_de, f_loc, box, cv_de, cv_loc):
    accept, why = polish_acceptance(f_de, cv_de, f_loc, box, cv_loc)
    assert isinstance(why, str)
    if accept:
        assert box
        if cv_loc <= 1e-9:
            assert f_loc < f_de or cv_de > 1e-9
            # no lower f bought by more violation, unless the drop is real
            assert (
                cv_loc <= max(cv_de, 1e-14) or cv_de > 1e-9 or f_de - f_loc > 1e3 * (cv_loc - cv_de)
            )
        else:  # both infeasible: the smaller violation wins, as DE ranks infeasible points
            assert cv_de > 1e-9
            assert cv_loc < cv_de
    elif box and np.isfinite(f_loc):
        bought = cv_loc > max(cv_de, 1e-14) and f_de - f_loc <= 1e3 * (cv_loc - cv_de)
        assert cv_loc > 1e-9 or (cv_de <= 1e-9 and (f_loc >= f_de or bought))
        assert cv_loc >= cv_de or cv_de <= 1e-9


# ---------------------------------------------------------------------------------------------
# de_then_polish: every argument
# ---------------------------------------------------------------------------------------------

ARGUMENTS = {
    "fun": ackley,
    "bounds": BOX,
    "constraints": (),
    "local_method": "SLSQP",
    "jac": None,
    "local_options": None,
    "rng": 0,
    "vectorized": False,
}
#: arguments for which None is a valid value (the default)
NONE_OK = {"constraints", "jac", "local_options", "rng", "x0"}


def run(**kwargs):
    merged = {**ARGUMENTS, "maxiter": 3, "popsize": 5, **kwargs}
    return de_then_polish(**merged)


def check_result(res):
    x = res.x
    assert x.shape == (2,)
    assert np.all(np.array(BOX)[:, 0] <= x)
    assert np.all(x <= np.array(BOX)[:, 1])
    assert res.fun == ackley(x)
    assert res.fun <= res.de.fun


@pytest.mark.parametrize("bad", ODD_TYPES, ids=repr)
@pytest.mark.parametrize(
    "which",
    [*ARGUMENTS, "maxiter", "popsize", "tol", "atol", "mutation", "recombination", "x0", "args"],
)
def test_de_then_polish_odd_types(bad, which):
    kwargs = {which: bad}
    if which == "args":
        kwargs["fun"] = any_args  # odd but tuple-like args must reach fun, not break it
    outcome = check_contract(run, kwargs, names=(which,))
    if not outcome.raised:
        assert which in NONE_OK or (which == "args" and isinstance(bad, list))
        check_result(outcome.result)


@pytest.mark.filterwarnings("ignore:delta_grad == 0.0")  # trust-constr on a flat region
@pytest.mark.parametrize("method", LOCAL_METHODS)
def test_every_local_method_within_a_second(method):
    jac = ackley_gradient if method == "Newton-CG" else None
    options = {"maxiter": 20} if method == "trust-constr" else None
    res = check_contract(run, {"local_method": method, "jac": jac, "local_options": options}).result
    check_result(res)


@pytest.mark.parametrize("label", ["list", "fortran", "strided view", "read-only", "int"])
def test_de_then_polish_odd_array_likes_for_bounds_and_x0(label):
    box = np.array([[-2.0, 2.0], [-1.0, 3.0]])
    x0 = np.array([1.0, 2.0])
    odd_box = {lab: v for lab, v, _ in odd_arraylikes(box)}[label]
    odd_x0 = {lab: v for lab, v, _ in odd_arraylikes(x0)}[label]
    res = check_contract(run, {"bounds": odd_box, "x0": odd_x0}).result
    reference = run(bounds=box, x0=x0)
    np.testing.assert_array_equal(res.x, reference.x)


@pytest.mark.parametrize("label", ["masked", "complex", "object", "bool"])
def test_de_then_polish_refuses_odd_arrays(label):
    box = np.array([[-2.0, 2.0], [-1.0, 3.0]])
    odd_box = {lab: v for lab, v, _ in odd_arraylikes(box)}[label]
    check_contract(run, {"bounds": odd_box}, names=("bounds",), must_raise=True)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(-BIG, BIG), st.floats(-BIG, BIG)), min_size=1, max_size=3))
def test_de_then_polish_over_the_whole_range_of_bounds(pairs):
    box = [tuple(sorted(p)) for p in pairs]
    outcome = check_contract(de_then_polish, {"fun": ackley, "bounds": box, **FAST})
    if outcome.raised:
        assert "overflows float64" in str(outcome.error)
        return
    res = outcome.result
    lows, highs = np.array(box).T
    assert np.all(lows <= res.x)
    assert np.all(res.x <= highs)
    assert np.isfinite(res.fun)
    assert res.fun <= res.de.fun


# ---------------------------------------------------------------------------------------------
# the reproducers of the reliability review, one test each
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("big", [5.8e307, 1e308, -BIG, 3e307])
def test_ackley_finite_near_the_top_of_the_float64_range(big):
    x = np.array([big, 0.0, 1.0])
    assert np.isfinite(ackley(x))
    assert np.isfinite(ackley_textbook(x))
    assert np.all(np.isfinite(ackley_gradient(x)))
    # the radial term is saturated (20), the periodic term of the integers big, 0, 1 is 0
    assert ackley(x) == pytest.approx(20.0, abs=1e-12)


@pytest.mark.parametrize("method", ["SLSQP", "COBYLA", "trust-constr"])
def test_bounds_as_a_constraint_reach_every_constrained_method(method):
    inner = Bounds([0.5, 0.5], [1.5, 1.5])
    options = {"maxiter": 20} if method == "trust-constr" else None
    res = de_then_polish(
        ackley, BOX, constraints=inner, local_method=method, local_options=options, **FAST
    )
    assert res.maxcv <= 1e-9
    assert np.all(res.x >= 0.5 - 1e-9)
    assert np.all(res.x <= 1.5 + 1e-9)


@pytest.mark.parametrize(
    ("rng", "error"), [("seed", TypeError), (-1, ValueError), (1.5, TypeError)]
)
def test_bad_rng_is_named(rng, error):
    with pytest.raises(error, match=r"^rng must be"):
        de_then_polish(ackley, BOX, rng=rng, maxiter=3)


def test_bounds_wider_than_float64_are_refused_with_the_supported_range():
    with pytest.raises(ValueError, match=r"bounds\[0\].*\|high - low\| <= 1.798e\+308"):
        de_then_polish(ackley, [(-1e308, 1e308)], maxiter=3)


def test_args_as_an_array_is_refused():
    with pytest.raises(TypeError, match=r"args must be a tuple.*got ndarray"):
        de_then_polish(any_args, BOX, args=np.array([1.0, 2.0]), maxiter=3)


@pytest.mark.parametrize("vectorized", [False, True])
def test_vector_valued_fun_is_named(vectorized):
    with pytest.raises(ValueError, match=r"^fun must map"):
        de_then_polish(lambda x: np.ones(5), BOX, vectorized=vectorized, **FAST)


def test_fun_returning_none_is_named():
    with pytest.raises(TypeError, match=r"^fun must return a real number"):
        de_then_polish(lambda x: None, BOX, **FAST)


def test_maxiter_as_a_string_is_named():
    with pytest.raises(TypeError, match=r"^maxiter must be an integer >= 0, got str '5'"):
        de_then_polish(ackley, BOX, maxiter="5")


@pytest.mark.parametrize("spelling", ["slsqp", "Slsqp", "l-bfgs-b", "nelder-mead"])
def test_local_method_is_spelled_as_scipy_spells_it(spelling):
    right = {m.lower(): m for m in LOCAL_METHODS}[spelling.lower()]
    with pytest.raises(ValueError, match=rf"did you mean '{right}'"):
        de_then_polish(ackley, BOX, local_method=spelling, maxiter=3)


@pytest.mark.parametrize("bad", ODD_TYPES, ids=repr)
@pytest.mark.parametrize("which", ["f", "edges"])
def test_band_odd_types(bad, which):
    kwargs = {"f": 0.5, "edges": (0, 1, 10)}
    kwargs[which] = bad
    check_contract(band, kwargs, must_raise=True)


@pytest.mark.parametrize(
    "edges", [(1.0,), (0.0, 0.0), (1.0, 0.0), ((0.0, 1.0),), (0.0, np.inf)], ids=repr
)
def test_band_refuses_bad_edges(edges):
    check_contract(band, {"f": 0.5, "edges": edges}, must_raise=True)


def test_band_odd_array_likes():
    for label, value, valid in odd_arraylikes(np.array([0.5, 2.0])):
        outcome = check_contract(band, {"f": value}, must_raise=not valid)
        if valid:
            assert outcome.result == "(0.0001, 10)", label
