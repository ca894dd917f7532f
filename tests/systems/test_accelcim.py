"""AccelCIM's design space: the sweep's speed, its trends, and the model-through-CIM path."""

from __future__ import annotations

import time

import numpy as np
import pytest

from wattlab.errors import SpecError
from wattlab.explore import Choice, Grid, Range, Space, search
from wattlab.params import default_registry
from wattlab.systems.accelcim import CimEvaluator, area_efficiency_vs_size, cim_space, layer_gemms

REG = default_registry()


def test_hundred_thousand_point_sweep_is_fast() -> None:
    ev = CimEvaluator(params=REG)
    sp = Space([Grid("al", [32, 64, 128, 256, 512]), Grid("pc", [8, 16, 32, 64]), Grid("scr", [1, 2]),
                Range("rows", 1, 64, log=True, integer=True), Range("cols", 1, 64, log=True, integer=True),
                Choice("interconnect", ["broadcast", "systolic"]), Choice("reduction", ["tree", "chain"]),
                Choice("workload", ["prefill", "decode"])])
    t = time.perf_counter()
    res = search(sp, ev, objectives=["min:energy_j", "min:area_mm2"], method="random", n=100_000,
                 chunk_size=50_000, backend="serial")
    assert time.perf_counter() - t < 30  # the goal on 2 cores
    assert res.n == 100_000 and np.all(np.isfinite(res.columns["energy_j"]))
    assert np.all((res.columns["utilization"] > 0) & (res.columns["utilization"] <= 1 + 1e-12))


def test_broadcast_loses_its_clock_on_long_rows() -> None:
    rows = area_efficiency_vs_size(CimEvaluator(params=REG), (1, 8, 64))
    assert rows[0]["broadcast_cycle_ns"] == pytest.approx(5.0)  # TranCIM's 200 MHz
    assert rows[-1]["broadcast_cycle_ns"] > 5.0
    assert rows[-1]["systolic_over_broadcast"] > 1.0


def test_decode_underuses_the_array_and_bad_workload() -> None:
    ev = CimEvaluator(params=REG)
    sp = cim_space(al=(256,), pc=(32,), scr=(1,), rows=(8,), cols=(8,))
    res = search(sp, ev, objectives=["min:energy_j"], backend="serial")
    pre = res.columns["workload"] == "prefill"
    # per op, decode GEMVs cost more than prefill GEMMs (weight reloads are not amortised)
    e_op = res.columns["energy_j"] / (res.columns["tops"] * res.columns["latency_s"])
    assert e_op[~pre].min() > e_op[pre].max()
    with pytest.raises(SpecError, match="workload"):
        ev({"al": np.array([256]), "pc": np.array([32]), "rows": np.array([2]), "cols": np.array([2]),
            "workload": np.array(["train"])})
    assert len(layer_gemms("llama-3.2-1b", 4)) == 7
