import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wattlab.errors import SpecError
from wattlab.systems.radio import Psk, simulate, simulate_point
from wattlab.systems.radio.montecarlo import wilson


@given(st.integers(0, 10**6), st.integers(1, 10**6), st.floats(0.5, 0.999))
def test_wilson_contains_point_estimate(k, n, conf):
    k = min(k, n)
    lo, hi = wilson(k, n, conf)
    assert 0 <= lo <= k / n + 1e-12 and k / n - 1e-12 <= hi <= 1


def test_wilson_narrows_with_confidence():
    assert np.subtract(*wilson(50, 1000, 0.99)[::-1]) > np.subtract(*wilson(50, 1000, 0.9)[::-1])


class Recorder:
    """A scheme wrapper that records the chunk sizes the engine asks for."""

    def __init__(self, inner, chunk):
        self.inner, self.chunk_frames, self.sizes = inner, chunk, []
        self.name, self.bits_per_frame = inner.name, inner.bits_per_frame

    def frame_errors(self, n, ebn0, rng):
        self.sizes.append(n)
        return self.inner.frame_errors(n, ebn0, rng)


def test_chunks_bounded_and_budget_respected():
    s = Recorder(Psk(4), 1000)
    p = simulate_point(s, 30.0, np.random.default_rng(0), target_errors=10, max_bits=25_001)
    assert max(s.sizes) <= 1000
    assert p.stopped_by == "budget" and 25_001 <= p.bits <= 25_002
    assert p.bit_errors == 0 and p.ber_ci[0] == 0 and p.ber_ci[1] > 0
    assert "<" in str(p)  # zero errors: an upper bound, never a bare point


def test_stops_at_target_errors():
    p = simulate_point(
        Psk(2), 0.0, np.random.default_rng(1), target_errors=500, max_bits=1e9, chunk_frames=4096
    )
    assert p.stopped_by == "errors" and 500 <= p.bit_errors < 500 + 4096
    assert p.ber_ci[0] < p.ber < p.ber_ci[1]


def test_same_seed_same_result():
    a = simulate(Psk(4, 2, "rayleigh"), [5.0], np.random.default_rng(7), max_bits=1e4)
    b = simulate(Psk(4, 2, "rayleigh"), [5.0], np.random.default_rng(7), max_bits=1e4)
    assert a == b


@pytest.mark.parametrize("grid", [[], [1.0, float("nan")], [float("inf")]])
def test_bad_snr_list(grid):
    with pytest.raises(SpecError, match="ebn0_db"):
        simulate(Psk(), grid, np.random.default_rng(0))


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"target_errors": 0}, "target_errors"),
        ({"max_bits": float("inf")}, "max_bits"),
        ({"confidence": 1.0}, "confidence"),
        ({"chunk_frames": 0}, "chunk_frames"),
    ],
)
def test_bad_stopping_rules(kw, field):
    with pytest.raises(SpecError, match=field):
        simulate_point(Psk(), 3.0, np.random.default_rng(0), **kw)
