"""Input validation shared by every helpers module.

Each public function validates its inputs at the boundary; the checks that are the same
everywhere (a real numeric dtype, not empty, finite) live here, so that every module rejects
bad input with the same clear message naming the argument and what it got.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = ["as_real_array", "as_rng", "as_scalar"]


def as_real_array(
    name: str,
    x: Any,
    *,
    allow_empty: bool = False,
    check_finite: bool = True,
    keep_float_dtype: bool = False,
    hint: str = "",
) -> np.ndarray:
    """``x`` as a real floating array, or a ``TypeError``/``ValueError`` naming ``name``.

    Parameters
    ----------
    name : str
        The argument's name, used in every message.
    x : array_like, any shape
        Integers are converted to float64; floats become float64 too, unless
        ``keep_float_dtype`` (then float32 stays float32). No copy is made when none is needed.
    allow_empty : bool, optional
        Accept an array with no elements.
    check_finite : bool, optional
        Reject NaN and infinities.
    keep_float_dtype : bool, optional
        Keep a floating dtype other than float64 as it is.
    hint : str, optional
        Appended to the non-finite message (e.g. why a NaN would be harmful downstream).

    Returns
    -------
    arr : ndarray, the shape of ``x``
        A floating array.

    Raises
    ------
    TypeError
        If the dtype is not integer or floating (bool, complex, string, object are refused).
    ValueError
        If the array is empty (unless ``allow_empty``) or contains NaN or inf (unless not
        ``check_finite``); the message gives the shape and the first offending entry.
    """
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(
            f"{name} must be a plain array, got a masked array with shape {np.shape(x)}: "
            f"drop or fill the masked entries first (e.g. {name}.filled(...) or "
            f"{name}.compressed())"
        )
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as err:  # ragged nested lists, objects that refuse
        raise TypeError(
            f"{name} must be a real numeric array, got {type(x).__name__} that NumPy cannot "
            f"turn into one ({err})"
        ) from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} must be a real numeric array, got dtype {arr.dtype} with shape {arr.shape}"
        )
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if arr.dtype.kind != "f" or not keep_float_dtype:
        arr = arr.astype(np.float64, copy=False)
    if check_finite and not np.isfinite(arr).all():
        flat = arr.reshape(-1)
        bad = int(np.flatnonzero(~np.isfinite(flat))[0])
        raise ValueError(
            f"{name} must be finite, got NaN or inf in an array of shape {arr.shape} "
            f"(the first, {flat[bad]}, at flat index {bad} of {flat.size}){hint}"
        )
    return arr


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    """The allowed range in words, e.g. ``'> 0'``, ``'in [0, 1]'``."""
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high:g}"
    return "finite"


def as_scalar(
    name: str,
    value: Any,
    *,
    integer: bool = False,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> Any:
    """``value`` as a Python ``float`` (or ``int``), or an error naming ``name`` and the range.

    Parameters
    ----------
    name : str
        The argument's name, used in every message.
    value : real number
        A Python or NumPy real number, a 0-d real array, or any :class:`numbers.Real`
        (``fractions.Fraction``, ...). ``bool``, complex numbers, strings and ``None`` are
        refused. With ``integer``, only integers (:class:`numbers.Integral`, NumPy integers,
        0-d integer arrays) are accepted.
    integer : bool, optional
        Require and return an ``int``.
    low, high : float, optional
        Bounds of the allowed range; ``None`` leaves that side open to infinity.
    low_open, high_open : bool, optional
        Exclude the bound itself (``> low`` instead of ``>= low``).

    Returns
    -------
    value : float or int
        A finite ``float`` (an ``int`` with ``integer``) within the range.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (not an integer, with ``integer``).
    ValueError
        If ``value`` is NaN, infinite or outside the range; the message gives the value
        and the allowed range.

    Examples
    --------
    >>> as_scalar("alpha", 0.5, low=0, low_open=True)
    0.5
    >>> as_scalar("alpha", -1, low=0, low_open=True)
    Traceback (most recent call last):
    ...
    ValueError: alpha must be a real number > 0, got -1
    """
    what = "an integer" if integer else "a real number"
    allowed = _interval(low, high, low_open, high_open)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {what} {allowed}, got {type(value).__name__} {value!r}")
    if integer and not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {what} {allowed}, got {type(value).__name__} {value!r}")
    number = int(value) if integer else float(value)
    shown = number if integer else value
    if not integer and not np.isfinite(number):
        raise ValueError(f"{name} must be {what} {allowed}, got {shown}")
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        raise ValueError(f"{name} must be {what} {allowed}, got {shown}")
    return number


def as_rng(name: str, rng: Any) -> np.random.Generator:
    """A NumPy ``Generator`` from ``rng``, or a ``TypeError`` naming ``name``.

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    rng : None, int >= 0, numpy.random.SeedSequence or numpy.random.Generator
        A seed (``None`` for fresh entropy) or a generator, which is returned as it is (so
        the caller's stream advances, as with NumPy's own functions).

    Returns
    -------
    rng : numpy.random.Generator

    Raises
    ------
    TypeError
        For anything else (``RandomState``, floats, strings, ...).
    ValueError
        For a negative integer seed.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, numbers.Integral) and not isinstance(rng, (bool, np.bool_)):
        if rng < 0:
            raise ValueError(f"{name} must be a seed >= 0 or a numpy.random.Generator, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{name} must be None, a seed >= 0 or a numpy.random.Generator "
        f"(np.random.default_rng(seed)), got {type(rng).__name__} {rng!r}"
    )


def as_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    """``value`` lower-cased, if it is one of ``choices`` in any case.

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    value : str
        The caller's choice.
    choices : tuple of str
        The allowed values, in lower case.

    Returns
    -------
    choice : str
        ``value.lower()``.

    Raises
    ------
    TypeError
        If ``value`` is not a ``str``.
    ValueError
        If it is not one of ``choices``.
    """
    allowed = ", ".join(choices)
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be one of {allowed} (any case), got {type(value).__name__} {value!r}"
        )
    if value.lower() not in choices:
        raise ValueError(f"{name} must be one of {allowed} (any case), got {value!r}")
    return value.lower()
