"""The IMU transformer, the energy model, the camera-ratio study and the `wattlab imu` CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch", reason="the IMU transformer needs torch")

from typer.testing import CliRunner

from wattlab.commands.imu import app
from wattlab.errors import SpecError
from wattlab.params import default_registry
from wattlab.studies.imu_sensing import WINDOW_S, _model_cost
from wattlab.study import RunContext, all_studies
from wattlab.systems.imu.energy import camera_pipeline, imu_pipeline, imu_power, ratio
from wattlab.systems.imu.experiment import run
from wattlab.systems.imu.model import ModelSpec, ate, iou, sequence_tokens

REG = default_registry()
runner = CliRunner()


def test_metrics() -> None:
    a = np.zeros((4, 2))
    b = np.ones((4, 2))
    assert ate(a, b) == pytest.approx(np.sqrt(2))
    p = np.zeros((2, 3, 3))
    p[0, 0, 0] = 1
    t = p.copy()
    t[0, 0, 1] = 1
    assert iou(p, t)[0] == pytest.approx(0.5)


def test_transformer_beats_standing_still_and_layout_prior() -> None:
    res = run(3, 25.0, np.random.default_rng(0), n_train=40, n_test=12, duration=8.0,
              spec=ModelSpec(epochs=15), params=REG)
    ev = res.evaluation
    assert ev.ate_m < 0.8 * ev.baseline_ate_m
    assert ev.iou["floor"] > ev.baseline_iou["floor"]
    assert res.macs == res.model.macs(sequence_tokens(8.0, 0.32))


def test_parameter_count_formula_matches_the_module() -> None:
    from wattlab.systems.imu.model import PER_SENSOR, _net

    spec = ModelSpec()
    n_tok = sequence_tokens(WINDOW_S, spec.patch_s)
    net = _net(3 * PER_SENSOR, spec, 2, 288, n_tok)
    assert _model_cost(3)[1] == sum(p.numel() for p in net.parameters())


def test_imu_power_interpolates_with_rate() -> None:
    hp, floor = REG.value("dev.lsm6dso.power_hp"), REG.value("dev.lsm6dso.power_floor")
    assert imu_power(REG, 1000.0) == pytest.approx(hp)
    assert imu_power(REG, 0.0) == pytest.approx(floor)
    assert floor < imu_power(REG, 52.0) < hp


def test_energy_lines_and_ratio() -> None:
    macs, npar = _model_cost(3)
    i = imu_pipeline("jetson_orin_nano", 3, 100.0, macs, npar, REG)
    c = camera_pipeline("jetson_orin_nano", REG)
    assert i.per_hour["IMU sensors"] == pytest.approx(3 * imu_power(REG, 100.0) * 3600)
    assert c.per_hour["camera"] == pytest.approx(0.3 * 3600)
    assert ratio(c, i) == pytest.approx(c.total_j / i.total_j)
    assert ratio(c, i, with_idle=True) < ratio(c, i)
    fewer = imu_pipeline("jetson_orin_nano", 1, 25.0, *_model_cost(1), REG)
    assert fewer.total_j < i.total_j


def test_camera_ratio_study_pinned() -> None:
    s = all_studies()["imu-sensing.camera-ratio"]
    out = s.run(RunContext("quick", np.random.default_rng(0), REG))
    assert out.value == pytest.approx(66.0, rel=0.01)  # deterministic model
    assert s.claim.judge(out.value)[0] == "trend-reproduced"  # >1x but below the 100x
    by = {r["boundary"]: r["camera_over_imu"] for r in out.tables["by boundary"]}
    assert by["sensors only (camera system vs 3 IMUs)"] > 100


def test_cli_energy_json_and_errors() -> None:
    res = runner.invoke(app, ["energy", "--imus", "2", "--rate", "50", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["camera_over_imu"] > 100 and "dev.lsm6dso.power_hp" in data["sources"]
    res = runner.invoke(app, ["energy", "--imus", "4"])
    assert res.exit_code == 2 and "outside [1, 3]" in res.output
    res = runner.invoke(app, ["energy", "--device", "nope"])
    assert isinstance(res.exception, SpecError)


def test_cli_evaluate_small(tmp_path) -> None:
    png = tmp_path / "t.png"
    res = runner.invoke(app, ["evaluate", "--imus", "1", "--rate", "25", "--train", "6",
                              "--test", "2", "--duration", "4", "--epochs", "2", "--json",
                              "--plot", str(png)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["root_ate_m"] > 0 and png.stat().st_size > 1000
