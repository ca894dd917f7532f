"""The synthetic railway-vibration generator: shapes, determinism, physics, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from wattlab.errors import SpecError
from wattlab.params import Registry
from wattlab.systems.fl import CLASSES, RailSpec, generate_fleet
from wattlab.systems.fl.data import (
    N_FEATURES,
    _Physics,
    _synthesise,
    extract_features,
    feature_flops,
)


def test_shapes_and_determinism(params: Registry) -> None:
    spec = RailSpec(n_clients=3, samples_per_client=20, window=512)
    a = generate_fleet(spec, params, np.random.default_rng(1))
    b = generate_fleet(spec, params, np.random.default_rng(1))
    c = generate_fleet(spec, params, np.random.default_rng(2))
    assert a.n_clients == 3 and a.n_features == N_FEATURES
    assert all(x.shape == (20, N_FEATURES) for x in a.x_train)
    assert a.x_test.shape == (3 * 5, N_FEATURES)
    assert np.array_equal(a.x_test, b.x_test)
    assert not np.array_equal(a.x_test, c.x_test)
    assert a.raw_bits_per_sample == 512 * params.value("fl.rail.adc_bits")


def test_class_imbalance_follows_prior(params: Registry) -> None:
    spec = RailSpec(n_clients=20, samples_per_client=100, window=256, dirichlet_alpha=1e4)
    data = generate_fleet(spec, params, np.random.default_rng(3))
    freq = np.bincount(np.concatenate(data.y_train), minlength=len(CLASSES)) / 2000
    # 2000 draws: the binomial std of a 0.7 share is 1 point; 4 points is > 3 sigma
    assert np.allclose(freq, spec.prior, atol=0.04)


def test_nodes_are_non_iid(params: Registry) -> None:
    spec = RailSpec(n_clients=8, samples_per_client=60, window=256, dirichlet_alpha=2.0)
    data = generate_fleet(spec, params, np.random.default_rng(4))
    speed = np.array([x[:, -1].mean() for x in data.x_train])
    # node mean speeds are drawn over 15-45 m/s; within-node spread is 15%
    assert speed.max() - speed.min() > 5.0
    mixes = np.array([np.bincount(y, minlength=4) / y.size for y in data.y_train])
    assert mixes[:, 0].max() - mixes[:, 0].min() > 0.1


@pytest.mark.parametrize(("label", "order_col"), [(1, 2), (2, 3)])
def test_bearing_fault_raises_its_envelope_order(params: Registry, label: int,
                                                 order_col: int) -> None:
    """Outer/inner-race windows carry energy at BPFO/BPFI in the envelope spectrum."""
    phy = _Physics.from_params(params)
    spec = RailSpec(window=4096, severity_sigma=0.1, joint_probability=0.0)
    node = {"noise": 0.3, "gain": 1.0, "shift": 1.0}
    speed = np.full(64, 30.0)
    feats = {}
    for lab in (0, label):
        x = _synthesise(np.full(64, lab), speed, node, spec, phy, np.random.default_rng(5))
        feats[lab] = extract_features(x, speed, phy)[:, 16 + order_col]
    assert feats[label].mean() > feats[0].mean() + 0.3  # log10 units: > 2x


def test_feature_flops_grow_with_window() -> None:
    assert 0 < feature_flops(256) < feature_flops(1024) < feature_flops(4096)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"n_clients": 0}, "n_clients"), ({"samples_per_client": -5}, "samples_per_client"),
    ({"window": 1000}, "window"), ({"prior": (0.5, 0.5)}, "prior"),
    ({"test_fraction": 1.0}, "test_fraction"), ({"speed_range_mps": (0.0, 3.0)}, "speed_range")])
def test_bad_spec_names_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(SpecError, match=field):
        RailSpec(**kwargs)  # type: ignore[arg-type]
