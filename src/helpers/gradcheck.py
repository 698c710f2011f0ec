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

Params = np.ndarray | Mapping[Any, np.ndarray]

#: Default central-difference step: about the cube root of float64 machine epsilon.
DEFAULT_STEP = 1e-6


def _label(key: Any) -> str:
    """How a dict key is named in messages: a string as it is, anything else by its repr."""
    return key if isinstance(key, str) else repr(key)


def _as_params(x: Params) -> dict[Any, np.ndarray] | np.ndarray:
    """The point as float64 copies (the caller's arrays are never touched), keys as given."""
    if isinstance(x, Mapping):
        if not x:
            raise ValueError("x must not be an empty dict")
        return {k: as_real_array(f"x[{k!r}]", v).copy() for k, v in x.items()}
    return as_real_array("x", x).copy()


def _scalar(f: Callable[[Any], Any], x: Any) -> float:
    value = f(x)
    if isinstance(value, np.ndarray) and value.shape != ():
        raise ValueError(
            f"f must return a scalar; got an array of shape {value.shape} "
            "(check a vector function one output at a time, e.g. lambda x: g @ f(x))"
        )
    try:
        number = as_scalar("f(x)", value)
    except TypeError:
        raise TypeError(
            f"f must return a real number, got {type(value).__name__} {value!r:.60}"
        ) from None
    except ValueError:
        raise ValueError(
            f"f returned a non-finite value ({value!r}) at the point being checked"
        ) from None
    return number


def _central_difference(f: Callable[[np.ndarray], float], x: np.ndarray, h: float) -> np.ndarray:
    grad = np.empty_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):  # one loop per coordinate: that is what a finite difference is
        old = flat[i]
        x_plus, x_minus = old + h, old - h
        if x_plus == x_minus:
            raise ValueError(
                f"h = {h:g} is below the spacing of floats at x = {old:g} (x + h == x - h): "
                "use a step proportional to |x|"
            )
        flat[i] = x_plus
        f_plus = f(x)
        flat[i] = x_minus
        f_minus = f(x)
        flat[i] = old
        with np.errstate(over="ignore"):  # divide by the step actually taken, not by 2 h
            gflat[i] = (f_plus - f_minus) / (x_plus - x_minus)
    if not np.isfinite(grad).all():
        raise ValueError(
            f"f changes by more than the float range over a step of h = {h:g}: its central "
            "difference overflows; check f at a smaller scale"
        )
    return grad


def numerical_gradient(
    f: Callable[[Any], Any], x: Params, *, h: float = DEFAULT_STEP
) -> np.ndarray | dict[Any, np.ndarray]:
    """Central-difference gradient of a scalar function.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``. It receives a float64 array of the shape of ``x`` or, when ``x`` is a
        dict, a dict with the same keys (unchanged, whatever their type) and shapes. It must not
        keep a reference to its argument.
    x : (...) array_like or dict of key -> (...) array_like
        The point. Integers are converted to float64; NaN, inf, empty arrays, masked arrays and
        non-real dtypes are rejected. The caller's arrays are never modified.
    h : float, optional
        The step, applied to one coordinate at a time. Must be positive and finite.

    Returns
    -------
    grad : float64 array of the shape of ``x``, or dict of such arrays with the keys of ``x``
        ``grad[i] ~ (f(x + h e_i) - f(x - h e_i)) / (2 h)``.

    Raises
    ------
    ValueError
        If ``h`` is not a positive finite number, ``x`` is empty or not finite, ``f`` does not
        return a finite scalar, or its central difference overflows.
    TypeError
        If ``f`` is not callable, ``f`` returns something other than a real number (``None``,
        complex, a string), or ``x`` (or a value of the dict) is not a real numeric array.

    Examples
    --------
    >>> numerical_gradient(lambda v: float(v @ v), [1.0, -2.0]).round(6)
    array([ 2., -4.])
    """
    if not callable(f):
        raise TypeError(f"f must be a callable f(x) -> float, got {type(f).__name__}")
    h = as_scalar("h", h, low=0, low_open=True)
    params = _as_params(x)
    if isinstance(params, np.ndarray):
        return _central_difference(lambda v: _scalar(f, v), params, h)
    return {k: _central_difference(lambda _v: _scalar(f, params), params[k], h) for k in params}


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
        The largest ``|analytic - numerical| / max(|numerical|, atol)`` (an entry where the two
        agree exactly counts 0, even when both are 0 and ``atol`` is 0).
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
    key: Any, analytic: Any, numerical: np.ndarray, rtol: float, atol: float
) -> tuple[float, float, float, str]:
    name = "" if key is None else _label(key)
    what = "grad" if key is None else f"grad[{key!r}]"
    a = as_real_array(what, analytic, check_finite=False, allow_empty=True)
    if a.shape != numerical.shape:
        raise ValueError(
            f"{what} has shape {a.shape}, but the parameter it differentiates has shape "
            f"{numerical.shape}"
        )
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{what} contains NaN or inf")
    err = np.abs(a - numerical)
    excess = err - (atol + rtol * np.abs(numerical))
    idx = np.unravel_index(int(np.argmax(excess)), a.shape) if a.ndim else ()
    scale = np.maximum(np.abs(numerical), atol)
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 / 0 is no error; x / 0 infinite
        rel = np.where(err == 0, 0.0, err / scale)
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
    x : (...) array_like or dict of key -> (...) array_like
        The point at which to compare. ``f`` and a callable ``grad`` both receive float64
        copies of it (a dict keeps its keys).
    h : float, optional
        Central-difference step.
    rtol, atol : float, optional
        Entry ``i`` passes when ``|analytic_i - numerical_i| <= atol + rtol * |numerical_i|``.
        Both must be finite and >= 0. The defaults suit smooth functions of order-one inputs and
        order-one gradients in double precision: the absolute term cannot tell a gradient much
        smaller than ``atol`` (say 1e-8) from zero, so pass a smaller ``atol`` for small gradients.
    raise_on_failure : bool, optional
        Raise ``AssertionError`` with the worst entry named, instead of returning ``ok=False``.

    Returns
    -------
    GradcheckResult
        Truthy when the gradients agree.

    Raises
    ------
    ValueError
        If the analytic gradient's shape or keys do not match ``x``, it is not finite, or
        inputs are invalid (as for :func:`numerical_gradient`; ``rtol``, ``atol`` < 0 or not
        finite).
    TypeError
        If the analytic gradient is not real (complex, strings, ...), or as for
        :func:`numerical_gradient`.
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
    if not isinstance(raise_on_failure, bool | np.bool_):
        raise TypeError(
            f"raise_on_failure must be True or False, got {type(raise_on_failure).__name__}"
        )
    numerical = numerical_gradient(f, x, h=h)
    if callable(grad):  # grad sees what f sees: float64 arrays (or a dict of them), copies
        if not isinstance(numerical, dict):
            analytic = grad(as_real_array("x", x).copy())
        else:
            analytic = grad({k: as_real_array(f"x[{k!r}]", v).copy() for k, v in x.items()})
    else:
        analytic = grad
    if isinstance(numerical, dict):
        if not isinstance(analytic, Mapping):
            raise ValueError(
                f"x is a dict with keys {list(numerical)}, so the analytic gradient must be a "
                f"dict too; got {type(analytic).__name__}"
            )
        if set(analytic) != set(numerical) or len(analytic) != len(numerical):
            raise ValueError(
                f"the analytic gradient has keys {list(analytic)}, x has keys {list(numerical)}"
            )
        parts = [_compare(k, analytic[k], numerical[k], rtol, atol) for k in numerical]
    else:
        parts = [_compare(None, analytic, numerical, rtol, atol)]
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
