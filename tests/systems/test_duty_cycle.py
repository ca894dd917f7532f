"""FPGA duty-cycling model: configuration time, closed forms, event simulation, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattlab.errors import SpecError
from wattlab.params import default_registry
from wattlab.systems.fpga_idle import (
    IDLE_WAITING,
    ON_OFF,
    Arrivals,
    ConfigModel,
    ConfigSettings,
    NodeModel,
    Policy,
    hybrid,
    infer_preset,
    items_ratio,
    period_for_lifetime,
    period_for_ratio,
    simulate,
)

P = default_registry()
BASE = NodeModel(e_cfg=5e-3, t_cfg=10e-3, e_inf=4e-6, t_inf=60e-6, p_idle=10e-3)

models = st.builds(
    NodeModel,
    e_cfg=st.floats(1e-4, 1.0), t_cfg=st.floats(1e-4, 0.05), e_inf=st.floats(0, 1e-3),
    t_inf=st.floats(1e-6, 1e-3), p_idle=st.floats(1e-3, 0.5), p_off=st.floats(0, 1e-4),
    p_base=st.floats(0, 1e-2),
)


# -- configuration model ------------------------------------------------------------------------
def test_config_time_matches_hand_computation() -> None:
    cm = ConfigModel(bitstream_bits=4_310_752, overhead_s=0.0, static_power_w=0.1,
                     energy_per_bit_j=0.0)
    # B / (w f): x1 at 3 MHz and x4 at 66 MHz, by hand
    assert cm.time_s(ConfigSettings(1, 3e6)) == pytest.approx(4_310_752 / 3e6, rel=1e-12)
    assert cm.time_s(ConfigSettings(4, 66e6, 0.5)) == pytest.approx(2_155_376 / 264e6, rel=1e-12)
    assert cm.energy_j(ConfigSettings(1, 3e6)) == pytest.approx(0.1 * 1.4369173, rel=1e-6)


def test_config_presets_come_from_the_registry() -> None:
    d, o = ConfigSettings.default(P), ConfigSettings.optimised(P)
    assert (d.bus_width, d.cclk_hz, d.compression) == (1, 3e6, 1.0)
    assert (o.bus_width, o.cclk_hz) == (4, 66e6)
    cm = ConfigModel.from_params(P)
    cost = cm.cost(o, P)
    assert cost.energy_total_j == pytest.approx(cm.energy_j(o), rel=1e-12)
    assert cost.latency_s == pytest.approx(cm.time_s(o))
    assert "idle_waiting.bitstream_bits" in cost.sources


@given(w=st.sampled_from([1, 2, 4]), f=st.floats(1e6, 1e8), c=st.floats(0.05, 1.0))
def test_each_optimisation_reduces_configuration_energy(w: int, f: float, c: float) -> None:
    cm = ConfigModel.from_params(P)
    s = ConfigSettings(w, f, c)
    assert cm.energy_j(ConfigSettings(w, f * 1.5, c)) < cm.energy_j(s)
    assert cm.energy_j(ConfigSettings(w, f, c * 0.5)) < cm.energy_j(s)
    if w < 4:
        assert cm.energy_j(ConfigSettings(w * 2, f, c)) < cm.energy_j(s)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"bus_width": 3, "cclk_hz": 3e6}, "bus_width"),
    ({"bus_width": 1, "cclk_hz": 0.0}, "cclk_hz"),
    ({"bus_width": 1, "cclk_hz": 3e6, "compression": 1.5}, "compression"),
])
def test_bad_config_settings(kwargs: dict, field: str) -> None:
    with pytest.raises(SpecError, match=field):
        ConfigSettings(**kwargs)


# -- closed forms -------------------------------------------------------------------------------
def test_energy_per_request_by_hand() -> None:
    t = 0.1
    assert float(BASE.energy_per_request(t, ON_OFF)) == pytest.approx(5e-3 + 4e-6)
    e_iw = float(BASE.energy_per_request(t, IDLE_WAITING))
    assert e_iw == pytest.approx(4e-6 + 10e-3 * (t - 60e-6))
    assert math.isnan(float(BASE.energy_per_request(5e-3, ON_OFF)))  # cannot keep up
    assert np.isfinite(BASE.energy_per_request(5e-3, IDLE_WAITING))


def test_hybrid_spans_the_two_extremes() -> None:
    t = np.array([0.05, 0.3, 2.0])
    assert np.allclose(BASE.energy_per_request(t, hybrid(0.0)), BASE.energy_per_request(t, ON_OFF))
    assert np.allclose(BASE.energy_per_request(t, hybrid(1e9)),
                       BASE.energy_per_request(t, IDLE_WAITING))


def test_cost_breakdown_matches_energy_per_request() -> None:
    for pol in (ON_OFF, IDLE_WAITING):
        c = BASE.cost(0.04, pol)
        assert c.energy_total_j == pytest.approx(float(BASE.energy_per_request(0.04, pol)))
    assert "fpga_config" in BASE.cost(0.04, ON_OFF).energy_j


@settings(max_examples=60, deadline=None)
@given(m=models)
def test_crossover_closed_form_equals_numeric(m: NodeModel) -> None:
    t_star = m.crossover()
    if t_star <= m.min_period * 1.001:  # On-Off wins wherever it is feasible
        return
    assert m.crossover_numeric() == pytest.approx(t_star, rel=1e-9)
    e_oo = float(m.energy_per_request(t_star, ON_OFF))
    assert e_oo == pytest.approx(float(m.energy_per_request(t_star, IDLE_WAITING)), rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(m=models, k=st.floats(1.01, 10))
def test_crossover_rises_with_config_energy_falls_with_idle_power(m: NodeModel, k: float) -> None:
    assert m.with_(e_cfg=m.e_cfg * k).crossover() > m.crossover()
    assert m.with_(p_idle=m.p_idle * k).crossover() < m.crossover()


@settings(max_examples=60, deadline=None)
@given(m=models)
def test_lifetime_ratio_decreases_with_period(m: NodeModel) -> None:
    t = np.geomspace(m.min_period * 1.01, 10 * max(m.crossover(), m.min_period), 50)
    ratio = m.lifetime(t, 100.0, IDLE_WAITING) / m.lifetime(t, 100.0, ON_OFF)
    assert np.all(np.diff(ratio) < 0)


@settings(max_examples=60, deadline=None)
@given(m=models, g=st.floats(0.0, 10.0))
def test_break_even_timeout_is_two_competitive(m: NodeModel, g: float) -> None:
    """Ski rental: with τ = break-even, any gap costs at most 2× the better of the two."""
    t = m.min_period + g
    h = float(m.energy_per_request(t, hybrid(m.break_even_timeout())))
    best = min(float(m.energy_per_request(t, ON_OFF)), float(m.energy_per_request(t, IDLE_WAITING)))
    assert h <= 2 * best * (1 + 1e-9)


def test_infer_preset_solves_both_claims() -> None:
    p_idle, e_cfg = infer_preset(0.49906, 12.39, 0.04, 3.8e-6, 57e-6)
    m = BASE.with_(p_idle=p_idle, e_cfg=e_cfg, e_inf=3.8e-6, t_inf=57e-6)
    assert m.crossover() == pytest.approx(0.49906, rel=1e-12)
    assert items_ratio(m, 0.04, "equal-period") == pytest.approx(12.39, rel=1e-12)
    with pytest.raises(SpecError, match="no positive idle power"):
        infer_preset(0.49906, 13.0, 0.04, 3.8e-6, 57e-6)


def test_items_modes() -> None:
    r = items_ratio(BASE, 0.04, "equal-period")
    assert r == pytest.approx(float(BASE.lifetime(0.04, 1.0, IDLE_WAITING)
                                    / BASE.lifetime(0.04, 1.0, ON_OFF)))
    slow_cfg = BASE.with_(e_cfg=0.25, t_cfg=1.4)
    assert items_ratio(BASE, 2.0, "default-config", on_off_default=slow_cfg) > \
        items_ratio(BASE, 2.0, "equal-period")
    assert math.isnan(items_ratio(BASE, 0.04, "default-config", on_off_default=slow_cfg))
    assert items_ratio(BASE, 0.04, "max-rate") == pytest.approx((5e-3 + 4e-6) / 4e-6)
    t = period_for_ratio(BASE, 2.0)
    assert items_ratio(BASE, t, "equal-period") == pytest.approx(2.0)
    with pytest.raises(SpecError, match="mode"):
        items_ratio(BASE, 0.04, "equal-energy")  # type: ignore[arg-type]
    with pytest.raises(SpecError, match="on_off_default"):
        items_ratio(BASE, 0.04, "default-config")


@settings(max_examples=60, deadline=None)
@given(m=models, hours=st.floats(0.01, 1e4), pol=st.sampled_from([ON_OFF, IDLE_WAITING]))
def test_period_for_lifetime_inverts_lifetime(m: NodeModel, hours: float, pol: Policy) -> None:
    budget, d = 1000.0, hours * 3600
    t = period_for_lifetime(m, pol, budget, d)
    if math.isnan(t):  # even an idle node would not last: power floor too high
        assert budget <= d * (m.p_base + (m.p_idle if pol is IDLE_WAITING else m.p_off))
        return
    life = float(m.lifetime(t, budget, pol))
    fastest = t == (m.min_period if pol is ON_OFF else m.t_inf)
    assert life == pytest.approx(d, rel=1e-9) or (fastest and life >= d * (1 - 1e-9))
    with pytest.raises(SpecError, match="only On-Off"):
        period_for_lifetime(m, hybrid(0.1), budget, d)


# -- event simulation ---------------------------------------------------------------------------
@pytest.mark.parametrize("policy", [ON_OFF, IDLE_WAITING, hybrid(0.2)])
@pytest.mark.parametrize("period", [0.04, 0.3, 1.5])
def test_event_sim_matches_analytic_lifetime(policy: Policy, period: float) -> None:
    budget = 5.0
    r = simulate(BASE, policy, Arrivals("fixed", period), budget, np.random.default_rng(0))
    analytic = float(BASE.lifetime(period, budget, policy))
    # the sim starts unconfigured at t = 0 and dies mid-period: within one period + one config
    e = float(BASE.energy_per_request(period, policy))
    assert abs(r.lifetime_s - analytic) <= period * (1 + BASE.e_cfg / e) + 1e-9
    assert abs(r.items - budget / e) <= 1 + BASE.e_cfg / e
    assert r.depleted


@pytest.mark.parametrize("policy", [ON_OFF, IDLE_WAITING, hybrid(0.02)])
@pytest.mark.parametrize("kind", ["fixed", "exponential", "uniform"])
def test_vectorised_schedule_equals_event_loop(policy: Policy, kind: str) -> None:
    arr = Arrivals(kind, 0.03, spread=0.9)  # type: ignore[arg-type]
    a = simulate(BASE, policy, arr, 2.0, np.random.default_rng(7), chunk=500)
    b = simulate(BASE, policy, arr, 2.0, np.random.default_rng(7), chunk=500, force_loop=True)
    assert b.vectorised_chunks == 0
    assert a.items == b.items
    assert a.lifetime_s == pytest.approx(b.lifetime_s, rel=1e-12)
    for k in a.ledger_j:
        assert a.ledger_j[k] == pytest.approx(b.ledger_j[k], rel=1e-9, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(m=models, mean=st.floats(1e-3, 1.0), seed=st.integers(0, 2**32 - 1),
       kind=st.sampled_from(["fixed", "exponential", "uniform"]),
       tau=st.sampled_from([0.0, 0.05, math.inf]))
def test_energy_is_conserved(m: NodeModel, mean: float, seed: int, kind: str, tau: float) -> None:
    pol = Policy("p", tau)
    budget = 100 * float(m.energy_per_request(max(mean, m.min_period), pol))
    r = simulate(m, pol, Arrivals(kind, mean), budget,  # type: ignore[arg-type]
                 np.random.default_rng(seed), max_requests=20_000)
    assert sum(r.ledger_j.values()) == pytest.approx(budget - r.remaining_j, rel=1e-9)
    assert r.remaining_j >= 0 and (r.remaining_j == 0) == r.depleted
    assert all(v >= 0 for v in r.ledger_j.values())
    assert np.all(np.diff(r.trace_t) >= 0) and np.all(np.diff(r.trace_e) <= 1e-12)
    assert r.trace_e[0] == budget
    if r.depleted:
        assert r.trace_e[-1] == 0.0 and r.trace_t[-1] == r.lifetime_s


def test_on_off_with_queueing_skips_reconfiguration() -> None:
    """Poisson arrivals faster than On-Off can serve: queued requests reuse the configuration."""
    r = simulate(BASE, ON_OFF, Arrivals("exponential", 0.005), 1.0, np.random.default_rng(1))
    assert r.loop_chunks > 0
    n_cfg = r.ledger_j["config"] / BASE.e_cfg
    assert n_cfg < 0.9 * r.items


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("call", "field"), [
    (lambda: BASE.energy_per_request([0.1, -1.0], ON_OFF), "period"),
    (lambda: BASE.energy_per_request(0.0, ON_OFF), "period"),
    (lambda: BASE.lifetime(0.1, -5.0, ON_OFF), "budget_j"),
    (lambda: BASE.with_(p_idle=-1e-3), "p_idle"),
    (lambda: BASE.with_(p_off=float("nan")), "p_off"),
    (lambda: BASE.with_(t_inf=0.0), "t_inf"),
    (lambda: Policy("x", -1.0), "timeout_s"),
    (lambda: Arrivals("fixed", 0.0), "mean_s"),
    (lambda: Arrivals("poisson", 0.1), "kind"),  # type: ignore[arg-type]
    (lambda: simulate(BASE, ON_OFF, Arrivals("fixed", 0.1), -1.0, np.random.default_rng()),
     "budget_j"),
    (lambda: period_for_ratio(BASE, 0.5), "ratio"),
])
def test_bad_input_names_the_field(call, field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError, match=field):
        call()


@pytest.mark.parametrize("e_cfg", [0.0, 0.1])
def test_zero_power_node_is_rejected(e_cfg: float) -> None:
    """Nothing but (at most) the first configuration costs energy: the budget is never spent."""
    m = NodeModel(e_cfg=e_cfg, t_cfg=1e-3, e_inf=0.0, t_inf=1e-3, p_idle=0.0)
    with pytest.raises(SpecError, match="zero power"):
        simulate(m, IDLE_WAITING, Arrivals("fixed", 0.1), 1.0, np.random.default_rng(), chunk=100)
