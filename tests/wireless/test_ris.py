"""Aerial RIS + fluid antennas: channel statistics, EE evaluation, baselines, bad input."""

import math

import numpy as np
import pytest

from wattlab.errors import ParamError, SpecError
from wattlab.params import default_registry
from wattlab.systems.wireless import (
    Drop,
    RisConfig,
    RisModel,
    alternating_optimisation,
    draw_channels,
    random_search,
)
from wattlab.systems.wireless._common import jakes_correlation


def _setup(cfg=None, batch=8, seed=0, params=None):
    cfg = cfg or RisConfig()
    m = RisModel(cfg, params)
    rng = np.random.default_rng(seed)
    drop = Drop.random(cfg, m.phy, rng)
    return m, drop, draw_channels(cfg, m.phy, drop, rng, batch)


def test_jakes_kernel():
    assert jakes_correlation(np.array(0.0)) == pytest.approx(1.0)
    # first zero of J0(2π x) at x = 2.4048 / (2π) = 0.3827 wavelengths
    assert abs(jakes_correlation(np.array(0.3827))) < 1e-3


def test_port_correlation_follows_jakes():
    cfg = RisConfig(n_ports=8)
    _m, drop, ch = _setup(cfg, batch=4000)
    h = ch.hd[:, 0, :] / np.sqrt(np.mean(np.abs(ch.hd[:, 0, :]) ** 2, axis=0))
    emp = np.real(np.mean(h[:, 0] * np.conj(h[:, 1])))
    want = float(jakes_correlation(np.array(drop.ports[1] - drop.ports[0])))
    assert emp == pytest.approx(want, abs=0.06)


def test_single_link_rate_matches_shannon():
    """No RIS (a = 0), one antenna, one DL user, no uplink: rate = B log2(1 + p|h|²/σ²)."""
    cfg = RisConfig(n_antennas=1, n_ports=1, n_dl=1, n_ul=1, n_positions=1)
    m, _, ch = _setup(cfg, batch=5)
    a = m.default_action(5)
    a.amp[:] = 0.0
    a.p_ul[:] = 0.0
    met = m.evaluate(ch, a)
    p = m.phy.p_bs_max
    want = m.phy.bandwidth * np.log2(1 + p * np.abs(ch.hd[:, 0, 0]) ** 2 / m.phy.noise)
    assert np.allclose(met.rate_dl, want, rtol=1e-9)
    assert np.allclose(met.rate_ul, 0.0)


def test_batch_rows_are_independent():
    m, _, ch = _setup(batch=6)
    rng = np.random.default_rng(1)
    a = m.action(rng.integers(0, m.cfg.n_discrete, 6), rng.uniform(-1, 1, (6, m.cfg.n_continuous)))
    full = m.evaluate(ch, a).ee
    one = [m.evaluate(ch, a.take(np.array([i])), np.array([i])).ee[0] for i in range(6)]
    assert np.allclose(full, one)


def test_conventional_ris_is_passive_and_free_of_amplifier_power():
    m, _, ch = _setup(RisConfig(ris="conventional"), batch=4)
    a = m.action(np.zeros(4, int), np.ones((4, m.cfg.n_continuous)))
    assert np.all(a.amp == 1.0) and np.all(a.rho == 0.0)
    met = m.evaluate(ch, a)
    assert np.allclose(met.p_ris, m.cfg.n_elements * m.phy.p_sw)
    assert np.all(met.p_eh == 0)


def test_harvesting_reduces_net_power():
    m, _, ch = _setup(batch=4)
    a = m.default_action(4)
    a0 = m.evaluate(ch, a)
    a.rho[:] = m.phy.rho_max
    a1 = m.evaluate(ch, a)
    assert np.all(a1.p_eh > 0) and np.all(a0.p_eh == 0)


def test_alternating_optimisation_beats_default_and_random_search():
    m, _, ch = _setup(batch=6)
    default = m.evaluate(ch, m.default_action(6)).score
    ao = alternating_optimisation(m, ch, np.random.default_rng(0), starts=1)
    rs = random_search(m, ch, np.random.default_rng(0), budget=ao.evaluations)
    assert np.all(ao.score >= default - 1e-12)
    assert ao.score.mean() > rs.score.mean()
    # the returned score is the score of the returned action
    assert np.allclose(m.evaluate(ch, ao.action).score, ao.score)


def test_rigid_array_uses_fixed_ports():
    m, _, ch = _setup(RisConfig(fluid=False), batch=3)
    assert m.cfg.n_discrete == m.cfg.n_positions
    sol = alternating_optimisation(m, ch, np.random.default_rng(0), starts=1, sweeps=1)
    assert np.all(sol.action.ports == np.arange(m.cfg.n_antennas))


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"n_ports": 1, "n_antennas": 2}, "n_ports"),
        ({"n_elements": 0}, "n_elements"),
        ({"ris": "magic"}, "ris"),
    ],
)
def test_bad_config(kwargs, field):
    with pytest.raises(SpecError, match=field):
        RisConfig(**kwargs)


def test_bad_variant_geometry_and_budget():
    with pytest.raises(SpecError, match="variant"):
        RisConfig().variant("quantum")
    reg = default_registry().with_value("wireless.ris.min_distance", 100.0, "test")
    with pytest.raises(SpecError, match="min_distance"):
        RisModel(RisConfig(), reg)
    with pytest.raises(ParamError, match="p_bs_max"):
        default_registry().with_value("wireless.ris.p_bs_max", -1.0, "test")
    reg = default_registry().with_value("wireless.ris.p_bs_max", 0.0, "test")
    with pytest.raises(SpecError, match="p_bs_max"):
        RisModel(RisConfig(), reg)


def test_qos_score_orders_feasible_above_infeasible():
    m, _, ch = _setup(batch=4)
    a = m.default_action(4)
    a.p_dl[:] = 0.0  # DL users get nothing: infeasible
    met = m.evaluate(ch, a)
    assert not met.feasible.any() and np.all(met.score < 0)
    assert math.isfinite(float(met.ee.mean()))
