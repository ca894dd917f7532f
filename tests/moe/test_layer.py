import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from wattlab.errors import SpecError
from wattlab.systems.moe.bitslice import msb_dequantized, quantize, split
from wattlab.systems.moe.layer import MoEFFN


@given(st.integers(0, 7), st.lists(st.integers(-127, 127), min_size=1, max_size=64))
def test_bit_slices_recombine_exactly(lo_bits, values):
    q = torch.tensor(values, dtype=torch.float64)
    hi, lo = split(q, lo_bits)
    assert torch.equal(hi * 2 ** lo_bits + lo, q)
    assert lo.abs().max() <= 2 ** lo_bits / 2  # rounded MSB: residual within half a step


def test_msb_only_weights_error_bounded_by_half_a_slice_step():
    w = torch.randn(3, 16, 8, generator=torch.Generator().manual_seed(0))
    _, scale = quantize(w)
    err = (msb_dequantized(w, 4) - w).abs()
    # int8 rounding (half an LSB) plus MSB rounding (half of 2**4 LSBs)
    assert (err <= scale * (0.5 + 8) + 1e-6).all()
    assert (msb_dequantized(w, 8) - w).abs().max() <= scale.max() * 0.5 + 1e-6


@pytest.mark.parametrize("e,k", [(4, 5), (4, 0), (0, 1)])
def test_bad_routing_is_a_spec_error(e, k):
    with pytest.raises(SpecError):
        MoEFFN(8, 4, e, k)


def test_top_all_with_unit_combine_is_the_sum_of_every_expert():
    torch.manual_seed(0)
    m = MoEFFN(8, 4, 4, 4, combine="ones")
    x = torch.randn(5, 8)
    with torch.no_grad():
        want = sum(m.expert(e, x) for e in range(4))
        assert torch.allclose(m(x), want, atol=1e-6)


def test_hot_mask_restricts_routing():
    torch.manual_seed(1)
    m = MoEFFN(8, 4, 6, 2)
    m.allowed = torch.tensor([True, False, True, False, False, False])
    idx, w = m.route(torch.randn(20, 8))
    assert set(np.unique(idx.numpy())) <= {0, 2}
    assert torch.allclose(w.sum(-1), torch.ones(20))


def test_fused_hot_set_equals_routing_over_the_hot_experts():
    torch.manual_seed(2)
    m = MoEFFN(8, 4, 6, 3, combine="ones")
    m.set_shared(torch.randn(8, 2), torch.randn(8, 2), torch.randn(2, 8))
    x = torch.randn(7, 8)
    m.allowed = torch.tensor([True, False, True, True, False, False])
    with torch.no_grad():
        fused = m(x)
        m.trace = []  # tracing takes the routed path
        routed = m(x)
        assert torch.allclose(fused, routed, atol=1e-6)
        assert m.trace[0].shape == (7, 3)
        m.weight_bits = 4
        assert not torch.allclose(m(x), routed, atol=1e-6)
