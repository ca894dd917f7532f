import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from wattlab.errors import SpecError
from wattlab.params import default_registry
from wattlab.systems.moe import calibrate as cal
from wattlab.systems.moe import serving as sv
from wattlab.systems.moe.devices import Engine, m2max
from wattlab.systems.moe.layer import MoEFFN
from wattlab.systems.moe.planner import Op, assign, brute_force, choose_resident
from wattlab.systems.moe.runtime import pack, run_layer
from wattlab.systems.moe.tiers import choose_tiers, tier_cost
from wattlab.workloads.llm import expert_bytes


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), tiers=st.lists(st.integers(1, 12), min_size=1, max_size=3),
       group=st.integers(1, 4), res_bits=st.integers(0, 63), n=st.integers(1, 40), shared=st.booleans())
def test_tiered_grouped_execution_equals_the_reference(seed, tiers, group, res_bits, n, shared):
    torch.manual_seed(seed)
    m = MoEFFN(16, 8, 6, 2)
    if shared:
        m.set_shared(torch.randn(16, 4), torch.randn(16, 4), torch.randn(4, 16))
    x = torch.randn(n, 16)
    resident = np.array([(res_bits >> i) & 1 for i in range(6)], dtype=bool)
    with torch.no_grad():
        out, plan = run_layer(m, x, tiers, resident, group)
        ref = m(x)
    assert torch.allclose(out, ref, atol=1e-5)
    # every (token, slot) assignment served exactly once, by one path
    assert plan.on_npu.sum() + plan.fallback_rows == n * 2
    assert plan.padded_rows >= plan.on_npu.sum()
    caps = sorted(set(tiers))
    idx, _ = m.route(x)
    counts = np.bincount(idx.numpy().reshape(-1), minlength=6)
    cap = np.array([min([c for c in caps if c >= k] or [caps[-1]]) for k in counts])
    want = sum(-(-int((resident & (counts > 0) & (cap == c)).sum()) // group) for c in caps)
    assert plan.dispatches == want


def test_nothing_resident_means_everything_falls_back_exactly():
    torch.manual_seed(0)
    m = MoEFFN(8, 4, 4, 2)
    x = torch.randn(10, 8)
    with torch.no_grad():
        out, plan = run_layer(m, x, (4,), np.zeros(4, dtype=bool), 2)
        assert torch.allclose(out, m(x), atol=1e-6)
    assert plan.dispatches == 0 and plan.fallback_rows == 20


@pytest.mark.parametrize("tiers", [(0,), (4, 0), (), (2.5,)])
def test_bad_tier_is_a_spec_error(tiers):
    with pytest.raises(SpecError):
        pack(np.zeros((2, 1), dtype=int), 2, tiers, np.ones(2, dtype=bool), 1)


def test_tier_dp_matches_brute_force():
    rng = np.random.default_rng(0)
    n = rng.poisson(12, size=300) * rng.integers(0, 3, 300)
    best = choose_tiers(n, 3, 4, 1.0, 2.5, lam=3.0)
    cands = sorted(set((np.maximum(np.ceil(n[n > 0] / 4), 1) * 4).astype(int)))
    bf = min(tier_cost(n, c, 1.0, 2.5, 3.0) for m in (1, 2, 3) for c in itertools.combinations(cands, m))
    assert tier_cost(n, best, 1.0, 2.5, 3.0) == pytest.approx(bf)


def _devices(rng):
    def dev(name, static):
        return Engine(name, rng.uniform(1, 10), 1.0, rng.uniform(1, 10), rng.uniform(0, 1),
                      rng.uniform(1, 10), static)
    return {"npu": dev("npu", True), "gpu": dev("gpu", False), "cpu": dev("cpu", False)}


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n_ops=st.integers(1, 5), objective=st.sampled_from(["energy", "latency"]))
def test_viterbi_placement_matches_brute_force(seed, n_ops, objective):
    rng = np.random.default_rng(seed)
    ops = [Op(f"op{i}", rng.uniform(0, 20), rng.uniform(0, 20), static=bool(rng.integers(0, 2)))
           for i in range(n_ops)]
    devs = _devices(rng)
    a = assign(ops, devs, 0.3, 0.5, objective)
    b = brute_force(ops, devs, 0.3, 0.5, objective)
    key = "energy_j" if objective == "energy" else "latency_s"
    assert getattr(a, key) == pytest.approx(getattr(b, key))
    assert all(not devs[d].static_only or op.static for d, op in zip(a.devices, ops, strict=False))


def test_residency_keeps_the_most_popular_within_budget():
    mask = choose_resident(np.array([0.1, 0.4, 0.2, 0.3]), 10.0, 25.0)
    assert mask.tolist() == [False, True, False, True]
    with pytest.raises(SpecError):
        choose_resident(np.ones(4) / 4, 10.0, 9.0)


def test_offloading_pays_only_past_the_dispatch_break_even():
    """A frugal NPU with a costly dispatch wins once enough rows amortise it: NPU energy
    n*e_npu + E_disp,npu equals the GPU's n*e_gpu + E_disp,gpu at the closed-form n*."""
    npu = Engine("npu", 10.0, 1.0, 1e9, 1.0, 1.0, True)
    gpu = Engine("gpu", 10.0, 1.0, 1e9, 0.01, 5.0, False)
    e_npu, e_gpu = npu.power_w / npu.peak_ops, gpu.power_w / gpu.peak_ops
    n_star = (npu.power_w * npu.dispatch_s - gpu.power_w * gpu.dispatch_s) / (e_gpu - e_npu)
    for n, want in ((n_star * 0.9, "gpu"), (n_star * 1.1, "npu")):
        place = assign([Op("experts", n, 0.0, static=True)], {"npu": npu, "gpu": gpu}, 0.0, 0.0, "energy")
        assert place.devices == (want,)
    dynamic = assign([Op("experts", 10 * n_star, 0.0)], {"npu": npu, "gpu": gpu}, 0.0, 0.0, "energy")
    assert dynamic.devices == ("gpu",)  # dynamic shapes never go to the static-only NPU


def test_modelled_npumoe_prefill_beats_a_cpu_only_baseline():
    p = default_registry()
    shape = sv.moe_model(p)
    rng = np.random.default_rng(0)
    pop = cal.zipf_popularity(shape.experts, 1.0, rng, 2)
    calib = cal.synthetic_profile(pop, shape.top_k, 256, 4, rng)
    plan = sv.plan_tiers(calib, shape, m2max(p), 2, 4, expert_bytes(shape) * 64)
    ev = cal.synthetic_profile(pop, shape.top_k, 256, 2, rng)
    ours = sv.prefill(ev, shape, p, "npumoe", plan)
    for base in ("cpu", "gpu"):
        speed, gain = sv.ratios(sv.prefill(ev, shape, p, base), ours)
        assert speed > 1 and gain > 1
    # letting the NPU take a static attention core can only help the energy-optimal plan
    e_dyn = sv.prefill(ev, shape, p, "npumoe", plan, "energy").energy_total_j
    e_static = sv.prefill(ev, shape, p, "npumoe", plan, "energy", static_attention=True).energy_total_j
    assert e_static <= e_dyn
    with pytest.raises(SpecError):
        sv.check_plan_inputs((16,), 4, expert_bytes(shape) / 2, shape)


def test_calibration_counts_every_assignment(tiny_model):
    ids = torch.randint(0, 64, (1, 64), generator=torch.Generator().manual_seed(0))
    prof = cal.calibrate(tiny_model, ids, 16)
    assert prof.counts.shape == (2, 4, 8)
    assert (prof.counts.sum(-1) == 16 * 2).all()
    assert np.allclose(prof.popularity.sum(-1), 1.0)
