"""Linear regression by gradient descent, its batched gradients derived by the chain rule.

The model maps a batch ``X`` of ``b`` samples with ``D`` features to predictions

.. math:: P = X W + \\mathbf{1} B, \\qquad L = \\frac{1}{b} \\sum_{i=1}^{b} (y_i - P_i)^2,

with ``X`` (b, D), ``W`` (D, 1), ``B`` (1, 1), ``P`` and ``y`` (b, 1). Its gradients are

.. math:: \\frac{\\partial L}{\\partial P} = \\frac{2}{b}(P - y), \\quad
          \\frac{\\partial L}{\\partial W} = X^\\top \\frac{\\partial L}{\\partial P}, \\quad
          \\frac{\\partial L}{\\partial B} = \\mathbf{1}^\\top \\frac{\\partial L}{\\partial P},

the last being the sum over the batch axis that :func:`unbroadcast` performs for any parameter
that was broadcast in the forward pass.
With ``reduction="sum"``, :func:`loss_gradients` differentiates the summed loss ``b L``
instead: its gradients are ``b`` times these.

``forward_info["N"]`` is the product ``N = X @ W`` (the name the question's code uses; it is not a
sample count). The batch size ``b`` is ``X.shape[0]``. In
:func:`hessian`, :func:`max_stable_lr` and :func:`train`, ``X`` is the whole data set, of ``n``
samples (``n_samples``).

Dtypes and range, the same for every function here: arrays may be of any integer or floating
dtype and are computed with in float64 (float32 is converted); bool, complex, object, string and
masked arrays are refused. Every finite input gives a correct result or a ``ValueError`` naming
what overflowed. Results are guaranteed (never an overflow error) while they fit float64 with
room to spare: for the forward pass and gradients, ``max|X| * sum|W| + |B| + max|y|`` below
about ``1e150``; for :func:`hessian` and :func:`max_stable_lr`, ``max|X|`` below ``9.4e153``
(the Hessian's entries are at most ``2 max|X|**2``). Sums and the Hessian are computed with
scaling, so partial results do not overflow when the result itself fits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np

from helpers._validation import as_choice, as_real_array, as_rng, as_scalar

__all__ = [
    "forward_linear_regression",
    "hessian",
    "loss_gradients",
    "max_stable_lr",
    "train",
    "unbroadcast",
]

Weights = dict[str, np.ndarray]
ForwardInfo = dict[str, np.ndarray]


# --------------------------------------------------------------------------------------------
# validation

#: Beyond this, a squared residual would overflow: the forward pass is guaranteed below it.
_RESIDUAL_LIMIT = 1e150
#: The largest number of epochs :func:`train` accepts (its loss history holds one per epoch).
_MAX_EPOCHS = 10**7
#: ``sqrt(max float64 / 2)``: :func:`hessian` is guaranteed for ``max|X|`` below it.
_HESSIAN_X_LIMIT = 9.4e153


def _check_X(X: Any, name: str = "X") -> np.ndarray:
    # X is the one large array: its finiteness is checked through the product X @ W (a NaN or
    # inf anywhere in X makes a row of the product non-finite if the BLAS propagates NaN * 0,
    # as OpenBLAS does; NumPy does not promise it), which costs nothing extra.
    X = as_real_array(name, X, check_finite=False)
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array, one row per sample and one column per feature, got "
            f"shape {X.shape}"
        )
    return X


def _check_y(
    y: Any, n: int, name: str = "y", *, check_finite: bool = True, x_name: str = "X"
) -> np.ndarray:
    y = as_real_array(name, y, check_finite=check_finite)
    if y.shape != (n, 1):
        hint = ""
        if y.shape == (n,) and n > 1:
            hint = (
                f"; a 1-D {name} would broadcast against P of shape ({n}, 1) into a ({n}, {n}) "
                f"matrix and give a wrong loss silently: pass {name}.reshape(-1, 1)"
            )
        elif y.shape == (n,):  # one row: the broadcast is harmless, but refused all the same
            hint = (
                f"; pass {name}.reshape(-1, 1) (a 1-D {name} is refused at every size, as with "
                "more than one row it would give a wrong loss)"
            )
        raise ValueError(
            f"{name} must have shape ({n}, 1), one row per row of {x_name}, got {y.shape}{hint}"
        )
    return y


def _check_weights(weights: Any, d: int) -> Weights:
    if not isinstance(weights, Mapping):
        raise TypeError(
            f"weights must be a dict with keys 'W' and 'B', got {type(weights).__name__}"
        )
    missing = [k for k in ("W", "B") if k not in weights]
    if missing:
        raise ValueError(
            f"weights is missing key(s) {missing}: expected 'W' of shape ({d}, 1) and 'B' of "
            f"shape (1, 1), got keys {sorted(map(str, weights))}"
        )
    W = as_real_array("weights['W']", weights["W"])
    B = as_real_array("weights['B']", weights["B"])
    if W.shape != (d, 1):
        raise ValueError(f"weights['W'] must have shape (D, 1) = ({d}, 1), got {W.shape}")
    if B.shape != (1, 1):
        raise ValueError(f"weights['B'] must have shape (1, 1), got {B.shape}")
    return {"W": W, "B": B}


def _check_finite_X(X: np.ndarray, name: str = "X") -> None:
    """Raise the named error for NaN or inf in ``X`` (a full pass: used off the fast path)."""
    if not np.isfinite(X).all():
        rows, cols = np.nonzero(~np.isfinite(X))
        raise ValueError(
            f"{name} must be finite, got NaN or inf in an array of shape {X.shape} "
            f"(the first, {X[rows[0], cols[0]]}, at {name}[{rows[0]}, {cols[0]}])"
        )


def _abs_max(a: np.ndarray) -> float:
    """``max |a|`` without an ``|a|`` temporary (two passes, no allocation)."""
    return float(max(a.max(), -a.min()))


def _read_only(a: np.ndarray) -> np.ndarray:
    """A read-only view of ``a``: cached in ``forward_info`` without a copy, and not writable."""
    view = a.view()
    view.flags.writeable = False
    return view


class _Overflow(ValueError):
    """A finite input gave a result beyond float64's range (in training: divergence)."""


def _mean_square(r: np.ndarray) -> float:
    """``mean(r**2)`` for a finite 1-D ``r`` whose plain sum of squares overflowed: scaled
    first, then squared; inf only when the mean itself exceeds float64."""
    scale = _abs_max(r)
    rms = scale * float(np.sqrt(np.mean(np.square(r / scale))))
    with np.errstate(over="ignore"):
        return rms * rms


def _power_of_two_near(a: Any) -> Any:
    """Powers of two ``s`` with ``s <= |a| < 2 s`` entrywise (1/2 where ``a`` is 0), finite for
    every finite ``a``: dividing by them is exact (barring underflow of much smaller entries)."""
    return np.ldexp(1.0, np.frexp(a)[1] - 1)


def _scaled_sum(g: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """``g.sum(axis=axes)`` for a finite ``g``, exact up to rounding whenever the result fits.

    Partial sums of large entries can overflow although the total does not; then every output
    entry is summed again with its own terms divided by a power of two (exact) near their
    largest magnitude, and multiplied back.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.sum(g, axis=axes)
    if np.isfinite(total).all():
        return total
    scale = _power_of_two_near(np.max(np.abs(g), axis=axes, keepdims=True))
    with np.errstate(over="ignore"):
        return np.sum(g / scale, axis=axes) * np.squeeze(scale, axis=axes)


# --------------------------------------------------------------------------------------------
# the model


def forward_linear_regression(
    X: Any, y: Any, weights: Mapping[str, Any]
) -> tuple[float, ForwardInfo]:
    """Forward pass of linear regression with a mean-squared-error loss.

    Parameters
    ----------
    X : (b, D) array
        The batch: one sample per row. Integers and float32 are converted to float64 (a copy);
        float64 is not copied, whatever its memory layout.
    y : (b, 1) array
        The targets, as a column. A 1-D ``y`` of shape (b,) is rejected, because for b > 1 it
        would broadcast against ``P`` into a (b, b) matrix (and is refused for b = 1 too).
    weights : dict
        ``{"W": (D, 1) array, "B": (1, 1) array}``.

    Returns
    -------
    loss : float
        ``mean((y - P) ** 2)``, the mean over the b samples.
    forward_info : dict
        ``{"X": (b, D), "N": (b, 1) = X @ W, "P": (b, 1) = N + B, "y": (b, 1)}``, what
        :func:`loss_gradients` needs. ``"N"`` is the question's name for the product; it is not a
        sample count. ``N`` and ``P`` are new arrays.
        ``X`` and ``y`` are read-only views, not copies: of the caller's arrays when they are
        float64, of the converted copies otherwise (see Warnings).

    Raises
    ------
    TypeError
        If an input is not a real numeric array, or ``weights`` is not a dict.
    ValueError
        If a shape does not match, an input is empty, a weight key is missing, an input holds
        NaN or inf (for ``X`` this is detected through the product ``X @ W``, which relies on
        the BLAS propagating ``NaN * 0``: OpenBLAS does, NumPy does not promise it), or the
        predictions or the loss exceed float64's range (see the module's notes on range).

    Warnings
    --------
    Writing into your float64 ``X`` or ``y`` between this call and :func:`loss_gradients`
    silently changes the gradient that :func:`loss_gradients` returns: it pairs the new ``X``
    with the old ``P``. Refill a batch buffer only after the backward pass, or run the forward
    pass again. The read-only flag blocks writes through ``forward_info`` only. (The views
    avoid copying a large batch; this hazard is their price.)
    """
    X = _check_X(X)
    b, d = X.shape
    y = _check_y(y, b, check_finite=False)  # a NaN or inf in y makes the loss non-finite
    w = _check_weights(weights, d)
    return _forward(X, y, w)


def _forward(X: np.ndarray, y: np.ndarray, w: Weights) -> tuple[float, ForwardInfo]:
    """The forward pass on checked shapes and dtypes; finiteness is checked through the loss."""
    with np.errstate(over="ignore", invalid="ignore"):  # checked through the loss below
        N = X @ w["W"]  # (b, D) @ (D, 1) -> (b, 1)
        P = N + w["B"]  # (b, 1) + (1, 1) -> (b, 1): B is broadcast over the batch
        residual = (y - P).ravel()  # (b,)
        loss = float(residual @ residual) / X.shape[0]  # the mean of the squares, in one pass
    if not np.isfinite(loss):  # NaN or inf in X or y, or an overflow: find out which
        loss = _forward_off_the_fast_path(X, y, w, P, residual)
    return loss, {"X": _read_only(X), "N": N, "P": P, "y": _read_only(y)}


def _forward_off_the_fast_path(
    X: np.ndarray, y: np.ndarray, w: Weights, P: np.ndarray, residual: np.ndarray
) -> float:
    """The loss when the direct sum of squares was not finite, or the named error."""
    as_real_array("y", y)  # names a NaN or inf in y
    _check_finite_X(X)
    if not np.isfinite(P).all():
        raise _Overflow(
            f"the predictions X @ weights['W'] + weights['B'] exceed float64's range "
            f"(max |X| = {_abs_max(X):.3g}, max |weights['W']| = {_abs_max(w['W']):.3g}, "
            f"|weights['B']| = {abs(float(w['B'][0, 0])):.3g}); they are guaranteed to fit "
            f"while max|X| * sum|W| + |B| stays below about {_RESIDUAL_LIMIT:.0e}: rescale X or "
            "the weights"
        )
    loss = _mean_square(residual) if np.isfinite(residual).all() else np.inf
    if not np.isfinite(loss):
        raise _Overflow(
            f"the loss mean((y - P)**2) exceeds float64's range: the residuals y - P reach "
            f"{_abs_max(residual) if np.isfinite(residual).all() else np.inf:.3g}, and the "
            f"loss is guaranteed to fit while they stay below about {_RESIDUAL_LIMIT:.0e}: "
            "rescale X, y and the weights"
        )
    return loss


def loss_gradients(
    forward_info: Mapping[str, Any],
    weights: Mapping[str, Any],
    reduction: Literal["mean", "sum"] = "mean",
) -> Weights:
    """Gradient of the squared-error loss of :func:`forward_linear_regression`.

    Parameters
    ----------
    forward_info : dict
        As returned by :func:`forward_linear_regression`: ``"X"`` (b, D), ``"N"`` (b, 1) (the
        product ``X @ W``; its value is not used), ``"P"`` (b, 1) and ``"y"`` (b, 1).
    weights : dict
        ``{"W": (D, 1) array, "B": (1, 1) array}``, the weights of that forward pass. Only their
        shapes are checked: ``P`` is linear in the weights, so the gradient depends on their
        values only through ``P``, already in ``forward_info``.
    reduction : {"mean", "sum"}, optional
        The loss differentiated: ``"mean"`` (the default), the mean over the b samples that
        :func:`forward_linear_regression` returns, or ``"sum"``, the sum of the b squared
        errors, b times larger, whose gradient is b times the mean's. ``"sum"`` gives the values
        of the summed-gradient code that leaves out the 1/b (``dLdP = -2 * (y - P)``, then
        ``X.T @ dLdP`` and a sum over axis 0), with the bias gradient kept as (1, 1); being b
        times larger, they reach float64's range b times sooner. Any case.

    Returns
    -------
    grads : dict
        ``{"W": (D, 1) array, "B": (1, 1) array}``: ``dL/dW = X.T @ dL/dP`` and
        ``dL/dB = sum over axis 0 of dL/dP``, with ``dL/dP = (2 / b) (P - y)`` for the mean
        and ``2 (P - y)`` for the sum. New arrays, float64.

    Raises
    ------
    TypeError
        If ``forward_info`` or ``weights`` is not a dict, an entry is not a real numeric array,
        or ``reduction`` is not a string.
    ValueError
        If ``reduction`` is not "mean" or "sum", a key is missing, the shapes are inconsistent,
        an entry holds NaN or inf (for ``X``
        detected through the product ``X.T @ dL/dP``, which relies on the BLAS propagating
        ``NaN * 0``: OpenBLAS does, NumPy does not promise it), or a gradient exceeds float64's
        range.

    Warnings
    --------
    Writing into the ``X`` or ``y`` given to :func:`forward_linear_regression` between that
    call and this one silently changes the gradient: ``forward_info["X"]`` and
    ``forward_info["y"]`` are views of those arrays when they are float64, not copies, so this
    function pairs the new ``X`` with the old ``P``. Refill a batch buffer only after this
    call, or run the forward pass again.

    Examples
    --------
    >>> import numpy as np
    >>> X, y = np.array([[1.0], [2.0]]), np.array([[0.0], [0.0]])
    >>> w = {"W": np.array([[1.0]]), "B": np.array([[0.0]])}
    >>> info = forward_linear_regression(X, y, w)[1]
    >>> loss_gradients(info, w)["W"], loss_gradients(info, w, reduction="sum")["W"]
    (array([[5.]]), array([[10.]]))
    """
    reduction = as_choice("reduction", reduction, ("mean", "sum"))
    if not isinstance(forward_info, Mapping):
        raise TypeError(f"forward_info must be a dict, got {type(forward_info).__name__}")
    missing = [repr(k) for k in ("X", "N", "P", "y") if k not in forward_info]
    if missing:
        raise ValueError(
            f"forward_info is missing key(s) [{', '.join(missing)}]; pass the dict returned by "
            "forward_linear_regression"
        )
    X = _check_X(forward_info["X"], "forward_info['X']")
    b, d = X.shape
    # NaN or inf in X, P or y makes the gradients non-finite: checked once, on the results.
    y = _check_y(
        forward_info["y"], b, "forward_info['y']", check_finite=False, x_name="forward_info['X']"
    )
    P = as_real_array("forward_info['P']", forward_info["P"], check_finite=False)
    if P.shape != (b, 1):
        raise ValueError(
            f"forward_info['P'] must have shape ({b}, 1), one row per row of forward_info['X'], "
            f"got {P.shape}"
        )
    _check_weights(weights, d)  # only the shapes matter here
    factor = 2.0 / b if reduction == "mean" else 2.0

    with np.errstate(over="ignore", invalid="ignore"):  # overflow: checked after this block
        dL_dP = P - y  # (b, 1)
        dL_dP *= factor  # in place: the 1/b of the mean is here (2 * (P - y) for the sum)
        # dP/dN is the identity (P = N + B), so dL/dN = dL/dP; no array of ones is needed.
        dL_dW = X.T @ dL_dP  # (D, b) @ (b, 1) -> (D, 1): sum over samples of x_i dL/dP_i
        dL_dB = dL_dP.sum(axis=0, keepdims=True)  # (b, 1) -> (1, 1), as unbroadcast does
        total = float(dL_dW.sum()) + float(dL_dB[0, 0])  # finite if every entry is (one test)
    if not math.isfinite(total) and not (np.isfinite(dL_dW).all() and np.isfinite(dL_dB).all()):
        dL_dW, dL_dB = _gradients_off_the_fast_path(X, P, y, factor)  # an overflow is scaled
    return {"W": dL_dW, "B": dL_dB}


def _gradients_off_the_fast_path(
    X: np.ndarray, P: np.ndarray, y: np.ndarray, factor: float
) -> tuple[np.ndarray, np.ndarray]:
    """``dL/dW`` and ``dL/dB`` with ``dL/dP = factor (P - y)`` (``factor`` is 2/b for the mean
    loss, 2 for the sum) when the direct ones were not finite, or the named error."""
    as_real_array("forward_info['P']", P)  # name a NaN or inf in an input ...
    as_real_array("forward_info['y']", y)
    _check_finite_X(X, "forward_info['X']")
    b = X.shape[0]  # ... else something overflowed: compute again, scaled
    with np.errstate(over="ignore", invalid="ignore"):
        dL_dP = factor * P - factor * y  # P - y itself may overflow where this does not
        if np.isfinite(dL_dP).all():
            # Scale each column of X and dL/dP by powers of two (exact) so that no partial sum
            # overflows, then multiply back.
            sx = _power_of_two_near(np.max(np.abs(X), axis=0)).reshape(-1, 1)  # (D, 1)
            sp = float(_power_of_two_near(_abs_max(dL_dP)))
            dL_dW = ((X / sx.T).T @ (dL_dP / sp)) * sx * sp
            dL_dB = _sum_to_shape(dL_dP, (1, 1))
            if np.isfinite(dL_dW).all() and np.isfinite(dL_dB).all():
                return dL_dW, dL_dB
    scale, times_b = ("2/b", "") if factor == 2.0 / b else ("2", "b * ")
    raise _Overflow(
        f"the gradients X.T @ ({scale})(P - y) and sum(({scale})(P - y)), b = {b} rows, exceed "
        f"float64's range for these forward_info entries (max |X| = {_abs_max(X):.3g}, max |P| = "
        f"{_abs_max(P):.3g}, max |y| = {_abs_max(y):.3g}); they are guaranteed to fit while "
        f"{times_b}max(1, max|X|) * max|P - y| stays below about 1e300: rescale X and y"
    )


def unbroadcast(grad: Any, shape: int | tuple[int, ...] | list[int]) -> np.ndarray:
    """Reduce a gradient to the shape of a parameter that was broadcast in the forward pass.

    If a parameter ``b`` of ``shape`` was broadcast to ``grad.shape`` (``out = x + b`` say), each
    entry of ``b`` was used by every position it was copied to, so its gradient is the sum of
    the upstream gradient over those positions: over the leading axes that broadcasting added,
    and over every axis where ``shape`` has length 1 but ``grad`` does not.

    Parameters
    ----------
    grad : (...) array
        The gradient of the loss with respect to the broadcast result; computed in float64.
    shape : int, or tuple or list of int
        The parameter's shape (an int ``k`` means ``(k,)``); it must broadcast to
        ``grad.shape``, so a negative entry is refused as not broadcasting.

    Returns
    -------
    (shape) array
        ``grad`` summed over the broadcast axes, with exactly the parameter's shape; a new
        float64 array. The sums are scaled when needed, so they overflow only when the result
        itself exceeds float64's range.

    Raises
    ------
    TypeError
        If ``grad`` is not a real numeric array, or ``shape`` is not an int or a tuple or
        list of ints (a float entry, a bool, an array or a range is refused).
    ValueError
        If ``grad`` is empty or not finite, ``shape`` does not broadcast to ``grad.shape``, or
        a sum exceeds float64's range.

    Examples
    --------
    >>> import numpy as np
    >>> unbroadcast(np.ones((4, 3)), (1, 3))
    array([[4., 4., 4.]])
    >>> unbroadcast(np.ones((4, 3)), ())
    array(12.)
    >>> unbroadcast(np.ones((4, 3)), 3)  # an int k means the shape (k,)
    array([4., 4., 4.])
    """
    g = as_real_array("grad", grad)
    if isinstance(shape, int | np.integer) and not isinstance(shape, bool | np.bool_):
        shape = (int(shape),)
    if not isinstance(shape, tuple | list) or not all(
        isinstance(s, int | np.integer) and not isinstance(s, bool | np.bool_) for s in shape
    ):
        raise TypeError(f"shape must be an int or a tuple or list of ints, got {shape!r}")
    shape = tuple(int(s) for s in shape)
    lead = g.ndim - len(shape)
    if lead < 0 or any(s not in (1, gs) for s, gs in zip(shape, g.shape[lead:], strict=True)):
        raise ValueError(
            f"shape {shape} does not broadcast to the gradient's shape {g.shape}, so it cannot "
            "be the shape of a parameter broadcast into it"
        )
    total = _sum_to_shape(g, shape)
    if not np.isfinite(total).all():
        raise ValueError(
            f"the sum of grad over its broadcast axes exceeds float64's range (max |grad| = "
            f"{_abs_max(g):.3g} over {g.size // max(total.size, 1)} terms per entry): rescale "
            "grad"
        )
    return total


def _sum_to_shape(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``g`` summed over the axes along which ``shape`` was broadcast to ``g.shape``: the
    leading axes broadcasting added, and those where ``shape`` has length 1; a new array."""
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and g.shape[lead + i] != 1
    )
    if not axes:
        return g.copy()
    return np.asarray(_scaled_sum(g, axes)).reshape(shape)


# --------------------------------------------------------------------------------------------
# curvature and training


def _scaled_hessian(X: np.ndarray) -> tuple[np.ndarray, float]:
    """``(H / scale**2, scale)`` for the Hessian ``H`` of :func:`hessian` and finite ``X``.

    ``scale`` is 1, or a power of two near ``max|X|`` (so dividing by it is exact) when
    ``X.T @ X`` could overflow; then every entry of the returned matrix is at most 8.
    """
    n, d = X.shape
    amax = _abs_max(X)
    scale = 1.0
    if n * amax * amax > 1e300:  # X.T @ X might overflow: work with X / scale
        scale = float(_power_of_two_near(amax))
        X = X / scale
    Hs = np.empty((d + 1, d + 1))
    Hs[:d, :d] = X.T @ X
    Hs[:d, d] = Hs[d, :d] = X.sum(axis=0) / scale  # the bias column: X.T @ 1
    Hs[d, d] = n / scale / scale  # may underflow to 0 beside entries of order n: harmless
    return (2.0 / n) * Hs, scale


def _check_hessian_input(X: Any) -> np.ndarray:
    X = _check_X(X)
    _check_finite_X(X)
    return X


def hessian(X: Any) -> np.ndarray:
    """Hessian of the mean-squared-error loss with respect to ``(W, B)``.

    The loss is quadratic in ``theta = [W; B]``, with ``P = A theta`` for ``A = [X, 1]``, so its
    Hessian is the constant ``(2 / n) A.T @ A``; it does not depend on ``y`` or the weights.

    Parameters
    ----------
    X : (n, D) array
        The samples, finite.

    Returns
    -------
    (D + 1, D + 1) array
        Symmetric positive semi-definite; the last row and column belong to ``B``.

    Raises
    ------
    TypeError, ValueError
        For an invalid ``X``; ``ValueError`` also when an entry of the Hessian exceeds float64's
        range, which cannot happen for ``max|X|`` below ``9.4e153`` (the entries are at most
        ``2 max|X|**2``).
    """
    X = _check_hessian_input(X)
    Hs, scale = _scaled_hessian(X)
    with np.errstate(over="ignore"):
        H = Hs * scale * scale
    if not np.isfinite(H).all():
        raise ValueError(
            f"X is too large for its Hessian to be represented in float64: max |X| = "
            f"{_abs_max(X):.3g}, and the entries (2/n) X.T @ X grow like max|X|**2 beyond "
            f"1.8e308; hessian is guaranteed for max |X| below {_HESSIAN_X_LIMIT:.2g}: "
            "rescale X (standardising its columns changes only the units of W)"
        )
    return H


def max_stable_lr(X: Any) -> float:
    """The largest stable full-batch learning rate, ``2 / lambda_max`` of :func:`hessian`.

    Gradient descent on a quadratic multiplies the error along the Hessian eigenvector of
    eigenvalue ``lambda`` by ``1 - lr * lambda`` per step, so it converges exactly when
    ``lr < 2 / lambda_max``.

    Parameters
    ----------
    X : (n, D) array
        The samples, finite.

    Returns
    -------
    float
        ``2 / lambda_max(hessian(X))``, computed from a scaled Hessian so that it is right
        whenever it is a positive float64.

    Raises
    ------
    TypeError, ValueError
        For an invalid ``X``; ``ValueError`` also when ``X`` is so large (``max|X|`` beyond about
        ``1e154``) that the limit is below float64's smallest positive number.
    """
    X = _check_hessian_input(X)
    Hs, scale = _scaled_hessian(X)
    # lambda_max is at least the largest diagonal entry of Hs: 2 (the bias) when scale is 1;
    # otherwise at least 2/n, from the column holding max|X|, whose scaled entries reach 1.
    # (The bias entry itself may underflow to 0 then.) So the division is always safe.
    lam_scaled = float(np.linalg.eigvalsh(Hs)[-1])
    limit = 2.0 / lam_scaled / scale / scale
    if not limit > 0:
        raise ValueError(
            f"X is too large for a stable learning rate to be represented: max |X| = "
            f"{_abs_max(X):.3g} puts 2/lambda_max near {2.0 / lam_scaled:.3g} / "
            f"{scale:.3g}**2, below float64's smallest positive number; max_stable_lr is "
            "guaranteed for max |X| below about 1e154: rescale X"
        )
    return limit


def train(
    X: Any,
    y: Any,
    *,
    lr: float,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator | int | None,
    weights: Mapping[str, Any] | None = None,
    gradients: Callable[[ForwardInfo, Weights], Weights] = loss_gradients,
    last_batch: str = "mean",
) -> tuple[Weights, np.ndarray]:
    """Fit linear regression by minibatch gradient descent.

    Each epoch draws a fresh permutation of the samples from ``rng`` and walks through it in
    batches of ``batch_size``; the last batch holds the remaining ``m = n % batch_size`` samples
    when that is not zero. Every step uses the gradient of the *mean* loss over its own batch.
    How the short last batch is weighted is a trade-off, chosen by ``last_batch``: ``"mean"``
    (the default) steps with its own mean, so every step has the same scale but each of its
    ``m`` samples weighs ``batch_size / m`` times more than the others in that epoch;
    ``"nominal"`` scales its step by ``m / batch_size`` (for the default gradient, its summed
    gradient is divided by ``batch_size``), so every sample has the same weight in every epoch
    and an epoch's batch gradients add up to ``n / batch_size`` times the full gradient. When
    ``batch_size`` divides ``n`` the two are the same. With ``batch_size >= n``
    every step is a full-batch step on ``X`` as given (no permutation is drawn: the full
    gradient does not depend on the order). The time is proportional to ``epochs * n * D``.

    Parameters
    ----------
    X : (n, D) array
        The samples, finite.
    y : (n, 1) array
        The targets, finite.
    lr : real number
        The learning rate (step size), > 0. Any real number type (``float``, NumPy scalars,
        ``fractions.Fraction``, ...) is accepted and used as a float.
    epochs : int
        Number of passes over the data, in [1, 10**7] (the loss history is kept for each).
    batch_size : int
        Samples per step, >= 1; values above n mean full batches.
    rng : numpy.random.Generator, int or None
        The source of the shuffles: a generator (advanced in place) or a seed for one.
        ``None`` seeds from fresh operating-system entropy, so with ``batch_size < n`` two
        calls shuffle differently and return different weights; with ``batch_size >= n`` no
        shuffle is drawn and ``rng`` does not affect the result.
    weights : dict, optional
        Starting point ``{"W": (D, 1), "B": (1, 1)}``; zeros by default. Not modified.
    gradients : callable, optional
        ``gradients(forward_info, weights) -> {"W": (D, 1), "B": (1, 1)}``, each of exactly its
        parameter's shape (a bias gradient of shape (1,) is refused); defaults to
        :func:`loss_gradients`. Exists so that other gradient rules can be compared.
    last_batch : {"mean", "nominal"}, optional
        How a short last batch of ``m`` samples steps: ``"mean"`` (the default) uses the
        output of ``gradients`` unchanged, ``"nominal"`` multiplies it by ``m / batch_size``.
        For the default ``gradients``, the mean over the batch, this divides the batch's summed
        gradient by its own length (``"mean"``) or by ``batch_size`` (``"nominal"``). With a
        constant ``lr`` on noisy data, only ``"nominal"`` (or a ``batch_size`` that divides
        ``n``) keeps the distance to the least-squares weights proportional to ``lr``, because
        only then do the batches' deviations from the full gradient cancel over an epoch.

    Returns
    -------
    weights : dict
        The trained ``{"W": (D, 1), "B": (1, 1)}``, new arrays.
    loss_history : (epochs + 1,) array
        The mean-squared error over all n samples before training and after every epoch.

    Raises
    ------
    TypeError
        If an argument has the wrong type (``gradients`` must be callable, ``last_batch`` a
        string).
    ValueError
        If an input is invalid; if ``gradients`` returns something other than finite arrays of
        the parameters' shapes (the message blames ``gradients``); or on overflow, when a
        loss, prediction, gradient or weight goes beyond float64's range: then ``lr`` is too
        large, and the message gives the full-batch limit ``2 / lambda_max``. A diverging run
        whose loss is still finite, however large, returns normally: check ``loss_history``.
    """
    X = _check_X(X)
    _check_finite_X(X)  # checked once here, so a later overflow means divergence
    n, d = X.shape
    y = _check_y(y, n)
    lr = as_scalar("lr", lr, low=0, low_open=True)
    epochs = as_scalar("epochs", epochs, integer=True, low=1, high=_MAX_EPOCHS)
    batch_size = as_scalar("batch_size", batch_size, integer=True, low=1)
    rng = as_rng("rng", rng)
    if not callable(gradients):
        raise TypeError(
            "gradients must be a callable gradients(forward_info, weights) -> "
            f"{{'W': (D, 1) array, 'B': (1, 1) array}}, got {type(gradients).__name__} "
            f"{gradients!r}"
        )
    if not isinstance(last_batch, str):
        raise TypeError(
            f"last_batch must be the string 'mean' or 'nominal', got {type(last_batch).__name__} "
            f"{last_batch!r}"
        )
    if last_batch not in ("mean", "nominal"):
        raise ValueError(f"last_batch must be 'mean' or 'nominal', got {last_batch!r}")
    if weights is None:
        w = {"W": np.zeros((d, 1)), "B": np.zeros((1, 1))}
    else:
        w = {k: v.copy() for k, v in _check_weights(weights, d).items()}

    # Everything is checked above, once: the steps and losses below skip the public
    # functions' checks (same arithmetic, see _mse_step), so a small batch pays no per-step
    # checks. A non-finite result still takes the checked path, which names it.
    history = np.empty(epochs + 1)
    history[0] = _forward(X, y, w)[0]
    for epoch in range(1, epochs + 1):
        try:
            if batch_size >= n:
                _gradient_step(X, y, w, lr, gradients)
            else:
                order = rng.permutation(n)
                for start in range(0, n, batch_size):
                    idx = order[start : start + batch_size]  # the last one may be shorter
                    step = lr
                    if last_batch == "nominal" and idx.size < batch_size:
                        step = lr * idx.size / batch_size  # its gradient divided by batch_size
                    _gradient_step(X[idx], y[idx], w, step, gradients)
            history[epoch] = _forward(X, y, w)[0]
        except _Overflow:
            raise ValueError(
                f"training diverged in epoch {epoch} (the loss went from {history[0]:.3e} to "
                f"{history[epoch - 1]:.3e}, then overflowed): lr={lr!r} is too large; full-batch "
                f"gradient descent is stable only for lr < 2/lambda_max = {_limit_text(X)}"
            ) from None
    return w, history


def _limit_text(X: np.ndarray) -> str:
    """``2 / lambda_max`` for the divergence message, or why it cannot be given."""
    try:
        return f"{max_stable_lr(X):.4g}"
    except ValueError:
        return f"a number below float64's range for max |X| = {_abs_max(X):.3g}: rescale X"


def _gradient_step(
    Xb: np.ndarray,
    yb: np.ndarray,
    w: Weights,
    lr: float,
    gradients: Callable[[ForwardInfo, Weights], Weights],
) -> None:
    """One in-place gradient step on the batch ``(Xb, yb)``, rows of the checked ``X`` and
    ``y`` of :func:`train`."""
    if gradients is loss_gradients and _mse_step(Xb, yb, w, lr):
        return
    _, info = _forward(Xb, yb, w)
    grads = gradients(info, w)
    if not isinstance(grads, Mapping) or not {"W", "B"} <= set(grads):
        raise ValueError(
            f"gradients must return a dict with keys 'W' and 'B', got {type(grads).__name__}"
            + (f" with keys {sorted(map(str, grads))}" if isinstance(grads, Mapping) else "")
        )
    steps = {}
    for k in ("W", "B"):
        g = as_real_array(f"the {k!r} returned by gradients", grads[k], check_finite=False)
        if g.shape != w[k].shape:  # exact: a (1,) bias gradient would hide a summed-away axis
            raise ValueError(
                f"gradients returned {k!r} of shape {g.shape}; the parameter has shape "
                f"{w[k].shape}, and the gradient must have the same shape"
                + (" (sum with keepdims=True to keep the axis)" if g.size == w[k].size else "")
            )
        steps[k] = g
    if not all(np.isfinite(g).all() for g in steps.values()):
        _blame_non_finite_gradients(steps, info, w)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in ("W", "B"):
            w[k] -= lr * steps[k]
    if not all(np.isfinite(v).all() for v in w.values()):
        raise _Overflow("the weights overflowed")


def _mse_step(Xb: np.ndarray, yb: np.ndarray, w: Weights, lr: float) -> bool:
    """One in-place step with :func:`loss_gradients`, without the checks of the public functions.

    The arithmetic is theirs, operation for operation, so the result is bit-identical. Returns
    False, with ``w`` untouched, when the loss or a gradient is not finite (or their sum
    overflows): the checked path then handles the step and names any overflow.
    """
    W, B = w["W"], w["B"]
    with np.errstate(over="ignore", invalid="ignore"):
        dL_dP = Xb @ W + B - yb  # P - y, (b, 1)
        r = dL_dP.ravel()
        b_loss = float(r @ r)  # b times the loss: finite exactly when the loss is
        dL_dP *= 2.0 / Xb.shape[0]
        dL_dW = Xb.T @ dL_dP
        dL_dB = dL_dP.sum(axis=0, keepdims=True)
        if not math.isfinite(b_loss + float(dL_dW.sum()) + float(dL_dB[0, 0])):
            return False
        W -= lr * dL_dW
        B -= lr * dL_dB
        weights_sum = float(W.sum()) + float(B[0, 0])
    if not math.isfinite(weights_sum) and not (np.isfinite(W).all() and np.isfinite(B).all()):
        raise _Overflow("the weights overflowed")
    return True


def _blame_non_finite_gradients(steps: Weights, info: ForwardInfo, w: Weights) -> None:
    """NaN or inf from ``gradients``: divergence if the true gradient overflows too, else the
    fault of the ``gradients`` function (the weights and the forward pass are finite here)."""
    try:
        loss_gradients(info, w)
    except _Overflow:
        raise _Overflow("the gradients overflowed") from None
    k = next(k for k in ("W", "B") if not np.isfinite(steps[k]).all())
    first = tuple(int(i) for i in np.argwhere(~np.isfinite(steps[k]))[0])
    raise ValueError(
        f"gradients returned a non-finite {k!r} ({steps[k][first]} at index {first}) at "
        "weights where the loss and its mean-squared-error gradient are finite: the gradients "
        "function produced it, not the learning rate; check it for a division by zero or an "
        "overflow"
    )
