import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from wattlab.errors import SpecError
from wattlab.params import default_registry
from wattlab.substrates.spiking import (
    KINDS,
    ActivationQuantizer,
    Coding,
    SpikeEnergy,
    SpikingLinear,
    spiking_matmul,
)
from wattlab.workloads.gemm import Gemm


@pytest.mark.parametrize(("kind", "levels", "t"), [
    ("rate", 16, 15), ("bitwise", 16, 4), ("ternary_rate", 16, 7), ("ternary_bitwise", 16, 3),
    ("twos_complement", 16, 4), ("bitwise", 256, 8), ("ternary_bitwise", 32, 4)])
def test_timestep_formulas(kind, levels, t):
    assert t == Coding(kind, levels).T
    assert Coding.for_timesteps(kind, t).levels == levels


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("levels", [4, 8, 16, 32])
def test_every_level_roundtrips_and_lif_matches(kind, levels):
    c = Coding(kind, levels)
    q = torch.arange(c.qmin, c.qmax + 1)
    s = c.encode(q)
    assert s.shape == (c.T, q.numel())
    assert torch.equal(c.decode(s), q)
    assert torch.equal(c.encode_lif(q), s)
    assert c.spike_count(q) == int((s != 0).sum())
    assert c.spike_counts_per_step(q) == [int((st != 0).sum()) for st in s]
    allowed = {-1, 0, 1} if kind.startswith("ternary") else {0, 1}
    assert set(s.unique().tolist()) <= allowed


def test_extra_timesteps_still_exact():
    for kind in KINDS:
        c = Coding(kind, 16, Coding(kind, 16).T + 2)
        q = torch.arange(c.qmin, c.qmax + 1)
        assert torch.equal(c.decode(c.encode(q)), q)


def test_bad_input_errors_name_the_argument():
    with pytest.raises(SpecError, match="not a power of two"):
        Coding("bitwise", 12)
    with pytest.raises(SpecError, match="too small"):
        Coding("rate", 16, 4)
    with pytest.raises(SpecError, match="out of range"):
        Coding("bitwise", 16).encode(torch.tensor([16]))
    with pytest.raises(SpecError, match="calibration"):
        ActivationQuantizer(Coding("rate", 16), "tensor", name="layers.0.q_proj").freeze()


@settings(max_examples=25, deadline=None)
@given(kind=st.sampled_from(KINDS), tbits=st.integers(2, 5), m=st.integers(1, 6),
       k=st.integers(1, 40), n=st.integers(1, 9), seed=st.integers(0, 10_000))
def test_spiking_matmul_equals_integer_matmul(kind, tbits, m, k, n, seed):
    c = Coding.for_timesteps(kind, tbits)
    g = torch.Generator().manual_seed(seed)
    q = torch.randint(c.qmin, c.qmax + 1, (m, k), generator=g)
    w = torch.randint(-127, 128, (k, n), generator=g).float()
    ref = q.double() @ w.double()
    fast, cf = spiking_matmul(q, w, c, path="fast")
    slow, cs = spiking_matmul(q, w, c, path="timestep")
    assert torch.equal(fast.double(), ref) and torch.equal(slow.double(), ref)
    assert cf == cs
    brute = sum(int((st != 0).sum()) for st in c.encode(q)) * n
    assert cf["sops"] == brute


def test_saturation_is_counted():
    qz = ActivationQuantizer(Coding("ternary_bitwise", 16), "tensor")
    qz.observe(torch.linspace(-1, 1, 100).view(10, 10))
    qz.freeze()
    _, _, _, sat = qz.quantize(torch.tensor([[0.5, 3.0, -4.0]]))
    assert sat == 2 and qz.saturated == 2


@pytest.mark.parametrize("gran", ["tensor", "token", "channel"])
@pytest.mark.parametrize("kind", ["bitwise", "ternary_bitwise", "rate"])
def test_substrate_paths_identical_and_close_to_float(gran, kind):
    torch.manual_seed(0)
    x, w = torch.randn(12, 64), torch.randn(64, 32) / 8
    outs = []
    for path in ("fast", "timestep"):
        sub = SpikingLinear(Coding.for_timesteps(kind, 6 if kind != "rate" else 63),
                            granularity=gran, path=path)
        sub.calibrating = True
        sub.matmul(x, w)
        sub.calibrating = False
        sub.quantizer.freeze()
        outs.append(sub.matmul(x, w))
    (a, ca), (b, cb) = outs
    assert torch.equal(a, b)
    assert dict(ca.counts) == dict(cb.counts)
    rel = float((a - x @ w).norm() / (x @ w).norm())
    assert rel < 0.05


def test_energy_identity_ops_boundary():
    """Operations only: E_SNN/E_ANN = SOPs*E_AC/(MACs*E_MAC) + neuron terms."""
    e = SpikeEnergy.from_registry(default_registry(), acc="fp32", ann="fp32")
    assert math.isclose(e.e_mac, 4.6e-12) and math.isclose(e.e_ac, 0.9e-12)
    sub = SpikingLinear(Coding("ternary_bitwise", 16), energy=e)
    x, w = torch.randn(8, 16), torch.randn(16, 4)
    _, cost = sub.matmul(x, w)
    c = cost.counts
    assert math.isclose(cost.energy_j["accumulate"], c["sops"] * 0.9e-12)
    ann = e.ann_cost(dict(c))
    assert math.isclose(ann.energy_total_j, 8 * 16 * 4 * 4.6e-12)
    assert math.isclose(e.implied_firing_budget(0.93), 0.07 * 4.6 / 0.9)


def test_analytic_cost_bounds_functional_cost():
    sub = SpikingLinear(Coding("bitwise", 16), granularity="token")
    x, w = torch.randn(5, 20), torch.randn(20, 7)
    _, fun = sub.matmul(x, w)
    ana = sub.cost(Gemm(5, 20, 7))
    assert fun.counts["sops"] <= ana.counts["sops"]
    for key in ("macs", "neuron_updates", "weight_reads", "outputs"):
        assert fun.counts[key] == ana.counts[key]


@pytest.mark.parametrize("kind", KINDS)
def test_step_equals_encode(kind):
    c = Coding(kind, 16)
    q = torch.arange(c.qmin, c.qmax + 1)
    s = c.encode(q)
    steps = list(c.steps(q.float()))
    assert len(steps) == c.T
    for t in range(c.T):
        assert torch.equal(steps[t], s[t].float())


def test_large_sums_stay_exact():
    """Bitwise L=256 with a long K: float32 could round; the chunked path must not."""
    c = Coding("bitwise", 256)
    g = torch.Generator().manual_seed(3)
    q = torch.full((3, 4096), 255)
    w = torch.randint(-127, 128, (4096, 5), generator=g).float()
    ref = q.double() @ w.double()
    for path in ("fast", "timestep"):
        acc, _ = spiking_matmul(q.float(), w, c, path=path)
        assert torch.equal(acc.double(), ref)
