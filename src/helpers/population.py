"""A population of ODE steady states: every individual its own phenotype, all at once.

Each individual ``i`` of a population has two parameters, ``alpha[i]`` and ``beta[i]``, and a
phenotype: the steady state of the scalar ODE

.. math:: \\frac{dy_i}{dt} = f(y_i; \\alpha_i, \\beta_i)
          = c - y_i + \\alpha_i \\frac{y_i^{\\beta_i}}{1 + y_i^{\\beta_i}}, \\qquad c = 0.123,

that the flow started at ``y0[i]`` reaches. The equations are independent, so the whole
population is one vector of ``n`` scalar problems. This module solves them two ways:

* :func:`steady_state_roots`: the steady state is a root of ``f``; which root the flow reaches is
  decided from the shape of ``f`` (at most three roots, separated by the two critical points of
  ``f``), and the root is found by a safeguarded Newton iteration on a bracket where ``f`` is
  monotone, for all individuals at once;
* :func:`steady_state_ivp`: one coupled ``solve_ivp`` call over the population, with the analytic
  Jacobian, which is diagonal and passed as a sparse matrix.

The Hill coefficient ``beta`` must be positive: the term ``y**beta / (1 + y**beta)`` is then a
switch from 0 to 1, ``f(0) = c > 0`` and the flow from ``y0 >= 0`` never leaves ``y >= 0``.
For ``y < 0``, which a solver may probe by a rounding error, the switch is taken as its value at
0 (that is 0), so no fractional power of a negative number (NaN) is ever formed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.integrate import solve_ivp
from scipy.special import expit

from helpers._validation import as_real_array, as_rng, as_scalar

__all__ = [
    "BASAL",
    "POPULATION_DTYPE",
    "create_population",
    "equilibria",
    "hill",
    "phenotype_jac",
    "phenotype_rhs",
    "residual",
    "steady_state_ivp",
    "steady_state_roots",
]

#: The constant production term ``c`` of the model.
BASAL = 0.123

#: The question's record layout: one row per individual.
POPULATION_DTYPE = np.dtype([("alpha", "<f8"), ("beta", "<f8"), ("phenotype", "<f8")])

_IMPLICIT = ("BDF", "Radau", "LSODA")
_EPS = np.finfo(np.float64).eps
_TINY = np.finfo(np.float64).tiny


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------
_HINT = " (a NaN reaching solve_ivp can make it hang)"


def _params(alpha: Any, beta: Any) -> tuple[np.ndarray, np.ndarray]:
    a = as_real_array("alpha", alpha, hint=_HINT)
    b = as_real_array("beta", beta, hint=_HINT)
    if a.ndim != 1:
        raise ValueError(f"alpha must be a 1-D array of shape (n,), got shape {a.shape}")
    if b.shape != a.shape:
        raise ValueError(
            f"beta must have the shape of alpha {a.shape}, got shape {b.shape} "
            "(one alpha and one beta per individual)"
        )
    if np.any(b <= 0):
        i = int(np.flatnonzero(b <= 0)[0])
        raise ValueError(
            f"beta must be positive (a Hill coefficient), got beta[{i}] = {b[i]} "
            "(with beta <= 0 the flow can leave y >= 0)"
        )
    return a, b


def _initial(y0: Any, n: int) -> np.ndarray:
    y = as_real_array("y0", y0, hint=_HINT)
    if y.ndim == 0:
        y = np.full(n, float(y))
    elif y.shape != (n,):
        raise ValueError(
            f"y0 must be a scalar or have shape ({n},), one initial value per individual; "
            f"got shape {y.shape}"
        )
    if np.any(y < 0):
        i = int(np.flatnonzero(y < 0)[0])
        raise ValueError(f"y0 must be non-negative, got y0[{i}] = {y[i]}")
    return y


# --------------------------------------------------------------------------------------------
# The model and its derivatives
# --------------------------------------------------------------------------------------------
def _hill_parts(y: np.ndarray, beta: np.ndarray, order: int = 2) -> tuple[np.ndarray, ...]:
    """``h`` and its first ``order`` derivatives, for ``h(y) = y**b / (1 + y**b)``, ``h = 0`` at
    ``y <= 0``; ``y`` and ``beta`` broadcast, results have the broadcast shape.

    ``h = expit(b log y)`` never overflows; ``h' = b h (1 - h) / y``, with ``1 - h`` computed as
    ``expit(-b log y)`` (no cancellation when ``h`` is near 1); ``h'' = h' (b (1 - 2h) - 1) / y``.
    For ``y <= 0`` all of them are 0 (the switch is flat there). Only what ``order`` asks for is
    computed: the right-hand side needs ``h``, Newton on ``f`` needs ``h'``, Newton on ``f'``
    needs ``h''``.
    """
    pos = y > 0
    ysafe = np.where(pos, y, 1.0)
    z = beta * np.log(ysafe)
    h = np.where(pos, expit(z), 0.0)
    if order == 0:
        return (h,)
    # For beta < 1 and y -> 0+, h' and h'' really do go to infinity; inf is their value there.
    with np.errstate(over="ignore", invalid="ignore"):
        dh = np.where(pos, beta * h * expit(-z) / ysafe, 0.0)
        if order == 1:
            return h, dh
        d2h = dh * (beta * (1.0 - 2.0 * h) - 1.0) / ysafe
    return h, dh, d2h


def _f(y: np.ndarray, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    h = _hill_parts(y, beta, 0)[0]
    return BASAL - y + alpha * h


def _f_df(y: np.ndarray, alpha: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, dh = _hill_parts(y, beta, 1)
    return BASAL - y + alpha * h, alpha * dh - 1.0


def _df_d2f(y: np.ndarray, alpha: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    _, dh, d2h = _hill_parts(y, beta, 2)
    return alpha * dh - 1.0, alpha * d2h


def hill(y: Any, beta: Any) -> np.ndarray:
    """The switch ``y**beta / (1 + y**beta)``, safe for any real ``y``.

    Parameters
    ----------
    y : (...) array
        States. Values ``<= 0`` give 0 (the switch is off below 0), never NaN.
    beta : (...) array, broadcastable with ``y``
        Positive Hill coefficients.

    Returns
    -------
    h : array of the broadcast shape, in ``[0, 1]``
    """
    yy = as_real_array("y", y)
    bb = as_real_array("beta", beta, hint=_HINT)
    if np.any(bb <= 0):
        raise ValueError(f"beta must be positive (a Hill coefficient), got min {bb.min()}")
    yy, bb = np.broadcast_arrays(yy, bb)
    return _hill_parts(yy, bb, 0)[0]


def _check_state(y: Any, n: int) -> tuple[np.ndarray, bool]:
    yy = as_real_array("y", y)
    if yy.ndim == 1 and yy.shape[0] == n:
        return yy, False
    if yy.ndim == 2 and yy.shape[0] == n:
        return yy, True
    raise ValueError(
        f"y must have shape ({n},) (one state per individual) or ({n}, k) (k states as columns, "
        f"as solve_ivp passes them with vectorized=True); got shape {yy.shape}"
    )


def phenotype_rhs(t: float, y: Any, alpha: Any, beta: Any) -> np.ndarray:
    """The right-hand side ``dy/dt = c - y + alpha * y**beta / (1 + y**beta)``, per individual.

    Parameters
    ----------
    t : float
        Time (unused: the ODE is autonomous; present for ``solve_ivp``).
    y : (n,) or (n, k) array
        The states of the ``n`` individuals; ``k`` columns of states are accepted, which is what
        ``solve_ivp(..., vectorized=True)`` passes. Slightly negative values are safe.
    alpha, beta : (n,) arrays
        Each individual's parameters; ``beta > 0``.

    Returns
    -------
    dydt : array of the shape of ``y``

    Raises
    ------
    ValueError
        If a shape does not match ``(n,)``, or an input is empty, NaN or infinite, or
        ``beta <= 0``.
    TypeError
        If an input is not a real numeric array.
    """
    a, b = _params(alpha, beta)
    yy, columns = _check_state(y, a.shape[0])
    if columns:
        return _f(yy, a[:, None], b[:, None])
    return _f(yy, a, b)


def phenotype_jac(t: float, y: Any, alpha: Any, beta: Any) -> sp.csc_matrix:
    """The Jacobian of :func:`phenotype_rhs`: diagonal, ``J[i, i] = -1 + alpha[i] h'(y[i])``.

    Parameters
    ----------
    t : float
        Time (unused).
    y : (n,) array
        States.
    alpha, beta : (n,) arrays
        Parameters, ``beta > 0``.

    Returns
    -------
    jac : (n, n) scipy.sparse CSC matrix
        Diagonal. For ``y[i] <= 0`` the derivative of the flat switch, 0, is used.
    """
    a, b = _params(alpha, beta)
    yy, columns = _check_state(y, a.shape[0])
    if columns:
        raise ValueError(f"y must have shape ({a.shape[0]},) for the Jacobian, got {yy.shape}")
    return sp.diags_array(_f_df(yy, a, b)[1], format="csc")


def residual(alpha: Any, beta: Any, y: Any) -> np.ndarray:
    """``|f(y)|`` per individual: how far ``y`` is from being a steady state.

    Parameters
    ----------
    alpha, beta : (n,) arrays
        Parameters, ``beta > 0``.
    y : (n,) array
        Candidate steady states.

    Returns
    -------
    r : (n,) array
        ``|c - y + alpha * h(y)|``.
    """
    a, b = _params(alpha, beta)
    yy = as_real_array("y", y)
    if yy.shape != a.shape:
        raise ValueError(f"y must have shape {a.shape}, got shape {yy.shape}")
    return np.abs(_f(yy, a, b))


# --------------------------------------------------------------------------------------------
# Bracketed root finding, vectorized over individuals
# --------------------------------------------------------------------------------------------
def _bracketed_newton(
    g: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    lo: np.ndarray,
    hi: np.ndarray,
    *,
    max_iter: int = 2200,
) -> np.ndarray:
    """Roots of ``g`` on ``[lo, hi]`` with ``g(lo) >= 0 >= g(hi)``, elementwise.

    ``g(x, idx)`` returns ``(g, dg)`` at the points ``x`` (shape (m,)) of the individuals ``idx``
    (shape (m,), indices into ``lo``). A Newton step is taken when it lands strictly inside the
    current bracket and is at most half the previous step; otherwise the bracket is bisected
    (Numerical Recipes' ``rtsafe``, vectorized). Individuals drop out of the arrays as they
    converge: ``g == 0``, a Newton correction below an ulp, or a bracket of a few ulps. Bisection
    needs at most about 1100 halvings to shrink any double bracket to a few ulps (roots as small
    as 1e-300 included) and accepted Newton steps shrink geometrically, so ``max_iter`` is only a
    safety cap (RuntimeError if reached; no test or chapter run comes near it).

    Parameters
    ----------
    g : callable
        ``g(x, idx) -> (g(x), g'(x))``, each of shape (m,).
    lo, hi : (n,) arrays
        Brackets with ``g(lo) >= 0 >= g(hi)`` (a falling sign change; pass ``-g`` for a rising
        one).
    max_iter : int, optional
        A safety cap on the iterations.

    Returns
    -------
    x : (n,) array
        The roots.
    """
    lo = lo.astype(np.float64, copy=True)
    hi = hi.astype(np.float64, copy=True)
    out = 0.5 * (lo + hi)
    idx = np.arange(lo.size)
    x = out.copy()
    step_old = hi - lo
    for _ in range(max_iter):
        if idx.size == 0:
            break
        gx, dg = g(x, idx)
        lo = np.where(gx > 0, x, lo)
        hi = np.where(gx < 0, x, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = -gx / dg
        newton = x + step
        tol = 2 * _EPS * np.abs(x) + _TINY
        # Converged: f is zero, Newton's correction is below an ulp, or the bracket is.
        done = (
            (gx == 0)
            | (np.isfinite(step) & (np.abs(step) <= tol) & (newton >= lo) & (newton <= hi))
            | (hi - lo <= 4 * _EPS * np.maximum(np.abs(lo), np.abs(hi)) + _TINY)
        )
        out[idx[done]] = x[done]
        use = (
            np.isfinite(newton)
            & (newton > lo)
            & (newton < hi)
            & (np.abs(step) <= 0.5 * np.abs(step_old))
        )
        x_new = np.where(use, newton, 0.5 * (lo + hi))
        step_old = x_new - x
        keep = ~done
        idx, x, lo, hi, step_old = idx[keep], x_new[keep], lo[keep], hi[keep], step_old[keep]
    else:  # pragma: no cover - the bisection fallback halves the bracket at least every 2 steps
        raise RuntimeError(f"bracketed Newton did not converge for {idx.size} individuals")
    return out


def _inflection(beta: np.ndarray) -> np.ndarray:
    """Where ``h'`` peaks: ``((b - 1) / (b + 1))**(1/b)`` for ``b > 1``, else 0 (``h'`` falls)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        yi = ((beta - 1.0) / (beta + 1.0)) ** (1.0 / beta)
    return np.where(beta > 1.0, yi, 0.0)


def _critical_points(alpha: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The local minimum ``a`` and local maximum ``b`` of ``f`` on ``y >= 0``, shapes (n,).

    ``f' = -1 + alpha h'`` rises on ``[0, yi]`` and falls on ``[yi, inf)``. When it is positive
    somewhere (only possible for ``alpha > 0``), ``f`` decreases on ``[0, a]``, increases on
    ``[a, b]`` and decreases on ``[b, inf)``; otherwise ``f`` decreases everywhere and
    ``a = b = yi`` (for ``alpha <= 0``, ``a = b = 0``).
    """
    yi = _inflection(beta)
    a = yi.copy()
    b = yi.copy()
    a[alpha <= 0] = 0.0
    b[alpha <= 0] = 0.0
    # f' at the inflection point; for beta <= 1 this is the limit y -> 0+ (h'(0+) = 1 or inf).
    dh_peak = np.where(beta > 1.0, 0.0, np.where(beta == 1.0, 1.0, np.inf))
    peak = _df_d2f(yi, alpha, beta)[0]
    with np.errstate(invalid="ignore"):  # 0 * inf for alpha = 0 is masked out below
        peak = np.where(beta > 1.0, peak, alpha * dh_peak - 1.0)
    two = np.flatnonzero((alpha > 0) & (peak > 0))
    if two.size == 0:
        return a, b
    al, be, y_peak = alpha[two], beta[two], yi[two]

    def df(x: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _df_d2f(x, al[idx], be[idx])

    # a: f' rises from -1 (h'(0) = 0 for beta > 1) to peak > 0 on [0, yi].
    rising = np.flatnonzero(be > 1.0)
    if rising.size:
        sub_al, sub_be = al[rising], be[rising]

        def minus_df_sub(x: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            d1, d2 = _df_d2f(x, sub_al[idx], sub_be[idx])
            return -d1, -d2

        a[two[rising]] = _bracketed_newton(minus_df_sub, np.zeros(rising.size), y_peak[rising])
    # b: f' falls from peak > 0 to below 0 beyond alpha*beta/4, since h' <= beta / (4 y).
    upper = np.maximum(al * be / 4.0, y_peak) * (1.0 + 4 * _EPS) + 1e-300
    b[two] = _bracketed_newton(df, y_peak, upper)
    return a, b


def equilibria(alpha: Any, beta: Any) -> tuple[np.ndarray, np.ndarray]:
    """All steady states of every individual: the roots of ``f`` on ``y >= 0``.

    Parameters
    ----------
    alpha, beta : (n,) arrays
        Parameters, ``beta > 0``.

    Returns
    -------
    roots : (n, 3) array
        Each row's roots in increasing order, padded with NaN on the right. A row with three
        roots is bistable: the outer two are stable, the middle one unstable.
    count : (n,) int array
        The number of roots in each row, 1 or 3 (2 only exactly at a fold).
    """
    a_, b_ = _params(alpha, beta)
    a, b = _critical_points(a_, b_)
    fa, fb = _f(a, a_, b_), _f(b, a_, b_)
    hi = BASAL + np.maximum(a_, 0.0)
    n = a_.size
    roots = np.full((n, 3), np.nan)

    def fdec(al, be):
        return lambda x, idx: _f_df(x, al[idx], be[idx])

    def finc(al, be):
        def g(x, idx):
            v, d = _f_df(x, al[idx], be[idx])
            return -v, -d

        return g

    low = np.flatnonzero(fa <= 0)  # f(0) = c > 0 >= f(a): a root on the falling piece [0, a]
    if low.size:
        roots[low, 0] = _bracketed_newton(fdec(a_[low], b_[low]), np.zeros(low.size), a[low])
    mid = np.flatnonzero((fa < 0) & (fb > 0))  # f rises through 0 on [a, b]: unstable root
    if mid.size:
        roots[mid, 1] = _bracketed_newton(finc(a_[mid], b_[mid]), a[mid], b[mid])
    high = np.flatnonzero((fb >= 0) & ~((fa <= 0) & (a == b)))  # falling piece [b, hi]
    if high.size:
        roots[high, 2] = _bracketed_newton(fdec(a_[high], b_[high]), b[high], hi[high])
    # Pack left and drop the duplicate a fold (f(a) = 0 or f(b) = 0 exactly) would create.
    dup = np.zeros_like(roots, dtype=bool)
    dup[:, 1:] = roots[:, 1:] == roots[:, :-1]
    roots[dup] = np.nan
    order = np.argsort(np.isnan(roots), axis=1, kind="stable")
    roots = np.take_along_axis(roots, order, axis=1)
    count = np.sum(~np.isnan(roots), axis=1)
    return roots, count


def steady_state_roots(alpha: Any, beta: Any, y0: Any) -> np.ndarray:
    """The steady state each individual's flow reaches from ``y0``, as a root of ``f``.

    A scalar ODE ``y' = f(y)`` moves monotonically from ``y0`` in the direction of
    ``sign f(y0)`` and stops at the first root it meets. With the critical points ``a <= b`` of
    ``f`` (falling on ``[0, a]``, rising on ``[a, b]``, falling beyond ``b``), that root lies on a
    *falling* piece, in a bracket chosen per individual:

    ========================  ===================================  ====================
    ``sign f(y0)``            where                                 bracket
    ========================  ===================================  ====================
    ``+`` (flow goes up)      ``y0 < a`` and ``f(a) <= 0``          ``[y0, a]``
    ``+``                     otherwise, ``y0 < b``                 ``[b, c + alpha+]``
    ``+``                     ``y0 >= b``                           ``[y0, c + alpha+]``
    ``-`` (flow goes down)    ``y0 > b`` and ``f(b) >= 0``          ``[b, y0]``
    ``-``                     otherwise, ``y0 > a``                 ``[0, a]``
    ``-``                     ``y0 <= a``                           ``[0, y0]``
    ========================  ===================================  ====================

    and a bracketed Newton iteration finds it for all individuals at once.

    Parameters
    ----------
    alpha, beta : (n,) arrays
        Each individual's parameters; ``beta > 0``.
    y0 : float or (n,) array
        Initial states, ``>= 0``; a scalar is used for every individual.

    Returns
    -------
    y : (n,) array
        The steady states, each to within a few ulps, so that ``|f(y)| <= 1e-12`` for
        parameters of order one (the question's ``alpha ~ N(0, 1)``, ``beta ~ N(5, 1)``).

    Raises
    ------
    ValueError
        If ``alpha``, ``beta`` or ``y0`` is NaN, infinite or empty, the shapes do not match
        ``(n,)``, ``beta <= 0`` or ``y0 < 0``.
    TypeError
        If an input is not a real numeric array.
    """
    al, be = _params(alpha, beta)
    y = _initial(y0, al.size)
    a, b = _critical_points(al, be)
    fy = _f(y, al, be)
    fa, fb = _f(a, al, be), _f(b, al, be)
    hi = BASAL + np.maximum(al, 0.0)
    up, down = fy > 0, fy < 0
    lo = np.select(
        [up & (y < a) & (fa <= 0), up & (y < b), up, down & (y > b) & (fb >= 0), down],
        [y, b, y, b, np.zeros_like(y)],
        default=y,
    )
    top = np.select(
        [up & (y < a) & (fa <= 0), up & (y < b), up, down & (y > b) & (fb >= 0), down & (y > a)],
        [a, hi, hi, y, a],
        default=y,
    )
    out = y.copy()
    move = np.flatnonzero(up | down)
    if move.size:
        sub_al, sub_be = al[move], be[move]
        out[move] = _bracketed_newton(
            lambda x, idx: _f_df(x, sub_al[idx], sub_be[idx]), lo[move], top[move]
        )
    return out


# --------------------------------------------------------------------------------------------
# The same by integration
# --------------------------------------------------------------------------------------------
def steady_state_ivp(
    alpha: Any,
    beta: Any,
    y0: Any,
    *,
    t_end: float = 1e6,
    method: str = "BDF",
    rtol: float = 1e-8,
    atol: float = 1e-10,
) -> np.ndarray:
    """The steady states by integrating the whole population to ``t_end`` in one ``solve_ivp``.

    The ``n`` equations are independent, so the Jacobian is diagonal; it is passed analytically
    (as a sparse CSC matrix for ``"BDF"`` and ``"Radau"``, in LSODA's packed banded format with
    zero bandwidth for ``"LSODA"``), and each Newton step of the implicit solver costs O(n).

    Parameters
    ----------
    alpha, beta : (n,) arrays
        Parameters, ``beta > 0``.
    y0 : float or (n,) array
        Initial states, ``>= 0``.
    t_end : float, optional
        Final time; the state there is taken as the steady state.
    method : {"BDF", "Radau", "LSODA"}, optional
        An implicit method. Explicit ones are refused: a steady state at ``t = 1e6`` would cost
        them on the order of a million stability-limited steps.
    rtol, atol : float, optional
        Tolerances. The solver controls the root-mean-square of the scaled error over all ``n``
        individuals, so one individual's error can be up to ``sqrt(n)`` times larger: check
        :func:`residual` at the result.

    Returns
    -------
    y : (n,) array
        The state of every individual at ``t_end``.

    Raises
    ------
    ValueError
        For invalid inputs (as :func:`steady_state_roots`), a non-positive ``t_end``, ``rtol``
        or ``atol``, or a method that is not implicit.
    RuntimeError
        If ``solve_ivp`` reports a failure.
    """
    al, be = _params(alpha, beta)
    y = _initial(y0, al.size)
    t_end = as_scalar("t_end", t_end, low=0.0, low_open=True)
    rtol = as_scalar("rtol", rtol, low=0.0, low_open=True)
    atol = as_scalar("atol", atol, low=0.0, low_open=True)
    if method not in _IMPLICIT:
        raise ValueError(
            f"method must be one of {_IMPLICIT} (implicit: the problem is stiff over "
            f"t_end = {t_end:g}), got {method!r}"
        )

    def rhs(t: float, yy: np.ndarray) -> np.ndarray:
        return _f(yy, al, be)

    kwargs: dict[str, Any] = {}
    if method == "LSODA":
        kwargs.update(lband=0, uband=0, jac=lambda t, yy: _f_df(yy, al, be)[1][None, :])
    else:
        kwargs["jac"] = lambda t, yy: sp.diags_array(_f_df(yy, al, be)[1], format="csc")
    sol = solve_ivp(
        rhs,
        (0.0, float(t_end)),
        y,
        method=method,
        t_eval=[float(t_end)],
        rtol=rtol,
        atol=atol,
        **kwargs,
    )
    if not sol.success:
        raise RuntimeError(f"solve_ivp ({method}) failed: {sol.message}")
    return sol.y[:, -1]


def create_population(n: int, *, rng: np.random.Generator, y0: Any = 0.0) -> np.ndarray:
    """The question's population: ``n`` records ``(alpha, beta, phenotype)``, each its own.

    Parameters
    ----------
    n : int
        Number of individuals, ``>= 1``.
    rng : numpy.random.Generator, int >= 0, SeedSequence or None
        The only source of randomness: a generator (its stream advances) or a seed for one.
    y0 : float or (n,) array, optional
        Where each individual's flow starts; the phenotype is the steady state it reaches.

    Returns
    -------
    pop : (n,) structured array of dtype :data:`POPULATION_DTYPE`
        ``alpha ~ N(0, 1)``; ``beta ~ N(5, 1)`` conditioned on ``beta > 0`` (a draw ``<= 0``,
        probability 2.9e-7, is redrawn); ``phenotype = steady_state_roots(alpha, beta, y0)``.

    Examples
    --------
    >>> pop = create_population(4, rng=np.random.default_rng(0))
    >>> pop.dtype.names
    ('alpha', 'beta', 'phenotype')
    >>> bool(np.all(residual(pop["alpha"], pop["beta"], pop["phenotype"]) <= 1e-12))
    True
    """
    n = as_scalar("n", n, integer=True, low=1)
    rng = as_rng("rng", rng)
    pop = np.zeros(int(n), dtype=POPULATION_DTYPE)
    pop["alpha"] = rng.standard_normal(n)
    beta = rng.standard_normal(n) + 5.0
    bad = np.flatnonzero(beta <= 0)
    while bad.size:  # a loop over redraws, not over individuals
        beta[bad] = rng.standard_normal(bad.size) + 5.0
        bad = bad[beta[bad] <= 0]
    pop["beta"] = beta
    pop["phenotype"] = steady_state_roots(pop["alpha"], pop["beta"], y0)
    return pop
