"""Linear regression by gradient descent, its batched gradients derived by the chain rule.

The model maps a batch ``X`` of ``N`` samples with ``D`` features to predictions

.. math:: P = X W + \\mathbf{1} B, \\qquad L = \\frac{1}{N} \\sum_{i=1}^{N} (y_i - P_i)^2,

with ``X`` (N, D), ``W`` (D, 1), ``B`` (1, 1), ``P`` and ``y`` (N, 1). Its gradients are

.. math:: \\frac{\\partial L}{\\partial P} = \\frac{2}{N}(P - y), \\quad
          \\frac{\\partial L}{\\partial W} = X^\\top \\frac{\\partial L}{\\partial P}, \\quad
          \\frac{\\partial L}{\\partial B} = \\mathbf{1}^\\top \\frac{\\partial L}{\\partial P},

the last being the sum over the batch axis that :func:`unbroadcast` performs for any parameter
that was broadcast in the forward pass.

The key ``"N"`` of ``forward_info`` is the product ``X @ W`` (the name the question used); the
batch size is ``X.shape[0]``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from helpers._validation import as_real_array, as_rng, as_scalar

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


def _check_X(X: Any) -> np.ndarray:
    # X is the one large array: its finiteness is checked through the product X @ W (a NaN or
    # inf anywhere in X makes a row of the product non-finite), which costs nothing extra.
    X = as_real_array("X", X, check_finite=False)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array of shape (N, D), got shape {X.shape}")
    return X


def _check_y(y: Any, n: int) -> np.ndarray:
    y = as_real_array("y", y)
    if y.shape != (n, 1):
        hint = ""
        if y.shape == (n,):
            hint = (
                f"; a 1-D y would broadcast against P of shape ({n}, 1) into an ({n}, {n}) "
                "matrix and give a wrong loss silently: pass y.reshape(-1, 1)"
            )
        raise ValueError(f"y must have shape (N, 1) = ({n}, 1) to match X, got {y.shape}{hint}")
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


class _Overflow(ValueError):
    """A finite input gave a non-finite result: the numbers grew too large (divergence)."""


def _diagnose_non_finite(X: np.ndarray, what: str) -> ValueError:
    """The error for a non-finite product: blame X if it holds NaN/inf, else overflow."""
    if not np.all(np.isfinite(X)):
        rows, cols = np.nonzero(~np.isfinite(X))
        return ValueError(
            f"X must be finite, got NaN or inf in an array of shape {X.shape} "
            f"(first at X[{rows[0]}, {cols[0]}])"
        )
    return _Overflow(f"{what} overflowed to inf: the inputs or weights are too large")


# --------------------------------------------------------------------------------------------
# the model


def forward_linear_regression(
    X: Any, y: Any, weights: Mapping[str, Any]
) -> tuple[float, ForwardInfo]:
    """Forward pass of linear regression with a mean-squared-error loss.

    Parameters
    ----------
    X : (N, D) array
        The batch: one sample per row. Integers are converted to float64; float64 is not copied.
    y : (N, 1) array
        The targets, as a column. A 1-D ``y`` of shape (N,) is rejected, because it would
        broadcast against ``P`` into an (N, N) matrix.
    weights : dict
        ``{"W": (D, 1) array, "B": (1, 1) array}``.

    Returns
    -------
    loss : float
        ``mean((y - P) ** 2)``, the mean over the N samples.
    forward_info : dict
        ``{"X": (N, D), "N": (N, 1) = X @ W, "P": (N, 1) = N + B, "y": (N, 1)}``, what
        :func:`loss_gradients` needs. ``X`` and ``y`` are the validated inputs, not copies.

    Raises
    ------
    TypeError
        If an input is not a real numeric array, or ``weights`` is not a dict.
    ValueError
        If a shape does not match, an input is empty, a weight key is missing, or an input holds
        NaN or inf (for ``X`` this is detected through the product ``X @ W``).
    """
    X = _check_X(X)
    n, d = X.shape
    y = _check_y(y, n)
    w = _check_weights(weights, d)
    with np.errstate(over="ignore", invalid="ignore"):
        N = X @ w["W"]  # (N, D) @ (D, 1) -> (N, 1)
        P = N + w["B"]  # (N, 1) + (1, 1) -> (N, 1): B is broadcast over the batch
        residual = (y - P).ravel()  # (N,)
        loss = float(residual @ residual) / n  # the mean of the squares, in one pass
    if not np.isfinite(P).all():
        raise _diagnose_non_finite(X, "the prediction P = X @ W + B")
    if not np.isfinite(loss):
        raise _Overflow("the loss overflowed to inf: the residuals y - P are too large to square")
    return loss, {"X": X, "N": N, "P": P, "y": y}


def loss_gradients(forward_info: Mapping[str, Any], weights: Mapping[str, Any]) -> Weights:
    """Gradient of the mean-squared-error loss of :func:`forward_linear_regression`.

    Parameters
    ----------
    forward_info : dict
        As returned by :func:`forward_linear_regression`: ``"X"`` (N, D), ``"N"`` (N, 1),
        ``"P"`` (N, 1) and ``"y"`` (N, 1).
    weights : dict
        ``{"W": (D, 1) array, "B": (1, 1) array}``, the weights of that forward pass. Only their
        shapes are checked: ``P`` is linear in the weights, so the gradient depends on their
        values only through ``P``, already in ``forward_info``.

    Returns
    -------
    grads : dict
        ``{"W": (D, 1) array, "B": (1, 1) array}``: ``dL/dW = X.T @ dL/dP`` and
        ``dL/dB = sum over axis 0 of dL/dP``, with ``dL/dP = (2 / N) (P - y)``, exactly the
        gradient of the *mean* loss.

    Raises
    ------
    TypeError
        If ``forward_info`` or ``weights`` is not a dict, or an entry is not a real numeric array.
    ValueError
        If a key is missing, the shapes are inconsistent, or an entry holds NaN or inf.
    """
    if not isinstance(forward_info, Mapping):
        raise TypeError(f"forward_info must be a dict, got {type(forward_info).__name__}")
    missing = [k for k in ("X", "N", "P", "y") if k not in forward_info]
    if missing:
        raise ValueError(
            f"forward_info is missing key(s) {missing}; pass the dict returned by "
            "forward_linear_regression"
        )
    X = _check_X(forward_info["X"])
    n, d = X.shape
    y = _check_y(forward_info["y"], n)
    P = as_real_array("forward_info['P']", forward_info["P"])
    if P.shape != (n, 1):
        raise ValueError(f"forward_info['P'] must have shape (N, 1) = ({n}, 1), got {P.shape}")
    w = _check_weights(weights, d)

    dL_dP = P - y  # (N, 1)
    dL_dP *= 2.0 / n  # in place: the 1/N of the mean is here
    # dP/dN is the identity (P = N + B), so dL/dN = dL/dP; no array of ones is needed.
    with np.errstate(over="ignore", invalid="ignore"):
        dL_dW = X.T @ dL_dP  # (D, N) @ (N, 1) -> (D, 1): sum over samples of x_i dL/dP_i
    if not np.isfinite(dL_dW).all():
        raise _diagnose_non_finite(X, "the gradient X.T @ dL/dP")
    dL_dB = unbroadcast(dL_dP, w["B"].shape)  # (N, 1) -> (1, 1): B was broadcast over N
    return {"W": dL_dW, "B": dL_dB}


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Reduce a gradient to the shape of a parameter that was broadcast in the forward pass.

    If a parameter ``b`` of ``shape`` was broadcast to ``grad.shape`` (``out = x + b`` say), each
    entry of ``b`` was used by every position it was copied to, so its gradient is the sum of
    the upstream gradient over those positions: over the leading axes that broadcasting added,
    and over every axis where ``shape`` has length 1 but ``grad`` does not.

    Parameters
    ----------
    grad : (...) array
        The gradient of the loss with respect to the broadcast result.
    shape : tuple of int
        The parameter's shape; it must broadcast to ``grad.shape``.

    Returns
    -------
    (shape) array
        ``grad`` summed over the broadcast axes, with exactly the parameter's shape.

    Raises
    ------
    TypeError
        If ``grad`` is not a real numeric array or ``shape`` is not a tuple of integers.
    ValueError
        If ``grad`` is empty or not finite, or ``shape`` does not broadcast to ``grad.shape``.

    Examples
    --------
    >>> import numpy as np
    >>> unbroadcast(np.ones((4, 3)), (1, 3))
    array([[4., 4., 4.]])
    >>> unbroadcast(np.ones((4, 3)), ())
    array(12.)
    """
    g = as_real_array("grad", grad)
    if isinstance(shape, int | np.integer):
        shape = (int(shape),)
    if not isinstance(shape, tuple | list) or not all(
        isinstance(s, int | np.integer) and not isinstance(s, bool) for s in shape
    ):
        raise TypeError(f"shape must be a tuple of non-negative ints, got {shape!r}")
    shape = tuple(int(s) for s in shape)
    lead = g.ndim - len(shape)
    if lead < 0 or any(s not in (1, gs) for s, gs in zip(shape, g.shape[lead:], strict=True)):
        raise ValueError(
            f"shape {shape} does not broadcast to the gradient's shape {g.shape}, so it cannot "
            "be the shape of a parameter broadcast into it"
        )
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and g.shape[lead + i] != 1
    )
    return np.asarray(np.sum(g, axis=axes)).reshape(shape) if axes else g.copy()


# --------------------------------------------------------------------------------------------
# curvature and training


def hessian(X: Any) -> np.ndarray:
    """Hessian of the mean-squared-error loss with respect to ``(W, B)``.

    The loss is quadratic in ``theta = [W; B]``, with ``P = A theta`` for ``A = [X, 1]``, so its
    Hessian is the constant ``(2 / N) A.T @ A``; it does not depend on ``y`` or the weights.

    Parameters
    ----------
    X : (N, D) array
        The samples.

    Returns
    -------
    (D + 1, D + 1) array
        Symmetric positive semi-definite; the last row and column belong to ``B``.
    """
    X = _check_X(X)
    if not np.all(np.isfinite(X)):
        raise _diagnose_non_finite(X, "")
    n, d = X.shape
    H = np.empty((d + 1, d + 1))
    H[:d, :d] = X.T @ X
    H[:d, d] = H[d, :d] = X.sum(axis=0)
    H[d, d] = n
    return (2.0 / n) * H


def max_stable_lr(X: Any) -> float:
    """The largest stable full-batch learning rate, ``2 / lambda_max`` of :func:`hessian`.

    Gradient descent on a quadratic multiplies the error along the Hessian eigenvector of
    eigenvalue ``lambda`` by ``1 - lr * lambda`` per step, so it converges exactly when
    ``lr < 2 / lambda_max``.

    Parameters
    ----------
    X : (N, D) array
        The samples.

    Returns
    -------
    float
        ``2 / lambda_max(hessian(X))``.
    """
    # lambda_max >= H[D, D] = 2 (the bias direction), so the division is always safe.
    return 2.0 / float(np.linalg.eigvalsh(hessian(X))[-1])


def train(
    X: Any,
    y: Any,
    *,
    lr: float,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator,
    weights: Mapping[str, Any] | None = None,
    gradients: Callable[[ForwardInfo, Weights], Weights] = loss_gradients,
) -> tuple[Weights, np.ndarray]:
    """Fit linear regression by minibatch gradient descent.

    Each epoch draws a fresh permutation of the samples from ``rng`` and walks through it in
    batches of ``batch_size``; the last batch holds the remaining ``N % batch_size`` samples when
    that is not zero. Every step uses the gradient of the *mean* loss over its own batch, so a
    short last batch takes a step of the same scale as the others. With ``batch_size >= N``
    every step is a full-batch step on ``X`` as given (no permutation is drawn: the full
    gradient does not depend on the order).

    Parameters
    ----------
    X : (N, D) array
        The samples.
    y : (N, 1) array
        The targets.
    lr : float
        The learning rate (step size), positive.
    epochs : int
        Number of passes over the data, positive.
    batch_size : int
        Samples per step, positive; values above N mean full batches.
    rng : numpy.random.Generator, int or None
        The source of the shuffles: a generator (advanced in place) or a seed for one.
    weights : dict, optional
        Starting point ``{"W": (D, 1), "B": (1, 1)}``; zeros by default. Not modified.
    gradients : callable, optional
        ``gradients(forward_info, weights) -> {"W": (D, 1), "B": (1, 1)}``; defaults to
        :func:`loss_gradients`. Exists so that other gradient rules can be compared.

    Returns
    -------
    weights : dict
        The trained ``{"W": (D, 1), "B": (1, 1)}``.
    loss_history : (epochs + 1,) array
        The mean-squared error over all N samples before training and after every epoch.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If an input is invalid, or training diverges (a loss becomes NaN or inf): then ``lr`` is
        too large, and the message gives the full-batch limit ``2 / lambda_max``.
    """
    X = _check_X(X)
    if not np.all(np.isfinite(X)):  # checked once here, so a later overflow means divergence
        raise _diagnose_non_finite(X, "")
    n, d = X.shape
    y = _check_y(y, n)
    lr = as_scalar("lr", lr, low=0, low_open=True)
    epochs = as_scalar("epochs", epochs, integer=True, low=1)
    batch_size = as_scalar("batch_size", batch_size, integer=True, low=1)
    rng = as_rng("rng", rng)
    if weights is None:
        w = {"W": np.zeros((d, 1)), "B": np.zeros((1, 1))}
    else:
        w = {k: v.copy() for k, v in _check_weights(weights, d).items()}

    history = np.empty(epochs + 1)
    history[0] = forward_linear_regression(X, y, w)[0]
    for epoch in range(1, epochs + 1):
        try:
            if batch_size >= n:
                _gradient_step(X, y, w, lr, gradients)
            else:
                order = rng.permutation(n)
                for start in range(0, n, batch_size):
                    idx = order[start : start + batch_size]  # the last one may be shorter
                    _gradient_step(X[idx], y[idx], w, lr, gradients)
            history[epoch] = forward_linear_regression(X, y, w)[0]
        except _Overflow:
            raise ValueError(
                f"training diverged in epoch {epoch} (the loss went from {history[0]:.3e} to "
                f"{history[epoch - 1]:.3e}, then overflowed): lr={lr!r} is too large; "
                f"full-batch gradient descent is stable only for lr < 2/lambda_max = "
                f"{max_stable_lr(X):.4g}"
            ) from None
    return w, history


def _gradient_step(
    Xb: np.ndarray,
    yb: np.ndarray,
    w: Weights,
    lr: float,
    gradients: Callable[[ForwardInfo, Weights], Weights],
) -> None:
    """One in-place gradient step on the batch ``(Xb, yb)``."""
    _, info = forward_linear_regression(Xb, yb, w)
    grads = gradients(info, w)
    if not isinstance(grads, Mapping) or not {"W", "B"} <= set(grads):
        raise ValueError(
            f"gradients must return a dict with keys 'W' and 'B', got {type(grads).__name__}"
            + (f" with keys {sorted(map(str, grads))}" if isinstance(grads, Mapping) else "")
        )
    steps = {}
    for k in ("W", "B"):
        g = np.asarray(grads[k], dtype=np.float64)
        if g.size != w[k].size:  # a (1,) bias gradient is accepted for a (1, 1) bias
            raise ValueError(
                f"gradients returned {k!r} of shape {g.shape}; the parameter has shape {w[k].shape}"
            )
        steps[k] = g.reshape(w[k].shape)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in ("W", "B"):
            w[k] -= lr * steps[k]
    if not all(np.isfinite(v).all() for v in w.values()):
        raise _Overflow("the weights are no longer finite")
