"""The input contract for helpers.linear_regression, adversarially.

For any input, every public function returns a correct result or raises a ``TypeError`` /
``ValueError`` naming the argument, within a second, without modifying its inputs or returning
views of them. "Correct" is checked against exact rational arithmetic (``fractions.Fraction``)
with the floating-point error bound of the computation, over the whole finite float64 range (and
float32, which is accepted and converted). Where a function refuses finite input as out of
range, the test checks that the input is indeed beyond the range the module guarantees.

One documented exception to "no views": ``forward_info["X"]`` and ``forward_info["y"]`` are a
cache of the validated inputs, read-only views by design (copying the batch would double the
cost of the forward pass); the checks below assert that they cannot be written through.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from _contract import ODD_TYPES, check_contract, finite_arrays, odd_arraylikes
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.linear_regression import (
    forward_linear_regression,
    hessian,
    loss_gradients,
    max_stable_lr,
    train,
    unbroadcast,
)

EPS = Fraction(1, 2**52)  # exact, so that the bounds never overflow
TINY = Fraction(2) ** -1074  # the smallest subnormal: the absolute error of an underflow
EXAMPLES = 60


def problem(n=5, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = rng.standard_normal((n, 1))
    w = {"W": rng.standard_normal((d, 1)), "B": rng.standard_normal((1, 1))}
    return X, y, w


def forward_outputs(X, y, weights):
    """The forward pass's results without the cached inputs, which must be read-only views."""
    loss, info = forward_linear_regression(X, y, weights)
    assert not info["X"].flags.writeable
    assert not info["y"].flags.writeable
    return loss, info["N"], info["P"]


def exact(a):
    """An array of Python Fractions with the exact values of ``a``'s float64 entries."""
    a = np.asarray(a, dtype=np.float64)
    return np.array([Fraction(v) for v in a.ravel()], dtype=object).reshape(a.shape)


def within(got, want, slack):
    """``|got - want| <= slack`` entrywise, in exact arithmetic (no overflow of the test)."""
    got = exact(got)
    bad = [
        (float(g), float(w), float(s))
        for g, w, s in zip(got.ravel(), np.ravel(want), np.ravel(slack), strict=True)
        if abs(g - w) > s
    ]
    assert not bad, f"(got, exact, allowed error) outside the bound: {bad[:3]}"


def fmax(values):
    return max((abs(v) for v in np.ravel(values)), default=Fraction(0))


# --------------------------------------------------------------------------------------------
# reproducers of the reliability report, one test each


def test_train_with_huge_X_reports_divergence_not_linalgerror():
    X, y, _ = problem(20, 3)
    with pytest.raises(ValueError, match=r"training diverged in epoch 1.*lr=0.1 is too large"):
        train(X * 1e200, y, lr=0.1, epochs=3, batch_size=20, rng=0)


def test_max_stable_lr_with_huge_X_gives_the_supported_range():
    X, _, _ = problem(20, 3)
    with pytest.raises(ValueError, match=r"X is too large.*max \|X\| below about 1e154"):
        max_stable_lr(X * 1e200)


def test_hessian_with_huge_X_is_refused_not_inf():
    X, _, _ = problem(20, 3)
    with pytest.raises(ValueError, match=r"X is too large for its Hessian.*below 9.4e\+153"):
        hessian(X * 1e200)
    # just inside the range: finite, and scaled exactly like X**2
    H = hessian(X * 1e150)
    assert np.isfinite(H).all()
    np.testing.assert_allclose(H[:-1, :-1], hessian(X)[:-1, :-1] * 1e300, rtol=1e-13)


def test_train_names_a_gradients_argument_that_is_not_callable():
    X, y, _ = problem()
    with pytest.raises(TypeError, match=r"gradients must be a callable .* got int 5"):
        train(X, y, lr=0.1, epochs=1, batch_size=5, rng=0, gradients=5)


def test_nan_from_the_gradients_function_is_blamed_on_it_not_on_lr():
    X, y, _ = problem()

    def nan_gradients(info, w):
        return {"W": np.full((3, 1), np.nan), "B": np.zeros((1, 1))}

    with pytest.raises(ValueError, match=r"gradients returned a non-finite 'W'.*not the learning"):
        train(X, y, lr=0.1, epochs=1, batch_size=5, rng=0, gradients=nan_gradients)


def test_a_fraction_is_accepted_as_lr_like_any_real_number():
    X, y, _ = problem()
    a, ha = train(X, y, lr=Fraction(1, 10), epochs=3, batch_size=2, rng=0)
    b, hb = train(X, y, lr=0.1, epochs=3, batch_size=2, rng=0)
    np.testing.assert_array_equal(a["W"], b["W"])
    np.testing.assert_array_equal(ha, hb)


# --------------------------------------------------------------------------------------------
# wrong types for every argument and keyword


def _forward_kwargs():
    X, y, w = problem()
    return {"X": X, "y": y, "weights": w}


def _gradients_kwargs():
    X, y, w = problem()
    _, info = forward_linear_regression(X, y, w)
    return {"forward_info": dict(info), "weights": w}


def _train_kwargs():
    X, y, _ = problem()
    return {"X": X, "y": y, "lr": 0.1, "epochs": 2, "batch_size": 2, "rng": 0}


@pytest.mark.parametrize("bad", ODD_TYPES, ids=repr)
@pytest.mark.parametrize("arg", ["X", "y", "weights", "weights['W']", "weights['B']"])
def test_forward_refuses_odd_types(arg, bad):
    kwargs = _forward_kwargs()
    if arg.startswith("weights["):
        kwargs["weights"] = {**kwargs["weights"], arg[9]: bad}
    else:
        kwargs[arg] = bad
    check_contract(forward_outputs, kwargs, names=(arg.split("[")[0],), must_raise=True)


@pytest.mark.parametrize("bad", ODD_TYPES, ids=repr)
@pytest.mark.parametrize("arg", ["forward_info", "weights", "X", "N", "P", "y", "reduction"])
def test_loss_gradients_refuses_odd_types(arg, bad):
    kwargs = _gradients_kwargs()
    name = arg
    if arg in ("X", "P", "y"):
        kwargs["forward_info"][arg] = bad
        name = "forward_info"
    elif arg == "N":  # not used by the gradient: any value is accepted, nothing is changed
        kwargs["forward_info"]["N"] = bad
        check_contract(loss_gradients, kwargs)
        return
    else:
        kwargs[arg] = bad
    check_contract(loss_gradients, kwargs, names=(name,), must_raise=True)


@pytest.mark.parametrize("bad", ODD_TYPES, ids=repr)
@pytest.mark.parametrize("arg", ["grad", "shape"])
def test_unbroadcast_refuses_odd_types(arg, bad):
    kwargs = {"grad": np.ones((4, 3)), "shape": (1, 3), arg: bad}
    check_contract(unbroadcast, kwargs, names=(arg,), must_raise=True)


@pytest.mark.parametrize("bad", ODD_TYPES, ids=repr)
@pytest.mark.parametrize("fn", [hessian, max_stable_lr], ids=lambda f: f.__name__)
def test_curvature_functions_refuse_odd_types(fn, bad):
    check_contract(fn, {"X": bad}, must_raise=True)


@pytest.mark.parametrize("bad", ODD_TYPES, ids=repr)
@pytest.mark.parametrize(
    "arg", ["X", "y", "lr", "epochs", "batch_size", "rng", "weights", "gradients", "last_batch"]
)
def test_train_refuses_odd_types(arg, bad):
    if bad is None and arg in ("rng", "weights"):
        pytest.skip(f"None is a valid {arg} (fresh entropy / zero weights)")
    kwargs = {**_train_kwargs(), arg: bad}
    check_contract(train, kwargs, names=(arg,), must_raise=True)


BAD_SCALARS = [
    ("lr", 0),
    ("lr", -1.5),
    ("lr", np.array(np.nan)),  # 0-d: the harness compares NaN arrays with equal_nan
    ("lr", np.inf),
    ("lr", True),
    ("lr", "0.1"),
    ("lr", np.array([0.1])),
    ("epochs", 0),
    ("epochs", 2.5),
    ("epochs", np.int64(-3)),
    ("epochs", 10**400),  # beyond the documented 10**7: refused, not a MemoryError
    ("epochs", False),
    ("batch_size", 0),
    ("batch_size", -1),
    ("batch_size", 2.0),
    ("batch_size", np.array(np.nan)),
    ("last_batch", "drop"),
    ("last_batch", "Mean"),
    ("last_batch", ""),
]


@pytest.mark.parametrize(("arg", "bad"), BAD_SCALARS, ids=repr)
def test_train_refuses_bad_scalars(arg, bad):
    kwargs = {**_train_kwargs(), arg: bad}
    check_contract(train, kwargs, names=(arg,), must_raise=True)


def test_train_refuses_a_gradients_function_returning_garbage():
    kwargs = _train_kwargs()
    for bad in (None, {"W": "a", "B": 0.0}, {"W": np.zeros((3, 1)), "B": 1j}, {"W": 1.0}):
        kwargs["gradients"] = lambda info, w, bad=bad: bad
        check_contract(train, kwargs, names=("gradients",), must_raise=True)


# --------------------------------------------------------------------------------------------
# odd spellings of valid arrays: accepted with the same result, or refused by name


@pytest.mark.parametrize("arg", ["X", "y", "W", "B"])
def test_forward_odd_arraylikes(arg):
    X, y, w = problem()
    base = {"X": X, "y": y, "W": w["W"], "B": w["B"]}[arg]
    reference = forward_outputs(X, y, w)
    for label, value, valid in odd_arraylikes(base):
        kwargs = {"X": X, "y": y, "weights": dict(w)}
        if arg in ("W", "B"):
            kwargs["weights"][arg] = value
        else:
            kwargs[arg] = value
        name = "weights" if arg in ("W", "B") else arg
        out = check_contract(forward_outputs, kwargs, names=(name,), must_raise=not valid)
        if valid:
            assert out.result[0] == pytest.approx(reference[0], rel=1e-15), label
            np.testing.assert_allclose(out.result[2], reference[2], rtol=1e-15, err_msg=label)


def test_gradients_and_curvature_odd_arraylikes():
    X, y, w = problem()
    _, info = forward_linear_regression(X, y, w)
    g_ref = loss_gradients(info, w)
    for label, value, valid in odd_arraylikes(X):
        fi = {**info, "X": value}
        out = check_contract(
            loss_gradients, {"forward_info": fi, "weights": w}, must_raise=not valid
        )
        if valid:
            np.testing.assert_allclose(out.result["W"], g_ref["W"], rtol=1e-14, err_msg=label)
        for fn in (hessian, max_stable_lr):
            out = check_contract(fn, {"X": value}, must_raise=not valid)
            if valid:
                np.testing.assert_allclose(out.result, fn(X), rtol=1e-14, err_msg=label)
    for label, value, valid in odd_arraylikes(np.arange(12.0).reshape(4, 3)):
        out = check_contract(unbroadcast, {"grad": value, "shape": (1, 3)}, must_raise=not valid)
        if valid:
            np.testing.assert_array_equal(out.result, [[18.0, 22.0, 26.0]], err_msg=label)


def test_train_odd_arraylikes_and_no_mutation():
    X, y, w = problem()
    ref, _ = train(X, y, lr=0.1, epochs=2, batch_size=2, rng=0, weights=w)
    for arg, base in (("X", X), ("y", y)):
        for label, value, valid in odd_arraylikes(base):
            kwargs = {**_train_kwargs(), arg: value, "weights": w}
            out = check_contract(train, kwargs, names=(arg,), must_raise=not valid)
            if valid:
                np.testing.assert_allclose(out.result[0]["W"], ref["W"], rtol=1e-13, err_msg=label)
    # the caller's weights and generator state are the only things train may touch: the
    # generator advances (as NumPy's own functions do), the weights stay as they were
    before = {k: v.copy() for k, v in w.items()}
    train(X, y, lr=0.1, epochs=2, batch_size=2, rng=np.random.default_rng(0), weights=w)
    for k in w:
        np.testing.assert_array_equal(w[k], before[k])


# --------------------------------------------------------------------------------------------
# the whole finite float64 range (and float32), against exact arithmetic


@st.composite
def forward_inputs(draw, dtype=np.float64):
    n = draw(st.integers(1, 4))
    d = draw(st.integers(1, 3))
    X = draw(finite_arrays((n, d), dtype=dtype))
    y = draw(finite_arrays((n, 1), dtype=dtype))
    W = draw(finite_arrays((d, 1), dtype=dtype))
    B = draw(finite_arrays((1, 1), dtype=dtype))
    return X, y, {"W": W, "B": B}


def check_forward_against_exact(X, y, w):
    outcome = check_contract(forward_outputs, {"X": X, "y": y, "weights": w})
    n, d = X.shape
    Xe, ye, We, Be = exact(X), exact(y), exact(w["W"]), exact(w["B"])[0, 0]
    if outcome.raised:  # only beyond the guaranteed range
        size = fmax(Xe) * sum(abs(v) for v in We.ravel()) + abs(Be) + fmax(ye)
        assert size >= Fraction(10) ** 150, outcome.error
        return
    loss, _, P = outcome.result
    P_exact = Xe @ We + Be  # (n, 1), exact
    magnitude = np.abs(Xe) @ np.abs(We) + abs(Be)  # sum |x_ij w_j| + |b|
    within(P, P_exact, (d + 2) * EPS * magnitude + (d + 2) * TINY)
    r = ye - P_exact
    delta = (d + 3) * EPS * (magnitude + np.abs(ye)) + (d + 3) * TINY
    loss_exact = sum(v * v for v in r.ravel()) / n
    slack = sum(2 * abs(a) * b + b * b for a, b in zip(r.ravel(), delta.ravel(), strict=True))
    within([loss], [loss_exact], [slack / n + (n + 10) * EPS * loss_exact + (n + 2) * TINY])


@settings(max_examples=EXAMPLES)
@given(forward_inputs())
def test_forward_over_the_whole_float64_range(inputs):
    check_forward_against_exact(*inputs)


@settings(max_examples=EXAMPLES // 2)
@given(forward_inputs(dtype=np.float32))
def test_forward_over_the_whole_float32_range(inputs):
    check_forward_against_exact(*inputs)


@st.composite
def gradient_inputs(draw):
    n = draw(st.integers(1, 4))
    d = draw(st.integers(1, 3))
    X = draw(finite_arrays((n, d)))
    P = draw(finite_arrays((n, 1)))
    y = draw(finite_arrays((n, 1)))
    return {"X": X, "N": P.copy(), "P": P, "y": y}


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@settings(max_examples=EXAMPLES)
@given(info=gradient_inputs())
def test_loss_gradients_over_the_whole_float64_range(reduction, info):
    check_gradients_against_exact(info, reduction)


def check_gradients_against_exact(info, reduction="mean"):
    n, d = info["X"].shape
    w = {"W": np.zeros((d, 1)), "B": np.zeros((1, 1))}
    kwargs = {"forward_info": info, "weights": w, "reduction": reduction}
    outcome = check_contract(loss_gradients, kwargs)
    Xe, Pe, ye = exact(info["X"]), exact(info["P"]), exact(info["y"])
    c = Fraction(2, n) if reduction == "mean" else Fraction(2)
    dLdP = c * (Pe - ye)  # (n, 1), exact
    if outcome.raised:  # only beyond the guaranteed range (n times smaller for the sum)
        terms = 1 if reduction == "mean" else n
        assert terms * max(1, fmax(Xe)) * fmax(Pe - ye) >= Fraction(10) ** 300, outcome.error
        return
    g = outcome.result
    assert g["W"].shape == (d, 1)
    assert g["B"].shape == (1, 1)
    size = c * (np.abs(Pe) + np.abs(ye))  # bounds |dL/dP_i| and its rounding
    col_max = np.array([fmax(Xe[:, j]) for j in range(d)], dtype=object).reshape(d, 1)
    slack_W = (n + 6) * EPS * (np.abs(Xe).T @ size) + 4 * n * TINY * (col_max * fmax(size) + 1)
    within(g["W"], Xe.T @ dLdP, slack_W)
    within(g["B"], [[sum(dLdP.ravel())]], [[(n + 6) * EPS * sum(size.ravel()) + n * TINY]])


@st.composite
def broadcast_problem(draw):
    grad_shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    k = draw(st.integers(0, len(grad_shape)))
    tail = grad_shape[len(grad_shape) - k :]
    param = tuple(s if draw(st.booleans()) else 1 for s in tail)
    return draw(finite_arrays(grad_shape)), param


@settings(max_examples=EXAMPLES)
@given(broadcast_problem())
def test_unbroadcast_over_the_whole_float64_range(problem_):
    check_unbroadcast_against_exact(*problem_)


def check_unbroadcast_against_exact(g, shape):
    outcome = check_contract(unbroadcast, {"grad": g, "shape": shape})
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and g.shape[lead + i] != 1
    )
    ge = exact(g)
    want = np.sum(ge, axis=axes) if axes else ge
    size = np.sum(np.abs(ge), axis=axes) if axes else np.abs(ge)
    terms = int(np.prod([g.shape[a] for a in axes])) if axes else 1
    if outcome.raised:  # only when an exact sum is beyond float64's range
        assert fmax(want) > Fraction(1.7e308), outcome.error
        return
    assert outcome.result.shape == shape
    within(
        outcome.result,
        np.reshape(want, shape),
        np.reshape((terms + 4) * EPS * np.asarray(size, dtype=object) + terms * TINY, shape),
    )


@settings(max_examples=EXAMPLES)
@given(
    st.integers(1, 4).flatmap(lambda n: st.integers(1, 3).flatmap(lambda d: finite_arrays((n, d))))
)
def test_hessian_and_max_stable_lr_over_the_whole_float64_range(X):
    n = X.shape[0]
    Xe = exact(X)
    A = np.hstack([Xe, np.full((n, 1), Fraction(1), dtype=object)])
    H_exact = Fraction(2, n) * (A.T @ A)
    amax = fmax(Xe)
    outcome = check_contract(hessian, {"X": X})
    if outcome.raised:
        assert amax >= Fraction(9.4e153), outcome.error
    else:  # normwise: the scaled products may flush much smaller entries to zero
        norm = fmax(H_exact)
        within(outcome.result, H_exact, np.full(H_exact.shape, (n + 8) * EPS * norm + 8 * TINY))
    outcome = check_contract(max_stable_lr, {"X": X})
    diag = np.diag(H_exact)
    if outcome.raised:
        assert amax >= Fraction(10) ** 154, outcome.error
        return
    # lambda_max lies between the largest diagonal entry and the trace of H
    lr = Fraction(outcome.result)
    low, high = 2 / sum(diag), 2 / max(diag)
    assert low * (1 - Fraction(1, 10**10)) - 4 * TINY <= lr <= high * (1 + Fraction(1, 10**10))


@settings(max_examples=EXAMPLES)
@given(
    st.integers(1, 5).flatmap(lambda n: st.tuples(finite_arrays((n, 2)), finite_arrays((n, 1)))),
    st.floats(min_value=5e-324, max_value=1.7e308),
    st.integers(1, 3),
    st.integers(1, 6),
    st.sampled_from(["mean", "nominal"]),
)
def test_train_over_the_whole_float64_range(data, lr, epochs, batch_size, last_batch):
    X, y = data
    outcome = check_contract(
        train,
        {
            "X": X,
            "y": y,
            "lr": lr,
            "epochs": epochs,
            "batch_size": batch_size,
            "rng": 0,
            "last_batch": last_batch,
        },
        names=("X", "y", "lr"),
    )
    if not outcome.raised:
        w, history = outcome.result
        assert history.shape == (epochs + 1,)
        assert np.isfinite(history).all()
        assert all(np.isfinite(v).all() for v in w.values())


# Random draws rarely hit the paths taken when a partial result overflows although the result
# fits; these inputs do, and are checked against exact arithmetic in the same way.
BIG = 1e308


def test_forward_when_the_sum_of_squares_overflows_but_the_mean_fits():
    X = np.zeros((4, 1))
    y = np.full((4, 1), 1e154)  # sum of squares 4e308 overflows; the mean, 1e308, fits
    w = {"W": np.zeros((1, 1)), "B": np.zeros((1, 1))}
    check_forward_against_exact(X, y, w)
    assert not check_contract(forward_outputs, {"X": X, "y": y, "weights": w}).raised


@pytest.mark.parametrize(
    "info",
    [
        {  # X.T @ dL/dP: partial sums overflow in column 0, column 1 is tiny
            "X": np.array([[1e300, 1e-300], [1e300, 1e-300], [-1e300, 1e-300]]),
            "P": np.full((3, 1), 1e8),
            "y": np.zeros((3, 1)),
        },
        {  # P - y overflows, (2/b)(P - y) does not
            "X": np.full((4, 2), 1e-10),
            "P": np.array([[1.5e308], [0.0], [1.0], [0.0]]),
            "y": np.array([[-1.5e308], [0.0], [0.0], [2.0]]),
        },
    ],
    ids=["partial-sums", "difference"],
)
def test_loss_gradients_when_a_partial_result_overflows(info):
    info = {**info, "N": info["P"]}
    check_gradients_against_exact(info)
    check_gradients_against_exact(info, "sum")
    w = {"W": np.zeros((info["X"].shape[1], 1)), "B": np.zeros((1, 1))}
    assert not check_contract(loss_gradients, {"forward_info": info, "weights": w}).raised


@pytest.mark.parametrize(
    ("g", "shape"),
    [
        (np.array([[BIG, 1e-300], [BIG, 1e-300], [-BIG, 1e-300]]), (1, 2)),
        (np.array([BIG, BIG, -BIG, -BIG, 5.0]), ()),
    ],
)
def test_unbroadcast_when_a_partial_sum_overflows(g, shape):
    check_unbroadcast_against_exact(g, shape)
    assert not check_contract(unbroadcast, {"grad": g, "shape": shape}).raised


def test_unbroadcast_refuses_a_sum_beyond_float64():
    with pytest.raises(ValueError, match=r"sum of grad over its broadcast axes exceeds float64"):
        unbroadcast(np.array([BIG, BIG]), (1,))


def test_loss_gradients_names_forward_info_when_the_bias_gradient_overflows():
    # with X tiny, only the bias gradient 2 * (P - y) = 4e308 is beyond float64
    info = {"X": np.full((1, 1), 1e-300), "P": np.full((1, 1), BIG), "y": np.full((1, 1), -BIG)}
    info["N"] = info["P"]
    w = {"W": np.zeros((1, 1)), "B": np.zeros((1, 1))}
    out = check_contract(loss_gradients, {"forward_info": info, "weights": w}, must_raise=True)
    assert "exceed float64's range" in str(out.error)


def test_loss_gradients_refuses_a_bias_gradient_beyond_float64_when_dW_fits():
    # dL/dP = (2/2)(P - y) = 1.5e308 per sample fits, its sum 3e308 does not; dL/dW does.
    info = {"X": np.full((2, 1), 1e-300), "P": np.full((2, 1), 1.5e308), "y": np.zeros((2, 1))}
    info["N"] = info["P"]
    w = {"W": np.zeros((1, 1)), "B": np.zeros((1, 1))}
    out = check_contract(loss_gradients, {"forward_info": info, "weights": w}, must_raise=True)
    assert "sum((2/b)(P - y)), b = 2 rows, exceed float64's range" in str(out.error)
    info["P"] = np.full((2, 1), 0.75e308)  # for the sum, 2 (P - y) per sample fits, its sum not
    kwargs = {"forward_info": info, "weights": w, "reduction": "sum"}
    out = check_contract(loss_gradients, kwargs, must_raise=True)
    assert "sum((2)(P - y)), b = 2 rows, exceed float64's range" in str(out.error)
    assert "while b * max(1, max|X|)" in str(out.error)


@pytest.mark.parametrize("key", ["P", "y"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_loss_gradients_names_a_non_finite_entry(key, bad):
    X, y, w = problem()
    _, info = forward_linear_regression(X, y, w)
    info = {**info, key: info[key].copy()}
    info[key][3, 0] = bad
    with pytest.raises(ValueError, match=rf"forward_info\['{key}'\] must be finite"):
        loss_gradients(info, w)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_forward_names_a_non_finite_y(bad):
    X, y, w = problem()
    y = y.copy()
    y[1, 0] = bad
    with pytest.raises(ValueError, match=r"^y must be finite"):
        forward_linear_regression(X, y, w)
