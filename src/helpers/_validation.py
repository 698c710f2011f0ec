"""Input validation shared by every helpers module.

Each public function validates its inputs at the boundary; the checks that are the same
everywhere (a real numeric dtype, not empty, finite) live here, so that every module rejects
bad input with the same clear message naming the argument and what it got.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["as_real_array"]


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
    arr = np.asarray(x)
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
