"""Device registry, roofline cost, calibration and the DigitalSubstrate contract."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattlab.errors import SpecError
from wattlab.hardware import Device, Efficiency, known_devices
from wattlab.params import load_registry
from wattlab.substrates import Gemm, Substrate
from wattlab.substrates.digital import DigitalSubstrate, Measurement, calibrate

ALL = ("t4", "a100", "h100", "h200", "tpu_v6e", "m2_max_gpu", "m2_max_ane", "cpu_2core")


def test_every_required_device_loads_with_sources():
    assert set(ALL) <= set(known_devices())
    for name in ALL:
        d = Device.from_registry(name)
        assert d.mem_bw > 0 and d.mem_capacity > 0 and d.tdp > d.idle_power >= 0
        assert all(p.source.url for p in d.sources.values())
        for prec in d.precisions:
            assert d.op_energy_j(prec) > 0


def test_hyphenated_names_read_as_underscores():
    assert Device.from_registry("tpu-v6e") == Device.from_registry("tpu_v6e")


def test_device_memory_energy_is_its_memory_technologys():
    """One value per quantity: a device's DRAM energy is read from the memory catalogue."""
    from wattlab.hardware.devices import MEMORY_TECHNOLOGY
    from wattlab.params import default_registry

    reg = default_registry()
    for dev, t in MEMORY_TECHNOLOGY.items():
        assert Device.from_registry(dev).mem_energy == reg.value(f"mem.{t}.e_bit") * 8, dev
        assert f"dev.{dev}.mem_energy" not in reg, dev
    bumped = reg.with_value("mem.hbm3.e_bit", 2 * reg.value("mem.hbm3.e_bit"), "test")
    assert Device.from_registry("h100", bumped).mem_energy == 2 * Device.from_registry("h100").mem_energy


def test_t4_specs_in_si():
    t4 = Device.from_registry("t4")
    assert t4.peak("fp16") == 65e12  # datasheet 65 TFLOPS
    assert t4.peak("int8") == 130e12
    assert t4.mem_bw == pytest.approx(320e9)  # bytes/s
    assert t4.mem_capacity == pytest.approx(16e9)
    assert t4.mem_energy == pytest.approx(7.5e-12 * 8)  # J/byte
    assert t4.default_precision == "fp16"


def test_unknown_device_lists_known_names():
    with pytest.raises(SpecError, match=r"unknown compute device 'h1000'.*known: .*t4"):
        Device.from_registry("h1000")


def test_unknown_precision_is_an_error():
    with pytest.raises(SpecError, match="has no 'bf16' peak; it supports fp32, fp16, int8, int4"):
        Device.from_registry("t4").peak("bf16")


def test_roofline_by_hand_on_t4():
    t4 = Device.from_registry("t4")
    eff = Efficiency(0.5, 0.8)
    # memory-bound: 1 GB at 0.8 x 320 GB/s
    c = t4.roofline(1e9, 1e9, "fp16", eff)
    assert c.latency_s == pytest.approx(1e9 / (0.8 * 320e9))
    e_op = (70 - 10 - 7.5e-12 * 8 * 320e9) / 65e12
    assert c.energy_j["compute"] == pytest.approx(1e9 * e_op)
    assert c.energy_j["memory"] == pytest.approx(1e9 * 60e-12)
    assert c.energy_j["static"] == pytest.approx(10 * c.latency_s)
    # compute-bound: 1e13 ops at 0.5 x 65 TFLOPS
    c = t4.roofline(1e13, 1e6, "fp16", eff)
    assert c.latency_s == pytest.approx(1e13 / (0.5 * 65e12))
    assert c.boundary == frozenset({"compute", "memory", "static"})
    assert c.counts["ops"] == 1e13


def test_full_speed_power_equals_tdp():
    """At efficiency 1, peak ops plus full bandwidth draw exactly the TDP (the e_op rule)."""
    h100 = Device.from_registry("h100")
    ops = h100.peak("bf16")
    c = h100.roofline(ops, h100.mem_bw, "bf16", Efficiency(1.0, 1.0))
    assert c.latency_s == pytest.approx(1.0)
    assert c.power_w == pytest.approx(h100.tdp)


def test_user_file_changing_tdp_moves_op_energy(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text('[params."dev.t4.tdp"]\nvalue = 60\nunit = "W"\nsource = "nvidia_t4_ds"\n'
                 'locator = "power-capped"\nevidence = "assumed"\n')
    base = Device.from_registry("t4").op_energy_j("fp16")
    capped = Device.from_registry("t4", load_registry([f])).op_energy_j("fp16")
    assert capped == pytest.approx(base * (60 - 10 - 19.2) / (70 - 10 - 19.2))


@settings(max_examples=50, deadline=None)
@given(st.floats(1, 1e15), st.floats(1, 1e12), st.floats(1, 10), st.floats(1, 10))
def test_roofline_is_monotone_and_static_bounded(ops, nbytes, k_ops, k_bytes):
    d = Device.from_registry("a100")
    a = d.roofline(ops, nbytes, "bf16")
    b = d.roofline(ops * k_ops, nbytes * k_bytes, "bf16")
    assert b.latency_s >= a.latency_s * (1 - 1e-12)
    assert b.energy_total_j >= a.energy_total_j * (1 - 1e-12)
    assert a.energy_j["static"] == pytest.approx(d.idle_power * a.latency_s)


# -- the substrate contract --------------------------------------------------------------------

def test_matmul_exact_and_cost_agree_numpy():
    sub = DigitalSubstrate("t4", "fp16")
    assert isinstance(sub, Substrate)
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 5, 64)), rng.standard_normal((64, 32))
    out, cost = sub.matmul(a, b, rng=rng)
    np.testing.assert_array_equal(out, a @ b)
    assert cost == sub.cost(Gemm(15, 64, 32))
    assert cost.counts["macs"] == 15 * 64 * 32
    assert cost.counts["bytes"] == (15 * 64 + 64 * 32 + 15 * 32) * 2


def test_matmul_exact_and_cost_agree_torch():
    torch = pytest.importorskip("torch", reason="torch is an optional extra")
    sub = DigitalSubstrate("cpu_2core", "fp32")
    a, b = torch.randn(4, 16), torch.randn(16, 8)
    out, cost = sub.matmul(a, b, rng=np.random.default_rng(0))
    assert torch.equal(out, a @ b)
    assert cost == sub.cost(Gemm(4, 16, 8))


def test_substrate_rejects_bad_precision_and_shapes():
    with pytest.raises(SpecError, match="no 'int4' peak"):
        DigitalSubstrate("h100", "int4")
    with pytest.raises(SpecError, match="inner dimensions"):
        DigitalSubstrate("h100").matmul(np.ones((2, 3)), np.ones((4, 5)),
                                        rng=np.random.default_rng(0))


# -- calibration -------------------------------------------------------------------------------

def _synthetic(dev: Device, eff: Efficiency, intensities, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for i, ai in enumerate(intensities):
        nbytes = 1e8 * (i + 1)
        ops = ai * nbytes
        c = dev.roofline(ops, nbytes, dev.default_precision, eff)
        jitter = 1 + noise * rng.standard_normal()
        out.append(Measurement(ops, nbytes, c.latency_s * jitter, c.energy_total_j * jitter))
    return out


def test_calibrate_recovers_known_factors_exactly():
    t4 = Device.from_registry("t4")
    true = Efficiency(0.45, 0.7, 1.3)
    ms = _synthetic(t4, true, [1, 10, 50, 500, 2000, 8000])
    cal = calibrate(t4, ms)
    assert cal.efficiency.compute == pytest.approx(0.45, rel=1e-5)
    assert cal.efficiency.bandwidth == pytest.approx(0.7, rel=1e-5)
    assert cal.efficiency.energy_scale == pytest.approx(1.3, rel=1e-5)
    assert cal.time_error < 1e-6 and cal.energy_error < 1e-6
    assert cal.identified == {"compute": True, "bandwidth": True}


def test_calibrate_reports_the_error_of_noisy_data():
    t4 = Device.from_registry("t4")
    ms = _synthetic(t4, Efficiency(0.45, 0.7), [1, 10, 50, 500, 2000, 8000] * 3, noise=0.05)
    cal = calibrate(t4, ms)
    assert 0.005 < cal.time_error < 0.15  # about the 5 % noise put in
    assert cal.efficiency.compute == pytest.approx(0.45, rel=0.1)


def test_calibrate_flags_an_unidentified_roof():
    t4 = Device.from_registry("t4")
    ms = _synthetic(t4, Efficiency(0.45, 0.7), [0.5, 1, 2])  # all memory-bound
    cal = calibrate(t4, ms)
    assert cal.identified == {"compute": False, "bandwidth": True}
    assert cal.efficiency.bandwidth == pytest.approx(0.7, rel=1e-5)
    assert cal.energy_error is None or cal.energy_error < 1e-6


def test_calibrate_rejects_bad_measurements():
    t4 = Device.from_registry("t4")
    with pytest.raises(SpecError, match="at least one"):
        calibrate(t4, [])
    with pytest.raises(SpecError, match="measurement 0"):
        calibrate(t4, [{"ops": 1.0, "bytes": 1.0, "time_s": 0.0}])
