import copy

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from wattlab.errors import SpecError
from wattlab.systems.moe.moefy import balanced_kmeans, moefy, set_top_k


@pytest.fixture(scope="module")
def dense():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=50, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2)
    return LlamaForCausalLM(cfg).eval()


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 1000), st.sampled_from([2, 4, 8]))
def test_balanced_kmeans_gives_equal_clusters(seed, k):
    rng = np.random.default_rng(seed)
    labels = balanced_kmeans(rng.normal(size=(32, 5)), k, rng)
    assert np.bincount(labels, minlength=k).tolist() == [32 // k] * k


def test_unequal_split_is_a_spec_error():
    with pytest.raises(SpecError):
        balanced_kmeans(np.zeros((10, 2)), 3, np.random.default_rng(0))


@pytest.mark.parametrize("shared", [0.0, 0.25])
def test_all_experts_reproduce_the_dense_model(dense, shared):
    ids = torch.randint(0, 50, (1, 40), generator=torch.Generator().manual_seed(0))
    moe = copy.deepcopy(dense)
    info = moefy(moe, ids, 8, 8, np.random.default_rng(0), shared_fraction=shared)
    assert info.shared_ffn + 8 * info.expert_ffn == 64
    assert (info.shared_ffn > 0) == (shared > 0)
    with torch.no_grad():
        assert torch.allclose(moe(ids).logits, dense(ids).logits, atol=1e-5)
        set_top_k(moe, 2)
        assert not torch.allclose(moe(ids).logits, dense(ids).logits, atol=1e-3)


def test_fitted_router_beats_a_random_router(dense):
    """The fitted router's top-k carries more activation mass than a random top-k."""
    from torch.nn import functional as F

    from wattlab.systems.moe.moefy import mlp_inputs

    ids = torch.randint(0, 50, (1, 200), generator=torch.Generator().manual_seed(1))
    x = mlp_inputs(dense, ids)[0]
    moe = copy.deepcopy(dense)
    moefy(moe, ids, 8, 2, np.random.default_rng(0))
    m = moe.model.layers[0].mlp
    with torch.no_grad():
        gate = torch.einsum("nd,edm->nem", x, m.w_gate)
        act = (F.silu(gate) * torch.einsum("nd,edm->nem", x, m.w_up)).abs()
        mass = torch.einsum("nem,em->ne", act, m.w_down.norm(dim=2))
        idx, _ = m.route(x)
        routed = mass.gather(1, idx).sum(1).mean()
        other = torch.randint(0, 8, idx.shape, generator=torch.Generator().manual_seed(2))
        rand = mass.gather(1, other).sum(1).mean()
    assert routed > 1.2 * rand


def test_bad_top_k_is_a_spec_error(dense):
    with pytest.raises(SpecError):
        moefy(copy.deepcopy(dense), torch.zeros(1, 8, dtype=torch.long), 4, 5, np.random.default_rng(0))


def test_bad_shared_fraction_is_a_spec_error(dense):
    with pytest.raises(SpecError):
        moefy(copy.deepcopy(dense), torch.zeros(1, 8, dtype=torch.long), 4, 2, np.random.default_rng(0),
              shared_fraction=1.0)
