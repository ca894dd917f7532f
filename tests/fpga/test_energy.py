import pytest

from wattlab.errors import SpecError
from wattlab.params import default_registry
from wattlab.substrates.fpga import LSTMSpec, QFormat
from wattlab.substrates.fpga.energy import (
    FPGADevice,
    lstm_resources,
    mlp_ops,
    price_lstm,
    price_mlp,
)

REG = default_registry()


@pytest.mark.parametrize("name", ["xc7s15", "ice40up5k"])
def test_static_energy_is_power_times_latency(name):
    dev = FPGADevice.from_registry(name, REG)
    pr = price_lstm(LSTMSpec(1, 8), 3, dev, REG)
    assert pr.latency_s == pytest.approx(3 * LSTMSpec(1, 8).cycles_per_step() / dev.clock_hz)
    assert pr.static_j == pytest.approx(dev.static_power * pr.latency_s)
    assert sum(pr.cost().energy_j.values()) == pytest.approx(pr.energy_j)


def test_energy_rises_with_work_and_lut_multipliers_cost_luts():
    dev = FPGADevice.from_registry("xc7s15", REG)
    small = price_mlp([3, 8, 1], QFormat(8, 5), 20, dev, REG)
    big = price_mlp([3, 32, 32, 1], QFormat(8, 5), 20, dev, REG)
    assert big.energy_j > small.energy_j and big.cycles > small.cycles
    assert mlp_ops([3, 8, 1]) == 2 * (24 + 8) + 9 + 8
    dsp = lstm_resources(LSTMSpec(1, 8, multiplier="dsp"), REG)
    lut = lstm_resources(LSTMSpec(1, 8, multiplier="lut"), REG)
    assert lut.luts > dsp.luts and lut.dsps == 0 < dsp.dsps
    clocked = dev.with_clock(50e6)
    assert price_mlp([3, 8, 1], QFormat(8, 5), 20, clocked, REG).latency_s == \
        pytest.approx(2 * small.latency_s)


def test_unknown_device_and_bad_clock_are_errors():
    with pytest.raises(SpecError, match="fpga9000"):
        FPGADevice.from_registry("fpga9000", REG)
    with pytest.raises(SpecError, match="clock"):
        FPGADevice.from_registry("xc7s15", REG).with_clock(0)


def test_resource_feasibility_is_reported():
    dev = FPGADevice.from_registry("ice40up5k", REG)
    pr = price_lstm(LSTMSpec(1, 20), 1, dev, REG)  # 10 DSP multipliers > 8 SB_MAC16
    assert not pr.fits and "DSPs" in pr.why_not
    assert price_lstm(LSTMSpec(1, 20, shared_act=True), 1, dev, REG).fits
