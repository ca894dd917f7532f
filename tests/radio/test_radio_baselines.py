"""Simulated BER against closed forms: each point's 99.9% interval must contain the exact value
(99.9% because ~25 points are checked: the family-wise false-alarm rate stays near 2.5%)."""

import numpy as np
import pytest

from wattlab.errors import SpecError
from wattlab.systems.radio import Psk, dsss, ncfsk, simulate, theory

CASES = [
    (Psk(2), (0.0, 4.0, 7.0)),
    (Psk(4), (2.0, 6.0)),
    (Psk(2, 2, "rayleigh"), (0.0, 6.0, 12.0)),
    (Psk(4, 3, "rayleigh"), (3.0, 9.0)),
    (dsss(2, code_length=16, family="zadoff-chu"), (2.0, 6.0)),
    (dsss(4, code_length=8, n_rx=2, channel="rayleigh"), (4.0, 10.0)),
    (ncfsk(2), (4.0, 10.0)),
    (ncfsk(4), (4.0, 8.0)),
    (ncfsk(2, n_rx=2, channel="rayleigh"), (6.0, 14.0)),
    (ncfsk(8, channel="rayleigh"), (10.0,)),
]


@pytest.mark.parametrize("scheme, grid", CASES, ids=lambda c: getattr(c, "name", ""))
def test_simulation_within_ci_of_closed_form(scheme, grid):
    pts = simulate(scheme, grid, np.random.default_rng(11), target_errors=800, max_bits=4e5, confidence=0.999)
    exact = scheme.ber_theory(10 ** (np.asarray(grid) / 10))
    for p, e in zip(pts, exact, strict=True):
        assert p.ber_ci[0] <= e <= p.ber_ci[1], (str(p), e)


def test_nc_orthogonal_integral_matches_alternating_sum():
    s = 10 ** (np.array([0.0, 6.0, 12.0]) / 10)
    for m in (2, 4, 8, 16):
        np.testing.assert_allclose(
            theory.ser_noncoherent_orthogonal(m, s),
            theory.ser_noncoherent_orthogonal_awgn(m, s),
            rtol=1e-6,
        )


def test_binary_ncfsk_textbook_forms():
    g = np.array([1.0, 10.0, 30.0])
    np.testing.assert_allclose(ncfsk(2).ber_theory(g), 0.5 * np.exp(-g / 2), rtol=1e-6)
    np.testing.assert_allclose(ncfsk(2, channel="rayleigh").ber_theory(g), 1 / (2 + g), rtol=1e-6)


def test_required_ebn0_known_values():
    bpsk = theory.required_ebn0_db(lambda x: float(theory.ber_coherent_psk(10 ** (x / 10))), 1e-3)
    assert bpsk == pytest.approx(6.79, abs=0.01)  # textbook: 6.79 dB at 1e-3


def test_bad_inputs():
    with pytest.raises(SpecError, match="order"):
        Psk(8)
    with pytest.raises(SpecError, match="channel"):
        Psk(2, 1, "rician")
    with pytest.raises(SpecError, match="n_rx"):
        Psk(2, 0)
    with pytest.raises(SpecError, match="fsk_order"):
        ncfsk(3)
    with pytest.raises(SpecError, match="target_ber"):
        theory.required_ebn0_db(lambda x: 0.1, 0.7)
