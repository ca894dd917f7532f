"""wattlab.physics against known values (tolerance beside each) and by its properties."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from wattlab import physics as P
from wattlab.errors import ParamError, SpecError
from wattlab.params import default_registry

REG = default_registry()


def dbm(watts: float) -> float:
    return 10.0 * math.log10(watts / 1e-3)


# -- limits and noise: values from the notes §2.6-2.7, to their printed digits ------------------

def test_landauer_limit():
    assert P.landauer_limit_j(REG, 300.0) == pytest.approx(2.87e-21, rel=2e-3)
    assert P.landauer_limit_j(REG, 290.0) == pytest.approx(2.78e-21, rel=2e-3)
    assert P.landauer_limit_j(REG) == P.landauer_limit_j(REG, 300.0)  # default: room temperature


def test_thermal_energy_in_mev():
    kt_ev = P.thermal_energy_j(REG, 300.0) / REG.value("phys.elementary_charge")
    assert kt_ev * 1e3 == pytest.approx(25.85, abs=0.01)


def test_int8_mac_is_about_1e8_landauer():
    ratio = REG.value("op45.int8_mac") / P.landauer_limit_j(REG, 300.0)
    assert ratio == pytest.approx(8e7, rel=0.01)  # notes: "about 8x10^7"


def test_thermal_noise_floor_is_minus_174_dbm_per_hz():
    assert dbm(P.thermal_noise_floor_w(REG, 1.0)) == pytest.approx(-174.0, abs=0.05)
    # 1 MHz raises it by 60 dB
    assert dbm(P.thermal_noise_floor_w(REG, 1e6, 290.0)) == pytest.approx(-114.0, abs=0.05)


@pytest.mark.parametrize(("cap_f", "mv", "half_digit"), [
    (1e-15, 2.04, 0.005), (10e-15, 0.64, 0.005), (100e-15, 0.20, 0.005), (1e-12, 0.064, 0.0005)])
def test_ktc_noise(cap_f, mv, half_digit):
    # the notes print mV to the digits shown; tolerance is half the last digit
    assert P.ktc_noise_voltage_v(REG, cap_f, 300.0) * 1e3 == pytest.approx(mv, abs=half_digit)


def test_johnson_noise_of_1k_resistor():
    # sqrt(4kTRB) at 300 K, 1 kOhm, 1 Hz = 4.07 nV
    assert P.johnson_noise_voltage_v(REG, 1e3, 1.0, 300.0) == pytest.approx(4.07e-9, rel=2e-3)


def test_shot_noise():
    # sqrt(2 q 1 mA 1 GHz) = 0.566 uA
    assert P.shot_noise_current_a(REG, 1e-3, 1e9) == pytest.approx(0.566e-6, rel=2e-3)
    assert P.shot_noise_current_a(REG, 0.0, 1e9) == 0.0


def test_photon_energy():
    assert P.photon_energy_j(REG, 1550e-9) == pytest.approx(0.128e-18, rel=5e-3)
    assert P.photon_energy_j(REG, 1310e-9) == pytest.approx(0.152e-18, rel=5e-3)
    ev = P.photon_energy_j(REG, 1550e-9) / REG.value("phys.elementary_charge")
    assert ev == pytest.approx(0.80, abs=0.005)


@pytest.mark.parametrize(("bits", "joules"), [(4, 0.033e-15), (6, 0.53e-15), (8, 8.4e-15)])
def test_shot_limited_optical_energy(bits, joules):
    assert P.shot_limited_optical_energy_j(REG, bits, 1550e-9) == pytest.approx(joules, rel=0.01)


def test_arrays_broadcast_and_scalars_stay_float():
    out = P.thermal_noise_floor_w(REG, np.array([1.0, 10.0]), np.array([[290.0], [300.0]]))
    assert isinstance(out, np.ndarray) and out.shape == (2, 2)
    assert isinstance(P.landauer_limit_j(REG, 300), float)


# -- ADC: the Pareto-front table in the notes §2.5 (printed to 2-3 digits) -----------------------

ADC_TABLE = [  # bits, f_s, J per conversion
    (4, 1e8, 0.19e-15), (6, 1e8, 3.0e-15), (8, 1e8, 48e-15), (10, 1e8, 0.76e-12),
    (12, 1e8, 12.2e-12), (4, 1e9, 2.5e-15), (8, 1e9, 0.64e-12), (12, 1e9, 164e-12),
    (4, 1e10, 77e-15), (8, 1e10, 19.7e-12), (10, 1e10, 315e-12), (12, 1e10, 5e-9),
]


@pytest.mark.parametrize(("bits", "fs", "joules"), ADC_TABLE)
def test_adc_schreier_frontier_matches_notes_table(bits, fs, joules):
    assert P.adc_energy_j(REG, bits, fs, fom="schreier") == pytest.approx(joules, rel=0.03)


@pytest.mark.parametrize(("bits", "joules"), [(8, 0.26e-12), (10, 1.0e-12), (12, 4.1e-12)])
def test_adc_walden_matches_notes(bits, joules):
    assert P.adc_energy_j(REG, bits, 1e6, fom="walden") == pytest.approx(joules, rel=0.02)


def test_adc_walden_scales_with_the_fom():
    five = REG.with_value("adc.walden_fom", 5e-15, "typical design")
    assert P.adc_energy_j(five, 8, 1e6, fom="walden") == pytest.approx(1.3e-12, rel=0.02)


def test_adc_frontier_switches_regime():
    # 1 fJ/step Walden dominates at 8 bits; the thermal (Schreier) bound at 12 bits and at 10 GS/s
    assert P.adc_energy_j(REG, 8, 1e6) == P.adc_energy_j(REG, 8, 1e6, fom="walden")
    assert P.adc_energy_j(REG, 12, 1e6) == P.adc_energy_j(REG, 12, 1e6, fom="schreier")
    assert P.adc_energy_j(REG, 4, 1e10) == P.adc_energy_j(REG, 4, 1e10, fom="schreier")


@given(st.floats(1.0, 20.0), st.floats(0.01, 4.0), st.floats(1e3, 1e11),
       st.sampled_from(["walden", "schreier", "frontier"]))
def test_adc_energy_is_monotone_in_enob_and_rate(enob, step, fs, fom):
    e = P.adc_energy_j(REG, enob, fs, fom=fom)
    assert P.adc_energy_j(REG, enob + step, fs, fom=fom) > e
    assert P.adc_energy_j(REG, enob, fs * 10, fom=fom) >= e
    assert P.adc_energy_j(REG, enob, fs) >= max(P.adc_energy_j(REG, enob, fs, fom="walden"),
                                                P.adc_energy_j(REG, enob, fs, fom="schreier"))


def test_adc_schreier_is_4x_per_bit_on_the_plateau():
    e = P.adc_energy_j(REG, np.arange(8, 14), 1e6, fom="schreier")
    assert np.allclose(e[1:] / e[:-1], 4.0, rtol=1e-3)


def test_adc_vectorised_matches_scalar():
    bits = np.array([4.0, 8.0, 12.0])
    rates = np.array([[1e6], [1e9]])
    grid = P.adc_energy_j(REG, bits, rates)
    assert grid.shape == (2, 3)
    assert grid[1, 2] == P.adc_energy_j(REG, 12.0, 1e9)


# -- node scaling: the notes §2.2 factors (printed to 2 digits) ---------------------------------

@pytest.mark.parametrize(("to_nm", "factor"), [(32, 0.66), (16, 0.17), (7, 0.094)])
def test_logic_scaling_matches_stillmaker_factors(to_nm, factor):
    assert P.scale_energy(REG, 1.0, 45, to_nm) == pytest.approx(factor, rel=0.03)


def test_logic_scaling_with_voltage():
    # 45 nm at 0.9 V to 7 nm at 0.7 V: 0.057 in the notes
    assert P.scale_energy(REG, 1.0, 45, 7, from_v=0.9, to_v=0.7) == pytest.approx(0.057, rel=0.02)


def test_horowitz_at_7nm_matches_notes():
    # notes: int8 mult 0.019 pJ and SRAM 1 MB 9.4 pJ at 7 nm (0.094 x the 45 nm values)
    mult = P.scale_energy(REG, REG.value("op45.int8_mult"), 45, 7)
    sram = P.scale_energy(REG, REG.value("op45.sram_64b_1mb"), 45, 7)
    assert mult == pytest.approx(0.019e-12, rel=0.02)
    assert sram == pytest.approx(9.4e-12, rel=0.01)


def test_sram_scaling_is_much_weaker_than_logic():
    assert P.scale_energy(REG, 1.0, 45, 7, "sram") == pytest.approx(0.75, rel=1e-9)
    assert P.scale_energy(REG, 1.0, 45, 16, "sram") > P.scale_energy(REG, 1.0, 45, 16, "logic")


NODES = st.floats(7.0, 130.0)


@given(NODES, NODES, NODES)
def test_logic_scaling_composes_and_inverts(a, b, c):
    ab = P.scale_energy(REG, 1.0, a, b)
    assert ab * P.scale_energy(REG, 1.0, b, c) == pytest.approx(P.scale_energy(REG, 1.0, a, c))
    assert ab * P.scale_energy(REG, 1.0, b, a) == pytest.approx(1.0)


@given(st.floats(7.0, 129.0), st.floats(0.01, 1.0))
def test_logic_energy_falls_with_smaller_nodes(node, shrink):
    smaller = max(7.0, node * (1 - shrink))
    assume(smaller < node * (1 - 1e-6))
    assert P.scale_energy(REG, 1.0, node, smaller) < 1.0


def test_extrapolation_needs_consent_and_follows_sqrt():
    with pytest.raises(SpecError, match="to_nm=3"):
        P.scale_energy(REG, 1.0, 7, 3)
    assert P.scale_energy(REG, 1.0, 7, 3.5, extrapolate=True) == pytest.approx(math.sqrt(0.5))


def test_scale_area_matches_table():
    assert P.scale_area(REG, 1.0, 45, 7) == pytest.approx(0.059)
    assert P.scale_area(REG, 1.0, 16, 7) == pytest.approx(0.31, rel=0.01)  # table: 0.31
    assert P.scale_area(REG, 2.0, 130, 7) == pytest.approx(2 * 0.0092, rel=0.01)  # table: 0.0092


def test_tracking_sees_the_constants_used():
    tracked = REG.tracking()
    P.adc_energy_j(tracked, 8, 1e9)
    P.scale_energy(tracked, 1.0, 45, 7, "sram")
    assert {"adc.walden_fom", "adc.schreier_fom_max", "op45.sram_64b_8kb",
            "scale.tpuv4i_sram_64b_8kb"} <= (tracked.used or set())


# -- bad input: SpecError naming the argument ---------------------------------------------------

BAD_CALLS = [
    (lambda: P.landauer_limit_j(REG, -1.0), "temperature_k"),
    (lambda: P.landauer_limit_j(REG, 0.0), "temperature_k"),
    (lambda: P.thermal_noise_floor_w(REG, math.nan), "bandwidth_hz"),
    (lambda: P.thermal_noise_floor_w(REG, [1.0, -2.0]), "bandwidth_hz"),
    (lambda: P.shot_noise_current_a(REG, -1e-3, 1e9), "current_a"),
    (lambda: P.shot_noise_current_a(REG, 1e-3, 0.0), "bandwidth_hz"),
    (lambda: P.ktc_noise_voltage_v(REG, 0.0), "capacitance_f"),
    (lambda: P.johnson_noise_voltage_v(REG, "1k", 1.0), "resistance_ohm"),
    (lambda: P.photon_energy_j(REG, math.inf), "wavelength_m"),
    (lambda: P.adc_energy_j(REG, 0.0, 1e9), "enob"),
    (lambda: P.adc_energy_j(REG, 40.0, 1e9), "enob"),
    (lambda: P.adc_energy_j(REG, 8.0, -1.0), "sample_rate_hz"),
    (lambda: P.adc_energy_j(REG, 8.0, 1e9, fom="murmann"), "fom"),  # type: ignore[arg-type]
    (lambda: P.adc_energy_j(REG, [8.0, 9.0], [1e6, 1e7, 1e8]), "broadcast"),
    (lambda: P.scale_energy(REG, -1.0, 45, 7), "energy_j"),
    (lambda: P.scale_energy(REG, 1.0, 0.0, 7), "from_nm"),
    (lambda: P.scale_energy(REG, 1.0, 45, 200), "to_nm"),
    (lambda: P.scale_energy(REG, 1.0, 45, [7, 16]), "to_nm"),  # type: ignore[arg-type]
    (lambda: P.scale_energy(REG, 1.0, 45, 7, "dram"), "kind"),  # type: ignore[arg-type]
    (lambda: P.scale_energy(REG, 1.0, 45, 7, "sram", to_v=0.7), "from_v/to_v"),
    (lambda: P.scale_energy(REG, 1.0, 45, 16, "sram", extrapolate=False), None),
    (lambda: P.scale_energy(REG, 1.0, 45, 65, "sram"), "to_nm"),
    (lambda: P.scale_energy(REG, 1.0, 45, 7, from_v=-0.8), "from_v"),
    (lambda: P.scale_area(REG, 1.0, 45, 5), "to_nm"),
]


@pytest.mark.parametrize(("call", "field"), BAD_CALLS)
def test_bad_input_raises_spec_error_naming_the_field(call, field):
    if field is None:  # a valid call, kept in the list as a control
        assert call() > 0
        return
    with pytest.raises(SpecError, match=re.escape(field)):
        call()


def test_missing_constant_is_a_param_error():
    from wattlab.params import Registry

    with pytest.raises(ParamError, match=r"phys\.boltzmann"):
        P.landauer_limit_j(Registry({}), 300.0)
