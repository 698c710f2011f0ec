"""Softmax, its Jacobian, and backpropagation through it (chapter :ref:`ch-softmax`).

For logits ``z`` of shape ``(..., k)`` the softmax is ``s = exp(z) / sum(exp(z))`` along the class
axis. Its Jacobian at one sample is the ``(k, k)`` matrix

.. math:: J = \\operatorname{diag}(s) - s s^\\top,

which is symmetric, has rows summing to zero and rank ``k - 1``. Backpropagation never needs
``J`` itself, only the vector-Jacobian product ``g^T J = s * (g - <g, s>)``, which costs ``O(k)``
per sample instead of ``O(k^2)``. Fused with the cross-entropy loss, the gradient with respect to
the logits is simply ``(s - y) / batch_size`` for targets whose rows sum to 1.

The rules every function keeps:

* **Inputs.** Each array is validated at the boundary: a ``TypeError`` (bool, complex, string,
  object, masked or ragged input) or ``ValueError`` (wrong shape, empty, NaN, not a probability
  vector) names the argument, what it got and what is allowed. Inputs are never modified and
  never returned, nor views of them.
* **Range.** Every finite input in float64's range gives a correct result: logits are shifted by
  their maximum before ``exp``, and an upstream gradient is scaled before it is subtracted.
* **Dtype.** A result is float32 when every floating-point array argument is float32 (integer
  arrays such as class indices or integer one-hot targets are converted to it); in every other
  case (float64, float16, longdouble, integers only) it is float64. ``cross_entropy`` returns a
  Python float, computed in float64.
* **Probabilities.** Softmax outputs ``s`` and probability targets ``y`` must have entries of at
  least ``-tol`` and last-axis sums within ``tol`` of 1, with ``tol = max(2 k, 8) eps`` for ``k``
  classes and ``eps`` that of the argument's own dtype (integers: float64) or of float32,
  whichever is larger. That is twice the worst-case rounding of a softmax row and of the check's
  own sum (each at most about ``k eps / 2``); float32 softmax rows measured for ``k`` up to
  ``10**5`` stay below ``12 eps``, far inside it. The tolerance depends on that argument alone,
  before any conversion: probabilities rounded to float32 pass as float32, as float64, and next
  to a float64 ``g``.
* **Cost.** Checks are folded into reductions the computation needs anyway (a NaN or infinity
  makes a row maximum or a row sum non-finite), special values take a separate path only when
  such a reduction says so, and intermediate arrays are reused in place.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from helpers._validation import as_real_array, as_scalar

__all__ = [
    "cross_entropy",
    "cross_entropy_and_grad",
    "cross_entropy_grad",
    "log_softmax",
    "sigmoid",
    "sigmoid_derivative",
    "softmax",
    "softmax_jacobian",
    "softmax_vjp",
]

#: ``softmax_jacobian`` refuses to allocate more entries than this (8 GB of float64).
MAX_JACOBIAN_ENTRIES = 10**9


# --------------------------------------------------------------------------------------------
# validation


_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def _real(name: str, x: Any) -> tuple[np.ndarray, bool]:
    """``x`` as a real array (integers as float64) and whether it was an integer array."""
    if type(x) is np.ndarray and x.dtype.kind == "f":  # the common case, checked cheaply
        return x, False
    arr = as_real_array(name, x, allow_empty=True, check_finite=False, keep_float_dtype=True)
    raw = x if isinstance(x, np.ndarray) else np.asarray(x)
    return arr, raw.dtype.kind in "iu"


def _common_dtype(*parts: tuple[np.ndarray, bool]) -> np.dtype:
    """float32 if every floating-point argument is float32 (and there is one), else float64."""
    found = _F64
    for arr, was_int in parts:
        if not was_int:
            if arr.dtype != _F32:
                return _F64
            found = _F32
    return found


def _check_nonempty(name: str, arr: np.ndarray) -> None:
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension (the class axis), got a scalar")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")


def _axis(axis: Any, name: str, shape: tuple[int, ...]) -> int:
    try:
        ax = as_scalar("axis", axis, integer=True)
    except TypeError:
        raise TypeError(f"axis must be an integer, got {type(axis).__name__} {axis!r}") from None
    if not -len(shape) <= ax < len(shape):
        raise ValueError(
            f"axis {ax} is out of range for {name} of shape {shape}: allowed are "
            f"{-len(shape)} to {len(shape) - 1}"
        )
    return ax % len(shape)


def _logits(z: Any, axis: Any = -1) -> tuple[np.ndarray, int]:
    """Validated logits in the module's dtype (not yet checked for NaN) and the class axis."""
    part = _real("z", z)
    arr = part[0]
    _check_nonempty("z", arr)
    ax = _axis(axis, "z", arr.shape)
    return arr.astype(_common_dtype(part), copy=False), ax


def _special_max(arr: np.ndarray, m: np.ndarray, ax: int) -> np.ndarray:
    """Where some slice maximum is not finite: refuse NaN and all -inf; return where it is +inf."""
    if np.isnan(m).any():
        raise ValueError(f"z must not contain NaN, got NaN in an array of shape {arr.shape}")
    if np.isneginf(m).any():
        raise ValueError(
            f"z has a slice along axis {ax} whose logits are all -inf (shape {arr.shape}): "
            "softmax is undefined there; give at least one class a finite logit"
        )
    return np.isposinf(m)


def _tolerance(dtype: np.dtype, k: int) -> float:
    """Tolerance for probabilities of ``k`` classes held in ``dtype``, never below float32's.

    A softmax row computed in ``eps`` (sum, reciprocal, products) has a row sum off by at most
    about ``(k + 1) eps / 2``, and checking it by a sum in the same dtype adds ``(k - 1) eps / 2``:
    ``k eps`` in all, whatever the summation order (errors in ``exp`` cancel, as each entry is
    divided by the sum of the same exponentials). Twice that, at least ``8 eps``, leaves a margin
    for other ways of computing softmax (such as ``exp(log_softmax(z))``).
    """
    eps = max(float(np.finfo(dtype).eps), float(np.finfo(_F32).eps))
    return max(2 * k, 8) * eps


def _stated(tol: float) -> str:
    """``tol`` to three significant digits, rounded up: a message never understates the limit."""
    unit = 10.0 ** (math.floor(math.log10(tol)) - 2)
    return f"{math.ceil(tol / unit) * unit:.3g}"


#: Arrays smaller than this (bytes) are summed by a BLAS matrix-vector product.
_CACHED = 16 * 2**20


def _probabilities(name: str, part: tuple[np.ndarray, bool], dtype: np.dtype) -> np.ndarray:
    """Softmax outputs ``(..., k)`` in ``dtype``, checked: entries >= 0, rows summing to 1.

    The tolerance comes from the argument's own dtype (``part``, before conversion), so that
    float32 outputs converted to float64 pass. Two reductions: the row sums (non-finite if any
    entry is NaN or infinite) and the minimum. Entries above 1 are then impossible beyond rounding.
    """
    _check_nonempty(name, part[0])
    tol = _tolerance(part[0].dtype, part[0].shape[-1])
    arr = part[0].astype(dtype, copy=False)
    # Row sums: a matrix-vector product reads a cache-sized array fastest, a reduction a large one.
    sums = arr @ np.ones(arr.shape[-1], arr.dtype) if arr.nbytes < _CACHED else arr.sum(axis=-1)
    if not np.isfinite(sums).all():
        raise ValueError(f"{name} must be finite, got NaN or inf in an array of shape {arr.shape}")
    low = float(arr.min())
    if low < -tol:
        raise ValueError(
            f"{name} must hold probabilities in [0, 1] (softmax outputs, not logits); got a "
            f"minimum of {low:.3g} in an array of shape {arr.shape}"
        )
    worst = float(np.max(np.abs(sums - 1)))
    if worst > tol:
        raise ValueError(
            f"{name} must hold softmax outputs whose last axis sums to 1 (within "
            f"{_stated(tol)}); got sums off by up to {worst:.3g} in an array of shape {arr.shape}"
        )
    return arr


# --------------------------------------------------------------------------------------------
# softmax and log-softmax


def softmax(z: Any, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax along ``axis``.

    Parameters
    ----------
    z : (..., k, ...) array_like
        Real logits; ``k`` is the length of ``axis``. ``-inf`` is a class of probability zero;
        ``+inf`` logits are handled as the limit: the probability is shared equally among the
        ``+inf`` entries of that slice.
    axis : int, optional
        The class axis (default: the last).

    Returns
    -------
    s : array of the shape of ``z``
        Non-negative, summing to 1 along ``axis``; float32 for float32 ``z``, else float64.

    Raises
    ------
    TypeError
        If ``z`` is not a real numeric array (bool, complex, object, strings, masked) or
        ``axis`` is not an integer.
    ValueError
        If ``z`` is empty or a scalar, contains NaN, ``axis`` is out of range, or a slice along
        ``axis`` is entirely ``-inf`` (no class has any weight: the softmax is undefined).

    Notes
    -----
    Subtracting the slice maximum before exponentiating leaves the result unchanged
    (softmax is shift-invariant) and makes every exponent at most 0, so logits such as
    ``1e4`` neither overflow nor warn. The maximum doubles as the NaN check: a slice with a NaN
    has a NaN maximum.

    Examples
    --------
    >>> softmax([1000.0, 1001.0, 1002.0]).round(6)
    array([0.090031, 0.244728, 0.665241])
    """
    arr, ax = _logits(z, axis)
    m = arr.max(axis=ax, keepdims=True)
    if not np.isfinite(m).all():
        return _softmax_special(arr, m, ax)
    with np.errstate(over="ignore"):  # a gap wider than the float range is -inf: exp gives 0
        out = np.subtract(arr, m)
    np.exp(out, out=out)
    out *= 1 / out.sum(axis=ax, keepdims=True)  # each sum is >= 1: its largest term is exp(0)
    return out


def _softmax_special(arr: np.ndarray, m: np.ndarray, ax: int) -> np.ndarray:
    """Softmax when some slice maximum is +inf: uniform over that slice's +inf entries."""
    pos_inf = _special_max(arr, m, ax)
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.exp(arr - np.where(pos_inf, 0, m))
    out = np.where(pos_inf, np.isposinf(arr), out).astype(arr.dtype)
    out /= out.sum(axis=ax, keepdims=True)
    return out


def log_softmax(z: Any, axis: int = -1) -> np.ndarray:
    """Numerically stable ``log(softmax(z))`` by the log-sum-exp shift.

    Parameters
    ----------
    z : (..., k, ...) array_like
        Real logits, as for :func:`softmax`.
    axis : int, optional
        The class axis (default: the last).

    Returns
    -------
    log_s : array of the shape of ``z``
        ``z - max(z) - log(sum(exp(z - max(z))))``: finite wherever ``z`` is finite (never
        ``log(0)``; only a gap to the largest logit beyond the float range rounds to ``-inf``,
        as its true value is below ``-1.8e308``), ``-inf`` for ``-inf`` logits and for the
        finite entries of a slice that contains ``+inf``. Dtype as for :func:`softmax`.

    Raises
    ------
    TypeError, ValueError
        As for :func:`softmax`.

    Examples
    --------
    >>> log_softmax([0.0, 1000.0]).round(6)
    array([-1000.,     0.])
    """
    arr, ax = _logits(z, axis)
    m = arr.max(axis=ax, keepdims=True)
    if not np.isfinite(m).all():
        return _log_softmax_special(arr, m, ax)
    with np.errstate(over="ignore"):
        out = np.subtract(arr, m)
        if out.nbytes < _CACHED:  # a cache-sized temporary is cheap: one pass fewer
            log_sums = np.log(np.exp(out).sum(axis=ax, keepdims=True))  # each sum is >= 1
        else:  # exponentials in the output's memory, then the shift again: no second array
            np.exp(out, out=out)
            log_sums = np.log(out.sum(axis=ax, keepdims=True))
            np.subtract(arr, m, out=out)
    out -= log_sums
    return out


def _log_softmax_special(arr: np.ndarray, m: np.ndarray, ax: int) -> np.ndarray:
    pos_inf = _special_max(arr, m, ax)
    with np.errstate(over="ignore", invalid="ignore"):
        shifted = arr - np.where(pos_inf, 0, m)
        shifted = np.where(pos_inf, 0, shifted)
        out = shifted - np.log(np.exp(shifted).sum(axis=ax, keepdims=True))
    # The limit: log(1 / count) at the +inf entries of such a slice, -inf elsewhere in it.
    hits = np.isposinf(arr)
    count = np.maximum(hits.sum(axis=ax, keepdims=True), 1)
    limit = np.where(hits, np.log(1.0 / count), -np.inf)
    return np.where(pos_inf, limit, out).astype(arr.dtype)


# --------------------------------------------------------------------------------------------
# Jacobian and vector-Jacobian product


def _class_last(name: str, part: tuple[np.ndarray, bool], axis: Any) -> tuple[np.ndarray, int, str]:
    """The array with its class axis moved last (a view), that axis, and the name for messages."""
    arr = part[0]
    _check_nonempty(name, arr)
    ax = _axis(axis, name, arr.shape)
    if ax == arr.ndim - 1:
        return arr, ax, name
    return np.moveaxis(arr, ax, -1), ax, f"{name} (axis {ax} moved last)"


def softmax_jacobian(s: Any, axis: int = -1) -> np.ndarray:
    """The softmax Jacobian ``diag(s) - s s^T`` for each sample.

    Parameters
    ----------
    s : (..., k, ...) array_like
        Softmax outputs (not logits): entries in [0, 1], summing to 1 along ``axis``.
    axis : int, optional
        The class axis of ``s`` (default: the last), as given to :func:`softmax`.

    Returns
    -------
    J : (..., k, k) array
        ``J[..., i, j] = d s_i / d z_j = s_i (delta_ij - s_j)``: symmetric, every row and column
        summing to 0, rank ``k - 1`` when all ``s_i > 0``. The leading axes are the other axes of
        ``s`` in their order; the two class axes come last. float32 for float32 ``s``.

    Raises
    ------
    TypeError
        If ``s`` is not a real numeric array, or ``axis`` is not an integer.
    ValueError
        If ``s`` is empty or a scalar, not finite, ``axis`` is out of range, or ``s`` is not a
        probability vector along ``axis`` (a common slip: passing the logits ``z`` instead of
        ``s = softmax(z)``), or the result would have more than ``MAX_JACOBIAN_ENTRIES`` entries.

    Notes
    -----
    Memory and time are ``O(n k^2)`` for ``n`` samples. To backpropagate, use
    :func:`softmax_vjp`, which never forms this matrix.
    """
    part = _real("s", s)
    moved, _, label = _class_last("s", part, axis)
    arr = _probabilities(label, (moved, part[1]), _common_dtype(part))
    entries = arr.size * arr.shape[-1]
    if entries > MAX_JACOBIAN_ENTRIES:
        raise ValueError(
            f"s of shape {arr.shape} would need a Jacobian of {entries:,} entries (at most "
            f"{MAX_JACOBIAN_ENTRIES:,}); use softmax_vjp, which never forms it"
        )
    jac = np.multiply(arr[..., :, None], -arr[..., None, :])  # off-diagonal: -s_i s_j
    np.einsum("...ii->...i", jac)[...] += arr  # diagonal: s_i - s_i^2 (a writable view)
    return jac


def softmax_vjp(s: Any, g: Any, axis: int = -1, *, check: bool = True) -> np.ndarray:
    """Vector-Jacobian product ``g^T J`` of softmax, in ``O(k)`` per sample.

    Parameters
    ----------
    s : (..., k, ...) array_like
        Softmax outputs, as for :func:`softmax_jacobian`.
    g : (..., k, ...) array_like
        The upstream gradient ``dL/ds``, same shape as ``s``; any finite values.
    axis : int, optional
        The class axis of ``s`` and ``g`` (default: the last), as given to :func:`softmax`.
    check : bool, optional
        If False, skip the check that ``s`` holds probabilities (entries at least ``-tol``,
        sums within ``tol`` of 1 along ``axis``), which takes two reductions over ``s``: for a
        hot loop whose ``s`` comes straight from :func:`softmax`. Types, shapes, ``axis`` and
        the finiteness of ``g`` are still checked; a wrong ``s`` then gives a wrong result
        without an error. Default True.

    Returns
    -------
    dz : array of the shape of ``s``
        ``dL/dz = s * (g - <g, s>)`` with the inner product along ``axis``. Equal to
        ``g @ softmax_jacobian(s)`` sample by sample; it sums to 0 along ``axis`` (up to
        rounding). float32 if both ``s`` and ``g`` are float32 (or one is float32 and the other
        integer), else float64.

    Raises
    ------
    TypeError
        If ``s`` or ``g`` is not a real numeric array, or ``axis`` is not an integer.
    ValueError
        If ``s`` and ``g`` differ in shape, either is empty or not finite, ``axis`` is out of
        range, or ``s`` is not a probability vector along ``axis``.

    Notes
    -----
    Because ``J`` is symmetric, ``g^T J = J g``, so this is also the Jacobian-vector product.
    A ``g`` that is constant along the class axis, ``g = c``, gives ``s * c * (1 - sum(s))``:
    0 only as far as the rows of ``s`` sum to 1 (an accepted ``s`` may be off by the tolerance
    of the module's rules), since softmax ignores a common shift.
    Each entry of the result is at most ``max|g| / 2`` in magnitude, but ``g - <g, s>`` can
    exceed the float range when ``|g|`` is near it; such rows, and only they, are recomputed with
    ``g`` scaled by a power of two, so each row's result depends on that row alone. The inner
    product doubles as the check that ``g`` is finite.

    The accuracy promised is absolute: each entry is within a few ``eps * max|g|`` of the exact
    value, per row. So it depends on the scale of ``g``, including a common offset that softmax
    ignores: the unscaled path does not shift ``g``, and for ``g = c + h`` its error is of order
    ``eps * |c|``. Subtracting each row's maximum first, ``g - g.max(axis=-1, keepdims=True)``,
    removes the offset (exactly, for entries within a factor 2 of the maximum) and brings the
    error to the order of ``eps`` times the spread of ``h``. An entry much smaller than
    ``eps * max|g|`` may lose all its digits: where the top probability rounds to 1,
    ``g_i - <g, s>`` can cancel, and the unscaled path returns 0 for that entry. The scaled path
    shifts ``g`` by its top-class entry first, which keeps it. So such an entry depends on the
    scale of ``g``: the same direction of ``g`` can give a nonzero entry when ``|<g, s>|`` is
    2**970 or more (float32: 2**103) and 0 below. The shift is not always applied: an ``argmax``
    over ``s`` and a subtraction over ``g`` would add about half as much time again to a call.
    """
    s_part, g_part = _real("s", s), _real("g", g)
    dtype = _common_dtype(s_part, g_part)
    s_moved, ax, label = _class_last("s", s_part, axis)
    if not isinstance(check, bool | np.bool_):
        raise TypeError(f"check must be True or False, got {type(check).__name__} {check!r}")
    if check:
        s_arr = _probabilities(label, (s_moved, s_part[1]), dtype)
    else:
        s_arr = s_moved.astype(dtype, copy=False)
    if g_part[0].shape != s_part[0].shape:
        raise ValueError(
            f"g must have the shape of s, {s_part[0].shape}; got g of shape {g_part[0].shape}"
        )
    if ax != s_part[0].ndim - 1:  # classes last for the computation, moved back at the end
        return np.moveaxis(_vjp_last(s_arr, np.moveaxis(g_part[0], ax, -1), dtype), -1, ax)
    return _vjp_last(s_arr, g_part[0], dtype)


def _vjp_last(s_arr: np.ndarray, g: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``s * (g - <g, s>)`` along the last axis, for a checked ``s`` in ``dtype``."""
    g_arr = g.astype(dtype, copy=False)
    with np.errstate(over="ignore", invalid="ignore"):  # <g, s> is NaN or inf if g is not finite
        inner = np.vecdot(g_arr, s_arr)[..., None]
    finite = bool(np.isfinite(inner).all())
    if not finite and not np.isfinite(g_arr).all():
        raise ValueError(f"g must be finite, got NaN or inf in an array of shape {g_arr.shape}")
    if finite and np.abs(inner).max() < _VJP_SAFE[dtype.char]:  # the one cheap test
        out = np.subtract(g_arr, inner)
        out *= s_arr
        return out
    # only the rows where g - <g, s> could round beyond the range (or <g, s> did) take the
    # scaled path, so a row's result never depends on the other rows of the batch
    scaled = ~(np.abs(inner[..., 0]) < _VJP_SAFE[dtype.char])  # True where inner is NaN too
    with np.errstate(over="ignore", invalid="ignore"):  # in the scaled rows, overwritten below
        out = np.subtract(g_arr, inner)
        out *= s_arr
    out[scaled] = _vjp_scaled(s_arr[scaled], g_arr[scaled])
    return out


#: ``|g_i| <= max`` and ``|<g, s>|`` below half a unit in the last place of the float maximum
#: means ``g_i - <g, s>`` cannot round to infinity: the one cheap test for the scaled path.
_VJP_SAFE = {"d": 2.0**970, "f": 2.0**103}


def _vjp_scaled(s_arr: np.ndarray, g_arr: np.ndarray) -> np.ndarray:
    """``s * (g - <g, s>)`` for ``g`` near the float range, without overflow.

    Each row of ``g`` is divided by a power of two near its maximum (exact unless an entry
    underflows, an error below ``eps * max|g|``), then shifted by its entry at the row's most
    probable class (the VJP ignores a constant shift of ``g``, since ``J 1 = 0``), so that
    ``g - <g, s>`` is formed from numbers of order one.
    """
    top = np.abs(g_arr).max(axis=-1, keepdims=True)
    _, exponent = np.frexp(np.where(top > 0, top, 1))  # top = mantissa * 2**exponent
    scale = np.ldexp(np.ones_like(top), exponent - 1)  # a power of two <= top: no overflow
    gs = g_arr / scale  # |gs| < 2
    gs -= np.take_along_axis(gs, np.argmax(s_arr, axis=-1)[..., None], axis=-1)  # |gs| < 4
    out = s_arr * (gs - np.vecdot(gs, s_arr)[..., None])  # |gs - <gs, s>| < 8
    out *= scale  # |out| <= max|g| / 2: no overflow
    return out


def _jacobian_rowsum(s: Any) -> np.ndarray:
    """What the question computed as "the derivative": the row sums of the Jacobian (for tests).

    Parameters
    ----------
    s : (..., k) array_like
        Softmax outputs.

    Returns
    -------
    r : (..., k) array
        ``r_i = s_i (1 - s_i) - sum_{j != i} s_i s_j = s_i (1 - sum_j s_j)``, which is 0 up to
        rounding for every valid ``s``: it is ``J @ 1``, and ``J 1 = 0`` because softmax is
        unchanged by adding a constant to all logits. Private: the tests use it, and the pages
        run the question's own code instead.

    Raises
    ------
    TypeError, ValueError
        As for :func:`softmax_jacobian`.
    """
    part = _real("s", s)
    arr = _probabilities("s", part, _common_dtype(part))
    off_diagonal = arr * (arr.sum(axis=-1, keepdims=True) - arr)
    return arr * (1 - arr) - off_diagonal


# --------------------------------------------------------------------------------------------
# cross-entropy


def _targets(z: np.ndarray, y: Any) -> tuple[np.ndarray, bool, bool]:
    """Validate targets against logits ``z`` (..., k); return (y, is_index, was_integer).

    Class indices come back as ``intp``; probabilities as a real array (integers as float64),
    not yet converted to the computation's dtype.
    """
    batch_shape, k = z.shape[:-1], z.shape[-1]
    plain = isinstance(y, np.ndarray) and not isinstance(y, np.ma.MaskedArray)
    if not (plain and y.dtype.kind in "iuf"):
        as_real_array("y", y, allow_empty=True, check_finite=False, keep_float_dtype=True)
    raw = y if plain else np.asarray(y)
    was_int = raw.dtype.kind in "iu"
    if raw.shape == batch_shape:
        if not was_int:
            raise TypeError(
                f"y of shape {raw.shape} holds class indices and must be integers, got dtype "
                f"{raw.dtype} (pass probabilities with shape {z.shape} instead)"
            )
        low, high = int(raw.min()), int(raw.max())
        if low < 0 or high >= k:
            raise ValueError(
                f"y class indices must lie in [0, {k}) for {k} classes, got values in "
                f"[{low}, {high}]"
            )
        return raw.astype(np.intp, copy=False), True, True
    if raw.shape == z.shape:
        probs = raw.astype(np.float64, copy=False) if was_int else raw
        tol = _tolerance(probs.dtype, k)
        sums = probs.sum(axis=-1)
        if not np.isfinite(sums).all():
            raise ValueError(f"y must be finite, got NaN or inf in an array of shape {probs.shape}")
        low = float(probs.min())
        worst = float(np.max(np.abs(sums - 1)))
        if low < -tol or worst > tol:
            raise ValueError(
                f"y of shape {probs.shape} must hold probabilities (>= 0, last axis summing to "
                f"1 within {_stated(tol)}); got minimum {low:.3g} and sums off by up to {worst:.3g}"
            )
        return probs, False, was_int
    raise ValueError(
        f"y must be class indices of shape {batch_shape} or probabilities of shape {z.shape} "
        f"(matching z); got y of shape {raw.shape}"
    )


def _ce_inputs(z: Any, y: Any, dtype: np.dtype | None) -> tuple[np.ndarray, np.ndarray, bool]:
    """Validated logits (class axis last) in the computation's dtype, targets, and their form."""
    z_part = _real("z", z)
    arr = z_part[0]
    _check_nonempty("z", arr)
    y_arr, is_index, y_int = _targets(arr, y)
    if dtype is None:
        dtype = _common_dtype(z_part, (y_arr, y_int))
    arr = arr.astype(dtype, copy=False)
    if not is_index:
        y_arr = y_arr.astype(dtype, copy=False)
    return arr, y_arr, is_index


def _ce_row_max(arr: np.ndarray) -> np.ndarray:
    """Row maxima of finite-or-(-inf) logits; NaN and +inf refused."""
    m = arr.max(axis=-1, keepdims=True)
    if not np.isfinite(m).all():
        if np.isnan(m).any():
            raise ValueError(f"z must not contain NaN, got NaN in an array of shape {arr.shape}")
        raise ValueError(
            f"z must be finite for cross-entropy (-inf is allowed: a class ruled out), got "
            f"+inf or a sample whose logits are all -inf in an array of shape {arr.shape}"
        )
    return m


def _mean(per_sample: np.ndarray) -> float:
    """The mean of per-sample losses without overflow when the sum exceeds the float range."""
    n = per_sample.size
    with np.errstate(over="ignore"):
        total = float(per_sample.sum())
    if np.isfinite(total) or not np.isfinite(per_sample).all():
        return total / n
    return float((per_sample / n).sum())


def _ce_halves(
    arr: np.ndarray, m: np.ndarray, y_arr: np.ndarray, is_index: bool, log_sums: np.ndarray
) -> float:
    """The mean loss from half-scale per-sample losses, for gaps beyond the float range.

    ``z/2 - max(z)/2`` cannot overflow, so each half loss is finite unless a target puts weight
    on a ``-inf`` logit; classes with weight exactly 0 are skipped (0 * -inf is not NaN here).
    Doubling the mean overflows only when the true mean exceeds the float range.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        half_gaps = 0.5 * arr - 0.5 * m  # <= 0
        if is_index:
            half = 0.5 * log_sums - np.take_along_axis(half_gaps, y_arr[..., None], -1)[..., 0]
        else:
            terms = np.where(y_arr > 0, y_arr * half_gaps, 0.0).sum(axis=-1)
            half = 0.5 * log_sums * y_arr.sum(axis=-1) - terms
        return float(2.0 * _mean(half))


def cross_entropy(z: Any, y: Any) -> float:
    """Mean cross-entropy of softmax(z) against targets ``y``.

    Parameters
    ----------
    z : (..., k) array_like
        Real logits; the class axis is the last. A 1-D ``z`` is a single sample. ``-inf`` is a
        class the model rules out; NaN and ``+inf`` are refused.
    y : (...) int array_like or (..., k) array_like
        Either class indices in ``[0, k)`` of shape ``z.shape[:-1]``, or target probabilities
        (one-hot or soft labels, each row summing to 1) of the shape of ``z``.

    Returns
    -------
    loss : float
        ``-mean over samples of sum_i y_i log softmax(z)_i``, computed in float64 from the
        log-sum-exp, so it is finite for every finite ``z`` whose loss is below the float64
        maximum (about 1.8e308): ``inf`` only when the true loss exceeds it, or a target puts
        weight on a ``-inf`` logit. A target weight of exactly 0 ignores its class.

    Raises
    ------
    TypeError
        If ``z`` or ``y`` has a non-numeric dtype, or indices are not integers.
    ValueError
        If shapes do not match, ``z`` is empty or has NaN or ``+inf``, indices are out of
        range, or probability rows do not sum to 1.

    Examples
    --------
    >>> round(cross_entropy([[0.0, 0.0]], [1]), 6)
    0.693147
    """
    arr, y_arr, is_index = _ce_inputs(z, y, np.dtype(np.float64))
    return _ce_loss_and_exp(arr, y_arr, is_index)[0]


def _ce_loss_and_exp(
    arr: np.ndarray, y_arr: np.ndarray, is_index: bool
) -> tuple[float, np.ndarray, np.ndarray]:
    """The mean cross-entropy of validated float64 inputs, with ``exp(z - max z)`` and its sums.

    Returns ``(loss, out, sums)``: ``out`` of ``arr``'s shape ``(..., k)``, ``sums`` of shape
    ``(..., 1)``; :func:`cross_entropy_and_grad` reuses both for the gradient.
    """
    m = _ce_row_max(arr)
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.subtract(arr, m)  # <= 0; -inf for a gap beyond the float range
        if is_index:
            cross = np.take_along_axis(out, y_arr[..., None], axis=-1)[..., 0]
        else:
            cross = np.vecdot(y_arr, out)  # sum_i y_i (z_i - max z); NaN for 0 * -inf
        np.exp(out, out=out)
        sums = out.sum(axis=-1, keepdims=True)
        log_sums = np.log(sums[..., 0])  # in [0, log k]
        per_sample = log_sums - cross if is_index else log_sums * y_arr.sum(axis=-1) - cross
    if np.isfinite(per_sample).all():
        return _mean(per_sample), out, sums
    return _ce_halves(arr, m, y_arr, is_index, log_sums), out, sums


def cross_entropy_grad(z: Any, y: Any) -> np.ndarray:
    """Gradient of :func:`cross_entropy` in the logits: ``(softmax(z) * sum(y) - y) / n``.

    Parameters
    ----------
    z : (..., k) array_like
        Real logits, as for :func:`cross_entropy`.
    y : (...) int array_like or (..., k) array_like
        Class indices or target probabilities, as for :func:`cross_entropy`.

    Returns
    -------
    dz : (..., k) array
        ``(softmax(z) * sum(Y) - Y) / n`` with ``Y`` the one-hot (or given) targets, the sum
        over the class axis, and ``n`` the number of samples (``z.size // k``); for class
        indices and one-hot rows ``sum(Y) = 1``. Fused: no Jacobian, no division by ``s``, no
        ``log``.
        float32 when ``z`` (and floating-point ``y``) are float32, whatever the target form.

    Raises
    ------
    TypeError, ValueError
        As for :func:`cross_entropy`.

    Notes
    -----
    The chain rule through softmax gives ``dz = s * (g - <g, s>)`` with ``g = -y / s / n``,
    i.e. ``(s * sum(y) - y) / n``, which is ``(s - y) / n`` when ``sum(y) = 1``. Probability
    rows are accepted when they sum to 1 within a tolerance (see the module's rules), so the
    factor ``sum(y)`` is kept: :func:`cross_entropy` weights each sample's log-sum-exp by it too,
    and the gradient matches that loss for every accepted ``y``.

    Examples
    --------
    >>> cross_entropy_grad([[0.0, 0.0]], [1])
    array([[ 0.5, -0.5]])
    """
    arr, y_arr, is_index = _ce_inputs(z, y, None)
    m = _ce_row_max(arr)
    with np.errstate(over="ignore"):
        out = np.subtract(arr, m)
    np.exp(out, out=out)
    return _ce_grad_finish(out, out.sum(axis=-1, keepdims=True), y_arr, is_index)


def _ce_grad_finish(
    out: np.ndarray, sums: np.ndarray, y_arr: np.ndarray, is_index: bool
) -> np.ndarray:
    """``(s * sum(y) - y) / n`` in place, from ``out = exp(z - max z)`` and its row ``sums``."""
    n = out.size // out.shape[-1]
    if is_index:  # s / n, then subtract 1 / n at each sample's true class: no one-hot array
        out *= 1 / (sums * n)
        idx = y_arr[..., None]
        picked = np.take_along_axis(out, idx, axis=-1) - out.dtype.type(1 / n)
        np.put_along_axis(out, idx, picked, axis=-1)
        return out
    out *= y_arr.sum(axis=-1, keepdims=True) / sums  # s * sum(y): exact for any row sum
    out -= y_arr
    out *= out.dtype.type(1 / n)
    return out


def cross_entropy_and_grad(z: Any, y: Any) -> tuple[float, np.ndarray]:
    """:func:`cross_entropy` and :func:`cross_entropy_grad` from one pass of ``exp``.

    Parameters
    ----------
    z : (..., k) array_like
        Real logits, as for :func:`cross_entropy`.
    y : (...) int array_like or (..., k) array_like
        Class indices or target probabilities, as for :func:`cross_entropy`.

    Returns
    -------
    loss : float
        The mean cross-entropy, as :func:`cross_entropy` returns it.
    dz : (..., k) array
        Its gradient in the logits, as :func:`cross_entropy_grad` returns it, in the same dtype.

    Raises
    ------
    TypeError, ValueError
        As for :func:`cross_entropy`.

    Notes
    -----
    The inputs are validated once, and ``exp(z - max z)`` and its row sums serve both the
    log-sum-exp of the loss and the softmax of the gradient. Both are computed in float64, as the
    loss is, and the gradient is then rounded to float32 for float32 inputs; for float64 inputs
    both results equal those of the two separate calls.

    Examples
    --------
    >>> loss, dz = cross_entropy_and_grad([[0.0, 0.0]], [1])
    >>> round(loss, 6), dz
    (0.693147, array([[ 0.5, -0.5]]))
    """
    arr, y_arr, is_index = _ce_inputs(z, y, None)
    dtype = arr.dtype
    arr = arr.astype(_F64, copy=False)
    if not is_index:
        y_arr = y_arr.astype(_F64, copy=False)
    loss, out, sums = _ce_loss_and_exp(arr, y_arr, is_index)
    grad = _ce_grad_finish(out, sums, y_arr, is_index)
    return loss, grad.astype(dtype, copy=False)


# --------------------------------------------------------------------------------------------
# sigmoid, for contrast


def sigmoid(z: Any) -> np.ndarray:
    """Elementwise logistic sigmoid ``1 / (1 + exp(-z))``, without overflow.

    Parameters
    ----------
    z : (...) array_like
        Real inputs; ``±inf`` give 0 and 1.

    Returns
    -------
    s : array of the shape of ``z``
        Values in [0, 1]; float32 for float32 ``z``, else float64.

    Raises
    ------
    TypeError
        If ``z`` is not a real numeric array.
    ValueError
        If ``z`` is empty or contains NaN.

    Notes
    -----
    Computed from ``e = exp(-|z|)``, which lies in [0, 1] and cannot overflow: ``1 / (1 + e)``
    for ``z >= 0`` and ``e / (1 + e)`` for ``z < 0``. So small outputs keep their relative
    accuracy down to the subnormal range: ``sigmoid(-740.0)`` is ``exp(-740.0)``, about
    ``4.2e-322``, and only below about ``-745`` (float32: ``-103``) does the output round to 0.
    ``scipy.special.expit`` computes ``1 / (1 + exp(-z))`` directly and returns 0 already below
    about ``-709.8`` (float32: ``-88.7``), where ``exp(-z)`` overflows.

    Examples
    --------
    >>> bool(sigmoid(-740.0) == np.exp(-740.0) > 0)
    True
    """
    part = _real("z", z)
    arr = part[0].astype(_common_dtype(part), copy=False)
    if arr.size == 0:
        raise ValueError(f"z must not be empty, got shape {arr.shape}")
    if np.isnan(arr).any():
        raise ValueError(f"z must not contain NaN, got NaN in an array of shape {arr.shape}")
    with np.errstate(under="ignore"):  # exp(-|z|) rounds to 0 only where the output does
        e = np.exp(-np.abs(arr))
    out = np.where(arr < 0, e, arr.dtype.type(1))
    out /= 1 + e
    return out


def sigmoid_derivative(s: Any) -> np.ndarray:
    """Derivative of the sigmoid from its output: ``s * (1 - s)``, elementwise.

    Parameters
    ----------
    s : (...) array_like
        Sigmoid outputs, in [0, 1].

    Returns
    -------
    ds : array of the shape of ``s``
        ``d sigmoid(z) / dz`` at the ``z`` with ``sigmoid(z) = s``: the diagonal of a diagonal
        Jacobian, which is why an elementwise multiply backpropagates through it. float32 for
        float32 ``s``, else float64.

    Raises
    ------
    TypeError
        If ``s`` is not a real numeric array.
    ValueError
        If ``s`` is empty, not finite, or outside [0, 1] (e.g. logits passed by mistake).
    """
    part = _real("s", s)
    arr = part[0].astype(_common_dtype(part), copy=False)
    if arr.size == 0:
        raise ValueError(f"s must not be empty, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"s must be finite, got NaN or inf in an array of shape {arr.shape}")
    if arr.min() < 0 or arr.max() > 1:
        raise ValueError(
            f"s must hold sigmoid outputs in [0, 1], got values in [{arr.min():.3g}, "
            f"{arr.max():.3g}] (pass sigmoid(z), not z)"
        )
    return arr * (1 - arr)
