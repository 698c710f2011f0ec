"""Softmax, its Jacobian, and backpropagation through it (chapter :ref:`ch-softmax`).

For logits ``z`` of shape ``(..., k)`` the softmax is ``s = exp(z) / sum(exp(z))`` along the class
axis. Its Jacobian at one sample is the ``(k, k)`` matrix

.. math:: J = \\operatorname{diag}(s) - s s^\\top,

which is symmetric, has rows summing to zero and rank ``k - 1``. Backpropagation never needs
``J`` itself, only the vector-Jacobian product ``g^T J = s * (g - <g, s>)``, which costs ``O(k)``
per sample instead of ``O(k^2)``. Fused with the cross-entropy loss, the gradient with respect to
the logits is simply ``(s - y) / batch_size``.

Every function validates its inputs at the boundary and raises ``TypeError`` (wrong dtype) or
``ValueError`` (wrong shape, empty, NaN, not a probability vector) naming the argument and what
it got.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit

from helpers._validation import as_real_array

__all__ = [
    "cross_entropy",
    "cross_entropy_grad",
    "log_softmax",
    "sigmoid",
    "sigmoid_derivative",
    "softmax",
    "softmax_jacobian",
    "softmax_jacobian_rowsum",
    "softmax_vjp",
]


# --------------------------------------------------------------------------------------------
# validation


def _check_nonempty(name: str, arr: np.ndarray, *, what: str = "") -> None:
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension (the class axis), got a scalar")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty{what}, got shape {arr.shape}")


def _logits(name: str, z: Any, axis: int) -> tuple[np.ndarray, int]:
    """Validate logits: real, non-empty, no NaN; return the array and the normalized axis."""
    arr = as_real_array(name, z, allow_empty=True, check_finite=False, keep_float_dtype=True)
    _check_nonempty(name, arr)
    if not isinstance(axis, int | np.integer) or isinstance(axis, bool):
        raise TypeError(f"axis must be an integer, got {type(axis).__name__}")
    if not -arr.ndim <= axis < arr.ndim:
        raise ValueError(f"axis {axis} is out of range for {name} of shape {arr.shape}")
    if np.isnan(arr).any():
        raise ValueError(f"{name} must not contain NaN, got NaN in an array of shape {arr.shape}")
    return arr, int(axis) % arr.ndim


def _probabilities(name: str, s: Any) -> np.ndarray:
    """Validate softmax outputs ``(..., k)``: finite, in [0, 1], each row summing to 1."""
    arr = as_real_array(name, s, allow_empty=True, check_finite=False, keep_float_dtype=True)
    _check_nonempty(name, arr)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite, got NaN or inf in an array of shape {arr.shape}")
    k = arr.shape[-1]
    eps = float(np.finfo(arr.dtype).eps)
    tol = max(np.sqrt(eps), 10 * k * eps)
    if arr.min() < -tol or arr.max() > 1 + tol:
        raise ValueError(
            f"{name} must hold probabilities in [0, 1] (softmax outputs, not logits); got values "
            f"in [{arr.min():.3g}, {arr.max():.3g}] in an array of shape {arr.shape}"
        )
    sums = arr.sum(axis=-1)
    worst = float(np.max(np.abs(sums - 1)))
    if worst > tol:
        raise ValueError(
            f"{name} must hold softmax outputs whose last axis sums to 1; got sums off by up to "
            f"{worst:.3g} in an array of shape {arr.shape}"
        )
    return arr


def _shift_by_max(arr: np.ndarray, ax: int, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """``arr`` minus its maximum along ``ax`` (all entries <= 0), and where that maximum is +inf.

    Slices whose maximum is +inf get 0 in place of ``inf - inf``; the callers replace them by
    their limit. A slice that is all -inf has no softmax and is rejected.
    """
    m = arr.max(axis=ax, keepdims=True)
    if np.isneginf(m).any():
        raise ValueError(
            f"z has a slice along axis {axis} whose logits are all -inf (shape {arr.shape}): "
            "softmax is undefined there"
        )
    pos_inf = np.isposinf(m)
    with np.errstate(over="ignore"):  # a gap wider than the float range rounds to -inf: exp -> 0
        shifted = arr - np.where(pos_inf, 0, m)
    return np.where(pos_inf, 0, shifted), pos_inf


# --------------------------------------------------------------------------------------------
# softmax and log-softmax


def softmax(z: Any, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax along ``axis``.

    Parameters
    ----------
    z : (..., k, ...) array_like
        Real logits; ``k`` is the length of ``axis``. Integers are converted to float64, float32
        stays float32. ``-inf`` is a class of probability zero; ``+inf`` logits are handled as
        the limit: the probability is shared equally among the ``+inf`` entries of that slice.
    axis : int, optional
        The class axis (default: the last).

    Returns
    -------
    s : array of the shape of ``z``
        Non-negative, summing to 1 along ``axis``.

    Raises
    ------
    TypeError
        If ``z`` is not a real numeric array (bool, complex, object, strings).
    ValueError
        If ``z`` is empty or a scalar, contains NaN, ``axis`` is out of range, or a slice along
        ``axis`` is entirely ``-inf`` (no class has any weight: the softmax is undefined).

    Notes
    -----
    Subtracting the slice maximum before exponentiating leaves the result unchanged
    (softmax is shift-invariant) and makes every exponent at most 0, so logits such as
    ``1e4`` neither overflow nor warn.

    Examples
    --------
    >>> softmax([1000.0, 1001.0, 1002.0]).round(6)
    array([0.090031, 0.244728, 0.665241])
    """
    arr, ax = _logits("z", z, axis)
    shifted, pos_inf = _shift_by_max(arr, ax, axis)
    e = np.exp(shifted)  # every exponent is <= 0: no overflow
    if pos_inf.any():
        # The limit as some logits grow without bound: uniform over the +inf entries of a slice.
        e = np.where(pos_inf, np.isposinf(arr), e).astype(arr.dtype)
    return e / e.sum(axis=ax, keepdims=True)


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
        ``log(0)``; only a gap to the largest logit beyond the float range rounds to ``-inf``),
        ``-inf`` for ``-inf`` logits and for the finite entries of a slice that contains
        ``+inf``.

    Raises
    ------
    TypeError, ValueError
        As for :func:`softmax`.

    Examples
    --------
    >>> log_softmax([0.0, 1000.0]).round(6)
    array([-1000.,     0.])
    """
    arr, ax = _logits("z", z, axis)
    shifted, pos_inf = _shift_by_max(arr, ax, axis)
    out = shifted - np.log(np.exp(shifted).sum(axis=ax, keepdims=True))  # the sum is >= 1
    if pos_inf.any():
        # The limit: log(1 / count) at the +inf entries of such a slice, -inf elsewhere in it.
        hits = np.isposinf(arr)
        count = np.maximum(hits.sum(axis=ax, keepdims=True), 1)
        limit = np.where(hits, np.log(1.0 / count), -np.inf)
        out = np.where(pos_inf, limit, out).astype(arr.dtype)
    return out


# --------------------------------------------------------------------------------------------
# Jacobian and vector-Jacobian product


def softmax_jacobian(s: Any) -> np.ndarray:
    """The softmax Jacobian ``diag(s) - s s^T`` for each sample.

    Parameters
    ----------
    s : (..., k) array_like
        Softmax outputs (not logits): entries in [0, 1], each last-axis row summing to 1.

    Returns
    -------
    J : (..., k, k) array
        ``J[..., i, j] = d s_i / d z_j = s_i (delta_ij - s_j)``: symmetric, every row and column
        summing to 0, rank ``k - 1`` when all ``s_i > 0``.

    Raises
    ------
    TypeError
        If ``s`` is not a real numeric array.
    ValueError
        If ``s`` is empty or a scalar, not finite, or not a probability vector along its last
        axis (a common slip: passing the logits ``z`` instead of ``s = softmax(z)``).

    Notes
    -----
    Memory and time are ``O(n k^2)`` for ``n`` samples. To backpropagate, use
    :func:`softmax_vjp`, which never forms this matrix.
    """
    arr = _probabilities("s", s)
    jac = np.multiply(arr[..., :, None], -arr[..., None, :])  # off-diagonal: -s_i s_j
    np.einsum("...ii->...i", jac)[...] += arr  # diagonal: s_i - s_i^2 (a writable view)
    return jac


def softmax_vjp(s: Any, g: Any) -> np.ndarray:
    """Vector-Jacobian product ``g^T J`` of softmax, in ``O(k)`` per sample.

    Parameters
    ----------
    s : (..., k) array_like
        Softmax outputs, as for :func:`softmax_jacobian`.
    g : (..., k) array_like
        The upstream gradient ``dL/ds``, same shape as ``s``.

    Returns
    -------
    dz : (..., k) array
        ``dL/dz = s * (g - <g, s>)`` with the inner product over the last axis. Equal to
        ``g @ softmax_jacobian(s)`` sample by sample; each row sums to 0 (up to rounding).

    Raises
    ------
    TypeError
        If ``s`` or ``g`` is not a real numeric array.
    ValueError
        If ``s`` and ``g`` differ in shape, either is empty or not finite, or ``s`` is not a
        probability vector along its last axis.

    Notes
    -----
    Because ``J`` is symmetric, ``g^T J = J g``, so this is also the Jacobian-vector product.
    A ``g`` that is constant along the class axis gives 0: softmax ignores a common shift.
    """
    s_arr = _probabilities("s", s)
    g_arr = as_real_array("g", g, allow_empty=True, check_finite=False, keep_float_dtype=True)
    if g_arr.shape != s_arr.shape:
        raise ValueError(f"g must have the shape of s, {s_arr.shape}; got g of shape {g_arr.shape}")
    if not np.isfinite(g_arr).all():
        raise ValueError(f"g must be finite, got NaN or inf in an array of shape {g_arr.shape}")
    inner = np.einsum("...k,...k->...", g_arr, s_arr)[..., None]  # <g, s> per sample: (..., 1)
    return s_arr * (g_arr - inner)


def softmax_jacobian_rowsum(s: Any) -> np.ndarray:
    """What the question computed as "the derivative": the row sums of the Jacobian.

    Parameters
    ----------
    s : (..., k) array_like
        Softmax outputs.

    Returns
    -------
    r : (..., k) array
        ``r_i = s_i (1 - s_i) - sum_{j != i} s_i s_j = s_i (1 - sum_j s_j)``, which is 0 up to
        rounding for every valid ``s``: it is ``J @ 1``, and ``J 1 = 0`` because softmax is
        unchanged by adding a constant to all logits. Kept to reproduce the stalled training.
    """
    arr = _probabilities("s", s)
    off_diagonal = arr * (arr.sum(axis=-1, keepdims=True) - arr)
    return arr * (1 - arr) - off_diagonal


# --------------------------------------------------------------------------------------------
# cross-entropy


def _targets(z: np.ndarray, y: Any) -> tuple[np.ndarray, bool]:
    """Validate targets against logits ``z`` (..., k); return (y, is_index)."""
    y_arr = np.asarray(y)
    batch_shape, k = z.shape[:-1], z.shape[-1]
    if y_arr.shape == batch_shape:
        if y_arr.dtype == np.bool_ or not np.issubdtype(y_arr.dtype, np.integer):
            raise TypeError(
                f"y of shape {y_arr.shape} holds class indices and must be integers, got dtype "
                f"{y_arr.dtype} (pass probabilities with shape {z.shape} instead)"
            )
        if y_arr.size and (y_arr.min() < 0 or y_arr.max() >= k):
            raise ValueError(
                f"y class indices must lie in [0, {k}) for {k} classes, got values in "
                f"[{y_arr.min()}, {y_arr.max()}]"
            )
        return y_arr.astype(np.intp), True
    if y_arr.shape == z.shape:
        probs = as_real_array(
            "y", y_arr, allow_empty=True, check_finite=False, keep_float_dtype=True
        )
        if not np.isfinite(probs).all():
            raise ValueError(f"y must be finite, got NaN or inf in an array of shape {probs.shape}")
        eps = float(np.finfo(probs.dtype).eps)
        tol = max(np.sqrt(eps), 10 * k * eps)
        worst = float(np.max(np.abs(probs.sum(axis=-1) - 1)))
        if probs.min() < -tol or worst > tol:
            raise ValueError(
                f"y of shape {probs.shape} must hold probabilities (>= 0, last axis summing to "
                f"1); got minimum {probs.min():.3g} and sums off by up to {worst:.3g}"
            )
        return probs, False
    raise ValueError(
        f"y must be class indices of shape {batch_shape} or probabilities of shape {z.shape} "
        f"(matching z); got y of shape {y_arr.shape}"
    )


def _finite_logits(z: Any) -> np.ndarray:
    arr, _ = _logits("z", z, -1)
    if not np.isfinite(arr).all():
        raise ValueError(
            f"z must be finite for cross-entropy, got inf in an array of shape {arr.shape}"
        )
    return arr


def cross_entropy(z: Any, y: Any) -> float:
    """Mean cross-entropy of softmax(z) against targets ``y``.

    Parameters
    ----------
    z : (..., k) array_like
        Finite real logits; the class axis is the last. A 1-D ``z`` is a single sample.
    y : (...) int array_like or (..., k) array_like
        Either class indices in ``[0, k)`` of shape ``z.shape[:-1]``, or target probabilities
        (one-hot or soft labels, each row summing to 1) of the shape of ``z``.

    Returns
    -------
    loss : float
        ``-mean over samples of sum_i y_i log softmax(z)_i``, computed with :func:`log_softmax`
        so it is finite for every finite ``z``.

    Raises
    ------
    TypeError
        If ``z`` or ``y`` has a non-numeric dtype, or indices are not integers.
    ValueError
        If shapes do not match, ``z`` is empty or not finite, indices are out of range, or
        probability rows do not sum to 1.
    """
    arr = _finite_logits(z)
    y_arr, is_index = _targets(arr, y)
    log_s = log_softmax(arr, axis=-1)
    n = arr.size // arr.shape[-1]
    if is_index:
        picked = np.take_along_axis(log_s, y_arr[..., None], axis=-1)
        return float(-picked.sum() / n)
    return float(-(y_arr * log_s).sum() / n)


def cross_entropy_grad(z: Any, y: Any) -> np.ndarray:
    """Gradient of :func:`cross_entropy` with respect to the logits: ``(softmax(z) - y) / n``.

    Parameters
    ----------
    z : (..., k) array_like
        Finite real logits, as for :func:`cross_entropy`.
    y : (...) int array_like or (..., k) array_like
        Class indices or target probabilities, as for :func:`cross_entropy`.

    Returns
    -------
    dz : (..., k) array
        ``(softmax(z) - Y) / n`` with ``Y`` the one-hot (or given) targets and ``n`` the number
        of samples (``z.size // k``). Fused: no Jacobian, no division by ``s``, no ``log``.

    Raises
    ------
    TypeError, ValueError
        As for :func:`cross_entropy`.

    Notes
    -----
    The chain rule through softmax gives ``dz = s * (g - <g, s>)`` with ``g = -y / s / n``,
    i.e. ``(-y + s * sum(y)) / n``, which is ``(s - y) / n`` because ``sum(y) = 1``.
    """
    arr = _finite_logits(z)
    y_arr, is_index = _targets(arr, y)
    n = arr.size // arr.shape[-1]
    grad = softmax(arr, axis=-1)
    if is_index:  # s - onehot(y): subtract 1 at each sample's true class, no one-hot array
        idx = y_arr[..., None]
        np.put_along_axis(grad, idx, np.take_along_axis(grad, idx, axis=-1) - 1, axis=-1)
    else:
        grad = grad - y_arr
    return grad / n


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
        Values in [0, 1].

    Raises
    ------
    TypeError
        If ``z`` is not a real numeric array.
    ValueError
        If ``z`` is empty or contains NaN.
    """
    arr = as_real_array("z", z, allow_empty=True, check_finite=False, keep_float_dtype=True)
    if arr.size == 0:
        raise ValueError(f"z must not be empty, got shape {arr.shape}")
    if np.isnan(arr).any():
        raise ValueError(f"z must not contain NaN, got NaN in an array of shape {arr.shape}")
    return expit(arr)


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
        Jacobian, which is why an elementwise multiply backpropagates through it.

    Raises
    ------
    TypeError
        If ``s`` is not a real numeric array.
    ValueError
        If ``s`` is empty, not finite, or outside [0, 1] (e.g. logits passed by mistake).
    """
    arr = as_real_array("s", s, allow_empty=True, check_finite=False, keep_float_dtype=True)
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
