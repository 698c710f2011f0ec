"""Tests of helpers.softmax: values against independent references, derivatives against central
differences, the VJP against the dense Jacobian and a loop, hypothesis properties, bad inputs."""

from __future__ import annotations

import doctest
import re
import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import helpers.softmax
from helpers import gradcheck, numerical_gradient
from helpers.softmax import (
    _jacobian_rowsum,
    cross_entropy,
    cross_entropy_and_grad,
    cross_entropy_grad,
    log_softmax,
    sigmoid,
    sigmoid_derivative,
    softmax,
    softmax_jacobian,
    softmax_vjp,
)

SETTINGS = settings(max_examples=40, deadline=None)

logit = st.floats(min_value=-30, max_value=30, allow_nan=False, allow_infinity=False)


def logits_arrays(min_dims: int = 1, max_dims: int = 3, max_side: int = 5):
    return hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side),
        elements=logit,
    )


def rng_from(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


# ---------------------------------------------------------------------------------------------
# softmax and log_softmax


@SETTINGS
@given(z=logits_arrays(), data=st.data())
def test_softmax_sums_to_one_and_is_shift_invariant(z, data):
    axis = data.draw(st.integers(-z.ndim, z.ndim - 1))
    shift = data.draw(st.floats(-1e3, 1e3))
    s = softmax(z, axis=axis)
    assert s.shape == z.shape
    assert np.all(s >= 0)
    np.testing.assert_allclose(s.sum(axis=axis), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(softmax(z + shift, axis=axis), s, rtol=1e-9, atol=1e-15)


@SETTINGS
@given(z=logits_arrays(), data=st.data())
def test_softmax_matches_scipy_and_moved_axis(z, data):
    axis = data.draw(st.integers(-z.ndim, z.ndim - 1))
    s = softmax(z, axis=axis)
    np.testing.assert_allclose(s, scipy.special.softmax(z, axis=axis), rtol=1e-12, atol=1e-300)
    moved = softmax(np.moveaxis(z, axis, -1))
    np.testing.assert_allclose(np.moveaxis(s, axis, -1), moved, rtol=1e-14, atol=0)


def test_softmax_matches_textbook_formula_for_moderate_logits():
    z = rng_from(0).normal(size=(6, 4))
    e = np.exp(z)
    np.testing.assert_allclose(softmax(z), e / e.sum(axis=1, keepdims=True), rtol=1e-14)


def test_softmax_of_large_logits_is_exact_and_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = softmax(np.array([1000.0, 1001.0, 1002.0]))
        extreme = softmax(np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]]))
    np.testing.assert_allclose(big, softmax(np.array([0.0, 1.0, 2.0])), rtol=1e-15)
    e = np.exp([-2.0, -1.0, 0.0])
    np.testing.assert_allclose(big, e / e.sum(), rtol=1e-15)
    np.testing.assert_array_equal(extreme, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])


def test_softmax_infinite_logits_are_the_limit():
    z = np.array([[np.inf, 1.0, np.inf, -np.inf], [2.0, -np.inf, 0.0, 1.0]])
    s = softmax(z)
    np.testing.assert_array_equal(s[0], [0.5, 0.0, 0.5, 0.0])
    ref = softmax(np.array([2.0, -1e300, 0.0, 1.0]))
    np.testing.assert_allclose(s[1], ref, rtol=1e-15)
    # The +inf limit is what large finite logits approach.
    np.testing.assert_allclose(s[0], softmax(np.array([1e300, 1.0, 1e300, -1e300])), rtol=0)
    np.testing.assert_allclose(np.exp(log_softmax(z)), s, rtol=1e-15)


@SETTINGS
@given(
    z=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=6),
        elements=st.floats(-1e308, 1e308, allow_nan=False, allow_infinity=False),
    )
)
def test_softmax_and_log_softmax_never_warn_over_the_whole_float_range(z):
    # pytest turns RuntimeWarning (overflow, invalid) into errors, so any warning fails here.
    s = softmax(z)
    ls = log_softmax(z)
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, atol=1e-12)
    top = np.argmax(z, axis=-1)[..., None]  # the largest logit gets the largest probability
    np.testing.assert_array_equal(np.take_along_axis(s, top, axis=-1)[..., 0], s.max(axis=-1))
    assert np.all(ls <= 0)
    with np.errstate(over="ignore"):
        gap = z.max(axis=-1, keepdims=True) - z  # overflows to inf exactly where ls may be -inf
    assert np.all(np.isfinite(ls[np.isfinite(gap)]))
    np.testing.assert_allclose(np.exp(ls), s, rtol=1e-12, atol=1e-300)


def test_infinite_logits_along_another_axis():
    z = np.array([[np.inf, 0.0], [np.inf, 1.0], [0.0, 1.0]])
    s = softmax(z, axis=0)
    np.testing.assert_array_equal(s[:, 0], [0.5, 0.5, 0.0])
    np.testing.assert_allclose(s[:, 1], softmax(np.array([0.0, 1.0, 1.0])), rtol=1e-15)
    np.testing.assert_allclose(log_softmax(z, axis=0)[:, 0], [-np.log(2), -np.log(2), -np.inf])


def test_docstring_examples_run():
    result = doctest.testmod(helpers.softmax, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 2
    assert result.failed == 0


def test_softmax_keeps_float32_and_converts_integers():
    assert softmax(np.array([1.0, 2.0], dtype=np.float32)).dtype == np.float32
    s = softmax(np.array([[1, 2, 3]]))
    assert s.dtype == np.float64
    np.testing.assert_allclose(s, softmax(np.array([[1.0, 2.0, 3.0]])), rtol=0)
    s32 = softmax(np.array([[1.0, 2.0, 3.0]], dtype=np.float32))
    assert softmax_jacobian(s32).dtype == np.float32
    assert log_softmax(np.array([np.inf, 1.0], dtype=np.float32)).dtype == np.float32


@SETTINGS
@given(z=logits_arrays(), data=st.data())
def test_log_softmax_matches_log_of_softmax_and_scipy(z, data):
    axis = data.draw(st.integers(-z.ndim, z.ndim - 1))
    ls = log_softmax(z, axis=axis)
    np.testing.assert_allclose(ls, np.log(softmax(z, axis=axis)), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ls, scipy.special.log_softmax(z, axis=axis), rtol=1e-12, atol=1e-12)


def test_log_softmax_is_finite_where_softmax_underflows():
    z = np.array([0.0, 1000.0, -1e4])
    ls = log_softmax(z)
    assert np.all(np.isfinite(ls))
    np.testing.assert_allclose(ls, [-1000.0, 0.0, -1e4 - 1000.0], rtol=1e-15)
    assert softmax(z)[0] == 0.0  # whereas log(softmax) would be log(0) = -inf


# ---------------------------------------------------------------------------------------------
# Jacobian and VJP


def loop_jacobian(s: np.ndarray) -> np.ndarray:
    """Reference: one (k, k) matrix per sample, from the definition."""
    flat = s.reshape(-1, s.shape[-1])
    out = np.stack([np.diag(row) - np.outer(row, row) for row in flat])
    return out.reshape(*s.shape, s.shape[-1])


def test_jacobian_matches_central_differences_row_by_row():
    z = rng_from(1).normal(size=5)
    jac = softmax_jacobian(softmax(z))
    for i in range(z.size):  # a loop over outputs: each is a scalar function of z
        result = gradcheck(lambda v, i=i: softmax(v)[i], jac[i], z)
        assert result, result


def test_jacobian_structure_symmetric_zero_rows_rank_k_minus_1():
    s = softmax(rng_from(2).normal(size=(4, 6)))
    jac = softmax_jacobian(s)
    assert jac.shape == (4, 6, 6)
    np.testing.assert_allclose(jac, loop_jacobian(s), rtol=0, atol=1e-17)
    np.testing.assert_array_equal(jac, np.swapaxes(jac, -1, -2))
    np.testing.assert_allclose(jac.sum(axis=-1), 0.0, atol=1e-16)
    assert list(np.linalg.matrix_rank(jac)) == [5] * 4
    # Positive semidefinite: eigenvalues >= 0 with exactly one zero (the ones vector).
    eig = np.linalg.eigvalsh(jac)
    assert np.all(eig > -1e-15)
    assert np.all(np.sum(np.abs(eig) < 1e-12, axis=-1) == 1)


def test_jacobian_rowsum_is_what_the_question_computed_and_is_zero():
    s = softmax(rng_from(3).normal(size=(4, 3)))
    r = _jacobian_rowsum(s)
    np.testing.assert_allclose(r, softmax_jacobian(s).sum(axis=-1), atol=1e-15)
    assert np.max(np.abs(r)) < 1e-15


@SETTINGS
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
    seed=st.integers(0, 2**32 - 1),
    scale=st.floats(0.1, 20.0),
)
def test_vjp_equals_g_times_jacobian_and_rows_sum_to_zero(shape, seed, scale):
    rng = rng_from(seed)
    s = softmax(scale * rng.normal(size=shape))
    g = rng.normal(size=shape)
    dz = softmax_vjp(s, g)
    dense = np.einsum("...i,...ij->...j", g, softmax_jacobian(s))
    assert dz.shape == shape
    np.testing.assert_allclose(dz, dense, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(dz.sum(axis=-1), 0.0, atol=1e-14)


def test_vjp_matches_a_loop_over_samples():
    rng = rng_from(4)
    s = softmax(rng.normal(size=(7, 5)))
    g = rng.normal(size=(7, 5))
    loop = np.stack(
        [g_i @ (np.diag(s_i) - np.outer(s_i, s_i)) for s_i, g_i in zip(s, g, strict=True)]
    )
    np.testing.assert_allclose(softmax_vjp(s, g), loop, rtol=1e-12, atol=1e-16)


def test_vjp_matches_central_differences_of_a_random_projection():
    rng = rng_from(5)
    z = rng.normal(size=(3, 4))
    g = rng.normal(size=(3, 4))  # random: a constant g would make the check vacuous

    def f(v):
        return float(np.sum(g * softmax(v)))

    assert gradcheck(f, softmax_vjp(softmax(z), g), z, raise_on_failure=True)


def test_vjp_of_constant_upstream_gradient_vanishes():
    s = softmax(rng_from(6).normal(size=(5, 4)))
    dz = softmax_vjp(s, np.full((5, 4), 3.7))
    assert np.max(np.abs(dz)) < 1e-15


def test_diagonal_only_einsum_from_the_answers_is_not_the_vjp():
    rng = rng_from(7)
    s = softmax(rng.normal(size=(4, 3)))
    g = rng.normal(size=(4, 3))
    jac = softmax_jacobian(s)
    wrong = np.einsum("mnr,mrr->mr", g[:, None, :], jac)
    np.testing.assert_allclose(wrong, g * s * (1 - s), rtol=1e-14)  # only the diagonal
    assert np.max(np.abs(wrong - softmax_vjp(s, g))) > 1e-2
    right = np.einsum("mr,mrc->mc", g, jac)
    np.testing.assert_allclose(right, softmax_vjp(s, g), rtol=1e-12, atol=1e-16)


@SETTINGS
@given(z=logits_arrays(max_dims=3), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_axis_argument_equals_the_moveaxis_recipe(z, seed, data):
    axis = data.draw(st.integers(-z.ndim, z.ndim - 1))
    s = softmax(z, axis=axis)
    g = rng_from(seed).normal(size=z.shape)
    s_last, g_last = np.moveaxis(s, axis, -1), np.moveaxis(g, axis, -1)
    dz = softmax_vjp(s, g, axis=axis)
    assert dz.shape == z.shape
    np.testing.assert_array_equal(dz, np.moveaxis(softmax_vjp(s_last, g_last), -1, axis))
    np.testing.assert_array_equal(softmax_jacobian(s, axis=axis), softmax_jacobian(s_last))
    np.testing.assert_allclose(dz.sum(axis=axis), 0.0, atol=1e-14)


@pytest.mark.parametrize(("shape", "axis"), [((4, 5), 0), ((3, 4, 2), 1), ((3, 4, 2), -3)])
def test_axis_argument_matches_central_differences(shape, axis):
    rng = rng_from(21)
    z, g = rng.normal(size=shape), rng.normal(size=shape)
    s = softmax(z, axis=axis)

    def f(v):
        return float(np.sum(g * softmax(v, axis=axis)))

    assert gradcheck(f, softmax_vjp(s, g, axis=axis), z, raise_on_failure=True)
    jac = softmax_jacobian(s, axis=axis)  # other axes in order, then the two class axes
    z_last = np.moveaxis(z, axis, -1)
    k = z_last.shape[-1]
    for index in np.ndindex(z_last.shape[:-1]):
        for i in range(k):

            def entry(v, index=index, i=i):
                return float(softmax(v)[i])

            assert gradcheck(entry, jac[index][i], z_last[index], raise_on_failure=True)


def test_axis_out_of_range_names_axis_and_shape():
    s = softmax(np.zeros((2, 3)))
    for fn, args in ((softmax_jacobian, (s,)), (softmax_vjp, (s, s))):
        with pytest.raises(ValueError, match=r"axis 2 is out of range for s of shape \(2, 3\)"):
            fn(*args, axis=2)
        with pytest.raises(ValueError, match=r"axis -3 is out of range for s of shape \(2, 3\)"):
            fn(*args, axis=-3)
        with pytest.raises(TypeError, match="axis must be an integer"):
            fn(*args, axis=1.5)
    with pytest.raises(ValueError, match=r"s \(axis 0 moved last\) must hold softmax outputs"):
        softmax_vjp(s, s, axis=0)  # rows of s sum to 1, its columns do not


def test_vjp_without_the_check_gives_the_same_result_and_skips_only_the_probability_check():
    rng = rng_from(22)
    for shape, axis in (((6, 4), -1), ((4, 6), 0), ((2, 3, 5), 1)):
        s = softmax(rng.normal(size=shape), axis=axis)
        g = rng.normal(size=shape)
        for g_case in (g, 1e300 * g):  # the plain and the scaled path
            np.testing.assert_array_equal(
                softmax_vjp(s, g_case, axis=axis, check=False),
                softmax_vjp(s, g_case, axis=axis),
            )
    s32 = softmax(rng.normal(size=(3, 4)).astype(np.float32))
    assert softmax_vjp(s32, s32, check=False).dtype == np.float32
    logits = np.array([[2.0, -1.0, 0.5]])
    with pytest.raises(ValueError, match="must hold probabilities"):
        softmax_vjp(logits, logits)
    assert softmax_vjp(logits, logits, check=False).shape == (1, 3)  # the caller vouches for s
    with pytest.raises(ValueError, match="g must be finite"):
        softmax_vjp(s32, np.full((3, 4), np.nan), check=False)
    with pytest.raises(ValueError, match="g must have the shape of s"):
        softmax_vjp(s32, np.zeros((3, 5)), check=False)
    with pytest.raises(TypeError, match="check must be True or False"):
        softmax_vjp(s32, s32, check=1)


def test_vjp_memory_is_linear_in_k_it_never_forms_the_jacobian():
    rng = rng_from(13)
    n, k = 50, 400
    s = softmax(rng.normal(size=(n, k)))
    g = rng.normal(size=(n, k))
    tracemalloc.start()
    try:
        softmax_vjp(s, g)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 4 * n * k * 8 + 4096  # a few (n, k) arrays; the Jacobians would need n*k*k*8


def test_vjp_float32():
    rng = rng_from(8)
    z = rng.normal(size=(3, 5))
    g = rng.normal(size=(3, 5))
    dz = softmax_vjp(softmax(z.astype(np.float32)), g.astype(np.float32))
    assert dz.dtype == np.float32
    ref = softmax_vjp(softmax(z), g)
    np.testing.assert_allclose(dz, ref, rtol=1e-4, atol=1e-6)


#: The row-sum tolerance for k classes: float32's (the module's rule for float32 and float64 s).
def float32_tolerance(k: int) -> float:
    eps = float(np.finfo(np.float32).eps)
    return max(2 * k, 8) * eps


@pytest.mark.parametrize("k", [2, 3, 10, 1000, 10_000, 100_000])
def test_every_float32_softmax_passes_and_a_row_off_by_ten_tolerances_does_not(k):
    # the tolerance is twice the worst-case rounding of a float32 softmax row and of its check,
    # about k eps; float32 rows, kept or converted to float64, must pass at every scale
    rng = rng_from(k)
    n = max(4, min(20_000, 2 * 10**6 // k))
    tol = float32_tolerance(k)
    eps = float(np.finfo(np.float32).eps)
    for scale in (0.1, 1.0, 5.0, 30.0):
        z = (scale * rng.normal(size=(n, k))).astype(np.float32)
        s_helper = softmax(z)
        worst = np.abs(s_helper.sum(axis=-1, dtype=np.float64) - 1).max()
        assert worst <= k * eps  # (k + 1) eps / 2: the worst case of the computation alone
        for s32 in (s_helper, np.exp(scipy.special.log_softmax(z, axis=-1))):
            assert s32.dtype == np.float32
            g = rng.normal(size=(n, k)).astype(np.float32)
            softmax_vjp(s32, g)
            softmax_vjp(s32.astype(np.float64), g.astype(np.float64))
            cross_entropy(np.zeros((n, k)), s32.astype(np.float64))
    off = softmax(rng.normal(size=(2, k)))
    off[1, 0] += 10 * tol
    for dtype in (np.float32, np.float64):
        with pytest.raises(ValueError, match=r"last axis sums to 1 \(within "):
            softmax_vjp(off.astype(dtype), np.ones((2, k), dtype))


@SETTINGS
@given(
    n=st.integers(1, 8),
    k=st.integers(10, 10_000),
    seed=st.integers(0, 2**32 - 1),
    scale=st.floats(0.1, 20.0),
)
def test_float32_probabilities_pass_next_to_float64_and_converted(n, k, seed, scale):
    # float32 softmax outputs have row sums off by ~1e-7, beyond float64's own tolerance (~1e-8):
    # the check takes its tolerance from s's dtype before conversion, never finer than float32's
    rng = rng_from(seed)
    s32 = softmax((scale * rng.normal(size=(n, k))).astype(np.float32))
    g = rng.normal(size=(n, k))
    s64 = s32.astype(np.float64)
    dz = softmax_vjp(s32, g)  # mixed: float64
    assert dz.dtype == np.float64
    np.testing.assert_array_equal(dz, softmax_vjp(s64, g))  # converted by hand: the same
    # the formula in float64; the dense product where the Jacobians are small
    ref = s64 * (g - np.sum(g * s64, axis=-1, keepdims=True))
    np.testing.assert_allclose(dz, ref, rtol=1e-12, atol=1e-15)
    if k <= 200:
        dense = np.einsum("...i,...ij->...j", g, softmax_jacobian(s64))
        np.testing.assert_allclose(dz, dense, rtol=1e-10, atol=1e-15)
    # J 1 = s (1 - sum(s)): no longer rounding-level zeros, but within the accepted row sums
    assert np.abs(_jacobian_rowsum(s64)).max() <= float32_tolerance(k)
    z = rng.normal(size=(n, k))
    assert cross_entropy(z, s64) == pytest.approx(-np.sum(s64 * log_softmax(z)) / n, rel=1e-12)


def test_the_probability_check_still_rejects_sums_beyond_the_tolerance():
    rng = rng_from(17)
    for k in (10, 1000, 10_000):
        tol = float32_tolerance(k)
        for dtype in (np.float32, np.float64):
            s = softmax(rng.normal(size=(3, k))).astype(dtype)
            assert np.abs(s.sum(axis=-1, dtype=np.float64) - 1).max() < tol / 10  # well inside
            off = s.copy()
            off[1] *= dtype(1 + 2 * tol)  # row 1 sums to about 1 + 2 tol
            g = rng.normal(size=(3, k))
            with pytest.raises(ValueError, match=r"last axis sums to 1 \(within .*shape \(3, "):
                softmax_vjp(off, g)
            with pytest.raises(ValueError, match=r"last axis sums to 1"):
                softmax_vjp(off.astype(np.float64), g.astype(np.float32))
            with pytest.raises(ValueError, match=r"must hold probabilities"):
                cross_entropy(np.zeros((3, k)), off)
            if k <= 1000:
                with pytest.raises(ValueError, match=r"last axis sums to 1"):
                    softmax_jacobian(off)
            inside = s.copy()
            inside[1] *= dtype(1 + tol / 4)  # within the tolerance, with its rounding: accepted
            softmax_vjp(inside, g)


# ---------------------------------------------------------------------------------------------
# cross-entropy


@SETTINGS
@given(
    batch=hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=4),
    k=st.integers(2, 6),
    seed=st.integers(0, 2**32 - 1),
    soft=st.booleans(),
)
def test_cross_entropy_grad_matches_central_differences(batch, k, seed, soft):
    rng = rng_from(seed)
    z = 2 * rng.normal(size=(*batch, k))
    y = softmax(rng.normal(size=(*batch, k))) if soft else rng.integers(0, k, size=batch)
    result = gradcheck(lambda v: cross_entropy(v, y), cross_entropy_grad(z, y), z)
    assert result, result
    # the fused helper: its gradient of its own loss, against central differences too
    _, grad = cross_entropy_and_grad(z, y)
    result = gradcheck(lambda v: cross_entropy_and_grad(v, y)[0], grad, z)
    assert result, result


@SETTINGS
@given(
    n=st.integers(1, 4),
    k=st.integers(2, 40),
    seed=st.integers(0, 2**32 - 1),
    where=st.floats(-0.99, 0.99),
)
def test_cross_entropy_grad_is_exact_for_row_sums_anywhere_in_the_accepted_band(n, k, seed, where):
    # float64 targets are accepted with rows summing to 1 within float32's tolerance, so
    # cross_entropy weights each sample's log-sum-exp by sum(y) and the gradient keeps that factor
    rng = rng_from(seed)
    tol = float32_tolerance(k)
    z = 2 * rng.normal(size=(n, k))
    y = softmax(rng.normal(size=(n, k)))
    y *= 1 + where * tol * rng.uniform(0.5, 1.0, size=(n, 1))  # row sums inside the band
    grad = cross_entropy_grad(z, y)
    result = gradcheck(lambda v: cross_entropy(v, y), grad, z, atol=1e-9)
    assert result, result
    s = softmax(z)
    np.testing.assert_allclose(grad, (s * y.sum(axis=-1, keepdims=True) - y) / n, atol=1e-16)


def test_cross_entropy_grad_needs_the_row_sum_factor_and_drops_it_at_sum_one():
    z = rng_from(21).normal(size=(2, 3))
    s = softmax(z)
    off = 0.85 * float32_tolerance(3)  # accepted: below the tolerance 9.5e-7
    y_off = np.array([[0.3, 0.3, 0.4 + off], [0.2, 0.5, 0.3 + off]])
    short = (s - y_off) / 2  # exact only for rows that sum to 1
    check = {"rtol": 0.0, "atol": 1e-9}  # central differences are good to about 1e-10 here
    assert not gradcheck(lambda v: cross_entropy(v, y_off), short, z, **check)  # can fail
    assert gradcheck(lambda v: cross_entropy(v, y_off), cross_entropy_grad(z, y_off), z, **check)
    y_one = softmax(rng_from(22).normal(size=(2, 3)))
    np.testing.assert_allclose(y_one.sum(axis=-1), 1.0, rtol=0, atol=4e-16)
    np.testing.assert_allclose(cross_entropy_grad(z, y_one), (s - y_one) / 2, rtol=0, atol=1e-16)
    y32 = y_one.astype(np.float32)  # float32 rows sum to 1 within float32's rounding
    np.testing.assert_allclose(
        cross_entropy_grad(z.astype(np.float32), y32), (s - y32) / 2, rtol=0, atol=1e-6
    )


def test_cross_entropy_indices_equal_one_hot_and_loop():
    rng = rng_from(9)
    z = rng.normal(size=(6, 4))
    y = rng.integers(0, 4, size=6)
    one_hot = np.eye(4)[y]
    loop = -np.mean(
        [np.log(np.exp(z_i[y_i]) / np.exp(z_i).sum()) for z_i, y_i in zip(z, y, strict=True)]
    )
    np.testing.assert_allclose(cross_entropy(z, y), loop, rtol=1e-13)
    np.testing.assert_allclose(cross_entropy(z, one_hot), loop, rtol=1e-13)
    np.testing.assert_allclose(cross_entropy_grad(z, y), cross_entropy_grad(z, one_hot), atol=0)


def test_cross_entropy_grad_equals_chain_rule_through_vjp():
    rng = rng_from(10)
    z = rng.normal(size=(5, 3))
    y = softmax(rng.normal(size=(5, 3)))
    s = softmax(z)
    upstream = -y / s / z.shape[0]  # dL/ds of the mean cross-entropy
    np.testing.assert_allclose(cross_entropy_grad(z, y), softmax_vjp(s, upstream), rtol=1e-12)


def test_cross_entropy_single_sample_and_batched_shapes():
    rng = rng_from(11)
    z = rng.normal(size=(2, 3, 4))
    y = rng.integers(0, 4, size=(2, 3))
    flat = cross_entropy(z.reshape(6, 4), y.reshape(6))
    np.testing.assert_allclose(cross_entropy(z, y), flat, rtol=1e-15)
    np.testing.assert_allclose(
        cross_entropy_grad(z, y).reshape(6, 4), cross_entropy_grad(z.reshape(6, 4), y.reshape(6))
    )
    one = cross_entropy(z[0, 0], y[0, 0])
    np.testing.assert_allclose(one, -log_softmax(z[0, 0])[y[0, 0]], rtol=1e-15)
    assert cross_entropy_grad(z[0, 0], y[0, 0]).shape == (4,)


def test_cross_entropy_is_finite_for_extreme_logits():
    z = np.array([[1e4, -1e4, 0.0], [0.0, 1000.0, 1001.0]])
    y = np.array([1, 0])
    loss = cross_entropy(z, y)
    np.testing.assert_allclose(loss, (2e4 + 1001 + np.log1p(np.exp(-1.0))) / 2, rtol=1e-12)
    grad = cross_entropy_grad(z, y)
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad.sum(axis=-1), 0.0, atol=1e-15)


# ---------------------------------------------------------------------------------------------
# sigmoid


def test_sigmoid_matches_formula_and_derivative_matches_differences():
    z = np.linspace(-6, 6, 13)
    s = sigmoid(z)
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-z)), rtol=1e-14)
    num = numerical_gradient(lambda v: float(np.sum(sigmoid(v))), z)
    np.testing.assert_allclose(sigmoid_derivative(s), num, rtol=1e-6, atol=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(sigmoid(np.array([-1e4, 1e4])), [0.0, 1.0])


def test_sigmoid_keeps_subnormal_outputs_without_floating_point_events():
    # Closed form: for z <= -40, exp(z) < eps / 2, so sigmoid(z) = exp(z) / (1 + exp(z)) rounds
    # to exp(z), down to the subnormal range. expit (1 / (1 + exp(-z))) gives 0 below -709.8.
    z = np.array([-1000.0, -746.0, -745.0, -740.0, -710.0, -709.0, -500.0, -40.0])
    with np.errstate(all="raise"):  # an overflow or invalid operation in the helper would raise
        s = sigmoid(np.concatenate([z, -z, [0.0, -np.inf, np.inf]]))
    np.testing.assert_array_equal(s[: len(z)], np.exp(z))
    assert s[3] > 4e-322  # -740: subnormal, not 0
    assert s[4] > 4e-309  # -710
    np.testing.assert_array_equal(s[len(z) :], [1.0] * len(z) + [0.5, 0.0, 1.0])
    z32 = np.array([-104.0, -100.0, -89.0, -40.0], dtype=np.float32)
    with np.errstate(all="raise"):
        s32 = sigmoid(z32)
    assert s32.dtype == np.float32
    np.testing.assert_array_equal(s32, np.exp(z32))
    assert s32[1] > 0
    assert s32[2] > 0


def test_sigmoid_jacobian_is_diagonal_softmax_is_not():
    z = rng_from(12).normal(size=4)
    num_sig = np.stack([numerical_gradient(lambda v, i=i: sigmoid(v)[i], z) for i in range(4)])
    np.testing.assert_allclose(num_sig, np.diag(sigmoid_derivative(sigmoid(z))), atol=1e-9)
    jac = softmax_jacobian(softmax(z))
    assert np.min(np.abs(jac[~np.eye(4, dtype=bool)])) > 1e-3


# ---------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("fn", [softmax, log_softmax])
def test_nan_logits_are_rejected(fn):
    with pytest.raises(ValueError, match=r"z must not contain NaN.*shape \(2, 2\)"):
        fn(np.array([[0.0, np.nan], [1.0, 2.0]]))


@pytest.mark.parametrize("fn", [softmax, log_softmax])
def test_all_minus_inf_slice_is_rejected(fn):
    with pytest.raises(ValueError, match=r"all -inf"):
        fn(np.array([[0.0, 1.0], [-np.inf, -np.inf]]))


@pytest.mark.parametrize("bad", [np.zeros((3, 0)), np.zeros((0,))])
def test_empty_class_axis_is_rejected(bad):
    with pytest.raises(ValueError, match=r"z must not be empty.*shape"):
        softmax(bad)
    with pytest.raises(ValueError, match=r"s must not be empty.*shape"):
        softmax_jacobian(bad)


def test_scalar_and_bad_axis_are_rejected():
    with pytest.raises(ValueError, match="at least one dimension"):
        softmax(3.0)
    with pytest.raises(ValueError, match=r"axis 2 is out of range for z of shape \(2, 3\)"):
        softmax(np.zeros((2, 3)), axis=2)
    with pytest.raises(TypeError, match="axis must be an integer"):
        softmax(np.zeros((2, 3)), axis=1.0)


@pytest.mark.parametrize(
    ("bad", "dtype"),
    [
        (np.array(["a", "b"]), "<U1"),
        (np.array([1 + 2j, 3j]), "complex128"),
        (np.array([True, False]), "bool"),
        (np.array([1.0, None], dtype=object), "object"),
    ],
)
def test_non_numeric_dtypes_are_rejected(bad, dtype):
    with pytest.raises(TypeError, match=rf"z must be a real numeric array, got dtype {dtype}"):
        softmax(bad)
    with pytest.raises(TypeError, match=rf"s must be a real numeric array, got dtype {dtype}"):
        softmax_vjp(bad, np.ones(2))


def test_vjp_rejects_mismatched_shapes_and_bad_g():
    s = softmax(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"g must have the shape of s, \(2, 3\); got .*\(3, 2\)"):
        softmax_vjp(s, np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"g must be finite.*\(2, 3\)"):
        softmax_vjp(s, np.array([[0.0, np.inf, 0.0], [0.0, 0.0, 0.0]]))
    with pytest.raises(TypeError, match="g must be a real numeric array, got dtype <U1"):
        softmax_vjp(s, np.full((2, 3), "x"))


def test_logits_passed_as_softmax_outputs_are_rejected():
    z = np.array([[2.0, -1.0, 0.5]])
    with pytest.raises(ValueError, match=r"s must hold probabilities in \[0, 1\].*not logits"):
        softmax_jacobian(z)
    with pytest.raises(ValueError, match=r"last axis sums to 1.*shape \(1, 3\)"):
        softmax_vjp(np.array([[0.2, 0.2, 0.2]]), np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"s must be finite"):
        softmax_jacobian(np.array([np.nan, 1.0]))
    with pytest.raises(ValueError, match=r"s must hold sigmoid outputs in \[0, 1\]"):
        sigmoid_derivative(np.array([-0.5, 2.0]))


@SETTINGS
@given(
    batch=hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=4),
    k=st.integers(2, 6),
    seed=st.integers(0, 2**32 - 1),
    form=st.sampled_from(["index", "one-hot", "soft"]),
    scale=st.sampled_from([1.0, 30.0, 1e300]),
)
def test_cross_entropy_and_grad_equals_the_two_separate_calls(batch, k, seed, form, scale):
    rng = rng_from(seed)
    z = scale * rng.normal(size=(*batch, k))
    idx = rng.integers(0, k, size=batch)
    y = {"index": idx, "one-hot": np.eye(k)[idx], "soft": softmax(rng.normal(size=(*batch, k)))}
    loss, grad = cross_entropy_and_grad(z, y[form])
    assert isinstance(loss, float)
    assert loss == cross_entropy(z, y[form])
    np.testing.assert_array_equal(grad, cross_entropy_grad(z, y[form]))
    z32 = np.clip(z, -1e38, 1e38).astype(np.float32)  # within the float32 range
    target32 = y[form] if form == "index" else y[form].astype(np.float32)
    loss32, grad32 = cross_entropy_and_grad(z32, target32)
    assert grad32.dtype == np.float32
    assert loss32 == cross_entropy(z32, target32)
    np.testing.assert_allclose(grad32, cross_entropy_grad(z32, target32), rtol=0, atol=1e-6)


def test_cross_entropy_and_grad_at_the_edges_equals_the_separate_calls():
    cases = [
        (np.array([[1e308, -1e308]]), np.array([1])),  # a gap beyond the float range
        (np.array([[0.0, -np.inf, 1.0]]), np.array([[0.5, 0.0, 0.5]])),  # a class ruled out
        (np.array([[0.0, -np.inf]]), np.array([1])),  # weight on a ruled-out class: inf
        (np.array([[0.0, 800.0, 0.0]]), np.array([0])),  # confidently wrong
    ]
    for z, y in cases:
        loss, grad = cross_entropy_and_grad(z, y)
        assert loss == cross_entropy(z, y)
        np.testing.assert_array_equal(grad, cross_entropy_grad(z, y))


def test_cross_entropy_and_grad_refuses_what_the_separate_calls_refuse():
    z = np.zeros((3, 4))
    bad = [
        (z, np.array([0, 1, 4])),
        (z, np.array([0.0, 1.0, 2.0])),
        (z, np.array([0, 1])),
        (z, np.full((3, 4), 0.5)),
        (np.array([[np.inf, 0.0]]), np.array([0])),
        (np.array([[np.nan, 0.0]]), np.array([0])),
        (np.array([[-np.inf, -np.inf]]), np.array([0])),
        (np.zeros((0, 3)), np.zeros(0, dtype=int)),
        (np.array([[True, False]]), np.array([0])),
        (np.array([[1j, 0]]), np.array([0])),
    ]
    for zz, y in bad:
        with pytest.raises((TypeError, ValueError)) as separate:
            cross_entropy_grad(zz, y)
        with pytest.raises(type(separate.value), match=re.escape(str(separate.value))):
            cross_entropy_and_grad(zz, y)


def test_cross_entropy_rejects_bad_targets():
    z = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"class indices must lie in \[0, 4\).*\[0, 4\]"):
        cross_entropy(z, np.array([0, 1, 4]))
    with pytest.raises(TypeError, match=r"y of shape \(3,\) holds class indices.*float64"):
        cross_entropy(z, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"y must be class indices of shape \(3,\).*got y of"):
        cross_entropy_grad(z, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"y of shape \(3, 4\) must hold probabilities"):
        cross_entropy(z, np.full((3, 4), 0.5))
    with pytest.raises(ValueError, match=r"z must be finite for cross-entropy"):
        cross_entropy(np.array([[np.inf, 0.0]]), np.array([0]))
    with pytest.raises(ValueError, match=r"z must not contain NaN"):
        cross_entropy_grad(np.array([[np.nan, 0.0]]), np.array([0]))


def test_the_refusal_message_states_a_limit_no_accepted_row_sum_exceeds():
    # rows off by up to the tolerance itself are accepted; the message must not state less
    for k in (3, 10, 1000, 10_000):
        tol = float32_tolerance(k)
        s = np.full((1, k), 1 / k)
        accepted = s.copy()
        accepted[0, 0] += 0.999 * tol
        softmax_vjp(accepted, np.ones((1, k)))
        cross_entropy(np.zeros((1, k)), accepted)
        off = s.copy()
        off[0, 0] += 2 * tol
        messages = []
        with pytest.raises(ValueError, match=r"last axis sums to 1 \(within ") as info:
            softmax_vjp(off, np.ones((1, k)))
        messages.append(str(info.value))
        with pytest.raises(ValueError, match=r"summing to 1 within ") as info:
            cross_entropy(np.zeros((1, k)), off)
        messages.append(str(info.value))
        for message in messages:
            stated = float(re.search(r"within ([0-9.e+-]+)\)", message).group(1))
            assert tol <= stated <= 1.01 * tol, (k, tol, message)


def test_the_size_refusal_shows_the_exact_entry_count_and_limit():
    # 1000 samples of 1001 classes: 1000 * 1001**2 = 1,002,001,000 entries, just over 10**9
    s = np.full((1000, 1001), 1 / 1001)
    with pytest.raises(ValueError, match="softmax_vjp") as info:
        softmax_jacobian(s)
    message = str(info.value)
    assert "a Jacobian of 1,002,001,000 entries (at most 1,000,000,000)" in message, message
    assert "(1000, 1001)" in message
