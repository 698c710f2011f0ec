"""The input contract for helpers.gradcheck (see tests/_contract.py and CONTRIBUTING.md)."""

from __future__ import annotations

import numpy as np
import pytest
from _contract import ODD_TYPES, check_contract, finite_arrays, odd_arraylikes
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import gradcheck, numerical_gradient

SETTINGS = settings(max_examples=60, deadline=None)
X = np.array([[1.0, -2.0], [0.5, 3.0]])


def square(v):
    return float(np.sum(v**2))


def double(v):
    return 2 * v


# ---------------------------------------------------------------------------------------------
# whole-range properties


@SETTINGS
@given(x=finite_arrays((1,)), c=st.floats(-1e3, 1e3))
def test_linear_function_over_the_whole_float64_range(x, c):
    """A linear function is differentiated to rounding wherever the step can be represented.

    Dividing by the step actually taken leaves only the rounding of f itself, about
    eps * |c x| / h; where that is below the tolerance the check passes.
    """
    eps = np.finfo(np.float64).eps
    rounding = 4 * eps * (abs(float(x[0])) + 1e-6) / 1e-6

    def right(result):
        error = abs(float(result.numerical[0]) - c)
        assert error <= abs(c) * (rounding + 1e-12) + 1e-300, result
        if rounding < 1e-6:
            assert result.ok, result

    check_contract(
        gradcheck,
        {"f": lambda v: c * float(v[0]), "grad": np.array([c]), "x": x},
        names=("h",),
        result_check=right,
    )


@SETTINGS
@given(x=st.integers(1, 4).flatmap(lambda n: finite_arrays((n,))))
def test_any_point_gives_a_result_or_a_named_error(x):
    check_contract(
        numerical_gradient, {"f": lambda v: float(np.tanh(v).sum()), "x": x}, names=("h", "f")
    )


@SETTINGS
@given(scale=st.floats(1.5, 10.0), x=finite_arrays((3,), min_value=-2, max_value=2))
def test_wrong_gradients_fail(scale, x):
    result = check_contract(
        gradcheck,
        {"f": lambda v: float(np.exp(v).sum()), "grad": lambda v: scale * np.exp(v), "x": x},
    ).result
    assert not result.ok


# ---------------------------------------------------------------------------------------------
# odd array-likes and wrong types, for every argument

CASES = odd_arraylikes(X)


@pytest.mark.parametrize(("label", "value", "valid"), CASES, ids=[c[0] for c in CASES])
def test_odd_arraylikes_for_x(label, value, valid):
    def same(result):
        assert result.ok
        np.testing.assert_allclose(result.numerical, 2 * X, rtol=1e-8)

    check_contract(
        gradcheck,
        {"f": square, "grad": double, "x": value},
        names=("x",),
        must_raise=not valid,
        result_check=same if valid else None,
    )


@pytest.mark.parametrize(("label", "value", "valid"), CASES, ids=[c[0] for c in CASES])
def test_odd_arraylikes_for_grad(label, value, valid):
    check_contract(
        gradcheck, {"f": square, "grad": value, "x": X}, names=("grad",), must_raise=not valid
    )


@pytest.mark.parametrize(("label", "value", "valid"), CASES, ids=[c[0] for c in CASES])
def test_odd_arraylikes_in_a_dict(label, value, valid):
    check_contract(
        gradcheck,
        {"f": lambda p: square(p["W"]), "grad": lambda p: {"W": 2 * p["W"]}, "x": {"W": value}},
        names=("x",),
        must_raise=not valid,
    )


@pytest.mark.parametrize("arg", ["f", "grad", "x", "h", "rtol", "atol", "raise_on_failure"])
@pytest.mark.parametrize("i", range(len(ODD_TYPES)))
def test_odd_types(arg, i):
    bad = ODD_TYPES[i]
    kwargs = {"f": square, "grad": double, "x": X, arg: bad}
    check_contract(gradcheck, kwargs, names=(arg,), must_raise=True)


@pytest.mark.parametrize("ret", [None, 1j, "1.0", np.array([1.0, 2.0]), np.nan, [1.0]])
def test_f_returning_non_reals_is_named(ret):
    check_contract(numerical_gradient, {"f": lambda v: ret, "x": X}, names=("f",), must_raise=True)


# ---------------------------------------------------------------------------------------------
# the reproducers of the reliability review, one test each


def test_dict_keys_reach_f_unchanged_and_distinct():
    a, b = np.array([1.0, 2.0]), np.array([3.0])
    seen = []

    def f(p):
        seen.append(list(p))
        return float(np.sum(p[0] ** 2) + np.sum(p["0"] ** 3))

    result = gradcheck(f, lambda p: {0: 2 * p[0], "0": 3 * p["0"] ** 2}, {0: a, "0": b})
    assert result.ok
    assert seen[0] == [0, "0"]
    assert list(result.numerical) == [0, "0"]


def test_complex_analytic_gradient_is_refused():
    with pytest.raises(TypeError, match="grad must be a real numeric array, got dtype complex"):
        gradcheck(square, lambda v: 2 * v + 1j, X)


@pytest.mark.parametrize(
    ("kw", "value"),
    [("atol", np.inf), ("atol", -1.0), ("rtol", -1e-5), ("rtol", np.nan), ("h", -1e-6)],
)
def test_bad_tolerances_are_refused(kw, value):
    with pytest.raises(ValueError, match=rf"{kw} must be a real number"):
        gradcheck(square, lambda v: 0 * v, X, **{kw: value})


def test_zero_atol_gives_a_number_not_nan():
    result = gradcheck(lambda v: 0.0, lambda v: 0 * v, X, atol=0)
    assert result.ok
    assert result.max_rel_error == 0.0


def test_a_list_reaches_f_and_grad_as_the_same_float_array():
    types = []
    gradcheck(
        lambda v: (types.append((type(v), v.dtype)), float(np.sum(v)))[1],
        lambda v: (types.append((type(v), v.dtype)), np.ones(2))[1],
        [1, 2],
    )
    assert set(types) == {(np.ndarray, np.dtype(np.float64))}


def test_grad_cannot_modify_the_callers_point():
    x = X.copy()

    def grad(v):
        v += 1
        return 2 * (v - 1)

    assert gradcheck(square, grad, x)
    np.testing.assert_array_equal(x, X)


@pytest.mark.parametrize(("ret", "error"), [(None, TypeError), (1j, TypeError)])
def test_f_returning_none_or_complex_is_named(ret, error):
    with pytest.raises(error, match="f must return a real number"):
        numerical_gradient(lambda v: ret, X)


def test_step_below_the_resolution_is_named():
    with pytest.raises(ValueError, match=r"h = 1e-06 is below the spacing of floats"):
        numerical_gradient(square, np.array([1e300]))
