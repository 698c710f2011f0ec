"""helpers.gradcheck: central differences against functions with known gradients."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers import gradcheck, numerical_gradient


def test_quadratic_form_gradient_matches_closed_form():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((5, 5))
    x = rng.standard_normal(5)
    num = numerical_gradient(lambda v: v @ A @ v, x)
    # A quadratic is differentiated exactly by central differences, up to rounding.
    np.testing.assert_allclose(num, (A + A.T) @ x, rtol=1e-8, atol=1e-8)


def test_matrix_argument_keeps_its_shape():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((3, 4))
    num = numerical_gradient(lambda M: np.sum(np.sin(M)), W)
    assert num.shape == (3, 4)
    np.testing.assert_allclose(num, np.cos(W), rtol=1e-7, atol=1e-9)


def test_dict_of_arrays_least_squares_gradient():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((20, 3))
    y = rng.standard_normal((20, 1))
    params = {"W": rng.standard_normal((3, 1)), "B": rng.standard_normal((1, 1))}

    def loss(p):
        r = X @ p["W"] + p["B"] - y
        return np.mean(r**2)

    def grad(p):
        r = X @ p["W"] + p["B"] - y
        return {"W": 2 * X.T @ r / len(X), "B": 2 * r.sum(axis=0, keepdims=True) / len(X)}

    result = gradcheck(loss, grad, params)
    assert result.ok, result
    assert result.max_abs_error < 1e-8
    assert set(result.numerical) == {"W", "B"}


def test_dict_point_is_not_modified():
    params = {"a": np.array([1.0, 2.0]), "b": np.array([[3.0]])}
    before = {k: v.copy() for k, v in params.items()}
    numerical_gradient(lambda p: np.sum(p["a"] ** 2) + p["b"][0, 0] ** 3, params)
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])


def test_array_point_is_not_modified_and_integers_are_accepted():
    x = np.array([1, 2, 3])
    num = numerical_gradient(lambda v: np.sum(v**2), x)
    np.testing.assert_array_equal(x, [1, 2, 3])
    np.testing.assert_allclose(num, [2.0, 4.0, 6.0], rtol=1e-8)


def test_wrong_gradient_is_caught_and_located():
    x = np.array([0.5, -1.0, 2.0])
    wrong = lambda v: 3 * v**2 * np.array([1.0, 1.0, 1.1])  # noqa: E731  third entry off by 10%
    result = gradcheck(lambda v: np.sum(v**3), wrong, x)
    assert not result.ok
    assert not bool(result)
    assert result.worst == "[2]"
    assert result.max_rel_error == pytest.approx(0.1, rel=1e-4)
    with pytest.raises(AssertionError, match=r"worst at \[2\]"):
        gradcheck(lambda v: np.sum(v**3), wrong, x, raise_on_failure=True)


def test_wrong_dict_entry_is_named():
    p = {"W": np.ones((2, 2)), "B": np.ones((1, 2))}
    f = lambda q: np.sum(q["W"] ** 2) + np.sum(q["B"] ** 2)  # noqa: E731
    good = {"W": 2 * p["W"], "B": 2 * p["B"]}
    bad = {"W": 2 * p["W"], "B": 2 * p["B"] * 10}  # N times too large, as in chapter 4
    assert gradcheck(f, good, p).ok
    result = gradcheck(f, bad, p)
    assert not result.ok
    assert result.worst.startswith("B[")


def test_precomputed_gradient_value_is_accepted():
    x = np.array([1.0, 2.0])
    assert gradcheck(lambda v: v @ v, 2 * x, x).ok


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        (np.array([]), ValueError, r"x must not be empty, got shape \(0,\)"),
        (np.array([1.0, np.nan]), ValueError, r"x must be finite.*shape \(2,\)"),
        (np.array(["a", "b"]), TypeError, r"x must be a real numeric array, got dtype <U1"),
        (np.array([1 + 1j]), TypeError, r"dtype complex128"),
        ({}, ValueError, "x must not be an empty dict"),
        ({"W": np.array([np.inf])}, ValueError, r"x\['W'\] must be finite"),
    ],
)
def test_bad_points_raise(x, error, match):
    with pytest.raises(error, match=match):
        numerical_gradient(lambda v: 0.0, x)


def test_non_scalar_function_is_rejected():
    with pytest.raises(ValueError, match=r"f must return a scalar; got an array of shape \(2,\)"):
        numerical_gradient(lambda v: v * 2, np.array([1.0, 2.0]))


def test_non_finite_function_value_is_rejected():
    with pytest.raises(ValueError, match="non-finite"):
        numerical_gradient(lambda v: float("inf") if v[0] > 1.0 else 0.0, np.array([1.0]))


@pytest.mark.parametrize("h", [0.0, -1e-6, np.nan, np.inf])
def test_bad_step_is_rejected(h):
    with pytest.raises(ValueError, match="h must be a real number > 0"):
        numerical_gradient(lambda v: np.sum(v), np.ones(2), h=h)


def test_shape_and_key_mismatch_of_analytic_gradient():
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"grad has shape \(3, 2\).*shape \(2, 3\)"):
        gradcheck(lambda v: np.sum(v), np.ones((3, 2)), x)
    with pytest.raises(ValueError, match="must be a dict too"):
        gradcheck(lambda p: np.sum(p["a"]), np.ones(2), {"a": np.ones(2)})
    with pytest.raises(ValueError, match=r"keys \['b'\], x has keys \['a'\]"):
        gradcheck(lambda p: np.sum(p["a"]), {"b": np.ones(2)}, {"a": np.ones(2)})
    with pytest.raises(ValueError, match="contains NaN"):
        gradcheck(lambda v: np.sum(v), np.full((2, 3), np.nan), x)


@settings(max_examples=40, deadline=None)
@given(
    coeffs=hnp.arrays(np.float64, (4,), elements=st.floats(-3, 3)),
    x=hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-2, 2)),
)
def test_polynomial_gradients_property(coeffs, x):
    """sum_i p(x_i) for a cubic p has gradient p'(x_i): gradcheck must accept it."""
    p = np.polynomial.Polynomial(coeffs)
    dp = p.deriv()
    assert gradcheck(lambda v: np.sum(p(v)), lambda v: dp(v), x, rtol=1e-6, atol=1e-6).ok


@settings(max_examples=40, deadline=None)
@given(
    x=hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-2, 2)),
    scale=st.floats(1.5, 10.0),
)
def test_scaled_gradient_is_rejected_property(x, scale):
    """A gradient that is `scale` times too large is caught wherever the true one is not tiny."""
    f = lambda v: np.sum(np.exp(v))  # noqa: E731  gradient exp(v) >= e^-2, never tiny
    assert not gradcheck(f, lambda v: scale * np.exp(v), x).ok
