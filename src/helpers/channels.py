"""Quantum channels in Kraus form, and their fixed points without forming the superoperator.

A channel on ``n``-level systems with ``d`` Kraus operators ``K_j`` (each ``(n, n)``) acts on a
density matrix ``rho`` (``(n, n)``) as

.. math:: \\Phi(\\rho) = \\sum_{j=1}^{d} K_j \\rho K_j^\\dagger .

With row-major vectorisation, ``vec(rho) = rho.reshape(-1)``, this is the ``(n**2, n**2)`` matrix
``S = sum_j kron(K_j, conj(K_j))``. The fixed point of the channel is the eigenvector of ``S`` for
the eigenvalue ``r`` equal to the spectral radius (which a positive map always has, and which is
the only eigenvalue with real part ``r``), reshaped to ``(n, n)`` and divided by its trace, which
removes the arbitrary complex factor an eigensolver is free to attach to an eigenvector.

Kraus operators are stored as one ``(d, n, n)`` array, ``kraus[j]`` being ``K_j``.

Dtypes: every array argument may be integer, real or complex (any precision); it is computed
in and returned as ``complex128``. Boolean, string, object, time and masked arrays are refused.
Results are new arrays, never views of an argument. Entries anywhere in float64's range are
handled by scaling the Kraus operators to a largest entry of 1 before anything is squared; a
result that float64 cannot represent (an eigenvalue or an output entry beyond ``1.8e308``) is
refused with a ``ValueError`` that says so. String options (``method``) ignore case.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.linalg
import scipy.sparse
from scipy.sparse.linalg import (
    ArpackError,
    ArpackNoConvergence,
    LinearOperator,
    aslinearoperator,
    eigs,
)

from helpers._validation import as_choice, as_rng, as_scalar

__all__ = [
    "DefectiveFixedPointError",
    "FixedPointConvergenceError",
    "FixedPointError",
    "NonUniqueFixedPointError",
    "UncheckedDefectWarning",
    "amplitude_damping_kraus",
    "apply_channel",
    "channel_operator",
    "depolarizing_kraus",
    "fixed_point",
    "fixed_point_of_operator",
    "is_trace_preserving",
    "kraus_from_question_layout",
    "normalize_trace_preserving",
    "random_kraus",
    "superoperator",
]

METHODS = ("arpack", "dense", "power")
#: Seeds of the two fixed start vectors used when ``v0`` is not given. A start vector alone does
#: not make ARPACK repeatable: when its Krylov space stops growing, ``eigs`` draws a fresh vector
#: from its ``rng`` (seeded by the operating system unless given), so every ``eigs`` call here
#: also passes ``rng=ARPACK_SEED``. Together they make results reproduce exactly.
START_SEEDS = (20260505, 20260506)
ARPACK_SEED = 20260507
#: The product budget of one solve. Power iteration: at most this many steps. ARPACK with
#: ``k = 1``: ``ncv`` products (``ncv`` Krylov vectors, 20 by default), then restarts of
#: ``ncv - ncv // 2`` products each (ARPACK keeps ``ncv // 2`` vectors for ``k = 1``), as many
#: as fit in the budget (:func:`_arpack_restarts`); a call that does not converge stops within
#: a restart of ``MAX_PRODUCTS`` products, and its error states the products it used. Power
#: iteration needs about ``23 / gap`` steps for ``tol = 1e-10``, so this covers relative gaps
#: down to about ``1e-3``; ARPACK covers far smaller ones. Power iteration on a periodic
#: channel (several eigenvalues on the circle of largest modulus) never converges and stops
#: with a clear error.
MAX_PRODUCTS = 20_000
#: Power iteration's step cap (the same budget).
POWER_MAXITER = MAX_PRODUCTS
#: Power iteration gives up early when ``POWER_CHECK`` steps shrink the residual by less than
#: ``1 - STALL_RATIO``: its rate is then above ``0.99 ** (1 / 1000)``, a relative gap below
#: ``1e-5``, which would need some ``2e6`` steps, a hundred times the budget.
POWER_CHECK = 1000
STALL_RATIO = 0.99
#: The range of ``tol``. The lower end is a design choice, not a limit of the solvers (ARPACK
#: and power iteration reach residuals near ``1e-15``): it keeps ``sqrt(tol)``, the scale of the
#: Hermiticity, agreement and degeneracy checks, at ``1e-6`` or more, far above the rounding
#: error of a solve; where more accuracy is needed the helper re-solves at ``tol=0`` itself.
#: The upper end is a design choice too: the computed ``rho`` is off by about ``tol / sep``
#: (``sep`` the separation of ``r`` from the rest of the spectrum, which for the non-normal ``S``
#: can be smaller than the gap), so even at ``1e-8`` it can fail the ``PSD_TOL`` check when
#: ``sep / r < 0.01``. What protects that check is the re-solve at ``tol=0`` before an ARPACK
#: result is rejected.
TOL_RANGE = (1e-12, 1e-8)
#: ``method="dense"`` forms ``S``, ``16 n**4`` bytes, and its ``eig`` costs ``O(n**6)``: minutes at
#: ``n = 64``, so larger ``n`` is refused (use ``"arpack"``).
DENSE_MAX_N = 64
#: With the Kraus operators scaled to a largest entry of 1, a leading eigenvalue below this is
#: zero at working precision: the map is (numerically) nilpotent and has no fixed point.
NILPOTENT_TOL = 1e-12
#: ARPACK's ``tol`` bounds the residual, and the error of ``rho`` is about ``tol / gap``. The two
#: solves of ``fixed_point`` differ by about that error: on random channels by at most ``tol``,
#: on ``(1 - eps) I + eps S`` by about ``tol / eps``. When they differ by more than
#: ``ACCURACY_RATIO * tol``, ARPACK solves again at machine precision.
ACCURACY_RATIO = 1e3
#: How far below zero an eigenvalue of a returned density matrix may lie. ``rho`` has trace 1,
#: so its eigenvalues lie in ``[0, 1]`` and this is an absolute and a relative bound at once. The
#: computed ``rho`` differs from the exact fixed point by about ``tol / sep`` (the residual that
#: ``tol`` bounds, divided by the separation of ``r`` from the rest of the spectrum), at most
#: ``1e-10 / 1e-4 = 1e-6`` for the default ``tol`` and ``sep`` above ``1e-4``. In a degenerate
#: eigenspace a solver returns a complex combination of eigenvectors (ARPACK: about the
#: projection of its start vector onto the eigenspace). A convex mixture of fixed states is
#: again a fixed state; other combinations, normalised by their trace, are in general not
#: Hermitian or have negative eigenvalues, which this check and the Hermitian one catch. A pure
#: fixed point (rank 1, e.g. a channel with one Kraus operator) sits right at the boundary: its
#: zero eigenvalues come out as ``-1e-9`` after an ARPACK solve to ``tol = 1e-10`` with a gap
#: of ``0.03``.
PSD_TOL = 1e-6
#: A map with ``sum_j K_j^H K_j = c I`` (trace preserving up to the factor ``c``, to this relative
#: tolerance) is a contraction in the trace norm up to ``c``, so the powers ``S**m / c**m`` stay
#: bounded, which a Jordan block at ``r = c`` would make grow like ``m``: ``r`` is semisimple.
#: Other maps get a second, dual solve, whose eigenvector ``w`` gives the condition number
#: ``kappa = |w| |v| / |<w, v>|`` of ``r``, and a solve for two eigenvalues, which bounds the
#: relative distance ``delta = min |r - lambda_i| / r`` from ``r`` to the others (see
#: :data:`DEFECT_MARGIN`). ``delta`` is not the ``sep`` of the error estimate ``tol / sep``
#: (``sep = sigma_min(T22 - r I)`` from a Schur form of ``S``, at most ``delta r``, and far
#: smaller for a non-normal ``S``).
TP_TOL = 1e-10
#: ``r`` counts as simple when a perturbation of ``S`` of ``DEFECT_MARGIN`` times its rounding
#: level ``eps |S|`` moves it (by ``kappa`` times that, to first order) less than ``delta``; else it
#: is defective (a Jordan block, whose computed eigenvalues lie about ``kappa eps |S|`` apart) or
#: too ill-conditioned to tell. A large ``kappa`` alone is no defect: one Kraus operator
#: ``[[1, 10], [0, 0.99]]`` gives ``kappa = 1e6`` and ``delta = 0.01``, a factor ``4e3`` inside
#: (its ``sep`` is ``1.4e-5``).
DEFECT_MARGIN = 100.0


class FixedPointError(ValueError):
    """Base of the errors :func:`fixed_point` raises about the channel itself (a ``ValueError``).

    Catch this to handle every way a channel can lack a computable fixed point; catch a subclass
    to tell them apart. ``reason`` says why in words that do not depend on the machine;
    ``evidence`` gives the numbers behind it (these may depend on rounding and start vectors).
    ``str(err)`` is ``reason`` followed by the evidence in parentheses.
    """

    _prefix = "kraus: "

    def __init__(self, reason: str, evidence: str = "") -> None:
        self.reason, self.evidence = reason, evidence
        detail = f" ({evidence})" if evidence else ""
        super().__init__(f"{self._prefix}{reason}{detail}")


class NonUniqueFixedPointError(FixedPointError):
    """The eigenvalue ``r`` (the spectral radius) is degenerate: its eigenvector is not unique.

    For a trace-preserving channel this means more than one fixed state, e.g. a unitary channel.
    Also raised for a nilpotent map, which has no fixed state at all. A ``ValueError``.
    """

    _prefix = "kraus: the leading eigenvalue r is not simple: "


class DefectiveFixedPointError(FixedPointError):
    """``r`` is *defective* (a Jordan block of ``S``) or too ill-conditioned to tell.

    Power iteration and ARPACK, from a generic start, approach the eigenvector ``v`` at the end of
    the largest Jordan block at ``r``, and the dual solve the left eigenvector ``w`` of that
    block; the two are orthogonal, so the condition number ``kappa = |w| |v| / |<w, v>|`` is
    infinite. A large ``kappa`` alone does not make a Jordan block: a simple ``r`` can be
    sensitive too (one Kraus operator ``[[1, 10], [0, 0.99]]`` gives ``kappa = 1e6``) and still
    has a well-defined eigenvector. What tells them apart is whether ``r`` is isolated: rounding
    errors ``eps |S|`` move a simple ``r`` by about ``kappa eps |S|``, far less than its distance
    ``delta`` to the other eigenvalues, while the computed eigenvalues of a Jordan block lie about
    that far apart. The error is raised when ``kappa`` times ``DEFECT_MARGIN eps |S|`` is not
    below ``delta`` (``kappa``, ``delta`` from both vectors and two eigenvalues at machine
    precision), or, within a cluster of eigenvalues closer than ``sqrt(tol) r``, when their left
    and right vectors are (nearly) orthogonal. A perturbation of size ``eta`` moves the
    eigenvector of a Jordan block of size ``m`` by about ``eta ** (1 / m)``: about ``1e-5`` at
    machine precision for ``m = 3``. The fixed state may well be unique: with one Kraus operator
    ``[[1, 1], [0, 1]]`` it is ``|0><0|``. Only maps that are not trace preserving (up to a
    factor) can have a defective ``r``. Not a subclass of :class:`NonUniqueFixedPointError`.
    """

    _prefix = (
        "kraus: the leading eigenvalue r is defective (a Jordan block) or too ill-conditioned "
        "to tell: "
    )


class UncheckedDefectWarning(UserWarning):
    """:func:`fixed_point_of_operator` could not check that ``r`` is not defective.

    Issued when ``op`` has no adjoint (a ``LinearOperator`` with ``matvec`` alone) and a probe
    with one product shows that the map is not trace preserving (up to a factor): the dual
    solve that detects a Jordan block at ``r`` is impossible, and for a defective ``r`` the
    result may be accurate only to about ``eps ** (1 / m)`` for a Jordan block of size ``m``
    (``eps`` the relative rounding of the products). Pass ``rmatvec=`` (the dual map), or
    use :func:`fixed_point` when the Kraus operators are known.
    """


class FixedPointConvergenceError(FixedPointError, RuntimeError):
    """The eigensolver (ARPACK or power iteration) did not reach ``tol`` within its budget.

    A property of the channel (a tiny or zero spectral gap), hence a ``ValueError`` about
    ``kraus``; also a ``RuntimeError``, as before. ``str(err)`` is the message.
    """

    def __init__(self, reason: str, evidence: str = "") -> None:
        self.reason, self.evidence = reason, evidence
        detail = f" ({evidence})" if evidence else ""
        ValueError.__init__(self, f"{reason}{detail}")


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _as_complex_array(name: str, x: Any) -> np.ndarray:
    """``x`` as a complex128 array (a copy when converted), or an error naming ``name``.

    Integer, real and complex dtypes are accepted; bool, time, string, object, ragged and masked
    input is refused with a ``TypeError``; empty or non-finite input with a ``ValueError``.
    """
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(
            f"{name} must be a plain array, got a masked array with shape {np.shape(x)}: drop or "
            "fill the masked entries first"
        )
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as err:  # ragged nested lists
        raise TypeError(
            f"{name} must be a numeric array, got {type(x).__name__} that NumPy cannot turn into "
            f"one ({err})"
        ) from None
    if arr.dtype.kind not in "iufc":
        raise TypeError(
            f"{name} must be an integer, real or complex array, got dtype {arr.dtype} with shape "
            f"{arr.shape}"
        )
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    arr = arr.astype(np.complex128, copy=False)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite, got NaN or inf in an array of shape {arr.shape}")
    return arr


def _scaled(k: np.ndarray) -> tuple[np.ndarray, float]:
    """``(k / s, s)`` with ``s`` the largest modulus of an entry (``s > 0``), so that nothing
    computed from the scaled operators overflows or underflows; raises for the zero map."""
    s = float(np.max(np.abs(k)))
    if s == 0.0:
        raise ValueError(
            f"kraus must not be all zero (shape {k.shape}): the zero map sends every matrix to 0"
        )
    return _divided(k, s), s


def _divided(x: np.ndarray, s: float) -> np.ndarray:
    """``x / s`` for a complex ``x`` and a positive ``s`` anywhere in float64's range.

    Divides in two steps: by the power of two ``2**e`` (exact), then by the mantissa ``m`` in
    ``[0.5, 1)``. A complex array divided by a subnormal ``s`` directly overflows, because
    complex division forms ``1 / s`` on the way.
    """
    m, e = np.frexp(s)
    return (np.ldexp(x.real, -e) + 1j * np.ldexp(x.imag, -e)) / m


def _times_scale(x: np.ndarray, *factors: float, what: str) -> np.ndarray:
    """``x`` times every factor, in turn; a ``ValueError`` if the result overflows float64."""
    with np.errstate(over="ignore", invalid="ignore"):
        for f in factors:
            x = x * f
    if not np.isfinite(x).all():
        raise ValueError(
            f"{what} overflows float64 (entries beyond 1.8e308): its inputs are supported as "
            "long as the result is representable; scale them down"
        )
    return x


def _as_kraus(kraus: Any, name: str = "kraus") -> np.ndarray:
    """Validate a ``(d, n, n)`` stack of Kraus operators and return it as complex128."""
    arr = _as_complex_array(name, kraus)
    if arr.ndim != 3 or arr.shape[1] != arr.shape[2]:
        hint = " (a single operator K needs a leading axis: K[None])" if arr.ndim == 2 else ""
        raise ValueError(
            f"{name} must have shape (d, n, n): d square Kraus operators; got shape "
            f"{arr.shape}{hint}"
        )
    return arr


# --------------------------------------------------------------------------------------------
# Constructing channels
# --------------------------------------------------------------------------------------------


def kraus_from_question_layout(kraus_op: Any) -> np.ndarray:
    """Convert Kraus operators stored as ``kraus_op[a, j, b] = K_j[a, b]`` to ``(d, n, n)``.

    Parameters
    ----------
    kraus_op : (n, d, n) array
        The layout in which the Kraus index sits in the middle.

    Returns
    -------
    kraus : (d, n, n) complex array
        ``kraus[j] = kraus_op[:, j, :]``, a contiguous copy.

    Raises
    ------
    ValueError
        If ``kraus_op`` is not 3-d with equal first and last axes, is empty or not finite.
    TypeError
        If ``kraus_op`` is not numeric.
    """
    arr = _as_complex_array("kraus_op", kraus_op)
    if arr.ndim != 3 or arr.shape[0] != arr.shape[2]:
        raise ValueError(f"kraus_op must have shape (n, d, n), got shape {arr.shape}")
    return arr.transpose(1, 0, 2).copy()  # a new C-contiguous array, never a view


def is_trace_preserving(kraus: Any, *, atol: float = 1e-12) -> bool:
    """Whether ``sum_j K_j^H K_j`` equals the identity within ``atol`` (entrywise).

    Parameters
    ----------
    kraus : (d, n, n) array
        Kraus operators.
    atol : float, optional
        Absolute tolerance on every entry of ``sum_j K_j^H K_j - I``, in ``[0, 1)``.

    Returns
    -------
    bool
    """
    k = _as_kraus(kraus)
    atol = as_scalar("atol", atol, low=0, high=1, high_open=True)
    # Trace preservation bounds every entry by 1 (each column of the stacked K_j has norm 1),
    # so larger entries answer at once and the Gram matrix below cannot overflow.
    if np.max(np.abs(k)) > 2.0:
        return False
    gram = np.einsum("jba,jbc->ac", k.conj(), k)
    return bool(np.max(np.abs(gram - np.eye(k.shape[1]))) <= atol)


def normalize_trace_preserving(kraus: Any) -> np.ndarray:
    """Make a channel trace preserving: ``K_j <- K_j M^(-1/2)`` with ``M = sum_j K_j^H K_j``.

    Afterwards ``sum_j K_j^H K_j = M^(-1/2) M M^(-1/2) = I``. This is a different channel,
    not a rescaled copy: unless ``M`` is a multiple of ``I``, its fixed point differs from that
    of the original map.

    Parameters
    ----------
    kraus : (d, n, n) array
        Kraus operators whose ``M`` is positive definite.

    Returns
    -------
    kraus_tp : (d, n, n) complex array
        The normalised Kraus operators.

    Raises
    ------
    ValueError
        If ``M`` is singular (condition number above ``1e12``): some input state is annihilated
        by every ``K_j`` and no rescaling can preserve its trace.
    """
    k, _ = _scaled(_as_kraus(kraus))  # K M^(-1/2) does not change when every K_j is scaled
    gram = np.einsum("jba,jbc->ac", k.conj(), k)
    w, v = np.linalg.eigh(gram)
    if w[0] <= w[-1] * 1e-12:
        raise ValueError(
            "kraus cannot be made trace preserving: M = sum_j K_j^H K_j is singular "
            f"(eigenvalues from {w[0]:.3e} to {w[-1]:.3e})"
        )
    inv_sqrt = (v / np.sqrt(w)) @ v.conj().T
    return k @ inv_sqrt


def random_kraus(
    n: int, d: int, *, rng: np.random.Generator | int | None, trace_preserving: bool = True
) -> np.ndarray:
    """Random Kraus operators with independent complex Gaussian entries.

    Parameters
    ----------
    n : int
        Dimension of the system, ``n >= 1``.
    d : int
        Number of Kraus operators, ``d >= 1``.
    rng : numpy.random.Generator, int or None
        The source of randomness (a seed is turned into ``np.random.default_rng(seed)``).
    trace_preserving : bool, optional
        If true (default), normalise with :func:`normalize_trace_preserving`, so that
        ``sum_j K_j^H K_j = I`` to about ``1e-13``. Otherwise the entries have variance
        ``1 / (n d)``, which makes ``sum_j K_j^H K_j`` close to ``I`` on average only.

    Returns
    -------
    kraus : (d, n, n) complex array
    """
    n = as_scalar("n", n, integer=True, low=1)
    d = as_scalar("d", d, integer=True, low=1)
    rng = as_rng("rng", rng)
    if not isinstance(trace_preserving, bool | np.bool_):
        raise TypeError(
            f"trace_preserving must be a bool, got {type(trace_preserving).__name__} "
            f"{trace_preserving!r}"
        )
    shape = (d, n, n)
    k = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2 * n * d)
    return normalize_trace_preserving(k) if trace_preserving else k


def depolarizing_kraus(n: int, p: float) -> np.ndarray:
    """Kraus operators of the depolarizing channel ``rho -> (1 - p) rho + p tr(rho) I / n``.

    Parameters
    ----------
    n : int
        Dimension, ``n >= 1``.
    p : float
        Depolarizing probability in ``[0, 1]``.

    Returns
    -------
    kraus : (1 + n**2, n, n) complex array
        ``sqrt(1 - p) I`` followed by ``sqrt(p / n) |a><b|`` for all ``a, b``
        (because ``sum_ab |a><b| rho |b><a| = tr(rho) I``).
    """
    n = as_scalar("n", n, integer=True, low=1)
    p = as_scalar("p", p, low=0, high=1)
    units = np.eye(n * n).reshape(n * n, n, n)  # |a><b| for a, b in row-major order
    return np.concatenate([np.sqrt(1 - p) * np.eye(n)[None], np.sqrt(p / n) * units]).astype(
        np.complex128
    )


def amplitude_damping_kraus(n: int, gamma: float, *, ground: int = 0) -> np.ndarray:
    """Kraus operators of amplitude damping of every level into the level ``ground``.

    ``K_0 = |g><g| + sqrt(1 - gamma) (I - |g><g|)`` and ``K_k = sqrt(gamma) |g><k|`` for every
    ``k != g``. For ``0 < gamma <= 1`` the unique fixed point is the pure state ``|g><g|``.

    Parameters
    ----------
    n : int
        Dimension, ``n >= 2``.
    gamma : float
        Decay probability per application, in ``[0, 1]``.
    ground : int, optional
        The absorbing level ``g``, ``0 <= g < n``.

    Returns
    -------
    kraus : (n, n, n) complex array
    """
    n = as_scalar("n", n, integer=True, low=2)
    gamma = as_scalar("gamma", gamma, low=0, high=1)
    ground = as_scalar("ground", ground, integer=True, low=0, high=n - 1)
    k0 = np.sqrt(1 - gamma) * np.eye(n)
    k0[ground, ground] = 1.0
    others = np.delete(np.arange(n), ground)
    jumps = np.zeros((n - 1, n, n))
    jumps[np.arange(n - 1), ground, others] = np.sqrt(gamma)
    return np.concatenate([k0[None], jumps]).astype(np.complex128)


# --------------------------------------------------------------------------------------------
# Applying channels
# --------------------------------------------------------------------------------------------


def _kraus_blocks(kraus: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two stacked forms of validated ``kraus`` (d, n, n) that :func:`_apply_blocks` uses.

    ``stacked = [K_1; ...; K_d]`` and ``kcat_h = Kcat^H = [K_1^H; ...; K_d^H]``, both
    ``(d n, n)`` and contiguous. Computed once per operator, not once per product.
    """
    d, n, _ = kraus.shape
    stacked = np.ascontiguousarray(kraus.reshape(d * n, n))
    kcat_h = np.ascontiguousarray(kraus.conj().transpose(0, 2, 1).reshape(d * n, n))
    return stacked, kcat_h


def _apply_blocks(stacked: np.ndarray, kcat_h: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """``sum_j K_j rho K_j^H`` for ``rho`` (..., n, n), from :func:`_kraus_blocks`.

    Two matrix products of shapes ``(d n, n) @ (n, n)`` and ``(n, d n) @ (d n, n)``: with
    ``Kcat = [K_1 | ... | K_d]`` (n, d n), ``Phi(rho) = [K_1 rho | ... | K_d rho] @ Kcat^H``.
    """
    n = stacked.shape[1]
    d = stacked.shape[0] // n
    y = stacked @ rho  # (..., d n, n): the blocks K_j rho
    batch = rho.shape[:-2]
    y = y.reshape(*batch, d, n, n)
    y = np.moveaxis(y, -3, -2).reshape(*batch, n, d * n)  # [K_1 rho | ... | K_d rho]
    return y @ kcat_h


def _apply(kraus: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """``sum_j K_j rho K_j^H`` for validated ``kraus`` (d, n, n) and ``rho`` (..., n, n)."""
    return _apply_blocks(*_kraus_blocks(kraus), rho)


def apply_channel(kraus: Any, rho: Any) -> np.ndarray:
    """Apply a channel: ``Phi(rho) = sum_j K_j rho K_j^H``.

    Parameters
    ----------
    kraus : (d, n, n) array
        Kraus operators, ``kraus[j] = K_j``.
    rho : (n, n) array, or (..., n, n) for a batch
        The matrix (or matrices) to map; need not be Hermitian.

    Returns
    -------
    out : (n, n) complex array, or (..., n, n)

    Examples
    --------
    The depolarizing channel with ``p = 1`` replaces every state by ``I / n``:

    >>> apply_channel(depolarizing_kraus(2, 1.0), np.array([[1.0, 0.0], [0.0, 0.0]])).real
    array([[0.5, 0. ],
           [0. , 0.5]])

    Raises
    ------
    ValueError
        If the shapes do not fit, or an input is empty or contains NaN or inf.
    TypeError
        If an input is not numeric.
    """
    k = _as_kraus(kraus)
    r = _as_complex_array("rho", rho)
    n = k.shape[1]
    if r.ndim < 2 or r.shape[-2:] != (n, n):
        raise ValueError(
            f"rho must have shape (n, n) = ({n}, {n}) (or (..., {n}, {n})) to match kraus of "
            f"shape {k.shape}, got shape {r.shape}"
        )
    if not k.any() or not r.any():
        return np.zeros(r.shape, dtype=np.complex128)
    k, s = _scaled(k)
    r_scale = float(np.max(np.abs(r)))
    out = _apply(k, _divided(r, r_scale))
    return _times_scale(out, s, s, r_scale, what="apply_channel(kraus, rho)")


def superoperator(kraus: Any) -> np.ndarray:
    """The dense ``(n**2, n**2)`` matrix of the channel for row-major vectorisation.

    ``S = sum_j kron(K_j, conj(K_j))``, so that
    ``S @ rho.reshape(-1) == apply_channel(kraus, rho).reshape(-1)``.
    It needs ``16 n**4`` bytes: 270 MB at ``n = 64``, 4.3 GB at ``n = 128``.

    Parameters
    ----------
    kraus : (d, n, n) array
        Kraus operators.

    Returns
    -------
    s : (n**2, n**2) complex array
    """
    k = _as_kraus(kraus)
    n = k.shape[1]
    if not k.any():
        return np.zeros((n * n, n * n), dtype=np.complex128)
    k, s = _scaled(k)
    # S[(a, b), (c, e)] = sum_j K_j[a, c] conj(K_j[b, e])
    out = np.einsum("jac,jbe->abce", k, k.conj(), optimize=True).reshape(n * n, n * n)
    return _times_scale(out, s, s, what="superoperator(kraus)")


def channel_operator(kraus: Any) -> LinearOperator:
    """The channel as a matrix-free ``LinearOperator`` of shape ``(n**2, n**2)``.

    ``op @ v`` computes ``apply_channel(kraus, v.reshape(n, n)).reshape(-1)`` in
    ``O(d n**3)`` operations and ``O(d n**2)`` memory; ``S`` is never formed. The adjoint
    ``op.H`` is the dual (Heisenberg-picture) channel ``X -> sum_j K_j^H X K_j``.

    Parameters
    ----------
    kraus : (d, n, n) array
        Kraus operators, not all zero, with a largest entry in modulus between ``1e-150`` and
        ``1e150`` (the operator's scale is its square).

    Returns
    -------
    op : scipy.sparse.linalg.LinearOperator
        Complex, shape ``(n**2, n**2)``; supports ``matvec``, ``matmat``, ``rmatvec`` and
        ``rmatmat`` (a block ``(n**2, m)`` is mapped with one batched product).
    """
    k, s = _scaled(_as_kraus(kraus))
    if not 1e-150 <= s <= 1e150:
        raise ValueError(
            f"kraus must have its largest entry in modulus within [1e-150, 1e150] for "
            f"channel_operator (the operator scales with its square), got {s:.3g}"
        )
    return _operator(k, s * s)


def _product(stacked: np.ndarray, kcat_h: np.ndarray, scale: float):
    """The channel's matvec and matmat as closures: the bare NumPy expression, nothing
    recomputed per call (the factor ``scale`` is folded into the stacked operators once)."""
    n = stacked.shape[1]
    d = stacked.shape[0] // n
    if scale != 1.0:
        stacked = stacked * scale

    def matvec(v: np.ndarray) -> np.ndarray:
        y = (stacked @ v.reshape(n, n)).reshape(d, n, n).transpose(1, 0, 2).reshape(n, d * n)
        return (y @ kcat_h).reshape(-1)

    def matmat(x: np.ndarray) -> np.ndarray:  # (n**2, m)
        m = x.shape[1]
        return _apply_blocks(stacked, kcat_h, x.T.reshape(m, n, n)).reshape(m, n * n).T

    return matvec, matmat


class _ChannelOperator(LinearOperator):
    """``scale`` times a channel as a ``LinearOperator`` (see :func:`channel_operator`).

    The stacked Kraus operators of the channel are formed once, here: a product is then two
    BLAS calls and a copy, the bare NumPy expression. Those of the dual channel are formed on
    the first adjoint product (:func:`fixed_point` never needs them).
    """

    def __init__(self, k: np.ndarray, scale: float = 1.0, *, _products=None) -> None:
        n = k.shape[1]
        super().__init__(dtype=np.complex128, shape=(n * n, n * n))
        self._k, self._scale = k, scale
        if _products is None:
            self._fwd, self._bwd = _product(*_kraus_blocks(k), scale), None
        else:  # the adjoint of an existing operator: its products swapped, nothing copied
            self._fwd, self._bwd = _products
        self._vector_shape = (n * n,)

    def _dual(self):
        """The dual channel's products, built on first use."""
        if self._bwd is None:
            self._bwd = _product(*_kraus_blocks(self._k.conj().transpose(0, 2, 1)), self._scale)
        return self._bwd

    def matvec(self, x: Any) -> np.ndarray:
        """``S @ x``; a 1-d complex or real vector goes straight to the product (ARPACK's call)."""
        if type(x) is np.ndarray and x.shape == self._vector_shape:
            return self._fwd[0](x)
        return super().matvec(x)  # other shapes and types: SciPy's checks and conversions

    def _matvec(self, v: np.ndarray) -> np.ndarray:
        return self._fwd[0](v)

    def _matmat(self, x: np.ndarray) -> np.ndarray:
        return self._fwd[1](np.asarray(x))

    def _rmatvec(self, v: np.ndarray) -> np.ndarray:
        return self._dual()[0](v)

    def _rmatmat(self, x: np.ndarray) -> np.ndarray:
        return self._dual()[1](np.asarray(x))

    def _adjoint(self) -> LinearOperator:
        dual_k = self._k.conj().transpose(0, 2, 1)
        return _ChannelOperator(dual_k, self._scale, _products=(self._dual(), self._fwd))


def _operator(k: np.ndarray, scale: float = 1.0) -> LinearOperator:
    """``scale`` times the channel of validated ``k`` as a ``LinearOperator``."""
    return _ChannelOperator(k, scale)


# --------------------------------------------------------------------------------------------
# Fixed points
# --------------------------------------------------------------------------------------------


def _start_vector(n: int, seed: int) -> np.ndarray:
    """A fixed generic complex start vector of length ``n**2`` (deterministic, seeded)."""
    g = np.random.default_rng(seed)
    return g.standard_normal(n * n) + 1j * g.standard_normal(n * n)


def _shown(lam: Any, s: float) -> Any:
    """An eigenvalue (or modulus) ``lam`` of the map scaled by :func:`_scaled` as one of the
    caller's map, ``lam s**2``, for messages (``inf`` or ``0`` beyond float64's range)."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        return lam * s * s


def _to_density(
    lam: complex, vec: np.ndarray, n: int, gap_tol: float, tol: float, s: float = 1.0
) -> tuple[float, np.ndarray]:
    """Normalise an eigenpair of a positive map to ``(real eigenvalue, density matrix)``.

    Divides the eigenvector by its trace (fixes the complex factor and the scale at once),
    checks that the eigenvalue is real, that the result is Hermitian and positive semidefinite
    (no eigenvalue below ``-PSD_TOL``), and returns its Hermitian part. ``s`` is the factor the
    Kraus operators were divided by: messages give the eigenvalue of the caller's map.
    """
    rho = vec.reshape(n, n)
    scale = np.linalg.norm(rho)
    trace = np.trace(rho)
    if abs(trace) <= gap_tol * scale:
        raise NonUniqueFixedPointError(
            "the eigenvector for the eigenvalue r has (almost) zero trace: it is not a multiple "
            "of a density matrix",
            f"eigenvalue {_shown(lam, s):.6g}, |trace| / norm {abs(trace) / scale:.2e}",
        )
    if abs(lam.imag) > gap_tol * abs(lam):
        raise NonUniqueFixedPointError(
            "the eigenvalue found is not real, so the solver did not settle on r",
            f"eigenvalue {_shown(lam, s):.6g}",
        )
    rho = rho / trace
    herm_err = np.linalg.norm(rho - rho.conj().T) / np.linalg.norm(rho)
    if herm_err > gap_tol:
        raise NonUniqueFixedPointError(
            "the trace-normalised eigenvector is not Hermitian, which it would be for a simple "
            "leading eigenvalue: the channel likely has several fixed states; solve on each "
            "invariant block",
            f"relative anti-Hermitian part {herm_err:.2e}",
        )
    rho = (rho + rho.conj().T) / 2
    lowest = np.linalg.eigvalsh(rho)[0]
    if lowest < -PSD_TOL:
        raise NonUniqueFixedPointError(
            "the trace-normalised eigenvector is not positive semidefinite: it mixes "
            "eigenvectors of a degenerate leading eigenvalue",
            f"lowest eigenvalue {lowest:.3e} < -PSD_TOL = -{PSD_TOL:.0e}",
        )
    return float(lam.real), rho


class _Collapsed(Exception):
    """An iteration reached the zero vector (internal: turned into a named error)."""


class _Counted(LinearOperator):
    """``base`` with its products counted in ``calls`` (ARPACK's matvecs go straight through)."""

    def __init__(self, base: LinearOperator) -> None:
        super().__init__(dtype=base.dtype, shape=base.shape)
        self._base_matvec, self.calls = base.matvec, 0

    def matvec(self, x: Any) -> np.ndarray:
        self.calls += 1
        return self._base_matvec(x)

    def _matvec(self, x: np.ndarray) -> np.ndarray:
        return self.matvec(x)


def _arpack_restarts(krylov: int) -> int:
    """ARPACK's ``maxiter`` for ``k = 1`` and ``krylov`` vectors: the restarts that fit in
    ``MAX_PRODUCTS`` products. For ``k = 1`` and ``ncv >= 6`` ARPACK keeps ``ncv // 2`` vectors
    at each restart and applies ``ncv - ncv // 2`` new products; below 6 it keeps two."""
    per_restart = krylov - krylov // 2 if krylov >= 6 else krylov - 2
    return max((MAX_PRODUCTS - krylov) // max(per_restart, 1), 1)


def _arpack_pair(
    op: LinearOperator, v0: np.ndarray, tol: float, name: str = "kraus", ncv: int | None = None
) -> tuple[complex, np.ndarray]:
    krylov = min(ncv or 20, op.shape[0])  # eigs' default for k=1: min(N, 20)
    restarts = _arpack_restarts(krylov)
    counted = _Counted(op)
    try:
        w, v = eigs(
            counted,
            k=1,
            which="LR",
            v0=v0,
            tol=tol,
            ncv=ncv,
            maxiter=restarts,
            rng=ARPACK_SEED,
        )
    except ArpackNoConvergence as err:
        raise FixedPointConvergenceError(
            f"{name}: ARPACK did not reach tol={tol:.1e} after {counted.calls} channel "
            f"applications ({restarts} restarts, its limit for ncv={krylov}): eigenvalues too "
            f"close to r for {krylov} Krylov vectors; pass a larger ncv (e.g. 40 or 80), or "
            "method='dense' for small n"
        ) from err
    except ArpackError as err:  # e.g. -9: the Krylov space collapsed to the zero vector
        raise _Collapsed(str(err)) from err
    return complex(w[0]), v[:, 0]


def _power_pair(kraus: np.ndarray, v0: np.ndarray, tol: float) -> tuple[complex, np.ndarray]:
    n = kraus.shape[1]
    blocks = _kraus_blocks(kraus)
    x = v0.reshape(n, n) / np.linalg.norm(v0)
    checkpoint = np.inf
    for step in range(1, POWER_MAXITER + 1):
        y = _apply_blocks(*blocks, x)
        norm = np.linalg.norm(y)
        if norm == 0.0:
            raise _Collapsed("the iteration reached the zero matrix")
        lam = np.vdot(x, y)  # Rayleigh quotient, <x, Phi(x)> with |x| = 1
        residual = np.linalg.norm(y - lam * x) / abs(lam)
        if residual <= tol:
            return complex(lam), x.reshape(-1)
        if step % POWER_CHECK == 0:
            if residual > STALL_RATIO * checkpoint:
                break  # no progress: the budget would be spent in vain
            checkpoint = residual
        x = y / norm
    raise FixedPointConvergenceError(
        f"kraus: power iteration did not reach tol={tol:.1e} (at most {POWER_MAXITER} steps; "
        f"stopped after {step}, when {POWER_CHECK} steps no longer shrank the residual by 1 %): "
        "the ratio |lambda_2 / lambda_1| is close to 1, or equal to it with another phase (a "
        "periodic channel, whose fixed point attracts nothing); try method='arpack'"
    )


def _as_ncv(ncv: Any, n: int) -> int | None:
    """ARPACK's number of Krylov vectors for ``k=1``: ``None`` or an integer in ``[3, n**2]``."""
    if ncv is None:
        return None
    return as_scalar("ncv", ncv, integer=True, low=3, high=max(n * n, 3))


def _starts(n: int, v0: Any) -> list[np.ndarray]:
    """The two start vectors of the iterative solves: ``v0`` (validated) or the first fixed
    seeded vector, then the second fixed seeded vector."""
    starts = [_start_vector(n, s) for s in START_SEEDS]
    if v0 is not None:
        v = _as_complex_array("v0", v0)
        if v.shape not in ((n * n,), (n, n)):
            raise ValueError(f"v0 must have shape ({n * n},) or ({n}, {n}), got shape {v.shape}")
        if not np.any(v):
            raise ValueError("v0 must not be the zero vector")
        starts[0] = v.reshape(-1) / np.max(np.abs(v))  # scaled: its norm cannot overflow
    return starts


def _as_method(method: Any) -> str:
    return as_choice("method", method, METHODS)


def _check_single_operator(k: np.ndarray, gap_tol: float, s: float = 1.0) -> None:
    """Decide at once for a channel with one Kraus operator (up to Kraus freedom).

    If the Kraus operators span one matrix ``K``, the channel is ``rho -> c K rho K^H`` and the
    eigenvalues of ``S`` are ``c mu_a conj(mu_b)`` for the eigenvalues ``mu`` of ``K``: the
    leading one is simple only if one ``mu`` has the largest modulus alone. A unitary channel
    (every ``|mu|`` equal) is the common case; iterative solvers would spin on it for long.
    ``k`` is the caller's operators divided by ``s``: messages give the moduli for the caller's.
    """
    d, n, _ = k.shape
    if n == 1:
        return
    flat = k.reshape(d, n * n)
    if d == 1:
        single = k[0]
    else:
        _, sv, vh = np.linalg.svd(flat, full_matrices=False)
        if sv[1] > 1e-12 * sv[0]:
            return  # at least two independent Kraus operators
        single = (sv[0] * vh[0]).reshape(n, n)
    moduli = np.sort(np.abs(np.linalg.eigvals(single)))[::-1]
    if moduli[0] - moduli[1] > gap_tol * moduli[0]:
        return
    gram = single.conj().T @ single
    scale = np.trace(gram).real / n
    if np.max(np.abs(gram / scale - np.eye(n))) <= 1e-8:
        raise NonUniqueFixedPointError(
            "the channel is unitary, rho -> U rho U^H (one Kraus operator, unitary up to a "
            "factor): every matrix that commutes with U is fixed",
            f"n = {n}",
        )
    # Every eigenvector v of K for an eigenvalue of the largest modulus gives a fixed state
    # |v><v|. Several independent ones: several fixed states. Only one: a Jordan block of K there.
    mu = np.linalg.eigvals(single)
    top = mu[np.abs(mu) >= moduli[0] * (1 - gap_tol)]
    distinct = [
        z for i, z in enumerate(top) if all(abs(z - y) > gap_tol * moduli[0] for y in top[:i])
    ]
    vectors = sum(
        int(np.sum(np.linalg.svd(single - z * np.eye(n), compute_uv=False) <= gap_tol * moduli[0]))
        for z in distinct
    )
    with np.errstate(over="ignore", under="ignore"):
        top_two = moduli[:2] * s  # the eigenvalues of K scale with s, those of S with s**2
    evidence = f"largest moduli {top_two[0]:.6g} and {top_two[1]:.6g}, {vectors} eigenvector(s)"
    if vectors == 1:
        raise DefectiveFixedPointError(
            "the channel has one Kraus operator K (up to a factor) with a Jordan block at its "
            "eigenvalue of largest modulus. The fixed state is unique: |v><v|, with v the "
            "eigenvector of K for that eigenvalue; an iterative eigensolver finds it only to "
            "about 1e-5 or worse, not to tol",
            evidence,
        )
    raise NonUniqueFixedPointError(
        "the channel has one Kraus operator K (up to a factor) and two eigenvalues of K share "
        "the largest modulus",
        evidence,
    )


def _unscale(lam: float, s: float) -> float:
    """The eigenvalue of the unscaled channel, ``lam s**2``; an error if float64 cannot hold it."""
    with np.errstate(over="ignore", under="ignore"):
        out = lam * s * s
    if lam > 0 and not (np.isfinite(out) and out >= np.finfo(float).tiny):
        exponent = np.log10(lam) + 2 * np.log10(s)
        raise ValueError(
            f"kraus is scaled so that its leading eigenvalue, about 1e{exponent:.0f}, is outside "
            "float64's normal range [2.2e-308, 1.8e308]; scale the Kraus operators (the fixed "
            "point rho does not depend on their scale)"
        )
    return float(out)


def _nilpotent(evidence: str) -> NonUniqueFixedPointError:
    return NonUniqueFixedPointError(
        "every eigenvalue of the map is zero (it is nilpotent): nothing is left after a few "
        "applications, so there is no fixed state",
        evidence,
    )


def _trace_preserving_up_to_factor(k: np.ndarray) -> bool:
    """Whether ``sum_j K_j^H K_j = c I`` to ``TP_TOL`` (then ``r`` cannot be defective)."""
    gram = np.einsum("jba,jbc->ac", k.conj(), k)
    c = np.trace(gram).real / k.shape[1]
    return bool(np.max(np.abs(gram - c * np.eye(k.shape[1]))) <= TP_TOL * c)


def _raise_if_defective(
    kappa: float, gap_tol: float, delta: float | None = None, level: float = 0.0
) -> None:
    """Raise :class:`DefectiveFixedPointError` unless ``r`` is an isolated, simple eigenvalue.

    ``kappa`` is the condition number of ``r``; ``delta`` a lower bound on the distance from ``r``
    to every other eigenvalue, relative to ``r``; ``level`` the rounding level ``eps |S| / r``.
    A perturbation ``E`` of ``S`` moves a simple ``r`` by about ``kappa |E|``, so ``r`` counts
    as simple when ``kappa DEFECT_MARGIN level < delta``: errors a hundred times larger than
    rounding cannot merge it with another eigenvalue. A Jordan block of any size fails this by
    far, because the computed eigenvalues of the block sit about ``kappa level`` apart, and a
    large ``kappa`` alone (a simple but sensitive ``r``) does not. Without ``delta`` (ARPACK could
    not find a second eigenvalue) the rule falls back on ``kappa > 1 / sqrt(tol)``.
    """
    if delta is None:
        bad = kappa > 1.0 / gap_tol
        evidence = (
            f"condition number of r {kappa:.1e} > 1 / sqrt(tol) = {1.0 / gap_tol:.0e}, and no "
            "estimate of the distance to the other eigenvalues"
        )
    else:
        bad = not kappa * DEFECT_MARGIN * level < delta
        evidence = (
            f"condition number of r {kappa:.1e}: a perturbation of {DEFECT_MARGIN:.0f} eps |S| "
            f"could move r by {kappa * DEFECT_MARGIN * level:.1e} r, and the nearest other "
            f"eigenvalue is {delta:.1e} r away"
        )
    if bad:
        raise DefectiveFixedPointError(
            "its left and right eigenvectors are (nearly) orthogonal and no other eigenvalue is "
            "safely apart from it, so no eigensolver finds its eigenvector to tol; the fixed "
            "state may still be unique",
            evidence,
        )


def _condition(v: np.ndarray, w: np.ndarray) -> float:
    """The condition number ``|w| |v| / |<w, v>|`` of an eigenvalue with right and left vectors."""
    overlap = abs(np.vdot(w.reshape(-1), v.reshape(-1)))
    size = np.linalg.norm(v) * np.linalg.norm(w)
    return float(size / overlap) if overlap > 0 else np.inf


def _kraus_norm(k: np.ndarray) -> float:
    """``sum_j |K_j|_2**2``, an upper bound on the 2-norm of ``S = sum_j K_j (x) conj(K_j)``."""
    return float(np.sum(np.linalg.norm(k, 2, axis=(1, 2)) ** 2))


def _norm_estimate(op: LinearOperator, dual: LinearOperator, start: np.ndarray) -> float:
    """About the 2-norm of ``op`` (from below): eight steps of power iteration with ``op^H op``."""
    x = start / np.linalg.norm(start)
    for _ in range(8):
        y = np.asarray(dual.matvec(np.asarray(op.matvec(x)))).reshape(-1)
        size = np.linalg.norm(y)
        if size == 0.0:
            break
        x = y / size
    return float(np.linalg.norm(op.matvec(x)))


def _arpack_top_two(
    op: LinearOperator, v0: np.ndarray, ncv: int | None
) -> tuple[complex, np.ndarray, float]:
    """ARPACK's two eigenvalues of largest real part at machine precision: ``r``, its vector and
    ``(r - Re lambda_2) / r``, a lower bound on the distance from ``r`` to every other eigenvalue
    (relative to ``r``). ``r`` is picked by its real part, not by ARPACK's output order."""
    size = op.shape[0]
    if size < 4:  # k = 2 needs n**2 >= 4
        raise _Collapsed("too small for two eigenvalues")
    krylov = min(max(ncv or 20, 5), size)  # k = 2 needs k + 1 < ncv <= n**2
    try:
        w, v = eigs(
            op,
            k=2,
            which="LR",
            v0=v0,
            tol=0.0,
            ncv=krylov,
            maxiter=max(MAX_PRODUCTS // krylov, 1),
            rng=ARPACK_SEED,
        )
    except (ArpackNoConvergence, ArpackError) as err:
        raise _Collapsed(str(err)) from err
    top = int(np.argmax(w.real))
    if abs(w[top]) == 0.0:
        raise _Collapsed("the leading eigenvalue is zero")
    return complex(w[top]), v[:, top], float((w[top].real - w[1 - top].real) / abs(w[top]))


def _defect_pair(
    op: LinearOperator,
    dual: LinearOperator,
    start: np.ndarray,
    gap_tol: float,
    ncv: int | None = None,
) -> tuple[float, float | None, complex, np.ndarray] | None:
    """The condition number of ``r``, the distance bound ``delta`` of :func:`_arpack_top_two`,
    ``r`` and its eigenvector, all from ARPACK at ``tol=0``; ``None`` if ARPACK fails.

    Both solves run at machine precision, whatever the caller's ``tol`` and method. At a Jordan
    block of size ``m >= 2`` ARPACK returns vectors whose overlap is about ``eps ** ((m - 1) /
    m)``, a condition number near ``1e7`` or above, and two eigenvalues about ``eps ** (1 / m)``
    apart (tested on similarity-transformed blocks of size 2 to 4). Vectors solved only to
    ``tol`` would not do: power iteration on a block of size 2 stops with an error of about
    ``sqrt(tol)`` in each vector. ``delta`` is solved for only when the condition number exceeds
    ``1 / sqrt(tol)`` (a third solve, for two eigenvalues, slow on a crowded spectrum); below
    that ``r`` counts as simple and ``delta`` is ``inf``. It is ``None`` if that solve fails.
    """
    try:
        lam, v = _arpack_pair(op, start, 0.0, ncv=ncv)
        _, w = _arpack_pair(dual, start, 0.0, ncv=ncv)
    except (_Collapsed, FixedPointConvergenceError):
        return None
    kappa = _condition(v, w)
    delta: float | None = np.inf
    if kappa > 1.0 / gap_tol:
        try:
            _, _, delta = _arpack_top_two(op, start, ncv)
        except _Collapsed:
            delta = None
    return kappa, delta, lam, v


def _sharpened(
    rho: np.ndarray,
    found: tuple[float, float | None, complex, np.ndarray],
    level: float,
    tol: float,
    gap_tol: float,
    s: float = 1.0,
) -> np.ndarray:
    """``rho``, or the eigenvector solved at machine precision when the error bound of ``rho``,
    ``tol kappa / delta``, exceeds ``sqrt(tol)``; a ``RuntimeWarning`` if even that vector's bound,
    ``level kappa / delta``, does."""
    kappa, delta, lam, v = found
    if delta is None or tol * kappa <= gap_tol * delta:
        return rho
    _, sharp = _to_density(lam, v, rho.shape[0], gap_tol, tol, s)
    _warn_if_inaccurate(level * kappa / delta, kappa, delta, gap_tol, stacklevel=5)
    return sharp


def _warn_if_inaccurate(
    bound: float, kappa: float, delta: float, gap_tol: float, stacklevel: int = 4
) -> None:
    if bound > gap_tol:
        warnings.warn(
            f"fixed_point: r is simple but ill-conditioned (condition number {kappa:.1e}, "
            f"nearest other eigenvalue {delta:.1e} r away): rho may be accurate only to about "
            f"{bound:.0e}",
            RuntimeWarning,
            stacklevel=stacklevel,
        )


def _dual_check(
    k: np.ndarray,
    method: str,
    rho: np.ndarray,
    lam: float,
    start: np.ndarray,
    tol: float,
    gap_tol: float,
    s: float = 1.0,
) -> np.ndarray:
    """Check that ``r`` is simple and isolated (see :func:`_defect_pair` and
    :func:`_raise_if_defective`) and return ``rho``, sharpened if its error bound is poor. If
    ARPACK fails at machine precision, solve the dual map with ``method`` at ``tol`` and use
    ``rho`` instead."""
    found = _defect_pair(_operator(k), _operator(k.conj().transpose(0, 2, 1)), start, gap_tol)
    if found is None:
        dual = k.conj().transpose(0, 2, 1)
        try:
            if method == "power":
                _, w = _power_pair(dual, start, tol)
            else:
                _, w = _arpack_pair(_operator(dual), start, tol)
        except (_Collapsed, FixedPointConvergenceError):
            return rho
        _raise_if_defective(_condition(rho, w), gap_tol)
        return rho
    level = np.finfo(float).eps * _kraus_norm(k) / abs(lam)
    _raise_if_defective(found[0], gap_tol, found[1], level)
    return _sharpened(rho, found, level, tol, gap_tol, s)


def _diagnose(k: np.ndarray, starts: list[np.ndarray], gap_tol: float) -> None:
    """After an iterative method failed on a map that is not trace preserving: raise
    :class:`DefectiveFixedPointError` if ARPACK finds a defective ``r``, else return."""
    try:
        lam, _ = _arpack_pair(_operator(k), starts[1], 0.0)
    except (_Collapsed, FixedPointConvergenceError):
        return
    if abs(lam) <= NILPOTENT_TOL:  # a nilpotent map: the error already says so
        return
    found = _defect_pair(_operator(k), _operator(k.conj().transpose(0, 2, 1)), starts[1], gap_tol)
    if found is not None:
        level = np.finfo(float).eps * _kraus_norm(k) / abs(lam)
        _raise_if_defective(found[0], gap_tol, found[1], level)


class _BadStart(ValueError):
    """``v0`` reaches a smaller eigenvalue than a generic start (a ``ValueError``)."""


def _dense_solve(
    k: np.ndarray, gap_tol: float, tol: float, tp: bool = True, s: float = 1.0
) -> tuple[float, np.ndarray]:
    n = k.shape[1]
    s_matrix = np.einsum("jac,jbe->abce", k, k.conj(), optimize=True).reshape(n * n, n * n)
    if tp:
        w, vecs = scipy.linalg.eig(s_matrix)
        left = None
    else:
        w, left, vecs = scipy.linalg.eig(s_matrix, left=True)
    radius = float(np.max(np.abs(w)))
    if radius <= NILPOTENT_TOL:
        raise _nilpotent(f"largest modulus {_shown(radius, s):.2e}")
    # The spectral radius r is itself an eigenvalue (Perron-Frobenius for positive maps), and
    # it is the only eigenvalue with real part r: pick the largest real part, not the largest
    # modulus, which a periodic channel shares between r and r exp(2 pi i k / p).
    order = np.argsort(-w.real, kind="stable")
    w, vecs = w[order], vecs[:, order]
    if left is not None:  # the cluster at r: its left and right vectors (unit columns)
        cluster = np.abs(w - w[0]) <= gap_tol * radius
        overlap = left[:, order][:, cluster].conj().T @ vecs[:, cluster]
        smallest = np.linalg.svd(overlap, compute_uv=False)[-1]
        kappa = 1.0 / smallest if smallest > 0 else np.inf
        if np.count_nonzero(cluster) > 1:  # parallel vectors: a Jordan block, else degenerate
            _raise_if_defective(kappa, gap_tol)
        elif w.size > 1:  # r alone in its cluster: is it safely apart from the rest?
            delta = float(np.min(np.abs(w[1:] - w[0]))) / radius
            level = np.finfo(float).eps * _kraus_norm(k) / radius
            _raise_if_defective(kappa, gap_tol, delta, level)
            _warn_if_inaccurate(level * kappa / delta, kappa, delta, gap_tol)
    if w.size > 1 and abs(w[1] - w[0]) <= gap_tol * radius:
        raise NonUniqueFixedPointError(
            "two eigenvalues at r = spectral radius",
            f"{_shown(w[0], s):.6g} and {_shown(w[1], s):.6g}",
        )
    return _to_density(complex(w[0]), vecs[:, 0], n, gap_tol, tol, s)


def _iterative_solve(
    k: np.ndarray | None,
    method: str,
    starts: list[np.ndarray],
    tol: float,
    gap_tol: float,
    user_v0: bool,
    op: LinearOperator | None = None,
    ncv: int | None = None,
    s: float = 1.0,
) -> tuple[float, np.ndarray]:
    """Two solves, their checks and the re-solves at machine precision. ``op`` (ARPACK only)
    replaces the operator built from ``k``: :func:`fixed_point_of_operator` passes ``k=None``."""
    try:
        lam, rho, spread = _iterative_once(k, method, starts, tol, gap_tol, user_v0, op, ncv, s)
    except NonUniqueFixedPointError as err:
        if method != "arpack":
            raise
        # ARPACK's tol bounds the residual relative to r, and a shift hides in it: for
        # (1 - eps) I + eps S the residual of S is 1 / eps times larger, so a simple r with a tiny
        # gap can look degenerate. Confirm at machine precision before raising.
        try:
            return _iterative_once(k, method, starts, 0.0, gap_tol, user_v0, op, ncv, s)[:2]
        except (NonUniqueFixedPointError, FixedPointConvergenceError):
            raise err from None
    if method == "arpack" and spread > ACCURACY_RATIO * tol:
        # The two solves agree only to about their error, tol / gap: a small gap. Solve again at
        # machine precision; if that fails, keep the first answer and say how accurate it is.
        try:
            return _iterative_once(k, method, starts, 0.0, gap_tol, user_v0, op, ncv, s)[:2]
        except (NonUniqueFixedPointError, FixedPointConvergenceError) as err:
            warnings.warn(
                f"fixed_point: rho is accurate only to about {spread:.1e} (relative), not to "
                f"tol={tol:.1e}: two solves differ by that much (a small spectral gap), and the "
                f"re-solve at machine precision failed ({type(err).__name__})",
                RuntimeWarning,
                stacklevel=3,
            )
    return lam, rho


def _iterative_once(
    k: np.ndarray | None,
    method: str,
    starts: list[np.ndarray],
    tol: float,
    gap_tol: float,
    user_v0: bool,
    op: LinearOperator | None = None,
    ncv: int | None = None,
    s: float = 1.0,
) -> tuple[float, np.ndarray, float]:
    n = round(np.sqrt(starts[0].size))
    name = "kraus" if op is None else "op"
    if op is None and method == "arpack":
        op = _operator(k)
    pairs: list[tuple[complex, np.ndarray] | None] = []
    for start in starts:
        try:
            pairs.append(
                _arpack_pair(op, start, tol, name, ncv) if op else _power_pair(k, start, tol)
            )
        except _Collapsed:
            pairs.append(None)
    if pairs[1] is None or all(abs(p[0]) <= NILPOTENT_TOL for p in pairs if p):
        raise _nilpotent("a generic start vector is mapped to zero")
    moduli = [abs(p[0]) if p else 0.0 for p in pairs]
    shown = [_shown(m, s) for m in moduli]
    if user_v0 and moduli[0] < moduli[1] * (1 - gap_tol):
        reached = f"an eigenvalue of modulus {shown[0]:.6g}" if pairs[0] else "the zero matrix"
        raise _BadStart(
            f"v0 has no component along the fixed point: from v0 the iteration reaches "
            f"{reached}, from a generic start an eigenvalue of modulus {shown[1]:.6g}. For a "
            "trace-preserving channel this is any v0 with zero trace as an (n, n) matrix; pass "
            "v0=None or a v0 with nonzero trace"
        )
    (lam_a, rho_a), (lam_b, rho_b) = (_to_density(*p, n, gap_tol, tol, s) for p in pairs)
    spread = np.linalg.norm(rho_a - rho_b) / np.linalg.norm(rho_a)
    if spread > gap_tol or abs(lam_a - lam_b) > gap_tol * abs(lam_a):
        raise NonUniqueFixedPointError(
            "two solves from different start vectors reached different eigenpairs",
            f"eigenvalues {_shown(lam_a, s):.6g} and {_shown(lam_b, s):.6g}, states differing by "
            f"{spread:.2e}",
        )
    return lam_a, rho_a, spread


def fixed_point(
    kraus: Any, *, method: str = "arpack", tol: float = 1e-10, v0: Any = None, ncv: Any = None
) -> tuple[float, np.ndarray]:
    """The spectral radius ``r`` of a channel (an eigenvalue) and its eigenvector as a state.

    The eigenvector, reshaped to ``(n, n)``, is divided by its trace: this removes the arbitrary
    complex factor any eigensolver may attach (phase and scale at once). For a trace-preserving
    channel the eigenvalue is 1 and ``rho`` is the fixed point ``Phi(rho) = rho``.

    Parameters
    ----------
    kraus : (d, n, n) array
        Kraus operators of a completely positive map (trace preserving or not), not all zero.
        Any scale: they are scaled to a largest entry of 1 before solving; the eigenvalue
        returned and those in error messages are of the map as given.
    method : {"arpack", "dense", "power"}, optional
        Any case. ``"arpack"``: :func:`scipy.sparse.linalg.eigs` on :func:`channel_operator`,
        matrix-free, ``O(d n**3)`` per product. ``"dense"``: :func:`scipy.linalg.eig` of
        :func:`superoperator`, ``O(n**6)`` time and ``O(n**4)`` memory, for
        ``n <= DENSE_MAX_N`` (64). ``"power"``: power iteration with the channel, converging
        like ``|lambda_2 / lambda_1| ** k``.
    tol : float, optional
        Relative residual ``|Phi(rho) - lambda rho| / (|lambda| |rho|)`` asked of the iterative
        methods, in ``TOL_RANGE = [1e-12, 1e-8]`` (the lower end a design choice that keeps
        the checks' scale ``sqrt(tol)`` far above rounding error, not a solver limit). Two
        eigenvalues closer than ``sqrt(tol) r`` count as one degenerate eigenvalue.
    v0 : (n**2,) or (n, n) array, optional
        Start vector of the iterative methods (ignored by ``"dense"``). By default a fixed
        seeded vector. ARPACK's own draws (fresh vectors when its Krylov space stops growing)
        are seeded by ``ARPACK_SEED``, so results reproduce exactly, with or without ``v0``.
        Uniqueness is checked by a second solve from another fixed vector.
    ncv : int, optional
        Number of Krylov vectors ARPACK keeps (``method="arpack"`` only; ignored otherwise), from
        3 to ``n**2``. By default SciPy's ``min(n**2, 20)``. A channel whose eigenvalues crowd
        near ``r`` (a small gap) converges in fewer products with more vectors, e.g. 40 or 80,
        at ``O(ncv n**2)`` memory. ARPACK stops after about ``MAX_PRODUCTS`` products.

    Returns
    -------
    eigenvalue : float
        ``r``, the largest modulus of an eigenvalue, which is itself an eigenvalue (real and
        positive for a completely positive map, 1 for a trace-preserving one).
    rho : (n, n) complex array
        Hermitian, trace 1, positive semidefinite: no eigenvalue below ``-PSD_TOL``
        (``1e-6``; see :data:`PSD_TOL` for why).

    Raises
    ------
    FixedPointError
        (a ``ValueError``) The base of the next three, for a channel without a computable fixed
        point.
    NonUniqueFixedPointError
        If the eigenvalue ``r`` is degenerate, e.g. the identity or any unitary channel (detected
        at once) or ``I_2 (x) A`` for a channel ``A``, or if the map is nilpotent. For a
        trace-preserving channel a degenerate ``r`` means several fixed states. Other eigenvalues
        of modulus ``r`` (a periodic channel) are no obstacle: ``r`` is found as the eigenvalue of
        largest real part, which only ``r`` has.
    DefectiveFixedPointError
        If ``r`` is defective (a Jordan block), which only a map that is not trace preserving
        (up to a factor) can have, or too ill-conditioned to tell: ``r`` is not isolated, its
        condition number ``kappa`` (from a second solve of the dual map; ``method="dense"``:
        from ``eig``'s left eigenvectors) times ``DEFECT_MARGIN eps |S|`` reaches its distance
        to the nearest other eigenvalue (from a solve for two eigenvalues, or ``eig``'s
        spectrum). A simple but ill-conditioned ``r`` passes. The fixed state may be unique, but
        no solver finds it to ``tol``. All three methods raise it.
    FixedPointConvergenceError
        (also a ``RuntimeError``) If ARPACK or power iteration did not converge
        within its budget (:data:`MAX_PRODUCTS`); the message gives the products used.
    ValueError, TypeError
        For invalid ``kraus``, ``method``, ``tol``, ``v0`` or ``ncv``; for a ``v0`` from which the
        iteration cannot reach the fixed point; for an eigenvalue beyond float64's range.

    Warns
    -----
    RuntimeWarning
        If the two ARPACK solves differ by more than ``ACCURACY_RATIO * tol`` (a small gap) and
        the re-solve at machine precision fails: ``rho`` is then the first answer, and the
        warning gives its accuracy, about the spread of the two solves. Also if ``r`` is simple
        but ill-conditioned: when the error bound ``tol kappa / sep`` of ``rho`` exceeds
        ``sqrt(tol)``, the eigenvector solved at machine precision is returned instead, and the
        warning fires when its bound ``eps |S| kappa / sep`` (over ``r``) exceeds ``sqrt(tol)``.

    Notes
    -----
    The iterative methods solve twice, from ``v0`` and from a second fixed start vector. For a
    simple leading eigenvalue both runs reach the same ``rho``; in a degenerate eigenspace the
    result depends on the start (every Krylov vector ``p(S) v0`` has the component ``p(r) P v0``
    in the eigenspace, ``P`` the spectral projection onto it, so ARPACK returns about
    ``P v0``), which is how the degeneracy is detected. Before ARPACK's answer is called
    degenerate it is solved again at machine precision: ``tol`` bounds the residual relative to
    ``r``, and a tiny gap (``(1 - eps) I + eps S`` loses about ``log10(1 / eps)`` digits) can
    make a simple ``r`` look degenerate at ``tol``. The same happens when the two solves differ
    by more than ``ACCURACY_RATIO * tol``: the error of ``rho`` is about ``tol / gap``, and the
    two solves differ by about that error, so a small gap shows in their spread. ARPACK is asked for
    the eigenvalue of largest real part (``which="LR"``), ``"dense"`` sorts by real part: an
    eigenvalue ``r exp(i theta)`` of a periodic channel has real part below ``r``. Power
    iteration cannot find a fixed point that attracts nothing: on a periodic channel it stops
    with :class:`FixedPointConvergenceError`.

    BLAS threads are left to the caller. On a machine where a core is busy, more threads can be
    slower: at ``n = 256`` two threads took several times as long as one while another process
    kept one of two cores busy (``benchmarks/bench_channels.py``); pin them with
    ``threadpoolctl.threadpool_limits(1)`` there.

    Examples
    --------
    Amplitude damping drives every state into the ground level ``|0><0|``:

    >>> lam, rho = fixed_point(amplitude_damping_kraus(2, 0.3))
    >>> round(lam, 12), np.round(rho.real, 12) + 0.0
    (1.0, array([[1., 0.],
           [0., 0.]]))
    """
    k = _as_kraus(kraus)
    n = k.shape[1]
    method = _as_method(method)
    tol = as_scalar("tol", tol, low=TOL_RANGE[0], high=TOL_RANGE[1])
    ncv = _as_ncv(ncv, n)
    gap_tol = float(np.sqrt(tol))
    starts = _starts(n, v0)
    if method == "dense" and n > DENSE_MAX_N:
        raise ValueError(
            f"method='dense' is limited to n <= {DENSE_MAX_N} (it forms the {n**2} x {n**2} "
            f"matrix S, {16 * n**4 / 2**30:.1f} GiB, and its eig costs O(n**6)); got n = {n}: "
            "use method='arpack'"
        )
    k, s = _scaled(k)
    _check_single_operator(k, gap_tol, s)
    tp = n == 1 or _trace_preserving_up_to_factor(k)

    # Solve, normalise by the trace, check uniqueness; then, unless the map is trace preserving
    # (up to a factor), check that r is not defective.
    if method == "dense" or n == 1:  # ARPACK needs n**2 >= 3
        lam, rho = _dense_solve(k, gap_tol, tol, tp, s)
        return _unscale(lam, s), rho
    try:
        lam, rho = _iterative_solve(k, method, starts, tol, gap_tol, v0 is not None, ncv=ncv, s=s)
    except (NonUniqueFixedPointError, FixedPointConvergenceError, _BadStart) as err:
        if not tp:
            try:
                _diagnose(k, starts, gap_tol)
            except DefectiveFixedPointError as defect:
                raise defect from err
        raise
    if not tp:
        rho = _dual_check(k, method, rho, lam, starts[1], tol, gap_tol, s)
    return _unscale(lam, s), rho  # end of fixed_point


def _adjoint_of(op: LinearOperator) -> LinearOperator | None:
    """``op.H`` if ``op`` has an adjoint product (``rmatvec``, a matrix, :func:`channel_operator`),
    else ``None`` (a ``LinearOperator`` built from ``matvec`` alone)."""
    try:
        dual = op.H
        dual.matvec(np.zeros(op.shape[0], dtype=np.complex128))
    except (NotImplementedError, TypeError):  # SciPy raises either for a missing rmatvec
        return None
    return dual


def _operator_dual_check(
    op: LinearOperator,
    dual: LinearOperator,
    start: np.ndarray,
    ncv: int | None,
    gap_tol: float,
    rho: np.ndarray | None = None,
    tol: float = 0.0,
) -> np.ndarray | None:
    """:func:`_dual_check` for an operator with adjoint ``dual``: skipped when ``dual`` fixes the
    identity up to a factor (a trace-preserving map, whose ``r`` is never defective). Returns
    ``rho``, sharpened like :func:`_dual_check` does."""
    n = round(np.sqrt(op.shape[0]))
    identity = np.eye(n, dtype=np.complex128).reshape(-1)
    image = np.asarray(dual.matvec(identity)).reshape(-1)
    c = np.vdot(identity, image) / n
    if np.max(np.abs(image - c * identity)) <= TP_TOL * abs(c):
        return rho
    found = _defect_pair(op, dual, start, gap_tol, ncv)
    if found is None:
        if rho is None:
            return rho
        try:  # as in _dual_check: the dual at tol, against the fixed point found
            _, w = _arpack_pair(dual, start, tol, "op", ncv)
        except (_Collapsed, FixedPointConvergenceError):
            return rho
        _raise_if_defective(_condition(rho, w), gap_tol)
        return rho
    level = 0.0  # unused when r is well conditioned (sep = inf): spare the products
    if found[1] is not None and np.isfinite(found[1]):
        level = np.finfo(float).eps * _norm_estimate(op, dual, start) / abs(found[2])
    _raise_if_defective(found[0], gap_tol, found[1], level)
    return rho if rho is None else _sharpened(rho, found, level, tol, gap_tol)


class _ComplexView(LinearOperator):
    """A real ``LinearOperator`` ``base`` extended to complex vectors by linearity:
    ``A x = A(x.real) + 1j A(x.imag)`` (and the same for ``rmatvec``, if ``base`` has one).

    SciPy casts a complex vector to ``base.dtype`` and drops its imaginary part (with a
    ``ComplexWarning``); the solver's starts and probes are complex, so they must not meet a real
    operator unwrapped."""

    def __init__(self, base: LinearOperator) -> None:
        super().__init__(dtype=np.complex128, shape=base.shape)
        self.base = base

    @staticmethod
    def _split(f, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if not np.iscomplexobj(x):
            return np.asarray(f(x))
        return np.asarray(f(np.ascontiguousarray(x.real))) + 1j * np.asarray(
            f(np.ascontiguousarray(x.imag))
        )

    def _matvec(self, x: np.ndarray) -> np.ndarray:
        return self._split(self.base.matvec, x)

    def _rmatvec(self, x: np.ndarray) -> np.ndarray:
        # op.H (SciPy's default adjoint) calls this; NotImplementedError when base has no rmatvec
        return self._split(self.base.rmatvec, x)


def _looks_trace_preserving(op: LinearOperator, x: np.ndarray, lam: float, rtol: float) -> bool:
    """Whether ``tr Phi(X) = lam tr X`` to ``rtol`` for one (random) ``X = reshape(x)``: true for
    every ``X`` when the map is trace preserving up to the factor ``lam``, and for a random ``X``
    false with probability 1 otherwise."""
    n = round(np.sqrt(op.shape[0]))
    y = np.asarray(op.matvec(x)).reshape(n, n)
    scale = lam * np.linalg.norm(x) * np.sqrt(n)
    return bool(abs(np.trace(y) - lam * np.trace(x.reshape(n, n))) <= rtol * scale)


def fixed_point_of_operator(
    op: Any, n: Any, *, tol: float = 1e-10, v0: Any = None, ncv: Any = None
) -> tuple[float, np.ndarray]:
    """:func:`fixed_point` for a positive map given only as an operator on ``vec(rho)``.

    For a map with no Kraus form at hand, e.g. a ``LinearOperator`` built from ``tensordot``.
    ARPACK (``k=1, which="LR"``) solves from two start vectors; each eigenvector is divided by
    its trace and must be Hermitian and positive semidefinite, and the two must agree. The
    checks, tolerances and re-solves at machine precision are those of ``fixed_point(kraus)``,
    which runs the same solver on :func:`channel_operator`. When ``op`` has an adjoint
    (``op.H``: a ``LinearOperator`` with ``rmatvec``, a matrix, or :func:`channel_operator`) and
    the map is not trace preserving, the dual map is solved too, at machine precision, to check
    that ``r`` is not defective, as ``fixed_point`` does.

    Parameters
    ----------
    op : (n**2, n**2) LinearOperator or array
        ``op @ vec(rho) = vec(Phi(rho))``, row-major ``vec(rho) = rho.reshape(-1)``, for a
        positive map ``Phi`` (every completely positive one is): a ``LinearOperator``, a sparse
        matrix or a dense array (validated like ``kraus``). Its leading eigenvalue ``r`` must
        lie between ``1e-12`` and ``1e300``: unlike ``fixed_point``, nothing rescales ``op``.
        An operator of real (or integer) dtype is applied to complex vectors by linearity,
        ``op(x.real) + 1j * op(x.imag)`` (and its ``rmatvec`` likewise), so it needs to accept
        real vectors only; SciPy alone would drop the imaginary part of the complex starts.
    n : int
        The number of levels, at least 2.
    tol : float, optional
        As in :func:`fixed_point`, in ``TOL_RANGE = [1e-12, 1e-8]``.
    v0 : (n**2,) or (n, n) array, optional
        As in :func:`fixed_point`.
    ncv : int, optional
        As in :func:`fixed_point`: ARPACK's number of Krylov vectors, from 3 to ``n**2``.

    Returns
    -------
    eigenvalue : float
        ``r``, the spectral radius (1 for a trace-preserving map).
    rho : (n, n) complex array
        Hermitian, trace 1, no eigenvalue below ``-PSD_TOL``.

    Raises
    ------
    NonUniqueFixedPointError, FixedPointConvergenceError
        As in :func:`fixed_point`. A unitary map, which ``fixed_point`` detects from its Kraus
        operators, shows as one of these two.
    DefectiveFixedPointError
        As in :func:`fixed_point`, when ``op`` has an adjoint. Without one (``matvec`` only),
        a defective ``r`` of a map that is not trace preserving is not diagnosed: it may
        return a fixed point accurate only to about ``sqrt(tol)``; give ``rmatvec``, or use
        :func:`fixed_point` when the Kraus operators are known.

    Warns
    -----
    UncheckedDefectWarning
        When ``op`` has no adjoint and one product with a random matrix ``X`` shows that the
        map is not trace preserving up to a factor: ``tr Phi(X)`` differs from ``r tr X`` by
        more than ``sqrt(tol) r |X|_F sqrt(n)``. The defect check is then skipped.
    TypeError
        If ``op`` is not a ``LinearOperator`` or a numeric array (bool, object and masked arrays
        are refused, as for ``kraus``), or ``n`` is not an integer.
    ValueError
        If ``op`` does not have shape ``(n**2, n**2)``, is empty or not finite, or for invalid
        ``tol``, ``v0`` or ``ncv``.

    Examples
    --------
    >>> lam, rho = fixed_point_of_operator(channel_operator(amplitude_damping_kraus(2, 0.3)), 2)
    >>> round(lam, 12), np.round(rho.real, 12) + 0.0
    (1.0, array([[1., 0.],
           [0., 0.]]))
    """
    n = as_scalar("n", n, integer=True, low=2)
    if scipy.sparse.issparse(op):
        if op.dtype.kind not in "iufc" or not np.isfinite(op.data).all():
            raise TypeError(
                f"op must be a finite integer, real or complex sparse matrix, got dtype {op.dtype}"
            )
    elif not isinstance(op, LinearOperator):
        op = _as_complex_array("op", op)
        if op.ndim != 2:
            raise ValueError(f"op must be a LinearOperator or a 2-d array, got shape {op.shape}")
    op = aslinearoperator(op)
    if op.dtype.kind != "c":  # a real operator, applied to complex vectors by linearity
        op = _ComplexView(op)
    if op.shape != (n * n, n * n):
        raise ValueError(f"op must have shape ({n * n}, {n * n}) for n = {n}, got {op.shape}")
    tol = as_scalar("tol", tol, low=TOL_RANGE[0], high=TOL_RANGE[1])
    ncv = _as_ncv(ncv, n)
    starts = _starts(n, v0)
    gap_tol = float(np.sqrt(tol))
    dual = _adjoint_of(op)
    try:
        try:
            lam, rho = _iterative_solve(
                None, "arpack", starts, tol, gap_tol, v0 is not None, op, ncv
            )
        except (NonUniqueFixedPointError, FixedPointConvergenceError, _BadStart) as err:
            if dual is not None:
                try:
                    _operator_dual_check(op, dual, starts[1], ncv, gap_tol)
                except DefectiveFixedPointError as defect:
                    raise defect from err
            raise
        if dual is not None:
            rho = _operator_dual_check(op, dual, starts[1], ncv, gap_tol, rho, tol)
        elif not _looks_trace_preserving(op, starts[1], lam, gap_tol):
            warnings.warn(
                "op: no adjoint (rmatvec) and the map is not trace preserving, so a defective "
                "eigenvalue r cannot be detected and rho may be accurate only to about "
                "sqrt(tol); pass rmatvec= (the dual map) or use fixed_point with Kraus operators",
                UncheckedDefectWarning,
                stacklevel=2,
            )
    except FixedPointError as err:  # the messages name kraus: here the argument is op
        err.args = (str(err).replace("kraus: ", "op: ", 1),)
        raise
    return lam, rho
