import numpy as np
import pytest

from wattlab.errors import SpecError
from wattlab.params import default_registry
from wattlab.substrates import Gemm, Substrate
from wattlab.substrates.fpga import QFormat
from wattlab.substrates.fpga.substrate import FPGASubstrate

REG = default_registry()


def test_functional_and_analytic_costs_agree_and_numbers_are_fixed_point():
    sub = FPGASubstrate.on("ice40up5k", REG, macs=2)
    assert isinstance(sub, Substrate)
    rng = np.random.default_rng(0)
    a, b = rng.uniform(-1, 1, (3, 5, 7)), rng.uniform(-1, 1, (7, 4))
    out, cost = sub.matmul(a, b, rng=rng)
    ref = sub.cost(Gemm.of(a.shape, b.shape))
    assert cost.energy_j == ref.energy_j and cost.latency_s == ref.latency_s
    assert out.shape == (3, 5, 4)
    f = sub.fmt
    exact = f.to_float(f.cut(f.quantize(a.reshape(-1, 7)) @ f.quantize(b))).reshape(3, 5, 4)
    assert np.array_equal(out, exact)
    assert np.abs(out - a @ b).max() < 7 * 2 / 16  # a few LSB from quantising both operands
    assert cost.counts["cycles"] == np.ceil(15 * 4 / 2) * 7 + 2


def test_more_mac_units_are_faster_and_limits_are_checked():
    slow = FPGASubstrate.on("xc7s15", REG, macs=1).cost(Gemm(64, 64, 64))
    fast = FPGASubstrate.on("xc7s15", REG, macs=16).cost(Gemm(64, 64, 64))
    assert fast.latency_s < slow.latency_s / 10
    with pytest.raises(SpecError, match="DSP"):
        FPGASubstrate.on("ice40up5k", REG, macs=9)
    sub = FPGASubstrate.on("xc7s15", REG, fmt=QFormat(6, 2))
    sub.matmul(np.full((2, 2), 100.0), np.ones((2, 2)), rng=np.random.default_rng(0))
    assert sub.counter.counts["matmul.a"] == 4
