"""Meters with a fake NVML module, fake powercap trees and the labelled CPU estimate."""

from __future__ import annotations

import math
import os
import tempfile
import time
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wattlab.errors import SpecError
from wattlab.measure import MeterError, MeterLostError, meter
from wattlab.measure.rapl import RaplChannel


def _no_rapl(tmp_path: Path) -> Path:
    return tmp_path / "no-powercap"


# -- NVML -------------------------------------------------------------------------------------

def test_nvml_counter_reads_energy_at_edges(fake_nvml, tmp_path):
    fake = fake_nvml(power_w=100.0)
    with meter("gpu", rapl_root=_no_rapl(tmp_path)) as m:
        time.sleep(0.05)
    r = m["gpu:0"]
    assert r.label == "measured:nvml" and r.covers == "GPU board (NVML)"
    assert "counter" in r.method and r.complete
    # the fake counter integrates 100 W exactly; mJ truncation and the read offsets are tiny
    assert r.mean_power_w == pytest.approx(100.0, rel=0.02)
    assert fake.inits == fake.shutdowns == 1


def test_nvml_unsupported_counter_falls_back_to_sampled_power(fake_nvml, tmp_path):
    fake_nvml(counter=False, power_w=80.0)
    with meter("gpu", sample_s=0.01, rapl_root=_no_rapl(tmp_path)) as m:
        time.sleep(0.1)
    r = m["gpu:0"]
    assert r.label == "measured:nvml" and "power sampled" in r.method and r.complete
    # constant power, samples at both window edges: the trapezoid is exact up to mW rounding
    assert r.energy_j == pytest.approx(80.0 * r.time_s, rel=1e-4)
    assert int(r.note.split()[0]) >= 5  # several samples were taken by the background thread


def test_sampled_power_integrates_a_ramp_with_real_timestamps(fake_nvml, tmp_path):
    fake = fake_nvml(counter=False, power_w=50.0, ramp_w_per_s=200.0)
    with meter("gpu:0", sample_s=0.005, rapl_root=_no_rapl(tmp_path)) as m:
        t_start = time.perf_counter() - fake.base
        time.sleep(0.2)
    t_end = t_start + m.time_s
    exact = 50.0 * m.time_s + 100.0 * (t_end**2 - t_start**2)  # integral of 50 + 200 t
    assert m["gpu:0"].energy_j == pytest.approx(exact, rel=0.03)


def test_gpu_lost_with_counter_gives_incomplete_nan_reading_and_warning(fake_nvml, tmp_path):
    fake = fake_nvml()
    with (
        pytest.warns(UserWarning, match="meter lost"),
        meter("gpu", rapl_root=_no_rapl(tmp_path)) as m,
    ):
        fake.lost = True
    r = m["gpu:0"]
    assert not r.complete and math.isnan(r.energy_j) and "GPU lost" in r.note
    with pytest.raises(MeterError, match="incomplete"):
        m.total_j("measured")


def test_gpu_lost_while_sampling_keeps_a_lower_bound(fake_nvml, tmp_path):
    fake = fake_nvml(counter=False, power_w=100.0)
    with (
        pytest.warns(UserWarning, match="meter lost"),
        meter("gpu", sample_s=0.005, rapl_root=_no_rapl(tmp_path)) as m,
    ):
        time.sleep(0.1)
        fake.lost = True
        time.sleep(0.1)
    r = m["gpu:0"]
    assert not r.complete
    assert 0.05 * 100 < r.energy_j < 100.0 * r.time_s  # covers the first half only


def test_strict_meter_raises_when_lost(fake_nvml, tmp_path):
    fake = fake_nvml()
    with (
        pytest.raises(MeterLostError, match="gpu:0"),
        meter("gpu", strict=True, rapl_root=_no_rapl(tmp_path)),
    ):
        fake.lost = True


def test_short_window_warns_that_the_counter_did_not_move(fake_nvml, tmp_path):
    fake = fake_nvml()
    fake.frozen_mj = 1234
    with (
        pytest.warns(UserWarning, match="update period"),
        meter("gpu", rapl_root=_no_rapl(tmp_path)) as m,
    ):
        time.sleep(0.01)
    assert m["gpu:0"].energy_j == 0.0


def test_cuda_visible_devices_selects_nvml_indices(fake_nvml, tmp_path, monkeypatch):
    fake_nvml(n=4)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1,3")
    with meter("gpu", rapl_root=_no_rapl(tmp_path)) as m:
        pass
    assert [r.device for r in m.readings] == ["gpu:1", "gpu:3"]


def test_auto_with_gpus_but_no_rapl_says_the_cpu_is_not_covered(fake_nvml, tmp_path):
    fake_nvml(n=2)
    with pytest.warns(UserWarning, match="cover the GPU boards only"), \
            meter(rapl_root=_no_rapl(tmp_path)) as m:
        time.sleep(0.01)  # long enough for the fake counter to move
    assert [r.label for r in m.readings] == ["measured:nvml"] * 2


def test_asking_for_a_gpu_without_nvml_is_an_error(no_nvml, tmp_path):
    with pytest.raises(MeterError, match="pynvml is not installed"), \
            meter("gpu", rapl_root=_no_rapl(tmp_path)):
        pass


def test_unknown_gpu_index_is_an_error(fake_nvml, tmp_path):
    fake_nvml(n=2)
    with pytest.raises(MeterError, match=r"valid indices: 0\.\.1"), \
            meter("gpu:5", rapl_root=_no_rapl(tmp_path)):
        pass


# -- RAPL -------------------------------------------------------------------------------------

def test_rapl_package_energy_and_label(pc, no_nvml, rapl_tree):
    zone = rapl_tree / "intel-rapl:0"
    with meter("cpu", rapl_root=rapl_tree) as m:
        pc.write(zone / "energy_uj", 3_000_000)
    assert [r.device for r in m.readings] == ["cpu:package-0"]  # sub-zones not double counted
    r = m["cpu:package-0"]
    assert r.label == "measured:rapl" and r.covers == "CPU package-0 (RAPL)"
    assert r.energy_j == pytest.approx(2.0)


def test_rapl_wraparound_at_the_edges(pc, no_nvml, rapl_tree):
    zone = rapl_tree / "intel-rapl:0"
    pc.write(zone / "energy_uj", 9_000_000)
    with meter("cpu", rapl_root=rapl_tree) as m:
        pc.write(zone / "energy_uj", 500_000)
    assert m["cpu:package-0"].energy_j == pytest.approx(1.5)  # 0.5 + 10 - 9


def test_rapl_polling_catches_several_wraps(pc, no_nvml, rapl_tree):
    zone = rapl_tree / "intel-rapl:0"
    pc.write(zone / "energy_uj", 9_000_000)
    with meter("cpu", rapl_root=rapl_tree, rapl_poll_s=0.005) as m:
        for v in (9_500_000, 2_000_000, 8_000_000, 1_000_000):
            pc.write(zone / "energy_uj", v)
            time.sleep(0.06)
    # +0.5, +2.5 (wrap), +6, +3 (wrap) J; edge reads alone would give 2 J
    assert m["cpu:package-0"].energy_j == pytest.approx(12.0)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, 9_999_999), min_size=1, max_size=20),
       st.integers(0, 9_999_999))
def test_rapl_accumulates_any_sequence_of_increments(pc, increments, start):
    with tempfile.TemporaryDirectory() as d:
        zone = pc.make_zone(Path(d), "intel-rapl:0", "package-0", start, 10_000_000)
        ch = RaplChannel(zone, poll_s=1.0)
        ch.start(0.0)
        value = start
        for inc in increments:
            value = (value + inc) % 10_000_000
            pc.write(zone / "energy_uj", value)
            ch.poll(0.0)
        assert ch.stop(0.0).energy_j == pytest.approx(sum(increments) * 1e-6)


def test_rapl_zone_vanishing_gives_incomplete_lower_bound(pc, no_nvml, rapl_tree):
    zone = rapl_tree / "intel-rapl:0"
    with (
        pytest.warns(UserWarning, match="flagged incomplete"),
        meter("cpu", rapl_root=rapl_tree, rapl_poll_s=0.005) as m,
    ):
        pc.write(zone / "energy_uj", 2_000_000)
        time.sleep(0.06)
        (zone / "energy_uj").unlink()
    r = m["cpu:package-0"]
    assert not r.complete and r.energy_j == pytest.approx(1.0) and "vanished" in r.note


def test_rapl_dram_zone_on_request(pc, no_nvml, rapl_tree):
    with meter("dram", rapl_root=rapl_tree) as m:
        pc.write(rapl_tree / "intel-rapl:0:1" / "energy_uj", 700_000)
    assert m["dram:0"].energy_j == pytest.approx(0.5)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root reads files whatever their mode")
def test_unreadable_rapl_falls_back_with_permission_message(no_nvml, rapl_tree):
    os.chmod(rapl_tree / "intel-rapl:0" / "energy_uj", 0)
    with (
        pytest.warns(UserWarning, match="permission denied"),
        meter("cpu", rapl_root=rapl_tree) as m,
    ):
        pass
    assert m.readings[0].label.startswith("estimated:")


# -- estimate and labelling -----------------------------------------------------------------

def test_no_meter_at_all_warns_and_labels_the_estimate(no_nvml, tmp_path):
    with (
        pytest.warns(UserWarning, match="no energy meter found"),
        meter(rapl_root=_no_rapl(tmp_path)) as m,
    ):
        sum(i * i for i in range(200_000))
    (r,) = m.readings
    assert r.label.startswith("estimated:") and not r.measured
    assert 2.5 <= r.mean_power_w <= 7.5  # cpu_2core idle..TDP from devices.toml
    with pytest.raises(MeterError, match="no measured reading"):
        m.total_j("measured")
    assert m.total_j("estimated") == r.energy_j


def test_estimate_asked_for_does_not_warn(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with meter("estimate") as m:
            pass
    assert m["cpu"].label.startswith("estimated:")


def test_system_scope_estimate_from_proc_stat(tmp_path):
    stat = tmp_path / "stat"
    tck = os.sysconf("SC_CLK_TCK")
    stat.write_text("cpu  100 0 100 1000 0 0 0 0 0 0\n")
    with meter("estimate", estimate_scope="system", proc_stat=stat) as m:
        stat.write_text(f"cpu  {100 + tck // 10} 0 100 {1000 + tck} 0 0 0 0 0 0\n")
        time.sleep(0.2)
    r = m["cpu"]
    u = min(1.0, (tck // 10) / tck / (r.time_s * 2))
    assert r.mean_power_w == pytest.approx(2.5 + 5.0 * u, rel=1e-9)


def test_system_scope_without_proc_stat_is_a_clear_error(tmp_path):
    with pytest.raises(MeterError, match="estimate_scope='process'"), \
            meter("estimate", estimate_scope="system", proc_stat=tmp_path / "absent"):
        pass


def test_measured_and_estimated_are_never_summed(fake_nvml, tmp_path):
    fake_nvml()
    with meter(["gpu", "estimate"], rapl_root=_no_rapl(tmp_path)) as m:
        time.sleep(0.02)
    assert m.total_j("measured") == m["gpu:0"].energy_j
    assert m.total_j("estimated") == m["cpu"].energy_j


def test_bad_device_specs(tmp_path):
    with pytest.raises(SpecError, match="unknown meter device 'tpu'"), meter("tpu"):
        pass
    with pytest.raises(SpecError, match="twice"), meter(["estimate", "estimate"]):
        pass
    with pytest.raises(SpecError, match="sample_s"):
        meter(sample_s=0)


def test_exception_in_block_propagates_and_stops_the_sampler(fake_nvml, tmp_path):
    fake_nvml(counter=False)
    m = meter("gpu", sample_s=0.005, rapl_root=_no_rapl(tmp_path))
    with pytest.raises(RuntimeError, match="boom"), m:
        raise RuntimeError("boom")
    assert m._thread is None and m.readings[0].complete
