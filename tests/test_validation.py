"""helpers._validation.as_real_array: the boundary check every module shares."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers._validation import as_choice, as_real_array


@pytest.mark.parametrize(
    ("x", "dtype"),
    [
        (np.array(["a"]), "<U1"),
        (np.array([True]), "bool"),
        (np.array([1j]), "complex128"),
        (np.array([1.0, None], dtype=object), "object"),
    ],
)
def test_non_real_dtypes_are_type_errors_naming_argument_dtype_and_shape(x, dtype):
    with pytest.raises(TypeError, match=rf"^w must be a real numeric array, got dtype {dtype} "):
        as_real_array("w", x)
    with pytest.raises(TypeError, match=rf"with shape \({x.size},\)$"):
        as_real_array("w", x)


def test_empty_is_rejected_unless_allowed():
    with pytest.raises(ValueError, match=r"^X must not be empty, got shape \(0, 3\)$"):
        as_real_array("X", np.empty((0, 3)))
    assert as_real_array("X", np.empty((0, 3)), allow_empty=True).shape == (0, 3)


def test_non_finite_message_locates_the_first_bad_entry_and_appends_the_hint():
    x = np.zeros((2, 3))
    x[1, 0] = np.inf
    x[1, 2] = np.nan
    with pytest.raises(
        ValueError, match=r"shape \(2, 3\) \(the first, inf, at flat index 3 of 6\)!$"
    ):
        as_real_array("x", x, hint="!")
    assert np.isnan(as_real_array("x", x, check_finite=False)[1, 2])


def test_dtypes_and_copies():
    ints = np.arange(3)
    assert as_real_array("a", ints).dtype == np.float64
    f64 = np.ones(3)
    assert as_real_array("a", f64) is f64  # no copy when none is needed
    f32 = np.ones(3, dtype=np.float32)
    assert as_real_array("a", f32).dtype == np.float64
    assert as_real_array("a", f32, keep_float_dtype=True) is f32
    assert as_real_array("a", [[1, 2]]).shape == (1, 2)
    assert as_real_array("a", 3).shape == ()


@settings(max_examples=50, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=1),
        elements=st.floats(allow_nan=False, allow_infinity=False),
    )
)
def test_finite_arrays_pass_through_unchanged(x):
    np.testing.assert_array_equal(as_real_array("x", x), x)


@given(st.sampled_from(["dense", "Dense", "ARPACK", "power"]))
def test_choices_are_matched_in_any_case(value):
    assert as_choice("method", value, ("dense", "arpack", "power")) == value.lower()


def test_a_bad_choice_names_the_argument_the_choices_and_the_value():
    with pytest.raises(ValueError, match=r"^method must be one of a, b \(any case\), got 'c'$"):
        as_choice("method", "c", ("a", "b"))
    with pytest.raises(TypeError, match=r"^method must be one of a, b \(any case\), got int 1$"):
        as_choice("method", 1, ("a", "b"))
