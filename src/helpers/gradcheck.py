"""Central-difference gradient checking, for arrays and for dicts of arrays.

The chapters check every analytic derivative they derive (softmax Jacobians, regression
gradients, the Ackley gradient) against the central difference

.. math:: \\frac{\\partial f}{\\partial x_i} \\approx \\frac{f(x + h e_i) - f(x - h e_i)}{2h},

whose error is :math:`O(h^2)` plus a rounding error of about :math:`\\epsilon |f| / h`; the default
step balances the two for double precision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from helpers._validation import as_real_array, as_scalar

__all__ = ["GradcheckResult", "gradcheck", "numerical_gradient"]

Params = np.ndarray | Mapping[str, np.ndarray]

#: Default central-difference step: about the cube root of float64 machine epsilon.
DEFAULT_STEP = 1e-6


def _as_params(x: Params) -> dict[str, np.ndarray] | np.ndarray:
    if isinstance(x, Mapping):
        if not x:
            raise ValueError("x must not be an empty dict")
        return {str(k): as_real_array(f"x[{k!r}]", v) for k, v in x.items()}
    return as_real_array("x", x)


def _scalar(f: Callable[[Any], Any], x: Any) -> float:
    value = np.asarray(f(x))
    if value.shape != ():
        raise ValueError(
            f"f must return a scalar; got an array of shape {value.shape} "
            "(check a vector function one output at a time, e.g. lambda x: g @ f(x))"
        )
    value = float(value)
    if not np.isfinite(value):
        raise ValueError("f returned a non-finite value at the point being checked")
    return value


def _central_difference(f: Callable[[np.ndarray], float], x: np.ndarray, h: float) -> np.ndarray:
    grad = np.empty_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):  # one loop per coordinate: that is what a finite difference is
        old = flat[i]
        flat[i] = old + h
        f_plus = f(x)
        flat[i] = old - h
        f_minus = f(x)
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * h)
    return grad


def numerical_gradient(
    f: Callable[[Any], Any], x: Params, *, h: float = DEFAULT_STEP
) -> np.ndarray | dict[str, np.ndarray]:
    """Central-difference gradient of a scalar function.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``. It receives an array of the shape of ``x`` or, when ``x`` is a dict,
        a dict with the same keys and shapes. It must not keep a reference to its argument.
    x : (...) array or dict of str -> (...) array
        The point. Integers are converted to float64; NaN, inf and empty arrays are rejected.
    h : float, optional
        The step, applied to one coordinate at a time. Must be positive and finite.

    Returns
    -------
    grad : array of the shape of ``x``, or dict of such arrays
        ``grad[i] ~ (f(x + h e_i) - f(x - h e_i)) / (2 h)``.

    Raises
    ------
    ValueError
        If ``h`` is not a positive finite number, ``x`` is empty or not finite, or ``f`` does not
        return a finite scalar.
    TypeError
        If ``x`` (or a value of the dict) is not a real numeric array.
    """
    h = as_scalar("h", h, low=0, low_open=True)
    params = _as_params(x)
    if isinstance(params, np.ndarray):
        return _central_difference(lambda v: _scalar(f, v), params.copy(), h)
    point = {k: v.copy() for k, v in params.items()}
    return {k: _central_difference(lambda _v: _scalar(f, point), point[k], h) for k in point}


@dataclass(frozen=True)
class GradcheckResult:
    """The outcome of :func:`gradcheck`.

    Attributes
    ----------
    ok : bool
        Whether every entry agreed within ``atol + rtol * |numerical|``.
    max_abs_error : float
        The largest ``|analytic - numerical|`` over all entries.
    max_rel_error : float
        The largest ``|analytic - numerical| / max(|numerical|, atol)``.
    worst : str
        Where the largest violation is, e.g. ``"W[2, 0]"`` or ``"[1, 3]"``.
    numerical : array or dict of arrays
        The central-difference gradient, for inspection.
    """

    ok: bool
    max_abs_error: float
    max_rel_error: float
    worst: str
    numerical: np.ndarray | dict[str, np.ndarray]

    def __bool__(self) -> bool:
        return self.ok


def _compare(
    name: str, analytic: Any, numerical: np.ndarray, rtol: float, atol: float
) -> tuple[float, float, float, str]:
    a = np.asarray(analytic, dtype=np.float64)
    if a.shape != numerical.shape:
        raise ValueError(
            f"grad{name} has shape {a.shape}, but the parameter it differentiates has shape "
            f"{numerical.shape}"
        )
    if not np.all(np.isfinite(a)):
        raise ValueError(f"grad{name} contains NaN or inf")
    err = np.abs(a - numerical)
    excess = err - (atol + rtol * np.abs(numerical))
    idx = np.unravel_index(int(np.argmax(excess)), a.shape) if a.ndim else ()
    rel = err / np.maximum(np.abs(numerical), atol)
    where = f"{name}[{', '.join(map(str, idx))}]" if a.ndim else name or "value"
    return float(err.max()), float(rel.max()), float(excess.max()), where


def gradcheck(
    f: Callable[[Any], Any],
    grad: Callable[[Any], Any] | np.ndarray | Mapping[str, np.ndarray],
    x: Params,
    *,
    h: float = DEFAULT_STEP,
    rtol: float = 1e-5,
    atol: float = 1e-7,
    raise_on_failure: bool = False,
) -> GradcheckResult:
    """Compare an analytic gradient with central differences.

    Parameters
    ----------
    f : callable
        The scalar function, ``f(x) -> float``, as for :func:`numerical_gradient`.
    grad : callable, array or dict of arrays
        The analytic gradient: either a function ``grad(x)`` returning an array shaped like ``x``
        (or a dict shaped like ``x``), or that value already computed.
    x : (...) array or dict of str -> (...) array
        The point at which to compare.
    h : float, optional
        Central-difference step.
    rtol, atol : float, optional
        Entry ``i`` passes when ``|analytic_i - numerical_i| <= atol + rtol * |numerical_i|``.
        The defaults suit smooth functions of order-one inputs in double precision.
    raise_on_failure : bool, optional
        Raise ``AssertionError`` with the worst entry named, instead of returning ``ok=False``.

    Returns
    -------
    GradcheckResult
        Truthy when the gradients agree.

    Raises
    ------
    ValueError
        If the analytic gradient's shape or keys do not match ``x``, or inputs are invalid.
    AssertionError
        If ``raise_on_failure`` and the gradients disagree.

    Examples
    --------
    >>> import numpy as np
    >>> from helpers import gradcheck
    >>> bool(gradcheck(lambda x: np.sum(x**3), lambda x: 3 * x**2, np.array([1.0, -2.0])))
    True
    """
    rtol = as_scalar("rtol", rtol, low=0)
    atol = as_scalar("atol", atol, low=0)
    numerical = numerical_gradient(f, x, h=h)
    analytic = grad(x) if callable(grad) else grad
    if isinstance(numerical, dict):
        if not isinstance(analytic, Mapping):
            raise ValueError(
                f"x is a dict with keys {sorted(numerical)}, so the analytic gradient must be a "
                f"dict too; got {type(analytic).__name__}"
            )
        if set(analytic) != set(numerical):
            raise ValueError(
                f"the analytic gradient has keys {sorted(analytic)}, x has keys {sorted(numerical)}"
            )
        parts = [_compare(k, analytic[k], numerical[k], rtol, atol) for k in numerical]
    else:
        parts = [_compare("", analytic, numerical, rtol, atol)]
    max_abs = max(p[0] for p in parts)
    max_rel = max(p[1] for p in parts)
    worst = max(parts, key=lambda p: p[2])
    result = GradcheckResult(
        ok=worst[2] <= 0.0,
        max_abs_error=max_abs,
        max_rel_error=max_rel,
        worst=worst[3],
        numerical=numerical,
    )
    if raise_on_failure and not result.ok:
        raise AssertionError(
            f"gradient check failed: max abs error {max_abs:.3e}, max rel error {max_rel:.3e}, "
            f"worst at {worst[3]}"
        )
    return result
