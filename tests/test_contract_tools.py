"""The contract checks themselves can fail: each kind of violation is caught."""

from __future__ import annotations

import time

import numpy as np
import pytest
from _contract import ODD_TYPES, check_contract, odd_arraylikes

from helpers._validation import as_real_array


def good(x):
    return as_real_array("x", x) * 2.0


def test_accepts_a_correct_function():
    out = check_contract(good, {"x": [1.0, 2.0]})
    np.testing.assert_array_equal(out.result, [2.0, 4.0])


@pytest.mark.parametrize("bad", ODD_TYPES)
def test_odd_types_are_refused_by_the_shared_validator(bad):
    check_contract(good, {"x": bad}, must_raise=True)


def test_catches_a_mutation():
    def mutates(x):
        x += 1
        return x.copy()

    with pytest.raises(AssertionError, match="modified its argument 'x'"):
        check_contract(mutates, {"x": np.zeros(2)})


def test_catches_a_returned_view():
    with pytest.raises(AssertionError, match="view"):
        check_contract(lambda x: x[:1], {"x": np.zeros(2)})


def test_catches_an_error_that_names_no_argument():
    def vague(x):
        raise ValueError("something is wrong")

    with pytest.raises(AssertionError, match="names none"):
        check_contract(vague, {"x": 1})


def test_catches_a_hang():
    with pytest.raises(AssertionError, match="did not answer"):
        check_contract(lambda x: time.sleep(5), {"x": 1}, seconds=0.2)


def test_catches_an_accepted_invalid_input():
    with pytest.raises(AssertionError, match="accepted an invalid input"):
        check_contract(lambda x: 1.0, {"x": None}, must_raise=True)


def test_odd_arraylikes_valid_flags():
    labels = {label: valid for label, _, valid in odd_arraylikes(np.array([[1.0, 2.0]]))}
    assert labels["masked"] is False
    assert labels["list"] is True
    assert labels["int"] is True
    for label, value, valid in odd_arraylikes(np.array([[1.0, 2.5]])):
        check_contract(good, {"x": value}, must_raise=not valid)
        assert label


def test_a_nan_argument_is_not_a_mutation():
    check_contract(lambda x: 1.0, {"x": float("nan")})


def test_catches_a_call_that_spins():
    def spin(x):
        t0 = time.process_time()
        while time.process_time() - t0 < 0.3:
            pass
        return 1.0

    # On an idle machine the CPU-time limit fires; on a loaded one the wall-clock limit
    # (10 times as long) can fire first. Either way the spin is caught.
    with pytest.raises(AssertionError, match=r"CPU time|did not answer"):
        check_contract(spin, {"x": 1}, seconds=0.1)
