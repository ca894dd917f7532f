import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.params import default_registry
from wattlab.systems.radio import LinkBudget, crossover_distance, energy_curve, energy_per_bit


@settings(max_examples=30, deadline=None)
@given(st.floats(1e8, 3e9), st.floats(2.0, 5.0), st.floats(1.1, 4.0))
def test_crossover_scales_as_f_power_minus_two_over_kappa(f, kappa, factor):
    a = crossover_distance(link=LinkBudget.from_params(carrier_hz=f, path_loss_exponent=kappa))
    b = crossover_distance(link=LinkBudget.from_params(carrier_hz=f * factor, path_loss_exponent=kappa))
    assert a is not None and b is not None
    if b >= LinkBudget.from_params().reference_distance_m:  # log-distance region
        assert b / a == pytest.approx(factor ** (-2 / kappa), rel=1e-12)


@pytest.mark.parametrize("f, kappa", [(433e6, 2.0), (2.4e9, 3.0), (5.8e9, 3.5), (60e9, 2.0)])
def test_crossover_equals_root_of_energy_difference(f, kappa):
    lb = LinkBudget.from_params(carrier_hz=f, path_loss_exponent=kappa)
    d_star = crossover_distance(link=lb)

    def diff(d):
        return (
            energy_curve("noisemod", d, link=lb)["total"] - energy_curve("bpsk", d, link=lb)["total"]
        ).item()

    assert d_star == pytest.approx(brentq(diff, 1e-3, 1e5, xtol=1e-12), rel=1e-9)
    below, above = d_star * 0.5, d_star * 2
    assert diff(below) < 0 < diff(above)  # NoiseMod cheaper below d*, BPSK beyond


def test_energy_grows_with_distance_and_components_add_up():
    d = np.geomspace(0.1, 1e4, 50)
    for s in ("bpsk", "qpsk", "dsss", "ncfsk", "noisemod"):
        e = energy_curve(s, d)
        assert np.all(np.diff(e["total"]) > 0)
        parts = sum(v for k, v in e.items() if k != "total")
        np.testing.assert_allclose(parts, e["total"], rtol=1e-12)


def test_noise_floor_is_ktb_times_noise_figure():
    p = default_registry()
    lb = LinkBudget.from_params(p)
    k, t = p.values("phys.boltzmann", "phys.noise_reference_temperature")
    assert lb.noise_floor_w(1.0) == pytest.approx(k * t * 10.0, rel=1e-12)  # NF = 10 dB
    assert 10 * math.log10(k * t / 1e-3) == pytest.approx(-174.0, abs=0.05)  # dBm/Hz at 290 K


def test_free_space_below_reference_distance_and_continuity():
    lb = LinkBudget.from_params(path_loss_exponent=3.5)
    d0 = lb.reference_distance_m
    lo, hi = lb.path_loss(d0 * (1 - 1e-9)), lb.path_loss(d0)
    assert lo == pytest.approx(hi, rel=1e-6)
    c = lb.speed_of_light
    assert lb.path_loss(0.5) == pytest.approx((4 * math.pi * 0.5 * lb.carrier_hz / c) ** 2)
    for loss in (lb.path_loss(0.3), lb.path_loss(42.0)):
        assert lb.path_loss(lb.distance_at_loss(float(loss))) == pytest.approx(loss)


def test_energy_per_bit_public_api():
    c = energy_per_bit("bpsk", 100.0)
    assert isinstance(c, Cost) and c.counts["bits"] == 1
    assert c.j_per_bit == pytest.approx(c.energy_total_j)
    assert set(c.energy_j) == {"pa", "tx_circuit", "rx_circuit", "dac", "adc"}
    assert "radio.p_synthesizer" in c.sources and "phys.boltzmann" in c.sources
    assert (c * 1000).energy_total_j == pytest.approx(1000 * c.energy_total_j)
    hf = energy_per_bit("bpsk", 100.0, carrier_hz=5e9)
    assert hf.energy_j["pa"] == pytest.approx(c.energy_j["pa"] * 4)  # PA energy ∝ f²


def test_noisemod_needs_higher_snr_than_bpsk_and_less_circuit_energy():
    nm, bp = energy_per_bit("noisemod", 1.0), energy_per_bit("bpsk", 1.0)
    assert (
        nm.energy_j["tx_circuit"] + nm.energy_j["rx_circuit"]
        < bp.energy_j["tx_circuit"] + bp.energy_j["rx_circuit"]
    )


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda: energy_per_bit("bpsk", 0.0), "distance_m"),
        (lambda: energy_per_bit("bpsk", -5.0), "distance_m"),
        (lambda: energy_per_bit("bpsk", float("nan")), "distance_m"),
        (lambda: energy_per_bit("lora", 10.0), "scheme"),
        (lambda: energy_per_bit("bpsk", 10.0, target_ber=0.9), "target_ber"),
        (lambda: energy_per_bit("bpsk", 10.0, carrier_hz=0.0), "carrier_hz"),
        (lambda: energy_curve("bpsk", []), "distance_m"),
    ],
)
def test_bad_inputs(call, field):
    with pytest.raises(SpecError, match=field):
        call()
