"""The helpers' input contract, as reusable checks for every module's adversarial suite.

The contract (``CONTRIBUTING.md``): for any input, a public function returns a correct result or
raises ``ValueError``/``TypeError`` whose message names the argument, says what it got and what
is allowed; it does so quickly (no hang); it never modifies its inputs and never returns a view
of them; masked arrays are refused, not stripped.

Use it as::

    from _contract import ODD_TYPES, check_contract, odd_arraylikes

    @pytest.mark.parametrize("bad", ODD_TYPES)
    def test_softmax_refuses_odd_types(bad):
        check_contract(softmax, {"z": bad}, names=("z",))
"""

from __future__ import annotations

import copy
import re
import signal
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = [
    "ODD_TYPES",
    "Outcome",
    "check_contract",
    "finite_arrays",
    "odd_arraylikes",
    "time_limit",
]

#: The limit for one call, in seconds of the process's CPU time (a hang in numerical code
#: spins); a call that does not return within ``WALL_FACTOR`` times as much wall-clock time
#: (a hang that waits) is stopped too. CPU time, unlike wall time, does not grow when other
#: processes load the machine, so the verdict does not depend on what else is running.
SECONDS = 1.0
WALL_FACTOR = 10


class _Opaque:
    """An object with no numeric meaning, whose repr is the same in every process (test ids)."""

    def __repr__(self) -> str:
        return "opaque-object"


#: Values of the wrong type for any argument: each must give a ``TypeError`` or ``ValueError``.
ODD_TYPES: tuple[Any, ...] = (
    None,
    "x",
    b"1",
    1j,
    _Opaque(),
    {},
    set(),
    np.array(["a", "b"]),
    np.array([1 + 2j, 3j]),
    np.array([True, False]),
    np.array([np.timedelta64(1, "s")]),
    np.array([1.0, None], dtype=object),
    [[1.0, 2.0], [3.0]],  # ragged
)


class Outcome:
    """What one call gave: ``result`` or the ``error`` it raised, and how long it took."""

    def __init__(self, result: Any = None, error: BaseException | None = None, seconds: float = 0):
        self.result, self.error, self.seconds = result, error, seconds

    @property
    def raised(self) -> bool:
        return self.error is not None


@contextmanager
def time_limit(seconds: float = SECONDS):
    """Raise ``TimeoutError`` in the calling (main) thread once ``seconds`` have passed."""

    def _expire(signum, frame):
        raise TimeoutError(f"the call took longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _snapshot(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    try:
        return copy.deepcopy(value)
    except Exception:
        return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a_arr, b_arr = np.asarray(a), np.asarray(b)
        if a_arr.dtype != b_arr.dtype or a_arr.shape != b_arr.shape:
            return False
        if a_arr.dtype.kind in "fc":
            return bool(np.array_equal(a_arr, b_arr, equal_nan=True))
        return bool(np.array_equal(a_arr, b_arr))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True  # NaN is unchanged
    if type(a).__eq__ is object.__eq__:  # no value to compare: identity only
        return True
    try:
        return bool(a == b)
    except Exception:
        return True


def _arrays_in(value: Any) -> Iterable[np.ndarray]:
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _arrays_in(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _arrays_in(v)
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        for v in vars(value).values():
            if isinstance(v, np.ndarray):
                yield v


def check_contract(
    fn: Callable[..., Any],
    kwargs: Mapping[str, Any],
    *,
    names: Iterable[str] | None = None,
    seconds: float = SECONDS,
    must_raise: bool = False,
    result_check: Callable[[Any], None] | None = None,
) -> Outcome:
    """Call ``fn(**kwargs)`` and assert the contract; return what happened.

    Parameters
    ----------
    fn : callable
        A public helper.
    kwargs : mapping
        Its arguments, by name (positional-only functions: wrap them in a lambda with names).
    names : iterable of str, optional
        The argument names an error message may name (default: the keys of ``kwargs``); an
        error must name at least one of them.
    seconds : float, optional
        The time limit for the call.
    must_raise : bool, optional
        The input is invalid: a result instead of an error fails.
    result_check : callable, optional
        Called with the result when there is one (assert it is right there).

    Returns
    -------
    outcome : Outcome
    """
    names = tuple(kwargs if names is None else names)
    before = {k: _snapshot(v) for k, v in kwargs.items()}
    t0 = time.process_time()
    try:
        with time_limit(WALL_FACTOR * seconds):
            result = fn(**kwargs)
    except (ValueError, TypeError) as err:
        outcome = Outcome(error=err, seconds=time.process_time() - t0)
    except TimeoutError:
        raise AssertionError(
            f"{fn.__name__} did not answer within {WALL_FACTOR * seconds:g} s"
        ) from None
    else:
        outcome = Outcome(result=result, seconds=time.process_time() - t0)
    if outcome.raised:
        message = str(outcome.error)
        named = any(re.search(rf"\b{re.escape(n)}\b", message) for n in names)
        assert named, (
            f"{fn.__name__}: the {type(outcome.error).__name__} names none of {names}: {message!r}"
        )
    else:
        result = outcome.result
        assert not must_raise, f"{fn.__name__} accepted an invalid input and returned {result!r}"
        inputs = [a for v in kwargs.values() for a in _arrays_in(v)]
        for out in _arrays_in(result):
            for arr in inputs:
                assert not np.shares_memory(out, arr), (
                    f"{fn.__name__} returned a view of one of its inputs"
                )
        if result_check is not None:
            result_check(result)
    for key, value in kwargs.items():
        assert _same(before[key], value), f"{fn.__name__} modified its argument {key!r}"
    assert outcome.seconds < seconds, f"{fn.__name__} took {outcome.seconds:.2f} s of CPU time"
    return outcome


def odd_arraylikes(base: np.ndarray) -> list[tuple[str, Any, bool]]:
    """Other spellings of the valid array ``base``: ``(label, value, valid)`` triples.

    ``valid`` says whether the contract requires the function to accept it (with the same
    result as ``base``): lists, Fortran order, strided views and integer dtypes are valid;
    masked, bool, complex and object arrays must be refused.
    """
    base = np.asarray(base, dtype=float)
    strided = np.repeat(base[..., None], 2, axis=-1)[..., 0] if base.ndim else base.copy()
    out: list[tuple[str, Any, bool]] = [
        ("list", base.tolist(), True),
        ("fortran", np.asfortranarray(base), True),
        ("strided view", strided, True),
        ("read-only", _read_only(base), True),
        ("masked", np.ma.array(base, mask=np.zeros(base.shape, bool)), False),
        ("complex", base.astype(complex), False),
        ("object", base.astype(object), False),
        ("bool", base != 0, False),
    ]
    if np.all(base == np.round(base)) and np.all(np.abs(base) < 2**31):
        out.append(("int", base.astype(np.int64), True))
    return out


def _read_only(a: np.ndarray) -> np.ndarray:
    b = a.copy()
    b.flags.writeable = False
    return b


def finite_arrays(
    shape: Any, *, dtype: Any = np.float64, min_value: float | None = None, max_value=None
) -> st.SearchStrategy[np.ndarray]:
    """Arrays of ``shape`` whose entries range over the whole finite range of ``dtype``."""
    return hnp.arrays(
        dtype,
        shape,
        elements=st.floats(
            min_value=min_value,
            max_value=max_value,
            allow_nan=False,
            allow_infinity=False,
            width=np.dtype(dtype).itemsize * 8,
        ),
    )
