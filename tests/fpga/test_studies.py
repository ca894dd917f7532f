"""Quick-scale seeded values of the FPGA studies (pinned), and their verdict inputs."""

import numpy as np
import pytest

from wattlab.params import default_registry
from wattlab.study import Outcome, RunContext, all_studies


def run(study_id: str) -> tuple[Outcome, str]:
    s = all_studies()[study_id]
    out = s.run(RunContext("quick", np.random.default_rng(0), default_registry()))
    return out, s.claim.judge(out.value)[0]


def test_lstm_efficiency_and_throughput():
    out, verdict = run("fpga-lstm.efficiency")
    assert out.value == pytest.approx(18.2159, rel=1e-3)
    assert verdict == "not-reproduced"
    if "GHDL simulated" in " ".join(out.notes):
        assert "0 mismatches" in " ".join(out.notes)
    out, _ = run("fpga-lstm.throughput")
    assert out.value == pytest.approx(100e6 / 482)


@pytest.mark.slow
def test_roundup_gain_is_modelled_and_labelled_unchecked():
    out, _ = run("fpga-lstm.roundup-gain")
    assert out.value == pytest.approx(128.52, rel=1e-3)
    assert "UNCHECKED" in out.notes[0]


def test_roundup_gain_energy_part_without_training(monkeypatch):
    import wattlab.studies.fpga_lstm as m

    monkeypatch.setattr(m, "_accuracy", lambda ctx, hidden: [])
    out, _ = run("fpga-lstm.roundup-gain")
    assert out.value == pytest.approx(128.52, rel=1e-3)


def test_soft_sensor_static_and_sensors25_energy():
    out, verdict = run("soft-sensor.static-power")
    assert out.value == pytest.approx(1e-4) and verdict == "reproduced"
    xc = next(r for r in out.tables["static vs dynamic"] if r["device"] == "xc7s15")
    assert not xc["micro-watt (< 1 mW)"]
    out, _ = run("soft-sensor.ice40-energy")
    assert out.value == pytest.approx(1.5169e-7, rel=1e-3)


def test_soft_sensor_autobuild_quick():
    pytest.importorskip("torch", reason="training the candidates needs torch")
    out, _ = run("soft-sensor.autobuild")
    assert out.value == pytest.approx(1.05e-8, rel=0.3)
    assert any("Period" in n for n in out.notes)
