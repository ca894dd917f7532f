"""LightMat-HP sliced BFP: exact under the threshold, error past it, planner, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattlab.errors import SpecError
from wattlab.params import default_registry
from wattlab.substrates import Substrate
from wattlab.substrates.bfp import (
    BFPConfig,
    SlicedBFP,
    bfp_quantize,
    exact_condition,
    mant_bits_for,
    mantissa_slices,
    plan,
    plan_for_precision,
    threshold_ratio,
)
from wattlab.substrates.photonic import HomodyneConfig
from wattlab.workloads.gemm import Gemm

REG = default_registry()


def int_block_ref(ma: np.ndarray, mb: np.ndarray, k_a: int) -> np.ndarray:
    """Integer window sums sum_k ma*mb over windows of k_a (int64, exact)."""
    m, k = ma.shape
    w = k // k_a
    return np.einsum("mwk,wkn->wmn", ma.reshape(m, w, k_a), mb.reshape(w, k_a, -1))


def test_is_a_substrate() -> None:
    assert isinstance(SlicedBFP(params=REG), Substrate)


@settings(max_examples=40, deadline=None)
@given(mant_bits=st.integers(2, 12), s=st.integers(1, 4), ka_log=st.integers(0, 4),
       blocks=st.integers(1, 3), m=st.integers(1, 6), n=st.integers(1, 6),
       extra=st.floats(0.0, 3.0), seed=st.integers(0, 2**32 - 1), shortcut=st.booleans())
def test_bit_exact_under_threshold(mant_bits: int, s: int, ka_log: int, blocks: int, m: int,
                                   n: int, extra: float, seed: int, shortcut: bool) -> None:
    s = min(s, mant_bits - 1)
    k_a = 2**ka_log
    block = k_a * 2
    # the smallest ENOB meeting K_a (2^s-1)^2 <= 2^(ENOB-1), plus some margin
    enob = min(24.0, 1 + np.log2(k_a * (2**s - 1) ** 2) + extra + 1e-9)
    cfg = BFPConfig(mant_bits=mant_bits, block=block, slice_bits=s, k_a=k_a, enob=enob,
                    shortcut_exact=shortcut)
    assert cfg.exact
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, block * blocks)) * 10.0 ** rng.uniform(-3, 3)
    b = rng.standard_normal((block * blocks, n))
    qa, qb = bfp_quantize(a, mant_bits, block, 1), bfp_quantize(b, mant_bits, block, 0)
    sub = SlicedBFP(cfg, params=REG)
    got, sat = sub.block_products(qa.mant, qb.mant, rng=rng)
    assert sat == 0
    np.testing.assert_array_equal(got, int_block_ref(qa.mant, qb.mant, k_a))
    out, _ = sub.matmul(a, b, rng=rng)
    np.testing.assert_allclose(out, qa.dequantize() @ qb.dequantize(), rtol=1e-12,
                               atol=1e-300)


def test_error_appears_past_threshold_and_grows() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((16, 64)), rng.standard_normal((64, 16))
    qa, qb = bfp_quantize(a, 8, 16, 1), bfp_quantize(b, 8, 16, 0)
    ref = int_block_ref(qa.mant, qb.mant, 16)
    errs = []
    for enob in (8.0, 7.0, 6.0, 5.0, 4.0):  # s=2, k_a=16: ratio 144/2^(ENOB-1) = 1.1 ... 18
        cfg = BFPConfig(mant_bits=8, block=16, slice_bits=2, k_a=16, enob=enob)
        sub = SlicedBFP(cfg, params=REG)
        got, _ = sub.block_products(qa.mant, qb.mant, rng=rng)
        errs.append(float(np.sqrt(np.mean((got - ref) ** 2))))
    assert errs[0] > 0
    assert all(x < y for x, y in itertools.pairwise(errs))


def test_threshold_formula() -> None:
    assert threshold_ratio(16, 1, 6) == 0.5 and exact_condition(16, 1, 6)
    assert threshold_ratio(1, 2, 6) == 9 / 32 and exact_condition(1, 2, 6)
    assert not exact_condition(4, 2, 6)  # 36 > 32
    assert not exact_condition(1, 3, 6)  # 49 > 32


@settings(max_examples=30, deadline=None)
@given(bits=st.integers(2, 16), s=st.integers(1, 8), seed=st.integers(0, 2**32 - 1))
def test_slices_rebuild_the_mantissa(bits: int, s: int, seed: int) -> None:
    s = min(s, bits - 1)
    lim = 2 ** (bits - 1) - 1
    mant = np.random.default_rng(seed).integers(-lim, lim + 1, size=(5, 7))
    sl = mantissa_slices(mant, bits, s)
    assert np.abs(sl).max() <= 2**s - 1
    weights = (2 ** (s * np.arange(sl.shape[0]))).reshape(-1, 1, 1)
    np.testing.assert_array_equal((sl * weights).sum(axis=0), mant)


@settings(max_examples=30, deadline=None)
@given(bits=st.integers(2, 16), seed=st.integers(0, 2**32 - 1))
def test_bfp_error_bound_per_block(bits: int, seed: int) -> None:
    x = np.random.default_rng(seed).standard_normal((3, 32)) * 100
    q = bfp_quantize(x, bits, 8, axis=1)
    step = np.repeat(np.ldexp(1.0, q.exp - (bits - 1)), 8, axis=1)
    assert np.all(np.abs(x - q.dequantize()) <= step)


def test_homodyne_core_exact_with_margin() -> None:
    hw = HomodyneConfig(rows=8, cols=8, laser_power=1000.0, dac_bits=12)
    sub = SlicedBFP(BFPConfig(mant_bits=6, block=8, slice_bits=1, k_a=4, enob=8, core="homodyne",
                              dac_bits=12), hw, REG)
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((8, 16)), rng.standard_normal((16, 8))
    qa, qb = bfp_quantize(a, 6, 8, 1), bfp_quantize(b, 6, 8, 0)
    got, _ = sub.block_products(qa.mant, qb.mant, rng=rng)
    np.testing.assert_array_equal(got, int_block_ref(qa.mant, qb.mant, 4))


def test_cost_scales_with_slice_pairs_and_agrees_with_matmul() -> None:
    rng = np.random.default_rng(8)
    a, b = rng.standard_normal((10, 32)), rng.standard_normal((32, 6))
    sub = SlicedBFP(BFPConfig(mant_bits=8, block=16, slice_bits=2, k_a=8, enob=8), params=REG)
    _, c1 = sub.matmul(a, b, rng=rng)
    c2 = sub.cost(Gemm(10, 32, 6))
    assert c1.energy_j == pytest.approx(c2.energy_j, rel=1e-12)
    assert c1.latency_s == pytest.approx(c2.latency_s, rel=1e-12)
    single = sub.hardware.cost(Gemm(10, 32, 6))
    assert c2.energy_j["adcs"] == pytest.approx(16 * single.energy_j["adcs"], rel=1e-12)
    assert c2.counts["slice_pairs"] == 16 and c2.counts["macs"] == 10 * 32 * 6


def test_planner_picks_the_cheapest_exact_point() -> None:
    rows = plan(8, 8.0, Gemm(64, 256, 64), block=32, params=REG)
    best = rows[0]
    assert best.exact
    assert best.energy_per_mac_j == min(r.energy_per_mac_j for r in rows if r.exact)
    assert {(r.slice_bits, r.k_a) for r in rows} == {(s, k) for s in range(1, 8)
                                                    for k in (1, 2, 4, 8, 16, 32)}


def test_mant_bits_for_target() -> None:
    rng = np.random.default_rng(9)
    a, b = rng.standard_normal((16, 64)), rng.standard_normal((64, 16))
    loose, tight = mant_bits_for(0.05, a, b, block=16), mant_bits_for(0.001, a, b, block=16)
    assert 2 <= loose < tight <= 16


@pytest.mark.parametrize("kw", [dict(block=12, k_a=8), dict(slice_bits=8), dict(slice_bits=0),
                                dict(enob=0.5), dict(enob=30), dict(mant_bits=1),
                                dict(mant_bits=25), dict(core="optical"), dict(dac_bits=2)])
def test_bad_config(kw: dict[str, object]) -> None:
    with pytest.raises(SpecError):
        BFPConfig(**kw)  # type: ignore[arg-type]


def test_block_that_does_not_divide_k() -> None:
    sub = SlicedBFP(BFPConfig(block=16, k_a=8), params=REG)
    with pytest.raises(SpecError, match="does not divide"):
        sub.matmul(np.ones((2, 24)), np.ones((24, 3)), rng=np.random.default_rng())
    with pytest.raises(SpecError, match="dividing"):
        bfp_quantize(np.ones((2, 24)), 8, 16, axis=1)


def test_bad_operands() -> None:
    sub = SlicedBFP(params=REG)
    with pytest.raises(SpecError):
        sub.matmul(np.ones((2, 32)), np.ones((16, 3)), rng=np.random.default_rng())
    a = np.ones((2, 32))
    a[0, 0] = np.nan
    with pytest.raises(SpecError):
        sub.matmul(a, np.ones((32, 3)), rng=np.random.default_rng())


def test_plan_for_precision_meets_the_target_exactly_and_cheaply() -> None:
    rng = np.random.default_rng(10)
    a, b = rng.standard_normal((16, 64)), rng.standard_normal((64, 16))
    bits, best = plan_for_precision(0.01, a, b, enob=8.0, block=16, params=REG)
    assert best.exact and bits == mant_bits_for(0.01, a, b, block=16)
    cfg = BFPConfig(mant_bits=bits, block=16, slice_bits=best.slice_bits, k_a=best.k_a, enob=8.0,
                    shortcut_exact=False)
    out, _ = SlicedBFP(cfg, params=REG).matmul(a, b, rng=rng)
    assert np.linalg.norm(out - a @ b) / np.linalg.norm(a @ b) <= 0.01
    with pytest.raises(SpecError):
        plan_for_precision(0.0, a, b, enob=8.0, block=16, params=REG)
