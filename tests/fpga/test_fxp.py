import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattlab.errors import SpecError
from wattlab.substrates.fpga import QFormat, SatCounter, wrap


def test_w_not_above_f_is_an_error():
    with pytest.raises(SpecError, match="'total_bits' W=4 must exceed 'frac_bits' F=4"):
        QFormat(4, 4)
    with pytest.raises(SpecError, match="frac_bits"):
        QFormat(8, -1)
    with pytest.raises(SpecError, match="rounding"):
        QFormat(8, 4, rounding="nearest")  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.integers(-(2**14), 2**14 - 1), st.integers(-(2**14), 2**14 - 1))
def test_trunc_cut_is_truncation_toward_zero_without_overflow(a, b):
    f = QFormat(16, 6, "trunc")
    p = a * b
    exact = abs(p) // 64 * (1 if p >= 0 else -1)
    got = int(f.shift(np.array([p]))[0])
    assert got == exact
    if f.min_int <= exact <= f.max_int:
        assert int(f.cut(np.array([p]))[0]) == exact


def test_floor_and_half_up_match_integer_arithmetic():
    p = np.arange(-5000, 5000)
    f = QFormat(10, 4, "floor")
    assert np.array_equal(f.shift(p), p // 16)
    h = QFormat(10, 4, "half_up")
    assert np.array_equal(h.shift(p), (p + 8) // 16)


def test_sat_add_and_wrap_add_differ_exactly_on_overflow():
    f = QFormat(6, 2)
    a, b = np.meshgrid(np.arange(-32, 32), np.arange(-32, 32))
    c = SatCounter()
    sat, wr = f.sat_add(a, b, c, "x"), f.wrap_add(a, b)
    over = (a + b > 31) | (a + b < -32)
    assert np.array_equal(sat != wr, over)
    assert c.counts["x"] == over.sum() > 0
    assert np.array_equal(wr, wrap(a + b, 6))


def test_saturating_cut_counts_and_clamps():
    f = QFormat(8, 4)
    c = SatCounter()
    out = f.mul(np.array([127, -128, 16]), np.array([127, 127, 16]), c, "m")
    assert out.tolist() == [127, -128, 16]
    assert c.counts["m"] == 2


def test_hard_sigmoid_constant_rounding_monotone_bounded():
    f = QFormat(8, 4)
    assert f.sigmoid_slope == 3  # round(16/6): 0.1875 instead of 1/6
    x = np.arange(-128, 128)
    y = f.hard_sigmoid(x)
    assert (np.diff(y) >= 0).all() and y.min() == 0 and y.max() == 16
    ref = np.clip(x / 16 / 6 + 0.5, 0, 1) * 16
    # the 3/16 slope reaches 0 and 1 at |x| = 8/3 instead of 3: up to 5/3 LSB from the exact line
    assert np.abs(y - ref).max() <= 5 / 3 + 1e-9
    assert f.hard_tanh(x).min() == -16 and f.hard_tanh(x).max() == 16


def test_quantize_counts_saturation_and_rejects_nan():
    f = QFormat(8, 4)
    c = SatCounter()
    q = f.quantize([0.5, 100.0, -100.0, 0.03], c, "w")
    assert q.tolist() == [8, 127, -128, 0]
    assert c.total == 2
    with pytest.raises(SpecError, match="non-finite"):
        f.quantize([np.nan])
    with pytest.raises(SpecError, match="integers"):
        f.check_ints(np.array([0.5]), "x")
    with pytest.raises(SpecError, match="outside Q"):
        f.check_ints(np.array([300]), "x")


def test_activations_need_one_representable():
    with pytest.raises(SpecError, match=r"cannot represent 1\.0"):
        QFormat(8, 7).hard_sigmoid(np.array([0]))
