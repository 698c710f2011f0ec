"""The input contract for helpers.softmax (see tests/_contract.py and CONTRIBUTING.md).

For any input, every public function returns a correct result or raises a ValueError/TypeError
naming the argument, within a second, without modifying its inputs or returning views of them.
Properties range over the whole finite float64 range (and float32, which every function accepts);
results are compared with references computed in extended precision (``np.longdouble``) where
the float64 computation could overflow.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from _contract import ODD_TYPES, check_contract, finite_arrays, odd_arraylikes
from hypothesis import given, settings
from hypothesis import strategies as st

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

SETTINGS = settings(max_examples=60, deadline=None)
SHAPES = st.tuples(st.integers(1, 4), st.integers(1, 5))
BIG = float(np.finfo(np.float64).max)
LD = np.longdouble
EXTENDED = np.finfo(LD).maxexp > 1024  # x86's 80-bit long double: g - <g, s> cannot overflow


def z_arrays(dtype=np.float64):
    return SHAPES.flatmap(lambda shape: finite_arrays(shape, dtype=dtype))


def probabilities(seed: int, shape=(3, 4)) -> np.ndarray:
    return softmax(np.random.default_rng(seed).normal(size=shape))


# ---------------------------------------------------------------------------------------------
# whole-range properties


@SETTINGS
@given(z=z_arrays(), axis=st.sampled_from([0, -1]))
def test_softmax_whole_float64_range(z, axis):
    def right(s):
        assert s.dtype == np.float64
        assert np.all(s >= 0)
        np.testing.assert_allclose(s.sum(axis=axis), 1.0, atol=1e-12)
        with np.errstate(over="ignore", invalid="ignore"):
            ref = scipy.special.softmax(z, axis=axis)
        if np.isfinite(ref).all():
            np.testing.assert_allclose(s, ref, rtol=1e-12, atol=1e-300)

    check_contract(softmax, {"z": z, "axis": axis}, result_check=right)


@SETTINGS
@given(z=z_arrays(np.float32))
def test_softmax_and_log_softmax_whole_float32_range(z):
    def right(s):
        assert s.dtype == np.float32
        np.testing.assert_allclose(s.sum(axis=-1), 1.0, atol=1e-5)

    check_contract(softmax, {"z": z}, result_check=right)
    check_contract(log_softmax, {"z": z}, result_check=lambda r: _check_log(r, z, np.float32))


def _check_log(ls: np.ndarray, z: np.ndarray, dtype) -> None:
    assert ls.dtype == dtype
    assert not np.isnan(ls).any()
    assert np.all(ls <= 1e-6)
    zl = z.astype(LD)
    m = zl.max(axis=-1, keepdims=True)
    ref = zl - m - np.log(np.exp(zl - m).sum(axis=-1, keepdims=True))
    fits = np.abs(ref) <= np.finfo(dtype).max
    np.testing.assert_allclose(
        ls[fits], ref[fits].astype(dtype), rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5
    )
    assert np.all(np.isneginf(ls[~fits]))  # beyond the float range: -inf, its rounded value


@SETTINGS
@given(z=z_arrays())
def test_log_softmax_whole_float64_range(z):
    check_contract(log_softmax, {"z": z}, result_check=lambda r: _check_log(r, z, np.float64))


@SETTINGS
@given(data=st.data(), shape=SHAPES, dtype=st.sampled_from([np.float64, np.float32]))
def test_softmax_vjp_whole_range(data, shape, dtype):
    s = softmax(data.draw(finite_arrays(shape, dtype=dtype)))
    g = data.draw(finite_arrays(shape, dtype=dtype))

    def right(dz):
        assert dz.dtype == dtype
        assert np.isfinite(dz).all()
        if EXTENDED and dtype == np.float64:
            sl, gl = s.astype(LD), g.astype(LD)
            ref = sl * (gl - (gl * sl).sum(axis=-1, keepdims=True))
            top = np.abs(g).max(axis=-1, keepdims=True)
            assert np.all(np.abs(dz - ref.astype(np.float64)) <= 1e-12 * top + 1e-300)

    check_contract(softmax_vjp, {"s": s, "g": g}, result_check=right)


def _ce_reference(z: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy in extended precision (y as probabilities)."""
    zl, yl = z.astype(LD), y.astype(LD)
    m = zl.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(zl - m).sum(axis=-1, keepdims=True))
    terms = np.where(yl > 0, yl * (lse - (zl - m)), 0)
    return float(terms.sum() / (z.size // z.shape[-1]))


@pytest.mark.skipif(not EXTENDED, reason="the reference needs an extended long double")
@SETTINGS
@given(data=st.data(), shape=SHAPES, as_index=st.booleans())
def test_cross_entropy_whole_float64_range(data, shape, as_index):
    z = data.draw(finite_arrays(shape))
    idx = np.array(
        data.draw(st.lists(st.integers(0, shape[1] - 1), min_size=shape[0], max_size=shape[0]))
    )
    y = idx if as_index else probabilities(int(idx.sum()), shape)
    ref = _ce_reference(z, np.eye(shape[1])[idx] if as_index else y)

    def right(loss):
        assert isinstance(loss, float)
        if ref > BIG:
            assert loss == np.inf
        else:
            assert np.isfinite(loss)
            assert abs(loss - ref) <= 1e-10 * ref + 1e-300

    check_contract(cross_entropy, {"z": z, "y": y}, result_check=right)


@SETTINGS
@given(data=st.data(), shape=SHAPES, dtype=st.sampled_from([np.float64, np.float32]))
def test_cross_entropy_grad_whole_range(data, shape, dtype):
    z = data.draw(finite_arrays(shape, dtype=dtype))
    idx = np.array(
        data.draw(st.lists(st.integers(0, shape[1] - 1), min_size=shape[0], max_size=shape[0]))
    )
    onehot = np.eye(shape[1], dtype=dtype)[idx]

    def right(dz):
        assert dz.dtype == dtype
        expected = (softmax(z) - onehot) / shape[0]
        np.testing.assert_allclose(dz, expected, atol=1e-6 if dtype == np.float32 else 1e-15)

    check_contract(cross_entropy_grad, {"z": z, "y": idx}, result_check=right)
    check_contract(cross_entropy_grad, {"z": z, "y": onehot}, result_check=right)


@SETTINGS
@given(z=SHAPES.flatmap(finite_arrays))
def test_sigmoid_and_derivative_whole_range(z):
    def right(s):
        assert np.all((s >= 0) & (s <= 1))
        # expit where its output is normal; the closed form exp(z) where exp(z) < eps / 2
        with np.errstate(under="ignore"):
            expected = np.where(z < -40, np.exp(np.minimum(z, 0)), scipy.special.expit(z))
        np.testing.assert_allclose(s, expected, rtol=4 * np.finfo(s.dtype).eps, atol=0)

    out = check_contract(sigmoid, {"z": z}, result_check=right)
    check_contract(
        sigmoid_derivative,
        {"s": out.result},
        result_check=lambda d: np.testing.assert_allclose(d, out.result * (1 - out.result)),
    )


@SETTINGS
@given(z=z_arrays())
def test_jacobian_and_rowsum_whole_range(z):
    s = softmax(z)

    def right(jac):
        np.testing.assert_allclose(jac.sum(axis=-1), 0.0, atol=1e-15)
        np.testing.assert_array_equal(jac, np.swapaxes(jac, -1, -2))

    check_contract(softmax_jacobian, {"s": s}, result_check=right)
    check_contract(
        _jacobian_rowsum,
        {"s": s},
        result_check=lambda r: np.testing.assert_allclose(r, 0.0, atol=1e-15),
    )


# ---------------------------------------------------------------------------------------------
# odd array-likes and wrong types, for every argument

Z = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, 3.0]])
S = softmax(Z)
G = np.array([[0.25, -0.5, 1.0], [2.0, 0.0, -1.0]])
Y = np.array([2, 0])

CALLS = {
    "softmax": (softmax, {"z": Z}),
    "log_softmax": (log_softmax, {"z": Z}),
    "softmax_jacobian": (softmax_jacobian, {"s": S}),
    "_jacobian_rowsum": (_jacobian_rowsum, {"s": S}),
    "softmax_vjp": (softmax_vjp, {"s": S, "g": G}),
    "cross_entropy": (cross_entropy, {"z": Z, "y": Y}),
    "cross_entropy_grad": (cross_entropy_grad, {"z": Z, "y": Y}),
    "sigmoid": (sigmoid, {"z": Z}),
    "sigmoid_derivative": (sigmoid_derivative, {"s": S}),
}
ARRAY_CASES = [
    (name, arg, label, value, valid)
    for name, (fn, kwargs) in CALLS.items()
    for arg in kwargs
    if arg != "y"
    for label, value, valid in odd_arraylikes(kwargs[arg])
]


@pytest.mark.parametrize(
    ("name", "arg", "label", "value", "valid"),
    ARRAY_CASES,
    ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in ARRAY_CASES],
)
def test_odd_arraylikes(name, arg, label, value, valid):
    fn, kwargs = CALLS[name]
    expected = fn(**kwargs)

    def same(result):
        np.testing.assert_allclose(result, expected, rtol=1e-15, atol=1e-300)

    check_contract(
        fn,
        {**kwargs, arg: value},
        names=(arg,),
        must_raise=not valid,
        result_check=same if valid else None,
    )


TYPE_CASES = [
    (name, arg, i)
    for name, (fn, kwargs) in CALLS.items()
    for arg in [*kwargs, *(["axis"] if name in ("softmax", "log_softmax") else [])]
    for i in range(len(ODD_TYPES))
]


@pytest.mark.parametrize(("name", "arg", "i"), TYPE_CASES)
def test_odd_types(name, arg, i):
    fn, kwargs = CALLS[name]
    check_contract(fn, {**kwargs, arg: ODD_TYPES[i]}, names=(arg,), must_raise=True)


@pytest.mark.parametrize(
    "y",
    [
        np.array([2.0, 0.0]),
        np.array([True, False]),
        np.array([-1, 0]),
        np.array([3, 0]),
        np.ma.array([2, 0], mask=[0, 1]),
        np.full((2, 3), 0.5),
        np.ones((3, 3)) / 3,
        [[1, 0]],
    ],
)
@pytest.mark.parametrize("fn", [cross_entropy, cross_entropy_grad, cross_entropy_and_grad])
def test_bad_targets_are_refused(fn, y):
    check_contract(fn, {"z": Z, "y": y}, names=("y",), must_raise=True)


@pytest.mark.parametrize("fn", [cross_entropy, cross_entropy_grad])
def test_target_spellings_agree(fn):
    expected = fn(Z, Y)
    for y in (
        Y.tolist(),
        Y.astype(np.uint8),
        np.eye(3)[Y],
        np.eye(3, dtype=int)[Y],
        np.eye(3)[Y].tolist(),
    ):
        check_contract(
            fn,
            {"z": Z, "y": y},
            result_check=lambda r: np.testing.assert_allclose(r, expected, rtol=1e-15),
        )


# ---------------------------------------------------------------------------------------------
# the reproducers of the reliability review, one test each


def test_cross_entropy_with_a_gap_of_2e308_is_right():
    assert cross_entropy([1e308, -1e308], [1.0, 0.0]) == 0.0
    assert cross_entropy([1e308, -1e308], [0.5, 0.5]) == pytest.approx(1e308, rel=1e-15)


def test_cross_entropy_mean_of_huge_finite_losses_is_finite():
    assert cross_entropy([[1.7e308, 0.0]] * 2, [1, 1]) == pytest.approx(1.7e308, rel=1e-15)


def test_cross_entropy_float32_extremes():
    z = np.array([2e38, -2e38], dtype=np.float32)
    assert cross_entropy(z, np.array([1.0, 0.0], dtype=np.float32)) == 0.0
    assert cross_entropy(z, np.array([0.0, 1.0], dtype=np.float32)) == pytest.approx(
        2 * float(z[0]), rel=1e-7
    )


def test_softmax_vjp_with_g_near_the_float_range():
    dz = softmax_vjp([1e-300, 1 - 1e-300], [1.7e308, -1.7e308])
    np.testing.assert_allclose(dz, [3.4e8, -3.4e8], rtol=1e-12)


def test_softmax_vjp_guarded_path_when_an_entry_underflows_in_the_scaling():
    # the scale of this g is 2**1023, so the middle entry underflows to 0: not exact, but the
    # error stays below eps * max|g| (the exact value is computed in rationals)
    from fractions import Fraction

    s, g = softmax(np.array([0.0, 1.0, -1.0])), np.array([1.7e308, 1e-300, -1.7e308])
    assert 1e-300 / 2.0**1023 == 0
    s_q, g_q = [Fraction(v) for v in s], [Fraction(v) for v in g]
    inner = sum(a * b for a, b in zip(s_q, g_q, strict=True))
    exact = [float(si * (gi - inner)) for si, gi in zip(s_q, g_q, strict=True)]
    assert np.max(np.abs(softmax_vjp(s, g) - exact)) < np.finfo(float).eps * 1.7e308


def test_softmax_vjp_error_grows_with_an_offset_of_g_and_the_row_maximum_shift_removes_it():
    # the promise is absolute, a few eps * max|g|: a common offset c of g costs about eps * c,
    # although softmax ignores it; g minus its row maximum (exact here: every entry lies within
    # a factor 2 of it) gives the VJP to a few eps again. The reference is computed in rationals,
    # with s normalised to sum exactly to 1.
    from fractions import Fraction

    rng = np.random.default_rng(5)
    s, h = softmax(rng.normal(size=(20, 4))), rng.normal(size=(20, 4))
    eps = np.finfo(float).eps

    def exact(g):
        rows = []
        for s_row, g_row in zip(s, g, strict=True):
            s_q = [Fraction(v) for v in s_row]
            s_q = [v / sum(s_q) for v in s_q]
            inner = sum(a * Fraction(b) for a, b in zip(s_q, g_row, strict=True))
            rows.append([float(a * (Fraction(b) - inner)) for a, b in zip(s_q, g_row, strict=True)])
        return np.array(rows)

    for c in (1e4, 1e8, 1e12):
        g = c + h
        reference = exact(g)
        error = np.max(np.abs(softmax_vjp(s, g) - reference))
        assert 1e-3 * eps * c < error < 4 * eps * np.abs(g).max()
        shifted = g - g.max(axis=-1, keepdims=True)
        assert np.max(np.abs(softmax_vjp(s, shifted) - reference)) < 4 * eps


def test_softmax_vjp_row_does_not_depend_on_the_other_rows():
    # only the rows near the float range take the scaled path: an ordinary row gives the same
    # bits alone and in a batch with huge rows (a whole-batch guard would shift it too)
    rng = np.random.default_rng(0)
    s = softmax(np.r_[[[0.0, 40.0, -3.0]], rng.normal(size=(5, 3)) * 5])
    g = np.r_[[[1.0, 0.5, 0.0]], rng.normal(size=(5, 3))]
    g[[2, 4]] = g[[2, 4]] / np.abs(g[[2, 4]]).max(axis=1, keepdims=True) * 1.7e308  # two huge rows
    together = softmax_vjp(s, g)
    for m in range(len(s)):
        assert np.array_equal(softmax_vjp(s[m], g[m]), together[m]), m
        assert np.array_equal(softmax_vjp(s[m : m + 1], g[m : m + 1])[0], together[m]), m
    assert np.all(np.isfinite(together))
    alone = softmax_vjp(s[0], g[0])
    assert alone[1] == 0.0  # the unscaled path: g_i - <g, s> cancels for the top class
    assert together[0, 1] == 0.0  # and stays so next to huge rows


@pytest.mark.parametrize("fn", [softmax, log_softmax, sigmoid])
def test_masked_arrays_are_refused(fn):
    with pytest.raises(TypeError, match="z must be a plain array, got a masked array"):
        fn(np.ma.array([0.0, 100.0], mask=[0, 1]))


def test_one_dtype_rule():
    for dtype, expected in [
        (np.float16, np.float64),
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.int32, np.float64),
    ]:
        z = np.array([[1, 2, 3]], dtype=dtype)
        for fn in (softmax, log_softmax, sigmoid):
            assert fn(z).dtype == expected, (fn.__name__, dtype)
        assert softmax_vjp(softmax(z), z).dtype == expected
        assert softmax_jacobian(softmax(z)).dtype == expected


def test_cross_entropy_grad_dtype_does_not_depend_on_the_target_form():
    z = np.zeros((2, 3), dtype=np.float32)
    forms = [
        [0, 1],
        np.array([0, 1]),
        np.eye(3, dtype=int)[[0, 1]],
        np.eye(3, dtype=np.float32)[[0, 1]],
    ]
    assert {cross_entropy_grad(z, y).dtype for y in forms} == {np.dtype(np.float32)}


def test_cross_entropy_mean_is_finite_when_one_sample_loss_exceeds_the_range():
    big = float(np.finfo(np.float64).max)
    assert cross_entropy([[big, -0.5 * big], [0.0, 0.0]], [1, 0]) == pytest.approx(0.75 * big)


@pytest.mark.parametrize("arg", ["z", "y"])
@pytest.mark.parametrize("i", range(len(ODD_TYPES)))
def test_cross_entropy_and_grad_odd_types(arg, i):
    kwargs = {"z": Z, "y": Y}
    check_contract(
        cross_entropy_and_grad, {**kwargs, arg: ODD_TYPES[i]}, names=(arg,), must_raise=True
    )


@SETTINGS
@given(data=st.data(), shape=SHAPES, dtype=st.sampled_from([np.float64, np.float32]))
def test_cross_entropy_and_grad_whole_range(data, shape, dtype):
    z = data.draw(finite_arrays(shape, dtype=dtype))
    idx = np.array(
        data.draw(st.lists(st.integers(0, shape[1] - 1), min_size=shape[0], max_size=shape[0]))
    )

    def right(result):
        loss, dz = result
        assert loss == cross_entropy(z, idx)
        assert dz.dtype == dtype
        np.testing.assert_allclose(
            dz, cross_entropy_grad(z, idx), rtol=0, atol=1e-6 if dtype == np.float32 else 0
        )

    check_contract(cross_entropy_and_grad, {"z": z, "y": idx}, result_check=right)
