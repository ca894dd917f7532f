"""ASN/NASN (reconstructed) and the reconstructed MSTS allocator."""

import pytest
import torch

from wattlab.errors import SpecError
from wattlab.substrates.spiking.asn import ASN, SpikingMLP, deploy, fold_norm, train
from wattlab.substrates.spiking.msts import allocate


def _toy(variant, seed=0):
    torch.manual_seed(seed)
    x = torch.rand(96, 12)
    y = (x[:, :6].sum(1) > x[:, 6:].sum(1)).long()
    net = SpikingMLP([12, 24, 24, 2], variant, timesteps=3, levels=3)
    train(net, x, y, steps=30, batch=32, seed=seed)
    return net, x, y


@pytest.mark.parametrize("variant", ["lif", "asn", "nasn"])
def test_expanded_spikes_bit_identical_to_integer_network(variant):
    net, x, _ = _toy(variant)
    integer = deploy(net, x, expand=None)
    rate = deploy(net, x, expand="rate")
    assert torch.equal(integer.logits, rate.logits)
    assert rate.spikes == integer.spikes  # rate expansion: spikes = sum of S
    if variant != "lif":
        bits = deploy(net, x, expand="bitwise")  # D=3 -> 2 bitwise spikes per level
        assert torch.equal(integer.logits, bits.logits)
        assert bits.spikes <= rate.spikes


def test_ste_gradients_and_parameter_ranges():
    neu = ASN(5, levels=3)
    x = (torch.randn(4, 7, 5) * 2).requires_grad_()
    out = neu(x)
    out.sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape and float(x.grad.abs().sum()) > 0
    assert neu.a.grad is not None and neu.b.grad is not None
    assert bool(((neu.alpha > 0) & (neu.alpha < 1)).all()) and bool((neu.theta > 0).all())
    s, _th = neu.integer_forward(x.detach())
    assert torch.equal(s, s.round()) and int(s.min()) >= 0 and int(s.max()) <= 3


def test_nasn_folds_into_thresholds():
    net, x, _ = _toy("nasn")
    folded = fold_norm(net)
    assert all(n.norm is None for n in folded.neurons)
    a, b = net.activity(x), folded.activity(x)
    same = sum(int((p == q).sum()) for p, q in zip(a, b, strict=True))
    assert same / sum(p.numel() for p in a) > 0.999  # float rounding may flip a boundary
    assert torch.allclose(net(x), folded(x), atol=1e-4)


def test_nasn_firing_is_invariant_to_input_scale():
    neu = ASN(6, norm=True).eval()
    with torch.no_grad():  # running stats from a batch, then frozen
        neu.train()
        x = torch.randn(3, 50, 6)
        neu(x)
        neu.train()
        s1, _ = neu.integer_forward(x)
        s2, _ = neu.integer_forward(4 * x)  # batch statistics absorb the scale
    assert torch.equal(s1, s2)


def test_bad_variant_and_bitwise_levels():
    with pytest.raises(SpecError, match="variant"):
        SpikingMLP([2, 3, 2], "relu")
    net = SpikingMLP([4, 5, 2], "asn", levels=4)
    with pytest.raises(SpecError, match="power of two"):
        deploy(net, torch.rand(2, 4), expand="bitwise")


def test_greedy_allocation():
    curves = {"vision": {2: 1.0, 3: 0.5, 4: 0.25}, "text": {2: 1.0, 3: 0.3, 4: 0.2}}
    tokens = {"vision": 300, "text": 100}
    # one extra step fits for either; per token-step text gains far more
    alloc = allocate(curves, tokens, 2 * 400 + 100, {"vision": 1.0, "text": 1.0})
    assert alloc == {"vision": 2, "text": 3}
    big = allocate(curves, tokens, 10_000)
    assert big == {"vision": 4, "text": 4}
    with pytest.raises(SpecError, match="below the minimum"):
        allocate(curves, tokens, 100)
