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
  Jacobian, which is diagonal and passed as a banded (LSODA) or sparse (BDF, Radau) matrix.

The Hill coefficient ``beta`` must be positive: the term ``y**beta / (1 + y**beta)`` is then a
switch from 0 to 1, ``f(0) = c > 0`` and the flow from ``y0 >= 0`` never leaves ``y >= 0``.
For ``y < 0``, which a solver may probe by a rounding error, the switch is taken as its value at
0 (that is 0), so no fractional power of a negative number (NaN) is ever formed.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.integrate import solve_ivp

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
_SUBNORMAL = np.nextafter(0.0, 1.0)  # the smallest positive double


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
def _hill_parts(y: np.ndarray, beta: np.ndarray, order: int = 1) -> tuple[np.ndarray, ...]:
    """``h`` and, for ``order = 1``, ``h'``, for ``h(y) = y**b / (1 + y**b)``, ``h = 0`` at
    ``y <= 0``; ``y`` and ``beta`` broadcast, results have the broadcast shape.

    With ``z = b log y`` and ``t = exp(-|z|)``, which never overflows, ``h = 1 / (1 + t)`` for
    ``z >= 0`` and ``t / (1 + t)`` otherwise (accurate down to subnormal ``h``), and
    ``h' = b h (1 - h) / y = b t / (1 + t)**2 / y`` (no cancellation when ``h`` is near 1). For
    ``y <= 0`` both are 0 (the switch is flat there). The right-hand side needs only ``h``, its
    Jacobian ``h'``.
    """
    pos = y > 0
    ysafe = np.where(pos, y, 1.0)
    with np.errstate(over="ignore"):  # z = +-inf is fine: t = 0
        z = beta * np.log(ysafe)
    t = np.exp(-np.abs(z))
    inv = 1.0 / (1.0 + t)
    h = np.where(pos, np.where(z >= 0, inv, t * inv), 0.0)
    if order == 0:
        return (h,)
    # For beta < 1 and y -> 0+, h' really does go to infinity; inf is its value there.
    # At y = 0 the right derivative (the side a flow from 0 enters, f(0) = c > 0): 0 for
    # beta > 1, 1 for beta = 1 (h = y / (1 + y)), inf for beta < 1. Below 0 the switch is flat.
    at_zero = np.where(beta > 1, 0.0, np.where(beta == 1, 1.0, np.inf))
    with np.errstate(over="ignore", invalid="ignore"):
        dh = np.where(pos, beta * (t * inv * inv) / ysafe, np.where(y == 0, at_zero, 0.0))
    return h, dh


def _f(y: np.ndarray, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    h = _hill_parts(y, beta, 0)[0]
    with np.errstate(over="ignore"):  # beyond the largest double, f is -inf or inf
        return BASAL - y + alpha * h


def _f_df(y: np.ndarray, alpha: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f`` and ``f'`` for the solvers' Newton matrices. At ``y = 0`` with ``beta < 1``, where
    ``h'`` is infinite, the flat switch's ``f' = -1`` stands in (only the iteration sees it)."""
    h, dh = _hill_parts(y, beta, 1)
    dh = np.where((y == 0) & (beta < 1), 0.0, dh)
    with np.errstate(over="ignore", invalid="ignore"):
        return BASAL - y + alpha * h, alpha * dh - 1.0


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
    try:
        yy, bb = np.broadcast_arrays(yy, bb)
    except ValueError:
        raise ValueError(
            f"y and beta must broadcast to one shape, got shapes {yy.shape} and {bb.shape}"
        ) from None
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
    as_scalar("t", t)
    a, b = _params(alpha, beta)
    yy, columns = _check_state(y, a.shape[0])
    if columns:
        return _f(yy, a[:, None], b[:, None])
    return _f(yy, a, b)


def phenotype_jac(t: float, y: Any, alpha: Any, beta: Any, *, clamp: bool = False) -> sp.csc_matrix:
    """The Jacobian of :func:`phenotype_rhs`: diagonal, ``J[i, i] = -1 + alpha[i] h'(y[i])``.

    Parameters
    ----------
    t : float
        Time (unused).
    y : (n,) array
        States.
    alpha, beta : (n,) arrays
        Parameters, ``beta > 0``.
    clamp : bool, optional
        What to do at ``y[i] = 0`` with ``beta[i] < 1``, where ``h'`` is infinite: ``False``
        (the default) raises; ``True`` puts ``h' = 0`` there, the flat switch's value below 0,
        so ``J[i, i] = -1``. Only a solver's Newton iteration sees that value, and it keeps the
        matrix finite for a start at 0. With ``clamp=True`` this is the Jacobian that
        :func:`steady_state_ivp` passes to BDF and Radau; pass it to ``solve_ivp`` as
        ``jac=lambda t, y, *ab: phenotype_jac(t, y, *ab, clamp=True)``.

    Returns
    -------
    jac : (n, n) scipy.sparse CSC matrix
        Diagonal. For ``y[i] < 0`` the switch is flat, ``h' = 0``. At ``y[i] = 0`` the right
        derivative is used, the side a flow from 0 enters (``f(0) = c > 0``): ``h'(0) = 0`` for
        ``beta > 1`` and ``1`` for ``beta = 1``; for ``beta < 1`` see ``clamp``.

    Raises
    ------
    ValueError
        If ``y[i] = 0`` with ``beta[i] < 1`` and ``clamp=False``: ``h'`` is infinite there, no
        Jacobian exists.
    TypeError
        If ``clamp`` is not ``True`` or ``False``.

    Examples
    --------
    >>> alpha, beta = np.array([1.0, 2.0]), np.array([0.5, 5.0])
    >>> phenotype_jac(0.0, np.zeros(2), alpha, beta, clamp=True).diagonal().tolist()
    [-1.0, -1.0]
    """
    as_scalar("t", t)
    if not isinstance(clamp, bool):
        raise TypeError(f"clamp must be True or False, got {type(clamp).__name__} {clamp!r}")
    a, b = _params(alpha, beta)
    yy, columns = _check_state(y, a.shape[0])
    if columns:
        raise ValueError(f"y must have shape ({a.shape[0]},) for the Jacobian, got {yy.shape}")
    infinite = np.flatnonzero((yy == 0) & (b < 1))
    if infinite.size and not clamp:
        i = int(infinite[0])
        raise ValueError(
            f"y[{i}] = 0 with beta[{i}] = {b[i]:g} < 1: h'(0) is infinite there, so the Jacobian "
            "does not exist; start above 0, pass clamp=True (h' = 0 there, for a solver's Newton "
            "matrix), or use steady_state_roots, which needs no Jacobian"
        )
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
# Root finding, vectorized over individuals
# --------------------------------------------------------------------------------------------
def _f_df_pos(y: np.ndarray, alpha: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f`` and ``f'`` at ``y >= 0`` in one pass: one ``log`` and one ``exp`` per point.

    With ``z = beta log y`` and ``t = exp(-|z|)`` (never overflows), ``h = 1/(1 + t)`` or
    ``t/(1 + t)`` by the sign of ``z`` and ``h (1 - h) = t / (1 + t)**2`` without cancellation.
    At ``y = 0``, ``h = 0`` and ``f' `` is NaN (the solver then bisects). ``f'`` may overflow to
    ``-inf`` or ``inf`` for extreme parameters; the solver treats that like NaN.
    """
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        z = beta * np.log(y)
        t = np.exp(-np.abs(z))
        inv = 1.0 / (1.0 + t)
        f = alpha * np.where(z >= 0, inv, t * inv)
        f += BASAL
        f -= y
        inv *= inv
        inv *= t
        inv *= beta
        inv /= y
        inv *= alpha
        inv -= 1.0
    return f, inv


def _bracketed_newton(
    g: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    lo: np.ndarray,
    hi: np.ndarray,
    x0: np.ndarray,
    *,
    max_iter: int = 2400,
) -> np.ndarray:
    """Roots of ``g`` on ``[lo, hi]`` with ``g(lo) >= 0 >= g(hi)``, elementwise, from ``x0``.

    ``g(x, idx)`` returns ``(g, g')`` at the points ``x`` of the individuals ``idx`` (indices
    into ``lo``). A Newton step is taken when it lands strictly inside the current bracket and
    is at most half the previous step; otherwise the bracket is bisected (Numerical Recipes'
    ``rtsafe``, vectorized). A non-finite ``g'`` (an overflow) always means bisection, so a step
    of ``g / inf = 0`` is never mistaken for convergence. Individuals drop out of the arrays as
    they converge: ``g == 0`` or a bracket of a few ulps (subnormal roots included).

    Near the root ``g`` is rounding noise, and Newton can stall a few ulps short of the sign
    change on one side, with corrections that no longer halve. Bisecting then would cost one
    iteration per bit of the (possibly wide) bracket. Instead, a correction of at most 16 ulps
    is taken as a *probe* a little beyond Newton's point, in Newton's direction; consecutive
    probes reach twice as far each time (2, 4, 8, ... ulps), so one lands across the root
    within a few iterations and closes the bracket. Every root returned therefore has a sign
    change within a few ulps. Bisection halves the bracket at least every two iterations, so
    about 2200 iterations reach any double; ``max_iter`` is only a safety cap.
    """
    lo = np.array(lo, dtype=np.float64)
    hi = np.array(hi, dtype=np.float64)
    out = np.array(x0, dtype=np.float64)
    x = out.copy()
    idx = np.arange(lo.size)
    step_old = hi - lo
    reach = np.full(lo.size, 2.0)  # how far beyond Newton's point the next probe goes, in ulps
    for _ in range(max_iter):
        if idx.size == 0:
            return out
        gx, dg = g(x, idx)
        lo = np.where(gx > 0, x, lo)
        hi = np.where(gx < 0, x, hi)
        width = hi - lo  # 0 <= lo <= hi: the bracket's ulps are those of hi
        mid = lo + 0.5 * width
        done = (gx == 0) | (width <= 4 * _EPS * hi) | (width <= 2 * _SUBNORMAL)
        # A correction of at most 16 ulps is at g's noise floor: probe `reach` ulps beyond
        # Newton's point instead (reach doubles while the probes stay on one side of the root),
        # so that a sign change closes the bracket in a few iterations.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = gx / dg
            newton = x - step
            size = np.abs(step)
            finite = np.isfinite(dg)
            small = finite & (size <= 16 * _EPS * x)
            beyond = np.maximum(reach * _EPS * newton, 2 * _SUBNORMAL)
            cand = np.where(small, newton - np.copysign(beyond, step), newton)
        ok = finite & (cand > lo) & (cand < hi) & (small | (size <= 0.5 * np.abs(step_old)))
        x_new = np.where(ok, cand, mid)
        reach = np.where(small & ok, 2 * reach, 2.0)
        out[idx[done]] = np.where(gx == 0, x, mid)[done]
        keep = ~done
        if keep.all():
            step_old, x = x_new - x, x_new
        else:
            step_old, reach = (x_new - x)[keep], reach[keep]
            idx, x, lo, hi = idx[keep], x_new[keep], lo[keep], hi[keep]
    raise RuntimeError(  # pragma: no cover - bisection reaches any double well before this
        f"bracketed Newton did not converge for {idx.size} individuals"
    )


def _log_slope(u: np.ndarray, lab: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``L(u) = log(alpha h'(e**u))`` and ``L'(u)``, with ``lab = log alpha + log beta``.

    ``L(u) = lab - u - |z| - 2 log1p(exp(-|z|))`` with ``z = beta u``: concave in ``u``, with
    ``L'(u) = -1 - beta tanh(z / 2)``. Written so that nothing overflows and ``-u - |z|`` is
    ``(beta - 1) u`` for ``u < 0`` (no cancellation for ``beta`` near 1).
    """
    z = beta * u
    t = np.exp(-np.abs(z))
    neg = u < 0
    lin = np.where(neg, (beta - 1.0) * u, -(1.0 + beta) * u)
    big_l = lab + lin - 2.0 * np.log1p(t)
    tanh_part = beta * (2.0 * t / (1.0 + t))  # beta (1 - |tanh(z/2)|)
    d_l = np.where(neg, (beta - 1.0) - tanh_part, -(1.0 + beta) + tanh_part)
    return big_l, d_l


def _monotone_newton(
    lab: np.ndarray, beta: np.ndarray, u0: np.ndarray, *, max_iter: int = 200
) -> np.ndarray:
    """The root of the concave ``L`` (of :func:`_log_slope`) that Newton reaches from ``u0``.

    ``L(u0) <= 0`` on the outer side of a root of a concave function: Newton's iterates then
    move monotonically towards that root and never cross it. The iteration stops when a step
    is below a few ulps, changes direction (rounding) or ``L >= 0``; an error there is harmless
    (``f'`` vanishes at the critical points, so ``f`` there is off only to second order).
    """
    u = u0.copy()
    idx = np.arange(u.size)
    cur = u.copy()
    direction = None
    for _ in range(max_iter):
        if idx.size == 0:
            break
        big_l, d_l = _log_slope(cur, lab[idx], beta[idx])
        with np.errstate(divide="ignore", invalid="ignore"):
            step = -big_l / d_l
        if direction is None:
            direction = np.sign(step)
        nxt = cur + step
        done = (
            (big_l >= 0)
            | ~np.isfinite(nxt)
            | (np.sign(step) != direction)
            | (np.abs(step) <= 4 * _EPS * np.maximum(np.abs(cur), 1.0))
        )
        u[idx] = np.where(done, cur, nxt)
        keep = ~done
        idx, cur, direction = idx[keep], nxt[keep], direction[keep]
    return u


def _critical_points(
    alpha: np.ndarray, beta: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which individuals have a non-monotone ``f``, and its local minimum ``a`` and maximum ``b``.

    ``f' = -1 + alpha h'`` is positive somewhere exactly when ``L = log(alpha h')`` of
    :func:`_log_slope` has a positive maximum: for ``beta > 1`` at ``u* = -(2/beta)
    atanh(1/beta)`` (where ``h'`` peaks, ``y_i`` of the chapter), for ``beta < 1`` as
    ``y -> 0`` (``h'(0+) = inf``; any ``alpha > 0``), for ``beta = 1`` when ``alpha > 1``.
    Then ``f`` falls on ``[0, a]``, rises on ``[a, b]`` and falls beyond ``b``; ``a = 0`` for
    ``beta <= 1``. ``a`` and ``b`` are the roots of ``L`` on either side of its maximum, found by
    Newton from outside in ``u = log y``, where ``L`` is concave; the starting points are the
    bounds ``h' <= beta y**(beta - 1)`` and ``h' <= beta / (4 y)``, in logarithms so that
    ``alpha * beta`` never overflows.

    Returns
    -------
    two : (m,) int array
        The individuals with a non-monotone ``f``.
    a, b : (m,) arrays
        Their critical points.
    """
    # A cheap filter first: for beta >= 2 the peak of h', (beta**2 - 1) / (4 beta y_i), is at
    # most 0.325 beta (its largest ratio, at beta = 2), so alpha beta <= 3 keeps alpha h' < 1
    # (an overflowing product is inf: kept).
    with np.errstate(over="ignore"):
        cand = np.flatnonzero((alpha > 0) & ((beta < 2.0) | (alpha * beta > 3.0)))
    al, beta = alpha[cand], beta[cand]
    lab = np.log(al) + np.log(beta)
    steep = beta > 1.0
    b_steep = np.where(steep, beta, 2.0)
    u_peak = np.where(steep, -2.0 * (np.arctanh(1.0 / b_steep) / b_steep), 0.0)
    peak = _log_slope(u_peak, lab, beta)[0]
    keep = np.flatnonzero(np.where(steep, peak > 0, np.where(beta < 1.0, True, al > 1.0)))
    two = cand[keep]
    lab, be, u_pk = lab[keep], beta[keep], u_peak[keep]
    ua = np.full(two.size, -np.inf)
    # L(u) <= lab - log 4 - u everywhere, and L(u) <= lab - (1 + beta) u for u >= 0: the
    # second bound is the sharp one for steep switches (b just above y = 1).
    sharp = np.where(lab >= 0, lab / (1.0 + be), np.inf)
    b_start = np.maximum(np.minimum(lab - np.log(4.0), sharp), u_pk)
    ub = _monotone_newton(lab, be, b_start)
    rising = np.flatnonzero(be > 1.0)
    if rising.size:
        lr, br = lab[rising], be[rising]
        a_start = np.minimum(-lr / (br - 1.0), u_pk[rising])
        ua[rising] = _monotone_newton(lr, br, a_start)
    # One ulp outwards in y: harmless where f' = 0, and for a switch steeper than the spacing of
    # doubles near y = 1 (beta >= 1e14 or so) it keeps a and b off the jump, where f has the
    # sign of its neighbours.
    with np.errstate(over="ignore"):
        a = np.nextafter(np.exp(ua), 0.0)
        b = np.nextafter(np.exp(ub), np.inf)
    return two, a, np.minimum(b, np.finfo(np.float64).max)


def _solve_falling(
    alpha: np.ndarray, beta: np.ndarray, lo: np.ndarray, hi: np.ndarray, *, sign: float = 1.0
) -> np.ndarray:
    """The root of ``sign * f`` on ``[lo, hi]``, where it falls from ``>= 0`` to ``<= 0``.

    The start is the fixed-point image ``c + alpha h(.)`` of the bracket end that bounds the
    root (``h`` rises, so for a falling piece ``c + alpha h(lo) <= root`` when ``alpha > 0``,
    ``c + alpha h(hi) <= root`` when ``alpha <= 0``), or the midpoint if it is not inside.
    """
    if lo.size == 0:
        return lo.copy()
    mid = lo + 0.5 * (hi - lo)
    end = np.where(alpha > 0, lo, hi) if sign > 0 else mid
    with np.errstate(over="ignore", invalid="ignore"):
        x0 = BASAL + alpha * _hill_parts(end, beta, 0)[0] if sign > 0 else end
    x0 = np.where((x0 >= lo) & (x0 <= hi), x0, mid)

    def g(x: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        f, df = _f_df_pos(x, alpha[idx], beta[idx])
        if sign < 0:
            return -f, -df
        return f, df

    return _bracketed_newton(g, lo, hi, x0)


def equilibria(alpha: Any, beta: Any) -> tuple[np.ndarray, np.ndarray]:
    """All steady states of every individual: the roots of ``f`` on ``y >= 0``.

    Parameters
    ----------
    alpha, beta : (n,) arrays
        Parameters, ``beta > 0``; any finite doubles (converted to float64).

    Returns
    -------
    roots : (n, 3) float64 array
        Each row's roots in increasing order, padded with NaN on the right. A row with three
        roots is bistable: the outer two are stable, the middle one unstable. Each root is
        within a few ulps of an exact root (``f`` changes sign there); where ``f`` is steep
        (large ``alpha`` or ``beta``) that bounds ``|f|`` only by ``|f'|`` times a few ulps.
    count : (n,) int array
        The number of roots in each row, 1 or 3 (2 only exactly at a fold).

    Examples
    --------
    >>> roots, count = equilibria([0.5, 2.0], [5.0, 5.0])
    >>> count.tolist()
    [1, 3]
    >>> bool(np.isnan(roots[0, 1:]).all())
    True
    """
    al, be = _params(alpha, beta)
    n = al.size
    roots = np.full((n, 3), np.nan)
    count = np.ones(n, dtype=np.intp)
    two, a, b = _critical_points(al, be)
    mono = np.ones(n, dtype=bool)
    mono[two] = False
    m = np.flatnonzero(mono)
    pos_m = al[m] > 0
    roots[m, 0] = _solve_falling(
        al[m], be[m], np.where(pos_m, BASAL, 0.0), BASAL + np.maximum(al[m], 0.0)
    )
    if two.size:
        al2, be2 = al[two], be[two]
        # [pieces-start]
        fa = _f_df_pos(a, al2, be2)[0]
        fb = _f_df_pos(b, al2, be2)[0]
        found = np.full((two.size, 3), np.nan)
        low = np.flatnonzero(fa <= 0)  # f(0) = c > 0 >= f(a): a root on [0, a]
        found[low, 0] = _solve_falling(al2[low], be2[low], np.zeros(low.size), a[low])
        mid = np.flatnonzero((fa < 0) & (fb > 0))  # rising through 0 on [a, b]: unstable
        found[mid, 1] = _solve_falling(al2[mid], be2[mid], a[mid], b[mid], sign=-1.0)
        high = np.flatnonzero(fb >= 0)  # f(b) >= 0 > f(c + alpha): a root on [b, c + alpha]
        found[high, 2] = _solve_falling(al2[high], be2[high], b[high], BASAL + al2[high])
        # [pieces-end]
        # Pack left; a fold (f(a) = 0 or f(b) = 0 exactly) would give a duplicate.
        dup = np.zeros(found.shape, dtype=bool)
        dup[:, 1:] = found[:, 1:] == found[:, :-1]
        found[dup] = np.nan
        order = np.argsort(np.isnan(found), axis=1, kind="stable")
        found = np.take_along_axis(found, order, axis=1)
        roots[two] = found
        count[two] = np.sum(~np.isnan(found), axis=1)
    return roots, count


def steady_state_roots(alpha: Any, beta: Any, y0: Any) -> np.ndarray:
    """The steady state each individual's flow reaches from ``y0``, as a root of ``f``.

    A scalar ODE ``y' = f(y)`` moves monotonically from ``y0`` in the direction of
    ``sign f(y0)`` and stops at the first root it meets. Where ``f`` is monotone (``alpha <= 0``,
    or ``alpha h'`` never above 1) the root is unique and lies in ``[0, c]`` (``alpha <= 0``) or
    ``[c, c + alpha]``, whatever ``y0``. Otherwise, with the critical points ``a < b`` of ``f``
    (falling on ``[0, a]``, rising on ``[a, b]``, falling beyond ``b``), the root lies on a
    *falling* piece, in a bracket chosen per individual:

    ========================  ===================================  ====================
    ``sign f(y0)``            where                                 bracket
    ========================  ===================================  ====================
    ``+`` (flow goes up)      ``y0 < a`` and ``f(a) <= 0``          ``[y0, a]``
    ``+``                     otherwise, ``y0 < b``                 ``[b, c + alpha]``
    ``+``                     ``y0 >= b``                           ``[y0, c + alpha]``
    ``-`` (flow goes down)    ``y0 > b`` and ``f(b) >= 0``          ``[b, y0]``
    ``-``                     otherwise, ``y0 > a``                 ``[0, a]``
    ``-``                     ``y0 <= a``                           ``[0, y0]``
    ========================  ===================================  ====================

    and a bracketed Newton iteration finds it for all individuals at once.

    Parameters
    ----------
    alpha, beta : (n,) arrays
        Each individual's parameters; ``beta > 0``. Any finite doubles (every real dtype is
        converted to float64).
    y0 : float or (n,) array
        Initial states, ``>= 0``; a scalar is used for every individual.

    Returns
    -------
    y : (n,) float64 array
        The steady states, each within a few ulps of an exact root of ``f`` (``f`` changes sign
        there), so that ``|f(y)| <= 1e-12`` for parameters of order one (the question's
        ``alpha ~ N(0, 1)``, ``beta ~ N(5, 1)``). Where ``f`` is very steep (``|alpha|`` or
        ``beta`` huge) no double makes ``|f|`` small; the root is then still right to a few ulps.

    Raises
    ------
    ValueError
        If ``alpha``, ``beta`` or ``y0`` is NaN, infinite or empty, the shapes do not match
        ``(n,)``, ``beta <= 0`` or ``y0 < 0``.
    TypeError
        If an input is not a real numeric array.

    Examples
    --------
    >>> y = steady_state_roots([0.5, 2.0], [5.0, 5.0], 0.0)
    >>> [round(v, 6) for v in y.tolist()]
    [0.123014, 0.123056]
    >>> round(float(steady_state_roots([2.0], [5.0], 1.0)[0]), 6)  # bistable: the high state
    2.071962
    """
    al, be = _params(alpha, beta)
    y = _initial(y0, al.size)
    out = np.empty_like(y)
    two, a, b = _critical_points(al, be)
    mono = np.ones(al.size, dtype=bool)
    mono[two] = False
    # [monotone-start] one root, whatever y0; y0 > 0 only narrows the bracket
    m = np.flatnonzero(mono)
    al_m, be_m, y_m = al[m], be[m], y[m]
    lo = np.where(al_m > 0, BASAL, 0.0)
    top = BASAL + np.maximum(al_m, 0.0)
    inner = np.flatnonzero((y_m > 0) & (y_m >= lo) & (y_m <= top))
    if inner.size:
        f_in = _f_df_pos(y_m[inner], al_m[inner], be_m[inner])[0]
        lo[inner[f_in >= 0]] = y_m[inner[f_in >= 0]]
        top[inner[f_in <= 0]] = y_m[inner[f_in <= 0]]
    at_root = lo == top  # f(y0) = 0 (the flow stays there), or a bracket of one double
    out[m] = np.where(at_root, lo, 0.0)
    move = np.flatnonzero(~at_root)
    out[m[move]] = _solve_falling(al_m[move], be_m[move], lo[move], top[move])
    # [monotone-end]
    if two.size:
        al2, be2, y2 = al[two], be[two], y[two]
        fy = np.full(two.size, BASAL)  # f(0) = c
        started = np.flatnonzero(y2 > 0)
        fy[started] = _f_df_pos(y2[started], al2[started], be2[started])[0]
        fa = _f_df_pos(a, al2, be2)[0]
        fb = _f_df_pos(b, al2, be2)[0]
        hi = BASAL + al2
        up, down = fy > 0, fy < 0
        # [bracket-start] the six cases of the table, as vectors of shape (m,)
        first = up & (y2 < a) & (fa <= 0)
        lo = np.select(
            [first, up & (y2 < b), up, down & (y2 > b) & (fb >= 0), down],
            [y2, b, y2, b, np.zeros_like(y2)],
            default=y2,
        )
        top = np.select(
            [first, up & (y2 < b), up, down & (y2 > b) & (fb >= 0), down & (y2 > a)],
            [a, hi, hi, y2, a],
            default=y2,
        )
        # [bracket-end]
        res = y2.copy()  # f(y0) = 0: the flow stays at y0
        move = np.flatnonzero(up | down)
        res[move] = _solve_falling(al2[move], be2[move], lo[move], top[move])
        out[two] = res
    return out


# --------------------------------------------------------------------------------------------
# The same by integration
# --------------------------------------------------------------------------------------------
#: The parameters ``steady_state_ivp`` integrates; :func:`steady_state_roots` has no limits.
_IVP_ALPHA_MAX = 10.0
_IVP_BETA = (0.5, 50.0)
_IVP_Y0_MAX = 100.0


def _ivp_range(
    name: str, x: np.ndarray, low: float, high: float, what: str, absolute: bool = False
) -> None:
    """Refuse ``x`` (compared by ``|x|`` if ``absolute``) outside ``[low, high]``, naming the
    argument, how many entries are outside, their values' span and the first one."""
    tested = np.abs(x) if absolute else x
    bad = np.flatnonzero((tested < low) | (tested > high))
    if bad.size:
        allowed = f"[{low:g}, {high:g}]" if low > 0 else f"{high:g}"
        out = x[bad]
        raise ValueError(
            f"{name} outside the range steady_state_ivp integrates ({what}{allowed}): "
            f"{bad.size} of {x.size} entries, from {out.min():g} to {out.max():g} (the first: "
            f"entry {int(bad[0])}, {x[bad[0]]:g}); use steady_state_roots, which has no such "
            f"limit, for all of them, or for these entries and steady_state_ivp for the rest "
            f"(outside='roots' does that)"
        )


def _method(method: Any, t_end: float) -> str:
    """``method`` spelled as ``solve_ivp`` wants it; names are matched ignoring case."""
    if not isinstance(method, str):
        raise TypeError(
            f"method must be a str, one of {_IMPLICIT} (any case), got {type(method).__name__}"
        )
    canonical = {m.lower(): m for m in _IMPLICIT}.get(method.lower())
    if canonical is None:
        raise ValueError(
            f"method must be one of {_IMPLICIT} (any case; implicit, because the problem is "
            f"stiff over t_end = {t_end:g}), got {method!r}"
        )
    return canonical


def steady_state_ivp(
    alpha: Any,
    beta: Any,
    y0: Any,
    *,
    t_end: float = 1e6,
    method: str = "LSODA",
    rtol: float = 1e-8,
    atol: float = 1e-10,
    outside: str = "raise",
) -> np.ndarray:
    """The steady states by integrating the whole population to ``t_end`` in one ``solve_ivp``.

    The ``n`` equations are independent, so the Jacobian is diagonal; it is passed analytically
    (as a sparse CSC matrix for ``"BDF"`` and ``"Radau"``, in LSODA's packed banded format with
    zero bandwidth for ``"LSODA"``), and each Newton step of the implicit solver costs O(n).

    Parameters
    ----------
    alpha, beta : (n,) arrays
        Parameters with ``|alpha| <= 10`` and ``0.5 <= beta <= 50``. The integration is
        checked against :func:`steady_state_roots` in this range; it is not a known failure
        boundary, but outside it the input is refused. A draw of ``beta ~ N(5, 1)`` falls
        below 0.5, negative values included, with probability about 3.4e-6, so a population of
        10**5 holds one with probability about 29%, and one of 10**6 about 97%: with the default
        ``outside="raise"`` a call on a population of 10**6 almost always raises. For large
        populations use :func:`steady_state_roots`, which has no such limits, or integrate only
        the individuals inside the range (``outside="roots"``).
    y0 : float or (n,) array
        Initial states, ``0 <= y0 <= 100``.
    t_end : float, optional
        Final time; the state there is taken as the steady state once it has settled: its
        residual ``|f|`` is at most ``rtol * |y| + atol``, times ``|f'|`` where ``|f'| > 1``.
    method : {"LSODA", "BDF", "Radau"}, optional
        An implicit method, ``"LSODA"`` by default; the name is matched ignoring case (``"bdf"``
        is ``"BDF"``), the one rule for every string option of this module. LSODA's error test
        is a weighted maximum norm, so every individual's error counts in full; BDF and Radau
        test the root-mean-square over all ``n`` individuals (see ``rtol``). Explicit methods
        are refused: a steady state at ``t = 1e6`` would cost them on the order of a million
        stability-limited steps.
    rtol, atol : float, optional
        Tolerances. BDF and Radau control the root-mean-square of the scaled error over all
        ``n`` individuals, so one individual's error can be up to ``sqrt(n)`` times larger, and
        a start near an unstable steady state can end in the wrong basin. A wrong *stable* state
        has a tiny :func:`residual` too: compare with :func:`steady_state_roots` from the same
        ``y0``.
    outside : {"raise", "roots"}, optional
        Individuals whose ``alpha``, ``beta`` or ``y0`` lie outside the ranges above:
        ``"raise"`` (the default) refuses the call; ``"roots"`` takes them from
        :func:`steady_state_roots` (same ``y0``), integrates the others, and reports them with
        a ``UserWarning`` that counts them and names the first. Matched ignoring case.

    Returns
    -------
    y : (n,) array
        The state of every individual at ``t_end``.

    Raises
    ------
    ValueError
        For invalid inputs (as :func:`steady_state_roots`), a parameter outside the range above
        with ``outside="raise"`` (the message counts the entries outside and points to
        :func:`steady_state_roots`), a non-positive ``t_end``, ``rtol`` or ``atol``, a method
        that is not implicit, or an ``outside`` other than ``"raise"`` and ``"roots"``.
    RuntimeError
        If ``solve_ivp`` reports a failure; if an individual has not settled by ``t_end`` (the
        message names the first one and its residual; use a larger ``t_end``); or if it ends on
        an unstable steady state (``f' > 0``), which its long implicit steps can make attracting.
    """
    al, be = _params(alpha, beta)
    y = _initial(y0, al.size)
    t_end = as_scalar("t_end", t_end, low=0.0, low_open=True)
    rtol = as_scalar("rtol", rtol, low=0.0, low_open=True)
    atol = as_scalar("atol", atol, low=0.0, low_open=True)
    method = _method(method, t_end)
    if not isinstance(outside, str) or outside.lower() not in ("raise", "roots"):
        raise (ValueError if isinstance(outside, str) else TypeError)(
            f"outside must be 'raise' or 'roots' (any case), got {outside!r}"
        )
    if outside.lower() == "roots":
        inside = (
            (np.abs(al) <= _IVP_ALPHA_MAX)
            & (be >= _IVP_BETA[0])
            & (be <= _IVP_BETA[1])
            & (y >= 0.0)
            & (y <= _IVP_Y0_MAX)
        )
        if not inside.all():
            out = steady_state_roots(al, be, y)
            first = int(np.flatnonzero(~inside)[0])
            warnings.warn(
                f"{int((~inside).sum())} of {al.size} individuals outside the range "
                f"steady_state_ivp integrates (the first: entry {first}) were taken from "
                "steady_state_roots",
                UserWarning,
                stacklevel=2,
            )
            if inside.any():
                out[inside] = steady_state_ivp(
                    al[inside],
                    be[inside],
                    y[inside],
                    t_end=t_end,
                    method=method,
                    rtol=rtol,
                    atol=atol,
                )
            return out
    _ivp_range("alpha", al, 0.0, _IVP_ALPHA_MAX, "|alpha| <= ", absolute=True)
    _ivp_range("beta", be, _IVP_BETA[0], _IVP_BETA[1], "beta in ")
    _ivp_range("y0", y, 0.0, _IVP_Y0_MAX, "y0 <= ")

    def rhs(t: float, yy: np.ndarray) -> np.ndarray:
        return _f(yy, al, be)

    # [jacobian-start]
    kwargs = {}
    if method == "LSODA":
        kwargs.update(lband=0, uband=0, jac=lambda t, yy: _f_df(yy, al, be)[1][None, :])
    else:
        kwargs["jac"] = lambda t, yy: sp.diags_array(_f_df(yy, al, be)[1], format="csc")
    # [jacobian-end]
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
    y_end = sol.y[:, -1]
    f_end, df_end = _f_df(y_end, al, be)
    # Settled: the residual |f| within the tolerance, times the slope where steeper than 1
    # (then |f / f'|, the distance to the root, is within it). A converged run ends orders of
    # magnitude inside this bound; a state still moving at t_end is far outside it.
    moving = np.flatnonzero(
        ~(np.abs(f_end) <= (rtol * np.abs(y_end) + atol) * np.maximum(1.0, np.abs(df_end)))
    )
    if moving.size:
        i = int(moving[0])
        raise RuntimeError(
            f"solve_ivp ({method}) did not settle by t_end = {t_end:g} for {moving.size} "
            f"individual(s), first y[{i}] = {y_end[i]:.3g} with residual |f| = "
            f"{abs(f_end[i]):.3g}: the state is still moving; use a larger t_end"
        )
    # Long implicit steps make an unstable steady state attracting (backward Euler's factor
    # 1 / (1 - h f') has modulus below 1 once h f' > 2), and f = 0 there: refuse such an end.
    unstable = np.flatnonzero(df_end > 0)
    if unstable.size:
        i = int(unstable[0])
        lsoda = "" if method == "LSODA" else " use method='LSODA',"  # never the one in use
        raise RuntimeError(
            f"solve_ivp ({method}) ended on an unstable steady state (f' > 0) for "
            f"{unstable.size} individual(s), first y[{i}] = {y_end[i]:.3g}, which no flow from "
            f"another start reaches; tighten rtol and atol,{lsoda} or use steady_state_roots"
        )
    return y_end


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
