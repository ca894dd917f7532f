"""MemExplorer's NPU model: roofline invariants, eq. (4) traffic, the search and its errors."""

from __future__ import annotations

import time

import numpy as np
import pytest

from wattlab.errors import SpecError
from wattlab.explore import Choice, Grid, InfeasibleError, Space, search
from wattlab.params import default_registry
from wattlab.systems.memexplorer import NpuModel, Trace, explore_phase, memory_space
from wattlab.systems.memexplorer.search import preference_flips
from wattlab.workloads.llm import kv_bytes_per_token, llm_config, weight_bytes

REG = default_registry()
TRACE = Trace(8192, 128, 4)


def cols(n: int = 1, **kw: object) -> dict[str, np.ndarray]:
    base = {"me": 256, "clock": 1e9, "onchip": "sram3d", "onchip_mb": 256, "offchip": "hbm3",
            "units": 4, "devices": 1}
    base.update(kw)  # type: ignore[arg-type]
    return {k: np.asarray(v) if np.ndim(v) else np.full(n, v) for k, v in base.items()}


def test_decode_offchip_traffic_is_eq4() -> None:
    c = llm_config("llama-3.2-1b")
    ev = NpuModel(c, "decode", REG, TRACE)
    mb = np.array([0.0, 100, 1000, 2000, 4000])
    out = ev(cols(len(mb), onchip_mb=mb))
    w = weight_bytes(c)
    kv = kv_bytes_per_token(c) * TRACE.mean_context * TRACE.batch
    assert np.allclose(out["offchip_bytes"], w + kv - np.minimum(mb * 1e6, w))


@pytest.mark.parametrize("phase", ["prefill", "decode"])
def test_roofline_invariants_and_monotone_traffic(phase: str) -> None:
    ev = NpuModel("llama-3.1-8b", phase, REG, TRACE)  # type: ignore[arg-type]
    mb = np.array([16.0, 64, 256, 1024, 2048])
    out = ev(cols(len(mb), onchip_mb=mb))
    assert np.all(np.diff(out["offchip_bytes"]) <= 0)  # never more traffic with more on-chip
    dyn = out["e_compute_j"] + out["e_offchip_j"] + out["e_onchip_j"]
    assert np.all(out["energy_j"] >= dyn) and np.all(out["e_static_j"] > 0)
    bw = 4 * REG.value("mem.hbm3.bw") / 8
    assert np.all(out["latency_s"] >= out["offchip_bytes"] / bw * (1 - 1e-12))
    peak = 2 * 256 * 256 * 1e9 * REG.value("memexplorer.utilization")
    assert np.all(out["latency_s"] >= ev.flops / peak * (1 - 1e-12))


def test_decode_memory_bound_prefill_compute_bound_with_big_onchip() -> None:
    d = NpuModel("llama-3.1-8b", "decode", REG, TRACE)(cols())
    p = NpuModel("llama-3.1-8b", "prefill", REG, TRACE)(cols(onchip_mb=2048, me=128))
    assert d["bound"][0] == 1 and p["bound"][0] == 0


def test_ten_thousand_configs_under_a_second() -> None:
    sp = memory_space(REG)
    ev = NpuModel("llama-3.1-8b", "decode", REG)
    t = time.perf_counter()
    res = search(sp, ev, objectives=["max:tokens_per_j"], backend="serial", progress=False)
    dt = time.perf_counter() - t
    assert sp.size > 10_000 and res.considered == sp.size
    assert dt < 2.0  # issue goal 1 s on 2 cores; slack for a loaded CI box


def test_explore_phase_beats_or_matches_baseline() -> None:
    for phase in ("prefill", "decode"):
        pr = explore_phase("llama-3.2-1b", phase, REG, backend="serial")  # type: ignore[arg-type]
        assert pr.ratio_vs_npu >= 1.0 - 1e-9  # the baseline lies in the space
        assert pr.ratio_vs_h100 > 0


def test_costs_only_for_reported_points() -> None:
    from functools import partial

    from wattlab.systems.memexplorer import npu_cost

    ev = NpuModel("llama-3.2-1b", "decode", REG, TRACE)
    res = search(memory_space(REG, me=(256,), clock=(1e9,)), ev, backend="serial",
                 objectives=["max:tokens_per_j", "max:tokens_per_s"])
    costs = res.costs(partial(npu_cost, ev))
    assert len(costs) == len(res.front()) > 0
    row = res.row(int(res.front()[0]))
    assert costs[0].energy_total_j == pytest.approx(row["energy_j"])
    assert costs[0].j_per_token == pytest.approx(row["j_per_token"])


def test_model_larger_than_every_memory_is_an_error() -> None:
    sp = Space([Grid("me", [256]), Grid("clock", [1e9]), Choice("onchip", ["sram3d"]),
                Grid("onchip_mb", [64]), Choice("offchip", ["gddr6"]), Grid("units", [1, 2]),
                Grid("devices", [1])])
    with pytest.raises(SpecError, match=r"mixtral-8x7b.*largest memory option"):
        explore_phase("mixtral-8x7b", "decode", REG, space=sp, backend="serial")


def test_unknown_technology_and_infeasible_cap() -> None:
    ev = NpuModel("llama-3.2-1b", "decode", REG, TRACE)
    with pytest.raises(SpecError, match="sram9d"):
        ev(cols(onchip="sram9d"))
    with pytest.raises(InfeasibleError, match="power cap"):
        search(memory_space(REG, me=(256,), clock=(1e9,)), ev, objectives=["max:tokens_per_j"],
               constraints=["power cap: power_w <= 1"], backend="serial")


def test_preference_scan_reports_a_flip() -> None:
    rows = preference_flips("llama-3.1-8b", "prefill", REG, "mem.sram3d.e_bit", "onchip",
                            factors=(0.5, 1.0, 8.0))
    assert [r["onchip"] for r in rows] == ["sram3d", "sram3d", "sram_7nm_128mb"]
