"""The homodyne photonic GEMM: noise-free limit, cost/matmul agreement, noise budget, bad input."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattlab.components import ADC
from wattlab.errors import SpecError
from wattlab.params import default_registry
from wattlab.substrates import Substrate
from wattlab.substrates.photonic import (
    HomodyneConfig,
    HomodyneProcessor,
    adc_quantise,
)
from wattlab.workloads.gemm import Gemm

REG = default_registry()


def proc(**kw: object) -> HomodyneProcessor:
    return HomodyneProcessor(HomodyneConfig(**kw), REG)  # type: ignore[arg-type]


def test_is_a_substrate() -> None:
    assert isinstance(proc(), Substrate)


@settings(max_examples=25, deadline=None)
@given(m=st.integers(1, 9), k=st.integers(1, 40), n=st.integers(1, 9),
       k_int=st.integers(1, 16), enc=st.sampled_from(["bipolar", "offset", "differential"]))
def test_noise_free_limit_is_exact(m: int, k: int, n: int, k_int: int, enc: str) -> None:
    rng = np.random.default_rng(m * 1000 + k * 10 + n)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    out, _ = proc(ideal=True, k_int=k_int, encoding=enc, rows=4, cols=3).matmul(a, b, rng=rng)
    np.testing.assert_allclose(out, a @ b, rtol=1e-9, atol=1e-9)


def test_leading_dimensions_fold_into_m() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 3, 16)), rng.standard_normal((16, 5))
    out, cost = proc(ideal=True).matmul(a, b, rng=rng)
    assert out.shape == (2, 3, 5)
    np.testing.assert_allclose(out, a @ b, rtol=1e-9, atol=1e-9)
    assert cost.counts["macs"] == 6 * 16 * 5


def test_throughput_identity_paper_endpoints() -> None:
    # 2 * 256 * 100 * baud: 1.024 POPS at 20 GBd, 6.5536 POPS at 128 GBd (exact arithmetic).
    for baud, pops in ((20e9, 1.024), (128e9, 6.5536)):
        cfg = HomodyneConfig(rows=256, cols=100, baud=baud)
        assert cfg.peak_ops_per_s == pytest.approx(pops * 1e15, rel=1e-12)
        cost = HomodyneProcessor(cfg, REG).cost(Gemm(256 * 3, 4096, 100 * 2))
        assert cost.ops_per_s == pytest.approx(pops * 1e15, rel=1e-12)


def test_matmul_and_cost_agree() -> None:
    rng = np.random.default_rng(2)
    p = proc(rows=16, cols=8, k_int=32, encoding="differential")
    a, b = rng.standard_normal((20, 70)), rng.standard_normal((70, 11))
    _, c1 = p.matmul(a, b, rng=rng)
    c2 = p.cost(Gemm(20, 70, 11))
    assert c1.energy_j == pytest.approx(c2.energy_j, rel=1e-12)
    assert c1.latency_s == pytest.approx(c2.latency_s, rel=1e-12)
    assert {k: v for k, v in c1.counts.items() if k != "adc_saturations"} == \
        {k: v for k, v in c2.counts.items() if k != "adc_saturations"}
    assert c1.boundary == c2.boundary


def test_enob_monotone_in_laser_power_and_adc_bits_and_bounded() -> None:
    powers = [1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0]
    enobs = [proc(laser_power=p, adc_bits=10).noise_budget().enob for p in powers]
    assert all(x < y for x, y in itertools.pairwise(enobs))
    assert enobs[-1] <= 10.0  # never above the ADC's own bits
    by_bits = [proc(laser_power=10.0, adc_bits=b).noise_budget().enob for b in range(2, 14)]
    assert all(x <= y + 1e-12 for x, y in itertools.pairwise(by_bits))
    assert by_bits[-1] - by_bits[-2] < 0.2  # saturates once analog noise dominates


def test_enob_of_a_pure_adc_is_its_bits() -> None:
    quiet = REG.with_value("photonic.laser_rin", -180.0, "test: negligible RIN")
    p = HomodyneProcessor(HomodyneConfig(laser_power=1e4, adc_bits=6, dac_bits=16), quiet)
    assert p.noise_budget().enob == pytest.approx(6.0, abs=0.01)
    q = np.random.default_rng(3).uniform(-1, 1, 200_000)
    y, sat = adc_quantise(q, 1.0, 6)
    enob = math.log2(2 / (math.sqrt(12) * np.std(y - q)))
    assert sat == 0 and enob == pytest.approx(6.0, abs=0.02)


def test_measured_error_falls_with_laser_power() -> None:
    rng = np.random.default_rng(4)
    a, b = rng.uniform(-1, 1, (32, 256)), rng.uniform(-1, 1, (256, 24))
    errs = []
    for p in (1e-3, 1e-2, 1e-1, 1.0):
        out, _ = proc(laser_power=p).matmul(a, b, rng=np.random.default_rng(5))
        errs.append(np.std(out - a @ b) / np.std(a @ b))
    assert all(x > y for x, y in itertools.pairwise(errs))


def test_saturation_is_counted_not_silent() -> None:
    rng = np.random.default_rng(6)
    a, b = np.ones((4, 64)), np.ones((64, 3))  # every window at full scale
    out, cost = proc(full_scale=0.25, k_int=64, laser_power=100.0).matmul(a, b, rng=rng)
    assert cost.counts["adc_saturations"] == 12
    assert np.all(out < 64 * 0.3)  # clipped near the 25 % full scale
    _, ok = proc(full_scale=1.0, k_int=64, laser_power=100.0, adc_bits=12).matmul(a, b, rng=rng)
    assert ok.counts["adc_saturations"] <= 12  # noise may push a full-scale read over the top


def test_energy_per_op_falls_with_k_then_flattens() -> None:
    p = proc()
    epo = [p.cost(Gemm(256, k, 100)).energy_total_j / (2 * 256 * k * 100)
           for k in (1, 4, 16, 64, 256)]
    assert all(x > y for x, y in itertools.pairwise(epo))
    assert epo[0] / epo[1] > epo[3] / epo[4]  # ADC amortisation saturates


def test_adc_energy_matches_the_survey_regression_table() -> None:
    # Accelergy ADC plug-in Pareto model, as tabulated in the research notes (2-3 sig. figures).
    assert ADC(REG, 6, 1e9, fom="schreier").energy_per_conversion == pytest.approx(40e-15, rel=0.05)
    assert ADC(REG, 8, 10e9, fom="schreier").energy_per_conversion == pytest.approx(19.7e-12, rel=0.05)
    assert ADC(REG, 4, 1e7, fom="schreier").energy_per_conversion == pytest.approx(0.19e-15, rel=0.05)


def test_cost_boundary_names_every_component() -> None:
    c = proc().cost(Gemm(64, 64, 64))
    assert c.boundary == {"laser", "modulators_dacs", "detectors_tias", "adcs", "sram",
                          "digital_accumulate", "digital_prescale", "static"}
    assert all(v > 0 for v in c.energy_j.values())
    assert set(c.sources) >= {"adc.albireo_dac8_moderate", "adc.schreier_fom_max"}


@pytest.mark.parametrize("a_shape,b_shape", [((3, 4), (5, 2)), ((4,), (4, 2, 1)), ((3, 4), (4,))])
def test_bad_shapes(a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> None:
    with pytest.raises(SpecError):
        proc().matmul(np.ones(a_shape), np.ones(b_shape), rng=np.random.default_rng())


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input(bad: float) -> None:
    a = np.ones((3, 4))
    a[1, 2] = bad
    with pytest.raises(SpecError, match="NaN or infinite"):
        proc().matmul(a, np.ones((4, 2)), rng=np.random.default_rng())


@pytest.mark.parametrize("kw", [dict(dac_bits=0), dict(dac_bits=17), dict(adc_bits=0.5),
                                dict(adc_bits=30), dict(rows=0), dict(baud=-1.0),
                                dict(full_scale=1.5), dict(encoding="ternary"),
                                dict(laser_power=0.0), dict(drive_swing=0.0)])
def test_bad_config(kw: dict[str, object]) -> None:
    with pytest.raises(SpecError):
        HomodyneConfig(**kw)  # type: ignore[arg-type]
