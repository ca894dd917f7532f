import numpy as np
import pytest

from wattlab.errors import SpecError
from wattlab.params import default_registry
from wattlab.systems.moe.elastic import DecodeModel, ExpertCache, Stack, elastic_sd, union_experts
from wattlab.systems.moe.serving import moe_model


@pytest.fixture(scope="module")
def model():
    p = default_registry()
    shape = moe_model(p)
    return DecodeModel(shape, Stack.from_params(p), np.full(shape.experts, 1 / shape.experts))


@pytest.mark.parametrize("n", [1, 3, 10, 40])
def test_union_matches_the_uniform_formula_and_monte_carlo(n):
    e, k = 16, 2
    want = e * (1 - (1 - k / e) ** n)
    assert union_experts(n, np.full(e, 1 / e), k) == pytest.approx(want)
    rng = np.random.default_rng(0)
    picks = np.array([[len(set(rng.choice(e, (n, k)).ravel().tolist()))] for _ in range(3000)])
    # with-replacement Monte Carlo matches the independent-slot model within sampling error
    assert picks.mean() == pytest.approx(e * (1 - (1 - 1 / e) ** (n * k)), rel=0.02)


def test_no_free_lunch_when_drafts_are_always_rejected(model):
    assert elastic_sd(model, 1, 0.0, 4, 0.5).speedup < 1
    assert elastic_sd(model, 1, 0.9, 4, 0.5).speedup > elastic_sd(model, 1, 0.5, 4, 0.5).speedup


def test_gains_grow_with_the_cache_hit_rate(model):
    lo, hi = elastic_sd(model, 4, 0.8, 4, 0.1), elastic_sd(model, 4, 0.8, 4, 0.9)
    assert hi.speedup > lo.speedup and hi.energy_gain > lo.energy_gain
    with pytest.raises(SpecError):
        elastic_sd(model, 4, 0.8, 0, 0.5)
    with pytest.raises(SpecError):
        elastic_sd(model, 4, 0.8, 2, 1.5)


def test_lru_cache_counts_hits_and_evicts_the_oldest():
    c = ExpertCache(1, 4, 2, "lru")  # starts with experts 0, 1
    c.access(0, [0, 2])  # hit 0, miss 2 -> evicts 1
    c.access(0, [1])  # miss -> evicts 0
    assert (c.hits, c.misses) == (1, 2)
    assert c.hot_masks()[0].tolist() == [False, True, True, False]


def test_frozen_cache_never_changes_and_bad_capacity_fails():
    frozen = np.array([[True, False, True, False]])
    c = ExpertCache(1, 4, 2, "frozen", frozen)
    c.access(0, [1, 3, 0])
    assert c.hot_masks()[0].tolist() == frozen[0].tolist()
    assert c.hit_rate == pytest.approx(1 / 3)
    with pytest.raises(SpecError):
        ExpertCache(1, 4, 0)


def test_simulated_hit_rate_is_capacity_share_for_uniform_single_expert_passes():
    from wattlab.systems.moe.elastic import simulate_hit_rate

    rng = np.random.default_rng(0)
    h = simulate_hit_rate(np.full(20, 0.05), 1, 1, 5, rng, passes=4000)
    assert h == pytest.approx(0.25, abs=0.03)  # LRU under uniform single accesses: capacity / experts
    skewed = np.array([0.5, 0.3] + [0.2 / 18] * 18)
    assert simulate_hit_rate(skewed, 1, 1, 5, rng, passes=2000) > 0.7
