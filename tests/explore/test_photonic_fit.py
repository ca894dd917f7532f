"""The 'what ENOB and which array does my model need' entry point, on a toy NumPy model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from wattlab.errors import SpecError
from wattlab.explore.photonic_fit import (
    Recorder,
    design_space,
    fit,
    laser_power_for_enob,
)
from wattlab.params import default_registry
from wattlab.substrates.photonic import HomodyneConfig, HomodyneProcessor

REG = default_registry()
RNG = np.random.default_rng(0)
X, W1 = RNG.standard_normal((16, 64)), RNG.standard_normal((64, 32))
W2 = RNG.standard_normal((32, 8))
REF = np.tanh(X @ W1) @ W2


def toy(sub: Any) -> float:
    """1 + relative error of a two-layer model's output (1.0 when digital)."""
    if sub is None:
        return 1.0
    rng = np.random.default_rng(1)
    h, _ = sub.matmul(X, W1, rng=rng)
    y, _ = sub.matmul(np.tanh(h), W2, rng=rng)
    return 1.0 + float(np.linalg.norm(y - REF) / np.linalg.norm(REF))


def test_fit_finds_a_point_and_prices_it() -> None:
    base = HomodyneConfig(rows=16, cols=8, k_int=64)
    res = fit(toy, tolerance=0.05, base=base, laser_powers=(1e-3, 1e-1, 10.0, 1e3),
              arrays=((8, 8), (16, 8)), params=REG)
    assert [p.laser_power_w for p in res.points] == [1e-3, 1e-1, 10.0, 1e3]
    metrics = [p.metric for p in res.points]
    assert metrics[0] > metrics[-1]
    assert res.needed is not None and res.needed.rel_change <= 0.05
    assert res.points[-1].measured_snr_db > res.points[0].measured_snr_db
    assert [(c["rows"], c["cols"]) for c in res.costs] == [(8, 8), (16, 8)]
    assert all(c["energy_j"] > 0 for c in res.costs)
    assert res.table()[0]["within_tolerance"] is False
    assert res.figure() is not None


def test_unreachable_tolerance_has_no_needed_point() -> None:
    res = fit(toy, tolerance=1e-9, base=HomodyneConfig(rows=8, cols=8), laser_powers=(1e-3,),
              params=REG)
    assert res.needed is None and res.costs == []


def test_laser_power_for_enob() -> None:
    cfg = HomodyneConfig(adc_bits=10)
    p = laser_power_for_enob(6.5, cfg, REG)
    assert p is not None
    enob = HomodyneProcessor(HomodyneConfig(adc_bits=10, laser_power=p), REG).noise_budget().enob
    assert enob == pytest.approx(6.5, abs=1e-3)
    assert laser_power_for_enob(9.0, HomodyneConfig(adc_bits=8), REG) is None


def test_recorder_counts_shapes_and_snr() -> None:
    rec = Recorder(HomodyneProcessor(HomodyneConfig(ideal=True), REG))
    rec.matmul(X, W1, rng=np.random.default_rng())
    assert rec.gemms[0].m == 16 and rec.gemms[0].n == 32
    assert rec.snr_db > 200  # float rounding only


def test_design_space_has_every_substrate() -> None:
    rows = design_space(REG, enobs=(4, 6), mant_bits=(6, 8))
    kinds = {r["substrate"] for r in rows}
    assert kinds == {"homodyne", "lightmat-bfp", "digital-int8", "digital-fp16"}
    homodyne = [r["tops_per_w"] for r in rows if r["substrate"] == "homodyne"]
    assert homodyne[0] > homodyne[1] > 0  # more ENOB costs laser power and converter bits


@pytest.mark.parametrize("kw", [dict(tolerance=0.0), dict(tolerance=float("nan")),
                                dict(laser_powers=()), dict(laser_powers=(1.0, -2.0))])
def test_bad_input(kw: dict[str, Any]) -> None:
    with pytest.raises(SpecError):
        fit(toy, params=REG, **kw)
