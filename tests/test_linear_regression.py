"""Tests of helpers.linear_regression: gradients, unbroadcast, Hessian, training, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import gradcheck
from helpers.linear_regression import (
    forward_linear_regression,
    hessian,
    loss_gradients,
    max_stable_lr,
    train,
    unbroadcast,
)


def problem(seed: int, n: int, d: int, noise: float = 0.1):
    """A random regression problem ``y = X w + b + noise`` and random weights."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = (
        X @ rng.standard_normal((d, 1))
        + rng.standard_normal()
        + noise * rng.standard_normal((n, 1))
    )
    weights = {"W": rng.standard_normal((d, 1)), "B": rng.standard_normal((1, 1))}
    return X, y, weights


def lstsq_weights(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The exact minimiser ``[W; B]`` of the mean squared error, by least squares."""
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    return np.linalg.lstsq(A, y, rcond=None)[0]


def stacked(w: dict) -> np.ndarray:
    return np.vstack([w["W"], w["B"]])


# ---------------------------------------------------------------------------- forward pass


def test_forward_matches_a_loop_over_samples():
    X, y, w = problem(0, 9, 4)
    loss, info = forward_linear_regression(X, y, w)
    per_sample = [
        (y[i, 0] - (sum(X[i, j] * w["W"][j, 0] for j in range(4)) + w["B"][0, 0])) ** 2
        for i in range(9)
    ]
    assert loss == pytest.approx(sum(per_sample) / 9, rel=1e-13)
    assert set(info) == {"X", "N", "P", "y"}  # "N": the question's name for X @ W
    assert info["N"].shape == info["P"].shape == (9, 1)
    np.testing.assert_allclose(info["N"], X @ w["W"], rtol=1e-14)
    np.testing.assert_allclose(info["P"], info["N"] + w["B"][0, 0], rtol=1e-14)
    assert np.shares_memory(info["X"], X)  # float64 input is not copied ...
    assert not info["X"].flags.writeable  # ... and the cached view cannot be written through
    assert not info["y"].flags.writeable


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_forward_info_aliases_float64_inputs_only(dtype):
    # The documented trade-off of not copying: float64 X (any layout) is cached as a view, so
    # refilling it in place before the backward pass silently changes the gradient; converted
    # input (float32) is cached as a copy and is not affected.
    X = np.ones((3, 4), dtype=dtype)[:, ::2]  # (3, 2), not contiguous
    y, w = np.zeros((3, 1)), {"W": np.ones((2, 1)), "B": np.zeros((1, 1))}
    _, info = forward_linear_regression(X, y, w)
    assert np.shares_memory(info["X"], X) == (dtype == np.float64)
    X[:] = 5  # the caller refills its batch buffer after the forward pass
    # P = 2 from X = 1: dL/dP = (2/3) * 2, so dL/dW = X.T @ dL/dP = 4 (X = 1) or 20 (X = 5)
    expected = 20.0 if dtype == np.float64 else 4.0
    np.testing.assert_allclose(loss_gradients(info, w)["W"], [[expected], [expected]])


def test_forward_converts_integer_inputs():
    X = np.arange(6).reshape(3, 2)
    y = np.array([[1], [2], [3]])
    w = {"W": np.array([[1], [0]]), "B": np.array([[1]])}
    loss, info = forward_linear_regression(X, y, w)
    # P = [1, 3, 5], residuals [0, -1, -2]
    assert loss == pytest.approx(5 / 3)
    assert info["X"].dtype == np.float64


# ---------------------------------------------------------------------------- gradients


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 12),
    d=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
)
def test_gradients_match_central_differences(n, d, seed):
    X, y, w = problem(seed, n, d)
    _, info = forward_linear_regression(X, y, w)
    grads = loss_gradients(info, w)
    assert grads["W"].shape == (d, 1)
    assert grads["B"].shape == (1, 1)
    result = gradcheck(lambda p: forward_linear_regression(X, y, p)[0], grads, w)
    assert result.ok, result


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 20), d=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_gradient_is_sum_of_per_sample_outer_products(n, d, seed):
    X, y, w = problem(seed, n, d)
    _, info = forward_linear_regression(X, y, w)
    grads = loss_gradients(info, w)
    dL_dP = 2.0 / n * (info["P"] - y)
    outer = sum(np.outer(X[i], dL_dP[i]) for i in range(n))  # (D, 1) each
    np.testing.assert_allclose(grads["W"], outer, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(grads["B"], [[dL_dP.sum()]], rtol=1e-10, atol=1e-13)


def test_gradient_zero_at_least_squares_solution():
    X, y, _ = problem(3, 50, 4)
    theta = lstsq_weights(X, y)
    w = {"W": theta[:4], "B": theta[4:]}
    grads = loss_gradients(forward_linear_regression(X, y, w)[1], w)
    np.testing.assert_allclose(stacked(grads), 0.0, atol=1e-12)


def test_summed_gradient_is_n_times_the_mean_gradient():
    """The question's rule (no 1/N) is exactly N times the true gradient."""
    X, y, w = problem(4, 30, 3)
    _, info = forward_linear_regression(X, y, w)
    grads = loss_gradients(info, w)
    summed_W = X.T @ (-2 * (y - info["P"]))
    np.testing.assert_allclose(summed_W, 30 * grads["W"], rtol=1e-12)
    check = gradcheck(lambda p: forward_linear_regression(X, y, p)[0], grads, w)
    np.testing.assert_allclose(summed_W, 30 * check.numerical["W"], rtol=1e-6)


def learners_gradients(forward_info, weights):
    """The question's summed-gradient code, as in Weidman's notebook (the key fixed)."""
    dLdP = -2 * (forward_info["y"] - forward_info["P"])
    dPdN = np.ones_like(forward_info["N"])
    dNdW = np.transpose(forward_info["X"], (1, 0))
    dLdW = np.dot(dNdW, dLdP * dPdN)
    dPdB = np.ones_like(weights["B"])
    dLdB = np.sum(dLdP * dPdB, axis=0)
    return {"W": dLdW, "B": dLdB}


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 40), d=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_sum_reduction_is_b_times_the_mean_and_the_learners_code(n, d, seed):
    X, y, w = problem(seed, n, d)
    _, info = forward_linear_regression(X, y, w)
    mean, summed = loss_gradients(info, w), loss_gradients(info, w, reduction="sum")
    learner = learners_gradients(info, w)
    assert summed["W"].shape == (d, 1)
    assert summed["B"].shape == (1, 1)  # the learner's is (1,): same values
    for k in "WB":  # b * mean rounds differently from the sum only in the last bits
        np.testing.assert_allclose(summed[k], n * mean[k], rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(summed[k].ravel(), learner[k].ravel(), rtol=1e-14, atol=0)


def test_sum_reduction_is_a_drop_in_for_the_learners_update():
    X, y, w = problem(11, 16, 3)
    _, info = forward_linear_regression(X, y, w)
    summed, learner = loss_gradients(info, w, reduction="Sum"), learners_gradients(info, w)
    for k in "WB":  # the same step, B -= lr * dLdB, with either
        np.testing.assert_allclose(w[k] - 0.01 * summed[k], w[k] - 0.01 * learner[k], rtol=1e-15)


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        ("total", ValueError, r"reduction must be one of mean, sum \(any case\), got 'total'"),
        ("", ValueError, r"reduction must be one of mean, sum .*got ''"),
        (None, TypeError, r"reduction must be one of mean, sum .*got NoneType None"),
        (1, TypeError, r"reduction must be one of mean, sum .*got int 1"),
    ],
)
def test_a_bad_reduction_is_refused(bad, error, message):
    X, y, w = problem(0, 5, 2)
    _, info = forward_linear_regression(X, y, w)
    with pytest.raises(error, match=message):
        loss_gradients(info, w, reduction=bad)


# ---------------------------------------------------------------------------- unbroadcast


@st.composite
def broadcast_pair(draw):
    """A gradient shape and a parameter shape that broadcasts to it."""
    grad_shape = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=4)))
    k = draw(st.integers(0, len(grad_shape)))
    tail = grad_shape[len(grad_shape) - k :]
    param = tuple(s if draw(st.booleans()) else 1 for s in tail)
    return grad_shape, param


@settings(max_examples=60, deadline=None)
@given(pair=broadcast_pair(), seed=st.integers(0, 2**32 - 1))
def test_unbroadcast_is_the_adjoint_of_broadcast(pair, seed):
    """<broadcast_to(b), g> == <b, unbroadcast(g)> for all b, g: the defining property."""
    grad_shape, param_shape = pair
    rng = np.random.default_rng(seed)
    g = rng.standard_normal(grad_shape)
    b = rng.standard_normal(param_shape)
    reduced = unbroadcast(g, param_shape)
    assert reduced.shape == param_shape
    lhs = np.sum(np.broadcast_to(b, grad_shape) * g)
    rhs = np.sum(b * reduced)
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-10)
    assert np.sum(reduced) == pytest.approx(np.sum(g), rel=1e-10, abs=1e-10)


@settings(max_examples=30, deadline=None)
@given(pair=broadcast_pair(), seed=st.integers(0, 2**32 - 1))
def test_unbroadcast_gives_the_gradient_of_a_broadcast_parameter(pair, seed):
    grad_shape, param_shape = pair
    rng = np.random.default_rng(seed)
    c = rng.standard_normal(grad_shape)
    b = rng.standard_normal(param_shape)
    # f(b) = sum(c * (x + b)) has gradient unbroadcast(c, b.shape); check numerically.
    x = rng.standard_normal(grad_shape)
    assert gradcheck(lambda p: np.sum(c * (x + p)), unbroadcast(c, param_shape), b).ok


def test_unbroadcast_examples():
    g = np.arange(12.0).reshape(4, 3)
    np.testing.assert_array_equal(unbroadcast(g, (1, 3)), [[18.0, 22.0, 26.0]])
    np.testing.assert_array_equal(unbroadcast(g, (3,)), [18.0, 22.0, 26.0])
    np.testing.assert_array_equal(unbroadcast(g, (4, 1)), [[3.0], [12.0], [21.0], [30.0]])
    assert unbroadcast(g, ()).shape == ()
    assert unbroadcast(g, ()) == 66.0
    same = unbroadcast(g, (4, 3))
    np.testing.assert_array_equal(same, g)
    assert same is not g


@pytest.mark.parametrize(
    ("shape", "grad_shape"), [((2,), (4, 3)), ((3, 1, 1), (4, 1)), ((5, 3), (4, 3))]
)
def test_unbroadcast_rejects_incompatible_shapes(shape, grad_shape):
    with pytest.raises(ValueError, match=r"does not broadcast to the gradient's shape"):
        unbroadcast(np.ones(grad_shape), shape)


def test_unbroadcast_accepts_an_int_or_a_tuple_or_list_of_ints():
    g = np.ones((3, 4))
    assert unbroadcast(g, [1, 4]).shape == (1, 4)
    assert unbroadcast(g, 4).shape == (4,)
    assert unbroadcast(g, np.int64(4)).shape == (4,)
    np.testing.assert_array_equal(unbroadcast(g, [1, 4]), unbroadcast(g, (1, 4)))


@pytest.mark.parametrize("shape", [(1.5, 4), (True, 4), np.array([1, 4]), range(4), True])
def test_unbroadcast_refuses_a_shape_of_other_types(shape):
    with pytest.raises(TypeError, match=r"shape must be an int or a tuple or list of ints, got"):
        unbroadcast(np.ones((3, 4)), shape)


def test_unbroadcast_refuses_a_negative_entry_as_not_broadcasting():
    with pytest.raises(ValueError, match=r"shape \(-1, 4\) does not broadcast"):
        unbroadcast(np.ones((3, 4)), (-1, 4))


def test_unbroadcast_rejects_bad_arguments():
    with pytest.raises(TypeError, match=r"shape must be an int or a tuple or list of ints"):
        unbroadcast(np.ones(3), (1.5,))
    with pytest.raises(TypeError, match=r"grad must be a real numeric array, got dtype <U1"):
        unbroadcast(np.array(["a"]), (1,))
    with pytest.raises(ValueError, match=r"grad must not be empty, got shape \(0, 3\)"):
        unbroadcast(np.ones((0, 3)), (1, 3))
    with pytest.raises(ValueError, match=r"grad must be finite"):
        unbroadcast(np.array([1.0, np.nan]), (1,))


# ---------------------------------------------------------------------------- Hessian


def test_hessian_matches_finite_differences_of_the_gradient():
    X, y, w = problem(5, 40, 3)
    H = hessian(X)
    assert H.shape == (4, 4)
    np.testing.assert_allclose(H, H.T)

    def grad_of(theta):
        p = {"W": theta[:3].reshape(3, 1), "B": theta[3:].reshape(1, 1)}
        return stacked(loss_gradients(forward_linear_regression(X, y, p)[1], p)).ravel()

    theta = stacked(w).ravel()
    h = 1e-5
    cols = [(grad_of(theta + h * e) - grad_of(theta - h * e)) / (2 * h) for e in np.eye(4)]
    np.testing.assert_allclose(np.column_stack(cols), H, rtol=1e-7, atol=1e-9)


def test_max_stable_lr_separates_convergence_from_divergence():
    X, y, _ = problem(6, 100, 3)
    lr_max = max_stable_lr(X)
    _, converging = train(
        X, y, lr=0.97 * lr_max, epochs=400, batch_size=100, rng=np.random.default_rng(0)
    )
    _, diverging = train(
        X, y, lr=1.03 * lr_max, epochs=400, batch_size=100, rng=np.random.default_rng(0)
    )
    assert converging[-1] < converging[0]
    assert diverging[-1] > 1e3 * diverging[0]


# ---------------------------------------------------------------------------- training


@settings(max_examples=30, deadline=None)
@given(n=st.integers(8, 60), d=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_full_batch_training_matches_lstsq(n, d, seed):
    X, y, _ = problem(seed, n, d)
    H = hessian(X)
    eig = np.linalg.eigvalsh(H)
    if eig[0] < 1e-3 * eig[-1]:  # ill-conditioned draw: gradient descent would need ages
        return
    lr = 1.0 / eig[-1]
    epochs = int(np.ceil(40 * eig[-1] / eig[0]))
    w, history = train(X, y, lr=lr, epochs=epochs, batch_size=n, rng=np.random.default_rng(0))
    np.testing.assert_allclose(stacked(w), lstsq_weights(X, y), rtol=1e-8, atol=1e-10)
    assert history.shape == (epochs + 1,)
    assert np.all(np.diff(history) <= 1e-12 * history[0])  # monotone below the stable limit


def test_minibatch_training_matches_lstsq_on_noise_free_data():
    """Without noise every batch gradient vanishes at the solution, so SGD converges to it."""
    X, y, _ = problem(7, 203, 4, noise=0.0)  # 203 = 6 * 32 + 11: a short last batch
    w, history = train(X, y, lr=0.1, epochs=150, batch_size=32, rng=np.random.default_rng(1))
    np.testing.assert_allclose(stacked(w), lstsq_weights(X, y), rtol=1e-8, atol=1e-10)
    assert history[-1] < 1e-18


def test_minibatch_training_on_noisy_data_is_near_lstsq():
    X, y, _ = problem(8, 400, 3, noise=0.3)
    w, _ = train(X, y, lr=0.01, epochs=100, batch_size=25, rng=np.random.default_rng(2))
    best = lstsq_weights(X, y)
    np.testing.assert_allclose(stacked(w), best, atol=0.02)
    loss = forward_linear_regression(X, y, w)[0]
    best_loss = forward_linear_regression(X, y, {"W": best[:3], "B": best[3:]})[0]
    assert best_loss <= loss < 1.01 * best_loss


def test_training_steps_match_a_hand_written_loop():
    """Shuffle, batches with a short last one, mean gradient per batch: replayed by hand."""
    X, y, _ = problem(9, 10, 2)
    w, history = train(X, y, lr=0.05, epochs=2, batch_size=4, rng=np.random.default_rng(3))
    rng = np.random.default_rng(3)
    W, B = np.zeros((2, 1)), 0.0
    for _ in range(2):
        order = rng.permutation(10)
        for batch in (order[0:4], order[4:8], order[8:10]):
            r = X[batch] @ W + B - y[batch]
            W = W - 0.05 * (2 / len(batch)) * X[batch].T @ r
            B = B - 0.05 * (2 / len(batch)) * r.sum()
    np.testing.assert_allclose(w["W"], W, rtol=1e-12)
    np.testing.assert_allclose(w["B"], [[B]], rtol=1e-12)
    assert history[-1] == pytest.approx(np.mean((X @ W + B - y) ** 2), rel=1e-12)


@pytest.mark.parametrize(
    ("n", "d", "batch_size", "last_batch"),
    [(200, 3, 8, "mean"), (10, 2, 4, "nominal"), (300, 5, 129, "mean"), (40, 2, 40, "mean")],
)
def test_train_equals_a_loop_of_the_checked_public_functions_bit_for_bit(
    n, d, batch_size, last_batch
):
    """train checks its inputs once and then steps without the per-call checks: the same
    arithmetic, so weights and losses equal those of the public functions exactly."""
    X, y, w0 = problem(8, n, d)
    w, history = train(
        X,
        y,
        lr=0.01,
        epochs=4,
        batch_size=batch_size,
        rng=np.random.default_rng(6),
        weights=w0,
        last_batch=last_batch,
    )
    rng = np.random.default_rng(6)
    ref = {k: v.copy() for k, v in w0.items()}
    losses = [forward_linear_regression(X, y, ref)[0]]
    for _ in range(4):
        order = np.arange(n) if batch_size >= n else rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            step = 0.01
            if last_batch == "nominal" and idx.size < batch_size:
                step = 0.01 * idx.size / batch_size
            Xb, yb = (X, y) if batch_size >= n else (X[idx], y[idx])
            grads = loss_gradients(forward_linear_regression(Xb, yb, ref)[1], ref)
            for k in ("W", "B"):
                ref[k] -= step * grads[k]
        losses.append(forward_linear_regression(X, y, ref)[0])
    np.testing.assert_array_equal(w["W"], ref["W"])
    np.testing.assert_array_equal(w["B"], ref["B"])
    np.testing.assert_array_equal(history, losses)


@pytest.mark.parametrize("last_batch", ["mean", "nominal"])
def test_training_steps_match_a_hand_written_loop_for_each_last_batch_divisor(last_batch):
    """The short last batch's gradient is divided by its own length, or by batch_size."""
    X, y, _ = problem(9, 10, 2)
    w, _ = train(
        X, y, lr=0.05, epochs=3, batch_size=4, rng=np.random.default_rng(3), last_batch=last_batch
    )
    rng = np.random.default_rng(3)
    W, B = np.zeros((2, 1)), 0.0
    for _ in range(3):
        order = rng.permutation(10)
        for batch in (order[0:4], order[4:8], order[8:10]):
            divisor = len(batch) if last_batch == "mean" else 4
            r = X[batch] @ W + B - y[batch]
            W = W - 0.05 * (2 / divisor) * X[batch].T @ r
            B = B - 0.05 * (2 / divisor) * r.sum()
    np.testing.assert_allclose(w["W"], W, rtol=1e-12)
    np.testing.assert_allclose(w["B"], [[B]], rtol=1e-12)


@pytest.mark.parametrize(("last_batch", "short_step"), [("mean", 1.0), ("nominal", 0.5)])
def test_a_custom_gradients_output_is_used_unchanged_or_scaled_by_m_over_batch_size(
    last_batch, short_step
):
    """With gradients=, "mean" steps every batch with the function's output as returned;
    "nominal" multiplies the short last batch's output by m / batch_size (here 1/2)."""
    X, y, _ = problem(14, 5, 2)  # batches of 2, 2 and a short one of m = 1

    def constant(forward_info, weights):
        return {"W": np.ones((2, 1)), "B": np.ones((1, 1))}

    w, _ = train(
        X, y, lr=0.125, epochs=1, batch_size=2, rng=0, gradients=constant, last_batch=last_batch
    )
    expected = -0.125 * (2 + short_step)  # two full steps and the short one, exact in binary
    np.testing.assert_array_equal(w["W"], np.full((2, 1), expected))
    np.testing.assert_array_equal(w["B"], [[expected]])


def test_last_batch_divisors_agree_when_the_batch_size_divides_n():
    X, y, _ = problem(12, 12, 2)
    runs = [
        train(X, y, lr=0.05, epochs=3, batch_size=4, rng=np.random.default_rng(5), last_batch=mode)[
            0
        ]
        for mode in ("mean", "nominal")
    ]
    np.testing.assert_array_equal(stacked(runs[0]), stacked(runs[1]))


def test_a_nominal_epoch_is_one_full_gradient_step_to_first_order():
    """With last_batch="nominal" every sample weighs the same per epoch: for a tiny lr an
    epoch moves the weights by lr * (N / batch_size) times the full gradient, up to O(lr**2);
    the default weighs the short batch more and misses by O(lr)."""
    X, y, w0 = problem(13, 10, 2)
    lr = 1e-6
    full = loss_gradients(forward_linear_regression(X, y, w0)[1], w0)
    miss = {}
    for mode in ("mean", "nominal"):
        w, _ = train(
            X,
            y,
            lr=lr,
            epochs=1,
            batch_size=4,
            rng=np.random.default_rng(6),
            weights=w0,
            last_batch=mode,
        )
        moved = (stacked(w0) - stacked(w)) / (lr * 10 / 4)
        miss[mode] = float(np.max(np.abs(moved - stacked(full))))
    assert miss["nominal"] < 1e-4 * float(np.max(np.abs(stacked(full))))
    assert miss["mean"] > 1e-2 * float(np.max(np.abs(stacked(full))))


def test_training_is_reproducible_and_leaves_inputs_alone():
    X, y, w0 = problem(10, 50, 3)
    w0_copy = {k: v.copy() for k, v in w0.items()}
    a, ha = train(X, y, lr=0.05, epochs=5, batch_size=8, rng=np.random.default_rng(4), weights=w0)
    b, hb = train(X, y, lr=0.05, epochs=5, batch_size=8, rng=np.random.default_rng(4), weights=w0)
    np.testing.assert_array_equal(stacked(a), stacked(b))
    np.testing.assert_array_equal(ha, hb)
    np.testing.assert_array_equal(stacked(w0), stacked(w0_copy))
    assert ha[0] == pytest.approx(forward_linear_regression(X, y, w0)[0])


def test_summed_gradient_with_lr_over_n_retraces_the_mean_gradient():
    X, y, _ = problem(11, 64, 3)

    def summed(info, weights):
        g = loss_gradients(info, weights)
        n = info["X"].shape[0]
        return {"W": n * g["W"], "B": n * g["B"]}

    a, _ = train(X, y, lr=0.1, epochs=20, batch_size=64, rng=np.random.default_rng(0))
    b, _ = train(
        X, y, lr=0.1 / 64, epochs=20, batch_size=64, rng=np.random.default_rng(0), gradients=summed
    )
    np.testing.assert_allclose(stacked(a), stacked(b), rtol=1e-12)


def test_divergence_raises_with_the_stable_limit():
    X, y, _ = problem(12, 30, 2)
    lr_max = max_stable_lr(X)
    with pytest.raises(ValueError, match=r"training diverged in epoch \d+.*lr < 2/lambda_max"):
        train(X, y, lr=3 * lr_max, epochs=5000, batch_size=30, rng=np.random.default_rng(0))


# ---------------------------------------------------------------------------- bad inputs


@pytest.fixture
def good():
    return problem(13, 5, 3)


def test_one_dimensional_y_is_rejected_with_a_hint(good):
    X, y, w = good
    with pytest.raises(
        ValueError, match=r"y must have shape \(5, 1\), one row per row of X, got \(5,\).*\(5, 5\)"
    ):
        forward_linear_regression(X, y.ravel(), w)
    # the (b, b) explanation only where it is true, b > 1
    with pytest.raises(ValueError, match=r"got \(1,\); pass y\.reshape\(-1, 1\)") as excinfo:
        forward_linear_regression(X[:1], y[:1].ravel(), w)
    message = str(excinfo.value)
    assert message.startswith("y must have shape (1, 1), one row per row of X, got (1,)")
    assert "silently" not in message
    assert "(1, 1) matrix" not in message
    with pytest.raises(ValueError, match=r"forward_info\['y'\] must have shape \(1, 1\).*reshape"):
        loss_gradients({**forward_linear_regression(X[:1], y[:1], w)[1], "y": y[0]}, w)
    with pytest.raises(ValueError, match=r"y must have shape \(1, 1\).*pass y\.reshape\(-1, 1\)"):
        train(X[:1], y[0], lr=0.1, epochs=1, batch_size=1, rng=0)


def test_mismatched_n_is_rejected(good):
    X, y, w = good
    with pytest.raises(
        ValueError, match=r"y must have shape \(5, 1\), one row per row of X, got \(4, 1\)"
    ):
        forward_linear_regression(X, y[:4], w)


def test_missing_weight_key_is_rejected(good):
    X, y, w = good
    with pytest.raises(ValueError, match=r"weights is missing key\(s\) \['B'\]"):
        forward_linear_regression(X, y, {"W": w["W"]})
    with pytest.raises(TypeError, match=r"weights must be a dict"):
        forward_linear_regression(X, y, [w["W"], w["B"]])


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("W", np.ones((4, 1)), r"weights\['W'\] must have shape \(D, 1\) = \(3, 1\), got \(4, 1\)"),
        ("W", np.ones(3), r"weights\['W'\] must have shape \(D, 1\) = \(3, 1\), got \(3,\)"),
        ("B", np.ones((1,)), r"weights\['B'\] must have shape \(1, 1\), got \(1,\)"),
        ("B", np.array([[np.inf]]), r"weights\['B'\] must be finite"),
    ],
)
def test_bad_weights_are_rejected(good, key, value, message):
    X, y, w = good
    with pytest.raises(ValueError, match=message):
        forward_linear_regression(X, y, {**w, key: value})


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_X_is_rejected_even_with_zero_weights(good, bad):
    X, y, _ = good
    X = X.copy()
    X[2, 1] = bad
    zeros = {"W": np.zeros((3, 1)), "B": np.zeros((1, 1))}
    with pytest.raises(ValueError, match=r"^X must be finite.* at X\[2, 1\]"):
        forward_linear_regression(X, y, zeros)
    info = {"X": X, "N": np.zeros((5, 1)), "P": np.zeros((5, 1)), "y": y}
    with pytest.raises(
        ValueError, match=r"forward_info\['X'\] must be finite.* at forward_info\['X'\]\[2, 1\]"
    ):
        loss_gradients(info, zeros)


def test_nan_in_y_is_rejected(good):
    X, y, w = good
    y = y.copy()
    y[0, 0] = np.nan
    with pytest.raises(
        ValueError, match=r"y must be finite, got NaN or inf in an array of shape \(5, 1\)"
    ):
        forward_linear_regression(X, y, w)


def test_overflow_is_reported(good):
    X, y, w = good
    with pytest.raises(ValueError, match=r"predictions X @ weights\['W'\].*exceed float64's range"):
        forward_linear_regression(X * 1e200, y, {"W": w["W"] * 1e200, "B": w["B"]})


@pytest.mark.parametrize(
    ("X", "error", "message"),
    [
        (np.ones(5), ValueError, r"X must be a 2-D array, one row per sample.*got shape \(5,\)"),
        (np.ones((0, 3)), ValueError, r"X must not be empty, got shape \(0, 3\)"),
        (np.full((5, 3), "a"), TypeError, r"X must be a real numeric array, got dtype <U1"),
        (np.ones((5, 3), dtype=complex), TypeError, r"X must be a real .* dtype complex128"),
        (np.ones((5, 3), dtype=bool), TypeError, r"X must be a real numeric array, got dtype bool"),
    ],
)
def test_bad_X_is_rejected(good, X, error, message):
    _, y, w = good
    with pytest.raises(error, match=message):
        forward_linear_regression(X, y, w)


def test_bad_forward_info_is_rejected(good):
    X, y, w = good
    _, info = forward_linear_regression(X, y, w)
    with pytest.raises(ValueError, match=r"forward_info is missing key\(s\) \['P'\]"):
        loss_gradients({k: v for k, v in info.items() if k != "P"}, w)
    with pytest.raises(
        ValueError,
        match=r"forward_info\['P'\] must have shape \(5, 1\), one row per row of forward_info",
    ):
        loss_gradients({**info, "P": info["P"].ravel()}, w)


def test_loss_gradients_needs_the_product(good):
    X, y, w = good
    _, info = forward_linear_regression(X, y, w)
    with pytest.raises(ValueError, match=r"forward_info is missing key\(s\) \['N'\]"):
        loss_gradients({k: v for k, v in info.items() if k != "N"}, w)
    with pytest.raises(TypeError, match=r"forward_info must be a dict, got tuple"):
        loss_gradients((X, y), w)
    # the question's typo, forward_info[weights["B"]], fails in plain Python before we are called
    with pytest.raises(TypeError, match=r"unhashable type: 'numpy.ndarray'"):
        info[w["B"]]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"lr": 0.0}, ValueError, r"lr must be a real number > 0, got 0.0"),
        ({"lr": np.nan}, ValueError, r"lr must be a real number > 0, got nan"),
        ({"lr": "0.1"}, TypeError, r"lr must be a real number > 0, got str"),
        ({"epochs": 0}, ValueError, r"epochs must be an integer in \[1, 1e\+07\], got 0"),
        ({"epochs": 2.5}, TypeError, r"epochs must be an integer in \[1, 1e\+07\], got float 2.5"),
        ({"batch_size": -1}, ValueError, r"batch_size must be an integer >= 1, got -1"),
        ({"batch_size": True}, TypeError, r"batch_size must be an integer >= 1, got bool"),
        ({"rng": 1.5}, TypeError, r"rng must be None, a seed >= 0 or a numpy.random.Generator"),
    ],
)
def test_bad_training_arguments_are_rejected(good, kwargs, error, message):
    X, y, _ = good
    args = {"lr": 0.1, "epochs": 3, "batch_size": 2, "rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(error, match=message):
        train(X, y, **args)


def test_train_rejects_non_finite_X(good):
    X, y, _ = good
    X = X.copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"X must be finite"):
        train(X, y, lr=0.1, epochs=1, batch_size=5, rng=np.random.default_rng(0))


def test_max_stable_lr_of_zero_X_is_set_by_the_bias():
    # Only B is curved when X = 0: L = mean((y - B)^2) has d2L/dB2 = 2, so lr_max = 1.
    assert max_stable_lr(np.zeros((4, 2))) == pytest.approx(1.0)


def test_batch_size_above_n_means_full_batches():
    X, y, _ = problem(14, 20, 2)
    a, ha = train(X, y, lr=0.2, epochs=10, batch_size=20, rng=np.random.default_rng(0))
    b, hb = train(X, y, lr=0.2, epochs=10, batch_size=10_000, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(stacked(a), stacked(b))
    np.testing.assert_array_equal(ha, hb)


def test_float32_and_integer_shape_are_accepted():
    X, y, w = problem(15, 6, 2)
    loss32, info = forward_linear_regression(X.astype(np.float32), y, w)
    assert info["X"].dtype == np.float64
    assert loss32 == pytest.approx(forward_linear_regression(X, y, w)[0], rel=1e-6)
    np.testing.assert_array_equal(unbroadcast(np.ones((4, 3)), 3), [4.0, 4.0, 4.0])


def test_train_rejects_a_gradient_rule_of_the_wrong_shape(good):
    X, y, _ = good

    def wrong_shape(info, weights):
        return {"W": np.zeros((2, 1)), "B": np.zeros((1, 1))}

    def wrong_keys(info, weights):
        return {"w": np.zeros((3, 1))}

    def summed_away_axis(info, weights):  # the question's np.sum(..., axis=0): shape (1,)
        g = loss_gradients(info, weights)
        return {"W": g["W"], "B": g["B"].sum(axis=0)}

    args = {"lr": 0.1, "epochs": 1, "batch_size": 5, "rng": np.random.default_rng(0)}
    with pytest.raises(ValueError, match=r"gradients returned 'W' of shape \(2, 1\); .*\(3, 1\)"):
        train(X, y, gradients=wrong_shape, **args)
    with pytest.raises(ValueError, match=r"gradients must return a dict with keys 'W' and 'B'"):
        train(X, y, gradients=wrong_keys, **args)
    with pytest.raises(
        ValueError, match=r"gradients returned 'B' of shape \(1,\); .*\(1, 1\).*keepdims=True"
    ):
        train(X, y, gradients=summed_away_axis, **args)


def test_gradcheck_names_the_key_of_a_misshapen_gradient():
    w = {"W": np.ones((2, 1)), "B": np.ones((1, 1))}
    g = {"W": np.ones((2, 1)), "B": np.ones(1)}
    with pytest.raises(ValueError, match=r"grad\['B'\] has shape \(1,\).*\(1, 1\)"):
        gradcheck(lambda p: float(np.sum(p["W"]) + np.sum(p["B"])), g, w)
