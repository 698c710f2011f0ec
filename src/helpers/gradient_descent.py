"""Batch gradient descent for linear least squares, ported from Octave with explicit shapes.

The cost of a linear model with design matrix ``X`` (m examples, n features), targets ``y`` and
parameters ``theta`` is

.. math:: J(\\theta) = \\frac{1}{2m} \\lVert X\\theta - y \\rVert^2,

its gradient is :math:`X^T (X\\theta - y) / m`, and gradient descent with a constant step
:math:`\\alpha` converges exactly when :math:`0 < \\alpha < 2 / \\lambda_{max}(X^T X / m)`.

Shape rules shared by every function here: ``X`` is ``(m, n)``; ``y`` may be ``(m,)`` or
``(m, 1)`` and ``theta`` may be ``(n,)`` or ``(n, 1)``; all four combinations give the same
numbers, because the inputs are flattened to vectors after validation, so a column ``y`` can never
broadcast ``X @ theta - y`` to ``(m, m)``. Results that are parameter vectors come back in the
shape of the ``theta`` (or ``y``) that was given. Inputs are never modified.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from helpers._validation import as_choice, as_real_array, as_rng, as_scalar

__all__ = [
    "ConvergenceError",
    "FeatureScaling",
    "bench_problem",
    "compute_cost",
    "contraction_factor",
    "cost_gradient",
    "gradient_descent",
    "gradient_descent_path",
    "gradient_descent_until",
    "hessian_eigenvalues",
    "iteration_bound",
    "iterations_to_converge",
    "least_squares",
    "max_stable_step",
    "standardize_features",
]


class ConvergenceError(RuntimeError):
    """Gradient descent ran but failed numerically: its cost overflowed, or it did not stop.

    Raised only after steps were taken; invalid input still gives ``ValueError`` or
    ``TypeError`` before any step.

    Attributes
    ----------
    theta : (n,) ndarray
        The last iterate, float64 (after the step whose cost overflowed, or after the last step).
    k : int
        The number of steps taken.
    """

    def __init__(self, message: str, theta: np.ndarray, k: int) -> None:
        super().__init__(message)
        self.theta = np.array(theta, dtype=np.float64).ravel()
        self.k = int(k)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _design(X: Any) -> np.ndarray:
    """Validate the design matrix: a finite real (m, n) array."""
    arr = as_real_array("X", X)
    if arr.ndim != 2:
        raise ValueError(
            f"X must be 2-D with shape (m, n) (one row per example), got shape {arr.shape}"
        )
    return arr


def _vector(name: str, value: Any, length: int, context: str) -> tuple[np.ndarray, tuple]:
    """Validate a (length,) or (length, 1) vector; return it as (length,) and its given shape."""
    arr = as_real_array(name, value)
    if arr.shape not in ((length,), (length, 1)):
        raise ValueError(
            f"{name} must have shape ({length},) or ({length}, 1) {context}, "
            f"got {name} of shape {arr.shape}"
        )
    return arr.reshape(length), arr.shape


def _data(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Validate X and y; return X (m, n), y (m,) and the shape y was given in."""
    Xa = _design(X)
    m = Xa.shape[0]
    ya, y_shape = _vector("y", y, m, f"to match the m={m} rows of X of shape {Xa.shape}")
    return Xa, ya, y_shape


def _problem(X: Any, y: Any, theta: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple]:
    """Validate X, y and theta; return X (m, n), y (m,), theta (n,) and theta's shape."""
    Xa, ya, _ = _data(X, y)
    n = Xa.shape[1]
    ta, theta_shape = _vector(
        "theta", theta, n, f"to match the n={n} columns of X of shape {Xa.shape}"
    )
    return Xa, ya, ta, theta_shape


def _too_large(what: str) -> ValueError:
    return ValueError(
        f"X, y and theta are too large for float64: {what} overflows (it must stay below "
        f"{np.finfo(np.float64).max:.3g}); rescale the data, e.g. with standardize_features"
    )


def _half_mean_square(r: np.ndarray) -> float:
    """``r @ r / (2 m)``; rescaled when the sum of squares alone overflows."""
    with np.errstate(over="ignore", invalid="ignore"):
        cost = float(r @ r) / (2 * r.size)
        if math.isfinite(cost) or not np.isfinite(r).all():
            return cost
        scale = float(np.max(np.abs(r)))
        q = r / scale
        return scale * (scale * (float(q @ q) / (2 * r.size)))


def _residual(Xa: np.ndarray, ya: np.ndarray, ta: np.ndarray) -> np.ndarray:
    """``X theta - y``, or a ValueError when it overflows float64."""
    with np.errstate(over="ignore", invalid="ignore"):
        r = Xa @ ta - ya
    if not np.isfinite(r).all():
        raise _too_large("X @ theta - y")
    return r


# --------------------------------------------------------------------------------------------
# The model: cost, gradient, closed form
# --------------------------------------------------------------------------------------------


def compute_cost(X: Any, y: Any, theta: Any) -> float:
    """The least-squares cost ``J = ||X theta - y||^2 / (2m)``.

    Parameters
    ----------
    X : (m, n) array_like
        Design matrix, one row per example (include a column of ones for an intercept).
    y : (m,) or (m, 1) array_like
        Targets.
    theta : (n,) or (n, 1) array_like
        Parameters.

    Returns
    -------
    float
        The cost, a Python float.

    Raises
    ------
    ValueError
        If a shape does not match (the message names both shapes), an input is empty or
        contains NaN or inf, or the residual or the cost exceeds float64's range.
    TypeError
        If an input is not a real numeric array.

    Examples
    --------
    >>> compute_cost([[1, 5], [1, 2], [1, 4], [1, 5]], [1, 6, 4, 2], [0, 0])
    7.125
    """
    Xa, ya, ta, _ = _problem(X, y, theta)
    cost = _half_mean_square(_residual(Xa, ya, ta))  # (m,) residual
    if not math.isfinite(cost):
        raise _too_large("the cost ||X theta - y||^2 / (2m)")
    return cost


def cost_gradient(X: Any, y: Any, theta: Any) -> np.ndarray:
    """The gradient ``X^T (X theta - y) / m`` of :func:`compute_cost` with respect to ``theta``.

    Parameters
    ----------
    X : (m, n) array_like
        Design matrix.
    y : (m,) or (m, 1) array_like
        Targets.
    theta : (n,) or (n, 1) array_like
        Parameters.

    Returns
    -------
    (n,) or (n, 1) ndarray
        The gradient, float64, in the shape of ``theta``.

    Raises
    ------
    ValueError, TypeError
        As for :func:`compute_cost`.
    """
    Xa, ya, ta, theta_shape = _problem(X, y, theta)
    r = _residual(Xa, ya, ta)  # (m,)
    with np.errstate(over="ignore", invalid="ignore"):
        grad = Xa.T @ (r / Xa.shape[0])  # (n, m) @ (m,) -> (n,)
    if not np.isfinite(grad).all():
        raise _too_large("the gradient X^T (X theta - y) / m")
    return grad.reshape(theta_shape)


def least_squares(X: Any, y: Any) -> np.ndarray:
    """The minimiser of :func:`compute_cost`, by ``np.linalg.lstsq`` (SVD-based).

    When ``X`` has rank below ``n`` the minimiser is not unique and this is the one of smallest
    norm, which is also the limit of gradient descent started from ``theta = 0``.

    Parameters
    ----------
    X : (m, n) array_like
        Design matrix.
    y : (m,) or (m, 1) array_like
        Targets.

    Returns
    -------
    (n,) or (n, 1) ndarray
        The least-squares parameters: ``(n,)`` when ``y`` is ``(m,)``, ``(n, 1)`` when ``y`` is
        ``(m, 1)``.

    Raises
    ------
    ValueError, TypeError
        As for :func:`compute_cost`; also when the parameters would exceed float64's range.
    """
    Xa, ya, y_shape = _data(X, y)
    with np.errstate(over="ignore", invalid="ignore"):
        theta, *_ = np.linalg.lstsq(Xa, ya, rcond=None)
    if not np.isfinite(theta).all():
        raise ValueError(
            f"the least-squares parameters for X of shape {Xa.shape} and y exceed float64's range "
            f"({np.finfo(np.float64).max:.3g}): y is too large for the scale of X; rescale them"
        )
    return theta.reshape((-1, *y_shape[1:]))


# --------------------------------------------------------------------------------------------
# Gradient descent
# --------------------------------------------------------------------------------------------


def _descend(
    Xa: np.ndarray,
    ya: np.ndarray,
    ta: np.ndarray,
    alpha: float,
    num_iters: int,
    path: np.ndarray | None = None,
    warn: bool = True,
    g_limit: float = math.inf,
    cost_tol: float | None = None,
    J_before: float | None = None,
    done: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``num_iters`` steps of ``theta <- theta - alpha/m X^T (X theta - y)`` from ``ta``.

    The one place the update is written. Each step is two matrix-vector products: the residual
    that gives a step's cost is also the next step's gradient. Returns the last ``theta`` (a new
    array, never ``ta`` itself) and the cost after every step taken; row ``k`` of ``path``, if
    given, receives ``theta`` after step ``k + 1``. With ``warn``, every run with
    ``alpha >= max_stable_step`` gives a ``RuntimeWarning`` before its first step.

    The stopping rules of :func:`gradient_descent_until` end the run early: before the first
    step ``k`` with ``||X^T r_k|| <= g_limit``, or, with ``cost_tol``, after the first step with
    ``J_{k-1} - J_k <= cost_tol J_k`` (``J_before``, if given, is the cost before the first
    step). The history returned then has one entry per step taken. ``done`` counts the steps
    taken before this call, for the messages.
    """
    m = Xa.shape[0]
    scale = alpha / m
    J_history = np.empty(num_iters, dtype=np.float64)
    ta = ta.copy()
    r = _residual(Xa, ya, ta)  # X theta - y, (m,); a ValueError if it overflows float64
    J_start = _half_mean_square(r)  # |r|^2 / (2m), rescaled so as not to overflow
    if not math.isfinite(J_start):
        raise _too_large("the cost at the starting theta")  # ValueError: the supported range
    if J_before is None:
        J_before = J_start
    if warn:  # decided before the first step, from X and alpha alone
        bound = _unstable_step_bound(Xa, alpha)  # None: alpha is accepted below the bound
        if bound is not None:
            _warn_step(alpha, bound, "", stacklevel=4)
    taken = num_iters
    two_m = 2 * m
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(num_iters):
            g = Xa.T @ r  # m times the gradient at theta_k, (n,)
            if g_limit < math.inf and _row_norms(g) <= g_limit:
                taken = k  # the gradient rule holds at theta_k: no step k + 1
                break
            ta = ta - scale * g  # (n,)
            r = Xa @ ta - ya  # this step's cost and the next step's gradient
            cost = float(r @ r) / two_m
            if not math.isfinite(cost):  # rare: rescale the sum of squares, or give up
                cost = _half_mean_square(r)
                if not math.isfinite(cost):
                    raise _diverged(done + k + 1, alpha, Xa, ta)  # ConvergenceError (or range)
            J_history[k] = cost
            if path is not None:
                path[k] = ta
            if cost_tol is not None:
                if J_before - cost <= cost_tol * cost:
                    taken = k + 1
                    break
                J_before = cost
    if taken < num_iters:
        J_history = J_history[:taken].copy()
    return ta, J_history


_GRAM_MAX_N = 64  # up to this many columns the step check always forms X^T X
_LANCZOS_COST = 420  # Lanczos ~ 420 m n vs X^T X + eigvalsh ~ m n^2 + 2 n^3 (1 thread, measured)
_LANCZOS_TOL = 1e-2  # eigsh's relative tolerance for the estimate of lambda_max
_LANCZOS_MARGIN = 1.05  # observed estimate errors stay below 0.5 %: a tenfold safety margin


def _lanczos_is_cheaper(m: int, n: int) -> bool:
    """Whether a Lanczos estimate of ``lambda_max`` costs less than ``X^T X`` and ``eigvalsh``.

    The estimate takes about 21 products ``X^T (X v)``: ``2 m n`` each, memory-bound (about ten
    times slower per multiplication than the matrix product ``X^T X``). Forming ``X^T X`` is
    ``m n^2`` and ``eigvalsh`` about ``2 n^3`` in the same units. So Lanczos pays only for wide
    problems: ``n (1 + 2 n / m) > 420``, e.g. ``n > 420`` for tall ``X``, ``n > 140`` for square.
    """
    return n > _GRAM_MAX_N and n * (m + 2 * n) > _LANCZOS_COST * m


def _lanczos_top_eigenvalue(Xn: np.ndarray) -> float:
    """An estimate of ``lambda_max(Xn^T Xn / m)`` from below (``eigsh``, ``k=1``); ``inf`` when
    ARPACK does not converge."""
    from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh

    m, n = Xn.shape
    A = LinearOperator((n, n), matvec=lambda v: Xn.T @ (Xn @ v.ravel()) / m, dtype=float)
    v0 = np.random.default_rng(0).standard_normal(n)  # fixed: the same estimate every call
    try:
        return float(
            eigsh(A, k=1, which="LA", tol=_LANCZOS_TOL, v0=v0, return_eigenvectors=False)[0]
        )
    except ArpackNoConvergence:
        return math.inf  # no proof: the caller computes the bound


def _cheap_lower_bound(Xn: np.ndarray) -> float:
    """A lower bound on ``lambda_max(Xn^T Xn / m)`` in ``O(mn)``: the largest diagonal entry,
    or the Rayleigh quotient after one power step from the all-ones vector, which finds
    ``lambda_max`` when correlated features (or an intercept) make the column sums dominant."""
    m, n = Xn.shape
    diag_max = float(np.max(np.einsum("ij,ij->j", Xn, Xn))) / m  # max_j A_jj
    v = Xn.T @ (Xn @ np.ones(n))  # A 1, up to the factor m
    v_max = float(np.max(np.abs(v)))
    if not math.isfinite(v_max) or v_max == 0:
        return diag_max
    v = v / v_max  # entries in [-1, 1]: w @ w cannot overflow
    w = Xn @ v
    return max(diag_max, float(w @ w) / (m * float(v @ v)))


def _unstable_step_bound(Xa: np.ndarray, alpha: float) -> float | None:
    """``max_stable_step(X)`` when ``alpha`` is at or above it, ``None`` when accepted below it.

    The trace and Gram routes prove their answer; the Lanczos route accepts ``alpha`` with a 5 %
    margin on an estimate, a heuristic that has held on every spectrum tried, not a proof.
    Pays only what the decision needs. The eigenvalues of ``A = X^T X / m`` are non-negative and
    sum to ``tr A = ||X||_F^2 / m``, so ``alpha < 2 / tr A`` proves stability after one pass over
    ``X`` (``O(mn)``, like half a step). Otherwise the bound comes from the Gram matrix
    (``X^T X`` and ``eigvalsh``: ``O(m n^2 + n^3)``), unless ``X`` has so many columns that a
    Lanczos estimate of ``lambda_max`` is cheaper (:func:`_lanczos_is_cheaper`) and can decide.
    The estimate never exceeds ``lambda_max`` and has stayed within 0.5 % of it on every
    spectrum tried, so ``alpha < 2 / (1.05 * estimate)`` is accepted as stable. A cheap lower
    bound on ``lambda_max`` (:func:`_cheap_lower_bound`) comes first: when ``alpha`` is not below
    ``2 / (1.05 * bound)`` the estimate cannot accept it, and Lanczos is skipped. A step
    less than 5 % below the estimated bound, any step above it, or a failed Lanczos run forms
    ``X^T X``.
    """
    m, n = Xa.shape
    _, e = np.frexp(np.max(np.abs(Xa)))
    exponent = int(e) if abs(int(e)) > 400 else 0
    Xn = np.ldexp(Xa, -exponent) if exponent else Xa
    # alpha below a bound b = ldexp(2 / lam_n, -2 exponent), tested without overflowing b
    with np.errstate(over="ignore", under="ignore"):
        scaled_alpha = float(np.ldexp(alpha, 2 * exponent))
    trace_n = float(np.vdot(Xn, Xn)) / m  # tr A (scaled): lambda_max <= tr A
    if trace_n == 0 or scaled_alpha * trace_n < 2:
        return None
    if _lanczos_is_cheaper(m, n):
        lower = _cheap_lower_bound(Xn)  # <= lambda_max, from four passes over X
        if scaled_alpha * (_LANCZOS_MARGIN * lower) < 2:  # else the estimate cannot accept
            estimate = max(_lanczos_top_eigenvalue(Xn), lower)
            if scaled_alpha * (_LANCZOS_MARGIN * estimate) < 2:
                return None
    bound = _stable_step_from_gram(Xn, exponent)
    return bound if alpha >= bound else None


def _stable_step_from_gram(Xn: np.ndarray, exponent: int) -> float:
    """``2 / lambda_max(X^T X / m)`` with ``X = Xn * 2**exponent``, from the (n, n) matrix
    ``Xn^T Xn``: ``O(m n^2)``, no SVD.

    The top eigenvalue is as accurate this way as from the singular values (to a few units of
    rounding), at the cost of about two gradient steps for n = 10.
    """
    m = Xn.shape[0]
    lam_top = float(np.linalg.eigvalsh(Xn.T @ Xn / m)[-1])
    if lam_top <= 0:
        return math.inf
    with np.errstate(over="ignore"):
        return float(np.ldexp(2.0 / lam_top, -2 * exponent))


def _as_check_step(check_step: Any) -> bool:
    if not isinstance(check_step, bool | np.bool_):
        raise TypeError(f"check_step must be True or False, got {type(check_step).__name__}")
    return bool(check_step)


def _warn_step(alpha: float, bound: float, how: str, stacklevel: int) -> None:
    """The ``RuntimeWarning`` for ``alpha >= bound = max_stable_step(X)``."""
    warnings.warn(
        f"alpha={alpha:.6g} is too large: gradient descent does not converge (the error "
        f"along the top eigenvector of X^T X does not shrink{how}); it converges only for "
        f"alpha < max_stable_step(X) = {bound:.6g}",
        RuntimeWarning,
        stacklevel=stacklevel,
    )


def _diverged(iteration: int, alpha: float, Xa: np.ndarray, ta: np.ndarray) -> Exception:
    bound = max_stable_step(Xa)
    if alpha < bound or bound == 0:  # converging but out of range, or no usable step at all
        return _too_large(f"the cost at iteration {iteration}")
    return ConvergenceError(
        f"alpha={alpha!r} is too large: gradient descent diverged (the cost overflowed at "
        f"iteration {iteration}); it converges only for alpha < max_stable_step(X) = {bound:.6g}",
        ta,
        iteration,
    )


def gradient_descent(
    X: Any, y: Any, theta: Any, alpha: float, num_iters: int, *, check_step: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Batch gradient descent with the semantics of the Octave ``gradientDescent``.

    Each of the ``num_iters`` iterations does ``theta <- theta - alpha * X^T (X theta - y) / m``
    and then records the cost at the new ``theta``.

    Parameters
    ----------
    X : (m, n) array_like
        Design matrix.
    y : (m,) or (m, 1) array_like
        Targets.
    theta : (n,) or (n, 1) array_like
        Starting parameters (integers are fine: the work is done in float64). Not modified.
    alpha : real number
        Step size (learning rate), ``> 0``. The iteration converges for
        ``alpha < max_stable_step(X)`` and diverges above it.
    num_iters : int
        Number of iterations, ``>= 0``.
    check_step : bool, optional
        Check ``alpha`` against :func:`max_stable_step` before the first step and warn when it
        is too large (default). ``False`` skips the check and its cost (see Warns); the results
        are the same.

    Returns
    -------
    theta : (n,) or (n, 1) ndarray
        The parameters after ``num_iters`` steps, a new float64 array in the shape ``theta`` was
        given (also when ``num_iters`` is 0).
    J_history : (num_iters,) ndarray
        float64; ``J_history[k]`` is the cost after step ``k + 1`` (Octave's ``J_history(k+1)``).

    Raises
    ------
    ValueError
        On inconsistent shapes (naming both shapes), empty or non-finite inputs, ``alpha <= 0``
        or ``num_iters < 0`` (all before the first step), or data so large that a converging
        run's cost overflows (the message gives the supported range).
    TypeError
        On non-numeric arrays, a non-real ``alpha``, a non-integer ``num_iters`` or a
        ``check_step`` that is not a bool.
    ConvergenceError
        When ``alpha`` is so far above :func:`max_stable_step` that the cost overflows (the
        message gives the bound and the iteration; ``.theta`` and ``.k`` give the last iterate
        and the steps taken).

    Warns
    -----
    RuntimeWarning
        With ``check_step``, when ``alpha >= max_stable_step(X)``: ``theta`` will be no minimiser,
        even if the cost has not risen yet (the message gives ``alpha`` and the bound). The check
        depends only on ``X`` and ``alpha``, so it runs before the first step: the warning comes
        also when the run then overflows. The check costs one pass over ``X`` (``O(mn)``) when
        ``alpha < 2 / tr(X^T X / m)``, which proves stability; otherwise it forms the ``(n, n)``
        matrix ``X^T X / m`` and its top eigenvalue (``O(m n^2 + n^3)``). Only for many columns (``n
        (1 + 2n/m) > 420``, about 420 or more for tall ``X``, where that costs more) does it first
        estimate the top eigenvalue from about 21 products ``X^T (X v)``, forming ``X^T X`` only
        when ``alpha`` lies within 5 % below the estimated bound or above it. That route is a
        heuristic, not a proof: the estimate has stayed within 0.5 % of the top eigenvalue on every
        spectrum tried, and a worse one could miss a step just above the bound. Within a few
        rounding units of the bound either outcome is possible. At ``alpha* = 2 / (lambda_1 +
        lambda_n)`` with ``n >= 2`` (where ``alpha* >= 2 / tr(X^T X / m)``) the trace test cannot
        accept (for ``n = 2`` only rounding can), so with modest ``n`` each call forms ``X^T X``:
        the default check then costs about one direct solve of the normal equations. Pass
        ``check_step=False`` once ``alpha`` is known to be safe.

    Examples
    --------
    >>> theta, J = gradient_descent([[1, 5], [1, 2], [1, 4], [1, 5]], [1, 6, 4, 2],
    ...                             [0, 0], 0.01, 1000)
    >>> np.round(theta, 4), J.shape, J.dtype
    (array([ 5.2148, -0.5733]), (1000,), dtype('float64'))
    """
    Xa, ya, ta, theta_shape = _problem(X, y, theta)
    alpha = as_scalar("alpha", alpha, low=0, low_open=True)
    num_iters = as_scalar("num_iters", num_iters, integer=True, low=0)
    warn = _as_check_step(check_step)
    ta, J_history = _descend(Xa, ya, ta, alpha, num_iters, warn=warn)
    return ta.reshape(theta_shape), J_history


def gradient_descent_path(
    X: Any, y: Any, theta: Any, alpha: float, num_iters: int, *, check_step: bool = True
) -> np.ndarray:
    """Every iterate of :func:`gradient_descent`, the starting point included.

    Parameters
    ----------
    X : (m, n) array_like
        Design matrix.
    y : (m,) or (m, 1) array_like
        Targets.
    theta : (n,) or (n, 1) array_like
        Starting parameters.
    alpha : real number
        Step size, ``> 0``.
    num_iters : int
        Number of iterations, ``>= 0``.
    check_step : bool, optional
        As for :func:`gradient_descent`.

    Returns
    -------
    (num_iters + 1, n) ndarray
        Row ``k`` is ``theta`` after ``k`` steps (row 0 is the start), float64.

    Raises
    ------
    ValueError, TypeError, ConvergenceError
        As for :func:`gradient_descent`.

    Warns
    -----
    RuntimeWarning
        As for :func:`gradient_descent`.
    """
    Xa, ya, ta, _ = _problem(X, y, theta)
    alpha = as_scalar("alpha", alpha, low=0, low_open=True)
    num_iters = as_scalar("num_iters", num_iters, integer=True, low=0)
    warn = _as_check_step(check_step)
    path = np.empty((num_iters + 1, Xa.shape[1]))
    path[0] = ta
    _descend(Xa, ya, ta, alpha, num_iters, path=path[1:], warn=warn)
    return path


STOPPING_RULES = ("gradient", "cost")


def _as_rule(rule: Any) -> str:
    return as_choice("rule", rule, STOPPING_RULES)


def gradient_descent_until(
    X: Any,
    y: Any,
    theta: Any,
    alpha: float,
    *,
    rule: str = "gradient",
    tol: float = 1e-6,
    atol: float = 0.0,
    max_iters: int = 100_000,
    check_step: bool = True,
) -> tuple[np.ndarray, int]:
    """Gradient descent that stops by a rule that needs neither ``theta*`` nor eigenvalues.

    The steps are those of :func:`gradient_descent`. With ``g_k = X^T (X theta_k - y) / m`` the
    gradient and ``J_k`` the cost after ``k`` steps, the rules are

    - ``"gradient"``: stop at the first ``k`` with ``||g_k|| <= max(tol * ||g_0||, atol)``
      (``k = 0`` when ``g_0 = 0``). Then ``||theta_k - theta*|| <= kappa * tol *
      ||theta_0 - theta*||`` for ``X`` of full column rank, with ``kappa`` the condition number
      of ``X^T X / m``, as long as the relative part decides. The relative part alone fails on a
      warm start: from a ``theta_0`` near ``theta*``, ``tol * ||g_0||`` can lie below the
      rounding floor of the gradient, which is never reached; ``atol`` (in the units of the
      gradient of the cost) is the floor that stops such a run. A step ``alpha * g_j`` shorter
      than half of ``ulp(theta_j)`` cannot move ``theta_j``, so ``||g_k||`` stalls near
      ``ulp(max|theta|) / (2 alpha)``; ten times that, ``10 * np.spacing(max|theta|) / (2 *
      alpha)``, is a safe ``atol``, and the error raised when the run does not stop gives it.
    - ``"cost"``: stop after the first step ``k >= 1`` that lowers the cost by at most ``tol``
      times the new cost, ``J_{k-1} - J_k <= tol * J_k``. It can stop far from ``theta*`` when
      the steps are small, and only through rounding when the model fits exactly.

    Parameters
    ----------
    X : (m, n) array_like
        Design matrix.
    y : (m,) or (m, 1) array_like
        Targets.
    theta : (n,) or (n, 1) array_like
        Starting parameters. Not modified.
    alpha : real number
        Step size, ``> 0``.
    rule : {"gradient", "cost"}, optional
        The stopping rule (any case).
    tol : real number, optional
        The rule's relative tolerance, in ``(0, 1)``.
    atol : real number, optional
        The gradient rule's absolute tolerance on ``||g_k||``, ``>= 0`` (0: relative only).
        Ignored by the cost rule.
    max_iters : int, optional
        Give up after this many steps, ``>= 1``.
    check_step : bool, optional
        Check ``alpha`` against :func:`max_stable_step` before the first step, and warn when it
        is too large (default); ``False`` skips the check and its cost. A run that does not stop
        is checked either way, for its error message.

    Returns
    -------
    theta : (n,) or (n, 1) ndarray
        The parameters where the rule stopped, a new float64 array in the shape ``theta`` was
        given.
    steps : int
        The number of steps taken, ``0 <= steps <= max_iters``.

    Raises
    ------
    ValueError
        On invalid inputs (as for :func:`gradient_descent`), ``tol`` outside ``(0, 1)`` or an
        unknown ``rule``.
    TypeError
        As for :func:`gradient_descent`; also a ``rule`` that is not a string.
    ConvergenceError
        No stop within ``max_iters`` steps, or a step size at or above :func:`max_stable_step`
        that makes the cost rise or overflow (the messages give the bound; ``.theta`` and ``.k``
        the last iterate and the steps taken). A run that does not stop with ``alpha >=
        max_stable_step(X)`` is reported as a step that is too large, not as too few steps.

    Warns
    -----
    RuntimeWarning
        With ``check_step``, before the first step, when ``alpha >= max_stable_step(X)`` (a start
        that meets the gradient rule takes no step and gives no warning): the error along the top
        eigenvector of ``X^T X`` does not shrink, so a rule that stops has not found a
        minimiser. The check is that of :func:`gradient_descent` (one pass over ``X`` when
        ``alpha < 2 / tr(X^T X / m)``).

    Examples
    --------
    >>> theta, steps = gradient_descent_until([[1, 5], [1, 2], [1, 4], [1, 5]], [1, 6, 4, 2],
    ...                                       [0, 0], 0.01, tol=1e-6)
    >>> np.round(theta, 3), steps
    (array([ 9.25, -1.5 ]), 13655)
    """
    Xa, ya, ta, theta_shape = _problem(X, y, theta)
    alpha = as_scalar("alpha", alpha, low=0, low_open=True)
    rule = _as_rule(rule)
    tol = as_scalar("tol", tol, low=0, high=1, low_open=True, high_open=True)
    atol = as_scalar("atol", atol, low=0)
    max_iters = as_scalar("max_iters", max_iters, integer=True, low=1)
    check_step = _as_check_step(check_step)
    r = _residual(Xa, ya, ta)  # (m,)
    J_before = compute_cost(Xa, ya, ta)
    with np.errstate(over="ignore", invalid="ignore"):
        g0 = Xa.T @ r  # m times the gradient at the start, (n,)
    if not np.isfinite(g0).all():
        raise _too_large("the gradient at the starting theta")
    g_limit = math.inf
    if rule == "gradient":  # _descend tests m times the gradient: scale the floor the same way
        g_limit = max(tol * float(_row_norms(g0)), atol * Xa.shape[0])
    cost_tol = tol if rule == "cost" else None
    passes = max_iters  # the gradient rule at theta_{max_iters} is tested after the loop
    # the step is checked before the first step; a start that meets the rule takes none
    bound = None  # None: alpha is accepted below max_stable_step, or not checked
    starts_done = rule == "gradient" and _row_norms(g0) <= g_limit
    if check_step and not starts_done:
        bound = _unstable_step_bound(Xa, alpha)
        if bound is not None:
            _warn_step(
                alpha, bound, f", so where the {rule} rule stops is no minimiser", stacklevel=3
            )
    steps, ta_end, stopped = 0, ta, False
    while steps < passes and not stopped:  # in chunks, so that memory stays bounded
        chunk = min(_UNTIL_CHUNK, passes - steps)
        ta_end, J = _descend(
            Xa,
            ya,
            ta_end,
            alpha,
            chunk,
            warn=False,
            g_limit=g_limit,
            cost_tol=cost_tol,
            J_before=J_before,
            done=steps,
        )
        steps += J.size
        if rule == "gradient":
            stopped = J.size < chunk
        else:
            J_prev = J[-2] if J.size > 1 else J_before
            stopped = J_prev - J[-1] <= tol * J[-1]
            if stopped and J[-1] > J_prev and alpha >= max_stable_step(Xa):
                raise ConvergenceError(
                    f"alpha={alpha!r} is too large: the cost rose at step {steps} (from "
                    f"{J_prev:.6g} to {J[-1]:.6g}), which the cost rule would take for "
                    f"convergence; gradient descent converges only for alpha < "
                    f"max_stable_step(X) = {max_stable_step(Xa):.6g}",
                    ta_end,
                    steps,
                )
            J_before = float(J[-1])
    if (
        not stopped and rule == "gradient"
    ):  # the rule is tested before each step: and after the last
        stopped = _row_norms(Xa.T @ _residual(Xa, ya, ta_end)) <= g_limit
    if not stopped and not check_step:
        bound = _unstable_step_bound(Xa, alpha)
    if not stopped:
        if rule == "gradient":
            reached = _row_norms(Xa.T @ _residual(Xa, ya, ta_end)) / _row_norms(g0)
            moved = "grew to {:.3g} times" if reached > 1 else "shrank only to {:.3g} of"
            what = f"the gradient {moved.format(reached)} its start"
        else:
            reached = (J_prev - J[-1]) / J[-1]
            what = f"the last step lowered the cost by {reached:.3g} of it"
        if bound is not None:  # the step, not the start or the tolerance, is at fault
            raise ConvergenceError(
                f"alpha={alpha!r} is too large: after max_iters={max_iters} steps {what} (wanted "
                f"tol={tol:g}); gradient descent converges only for alpha < max_stable_step(X) "
                f"= {bound:.6g}",
                ta_end,
                steps,
            )
        hint = ""
        if rule == "gradient":  # theta's float64 grid: a step alpha |g_j| < ulp(theta_j) / 2 stalls
            floor = 10 * float(np.spacing(np.max(np.abs(ta_end)))) / (2 * alpha)
            hint = (
                f"; a start near theta* may need the absolute floor atol, about "
                f"10 * ulp(max|theta|) / (2 alpha) = {floor:.2g}"
            )
        raise ConvergenceError(
            f"max_iters={max_iters} steps are not enough for the {rule} rule: {what} (wanted "
            f"tol={tol:g}) with alpha={alpha!r}; max_stable_step(X) = {max_stable_step(Xa):.6g}"
            + hint,
            ta_end,
            steps,
        )
    return ta_end.reshape(theta_shape), steps


# --------------------------------------------------------------------------------------------
# Why it converges (or not): the spectrum of X^T X / m
# --------------------------------------------------------------------------------------------


def _spectrum(Xa: np.ndarray) -> tuple[np.ndarray, int]:
    """Eigenvalues of ``X^T X / m`` as ``(lam_n, e)`` with ``lam = lam_n * 4**e``, ascending.

    ``X`` is divided by ``2**e`` first when its entries are so large or small that squaring the
    singular values would overflow or underflow; otherwise ``e = 0``.
    """
    m, n = Xa.shape
    _, e = np.frexp(np.max(np.abs(Xa)))
    exponent = int(e) if abs(int(e)) > 400 else 0
    sigma = np.linalg.svd(np.ldexp(Xa, -exponent), compute_uv=False)  # descending
    lam_n = np.zeros(n)
    lam_n[n - sigma.size :] = sigma[::-1] ** 2 / m
    return lam_n, exponent


def hessian_eigenvalues(X: Any) -> np.ndarray:
    """The eigenvalues of ``A = X^T X / m``, the Hessian of :func:`compute_cost`, ascending.

    Computed from the singular values of ``X`` (``lambda_i = sigma_i^2 / m``), which is more
    accurate for the small ones than forming ``X^T X``.

    Parameters
    ----------
    X : (m, n) array_like
        Design matrix.

    Returns
    -------
    (n,) ndarray
        ``0 <= lambda_1 <= ... <= lambda_n``; zeros are padded in when ``m < n``.

    Raises
    ------
    ValueError
        If ``X`` is not a finite, non-empty, real 2-D array, or the eigenvalues exceed float64's
        range.
    TypeError
        If ``X`` is not real numeric.
    """
    lam_n, exponent = _spectrum(_design(X))
    with np.errstate(over="ignore"):
        lam = np.ldexp(lam_n, 2 * exponent)
    if not np.isfinite(lam).all():
        raise ValueError(
            f"X is too large: the eigenvalues of X^T X / m exceed float64's range "
            f"({np.finfo(np.float64).max:.3g}); rescale X (e.g. standardize_features)"
        )
    return lam


def max_stable_step(X: Any) -> float:
    """The largest step for which gradient descent converges: ``2 / lambda_max(X^T X / m)``.

    Gradient descent on :func:`compute_cost` converges from every start exactly when
    ``0 < alpha < max_stable_step(X)``; at and above it the component along the top eigenvector
    no longer shrinks.

    Parameters
    ----------
    X : (m, n) array_like
        Design matrix.

    Returns
    -------
    float
        The bound; ``inf`` when ``X`` is all zeros (then no step moves ``theta`` at all) or the
        bound exceeds float64's range; ``0.0`` when it is below float64's smallest number.

    Raises
    ------
    ValueError, TypeError
        If ``X`` is not a finite, non-empty, real 2-D array.

    Examples
    --------
    >>> round(max_stable_step([[1, 5], [1, 2], [1, 4], [1, 5]]), 6)
    0.108586
    """
    lam_n, exponent = _spectrum(_design(X))
    if lam_n[-1] == 0:
        return math.inf
    with np.errstate(over="ignore"):  # beyond float64's range it is inf: every step is stable
        return float(np.ldexp(2.0 / lam_n[-1], -2 * exponent))


def contraction_factor(X: Any, alpha: float) -> float:
    """The factor ``rho = max_i |1 - alpha * lambda_i|`` by which one step shrinks the error.

    The error ``e_k = theta_k - theta*`` obeys ``e_{k+1} = (I - alpha A) e_k`` with
    ``A = X^T X / m``, so ``||e_k|| <= rho^k ||e_0||``; ``rho < 1`` exactly when
    ``alpha < max_stable_step(X)`` and ``X`` has full column rank.

    Parameters
    ----------
    X : (m, n) array_like
        Design matrix.
    alpha : real number
        Step size, ``> 0``.

    Returns
    -------
    float
        ``rho >= 0``.

    Raises
    ------
    ValueError, TypeError
        On an invalid ``X`` or ``alpha``, or ``rho`` beyond float64's range.
    """
    alpha = as_scalar("alpha", alpha, low=0, low_open=True)
    Xa = _design(X)
    lam_n, exponent = _spectrum(Xa)
    with np.errstate(over="ignore", invalid="ignore"):
        rho = float(np.max(np.abs(1.0 - np.ldexp(alpha * lam_n, 2 * exponent))))
    if not math.isfinite(rho):
        raise ValueError(
            f"alpha={alpha!r} is so far above max_stable_step(X) = {max_stable_step(Xa):.6g} "
            f"that alpha * lambda_max exceeds float64's range"
        )
    return rho


def iteration_bound(X: Any, alpha: float, *, rtol: float = 1e-6) -> int:
    """Steps that certainly shrink the error by the factor ``rtol``: ``ceil(ln rtol / ln rho)``.

    From ``||e_k|| <= rho^k ||e_0||`` with ``rho`` the :func:`contraction_factor`; the measured
    :func:`iterations_to_converge` never exceeds it.

    Parameters
    ----------
    X : (m, n) array_like
        Design matrix.
    alpha : real number
        Step size, ``> 0``.
    rtol : real number, optional
        Required reduction of the error, in ``(0, 1)``.

    Returns
    -------
    int
        At least 1.

    Raises
    ------
    ValueError
        If ``rho >= 1`` (``alpha >= max_stable_step(X)``, or ``X`` without full column rank): then
        no number of steps is guaranteed to be enough. Also on invalid ``X``, ``alpha``, ``rtol``.
    TypeError
        On non-numeric ``X`` or non-real ``alpha``, ``rtol``.

    Examples
    --------
    >>> iteration_bound([[1, 5], [1, 2], [1, 4], [1, 5]], 0.01, rtol=1e-6)
    16958
    """
    alpha = as_scalar("alpha", alpha, low=0, low_open=True)
    rtol = as_scalar("rtol", rtol, low=0, high=1, low_open=True, high_open=True)
    rho = contraction_factor(X, alpha)
    if rho >= 1:
        raise ValueError(
            f"alpha={alpha!r} gives the contraction factor rho={rho:.6g} >= 1, so no number of "
            f"steps is guaranteed to shrink the error: alpha must be < max_stable_step(X) = "
            f"{max_stable_step(X):.6g}, and X must have full column rank"
        )
    if rho == 0:
        return 1
    return max(1, math.ceil(math.log(rtol) / math.log(rho)))


def iterations_to_converge(
    X: Any,
    y: Any,
    theta: Any,
    alpha: float,
    *,
    rtol: float = 1e-6,
    max_iters: int = 100_000,
) -> int:
    """The number of gradient-descent steps until the error has shrunk by the factor ``rtol``.

    Counts the first ``k`` with ``||theta_k - theta*|| <= rtol * ||theta_0 - theta*||``, where
    ``theta*`` is :func:`least_squares`. It is at most :func:`iteration_bound`.

    Parameters
    ----------
    X : (m, n) array_like
        Design matrix.
    y : (m,) or (m, 1) array_like
        Targets.
    theta : (n,) or (n, 1) array_like
        Starting parameters.
    alpha : real number
        Step size, ``> 0``.
    rtol : real number, optional
        Required reduction of the error, in ``(0, 1)``.
    max_iters : int, optional
        Give up after this many steps, ``>= 1``.

    Returns
    -------
    int
        The number of steps, ``0`` if ``theta`` already is ``theta*``.

    Raises
    ------
    ValueError
        On invalid inputs (as for :func:`gradient_descent`) or ``rtol`` outside ``(0, 1)``.
    TypeError
        As for :func:`gradient_descent`.
    ConvergenceError
        If the reduction is not reached within ``max_iters`` steps (the message gives the
        reduction reached and :func:`max_stable_step`; ``.theta`` and ``.k`` the last iterate and
        ``max_iters``).
    """
    Xa, ya, ta, _ = _problem(X, y, theta)
    alpha = as_scalar("alpha", alpha, low=0, low_open=True)
    rtol = as_scalar("rtol", rtol, low=0, high=1, low_open=True, high_open=True)
    max_iters = as_scalar("max_iters", max_iters, integer=True, low=1)
    with np.errstate(over="ignore", invalid="ignore"):
        theta_star = np.linalg.lstsq(Xa, ya, rcond=None)[0]
        err0 = float(_row_norms(ta - theta_star))
    if not math.isfinite(err0):
        raise ValueError(
            "theta is too far from the least-squares solution for float64: their distance "
            f"exceeds {np.finfo(np.float64).max:.3g}; rescale X and y"
        )
    target = rtol * err0
    if err0 <= target:
        return 0
    done, reached = 0, 1.0
    while done < max_iters:  # in chunks, so that the errors are measured in one pass each
        chunk = np.empty((min(_CHUNK, max_iters - done), Xa.shape[1]))
        ta, _ = _descend(Xa, ya, ta, alpha, chunk.shape[0], path=chunk, warn=False)
        err = _row_norms(chunk - theta_star)
        hit = np.flatnonzero(err <= target)
        if hit.size:
            return done + int(hit[0]) + 1
        done += chunk.shape[0]
        reached = float(err[-1]) / err0
    raise ConvergenceError(
        f"max_iters={max_iters} steps are not enough: the error shrank only by the factor "
        f"{reached:.3g} (wanted rtol={rtol:g}) with alpha={alpha!r}; "
        f"max_stable_step(X) = {max_stable_step(Xa):.6g}",
        ta,
        done,
    )


_CHUNK = 1024  # iterates kept in memory at once by iterations_to_converge
_UNTIL_CHUNK = 65_536  # costs kept in memory at once by gradient_descent_until


def _row_norms(D: np.ndarray) -> np.ndarray:
    """Euclidean norms along the last axis, without overflow or underflow of the squares."""
    with np.errstate(over="ignore", invalid="ignore"):
        scale = np.max(np.abs(D), axis=-1)
        safe = np.where((scale > 0) & np.isfinite(scale), scale, 1.0)
        return scale * np.linalg.norm(D / safe[..., None], axis=-1)


# --------------------------------------------------------------------------------------------
# Feature scaling
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureScaling:
    """How :func:`standardize_features` transformed the columns of ``X``.

    ``X_scaled[:, j] = (X[:, j] - mu[j]) / sigma[j]``; for the intercept (the one constant
    column) ``mu[j] = 0`` and ``sigma[j]`` is the constant itself, so it becomes a column of ones.
    A ``mu`` or ``sigma`` below 2.2e-308 is subnormal and carries fewer digits, so
    :meth:`apply` is less accurate for such columns than :func:`standardize_features` itself.

    Attributes
    ----------
    mu : (n,) ndarray
        Column means of the non-constant columns, ``0`` for the intercept.
    sigma : (n,) ndarray
        Column standard deviations of the non-constant columns, the intercept's constant value.
    intercept : int
        Index of the constant column, which absorbs the shift that centring introduces.
    """

    mu: np.ndarray
    sigma: np.ndarray
    intercept: int

    def apply(self, X: Any) -> np.ndarray:
        """Scale another matrix with the same ``mu`` and ``sigma`` (e.g. new or test data).

        Parameters
        ----------
        X : (k, n) array_like
            Rows to scale, with the columns of the matrix the scaling was fitted on.

        Returns
        -------
        (k, n) ndarray
            ``(X - mu) / sigma``.

        Raises
        ------
        ValueError
            If ``X`` does not have ``n`` columns, or is not a finite non-empty 2-D array.
        TypeError
            If ``X`` is not real numeric.
        """
        Xa = _design(X)
        if Xa.shape[1] != self.mu.size:
            raise ValueError(
                f"X must have {self.mu.size} columns like the matrix the scaling was fitted on, "
                f"got X of shape {Xa.shape}"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            out = (Xa - self.mu) / self.sigma
            if not np.isfinite(out).all():  # X - mu overflowed: halve both (exact), then undo
                out = 2.0 * ((0.5 * Xa - 0.5 * self.mu) / self.sigma)
        if not np.isfinite(out).all():
            raise ValueError(
                f"X of shape {Xa.shape} lies too far from the fitted means for float64: "
                f"(X - mu) / sigma exceeds {np.finfo(np.float64).max:.3g}"
            )
        return out

    def unscale_theta(self, theta_scaled: Any) -> np.ndarray:
        """Parameters for the original features: ``X @ theta == X_scaled @ theta_scaled``.

        Parameters
        ----------
        theta_scaled : (n,) or (n, 1) array_like
            Parameters fitted on the scaled matrix.

        Returns
        -------
        (n,) or (n, 1) ndarray
            Parameters for the original matrix, in the shape of ``theta_scaled``.

        Raises
        ------
        ValueError
            If ``theta_scaled`` is not of shape ``(n,)`` or ``(n, 1)``, or not finite.
        TypeError
            If ``theta_scaled`` is not real numeric.
        """
        n = self.mu.size
        ts, shape = _vector("theta_scaled", theta_scaled, n, f"to match the n={n} scaled features")
        with np.errstate(over="ignore", invalid="ignore"):
            theta = ts / self.sigma  # (n,)
            # centring subtracted mu @ theta from every prediction; the intercept gives it back
            theta[self.intercept] -= (self.mu @ theta) / self.sigma[self.intercept]
        if not np.isfinite(theta).all():
            raise ValueError(
                f"theta_scaled gives parameters for the original features beyond float64's "
                f"range ({np.finfo(np.float64).max:.3g}): the features' scales are too different"
            )
        return theta.reshape(shape)


def standardize_features(X: Any) -> tuple[np.ndarray, FeatureScaling]:
    """Centre every non-constant column of ``X`` and scale it to unit standard deviation.

    Works for entries anywhere in float64's finite range (each column is rescaled by a power of
    two before its mean and spread are taken). The constant column (the intercept) becomes a
    column of ones. Exactly one non-zero constant column is required: centring shifts every
    prediction by a constant that only an intercept can absorb, and a second constant column
    would become a second, identical column of ones. Fit on ``X_scaled``, then map the
    parameters back with :meth:`FeatureScaling.unscale_theta`.

    Parameters
    ----------
    X : (m, n) array_like
        Design matrix with exactly one constant (intercept) column.

    Returns
    -------
    X_scaled : (m, n) ndarray
        ``(X - mu) / sigma`` column by column.
    scaling : FeatureScaling
        ``mu`` and ``sigma`` of shape ``(n,)`` and the index of the intercept column.

    Raises
    ------
    ValueError
        If ``X`` has no non-zero constant column or more than one, an all-zero column, or is
        not a finite non-empty 2-D array.
    TypeError
        If ``X`` is not real numeric.

    Examples
    --------
    >>> X_scaled, scaling = standardize_features([[1, 5], [1, 2], [1, 4], [1, 5]])
    >>> np.round(X_scaled.T @ X_scaled / 4, 12) + 0.0
    array([[1., 0.],
           [0., 1.]])
    >>> standardize_features([[1, 5, 2], [1, 2, 2], [1, 4, 2]])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: X of shape (3, 3) has constant columns [0, 2]; ... keep one intercept column
    """
    Xa = _design(X)
    # Work on a transposed copy: a reduction along a contiguous row is several times faster than
    # one down a column of a C-order (m, n) array with few columns.
    Xt = np.array(Xa.T, order="C")  # (n, m), a copy: Xa is never written to
    first = Xt[:, 0].copy()  # (n,)
    constant = np.all(Xt == first[:, None], axis=1) & (first != 0)  # (n,)
    if not np.any(constant):
        raise ValueError(
            f"X of shape {Xa.shape} has no constant non-zero (intercept) column; centring the "
            "features would change the model"
        )
    if np.count_nonzero(constant) > 1:  # scaled, they would all be the same column of ones
        raise ValueError(
            f"X of shape {Xa.shape} has constant columns {np.flatnonzero(constant).tolist()}; "
            "scaled, they would become identical columns of ones (a rank-deficient X): keep one "
            "intercept column"
        )
    # Work on each column divided by a power of two near its largest entry: exact, and then no
    # sum, square or difference can overflow, whatever the magnitudes (up to float64's maximum).
    _, exponent = np.frexp(np.max(np.abs(Xt), axis=1))  # (n,)
    np.ldexp(Xt, -exponent[:, None], out=Xt)  # entries in [-1, 1]
    mu_n, std_n = Xt.mean(axis=1), Xt.std(axis=1)
    zero_spread = ~constant & (std_n == 0)
    if np.any(zero_spread):
        raise ValueError(
            f"X of shape {Xa.shape} has all-zero columns {np.flatnonzero(zero_spread).tolist()}, "
            "which cannot be scaled (drop them)"
        )
    mu_n = np.where(constant, 0.0, mu_n)
    std_n = np.where(constant, np.ldexp(first, -exponent), std_n)
    sigma = np.ldexp(std_n, exponent)
    if np.any(sigma == 0):  # a spread between subnormal numbers that float64 cannot hold
        tiny = np.finfo(np.float64).smallest_subnormal
        raise ValueError(
            f"X of shape {Xa.shape} has columns {np.flatnonzero(sigma == 0).tolist()} whose "
            f"spread is below float64's smallest number ({tiny:.3g}); rescale them"
        )
    scaling = FeatureScaling(
        mu=np.ldexp(mu_n, exponent), sigma=sigma, intercept=int(np.argmax(constant))
    )
    Xt -= mu_n[:, None]
    Xt /= std_n[:, None]
    return np.ascontiguousarray(Xt.T), scaling


BENCH_KINDS = ("independent", "correlated")


def bench_problem(kind: str, m: int, rng: Any) -> tuple[np.ndarray, np.ndarray]:
    """One test problem of the benchmark: an intercept and nine badly scaled features.

    The nine features are independent standard normals (``kind="independent"``), or driven by
    three common factors plus independent noise of standard deviation 0.5 (``"correlated"``).
    Feature ``j`` is then scaled by ``np.geomspace(0.1, 1000, 9)[j]`` and shifted by an offset
    drawn from ``[-100, 100)``. The targets are ``X @ w`` plus standard normal noise, with ``w``
    standard normal. The draws are made in this order from ``rng``, so a generator seeded as the
    benchmark's gives its problems in its order.

    Parameters
    ----------
    kind : {"independent", "correlated"}
        How the features are drawn (any case).
    m : int
        Number of rows, 10 to 10**6.
    rng : int >= 0 or numpy.random.Generator
        A seed, or a generator, which is advanced (``None`` is refused: a test problem is
        reproducible).

    Returns
    -------
    X : (m, 10) ndarray
        Float64; column 0 is the intercept, a column of ones.
    y : (m,) ndarray
        Float64 targets.

    Raises
    ------
    ValueError
        For an unknown ``kind`` or ``m`` out of range.
    TypeError
        For a non-string ``kind``, a non-integer ``m``, or an ``rng`` that is ``None`` or of
        another type.

    Examples
    --------
    >>> X, y = bench_problem("correlated", 1000, np.random.default_rng(0))
    >>> X.shape, y.shape, bool(np.all(X[:, 0] == 1))
    ((1000, 10), (1000,), True)
    """
    kind = as_choice("kind", kind, BENCH_KINDS)
    m = as_scalar("m", m, integer=True, low=10, high=10**6)
    if rng is None:
        raise TypeError("rng must be a seed >= 0 or a numpy.random.Generator, got None")
    gen = as_rng("rng", rng)
    k = 9
    if kind == "independent":
        F = gen.standard_normal((m, k))
    else:  # three common factors drive every feature
        F = gen.standard_normal((m, 3)) @ gen.standard_normal((3, k)) + 0.5 * gen.standard_normal(
            (m, k)
        )
    F = F * np.geomspace(0.1, 1000.0, k) + gen.uniform(-100.0, 100.0, k)
    X = np.column_stack([np.ones(m), F])
    y = X @ gen.standard_normal(k + 1) + gen.standard_normal(m)
    return X, y
