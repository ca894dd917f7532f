"""Cell-free delay-deterministic reconstruction: path loss, closed forms, LP, effective capacity."""

import math

import numpy as np
import pytest

from wattlab.errors import SpecError
from wattlab.systems.wireless import cellfree as cf


@pytest.fixture(scope="module")
def setup():
    cfg = cf.CellFreeConfig(mc_slots=150)
    phy = cf.CellFreePhysics.from_params()
    return cfg, phy, cf.drop(cfg, phy, np.random.default_rng(0))


def test_umi_path_loss_formula(setup):
    _, phy, _ = setup
    # TR 38.901 UMi NLoS at 100 m, 2 GHz, h_UT 1.5 m: 22.4 + 35.3*2 + 21.3*log10(2)
    assert float(phy.path_loss_db(np.array(100.0))) == pytest.approx(22.4 + 70.6 + 21.3 * math.log10(2))


def test_lp_meets_floors_at_least_power(setup):
    cfg, phy, sc = setup
    num, A, b = cf.mr_coefficients(sc, phy)
    floors = np.full(cfg.n_ues, 0.3)
    p = cf._lp(num, A, b, floors, phy.v["p_ue_max"])
    sinr = cf.sinr_mr(sc, phy, p)
    assert np.all(sinr >= floors * (1 - 1e-6))
    assert np.allclose(sinr, floors, rtol=1e-4)  # minimum power: every floor tight


def test_max_min_equalises_sinr(setup):
    _, phy, sc = setup
    t, p = cf.max_min_sinr(sc, phy)
    s = cf.sinr_mr(sc, phy, p)
    assert s.min() == pytest.approx(t, rel=2e-3)
    assert np.all(p <= phy.v["p_ue_max"] * (1 + 1e-9))


def test_effective_capacity_limits():
    s = np.full((500, 2), 1000.0)
    assert np.allclose(cf.effective_capacity(s, 1e-3), 1000.0)
    rng = np.random.default_rng(0)
    v = rng.exponential(1000.0, (20000, 1))
    ec_small, ec_big = cf.effective_capacity(v, 1e-7), cf.effective_capacity(v, 1e-2)
    assert ec_small[0] == pytest.approx(v.mean(), rel=1e-3)
    # exponential service with mean mu: EC(theta) = ln(1 + theta mu) / theta
    assert ec_big[0] == pytest.approx(math.log(1 + 1e-2 * 1000.0) / 1e-2, rel=0.03)


def test_optimiser_meets_delay_targets(setup):
    cfg, phy, sc = setup
    a = cf.optimise(sc, cfg, phy, np.random.default_rng(1))
    assert a.satisfied.mean() >= 0.75
    assert np.all(a.violation[a.satisfied] <= phy.v["violation_target"])
    assert a.energy_per_bit > 0


def test_infeasible_delay_target_names_the_user(setup):
    cfg, _, sc = setup
    phy = cf.CellFreePhysics.from_params(arrival_rate=5e8)
    with pytest.raises(SpecError, match=r"delay target infeasible for user \d"):
        cf.optimise(sc, cfg, phy, np.random.default_rng(0))


def test_bad_parameters():
    with pytest.raises(SpecError, match="violation_target"):
        cf.CellFreePhysics.from_params(violation_target=2.0)
    with pytest.raises(SpecError, match="delay_bound"):
        cf.CellFreePhysics.from_params(delay_bound=-1.0)
    with pytest.raises(SpecError, match="n_aps"):
        cf.CellFreeConfig(n_aps=0)


def test_mmse_beats_mr_per_slot(setup):
    _, phy, sc = setup
    p = np.full(sc.beta.shape[1], 0.01)
    mr = cf.slot_sinr(sc, phy, p, np.random.default_rng(0), 100, "mr")
    mmse = cf.slot_sinr(sc, phy, p, np.random.default_rng(0), 100, "mmse")
    assert np.all(mmse.mean(0) >= mr.mean(0) * 0.999)


def test_cvae_sampler_runs(setup):
    pytest.importorskip("torch", reason="the conditional VAE needs torch")
    cfg, phy, _ = setup
    rng = np.random.default_rng(2)
    data = cf.make_dataset(cfg, phy, rng, 20)
    gen = cf.CvaeAllocator(data.features.shape[1], cfg.n_ues).fit(data, epochs=30)
    sc = cf.drop(cfg, phy, rng)
    a = gen.allocate(sc, cfg, phy, rng, samples=4)
    assert a.power.shape == (cfg.n_ues,) and np.all(a.power <= phy.v["p_ue_max"])
    assert gen.losses[-1] < gen.losses[0]


def test_labels_give_up_on_impossible_targets():
    cfg = cf.CellFreeConfig(mc_slots=50)
    phy = cf.CellFreePhysics.from_params(arrival_rate=5e8)
    with pytest.raises(SpecError, match="delay target"):
        cf.make_dataset(cfg, phy, np.random.default_rng(0), 2)
