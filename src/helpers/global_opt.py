"""Differential evolution followed by a local polish, on the Ackley function.

Chapter 3 of the book ("Differential evolution, then SLSQP") uses this module. It provides

* :func:`ackley`, the Ackley test function in a cancellation-free form, for one point ``(d,)``
  or for ``S`` points stored as the columns of a ``(d, S)`` array (the layout
  ``scipy.optimize.differential_evolution(..., vectorized=True)`` passes);
* :func:`ackley_textbook`, the usual textbook formula, kept as an independent reference and to
  reproduce the rounding behaviour readers meet in practice;
* :func:`ackley_gradient`, the analytic gradient, with the zero subgradient at the kink ``x = 0``;
* :func:`constraint_violation`, the largest violation of a set of SciPy constraints at a point;
* :func:`de_then_polish`, differential evolution followed by a local method started from DE's
  best point, which keeps DE's point whenever the local result is worse, leaves the bounds or
  violates a constraint;
* :func:`cobyla_from_spread`, COBYLA's options from DE's result (a first step as wide as DE's
  last population), for ``local_options`` of :func:`de_then_polish`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy.optimize import (
    Bounds,
    LinearConstraint,
    NonlinearConstraint,
    OptimizeResult,
    differential_evolution,
    minimize,
)

from helpers._validation import as_real_array, as_rng, as_scalar

__all__ = [
    "FEASIBILITY_ATOL",
    "LOCAL_METHODS",
    "ROUNDING_SHARE",
    "TRADE_LIMIT",
    "ackley",
    "ackley_gradient",
    "ackley_textbook",
    "as_constraint_list",
    "band",
    "cobyla_from_spread",
    "constraint_violation",
    "de_then_polish",
    "polish_acceptance",
]

#: Default absolute tolerance on a constraint violation below which a point counts as feasible
#: (``feasibility_atol`` of :func:`de_then_polish` and :func:`polish_acceptance`). Local solvers
#: such as SLSQP meet an active constraint only to rounding (``sum(x) = 1 - 1e-16``).
FEASIBILITY_ATOL = 1e-9

#: Between two feasible points, violations up to ``ROUNDING_SHARE * feasibility_atol`` (``1e-14``
#: by default, about 45 ulps of a constraint of size 1) count as rounding: above it, a point that
#: violates more is not kept for a lower value (:func:`polish_acceptance`). It is also COBYLA's
#: default ``catol`` in :func:`de_then_polish`. A share, to scale with ``feasibility_atol``.
ROUNDING_SHARE = 1e-5

#: A lower value that comes with more violation than the other point's (beyond rounding) is kept
#: only if it is lower by more than a limit times the extra violation: just outside an
#: active constraint with multiplier ``lambda``, a violation ``v`` lowers ``f`` by about
#: ``lambda v``, so a drop this much larger is a real improvement, not one bought by violating
#: (:func:`polish_acceptance`). Rounding on a constraint of size 10 is already ``1e-14`` and more.
#: Multipliers scale with ``f``, so the default ``trade_limit=None`` of :func:`de_then_polish` and
#: :func:`polish_acceptance` scales it too: ``TRADE_LIMIT * max(1, |f_local|)``, with ``f_local``
#: the lower value. It tells the two apart where the active multipliers are below that limit.
TRADE_LIMIT = 1e3

#: Floats at least this large in magnitude are integers, where ``sin(pi x)`` and ``sin(2 pi x)`` are
#: exactly ``0`` and ``cos(2 pi x)`` is exactly ``1``; they are replaced by ``0`` before ``pi x``
#: is formed (which would be meaningless, and overflows above about ``5.7e307``).
_INTEGER_ONLY = 2.0**52

#: Where the plain ``r = sqrt(sum(x**2) / d)`` is accurate: no square overflows and the largest
#: does not underflow. Points with ``sum(x**2)`` outside take the scaled path (``_careful_r``).
_PLAIN_LOW, _PLAIN_HIGH = 1e-290, 1e290
#: ``hypot(*x)`` below this guarantees that ``sum(x**2)`` does not overflow.
_HYPOT_PLAIN = 2e145
#: Up to this ``sum(x**2)`` (every ``|x_i| <= 64``), ``pi x`` is formed directly; beyond, ``x`` is
#: first reduced exactly, ``fmod(x, 2)``, since ``pi x`` carries an error of ``|x| eps``.
_PERIOD_PLAIN = 4096.0

#: :func:`cobyla_from_spread`: COBYLA's first step ``rhobeg`` is at least this (COBYLA replaces
#: ``rhobeg = 0``, what a converged population gives, by ``1``), and its final step ``tol``.
_COBYLA_RHOBEG_FLOOR, _COBYLA_TOL = 1e-3, 1e-14

#: The Ackley parameters ``a, b, c`` of :func:`ackley` (the common choice).
ACKLEY_A, ACKLEY_B, ACKLEY_C = 20.0, 0.2, 2.0 * np.pi

#: The ``minimize`` methods :func:`de_then_polish` accepts, spelled exactly as SciPy spells them.
LOCAL_METHODS = (
    "Nelder-Mead",
    "Powell",
    "CG",
    "BFGS",
    "Newton-CG",
    "L-BFGS-B",
    "TNC",
    "COBYLA",
    "COBYQA",
    "SLSQP",
    "trust-constr",
)
_BOUNDS_METHODS = frozenset(
    {"Nelder-Mead", "Powell", "L-BFGS-B", "TNC", "COBYLA", "COBYQA", "SLSQP", "trust-constr"}
)
_CONSTRAINT_METHODS = frozenset({"COBYLA", "COBYQA", "SLSQP", "trust-constr"})
_GRADIENT_FREE_METHODS = frozenset({"Nelder-Mead", "Powell", "COBYLA", "COBYQA"})
_JAC_REQUIRED_METHODS = frozenset({"Newton-CG"})

Constraint = NonlinearConstraint | LinearConstraint | Bounds | Mapping[str, Any]


# --------------------------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------------------------


def _as_points(x: Any, name: str = "x", check_finite: bool = True) -> np.ndarray:
    """``x`` as a float64 array of shape ``(d,)`` or ``(d, S)``, or a clear error.

    With ``check_finite=False`` the caller checks finiteness itself, folded into a reduction
    it computes anyway (see :func:`ackley`).
    """
    arr = as_real_array(name, x, allow_empty=True, check_finite=check_finite)
    if arr.ndim not in (1, 2):
        raise ValueError(
            f"{name} must have shape (d,) for one point or (d, S) for S points as columns, "
            f"got shape {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must have at least one coordinate, got shape {arr.shape}")
    # S = 0 columns is allowed: constrained vectorized DE evaluates only its feasible trial points
    # and passes a (d, 0) array when there are none; the answer is then an empty (0,) array.
    return arr


def _as_bounds(bounds: Any) -> np.ndarray:
    """``bounds`` (a ``Bounds`` or a sequence of ``(low, high)`` pairs) as a ``(d, 2)`` array."""
    if isinstance(bounds, Bounds):
        lb, ub = np.broadcast_arrays(np.atleast_1d(bounds.lb), np.atleast_1d(bounds.ub))
        if lb.ndim != 1:
            raise ValueError(
                f"bounds: Bounds.lb and Bounds.ub must be 1-D (one entry per variable), got "
                f"shape {lb.shape}"
            )
        arr = np.column_stack([lb, ub])
    else:
        arr = as_real_array("bounds", bounds, allow_empty=True, check_finite=False)
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
        raise ValueError(
            f"bounds must have shape (d, 2), one (low, high) pair per variable, got shape "
            f"{arr.shape}"
        )
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(
            "bounds must be finite (differential evolution samples the whole box), "
            f"got NaN or inf in bounds of shape {arr.shape}"
        )
    bad = np.flatnonzero(arr[:, 0] > arr[:, 1])
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"bounds[{i}] has low > high: ({arr[i, 0]}, {arr[i, 1]}); each pair is (low, high)"
        )
    with np.errstate(over="ignore"):  # DE scales by high - low and centres on (low + high) / 2
        wide = ~np.isfinite(arr[:, 1] - arr[:, 0]) | ~np.isfinite(arr[:, 1] + arr[:, 0])
    if wide.any():
        i = int(np.flatnonzero(wide)[0])
        raise ValueError(
            f"bounds[{i}] = ({arr[i, 0]}, {arr[i, 1]}) overflows float64 in differential "
            f"evolution's scaling; the supported range is |high - low| <= "
            f"{np.finfo(np.float64).max:.4g} and |high + low| <= {np.finfo(np.float64).max:.4g}"
        )
    return arr


# --------------------------------------------------------------------------------------------
# The Ackley function
# --------------------------------------------------------------------------------------------


def _periodic_part(x: np.ndarray) -> np.ndarray:
    """``x`` with every entry of magnitude ``>= 2**52`` (an integer) replaced by ``0``.

    ``sin(pi x)``, ``sin(2 pi x)`` and ``cos(2 pi x)`` are unchanged by it, exactly, and
    ``pi x`` can no longer overflow. Returns ``x`` itself when nothing needs replacing.
    """
    big = np.abs(x) >= _INTEGER_ONLY
    return np.where(big, 0.0, x) if big.any() else x


def _careful_r(x: np.ndarray) -> np.ndarray:
    """The root-mean-square radius ``r`` of the columns of ``x`` for any finite values: ``(S,)``.

    Scaled by ``max |x_i|``, so that squares neither underflow (tiny ``x`` keep full relative
    accuracy: ``f ~ 4 r`` stays resolved down to ``1e-308``) nor overflow.
    """
    scale = np.max(np.abs(x), axis=0)
    y = x / np.where(scale == 0.0, 1.0, scale)
    return scale * np.sqrt(np.add.reduce(y * y, axis=0) / x.shape[0])


def _ackley_columns(x: np.ndarray) -> np.ndarray:
    """Ackley of the columns of a validated, finite ``(d, S)`` array: ``(S,)``.

    The columns are made contiguous first: numpy then sums each column in the same order as a
    single ``(d,)`` point (:func:`_ackley_point`), so both agree bit for bit (for ``d >= 8`` a
    C-ordered reduction would add in another order and differ in the last bits).
    ``differential_evolution(..., vectorized=True)`` already passes Fortran-ordered arrays.
    """
    x = np.asfortranarray(x)
    d = x.shape[0]
    with np.errstate(over="ignore"):  # huge columns overflow here and are redone below
        sq = np.add.reduce(x * x, axis=0)  # (S,) |x|^2
    r = np.sqrt(sq / d)  # (S,) root-mean-square radius
    careful = ~((sq >= _PLAIN_LOW) & (sq <= _PLAIN_HIGH))
    if careful.any():  # tiny, zero or huge columns: r without underflow or overflow
        r = np.where(careful, _careful_r(x), r)
    far = ~(sq <= _PERIOD_PLAIN)  # |x|^2 > 64^2: conservative (any |x_i| > 64 is in)
    u = np.where(far, np.fmod(x, 2.0), x) if far.any() else x
    t = np.sin(np.pi * u)
    s = np.add.reduce(t * t, axis=0) / d  # (S,) = (1 - mean cos(2 pi x)) / 2
    # 20 (1 - e^{-0.2 r}) + e (1 - e^{-2 s}): two non-negative terms, no cancellation.
    return -ACKLEY_A * np.expm1(-ACKLEY_B * r) - np.e * np.expm1(-2.0 * s)


def _ackley_point(x: np.ndarray) -> float:
    """Ackley of one validated ``(d,)`` point: the arithmetic of :func:`_ackley_columns`.

    The same operations in the same order on one column, chosen by the same tests on
    ``sum(x * x)``, so the result is the same bits. Finiteness is checked on ``hypot(*x)``,
    which also guards the squares against overflow (and raises no floating-point warnings):
    only when it is not finite is the array scanned for the culprit.
    """
    if not math.hypot(*x.tolist()) <= _HYPOT_PLAIN:  # NaN, inf or huge values
        as_real_array("x", x)  # raises the standard message for NaN or inf
        return float(_ackley_columns(x[:, None])[0])
    sq = float(np.add.reduce(x * x))
    if not _PLAIN_LOW <= sq <= _PLAIN_HIGH:  # tiny, zero or huge: the careful r
        return float(_ackley_columns(x[:, None])[0])
    d = x.shape[0]
    r = math.sqrt(sq / d)
    u = np.fmod(x, 2.0) if sq > _PERIOD_PLAIN else x
    t = np.sin(np.pi * u)
    s = float(np.add.reduce(t * t)) / d
    e_r, e_s = np.expm1(np.array([-ACKLEY_B * r, -2.0 * s]))  # numpy's expm1, as for columns
    return -ACKLEY_A * float(e_r) - np.e * float(e_s)


def ackley(x: np.ndarray) -> float | np.ndarray:
    """The Ackley function, for one point or for the columns of an array.

    .. math:: f(x) = 20\\,(1 - e^{-0.2\\,r}) + e\\,(1 - e^{-2 s}),\\quad
              r = \\sqrt{\\tfrac1d \\textstyle\\sum_i x_i^2},\\quad
              s = \\tfrac1d \\textstyle\\sum_i \\sin^2(\\pi x_i),

    which equals the textbook form :func:`ackley_textbook` (since
    ``cos(2 pi t) = 1 - 2 sin(pi t)**2``) but never subtracts nearly equal numbers: ``f(0)``
    is exactly ``0`` and ``f(x) >= 0`` everywhere, with full relative accuracy near the minimum.

    Parameters
    ----------
    x : (d,) or (d, S) array
        One point, or ``S`` points stored as columns (the layout that
        ``differential_evolution(..., vectorized=True)`` passes). Any finite value of float64's
        range is handled. Integer and float32 inputs are computed in float64 (the dtype rule of
        every function in this module). ``S = 0`` is allowed and gives an empty result:
        constrained vectorized DE passes ``(d, 0)`` when none of its trial points is feasible.

    Returns
    -------
    f : float or (S,) array
        ``f(x)`` for a ``(d,)`` input; ``f(x[:, j])`` for every column of a ``(d, S)`` input.

    Raises
    ------
    TypeError
        If ``x`` is not a real numeric array.
    ValueError
        If ``x`` has no coordinates (``d = 0``), is not 1-D or 2-D, or contains NaN or inf.

    Examples
    --------
    >>> import numpy as np
    >>> float(ackley(np.zeros(4)))
    0.0
    >>> ackley(np.array([[0.0, 1.0], [0.0, 0.0]])).shape
    (2,)
    """
    arr = _as_points(x, check_finite=False)  # validated once; finiteness in _ackley_point
    if arr.ndim == 1:  # the same arithmetic as one column, so both paths agree bit for bit
        return _ackley_point(arr)
    if not np.isfinite(arr).all():
        as_real_array("x", arr)  # raises the standard message
    return _ackley_columns(arr)


def ackley_textbook(x: np.ndarray) -> float | np.ndarray:
    """The textbook formula of the Ackley function (rounding-limited near its minimum).

    .. math:: f(x) = 20 + e - 20\\,e^{-0.2\\,r} - e^{\\frac1d \\sum_i \\cos(2\\pi x_i)}

    Mathematically equal to :func:`ackley`, but it subtracts numbers close to ``20 + e``, so
    its absolute error is about ``1e-15``: ``f(0)`` comes out as ``-4.4e-16`` and every point
    with ``|x| < 1e-16`` or so has the same value as ``0``. Use it as an independent reference.

    Parameters
    ----------
    x : (d,) or (d, S) array
        One point, or ``S`` points stored as columns.

    Returns
    -------
    f : float or (S,) array
        As for :func:`ackley`.

    Raises
    ------
    TypeError, ValueError
        As for :func:`ackley`.
    """
    arr = _as_points(x)
    cols = arr[:, None] if arr.ndim == 1 else arr
    d = cols.shape[0]
    with np.errstate(over="ignore"):  # |x| > 1.3e154: r = inf, and exp(-0.2 r) = 0 is right
        r = np.sqrt(np.sum(cols**2, axis=0) / d)
    mean_cos = np.sum(np.cos(ACKLEY_C * _periodic_part(cols)), axis=0) / d
    f = ACKLEY_A + np.e - ACKLEY_A * np.exp(-ACKLEY_B * r) - np.exp(mean_cos)
    return float(f[0]) if arr.ndim == 1 else f


def ackley_gradient(x: np.ndarray) -> np.ndarray:
    """The gradient of :func:`ackley`, with the subgradient ``0`` at the kink ``x = 0``.

    .. math:: \\nabla f(x) = \\frac{4}{\\sqrt d}\\, e^{-0.2 r}\\, \\frac{x}{\\lVert x \\rVert}
              + \\frac{2\\pi}{d}\\, e^{1 - 2 s}\\, \\sin(2\\pi x)

    The first term is undefined at ``x = 0``, where ``f`` has a cone-shaped kink; there the
    subdifferential is the ball of radius ``4 / sqrt(d)`` and this function returns its centre,
    ``0``, which is the optimality condition at the global minimiser. ``x / |x|`` is computed
    after scaling by ``max |x_i|``, so it stays accurate for subnormal inputs.

    Parameters
    ----------
    x : (d,) or (d, S) array
        One point, or ``S`` points stored as columns.

    Returns
    -------
    g : (d,) or (d, S) array
        The gradient at each point, shaped like ``x``.

    Raises
    ------
    TypeError, ValueError
        As for :func:`ackley`.

    Examples
    --------
    >>> import numpy as np
    >>> ackley_gradient(np.zeros(3))
    array([0., 0., 0.])
    """
    arr = _as_points(x)
    cols = np.asfortranarray(arr[:, None] if arr.ndim == 1 else arr)  # see _ackley_columns
    d = cols.shape[0]
    scale = np.max(np.abs(cols), axis=0)  # (S,) max |x_i|, 0 only at the kink
    at_kink = scale == 0.0
    y = cols / np.where(at_kink, 1.0, scale)  # (d, S), entries in [-1, 1]
    norm_y = np.sqrt(np.sum(y * y, axis=0))  # (S,) >= 1 away from the kink
    unit = y / np.where(at_kink, 1.0, norm_y)  # (d, S) x / |x|, zero column at the kink
    r = scale * (norm_y / np.sqrt(d))  # (S,) root-mean-square radius, <= max |x_i|
    # exact reductions before pi x and 2 pi x are formed (no error of |x| eps, no overflow)
    s = np.sum(np.sin(np.pi * np.fmod(cols, 2.0)) ** 2, axis=0) / d  # (S,)
    radial = (ACKLEY_A * ACKLEY_B / np.sqrt(d)) * np.exp(-ACKLEY_B * r) * unit  # (d, S)
    periodic = (ACKLEY_C / d) * np.exp(1.0 - 2.0 * s) * np.sin(ACKLEY_C * np.fmod(cols, 1.0))
    g = radial + periodic
    return g[:, 0] if arr.ndim == 1 else g


# --------------------------------------------------------------------------------------------
# Constraints
# --------------------------------------------------------------------------------------------


def _dict_to_constraint(c: Mapping[str, Any], index: int) -> NonlinearConstraint:
    """An old-style ``{'type': 'ineq'|'eq', 'fun': f}`` dict as a ``NonlinearConstraint``."""
    kind = c.get("type")
    fun = c.get("fun")
    if kind not in ("ineq", "eq") or not callable(fun):
        raise ValueError(
            f"constraints[{index}] is a dict, so it needs 'type' in ('ineq', 'eq') and a "
            f"callable 'fun'; got type={kind!r}, fun={type(fun).__name__}"
        )
    args = tuple(c.get("args", ()))

    def constraint_fun(x: np.ndarray) -> np.ndarray:
        return np.asarray(fun(x, *args), dtype=np.float64)

    kwargs: dict[str, Any] = {}
    if callable(c.get("jac")):
        jac = c["jac"]
        kwargs["jac"] = lambda x: np.atleast_2d(np.asarray(jac(x, *args), dtype=np.float64))
    upper = 0.0 if kind == "eq" else np.inf
    return NonlinearConstraint(constraint_fun, 0.0, upper, **kwargs)


def as_constraint_list(constraints: Any) -> list[NonlinearConstraint | LinearConstraint | Bounds]:
    """Normalise constraints to a list of SciPy constraint objects.

    ``differential_evolution`` accepts only ``NonlinearConstraint``, ``LinearConstraint`` and
    ``Bounds``; ``minimize`` also accepts the old dict form. This converts
    ``{'type': 'ineq', 'fun': g}`` (meaning ``g(x) >= 0``) and ``{'type': 'eq', 'fun': h}``
    (``h(x) = 0``) so that one list serves both.

    Parameters
    ----------
    constraints : constraint, dict, or sequence of them
        ``()`` or ``None`` for none.

    Returns
    -------
    list
        The constraints as ``NonlinearConstraint``/``LinearConstraint``/``Bounds`` objects.

    Raises
    ------
    TypeError
        If an entry is none of the accepted kinds.
    ValueError
        If a dict lacks a valid ``'type'`` or a callable ``'fun'``.
    """
    if constraints is None:
        return []
    if isinstance(constraints, NonlinearConstraint | LinearConstraint | Bounds | Mapping):
        constraints = [constraints]
    if not isinstance(constraints, Sequence) or isinstance(constraints, str | bytes):
        raise TypeError(
            "constraints must be a NonlinearConstraint, LinearConstraint, Bounds, an old-style "
            f"dict, or a sequence of them; got {type(constraints).__name__}"
        )
    out: list[NonlinearConstraint | LinearConstraint | Bounds] = []
    for i, c in enumerate(constraints):
        if isinstance(c, NonlinearConstraint | LinearConstraint | Bounds):
            out.append(c)
        elif isinstance(c, Mapping):
            out.append(_dict_to_constraint(c, i))
        else:
            raise TypeError(
                f"constraints[{i}] must be a NonlinearConstraint, LinearConstraint, Bounds or "
                f"dict, got {type(c).__name__}"
            )
    return out


def _violation(values: np.ndarray, lb: Any, ub: Any) -> float:
    """The largest amount by which ``values`` leave ``[lb, ub]`` (0 inside)."""
    v = np.atleast_1d(np.asarray(values, dtype=np.float64)).reshape(-1)
    if np.isnan(v).any():
        return np.inf
    lb, ub = np.asarray(lb, dtype=np.float64), np.asarray(ub, dtype=np.float64)
    below = np.where(v < lb, lb - v, 0.0)  # -inf >= -inf counts as satisfied
    above = np.where(v > ub, v - ub, 0.0)
    return float(max(np.max(below), np.max(above), 0.0))


def constraint_violation(constraints: Any, x: np.ndarray) -> float:
    """The largest violation of ``constraints`` at the point ``x``.

    Parameters
    ----------
    constraints : constraint, dict, or sequence of them
        As accepted by :func:`as_constraint_list`.
    x : (d,) array
        The point.

    Returns
    -------
    float
        ``max(0, lb - c(x), c(x) - ub)`` over every component of every constraint: ``0.0`` for a
        feasible point (and when there are no constraints), ``inf`` if a constraint's value is
        not finite (including a value that overflows float64).

    Raises
    ------
    TypeError, ValueError
        For an invalid ``x`` (see :func:`ackley`) or invalid constraints.
    """
    point = _as_points(x)
    if point.ndim != 1:
        raise ValueError(f"x must be one point of shape (d,), got shape {point.shape}")
    worst = 0.0
    with np.errstate(over="ignore", invalid="ignore"):  # overflowing values count as inf
        for c in as_constraint_list(constraints):
            worst = max(worst, _one_violation(c, point))
    return worst


def _one_violation(c: NonlinearConstraint | LinearConstraint | Bounds, point: np.ndarray) -> float:
    """The violation of one constraint object at ``point``."""
    if isinstance(c, NonlinearConstraint):
        values = c.fun(point)
    elif isinstance(c, LinearConstraint):
        values = np.asarray(c.A @ point)  # A may be sparse
    else:  # Bounds used as a constraint
        values = point
    return _violation(values, c.lb, c.ub)


# --------------------------------------------------------------------------------------------
# DE, then a local method
# --------------------------------------------------------------------------------------------


def _scalar_value(fun: Callable[..., Any], x: np.ndarray, vectorized: bool) -> float:
    """``fun`` at one point, as a float (through the ``(d, 1)`` layout if vectorized)."""
    value = np.asarray(fun(x[:, None]) if vectorized else fun(x))
    if value.size != 1:
        layout = "(d, 1) -> (1,)" if vectorized else "(d,) -> scalar"
        raise ValueError(f"fun must map {layout}, got an output of shape {value.shape}")
    if value.dtype.kind not in "iuf":
        raise TypeError(f"fun must return a real number, got dtype {value.dtype}")
    return float(value.reshape(-1)[0])


def _bind_args(f: Callable[..., Any], args: tuple[Any, ...]) -> Callable[[np.ndarray], Any]:
    """``x -> f(x, *args)``."""

    def bound(x: np.ndarray) -> Any:
        return f(x, *args)

    return bound


@dataclass(frozen=True)
class _Problem:
    """The validated inputs of :func:`de_then_polish`."""

    fun: Callable[..., Any]
    jac: Callable[..., Any] | None
    box: np.ndarray  # (d, 2) finite (low, high) pairs
    constraints: list[NonlinearConstraint | LinearConstraint | Bounds]
    method: str  # as SciPy spells it
    local_options: dict[str, Any] | Callable[[OptimizeResult], Any]
    vectorized: bool
    de_options: dict[str, Any]
    stages: tuple[tuple[str, Any], ...] = ()  # (method, options) of every local stage
    feasibility_atol: float = FEASIBILITY_ATOL  # absolute: violations up to it count as none

    @property
    def d(self) -> int:
        return self.box.shape[0]


def _check_method(local_method: Any, constraints: list[Any], jac: Any) -> str:
    """``local_method`` as SciPy spells it, checked against the constraints and ``jac``."""
    if not isinstance(local_method, str):
        raise TypeError(f"local_method must be a string, got {type(local_method).__name__}")
    if local_method not in LOCAL_METHODS:
        spelled = {m.lower(): m for m in LOCAL_METHODS}.get(local_method.lower())
        hint = f" (did you mean {spelled!r}?)" if spelled else ""
        raise ValueError(
            f"local_method must be one of {', '.join(LOCAL_METHODS)}, spelled as SciPy spells "
            f"it, got {local_method!r}{hint}"
        )
    method = local_method
    if constraints and method not in _CONSTRAINT_METHODS:
        raise ValueError(
            f"local_method {method!r} cannot handle constraints; use SLSQP, COBYLA, "
            "COBYQA or trust-constr"
        )
    if jac is not None and not callable(jac):
        raise TypeError(f"jac must be callable or None, got {type(jac).__name__}")
    if jac is not None and method in _GRADIENT_FREE_METHODS:
        raise ValueError(f"jac is given, but local_method {method!r} does not use it")
    if jac is None and method in _JAC_REQUIRED_METHODS:
        raise ValueError(f"local_method {method!r} needs jac")
    return method


def _check_options(local_options: Any, name: str = "local_options") -> Any:
    """A mapping (copied), a callable of DE's result, or None (no options), else TypeError."""
    if not (local_options is None or isinstance(local_options, Mapping) or callable(local_options)):
        raise TypeError(
            f"{name} must be a mapping or a callable of DE's result returning one, got "
            f"{type(local_options).__name__}"
        )
    return local_options if callable(local_options) else dict(local_options or {})


def _check_stages(
    local_method: Any, local_options: Any, constraints: list[Any], jac: Any
) -> tuple[tuple[str, Any], ...]:
    """``(method, options)`` for each local stage: one method, or a list or tuple of them."""
    if not isinstance(local_method, tuple | list):
        return ((_check_method(local_method, constraints, jac), _check_options(local_options)),)
    if not local_method:
        raise ValueError("local_method, a sequence of stages, must name at least one method")
    if local_options is None:
        local_options = [None] * len(local_method)
    if not isinstance(local_options, tuple | list) or len(local_options) != len(local_method):
        raise ValueError(
            f"with {len(local_method)} stages in local_method, local_options must be None or a "
            f"list or tuple of {len(local_method)} options, got {type(local_options).__name__}"
        )
    if jac is not None and not callable(jac):
        raise TypeError(f"jac must be callable or None, got {type(jac).__name__}")
    stages = []
    for i, (method, options) in enumerate(zip(local_method, local_options, strict=True)):
        if not isinstance(method, str):
            raise TypeError(f"local_method[{i}] must be a string, got {type(method).__name__}")
        uses_jac = method not in _GRADIENT_FREE_METHODS
        stages.append(
            (
                _check_method(method, constraints, jac if uses_jac else None),
                _check_options(options, f"local_options[{i}]"),
            )
        )
    if jac is not None and all(m in _GRADIENT_FREE_METHODS for m, _ in stages):
        raise ValueError("jac is given, but no stage of local_method uses it")
    return tuple(stages)


def _checked_problem(
    fun: Any,
    bounds: Any,
    constraints: Any,
    local_method: Any,
    jac: Any,
    local_options: Any,
    rng: Any,
    vectorized: Any,
    de_kwargs: dict[str, Any],
) -> _Problem:
    """Every argument of :func:`de_then_polish` checked, or a named error."""
    if not callable(fun):
        raise TypeError(f"fun must be callable, got {type(fun).__name__}")
    box = _as_bounds(bounds)
    cons = as_constraint_list(constraints)
    stages = _check_stages(local_method, local_options, cons, jac)
    if not isinstance(vectorized, bool | np.bool_):
        raise TypeError(f"vectorized must be True or False, got {type(vectorized).__name__}")
    args = de_kwargs.pop("args", ())
    if not isinstance(args, tuple | list):
        raise TypeError(
            "args must be a tuple of extra arguments (args=(a, b) calls fun(x, a, b)), got "
            f"{type(args).__name__}; write args=(value,) for one argument"
        )
    if args:  # bind them once, so that DE, the local method and the re-evaluation agree
        fun = _bind_args(fun, tuple(args))
        jac = None if jac is None else _bind_args(jac, tuple(args))
    de_options = _checked_de_options(de_kwargs, box.shape[0])
    if vectorized:
        de_options.setdefault("updating", "deferred")
    if rng is not None or "seed" not in de_options:  # a legacy ``seed=`` still works
        de_options["rng"] = as_rng("rng", rng)
    return _Problem(
        fun=fun,
        jac=jac,
        box=box,
        constraints=cons,
        method=stages[0][0],
        local_options=stages[0][1],
        vectorized=vectorized,
        de_options=de_options,
        stages=stages,
    )


def _checked_de_options(de_kwargs: Mapping[str, Any], d: int) -> dict[str, Any]:
    """The keywords for ``differential_evolution``: the common ones checked, by name."""
    options = dict(de_kwargs)
    checks = {
        "maxiter": {"integer": True, "low": 0},
        "popsize": {"integer": True, "low": 1},
        "tol": {"low": 0},
        "atol": {"low": 0},
        "recombination": {"low": 0, "high": 1},
    }
    for name, limits in checks.items():
        if name in options:
            options[name] = as_scalar(name, options[name], **limits)
    if "mutation" in options:
        mutation = options["mutation"]
        if isinstance(mutation, tuple | list):
            if len(mutation) != 2:
                raise ValueError(f"mutation must be a number or a pair (low, high), got {mutation}")
            options["mutation"] = tuple(
                as_scalar("mutation", m, low=0, high=2, high_open=True) for m in mutation
            )
        else:
            options["mutation"] = as_scalar("mutation", mutation, low=0, high=2, high_open=True)
    if options.get("updating", "immediate") not in ("immediate", "deferred"):
        raise ValueError(f"updating must be 'immediate' or 'deferred', got {options['updating']!r}")
    if not isinstance(options.setdefault("polish", False), bool):
        raise TypeError(
            f"polish must be True or False (the local stage is de_then_polish's own), got "
            f"{type(options['polish']).__name__}"
        )
    if options.get("x0") is not None:
        x0 = _as_points(options["x0"], "x0")
        if x0.shape != (d,):
            raise ValueError(f"x0 must have shape ({d},) to match bounds, got shape {x0.shape}")
        options["x0"] = x0.copy()
    return options


def _run_de(problem: _Problem) -> tuple[OptimizeResult, int]:
    """Stage 1: differential evolution over the box, with the constraints.

    Returns DE's result and the number of points it evaluated: vectorized DE's ``nfev`` counts
    calls, so the points are counted on the columns each call receives.
    """
    fun, points = problem.fun, [0]
    counting = problem.vectorized and problem.de_options.get("workers", 1) == 1
    if counting:

        def fun(x: np.ndarray) -> Any:  # one (d, S) array of S points per call
            points[0] += np.shape(x)[1] if np.ndim(x) == 2 else 1
            return problem.fun(x)

    try:
        de = differential_evolution(
            fun,
            problem.box,
            constraints=problem.constraints,
            vectorized=problem.vectorized,
            **problem.de_options,
        )
    except (RuntimeError, TypeError, ValueError):
        # SciPy's message about a bad objective speaks of map-like callables: if fun is at
        # fault, say so by name (one evaluation, at the centre of the box)
        _scalar_value(problem.fun, problem.box.mean(axis=1), problem.vectorized)
        raise
    return de, points[0] if counting else int(de.nfev)


def _local_options(problem: _Problem, de: OptimizeResult) -> dict[str, Any]:
    """The ``options`` for the local method: the mapping given, or the callable's answer."""
    if not callable(problem.local_options):
        return dict(problem.local_options)
    options = problem.local_options(de)
    if not isinstance(options, Mapping):
        raise TypeError(
            "local_options, called with DE's result, must return a mapping of options, got "
            f"{type(options).__name__}"
        )
    return dict(options)


def _run_local(problem: _Problem, x_start: np.ndarray, options: dict[str, Any]) -> OptimizeResult:
    """Stage 2: ``minimize`` from ``x_start``, with the same bounds and constraints."""
    fun = problem.fun
    if problem.vectorized:

        def fun(x: np.ndarray) -> float:  # the local method passes one point (d,)
            return _scalar_value(problem.fun, np.asarray(x, dtype=np.float64), True)

    if problem.method == "COBYLA" and problem.constraints and "catol" not in options:
        # COBYLA counts a point as feasible up to catol (default sqrt(eps) ~ 1.5e-8), above
        # feasibility_atol, and it picks the lowest point within catol, which would be lower only
        # by violating more: ask for the rounding level polish_acceptance allows.
        options = {**options, "catol": problem.feasibility_atol * ROUNDING_SHARE}
    kwargs: dict[str, Any] = {"options": options}
    if problem.method in _BOUNDS_METHODS:
        kwargs["bounds"] = Bounds(problem.box[:, 0], problem.box[:, 1])
    if problem.constraints:  # minimize takes Bounds only as bounds, not as a constraint
        kwargs["constraints"] = [
            LinearConstraint(np.eye(problem.d), c.lb, c.ub) if isinstance(c, Bounds) else c
            for c in problem.constraints
        ]
    if problem.jac is not None:
        g0 = np.asarray(problem.jac(x_start.copy()))
        if g0.shape != (problem.d,) or g0.dtype.kind not in "iuf" or not np.isfinite(g0).all():
            raise ValueError(
                f"jac must return a finite real array of shape ({problem.d},), got shape "
                f"{g0.shape} (dtype {g0.dtype}) at DE's point"
            )
        kwargs["jac"] = problem.jac
    return minimize(fun, x_start.copy(), method=problem.method, **kwargs)


def _real_or_inf(name: str, value: Any, low: float | None = None) -> float:
    """``as_scalar``, but ``+inf`` (a value that could not be computed) is allowed too."""
    if isinstance(value, float | np.floating) and value == np.inf:
        return np.inf
    return as_scalar(name, value, low=low)


def _checked_limit(trade_limit: Any) -> float | None:
    """``trade_limit`` checked: ``None`` (the scaled default) or a finite number ``> 0``."""
    if trade_limit is None:
        return None
    return as_scalar("trade_limit", trade_limit, low=0, low_open=True)


def polish_acceptance(
    f_de: float,
    maxcv_de: float,
    f_local: float,
    local_in_box: bool,
    maxcv_local: float,
    *,
    feasibility_atol: float = FEASIBILITY_ATOL,
    trade_limit: float | None = None,
) -> tuple[bool, str]:
    """The rule by which :func:`de_then_polish` keeps the local point or DE's.

    The local point is accepted only if its value ``f_local`` (``fun`` re-evaluated there, not
    the value the local method reports) is finite, it lies inside the bounds, and either it
    violates no constraint by more than ``feasibility_atol`` and (DE's point is infeasible
    or ``f_local < f_de``), or both points are infeasible and ``maxcv_local < maxcv_de``: like
    DE, which ranks infeasible points by their violations alone. When both points are feasible,
    a lower ``f_local`` counts if ``maxcv_local <= max(maxcv_de, ROUNDING_SHARE *
    feasibility_atol)``, or if it is lower by more than a limit (``trade_limit``) times the
    extra violation ``maxcv_local - maxcv_de``: a tolerated
    violation may not buy a lower value (on an active constraint, any point a little outside is
    lower), but a real improvement is kept whatever rounding the constraint carries. This
    trade test separates the two only where the active multipliers are below the limit. They
    scale with ``f``, so the default limit does too: ``TRADE_LIMIT * max(1, |f_local|)``, and
    ``c * f`` gets the same decision as ``f`` wherever ``|f_local| >= 1``. Still, a multiplier
    above it lets a bought drop pass (``polish_acceptance(1, 0, 1 - 2e-7, True, 1e-10)``,
    ``lambda = 2e3``, accepts), and a constant added to ``f`` raises the limit without changing
    the multipliers: pass ``trade_limit`` explicitly then. SciPy's own polish
    (``differential_evolution(polish=...)``) instead compares the *reported* value, requires
    ``result.success``, and checks the bounds but not the constraints.

    Parameters
    ----------
    f_de : float
        DE's value (``inf`` if DE found no feasible point).
    maxcv_de : float
        DE's constraint violation, ``>= 0`` (``inf`` allowed).
    f_local : float
        ``fun`` at the local point (``inf`` if it could not be evaluated).
    local_in_box : bool
        Whether the local point satisfies the bounds.
    maxcv_local : float
        The constraint violation at the local point, ``>= 0`` (``inf`` allowed).
    feasibility_atol : float, optional
        Violations up to this value count as none (default :data:`FEASIBILITY_ATOL`,
        ``1e-9``). The test is absolute: scale it with the constraints. Between two feasible
        points, violations up to ``ROUNDING_SHARE * feasibility_atol`` count as rounding.
    trade_limit : float or None, optional
        ``None`` (default) or finite and ``> 0``: between two feasible points, a lower
        ``f_local`` that violates more than ``f_de``'s point (beyond rounding) is kept only if it
        is lower by more than this limit times the extra violation. ``None`` means
        ``TRADE_LIMIT * max(1, |f_local|)`` (:data:`TRADE_LIMIT` is ``1e3``), which scales with
        ``f`` as the multipliers do. A number is used as given: set it above the active
        constraints' multipliers.

    Returns
    -------
    accept : bool
        Keep the local point.
    why : str
        The reason, in words (no numbers).

    Raises
    ------
    TypeError
        If a value is not a real number, or ``local_in_box`` is not a bool.
    ValueError
        If a value is NaN or ``-inf``, a violation is negative, ``feasibility_atol`` is not
        finite and ``>= 0``, or ``trade_limit`` is not finite and ``> 0``.

    Examples
    --------
    >>> polish_acceptance(1.0, 0.0, 0.5, True, 0.0)
    (True, 'the local point has a lower value')
    >>> polish_acceptance(0.0, 0.0, 1e-9, True, 0.0)
    (False, 'the local point is not lower than the DE point')
    >>> polish_acceptance(1.0, 1e-3, 2.0, True, 1e-6)
    (True, 'both points are infeasible and the local point violates less')
    >>> polish_acceptance(1.0, 1e-16, 1.0 - 1e-12, True, 1e-12)
    (False, 'the local point is lower only by violating a constraint more')
    >>> polish_acceptance(1.0, 1e-16, 0.5, True, 1e-12)
    (True, 'the local point has a lower value')
    >>> polish_acceptance(1.0, 0.0, 1 - 2e-7, True, 1e-10)  # lambda = 2e3 > TRADE_LIMIT
    (True, 'the local point has a lower value')
    >>> polish_acceptance(1.0, 0.0, 1 - 2e-7, True, 1e-10, trade_limit=1e4)
    (False, 'the local point is lower only by violating a constraint more')
    >>> polish_acceptance(1e6, 0.0, 1e6 - 2e-1, True, 1e-10)  # 1e6 times the case above
    (True, 'the local point has a lower value')
    """
    f_de = _real_or_inf("f_de", f_de)
    maxcv_de = _real_or_inf("maxcv_de", maxcv_de, low=0)
    f_local = _real_or_inf("f_local", f_local)
    maxcv_local = _real_or_inf("maxcv_local", maxcv_local, low=0)
    atol = as_scalar("feasibility_atol", feasibility_atol, low=0)
    limit = _checked_limit(trade_limit)
    if not isinstance(local_in_box, bool | np.bool_):
        raise TypeError(f"local_in_box must be True or False, got {type(local_in_box).__name__}")
    # the rule: atol and limit are feasibility_atol and trade_limit (None or > 0), checked above
    if not np.isfinite(f_local):
        return False, "fun is not finite at the local point"
    if not local_in_box:
        return False, "the local point leaves the bounds"
    if maxcv_local > atol:
        if maxcv_local < maxcv_de:  # refinement: of two infeasible points, the smaller violation
            return True, "both points are infeasible and the local point violates less"
        return False, "the local point violates a constraint"
    if maxcv_de > atol:  # refinement: a feasible point beats an infeasible one
        return True, "the DE point is infeasible and the local point is feasible"
    if f_local < f_de:  # the core: feasible and lower ...
        extra = maxcv_local - maxcv_de  # refinement: ... and not lower only by violating more
        if limit is None:  # the default scales with f, as the multipliers do
            limit = TRADE_LIMIT * max(1.0, abs(f_local))
        if maxcv_local > max(maxcv_de, ROUNDING_SHARE * atol) and f_de - f_local <= limit * extra:
            return False, "the local point is lower only by violating a constraint more"
        return True, "the local point has a lower value"
    return False, "the local point is not lower than the DE point"


def de_then_polish(
    fun: Callable[..., Any],
    bounds: Any,
    *,
    constraints: Any = (),
    local_method: str | Sequence[str] = "SLSQP",
    jac: Callable[[np.ndarray], np.ndarray] | None = None,
    local_options: Any = None,
    rng: int | np.random.Generator | None = None,
    vectorized: bool = False,
    feasibility_atol: float = FEASIBILITY_ATOL,
    trade_limit: float | None = None,
    **de_kwargs: Any,
) -> OptimizeResult:
    """Differential evolution, then a local method from DE's best point, never worse than DE.

    DE (``scipy.optimize.differential_evolution`` with ``polish=False``) explores the box;
    ``scipy.optimize.minimize`` with ``local_method`` then starts from DE's best point, with the
    same bounds and constraints. :func:`polish_acceptance` decides which point is returned: the
    local one only if, re-evaluated by ``fun`` itself, it is finite, inside the bounds, feasible
    to ``feasibility_atol``, and strictly lower than DE's (or DE's point is infeasible), and not
    lower only by violating more than DE's (see :data:`TRADE_LIMIT`); if both are infeasible,
    the one with the smaller violation. So ``result.fun <= result.de.fun`` whenever DE's point
    is feasible.

    Parameters
    ----------
    fun : callable
        The objective. ``fun(x) -> float`` for ``x`` of shape ``(d,)``; with
        ``vectorized=True``, ``fun(X) -> (S,)`` for ``X`` of shape ``(d, S)`` (the local method
        then evaluates it on ``(d, 1)`` arrays).
    bounds : Bounds or sequence of (low, high) pairs
        ``d`` finite pairs, ``low <= high``: DE's search box, and bounds for the local method.
    constraints : constraint, dict, or sequence of them, optional
        ``NonlinearConstraint``, ``LinearConstraint``, ``Bounds`` or old-style dicts
        (converted; a ``Bounds`` constraint reaches the local method as the equivalent
        ``LinearConstraint``). With ``vectorized=True`` their functions receive ``(d, S)``
        arrays in DE and must return ``(m, S)``.
    local_method : str, optional
        A ``minimize`` method, spelled exactly as SciPy does: ``'SLSQP'`` (default),
        ``'COBYLA'``, ``'COBYQA'``, ``'trust-constr'`` (these handle constraints),
        ``'L-BFGS-B'``, ``'TNC'``, ``'Powell'``, ``'Nelder-Mead'`` (bounds only), ``'BFGS'``,
        ``'CG'``, ``'Newton-CG'``. A list or tuple of methods runs them as stages: each starts
        from the point kept so far and is kept only by the same rule, against that point.
    jac : callable, optional
        ``jac(x) -> (d,)`` gradient for a gradient-based local method (e.g.
        :func:`ackley_gradient`); default: the method's finite differences. With stages, it is
        passed to the stages whose method uses a gradient.
    local_options : mapping or callable, optional
        ``options`` for ``minimize`` (e.g. ``{'ftol': 1e-12, 'eps': 1e-10}`` for SLSQP), or a
        callable ``local_options(de) -> mapping`` called with DE's ``OptimizeResult`` before the
        local stage, for options that depend on DE's outcome, such as COBYLA's ``rhobeg`` from
        the spread of ``de.population``. With constraints, COBYLA's ``catol`` defaults to
        ``ROUNDING_SHARE * feasibility_atol`` (SciPy's default, about ``1.5e-8``, would let
        COBYLA stop at a point this function rejects as infeasible, or that is lower only by
        violating more). With stages: None, or a list or
        tuple with one such entry per stage.
    rng : None, int >= 0 or numpy.random.Generator, optional
        Seed or generator for DE; the same seed gives the same result.
    vectorized : bool, optional
        Evaluate DE's whole trial population in one call ``fun(X)``, ``X`` of shape ``(d, S)``.
        DE's ``updating`` then defaults to ``'deferred'`` (which vectorization requires).
    feasibility_atol : float, optional
        A point counts as feasible if no constraint is violated by more than this, default
        :data:`FEASIBILITY_ATOL` (``1e-9``); ``result.success`` uses the same test. The test is
        absolute: for constraints written on a large scale (``1e7 * sum(x) >= 1e7``), scale it
        with them, or SLSQP's point, feasible up to rounding, is rejected.
    trade_limit : float or None, optional
        ``None`` (default) or finite and ``> 0``. A lower local point that violates more than
        the point kept so far (beyond rounding) is kept only if it is lower by more than this
        limit times the extra violation (:func:`polish_acceptance`). ``None`` means
        ``TRADE_LIMIT * max(1, |f_local|)`` (``1e3`` times the size of the lower value), which
        scales with ``fun`` as the active constraints' multipliers do; the test tells a real
        drop from a bought one only where the multipliers are below the limit. Pass a number
        when ``fun`` carries a large constant offset, which raises the default limit without
        changing the multipliers.
    **de_kwargs
        Passed to ``differential_evolution`` (``maxiter``, ``popsize``, ``tol``, ``init``, ...).
        ``args=(a, b)`` is honoured by both stages: ``fun(x, a, b)`` and ``jac(x, a, b)``.

    Returns
    -------
    OptimizeResult
        ``x`` : (d,) array, the returned point; ``fun`` : float, its value;
        ``de`` : DE's own ``OptimizeResult``; ``local`` : the (last) local method's
        ``OptimizeResult``; ``stages`` : list of every stage's ``OptimizeResult``;
        ``polished`` : bool, whether a local point was accepted; ``maxcv`` : float, the
        constraint violation at ``x``; ``nfev`` : int, the points evaluated by DE (counted
        point by point, also with ``vectorized=True``, where ``de.nfev`` counts *calls*), by the
        local method, and by the re-evaluation;
        ``success`` : bool, ``x`` is feasible and DE or the last accepted stage succeeded;
        ``message`` : str, which point was kept and why (no numbers): ``"kept DE's point:
        <why>"`` for one stage; with stages, one verdict per stage, joined by ``"; "``, such as
        ``"SLSQP: kept the SLSQP point, <why>; COBYLA: kept the SLSQP point, <why>"`` (the last
        verdict names the returned point).

    Raises
    ------
    TypeError
        If ``fun`` or ``jac`` is not callable; ``bounds``, ``constraints``, ``local_options``,
        ``rng``, ``vectorized`` or ``args`` (a tuple) have the wrong type; a callable
        ``local_options`` returns no mapping; a checked DE keyword (``maxiter``, ``popsize``,
        ``tol``, ``atol``, ``mutation``, ``recombination``, ``x0``, ``polish``),
        ``feasibility_atol`` or ``trade_limit`` has the wrong type.
    ValueError
        If ``bounds`` is not ``(d, 2)`` with finite ``low <= high`` and ``high - low`` within
        float64's range; the method is not spelled as SciPy spells it or cannot handle the given
        constraints; ``jac`` is given to a gradient-free method (to stages that all are) or
        returns the wrong shape; a sequence of stages is empty or ``local_options`` does not
        match it;
        ``fun`` returns an output of the wrong shape; a checked DE keyword is out of its range;
        ``feasibility_atol`` is not finite and ``>= 0``; ``trade_limit`` is not finite and
        ``> 0``.
        A local point where ``fun`` is not finite is rejected, not raised.

    Examples
    --------
    >>> res = de_then_polish(ackley, [(-5, 5)] * 2, jac=ackley_gradient, rng=1, maxiter=50)
    >>> bool(res.fun <= res.de.fun)
    True
    """
    # the validated arguments: fun, box ((d, 2) lows and highs), constraints, ...
    problem = _checked_problem(
        fun, bounds, constraints, local_method, jac, local_options, rng, vectorized, de_kwargs
    )
    atol = as_scalar("feasibility_atol", feasibility_atol, low=0)
    problem = replace(problem, feasibility_atol=atol)
    limit = _checked_limit(trade_limit)
    de, points_de = _run_de(problem)  # DE's result, and the number of points it evaluated
    x_de = np.asarray(de.x, dtype=np.float64).reshape(-1)
    f_de = float(de.fun)
    maxcv_de = constraint_violation(problem.constraints, x_de)

    # each stage starts from the point kept so far and is judged against it by the same rule;
    # _local_options: the options dict (local_options, or its value at DE's result);
    # _run_local: minimize's result, with the same bounds and constraints
    x, f, maxcv = x_de, f_de, maxcv_de
    results, kept_by, kept_ok, nfev_local = [], None, False, 0
    verdicts: list[tuple[str, str, str]] = []  # (method, the point kept after it, why)
    for method, options in problem.stages:
        jac_used = problem.jac if method not in _GRADIENT_FREE_METHODS else None
        stage = replace(problem, method=method, local_options=options, jac=jac_used)
        local = _run_local(stage, x, _local_options(stage, de))
        results.append(local)
        x_loc = np.asarray(local.x, dtype=np.float64).reshape(-1)
        evaluated = bool(np.isfinite(x_loc).all())
        # fun at x_loc re-evaluated as a float (one (d, 1) column if problem.vectorized)
        f_loc = _scalar_value(problem.fun, x_loc, problem.vectorized) if evaluated else np.inf
        nfev_local += int(getattr(local, "nfev", 0)) + int(evaluated)
        in_box = bool(np.all(problem.box[:, 0] <= x_loc) and np.all(x_loc <= problem.box[:, 1]))
        maxcv_loc = constraint_violation(problem.constraints, x_loc) if in_box else np.inf
        accept, why = polish_acceptance(
            f, maxcv, f_loc, in_box, maxcv_loc, feasibility_atol=atol, trade_limit=limit
        )
        if kept_by is not None:  # this stage was judged against an earlier stage's point
            why = why.replace("the DE point", f"the {kept_by} point")
        if accept:
            x, f, maxcv = x_loc, f_loc, maxcv_loc
            kept_by, kept_ok = method, bool(local.success)
        holder = "DE's point" if kept_by is None else f"the {kept_by} point"
        verdicts.append((method, holder, why))
    if len(verdicts) == 1:  # "kept DE's point: <why>"
        message = f"kept {verdicts[0][1]}: {verdicts[0][2]}"
    else:  # "SLSQP: kept DE's point, <why>; COBYLA: kept the COBYLA point, <why>"
        message = "; ".join(f"{method}: kept {holder}, {why}" for method, holder, why in verdicts)
    feasible = maxcv <= atol
    return OptimizeResult(
        x=x.copy(),
        fun=f,
        de=de,
        local=results[-1],
        stages=results,
        polished=kept_by is not None,
        maxcv=maxcv,
        nfev=points_de + nfev_local,  # points, not calls
        success=bool(feasible and (de.success or kept_ok)),
        message=message,
    )


def band(f: Any, edges: Any = (0, 1e-13, 1e-9, 1e-7, 1e-4, 1, 10)) -> str:
    """The two closest ``edges`` that hold every value of ``f``, as text for printing.

    Prints a result that moves with the CPU's rounding as an interval that does not:
    ``"(lo, hi)"`` with ``lo < f <= hi`` for every value, ``lo`` and ``hi`` the closest
    such edges, or ``"0"`` when every value is ``0``.

    Parameters
    ----------
    f : float or array_like, any shape
        The values, finite and non-empty.
    edges : array_like, shape (m,)
        At least two finite, strictly increasing edges; the default is decades from ``0`` to
        ``10``.

    Returns
    -------
    str
        ``"0"`` or ``"(lo, hi)"``, the edges formatted with ``:g``.

    Raises
    ------
    TypeError
        If ``f`` or ``edges`` is not a real array (bool, complex, object, string, masked,
        ragged).
    ValueError
        If ``f`` is empty or not finite, ``edges`` is not one-dimensional, finite and strictly
        increasing with at least two entries, or a value lies outside
        ``(edges[0], edges[-1]]``.

    Examples
    --------
    >>> band([3e-9, 5e-8])
    '(1e-09, 1e-07)'
    >>> band(0.0)
    '0'
    >>> band(0.02, (0, 1e-3, 1e-2, 1))
    '(0.01, 1)'
    """
    values = as_real_array("f", f).ravel()
    e = as_real_array("edges", edges)
    if e.ndim != 1 or e.size < 2 or not np.all(np.diff(e) > 0):
        raise ValueError(
            f"edges must be a strictly increasing 1-D array of at least 2 entries, got shape "
            f"{e.shape}: {e!r}"
        )
    if np.all(values == 0):
        return "0"
    lo, hi = np.searchsorted(e, [values.min(), values.max()])
    if lo == 0 or hi == e.size:
        raise ValueError(
            f"f must lie in (edges[0], edges[-1]] = ({e[0]:g}, {e[-1]:g}] unless it is all 0, "
            f"got {values.min()!r} to {values.max()!r}"
        )
    return f"({e[lo - 1]:g}, {e[hi]:g})"


def _population_spread(de: OptimizeResult) -> float:
    """The largest spread of a coordinate over ``de.population``, shape ``(S, d)``, checked."""
    population = getattr(de, "population", None)  # OptimizeResult: its keys as attributes
    if population is None:
        raise TypeError(
            "de must be the OptimizeResult of differential_evolution, with its population of "
            f"shape (S, d), got {type(de).__name__} without a population"
        )
    pop = as_real_array("de.population", population)
    if pop.ndim != 2:
        raise ValueError(f"de.population must have shape (S, d), got shape {pop.shape}")
    with np.errstate(over="ignore"):
        spread = float(np.max(pop.max(axis=0) - pop.min(axis=0)))
    if not np.isfinite(spread):
        raise ValueError(
            "de.population's spread must be finite, got a spread that overflows float64 "
            f"(values from {pop.min():g} to {pop.max():g})"
        )
    return spread


def cobyla_from_spread(
    de: OptimizeResult,
    *,
    tol: float = _COBYLA_TOL,
    rhobeg_floor: float = _COBYLA_RHOBEG_FLOOR,
) -> dict[str, float]:
    """COBYLA's ``options`` from DE's result: a first step as wide as DE's last population.

    ``rhobeg``, COBYLA's first step, is the largest spread of a coordinate over DE's last
    population, ``max_j (max_i P[i, j] - min_i P[i, j])`` for ``P = de.population`` of shape
    ``(S, d)``, but at least ``rhobeg_floor`` (``1e-3``); ``tol``, its last step, is ``tol``
    (``1e-14``). The floor matters once DE has converged to one point: the spread is then
    ``0``, which COBYLA would replace by ``rhobeg = 1`` (with a warning). Pass the function
    itself as ``local_options`` of :func:`de_then_polish` (or as the COBYLA stage's entry),
    which calls it with DE's result; for other ``tol`` or ``rhobeg_floor`` pass
    ``functools.partial(cobyla_from_spread, tol=..., rhobeg_floor=...)``.

    Parameters
    ----------
    de : OptimizeResult
        The result of ``scipy.optimize.differential_evolution`` (``result.de`` of
        :func:`de_then_polish`); only its ``population``, shape ``(S, d)``, is read.
    tol : float, optional
        COBYLA's last step, absolute, finite and ``> 0``. The default ``1e-14`` suits a
        minimiser near ``0``; scale it with the size of the minimiser ``x*``, for example
        ``1e-14 * max(1, max|x*_i|)``.
    rhobeg_floor : float, optional
        The smallest ``rhobeg`` returned, absolute, finite and ``> 0``; default ``1e-3``.

    Returns
    -------
    dict
        ``{"rhobeg": float, "tol": float}``, COBYLA's options for ``minimize``.

    Raises
    ------
    TypeError
        If ``de`` has no ``population`` (it is not a result of ``differential_evolution``), or
        the population is not a real array (bool, complex, object, string, masked, ragged), or
        ``tol`` or ``rhobeg_floor`` is not a real number.
    ValueError
        If ``de.population`` is not a non-empty ``(S, d)`` array of finite values, or its
        spread overflows float64, or ``tol`` or ``rhobeg_floor`` is not finite and ``> 0``.

    Examples
    --------
    >>> from scipy.optimize import OptimizeResult
    >>> cobyla_from_spread(OptimizeResult(population=np.zeros((5, 2))))
    {'rhobeg': 0.001, 'tol': 1e-14}
    >>> cobyla_from_spread(OptimizeResult(population=np.array([[0.0, 1.0], [0.5, 0.75]])))
    {'rhobeg': 0.5, 'tol': 1e-14}
    >>> cobyla_from_spread(OptimizeResult(population=np.zeros((5, 2))), tol=1e-12,
    ...                    rhobeg_floor=0.1)
    {'rhobeg': 0.1, 'tol': 1e-12}
    """
    tol = as_scalar("tol", tol, low=0, low_open=True)
    rhobeg_floor = as_scalar("rhobeg_floor", rhobeg_floor, low=0, low_open=True)
    spread = _population_spread(de)  # max_j (max_i P[i, j] - min_i P[i, j]), checked
    return {"rhobeg": max(spread, rhobeg_floor), "tol": tol}
