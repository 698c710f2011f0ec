"""Tests of helpers.channels: superoperator, matrix-free operator, fixed points, validation."""

from __future__ import annotations

import re
import subprocess
import sys
import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.linalg
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.sparse.linalg import LinearOperator
from threadpoolctl import threadpool_limits

from helpers.channels import (
    PSD_TOL,
    DefectiveFixedPointError,
    FixedPointConvergenceError,
    FixedPointError,
    NonUniqueFixedPointError,
    UncheckedDefectWarning,
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

sizes = st.integers(min_value=1, max_value=6)
kraus_counts = st.integers(min_value=1, max_value=4)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1):
        yield


def loop_channel(kraus: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """The definition, one Kraus operator at a time (the reference for the vectorised code)."""
    out = np.zeros_like(rho, dtype=complex)
    for k in kraus:
        out += k @ rho @ k.conj().T
    return out


def random_matrix(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def assert_density_matrix(rho: np.ndarray) -> None:
    """Exactly Hermitian, trace 1, no eigenvalue below -PSD_TOL (the module's one PSD bound)."""
    np.testing.assert_array_equal(rho, rho.conj().T)
    np.testing.assert_allclose(np.trace(rho), 1.0, atol=1e-12)
    assert np.linalg.eigvalsh(rho)[0] >= -PSD_TOL


def dense_reference(kraus: np.ndarray) -> tuple[complex, np.ndarray]:
    """Independent reference: scipy.linalg.eig of an explicitly looped kron sum."""
    n = kraus.shape[1]
    s = sum(np.kron(k, k.conj()) for k in kraus)
    w, v = scipy.linalg.eig(s)
    i = int(np.argmax(np.abs(w)))
    rho = v[:, i].reshape(n, n)
    return w[i], rho / np.trace(rho)


# ------------------------------------------------------------------ construction


@settings(max_examples=40, deadline=None)
@given(n=sizes, d=kraus_counts, seed=seeds)
def test_random_kraus_is_trace_preserving(n, d, seed):
    k = random_kraus(n, d, rng=np.random.default_rng(seed))
    assert k.shape == (d, n, n)
    assert k.dtype == np.complex128
    gram = np.einsum("jba,jbc->ac", k.conj(), k)
    np.testing.assert_allclose(gram, np.eye(n), atol=1e-12)
    assert is_trace_preserving(k)


def test_random_kraus_not_trace_preserving_and_reproducible():
    k1 = random_kraus(5, 3, rng=np.random.default_rng(7), trace_preserving=False)
    k2 = random_kraus(5, 3, rng=np.random.default_rng(7), trace_preserving=False)
    np.testing.assert_array_equal(k1, k2)
    assert not is_trace_preserving(k1)
    assert is_trace_preserving(normalize_trace_preserving(k1))


def test_normalize_preserves_the_kraus_span():
    # K_j M^(-1/2): each new operator is the old one times the same invertible matrix.
    k = random_kraus(4, 2, rng=np.random.default_rng(1), trace_preserving=False)
    ktp = normalize_trace_preserving(k)
    x = np.linalg.solve(k[0], ktp[0])
    np.testing.assert_allclose(k[1] @ x, ktp[1], atol=1e-12)


def test_normalize_rejects_singular_gram():
    k = np.zeros((2, 3, 3))
    k[:, 0, 0] = 1.0  # every K_j annihilates |1> and |2>
    with pytest.raises(ValueError, match="singular"):
        normalize_trace_preserving(k)


def test_question_layout_conversion():
    rng = np.random.default_rng(2)
    kraus_op = random_matrix(rng, 4, 3, 4)
    k = kraus_from_question_layout(kraus_op)
    assert k.shape == (3, 4, 4)
    for j in range(3):
        np.testing.assert_array_equal(k[j], kraus_op[:, j, :])
    # the question's tensordot construction is the superoperator of the converted operators
    s = np.tensordot(kraus_op, kraus_op.conj(), [[1], [1]]).transpose(0, 2, 1, 3)
    np.testing.assert_allclose(s.reshape(16, 16), superoperator(k), atol=1e-12)


def test_known_channels_are_trace_preserving():
    assert is_trace_preserving(depolarizing_kraus(3, 0.4))
    assert is_trace_preserving(amplitude_damping_kraus(4, 0.3, ground=2))
    rho = random_matrix(np.random.default_rng(3), 3, 3)
    expected = 0.6 * rho + 0.4 * np.trace(rho) * np.eye(3) / 3
    np.testing.assert_allclose(apply_channel(depolarizing_kraus(3, 0.4), rho), expected, atol=1e-12)


# ------------------------------------------------------------------ applying


@settings(max_examples=40, deadline=None)
@given(n=sizes, d=kraus_counts, seed=seeds)
def test_apply_channel_matches_loop(n, d, seed):
    rng = np.random.default_rng(seed)
    k = random_kraus(n, d, rng=rng, trace_preserving=False)
    rho = random_matrix(rng, n, n)
    np.testing.assert_allclose(apply_channel(k, rho), loop_channel(k, rho), atol=1e-12)
    batch = random_matrix(rng, 2, 3, n, n)
    out = apply_channel(k, batch)
    assert out.shape == (2, 3, n, n)
    np.testing.assert_allclose(out[1, 2], loop_channel(k, batch[1, 2]), atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(n=sizes, d=kraus_counts, seed=seeds)
def test_superoperator_matches_apply_channel(n, d, seed):
    rng = np.random.default_rng(seed)
    k = random_kraus(n, d, rng=rng)
    rho = random_matrix(rng, n, n)
    s = superoperator(k)
    assert s.shape == (n * n, n * n)
    np.testing.assert_allclose(s @ rho.reshape(-1), apply_channel(k, rho).reshape(-1), atol=1e-12)
    np.testing.assert_allclose(s, sum(np.kron(kj, kj.conj()) for kj in k), atol=1e-14)


@settings(max_examples=40, deadline=None)
@given(n=sizes, d=kraus_counts, seed=seeds, m=st.integers(1, 3))
def test_channel_operator_matches_superoperator(n, d, seed, m):
    rng = np.random.default_rng(seed)
    k = random_kraus(n, d, rng=rng, trace_preserving=False)
    s = superoperator(k)
    op = channel_operator(k)
    assert op.shape == (n * n, n * n)
    v = random_matrix(rng, n * n)
    x = random_matrix(rng, n * n, m)
    np.testing.assert_allclose(op @ v, s @ v, atol=1e-12)
    np.testing.assert_allclose(op.matvec(v[:, None]).reshape(-1), s @ v, atol=1e-12)
    np.testing.assert_allclose(op @ x, s @ x, atol=1e-12)
    np.testing.assert_allclose(op.H @ v, s.conj().T @ v, atol=1e-12)
    np.testing.assert_allclose(op.H @ x, s.conj().T @ x, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(n=sizes, d=kraus_counts, seed=seeds)
def test_channel_maps_density_matrices_to_density_matrices(n, d, seed):
    rng = np.random.default_rng(seed)
    k = random_kraus(n, d, rng=rng)
    a = random_matrix(rng, n, n)
    rho = a @ a.conj().T / np.trace(a @ a.conj().T)
    out = apply_channel(k, rho)
    np.testing.assert_allclose(out, out.conj().T, atol=1e-13)
    np.testing.assert_allclose(np.trace(out), 1.0, atol=1e-12)
    assert np.linalg.eigvalsh(out)[0] >= -1e-12


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 5), d=st.integers(2, 4), seed=seeds)
def test_unitary_mixing_of_kraus_operators_is_the_same_channel(n, d, seed):
    # K'_i = sum_j U_ij K_j with U unitary describes the same channel (Kraus freedom)
    rng = np.random.default_rng(seed)
    k = random_kraus(n, d, rng=rng)
    u, _ = np.linalg.qr(random_matrix(rng, d, d))
    mixed = np.einsum("ij,jab->iab", u, k)
    assert not np.allclose(mixed, k)
    np.testing.assert_allclose(superoperator(mixed), superoperator(k), atol=1e-12)
    np.testing.assert_allclose(fixed_point(mixed)[1], fixed_point(k)[1], atol=1e-9)


def test_wrong_conventions_differ():
    # column-major vec and the dual channel are different maps: the tests above can fail.
    k = random_kraus(3, 2, rng=np.random.default_rng(4))
    rho = random_matrix(np.random.default_rng(5), 3, 3)
    s = superoperator(k)
    s_col = sum(np.kron(kj.conj(), kj) for kj in k)
    assert not np.allclose(s_col @ rho.reshape(-1), s @ rho.reshape(-1))
    np.testing.assert_allclose(
        s_col @ rho.reshape(-1, order="F"), apply_channel(k, rho).reshape(-1, order="F"), atol=1e-12
    )
    dual = sum(kj.conj().T @ rho @ kj for kj in k)
    assert not np.allclose(dual, apply_channel(k, rho))


def test_operator_and_fixed_point_memory_is_order_n_squared():
    # at n = 200 the dense S would take 25 GB; the operator works in a few n x n matrices.
    n = 200
    k = random_kraus(n, 2, rng=np.random.default_rng(6))
    op = channel_operator(k)
    rho = np.eye(n) / n
    matrix_bytes = 16 * n * n
    tracemalloc.start()
    out = (op @ rho.reshape(-1)).reshape(n, n)
    _, peak_apply = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    np.testing.assert_allclose(np.trace(out), 1.0, atol=1e-12)
    assert peak_apply < 12 * matrix_bytes
    n = 60
    k = random_kraus(n, 2, rng=np.random.default_rng(7))
    tracemalloc.start()
    lam, _ = fixed_point(k)
    _, peak_solve = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    np.testing.assert_allclose(lam, 1.0, atol=1e-10)
    assert peak_solve < 60 * 16 * n * n  # ARPACK's 20 Krylov vectors and work arrays; S: 16 n^4


def test_operator_builds_the_dual_only_when_asked():
    # the forward operator keeps three (d n, n) blocks: K_j scaled to a largest entry 1, the
    # same times the scale ([K_1; ...; K_d]) and K_cat^H; the dual's come with the adjoint
    n, d = 64, 3
    k = random_kraus(n, d, rng=np.random.default_rng(8))
    block_bytes = 16 * d * n * n
    tracemalloc.start()
    op = channel_operator(k)
    kept, _ = tracemalloc.get_traced_memory()
    adjoint = op.H
    v = random_matrix(np.random.default_rng(9), n * n)
    out = adjoint @ v
    kept_with_dual, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert kept < 3.5 * block_bytes
    assert kept_with_dual > kept + 1.5 * block_bytes
    np.testing.assert_allclose(out, superoperator(k).conj().T @ v, atol=1e-12)
    np.testing.assert_allclose(adjoint.H @ v, op @ v, atol=1e-12)


# ------------------------------------------------------------------ fixed points


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 5), d=st.integers(2, 4), seed=seeds)
def test_fixed_point_matches_dense_eig(n, d, seed):
    k = random_kraus(n, d, rng=np.random.default_rng(seed))
    lam_ref, rho_ref = dense_reference(k)
    for method in ("arpack", "dense", "power"):
        lam, rho = fixed_point(k, method=method)
        assert isinstance(lam, float)
        np.testing.assert_allclose(lam, lam_ref.real, atol=1e-9)
        np.testing.assert_allclose(lam, 1.0, atol=1e-9)
        np.testing.assert_allclose(rho, rho_ref, atol=1e-7)
        assert_density_matrix(rho)
        np.testing.assert_allclose(apply_channel(k, rho), lam * rho, atol=1e-8)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 5), d=st.integers(1, 3), seed=seeds)
@example(n=5, d=1, seed=9168)  # a pure fixed point: ARPACK's zero eigenvalues come out as -1.3e-9
def test_fixed_point_non_trace_preserving(n, d, seed):
    # the question's construction: not trace preserving, eigenvalue != 1 but still real positive
    rng = np.random.default_rng(seed)
    kraus_op = 0.5 - rng.random((n, d, n)) + 1j * (0.5 - rng.random((n, d, n)))
    k = kraus_from_question_layout(kraus_op)
    lam_ref, rho_ref = dense_reference(k)
    try:
        lam, rho = fixed_point(k)
    except NonUniqueFixedPointError:
        # only legitimate when the two leading moduli are really (nearly) equal
        mod = np.sort(np.abs(np.linalg.eigvals(superoperator(k))))[::-1]
        assert mod[0] - mod[1] <= 1e-3 * mod[0]
        return
    np.testing.assert_allclose(lam, abs(lam_ref), rtol=1e-9)
    assert lam > 0
    np.testing.assert_allclose(rho, rho_ref, atol=1e-6)
    assert_density_matrix(rho)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(2, 5), d=st.integers(1, 3), seed=seeds, trace_preserving=st.booleans())
def test_fixed_point_of_operator_matches_kraus_path_and_dense_eig(n, d, seed, trace_preserving):
    rng = np.random.default_rng(seed)
    if trace_preserving:
        k = random_kraus(n, d, rng=rng)
    else:
        k = kraus_from_question_layout(random_matrix(rng, n, d, n))
    try:
        lam_k, rho_k = fixed_point(k, method="arpack")
    except FixedPointError:  # the operator path must refuse it too
        with pytest.raises(
            (NonUniqueFixedPointError, FixedPointConvergenceError, DefectiveFixedPointError)
        ):
            fixed_point_of_operator(channel_operator(k), n)
        return
    for op in (channel_operator(k), superoperator(k)):  # a LinearOperator and a dense array
        lam, rho = fixed_point_of_operator(op, n)
        assert isinstance(lam, float)
        np.testing.assert_allclose(lam, lam_k, rtol=1e-9)
        np.testing.assert_allclose(rho, rho_k, atol=1e-7)
        assert_density_matrix(rho)
    lam_ref, rho_ref = dense_reference(k)
    np.testing.assert_allclose(lam, abs(lam_ref), rtol=1e-9)
    np.testing.assert_allclose(rho, rho_ref, atol=1e-6)


def test_fixed_point_of_operator_question_tensordot_operator():
    rng = np.random.default_rng(0)
    n, d = 6, 3
    kraus_op = 0.5 - rng.random((n, d, n)) + 1j * (0.5 - rng.random((n, d, n)))

    def matvec(v):
        x = np.tensordot(kraus_op, v.reshape(n, n), [[2], [0]])
        return np.tensordot(x, kraus_op.conj(), [[1, 2], [1, 2]]).reshape(-1)

    def rmatvec(v):  # the dual map, sum_j K_j^H X K_j
        x = np.tensordot(kraus_op.conj(), v.reshape(n, n), [[0], [0]])
        return np.tensordot(x, kraus_op, [[0, 2], [1, 0]]).reshape(-1)

    bare = LinearOperator((n * n, n * n), matvec=matvec, dtype=complex)
    op = LinearOperator((n * n, n * n), matvec=matvec, rmatvec=rmatvec, dtype=complex)
    lam_k, rho_k = fixed_point(kraus_from_question_layout(kraus_op), method="dense")
    np.testing.assert_allclose(
        op.H @ np.eye(n).reshape(-1),
        superoperator(kraus_from_question_layout(kraus_op)).conj().T @ np.eye(n).reshape(-1),
        atol=1e-12,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # with rmatvec: the defect check runs, no warning
        lam, rho = fixed_point_of_operator(op, n)
    with pytest.warns(UncheckedDefectWarning, match=r"^op: no adjoint"):
        lam_bare, rho_bare = fixed_point_of_operator(bare, n)  # not trace preserving
    for lam_x, rho_x in ((lam, rho), (lam_bare, rho_bare)):
        np.testing.assert_allclose(lam_x, lam_k, rtol=1e-9)
        np.testing.assert_allclose(rho_x, rho_k, atol=1e-7)


@pytest.mark.parametrize("scale", [1.0, 3.0])
def test_fixed_point_of_operator_matvec_only_trace_preserving_does_not_warn(scale):
    """A channel (up to a factor) given by matvec alone needs no defect check: no warning."""
    k = np.sqrt(scale) * random_kraus(4, 3, rng=np.random.default_rng(2))
    op = channel_operator(k)
    bare = LinearOperator(op.shape, matvec=op.matvec, dtype=complex)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lam, rho = fixed_point_of_operator(bare, 4)
    np.testing.assert_allclose(lam, scale, rtol=1e-10)
    np.testing.assert_allclose(rho, fixed_point(k, method="dense")[1], atol=1e-8)


def test_fixed_point_of_operator_refuses_two_invariant_blocks():
    b = random_kraus(3, 2, rng=np.random.default_rng(1))
    two = np.array([np.kron(np.eye(2), b_j) for b_j in b])
    with pytest.raises(NonUniqueFixedPointError, match=r"^op: "):
        fixed_point_of_operator(channel_operator(two), 6)


def _real_only(s):
    """``x -> s @ x`` for an operator that assumes real input, as ``apply_channel(...).real``."""

    def f(x):
        assert not np.iscomplexobj(x), "a real operator was given a complex vector"
        return s @ x

    return f


def _operators(s, dual):
    """``s`` as a complex and as a real LinearOperator (the real one refusing complex input)."""
    out = {}
    for dtype in (complex, float):
        mv = (lambda x: s @ x) if dtype is complex else _real_only(s)
        rmv = None
        if dual:
            rmv = (lambda x: s.conj().T @ x) if dtype is complex else _real_only(s.T)
        out[dtype] = LinearOperator(s.shape, matvec=mv, rmatvec=rmv, dtype=dtype)
    return out


@pytest.mark.parametrize("dual", [False, True])
def test_fixed_point_of_operator_real_dtype_operator(dual):
    """A real-dtype operator of a real trace-preserving map: the fixed point of the complex one,
    with no ComplexWarning and no UncheckedDefectWarning."""
    k = normalize_trace_preserving(np.random.default_rng(3).standard_normal((3, 4, 4)))
    s = superoperator(k)
    assert np.abs(s.imag).max() == 0
    s = s.real
    ops = _operators(s, dual)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lam_c, rho_c = fixed_point_of_operator(ops[complex], 4)
        lam_r, rho_r = fixed_point_of_operator(ops[float], 4)
    np.testing.assert_allclose(lam_r, 1.0, rtol=1e-10)
    np.testing.assert_allclose(lam_r, lam_c, rtol=1e-10)
    np.testing.assert_allclose(rho_r, rho_c, atol=1e-8)
    np.testing.assert_allclose(rho_r, fixed_point(k, method="dense")[1], atol=1e-8)


@pytest.mark.parametrize("dtype", [complex, float])
@pytest.mark.parametrize("dual", [False, True])
def test_fixed_point_of_operator_real_map_with_two_invariant_blocks(dtype, dual):
    """Degeneracy is detected from complex starts whether the operator's dtype is real or not."""
    b = normalize_trace_preserving(np.random.default_rng(1).standard_normal((2, 3, 3)))
    two = np.array([np.kron(np.eye(2), b_j) for b_j in b])
    s = superoperator(two).real
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(NonUniqueFixedPointError, match=r"^op: "):
            fixed_point_of_operator(_operators(s, dual)[dtype], 6)


def test_fixed_point_of_operator_bad_arguments():
    s = superoperator(random_kraus(3, 2, rng=np.random.default_rng(2)))
    cases = [
        (("not an operator", 3), {}, TypeError, "op"),
        ((s, 4), {}, ValueError, "op must have shape"),
        ((s, 3.0), {}, TypeError, "n"),
        ((s, 1), {}, ValueError, "n"),
        ((s, 3), {"tol": 1e-3}, ValueError, "tol"),
        ((s, 3), {"v0": np.zeros(9)}, ValueError, "v0"),
        ((s, 3), {"v0": np.ones(4)}, ValueError, "v0"),
        ((s, 3), {"v0": np.ones(9, dtype=bool)}, TypeError, "v0"),
    ]
    for args, kwargs, error, word in cases:
        with pytest.raises(error, match=word):
            fixed_point_of_operator(*args, **kwargs)


def test_fixed_point_question_size_uses_largest_modulus():
    rng = np.random.default_rng(0)
    kraus_op = 0.5 - rng.random((16, 3, 16)) + 1j * (0.5 - rng.random((16, 3, 16)))
    k = kraus_from_question_layout(kraus_op)
    w = np.linalg.eigvals(superoperator(k))
    lam, rho = fixed_point(k)
    np.testing.assert_allclose(lam, np.max(np.abs(w)), rtol=1e-10)
    assert_density_matrix(rho)


def _numbers(text: str) -> np.ndarray:
    """The numbers in ``text`` (of a complex one, its real part)."""
    number = r"(\d+(?:\.\d*)?(?:e[+-]?\d+)?)(?:[+-][\d.e+-]*j)?"
    return np.array([float(x) for x in re.findall(number, text)])


def _evidence(err: pytest.ExceptionInfo) -> str:
    """The numbers' part of a :class:`FixedPointError`'s message."""
    return err.value.evidence


@pytest.mark.parametrize("factor", [1.0, 3.0, 1e-3])
def test_error_messages_give_eigenvalues_of_the_callers_map(factor):
    # fixed_point scales the Kraus operators to a largest entry of 1 inside: every number in a
    # message must still be an eigenvalue (or modulus) of the map the caller passed.
    pauli_x = np.array([[0.0, 1.0], [1.0, 0.0]])
    k = factor * np.array([np.eye(2), pauli_x]) / np.sqrt(2)
    top = np.max(np.abs(np.linalg.eigvals(superoperator(k))))
    with pytest.raises(NonUniqueFixedPointError, match="two eigenvalues at r") as err:
        fixed_point(k, method="dense")
    np.testing.assert_allclose(_numbers(_evidence(err)), [top, top], rtol=1e-5)

    damping = factor * amplitude_damping_kraus(3, 0.3)
    moduli = np.abs(np.linalg.eigvals(superoperator(damping)))
    with pytest.raises(ValueError, match="v0 has no component") as err:
        fixed_point(damping, method="power", v0=np.diag([1.0, -1.0, 0.0]))
    shown = _numbers(str(err.value).split("For a")[0].split("reaches")[1])
    assert np.all(np.min(np.abs(moduli[:, None] - shown), axis=0) <= 1e-5 * moduli.max())
    np.testing.assert_allclose(shown[-1], moduli.max(), rtol=1e-5)

    jordan = factor * np.array([[[2.0, 1.0], [0.0, 2.0]]])
    with pytest.raises(DefectiveFixedPointError, match="largest moduli") as err:
        fixed_point(jordan)
    np.testing.assert_allclose(_numbers(_evidence(err))[:2], [2 * factor] * 2, rtol=1e-5)


def test_depolarizing_fixed_point_is_maximally_mixed():
    for method in ("arpack", "dense", "power"):
        lam, rho = fixed_point(depolarizing_kraus(4, 0.3), method=method)
        np.testing.assert_allclose(lam, 1.0, atol=1e-12)
        np.testing.assert_allclose(rho, np.eye(4) / 4, atol=1e-10)


@pytest.mark.parametrize("ground", [0, 2, 4])
@pytest.mark.parametrize("method", ["arpack", "dense", "power"])
def test_amplitude_damping_fixed_point_is_pure(ground, method):
    lam, rho = fixed_point(amplitude_damping_kraus(5, 0.4, ground=ground), method=method)
    expected = np.zeros((5, 5))
    expected[ground, ground] = 1.0
    np.testing.assert_allclose(lam, 1.0, atol=1e-10)
    np.testing.assert_allclose(rho, expected, atol=1e-8)
    np.testing.assert_allclose(np.trace(rho @ rho).real, 1.0, atol=1e-8)  # pure


def test_fixed_point_is_independent_of_start_vector():
    k = random_kraus(6, 2, rng=np.random.default_rng(8))
    rng = np.random.default_rng(9)
    _, rho_a = fixed_point(k, v0=random_matrix(rng, 36))
    _, rho_b = fixed_point(k, v0=random_matrix(rng, 6, 6))
    np.testing.assert_allclose(rho_a, rho_b, atol=1e-9)


def test_fixed_point_reproduces_exactly():
    k = random_kraus(7, 3, rng=np.random.default_rng(10))
    _, rho_a = fixed_point(k)
    _, rho_b = fixed_point(k)
    np.testing.assert_array_equal(rho_a, rho_b)


_FRESH_DRAWS = """
import hashlib, numpy as np
from helpers.channels import _arpack_pair, _operator, _start_vector, amplitude_damping_kraus
k = np.array([np.kron(np.eye(2), b) for b in amplitude_damping_kraus(6, 1.0)])
lam, v = _arpack_pair(_operator(k), _start_vector(12, 3), 1e-10)
print(hashlib.sha1(np.asarray([lam, *v]).tobytes()).hexdigest())
"""


def test_arpack_fresh_draws_are_seeded():
    # I_2 (x) B_j with B full amplitude damping: ARPACK's Krylov space stops growing and eigs
    # draws fresh vectors; with only v0 they came from an OS-seeded generator and the vector
    # found differed between processes. ARPACK_SEED makes two fresh processes agree bit for bit.
    runs = [
        subprocess.run(
            [sys.executable, "-c", _FRESH_DRAWS], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert len(runs[0].strip()) == 40


def test_single_level_system():
    k = np.array([[[0.6]], [[0.8j]]])
    for method in ("arpack", "dense", "power"):
        lam, rho = fixed_point(k, method=method)
        np.testing.assert_allclose(lam, 1.0)
        np.testing.assert_allclose(rho, [[1.0]])


@pytest.mark.parametrize("method", ["arpack", "dense", "power"])
def test_identity_channel_raises(method):
    with pytest.raises(NonUniqueFixedPointError, match="leading eigenvalue r is not simple"):
        fixed_point(np.eye(4)[None], method=method)


@pytest.mark.parametrize("method", ["arpack", "dense", "power"])
def test_defective_r_with_one_fixed_state_says_it_is_unique(method):
    # K = [[1, 1], [0, 1]], not trace preserving: r = 1 has the eigenvectors |0><0| and
    # |0><1| - |1><0|, but |0><0| is the only fixed density matrix, and S has a Jordan block of
    # size 3 at r = 1 ((S - I)^2 = 2 N (x) N != 0). The error must say the state is unique and
    # r defective; it is not a NonUniqueFixedPointError, both are FixedPointErrors.
    k = np.array([[[1.0, 1.0], [0.0, 1.0]]])
    s = superoperator(k)
    for x in (np.array([[1, 0], [0, 0]]), np.array([[0, 1], [-1, 0]])):
        np.testing.assert_allclose(s @ x.reshape(-1), x.reshape(-1))
    assert scipy.linalg.null_space(s - np.eye(4)).shape[1] == 2
    m = s - np.eye(4)
    assert np.any(m @ m)
    assert not np.any(m @ m @ m)
    with pytest.raises(DefectiveFixedPointError) as err:
        fixed_point(k, method=method)
    assert not isinstance(err.value, NonUniqueFixedPointError)
    assert isinstance(err.value, FixedPointError)
    assert "not simple" not in str(err.value)
    assert "is unique" in str(err.value)
    assert "|v><v|, with v the eigenvector of K" in str(err.value)
    assert "defective" in str(err.value)


@pytest.mark.parametrize("method", ["arpack", "dense", "power"])
@pytest.mark.parametrize("size", [2, 4])
def test_defective_r_with_several_kraus_operators_raises_the_same_error(method, size):
    # K_1 = I + N (a Jordan block), K_2 = I: the same Jordan block at r as K_1 alone, unique
    # fixed state |0><0|, but two independent Kraus operators, so the single-operator check does
    # not apply. Every method must refuse it with DefectiveFixedPointError, not return a state
    # off by 1e-5 (ARPACK), call it degenerate (dense) or fail to converge (power).
    j = np.eye(size) + np.eye(size, k=1)
    k = np.array([j, np.eye(size)]) / np.sqrt(2)
    s = superoperator(k)
    m = s - np.eye(size * size)
    assert np.any(m @ m)  # (S - I)^2 != 0: a Jordan block of size >= 3 at r = 1
    with pytest.raises(DefectiveFixedPointError, match="defective") as err:
        fixed_point(k, method=method)
    assert isinstance(err.value, FixedPointError)
    assert isinstance(err.value, ValueError)
    assert "condition number of r" in err.value.evidence


def _dephased_chain(size, b, seed):
    """Full dephasing plus b |i><i+1|, conjugated by a random invertible A: the populations
    follow one Jordan block of the given size at r = 1, every coherence decays."""
    phases = np.exp(2j * np.pi * np.arange(size) / size)
    ks = [np.diag(phases ** (m * np.arange(size))) / np.sqrt(size) for m in range(size)]
    ks.append(b * np.diag(np.ones(size - 1), 1))
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((size, size)) + 1j * rng.standard_normal((size, size))
    a += 2 * np.eye(size)
    return np.array([a @ k @ np.linalg.inv(a) for k in ks])


@pytest.mark.parametrize("method", ["arpack", "dense", "power"])
@pytest.mark.parametrize("tol", [1e-8, 1e-12])
@pytest.mark.parametrize("size", [2, 3])
def test_defective_detection_does_not_depend_on_tol_or_start(method, tol, size):
    # power iteration at tol = 1e-8 on a block of size 2 once stopped with each vector off by
    # about sqrt(tol), a condition number near the threshold 1 / sqrt(tol): the map was returned
    for seed in range(3):
        k = _dephased_chain(size, 0.5 + seed, seed)
        v0 = np.random.default_rng(seed).standard_normal(size * size)
        with pytest.raises(DefectiveFixedPointError):
            fixed_point(k, method=method, tol=tol, v0=v0)


@pytest.mark.parametrize("method", ["arpack", "dense", "power"])
def test_maps_that_are_not_trace_preserving_pass_the_dual_check(method):
    # random maps that are not trace preserving, and amplitude damping with a rescaled jump:
    # the dual solve finds a well-conditioned r, and the three methods agree
    for k in (
        random_kraus(5, 3, rng=11, trace_preserving=False),
        amplitude_damping_kraus(3, 0.3) * np.array([1.0, 2.0, 1.0])[:, None, None],
    ):
        assert not is_trace_preserving(k)
        lam, rho = fixed_point(k, method=method)
        lam_d, rho_d = fixed_point(k, method="dense")
        np.testing.assert_allclose(lam, lam_d, rtol=1e-8)
        np.testing.assert_allclose(rho, rho_d, atol=1e-7)


def _sensitive_triangular():
    """A 4 x 4 upper-triangular K with diagonal 1, 0.97, 0.95, 0.9 and a large first row: r = 1 is
    simple (nearest other eigenvalue 0.97) but its condition number is about 7e8."""
    t = np.triu(np.random.default_rng(3).uniform(0.5, 1.0, (4, 4)))
    t[np.diag_indices(4)] = [1.0, 0.97, 0.95, 0.9]
    t[0, 1:] *= 10
    return t


# One Kraus operator, not trace preserving, r = 1 simple and |0><0| its exact fixed state.
SENSITIVE = {
    "gap 1e-2": np.array([[1.0, 10.0], [0.0, 0.99]]),
    "gap 1e-3": np.array([[1.0, 1.0], [0.0, 0.999]]),
    "4 x 4": _sensitive_triangular(),
}


@pytest.mark.parametrize("method", ["arpack", "dense", "power"])
@pytest.mark.parametrize("name", sorted(SENSITIVE))
def test_simple_ill_conditioned_r_is_not_called_defective(method, name):
    # The condition number of r exceeds 1 / sqrt(tol) = 1e5, the rule that once called these
    # maps defective; r is nevertheless simple and 1 % or 0.1 % from the nearest eigenvalue, and
    # every method must return |0><0|. The 4 x 4 map warns (its error bound, 1e-3, is poor).
    k = SENSITIVE[name][None]
    n = k.shape[1]
    w, left, right = scipy.linalg.eig(superoperator(k), left=True)
    top = np.argmax(w.real)
    assert np.sum(np.abs(w - w[top]) < 1e-3) == 1  # r is simple
    assert 1 / abs(np.vdot(left[:, top], right[:, top])) > 1e5  # and ill-conditioned
    exact = np.zeros((n, n))
    exact[0, 0] = 1.0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lam, rho = fixed_point(k, method=method)
        if method == "arpack":
            lam_op, rho_op = fixed_point_of_operator(channel_operator(k), n)
            assert abs(lam_op - 1) < 1e-6
            np.testing.assert_allclose(rho_op, exact, rtol=0, atol=1e-9)
    # atol: the residual tol = 1e-10 times a factor 10 for the eigenvector's sensitivity
    np.testing.assert_allclose(rho, exact, rtol=0, atol=1e-9)
    assert abs(lam - 1) < 1e-6  # power iteration's Rayleigh quotient: about sqrt(tol) / 10
    messages = [str(c.message) for c in caught if issubclass(c.category, RuntimeWarning)]
    if name == "4 x 4":
        assert messages
        assert all("simple but ill-conditioned" in m for m in messages)
    else:
        assert not messages


def test_defective_error_says_it_may_be_ill_conditioned():
    with pytest.raises(DefectiveFixedPointError, match="or too ill-conditioned to tell") as err:
        fixed_point(np.array([np.eye(2) + np.eye(2, k=1), np.eye(2)]), method="dense")
    assert "condition number of r" in err.value.evidence


def test_error_classes_share_a_base():
    assert issubclass(NonUniqueFixedPointError, FixedPointError)
    assert issubclass(DefectiveFixedPointError, FixedPointError)
    assert not issubclass(DefectiveFixedPointError, NonUniqueFixedPointError)
    assert issubclass(FixedPointConvergenceError, FixedPointError)
    assert issubclass(FixedPointConvergenceError, RuntimeError)
    assert issubclass(FixedPointError, ValueError)
    err = NonUniqueFixedPointError("why", "numbers")
    assert str(err) == "kraus: the leading eigenvalue r is not simple: why (numbers)"
    assert str(FixedPointConvergenceError("kraus: slow")) == "kraus: slow"


@pytest.mark.parametrize(
    "k",
    [
        np.diag([1.0, -1.0, 0.5]),
        np.diag([1.0, 1.0, 0.5]),
        np.array([[2, 1, 0], [0, 2, 0], [0, 0, -2.0]]),
    ],
)
def test_one_operator_with_two_top_eigenvectors_is_not_called_defective(k):
    # each eigenvector v of K for an eigenvalue of largest modulus gives a fixed state |v><v|
    with pytest.raises(NonUniqueFixedPointError) as err:
        fixed_point(k[None])
    assert not isinstance(err.value, DefectiveFixedPointError)


@pytest.mark.parametrize("method", ["arpack", "dense", "power"])
def test_two_invariant_blocks_raise(method):
    # I_2 (x) A, A amplitude damping into level 0 (the same operators on {0, 1} and on {2, 3}):
    # its fixed states are the density matrices supported on span{|0>, |2>}, eigenvalue 1 four
    # times
    a = amplitude_damping_kraus(2, 0.5)
    k = np.zeros((2, 4, 4), dtype=complex)
    k[:, :2, :2] = a
    k[:, 2:, 2:] = a
    assert is_trace_preserving(k)
    with pytest.raises(NonUniqueFixedPointError):
        fixed_point(k, method=method)


def test_unitary_channel_raises():
    u = scipy.linalg.expm(1j * np.diag([0.0, 0.3, 1.1]))
    with pytest.raises(NonUniqueFixedPointError):
        fixed_point(u[None], method="dense")
    with pytest.raises(NonUniqueFixedPointError):
        fixed_point(u[None], method="arpack")


def _cyclic_channel(n):
    """Full dephasing followed by the cyclic shift |a> -> |a + 1 mod n>: eigenvalues include the
    n-th roots of unity, all of modulus 1, and the eigenvalue 1 is simple (fixed point I / n)."""
    k = np.zeros((n, n, n))
    for a in range(n):
        k[a, (a + 1) % n, a] = 1.0
    return k


@pytest.mark.parametrize("n", [2, 3, 5])
@pytest.mark.parametrize("method", ["arpack", "dense"])
def test_periodic_channel_has_its_unique_fixed_point(method, n):
    k = _cyclic_channel(n)
    w = np.linalg.eigvals(superoperator(k))
    assert np.sum(np.abs(np.abs(w) - 1) < 1e-12) == n  # n eigenvalues on the unit circle
    assert np.sum(np.abs(w - 1) < 1e-12) == 1  # 1 is simple
    lam, rho = fixed_point(k, method=method)
    np.testing.assert_allclose(lam, 1.0, atol=1e-10)
    np.testing.assert_allclose(rho, np.eye(n) / n, atol=1e-10)


def test_power_iteration_cannot_converge_on_periodic_channel(monkeypatch):
    # full dephasing followed by a swap of the two levels: eigenvalues 1 and -1
    k = _cyclic_channel(2)
    monkeypatch.setattr("helpers.channels.POWER_MAXITER", 50)
    with pytest.raises(FixedPointConvergenceError, match="power iteration did not reach"):
        fixed_point(k, method="power", v0=np.array([[0.7, 0], [0, 0.3]]))


def test_two_blocks_fixed_space_is_four_dimensional():
    a = amplitude_damping_kraus(2, 0.5)
    k = np.zeros((2, 4, 4), dtype=complex)
    k[:, :2, :2] = a
    k[:, 2:, 2:] = a
    np.testing.assert_allclose(k, [np.kron(np.eye(2), a_j) for a_j in a])  # I_2 (x) A_j
    w = np.linalg.eigvals(superoperator(k))
    assert np.sum(np.abs(w - 1) < 1e-12) == 4  # |0><0|, |2><2|, |0><2|, |2><0|
    coherence = np.zeros((4, 4))
    coherence[0, 2] = 1.0
    np.testing.assert_allclose(apply_channel(k, coherence), coherence)
    # every density matrix supported on span{|0>, |2>} is fixed: sigma (x) |0><0|
    g = np.random.default_rng(0).standard_normal((2, 2, 2)) @ [1, 1j]
    sigma = g @ g.conj().T / np.trace(g @ g.conj().T)
    state = np.kron(sigma, np.diag([1.0, 0.0]))
    np.testing.assert_allclose(apply_channel(k, state), state, atol=1e-15)


def test_arpack_failure_is_reported(monkeypatch):
    from scipy.sparse.linalg import ArpackNoConvergence

    def failing_eigs(*args, **kwargs):
        raise ArpackNoConvergence("no convergence", np.array([]), np.zeros((4, 0)))

    monkeypatch.setattr("helpers.channels.eigs", failing_eigs)
    with pytest.raises(FixedPointConvergenceError, match="ARPACK did not reach"):
        fixed_point(random_kraus(3, 2, rng=np.random.default_rng(0)))


# ------------------------------------------------------------------ bad inputs


def test_bad_kraus_inputs():
    good = random_kraus(3, 2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"shape \(d, n, n\).*got shape \(2, 3, 4\)"):
        superoperator(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"got shape \(3, 3\).*leading axis"):
        apply_channel(np.eye(3), np.eye(3))
    bad = good.copy()
    bad[0, 1, 1] = np.nan
    with pytest.raises(ValueError, match="kraus must be finite"):
        fixed_point(bad)
    with pytest.raises(ValueError, match="kraus must not be empty"):
        channel_operator(np.zeros((0, 3, 3)))
    with pytest.raises(TypeError, match=r"kraus must be an integer, real or complex .*dtype <U1"):
        superoperator(np.full((1, 2, 2), "a"))
    with pytest.raises(TypeError, match="dtype bool"):
        superoperator(np.ones((1, 2, 2), dtype=bool))


def test_bad_rho_and_layout():
    k = random_kraus(3, 2, rng=np.random.default_rng(0))
    with pytest.raises(
        ValueError, match=r"rho must have shape \(n, n\) = \(3, 3\).*got shape \(4, 4\)"
    ):
        apply_channel(k, np.eye(4))
    with pytest.raises(ValueError, match="rho must be finite"):
        apply_channel(k, np.full((3, 3), np.inf))
    with pytest.raises(
        ValueError, match=r"kraus_op must have shape \(n, d, n\), got shape \(3, 2, 4\)"
    ):
        kraus_from_question_layout(np.zeros((3, 2, 4)))


def test_bad_fixed_point_arguments():
    k = random_kraus(3, 2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="method must be one of"):
        fixed_point(k, method="lanczos")
    with pytest.raises(ValueError, match=r"tol must be a real number in \[1e-12, 1e-08\], got 0"):
        fixed_point(k, tol=0)
    with pytest.raises(TypeError, match="tol must be a real number"):
        fixed_point(k, tol="1e-8")
    with pytest.raises(
        ValueError, match=r"v0 must have shape \(9,\) or \(3, 3\), got shape \(4,\)"
    ):
        fixed_point(k, v0=np.ones(4))
    with pytest.raises(ValueError, match="v0 must not be the zero vector"):
        fixed_point(k, v0=np.zeros(9))


def test_power_start_vector_in_the_kernel():
    # full dephasing kills off-diagonal matrices: |0><1| is mapped to zero
    dephasing = np.stack([np.diag([1.0, 0.0]), np.diag([0.0, 1.0])])
    with pytest.raises(ValueError, match=r"v0 has no component .* reaches the zero matrix"):
        fixed_point(dephasing, method="power", v0=np.array([[0.0, 1.0], [0.0, 0.0]]))


def test_bad_constructor_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        random_kraus(0, 2, rng=rng)
    with pytest.raises(TypeError, match="d must be an integer >= 1, got float"):
        random_kraus(3, 2.0, rng=rng)
    with pytest.raises(TypeError, match=r"rng must be None, a seed >= 0 or a numpy\.random"):
        random_kraus(3, 2, rng=np.random.RandomState(0))
    np.testing.assert_array_equal(random_kraus(3, 2, rng=5), random_kraus(3, 2, rng=5))
    with pytest.raises(ValueError, match=r"p must be a real number in \[0, 1\], got 1.5"):
        depolarizing_kraus(2, 1.5)
    with pytest.raises(ValueError, match=r"ground must be an integer in \[0, 2\], got 3"):
        amplitude_damping_kraus(3, 0.5, ground=3)
    with pytest.raises(ValueError, match="n must be an integer >= 2, got 1"):
        amplitude_damping_kraus(1, 0.5)


@pytest.mark.parametrize("eps", [1e-5, 1e-6, 1e-8])
def test_tiny_gap_from_identity_mixing_is_not_called_degenerate(eps):
    """(1 - eps) I + eps S has a simple eigenvalue 1; ARPACK's tol alone hid it (review). At the
    default tol the first solve is off by about tol / eps (1e-7 at eps = 1e-5): the spread of the
    two solves shows it, and fixed_point solves again at machine precision."""
    base = random_kraus(16, 3, rng=np.random.default_rng(17))
    slow = np.concatenate([np.sqrt(1 - eps) * np.eye(16)[None], np.sqrt(eps) * base])
    _, rho_base = fixed_point(base, method="dense")
    lam, rho = fixed_point(slow)
    assert abs(lam - 1) < 1e-10
    np.testing.assert_allclose(rho, rho_base, atol=1e-8)


def test_failed_machine_precision_resolve_warns(monkeypatch):
    """The re-solve at machine precision may fail; the less accurate answer then comes with a
    RuntimeWarning naming its accuracy, never silently."""
    import helpers.channels as ch

    kraus = random_kraus(4, 2, rng=np.random.default_rng(0))
    lam0, rho0 = fixed_point(kraus)
    calls = []

    def fake_once(k, method, starts, tol, gap_tol, user_v0, op=None, ncv=None, s=1.0):
        calls.append(tol)
        if tol == 0.0:
            raise FixedPointConvergenceError("no convergence at machine precision")
        return lam0, rho0, 3e-6  # a spread far above ACCURACY_RATIO * tol

    monkeypatch.setattr(ch, "_iterative_once", fake_once)
    with pytest.warns(RuntimeWarning, match=r"accurate only to about 3\.0e-06"):
        _, rho = fixed_point(kraus)
    assert calls == [1e-10, 0.0]
    np.testing.assert_array_equal(rho, rho0)


def test_a_larger_ncv_solves_a_slowly_mixing_channel():
    """A weakly noisy unitary channel: 20 Krylov vectors exhaust the budget, 80 converge."""
    base = random_kraus(16, 3, rng=np.random.default_rng(17))
    z = np.random.default_rng(19).standard_normal((2, 16, 16))
    q, r = np.linalg.qr(z[0] + 1j * z[1])
    unitary = q * (np.diag(r) / abs(np.diag(r)))
    noisy = np.concatenate([np.sqrt(1 - 1e-3) * unitary[None], np.sqrt(1e-3) * base])
    with pytest.raises(FixedPointConvergenceError, match="pass a larger ncv"):
        fixed_point(noisy)
    _, rho = fixed_point(noisy, ncv=80)
    np.testing.assert_allclose(rho, fixed_point(noisy, method="dense")[1], atol=1e-8)


@pytest.mark.parametrize(("ncv", "restarts"), [(None, 1998), (8, 4998), (5, 6665)])
def test_arpack_failure_states_the_products_it_used(monkeypatch, ncv, restarts):
    """The message's product count agrees with an independent count of the operator's products,
    and is the budget MAX_PRODUCTS within one restart (ncv - ncv // 2 products; ncv - 2 below
    ncv = 6)."""
    import re

    import helpers.channels as ch

    base = random_kraus(16, 3, rng=np.random.default_rng(17))
    z = np.random.default_rng(19).standard_normal((2, 16, 16))
    q, r = np.linalg.qr(z[0] + 1j * z[1])
    unitary = q * (np.diag(r) / abs(np.diag(r)))
    noisy = np.concatenate([np.sqrt(1 - 3e-4) * unitary[None], np.sqrt(3e-4) * base])
    counted = [0]
    real_eigs = ch.eigs

    def counting_eigs(op, *args, **kwargs):
        def matvec(v):
            counted[0] += 1
            return op.matvec(v)

        return real_eigs(LinearOperator(op.shape, matvec=matvec, dtype=op.dtype), *args, **kwargs)

    monkeypatch.setattr(ch, "eigs", counting_eigs)
    with pytest.raises(FixedPointConvergenceError) as info:
        fixed_point(noisy, ncv=ncv)
    pattern = rf"after (\d+) channel applications \({restarts} restarts"
    stated = int(re.search(pattern, str(info.value))[1])
    assert abs(stated - counted[0]) <= 20  # one restart's products at most
    assert ch.MAX_PRODUCTS - 10 <= stated <= ch.MAX_PRODUCTS + 10  # the budget, within a restart


def test_operator_version_diagnoses_a_defective_eigenvalue_through_its_adjoint():
    """With an adjoint (op.H) fixed_point_of_operator runs fixed_point's dual check and raises,
    naming op; with matvec alone it cannot (the documented limit): the fixed point it returns is
    then only about sqrt(tol) accurate."""
    jordan = np.array([[[1.0, 1.0], [0.0, 1.0]], np.eye(2)]) / np.sqrt(2)
    with pytest.raises(DefectiveFixedPointError):
        fixed_point(jordan)
    op = channel_operator(jordan)
    with_rmatvec = LinearOperator(op.shape, matvec=op.matvec, rmatvec=op.H.matvec, dtype=complex)
    for adjointed in (op, superoperator(jordan), with_rmatvec):
        with pytest.raises(DefectiveFixedPointError, match=r"^op: "):
            fixed_point_of_operator(adjointed, 2)
    tol = 1e-10
    bare = LinearOperator(op.shape, matvec=op.matvec, dtype=complex)  # no adjoint
    with pytest.warns(UncheckedDefectWarning, match="defective eigenvalue r cannot be detected"):
        lam, rho = fixed_point_of_operator(bare, 2, tol=tol)
    err = np.abs(rho - np.diag([1.0, 0.0])).max()
    assert 1e3 * tol < err < 10 * np.sqrt(tol)
    assert abs(lam - 1) < 10 * np.sqrt(tol)
