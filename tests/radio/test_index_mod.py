import math

import numpy as np
import pytest

from wattlab.errors import SpecError
from wattlab.systems.radio import IndexModulation, codebook, simulate, theory, union_bound
from wattlab.systems.radio.codes import orthogonality_error
from wattlab.systems.radio.union_bound import candidates


def test_cpm_codes_constant_envelope_quasi_orthogonal():
    c = codebook("cpm", 64, 8, root=3)
    np.testing.assert_allclose(np.abs(c), 1.0)
    assert 0 < orthogonality_error(c) < 0.5
    s = IndexModulation("sm", 2, 1, 4, 32, "cpm", 2, "rayleigh", "ml")
    assert s.frame_errors(2000, 1e12, np.random.default_rng(0)).sum() == 0


@pytest.mark.parametrize(
    "family, L",
    [
        ("walsh", 16),
        ("zadoff-chu", 17),
        ("zadoff-chu", 16),
        ("chirp", 16),
        ("chirp", 13),
        ("fsk", 8),
    ],
)
def test_codebooks_orthogonal_unit_energy(family, L):
    c = codebook(family, L, 8)
    assert c.shape == (8, L)
    np.testing.assert_allclose((np.abs(c) ** 2).sum(axis=1), L)
    assert orthogonality_error(c) < 1e-12


SCHEMES = [
    IndexModulation("sm", 4, 2, 4, 16, "walsh", 4, "rayleigh", "ml"),
    IndexModulation("sm", 2, 1, 8, 16, "chirp", 2, "rayleigh", "low-complexity"),
    IndexModulation("stbc", 4, 2, 2, 8, "zadoff-chu", 2, "rayleigh", "ml"),
    IndexModulation("stbc", 3, 1, 2, 8, "walsh", 4, "rayleigh", "low-complexity"),
    IndexModulation("estbc", 2, 1, 4, 8, "walsh", 2, "rayleigh", "ml"),
    IndexModulation("sm", 1, 1, 16, 16, "chirp", 1, "awgn", "noncoherent"),
]


@pytest.mark.parametrize("s", SCHEMES, ids=lambda s: s.name)
def test_noiseless_round_trip(s):
    e = s.frame_errors(2000, 1e12, np.random.default_rng(0))
    assert e.sum() == 0


@pytest.mark.parametrize("s", SCHEMES, ids=lambda s: s.name)
def test_energy_per_slot_and_bit_accounting(s):
    X, labels = candidates(s)
    assert len(X) == 2**s.bits_per_frame and len(set(labels.tolist())) == len(X)
    per_slot = (np.abs(X) ** 2).sum(axis=(1, 2)).mean() / s.n_slots
    assert per_slot == pytest.approx(1.0, rel=5e-3)


def test_bits_per_symbol_arithmetic():
    s = IndexModulation("sm", 2, 1, 8, 16, "walsh", 8)
    assert (s.index_bits, s.modulated_bits, s.bits_per_frame) == (4, 3, 7)
    stbc = IndexModulation("stbc", 4, 1, 4, 16, "walsh", 4)
    assert (stbc.index_bits, stbc.bits_per_frame) == (2 + 2, 8)  # 4 pairs, 4 codes, 2 QPSK
    assert IndexModulation("estbc", 4, 1, 4, 16, "walsh", 4).bits_per_frame == 10


def test_lora_is_noncoherent_code_index():
    """Chirp CIM without PSK (LoRa, SF=4): symbol errors follow M-ary non-coherent orthogonal."""
    s = IndexModulation("sm", 1, 1, 16, 16, "chirp", 1, "awgn", "noncoherent")
    pts = simulate(
        s, [0.0, 3.0], np.random.default_rng(3), target_errors=2000, max_bits=2e5, confidence=0.999
    )
    ser = theory.ser_noncoherent_orthogonal_awgn(16, 4 * 10 ** (np.array([0.0, 3.0]) / 10))
    for p, e in zip(pts, ser, strict=True):
        assert p.fer_ci[0] <= e <= p.fer_ci[1]


def test_coherent_cim_bpsk_is_biorthogonal():
    s = IndexModulation("sm", 1, 1, 8, 16, "walsh", 2, "awgn", "ml")
    pts = simulate(
        s, [2.0, 5.0], np.random.default_rng(4), target_errors=2000, max_bits=2e5, confidence=0.999
    )
    ser = theory.ser_biorthogonal(8, 4 * 10 ** (np.array([2.0, 5.0]) / 10))
    for p, e in zip(pts, ser, strict=True):
        assert p.fer_ci[0] <= e <= p.fer_ci[1]


@pytest.mark.parametrize(
    "s",
    [
        SCHEMES[0],
        SCHEMES[2],
        SCHEMES[4],
        IndexModulation("sm", 2, 2, 8, 16, "walsh", 8, "rayleigh", "ml"),
    ],
    ids=lambda s: s.name,
)
def test_union_bound_above_simulation_at_high_snr(s):
    grid = np.array([14.0, 18.0])
    pts = simulate(s, grid, np.random.default_rng(5), target_errors=200, max_bits=2e5)
    ub = union_bound(s, 10 ** (grid / 10))
    for p, u in zip(pts, ub, strict=True):
        assert p.ber_ci[0] <= u


def test_union_bound_awgn_single_antenna_matches_bpsk_dsss():
    s = IndexModulation("sm", 1, 2, 1, 8, "walsh", 2, "awgn", "ml")
    g = 10 ** (np.array([0.0, 6.0]) / 10)
    np.testing.assert_allclose(union_bound(s, g), theory.ber_coherent_psk(g, n_rx=2), rtol=1e-9)


def test_low_complexity_not_better_than_ml_on_symbols():
    kw = dict(
        variant="sm",
        n_tx=2,
        n_rx=1,
        n_codes=4,
        code_length=4,
        family="walsh",
        psk_order=4,
        channel="rayleigh",
    )
    rng = np.random.default_rng(6)
    ml = simulate(IndexModulation(**kw, detector="ml"), [6.0], rng, max_bits=1e5)[0]
    lc = simulate(IndexModulation(**kw, detector="low-complexity"), [6.0], rng, max_bits=1e5)[0]
    assert ml.fer_ci[0] <= lc.fer_ci[1]


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"n_codes": 6}, "n_codes"),
        ({"n_codes": 32, "code_length": 16}, "n_codes"),
        ({"n_tx": 3}, "n_tx"),
        ({"variant": "stbc", "n_tx": 1}, "n_tx"),
        ({"psk_order": 3}, "psk_order"),
        ({"family": "gold"}, "family"),
        ({"detector": "noncoherent", "n_tx": 2}, "detector"),
        ({"family": "walsh", "code_length": 12, "n_codes": 4}, "code_length"),
    ],
)
def test_bad_configuration(kw, field):
    base = dict(variant="sm", n_tx=2, n_rx=1, n_codes=4, code_length=16, family="walsh", psk_order=2)
    with pytest.raises(SpecError, match=field):
        IndexModulation(**{**base, **kw})


def test_ml_is_exact_metric_minimiser():
    """The ML decision minimises ||Y - X||^2 over every candidate (checked by brute force)."""
    s = IndexModulation("sm", 2, 2, 4, 8, "walsh", 4, "rayleigh", "ml")
    rng = np.random.default_rng(9)
    _m, _k, h, z = s.transmit(200, 10**0.5, rng)
    m_hat, k_hat = s.detect(h, z)
    X, _ = candidates(s)  # (N, Nt, L); despread domain: compare h X c^H
    codes = s.codes / math.sqrt(s.code_length)
    proj = np.einsum("frt,ntl,kl->fnrk", h, X, codes.conj())  # candidate outputs (F, N, R, C)
    d = (np.abs(proj - z[:, None, 0]) ** 2).sum(axis=(2, 3))
    best = d.argmin(axis=1)
    assert np.array_equal(best, m_hat * s.n_codes + k_hat[:, 0])
