"""The helpers' contract for helpers.channels: a right answer or a named error, quickly, for any
input; inputs never modified nor returned as views; the reproducers of the reliability review.

Every public function is called with wrong types for every argument (``ODD_TYPES``), with other
spellings of valid arrays (lists, Fortran order, strided and read-only views, integer, float32
and complex dtypes are valid here; masked, bool and object arrays are not), and with hypothesis
arrays whose entries range over the whole finite float64 (and float32) range. Each call runs
under ``check_contract``: a one-second limit, a named ``ValueError``/``TypeError`` or a result
that is checked, and a mutation check on every argument.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.linalg
from _contract import ODD_TYPES, check_contract, finite_arrays, odd_arraylikes
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

from helpers.channels import (
    PSD_TOL,
    FixedPointConvergenceError,
    NonUniqueFixedPointError,
    amplitude_damping_kraus,
    apply_channel,
    channel_operator,
    depolarizing_kraus,
    fixed_point,
    fixed_point_of_operator,
    is_trace_preserving,
    kraus_from_question_layout,
    normalize_trace_preserving,
    random_kraus,
    superoperator,
)

KRAUS = random_kraus(3, 2, rng=np.random.default_rng(0))  # (2, 3, 3), trace preserving
RHO = np.diag([0.5, 0.3, 0.2])


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1):
        yield


# Every public function with valid arguments, by name; each argument is replaced in turn.
CALLS = {
    "kraus_from_question_layout": (
        kraus_from_question_layout,
        {"kraus_op": KRAUS.transpose(1, 0, 2)},
    ),
    "is_trace_preserving": (is_trace_preserving, {"kraus": KRAUS, "atol": 1e-12}),
    "normalize_trace_preserving": (normalize_trace_preserving, {"kraus": KRAUS}),
    "random_kraus": (
        random_kraus,
        {"n": 3, "d": 2, "rng": np.random.default_rng(1), "trace_preserving": True},
    ),
    "depolarizing_kraus": (depolarizing_kraus, {"n": 3, "p": 0.2}),
    "amplitude_damping_kraus": (amplitude_damping_kraus, {"n": 3, "gamma": 0.3, "ground": 1}),
    "apply_channel": (apply_channel, {"kraus": KRAUS, "rho": RHO}),
    "superoperator": (superoperator, {"kraus": KRAUS}),
    "channel_operator": (channel_operator, {"kraus": KRAUS}),
    "fixed_point": (
        fixed_point,
        {"kraus": KRAUS, "method": "arpack", "tol": 1e-10, "v0": RHO, "ncv": 5},
    ),
    "fixed_point_of_operator": (
        fixed_point_of_operator,
        {"op": superoperator(KRAUS), "n": 3, "tol": 1e-10, "v0": RHO, "ncv": 5},
    ),
}
# Odd values that are valid for one argument (documented): a fresh-entropy rng, the default v0.
VALID_ODD = {
    ("random_kraus", "rng"): (None,),
    ("fixed_point", "v0"): (None,),
    ("fixed_point_of_operator", "v0"): (None,),
    ("fixed_point", "ncv"): (None,),
    ("fixed_point_of_operator", "ncv"): (None,),
}
ARRAY_ARGS = [
    ("kraus_from_question_layout", "kraus_op"),
    ("is_trace_preserving", "kraus"),
    ("normalize_trace_preserving", "kraus"),
    ("apply_channel", "kraus"),
    ("apply_channel", "rho"),
    ("superoperator", "kraus"),
    ("channel_operator", "kraus"),
    ("fixed_point", "kraus"),
    ("fixed_point", "v0"),
    ("fixed_point_of_operator", "op"),
    ("fixed_point_of_operator", "v0"),
]


def _call_cases():
    for name, (_, kwargs) in CALLS.items():
        for arg in kwargs:
            for i, bad in enumerate(ODD_TYPES):
                if any(bad is ok for ok in VALID_ODD.get((name, arg), ())):
                    continue
                yield pytest.param(name, arg, bad, id=f"{name}-{arg}-{i}")


@pytest.mark.parametrize(("name", "arg", "bad"), list(_call_cases()))
def test_odd_types_are_refused_by_name(name, arg, bad):
    fn, kwargs = CALLS[name]
    check_contract(fn, {**kwargs, arg: bad}, names=(arg,), must_raise=True)


def _same_result(a, b):
    if isinstance(a, tuple):
        for x, y in zip(a, b, strict=True):
            _same_result(x, y)
    elif isinstance(a, np.ndarray):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    elif hasattr(a, "matvec"):
        v = np.arange(a.shape[1], dtype=complex)
        np.testing.assert_allclose(a @ v, b @ v, rtol=1e-12)
    elif isinstance(a, float):  # an eigenvalue: another memory layout may round differently
        np.testing.assert_allclose(a, b, rtol=1e-12)
    else:
        assert a == b


@pytest.mark.parametrize(("name", "arg"), ARRAY_ARGS)
def test_other_spellings_of_valid_arrays(name, arg):
    fn, kwargs = CALLS[name]
    base = np.asarray(kwargs[arg])
    real = base.real if np.iscomplexobj(base) else base
    reference = fn(**{**kwargs, arg: real})
    for label, value, valid in odd_arraylikes(real):
        valid = valid or label == "complex"  # complex operators and states are the point here
        outcome = check_contract(fn, {**kwargs, arg: value}, names=(arg,), must_raise=not valid)
        if valid:
            assert not outcome.raised, f"{label}: {outcome.error}"
            _same_result(outcome.result, reference)


@pytest.mark.parametrize(("name", "arg"), ARRAY_ARGS)
def test_empty_and_non_finite_arrays_are_refused(name, arg):
    fn, kwargs = CALLS[name]
    base = np.asarray(kwargs[arg])
    bad_nan = base.astype(complex)
    bad_nan.flat[0] = np.nan
    for bad in (bad_nan, np.zeros((0, *base.shape[1:]))):
        check_contract(fn, {**kwargs, arg: bad}, names=(arg,), must_raise=True)


# ------------------------------------------------------------ the whole finite range


def _kraus_check(kraus):
    def check(result):
        lam, rho = result
        assert isinstance(lam, float)
        assert np.isfinite(lam)
        assert lam >= 0
        np.testing.assert_array_equal(rho, rho.conj().T)
        np.testing.assert_allclose(np.trace(rho), 1.0, atol=1e-9)
        assert np.linalg.eigvalsh(rho)[0] >= -PSD_TOL
        k = np.asarray(kraus, dtype=complex)
        s = np.max(np.abs(k))
        scaled = apply_channel(k / s, rho)
        np.testing.assert_allclose(scaled, (lam / s / s) * rho, atol=1e-5)

    return check


def kraus_arrays(dtype=np.float64):
    shapes = st.tuples(st.integers(1, 3), st.integers(1, 3)).map(lambda dn: (dn[0], dn[1], dn[1]))
    return shapes.flatmap(lambda shape: finite_arrays(shape, dtype=dtype))


@settings(max_examples=60)
@given(kraus=kraus_arrays(), method=st.sampled_from(["arpack", "dense", "power", "DENSE"]))
def test_fixed_point_over_the_whole_float64_range(kraus, method):
    check_contract(
        fixed_point,
        {"kraus": kraus, "method": method},
        names=("kraus",),
        result_check=_kraus_check(kraus),
    )


@settings(max_examples=40)
@given(re=kraus_arrays(), scale=st.floats(-300, 300))
def test_fixed_point_complex_kraus_any_scale(re, scale):
    rng = np.random.default_rng(abs(hash(re.tobytes())) % 2**32)
    with np.errstate(over="ignore", invalid="ignore"):
        kraus = (re + 1j * rng.standard_normal(re.shape)) * 10.0**scale
    assume(np.isfinite(kraus).all())
    check_contract(
        fixed_point, {"kraus": kraus}, names=("kraus",), result_check=_kraus_check(kraus)
    )


@settings(max_examples=40)
@given(kraus=kraus_arrays(np.float32))
def test_float32_is_computed_in_complex128(kraus):
    outcome = check_contract(superoperator, {"kraus": kraus}, names=("kraus",))
    if not outcome.raised:
        assert outcome.result.dtype == np.complex128
    outcome = check_contract(
        fixed_point, {"kraus": kraus}, names=("kraus",), result_check=_kraus_check(kraus)
    )
    if not outcome.raised:
        assert outcome.result[1].dtype == np.complex128


@settings(max_examples=60)
@given(kraus=kraus_arrays())
def test_normalize_over_the_whole_float64_range(kraus):
    def check(result):
        assert is_trace_preserving(result, atol=1e-10)

    check_contract(normalize_trace_preserving, {"kraus": kraus}, result_check=check)


@settings(max_examples=60)
@given(kraus=kraus_arrays(), atol=st.floats(0, 0.999))
def test_is_trace_preserving_over_the_whole_float64_range(kraus, atol):
    def check(result):
        assert isinstance(result, bool)

    check_contract(is_trace_preserving, {"kraus": kraus, "atol": atol}, result_check=check)


@settings(max_examples=60)
@given(kraus=kraus_arrays(), data=st.data())
def test_apply_and_superoperator_over_the_whole_float64_range(kraus, data):
    n = kraus.shape[1]
    rho = data.draw(finite_arrays((n, n)))

    def check_apply(result):
        assert np.isfinite(result).all()
        k = kraus.astype(complex)
        s, r = max(np.max(np.abs(k)), 1e-300), max(np.max(np.abs(rho)), 1e-300)
        expected = sum(kj @ (rho / r) @ kj.conj().T for kj in k / s)
        # The result's scale s^2 r, as a power of ten (the product itself may under/overflow).
        if 2 * np.log10(s) + np.log10(r) > -280:  # far above underflow: compare it, scaled
            np.testing.assert_allclose(result / s / s / r, expected, rtol=1e-9, atol=1e-12)
        else:  # the exact result underflows: it must come out as (almost) zero, not garbage
            d, n = k.shape[0], k.shape[1]
            assert np.max(np.abs(result)) <= d * n * n * s * s * r + 1e-300

    check_contract(apply_channel, {"kraus": kraus, "rho": rho}, result_check=check_apply)
    check_contract(superoperator, {"kraus": kraus}, result_check=lambda s: np.isfinite(s).all())


@settings(max_examples=40)
@given(n=st.integers(-3, 6), d=st.integers(-3, 4), p=st.floats(-1, 2))
def test_constructors_over_their_ranges(n, d, p):
    for fn, kwargs in [
        (random_kraus, {"n": n, "d": d, "rng": np.random.default_rng(0)}),
        (depolarizing_kraus, {"n": n, "p": p}),
        (amplitude_damping_kraus, {"n": n, "gamma": p, "ground": max(n - 1, 0)}),
    ]:
        outcome = check_contract(fn, kwargs)
        if not outcome.raised:
            assert is_trace_preserving(outcome.result, atol=1e-10)


# ------------------------------------------------------------ the reliability reproducers


@pytest.mark.parametrize("scale", [1e155, 1e200, 1e300, 1e-160, 1e-200, 1e-300])
def test_normalize_is_trace_preserving_at_any_scale(scale):
    kraus = KRAUS * scale
    out = check_contract(normalize_trace_preserving, {"kraus": kraus}).result
    assert is_trace_preserving(out)


@pytest.mark.parametrize("atol", [-1.0, np.array(np.nan), float("inf"), 1.0])  # 0-d: nan == nan
def test_is_trace_preserving_refuses_bad_atol(atol):
    check_contract(is_trace_preserving, {"kraus": np.eye(2)[None], "atol": atol}, must_raise=True)


def test_is_trace_preserving_refuses_timedelta():
    bad = np.array([[[np.timedelta64(1, "s")]]])
    check_contract(is_trace_preserving, {"kraus": bad}, must_raise=True)


@pytest.mark.parametrize("n", [16, 32, 64])
@pytest.mark.parametrize("method", ["arpack", "power"])
def test_unitary_channel_is_reported_at_once(n, method):
    rng = np.random.default_rng(n)
    u, _ = np.linalg.qr(rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n)))
    for kraus in (u[None], np.stack([u, u]) / np.sqrt(2)):
        t0 = time.perf_counter()
        with pytest.raises(NonUniqueFixedPointError, match="unitary"):
            fixed_point(kraus, method=method)
        assert time.perf_counter() - t0 < 1.0


@pytest.mark.parametrize("kraus", [np.zeros((2, 3, 3)), KRAUS * 1e200, KRAUS * 1e-200])
@pytest.mark.parametrize("method", ["arpack", "power", "dense"])
def test_zero_and_extreme_channels_give_named_errors(kraus, method, capfd):
    out = check_contract(fixed_point, {"kraus": kraus, "method": method}, must_raise=True)
    assert "kraus" in str(out.error)
    assert "v0" not in str(out.error)  # no start vector would help
    assert capfd.readouterr().err == ""  # nothing from LAPACK on stderr


@pytest.mark.parametrize("scale", [1e150, 1e-150])
def test_extreme_but_representable_eigenvalues(scale):
    lam_ref, rho_ref = fixed_point(KRAUS)
    for method in ("arpack", "power", "dense"):
        lam, rho = fixed_point(KRAUS * scale, method=method)
        np.testing.assert_allclose(lam, lam_ref * scale**2, rtol=1e-9)
        np.testing.assert_allclose(rho, rho_ref, atol=1e-8)


def test_nilpotent_map_is_named():
    nil = np.zeros((2, 3, 3))
    nil[0, 0, 1] = nil[1, 0, 2] = 1.0
    for method in ("arpack", "power", "dense"):
        with pytest.raises(NonUniqueFixedPointError, match="nilpotent"):
            fixed_point(nil, method=method)


def test_power_from_a_traceless_start_blames_v0_not_the_channel():
    damping = amplitude_damping_kraus(2, 0.5)  # unique fixed point |0><0|
    with pytest.raises(ValueError, match=r"v0 has no component along the fixed point") as err:
        fixed_point(damping, method="power", v0=np.array([[0.0, 1.0], [0.0, 0.0]]))
    assert not isinstance(err.value, NonUniqueFixedPointError)
    _, rho = fixed_point(damping, method="power", v0=np.array([[0.0, 1.0], [0.0, 1.0]]))
    np.testing.assert_allclose(rho, [[1, 0], [0, 0]], atol=1e-9)


@pytest.mark.parametrize("tol", [1e-300, 1e-13, 0.5, 1e-7])
def test_tol_outside_its_range_is_refused(tol):
    check_contract(fixed_point, {"kraus": KRAUS, "tol": tol}, names=("tol",), must_raise=True)


@pytest.mark.parametrize("ncv", [2, 10, -1, 2**70])
@pytest.mark.parametrize("fn", ["fixed_point", "fixed_point_of_operator"])
def test_ncv_outside_its_range_is_refused(fn, ncv):
    function, kwargs = CALLS[fn]
    check_contract(function, {**kwargs, "ncv": ncv}, names=("ncv",), must_raise=True)


@pytest.mark.parametrize("ncv", [3, 6, 9])
def test_ncv_in_range_gives_the_fixed_point(ncv):
    reference = fixed_point(KRAUS, method="dense")[1]
    np.testing.assert_allclose(fixed_point(KRAUS, ncv=ncv)[1], reference, atol=1e-8)
    op = channel_operator(KRAUS)
    np.testing.assert_allclose(fixed_point_of_operator(op, 3, ncv=ncv)[1], reference, atol=1e-8)


def test_method_ignores_case_everywhere():
    reference = fixed_point(KRAUS, method="dense")
    for method in ("DENSE", "Dense", "ARPACK", "Power"):
        lam, rho = fixed_point(KRAUS, method=method)
        np.testing.assert_allclose(lam, reference[0], rtol=1e-9)
        np.testing.assert_allclose(rho, reference[1], atol=1e-8)


@pytest.mark.parametrize("flag", ["no", 0, 1, None, np.array([True])])
def test_trace_preserving_must_be_a_bool(flag):
    check_contract(
        random_kraus,
        {"n": 2, "d": 2, "rng": np.random.default_rng(0), "trace_preserving": flag},
        names=("trace_preserving",),
        must_raise=True,
    )


def test_periodic_channel_quickly_solved_or_named_error():
    swap = np.zeros((2, 2, 2))
    swap[0, 1, 0] = swap[1, 0, 1] = 1.0
    t0 = time.perf_counter()
    with pytest.raises(FixedPointConvergenceError, match="kraus"):
        fixed_point(swap, method="power")
    assert time.perf_counter() - t0 < 1.0
    for method in ("arpack", "dense"):  # the fixed point I / 2 is unique
        t0 = time.perf_counter()
        np.testing.assert_allclose(fixed_point(swap, method=method)[1], np.eye(2) / 2)
        assert time.perf_counter() - t0 < 1.0


def test_dense_refuses_large_n_at_once():
    big = np.broadcast_to(np.eye(65), (1, 65, 65)) * 0.5
    check_contract(fixed_point, {"kraus": big, "method": "dense"}, must_raise=True)


def test_results_are_new_arrays():
    kraus_op = np.ones((3, 1, 3), dtype=complex)  # its transpose is already contiguous
    out = kraus_from_question_layout(kraus_op)
    assert not np.shares_memory(out, kraus_op)
    u = scipy.linalg.expm(1j * np.diag([0.0, 0.3]))
    assert not np.shares_memory(normalize_trace_preserving(u[None]), u)


@pytest.mark.parametrize("entry", [2.22507386e-311, 5e-324, 2.2e-308])
def test_normalize_subnormal_kraus_operators(entry):
    """Scaling by the largest entry must not overflow when that entry is subnormal."""
    kraus = np.array([[[entry, 0.0], [0.0, entry]]], dtype=complex)
    out = check_contract(normalize_trace_preserving, {"kraus": kraus}).result
    assert is_trace_preserving(out)


@pytest.mark.parametrize("entry", [2.22507386e-313, 5e-324])
def test_apply_channel_to_a_subnormal_state(entry):
    """Scaling rho by its largest entry must not overflow when that entry is subnormal."""
    out = check_contract(
        apply_channel, {"kraus": np.array([[[1.0]]]), "rho": np.array([[entry]])}
    ).result
    np.testing.assert_array_equal(out, [[entry]])


def test_apply_channel_whose_exact_result_underflows():
    """K rho K^H below the smallest double comes out as 0, not as garbage or an error."""
    out = check_contract(
        apply_channel, {"kraus": np.array([[[1.07585801e-301]]]), "rho": np.array([[1.0]])}
    ).result
    np.testing.assert_array_equal(out, [[0.0]])
