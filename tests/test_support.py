"""booktools.support: the formatting policy and the measuring tools the pages rely on."""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import pytest

import booktools.support as support
from booktools.support import (
    best_time,
    bound,
    fixed,
    interleaved_times,
    load_octave,
    load_results,
    peak_bytes,
    rounded,
    save_results,
    sig,
    table,
)
from helpers._validation import as_rng, as_scalar


def test_sig_keeps_significant_digits_only():
    assert sig(0.0123456) == "0.0123"
    assert sig(1.23456e-7, 2) == "1.2e-07"
    assert sig(-0.0) == "0"
    assert sig(12345.6, 3) == "1.23e+04"
    with pytest.raises(ValueError, match="finite"):
        sig(float("nan"))


def test_fixed_scalar_and_vector():
    assert fixed(5.21484, 4) == "5.2148"
    assert fixed([5.21484, -0.57334], 2) == "(5.21, -0.57)"
    assert fixed(-1e-9, 3) == "0.000"


def test_bound_asserts_and_prints_only_the_bound():
    assert bound([1e-15, -3e-14], 1e-12) == "1e-12"
    with pytest.raises(AssertionError, match="expected"):
        bound([1e-15, 2e-12], 1e-12)
    with pytest.raises(AssertionError):
        bound(float("nan"), 1.0)


def test_rounded_removes_negative_zero():
    out = rounded(np.array([-1e-13, 0.5]))
    assert str(out) == "[0.  0.5]"


def test_best_time_and_peak_bytes():
    assert best_time(lambda: time.sleep(0.001), repeat=2) >= 0.001
    assert peak_bytes(lambda: np.ones(1_000_000)) >= 8_000_000
    with pytest.raises(ValueError, match="repeat"):
        best_time(lambda: None, repeat=0)


def test_table_and_results():
    text = table([{"a": 1, "bb": "x"}, {"a": 22, "bb": "yy"}])
    assert text.splitlines()[0].split() == ["a", "bb"]
    with pytest.raises(FileNotFoundError, match="make bench"):
        load_results("no-such-benchmark")


def test_load_octave_reads_the_committed_run():
    run = load_octave()
    assert run["octave_version"]
    assert len(run["J_history"]) == 1000
    with pytest.raises(FileNotFoundError, match="make octave-run"):
        load_octave("no-such-run")


def test_save_results_records_the_machine(tmp_path, monkeypatch):
    monkeypatch.setattr(support, "RESULTS", tmp_path)
    save_results("probe", {"ratio": 2.5})
    stored = load_results("probe")
    assert stored["ratio"] == 2.5
    machine = stored["machine"]
    assert machine["numpy"] == np.__version__
    assert isinstance(machine["cores"], int)
    assert machine["cores"] >= 1
    assert isinstance(machine["cpu"], str)
    assert machine["cpu"]


def test_as_scalar_accepts_real_numbers_and_refuses_the_rest():
    assert as_scalar("alpha", Fraction(1, 4), low=0, low_open=True) == 0.25
    assert as_scalar("n", np.int64(3), integer=True, low=1) == 3
    assert as_scalar("x", np.array(2.5)) == 2.5
    for bad, err in [("1", TypeError), (True, TypeError), (1j, TypeError), (None, TypeError)]:
        with pytest.raises(err, match="alpha"):
            as_scalar("alpha", bad)
    with pytest.raises(TypeError, match=r"n must be an integer >= 1, got float 2.0"):
        as_scalar("n", 2.0, integer=True, low=1)
    with pytest.raises(ValueError, match=r"p must be a real number in \[0, 1\], got 1.5"):
        as_scalar("p", 1.5, low=0, high=1)
    with pytest.raises(ValueError, match=r"tol must be a real number > 0, got nan"):
        as_scalar("tol", float("nan"), low=0, low_open=True)


def test_as_rng():
    g = np.random.default_rng(1)
    assert as_rng("rng", g) is g
    assert as_rng("rng", 5).integers(100) == np.random.default_rng(5).integers(100)
    for bad in ["seed", 1.5, np.random.RandomState(0)]:
        with pytest.raises(TypeError, match="rng"):
            as_rng("rng", bad)
    with pytest.raises(ValueError, match="rng"):
        as_rng("rng", -1)


def test_interleaved_times_rotates_and_keeps_every_round():
    order: list[str] = []
    fns = {name: (lambda name=name: order.append(name)) for name in "abc"}
    times = interleaved_times(fns, rounds=3, number=2)
    assert {k: len(v) for k, v in times.items()} == {"a": 3, "b": 3, "c": 3}
    assert order[::2] == list("abcbcacab")
    slow = interleaved_times({"slow": lambda: time.sleep(0.002), "fast": lambda: None}, rounds=2)
    assert min(slow["slow"]) > max(slow["fast"])
    with pytest.raises(ValueError, match="rounds"):
        interleaved_times(fns, rounds=0)


def test_glue_value_shows_numpy_scalars_as_plain_numbers(monkeypatch):
    import myst_nb

    glued = {}
    monkeypatch.setattr(myst_nb, "glue", lambda key, value, display: glued.update({key: value}))
    support.glue_value("count", np.int64(29))
    support.glue_value("flag", np.bool_(True))
    support.glue_value("text", "29")
    assert glued == {"count": 29, "flag": True, "text": "29"}
    assert repr(glued["count"]) == "29"
    assert type(glued["count"]) is int
    with pytest.raises(TypeError, match=r"glue_value\('v'\): got an array of shape \(2,\)"):
        support.glue_value("v", np.zeros(2))
