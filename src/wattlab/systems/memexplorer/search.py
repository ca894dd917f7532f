"""MemExplorer's design space on :mod:`wattlab.explore`, and the per-phase searches.

Prefill is compared at iso-power (best tokens/J among configurations whose power is at most the
reference's), decode at iso-throughput (best tokens/J — tokens/s per W — among configurations at
least as fast as the reference), as the paper's abstract states its two comparisons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from wattlab.errors import SpecError
from wattlab.explore import Choice, Constraint, Grid, InfeasibleError, Limit, SearchResult, Space, search
from wattlab.params import Registry
from wattlab.systems.memexplorer.model import (
    NpuModel,
    P,
    Phase,
    Trace,
    baseline_config,
    evaluate_one,
    h100_point,
)
from wattlab.workloads.llm import LlmConfig, kv_bytes_per_token, llm_config, weight_bytes

ONCHIP = ("sram_7nm_128mb", "sram3d")
OFFCHIP = ("hbm3", "hbm3e", "lpddr5x", "gddr6", "hbf")
SCAN_FACTORS = tuple(float(x) for x in np.geomspace(1 / 8, 8, 13))
CAPACITY = Limit("mem_fit", ">=", 1.0, "off-chip capacity holds weights + KV")


@dataclass(frozen=True)
class OnchipCap:
    """Configuration constraint: 2D SRAM up to ``max_2d_mb``, 3D-stacked up to ``max_3d_mb``."""

    max_2d_mb: float
    max_3d_mb: float
    stacked: tuple[str, ...] = ("sram3d",)

    def __call__(self, cols: Mapping[str, np.ndarray]) -> np.ndarray:
        is3d = np.isin(np.asarray(cols["onchip"]).astype(str), self.stacked)
        mb = np.asarray(cols["onchip_mb"], dtype=float)
        return np.where(is3d, mb <= self.max_3d_mb, mb <= self.max_2d_mb)


@dataclass(frozen=True)
class StackCap:
    """Configuration constraint: at most ``max_stacks`` stacked-memory units (HBM, HBF) per
    device (interposer shoreline); other technologies are not limited here."""

    max_stacks: float
    stacked_prefixes: tuple[str, ...] = ("hbm", "hbf")

    def __call__(self, cols: Mapping[str, np.ndarray]) -> np.ndarray:
        tech = np.char.lower(np.asarray(cols["offchip"]).astype(str))
        stacked = np.zeros(tech.shape, dtype=bool)
        for p in self.stacked_prefixes:
            stacked |= np.char.startswith(tech, p)
        return ~stacked | (np.asarray(cols["units"], dtype=float) <= self.max_stacks)


def stack_cap(params: Registry) -> Constraint:
    return Constraint("stacked-memory units per device (shoreline)",
                      StackCap(params.value(P + "max_stacks")), uses=("offchip", "units"))


def onchip_cap(params: Registry) -> Constraint:
    m2, m3 = params.values(P + "sram2d_max", P + "sram3d_max")
    return Constraint("on-chip capacity per technology", OnchipCap(m2 / 8e6, m3 / 8e6),
                      uses=("onchip", "onchip_mb"))


def memory_space(params: Registry, *, me: Sequence[int] = (128, 256, 512, 1024),
                 clock: Sequence[float] = (0.5e9, 1e9, 1.5e9),
                 onchip: Sequence[str] = ONCHIP, onchip_mb: Sequence[float] = (64, 128, 256, 512, 1024, 2048),
                 offchip: Sequence[str] = OFFCHIP, units: Sequence[int] = (1, 2, 4, 8, 16),
                 devices: Sequence[int] = (1, 2, 4)) -> Space:
    """The default NPU memory design space (10,800 grid points before constraints)."""
    return Space([Grid("me", list(me)), Grid("clock", list(clock)), Choice("onchip", list(onchip)),
                  Grid("onchip_mb", list(onchip_mb)), Choice("offchip", list(offchip)),
                  Grid("units", list(units)), Grid("devices", list(devices))],
                 [onchip_cap(params), stack_cap(params)], name="memexplorer")


@dataclass
class PhaseResult:
    """One phase's search with its references: the baseline NPU and the H100."""

    phase: Phase
    result: SearchResult
    baseline: dict[str, float]
    h100: dict[str, float]
    best_vs_npu: dict[str, Any]
    best_vs_h100: dict[str, Any]

    @property
    def ratio_vs_npu(self) -> float:
        return float(self.best_vs_npu["tokens_per_j"] / self.baseline["tokens_per_j"])

    @property
    def ratio_vs_h100(self) -> float:
        return float(self.best_vs_h100["tokens_per_j"] / self.h100["tokens_per_j"])

    def reference_limit(self, ref: Mapping[str, float]) -> Limit:
        return _limit(self.phase, ref)


def _limit(phase: Phase, ref: Mapping[str, float]) -> Limit:
    if phase == "prefill":
        return Limit("power_w", "<=", ref["power_w"], "iso-power (power cap)")
    return Limit("tokens_per_s", ">=", ref["tokens_per_s"], "iso-throughput")


def best_under(res: SearchResult, limit: Limit) -> tuple[SearchResult, dict[str, Any]]:
    """The result re-judged under ``limit`` (plus the capacity limit) and its best tokens/J."""
    r = replace(res, limits=[CAPACITY, limit], limit_excluded={})
    if not r.feasible.any():
        from wattlab.explore.search import explain_infeasible

        raise InfeasibleError("infeasible search: " + explain_infeasible(r), r)
    return r, r.row(r.best("max:tokens_per_j"))


def _check_fits(c: LlmConfig, space: Space, params: Registry, phase: Phase, trace: Trace) -> None:
    """A model larger than every memory option is an error naming the sizes."""
    try:
        offs = space.dim("offchip")
        units = space.dim("units")
        devs = space.dim("devices")
    except SpecError:
        return
    if not isinstance(offs, Choice) or not isinstance(units, Grid) or not isinstance(devs, Grid):
        return
    from wattlab.systems.memexplorer.model import memory_table

    tab = memory_table(params, [str(o) for o in offs.options])
    ctx = trace.input_tokens if phase == "prefill" else trace.mean_context * trace.batch
    need = weight_bytes(c) + kv_bytes_per_token(c) * ctx
    most = max(v["capacity"] for v in tab.values()) * max(units.values) * max(devs.values)
    if need > most:
        raise SpecError(f"model '{c.name}' needs {need / 1e9:.1f} GB (weights + KV for {phase}); "
                        f"the largest memory option holds {most / 1e9:.1f} GB "
                        f"({max(units.values)} units x {max(devs.values)} devices of the largest "
                        "technology); add units, devices or a larger technology to the space")


def explore_phase(model: LlmConfig | str, phase: Phase, params: Registry, *, space: Space | None = None,
                  trace: Trace | None = None, checkpoint: str | Path | None = None,
                  backend: str = "process", progress: bool | None = False,
                  reference: Mapping[str, float] | None = None) -> PhaseResult:
    """Search ``space`` for ``phase`` and compare with the baseline NPU and the H100.

    ``reference`` (optional) replaces the baseline NPU's figures (power_w, tokens_per_s) as the
    power cap / throughput floor."""
    c = llm_config(model) if isinstance(model, str) else model
    tr = trace or Trace.from_params(params)
    sp = space or memory_space(params)
    _check_fits(c, sp, params, phase, tr)
    ev = NpuModel(c, phase, params, tr)
    base = evaluate_one(ev, baseline_config(params))
    if base["mem_fit"] < 1:
        base["note_capacity"] = 1.0
    h = h100_point(c, phase, params, tr)
    res = search(sp, ev, objectives=["max:tokens_per_j", "max:tokens_per_s"], constraints=[CAPACITY],
                 checkpoint=checkpoint, backend=backend, progress=progress,  # type: ignore[arg-type]
                 chunk_size=max(1, sp.size // 2 + 1))
    r_npu, b_npu = best_under(res, _limit(phase, reference or base))
    _, b_h = best_under(res, _limit(phase, h))
    return PhaseResult(phase, r_npu, base, h, b_npu, b_h)


def preference_flips(model: LlmConfig | str, phase: Phase, params: Registry, key: str, dim: str, *,
                     factors: Sequence[float] = SCAN_FACTORS,
                     space: Space | None = None, trace: Trace | None = None) -> list[dict[str, Any]]:
    """Scale registry entry ``key`` by each factor, rerun the phase's search, and record the
    winning value of dimension ``dim`` (iso-power / iso-throughput vs the baseline NPU) — where
    along ``key`` the preference flips. Factors that leave the entry's valid range are skipped."""
    base = params[key].value
    lo, hi = params[key].valid_range
    rows: list[dict[str, Any]] = []
    for f in factors:
        if not lo <= base * f <= hi:
            continue  # outside the entry's valid range
        reg = params.with_value(key, base * f, f"preference scan x{f:.3g}")
        try:
            pr = explore_phase(model, phase, reg, space=space, trace=trace, backend="serial")
            rows.append({"factor": f, "value": base * f, dim: pr.best_vs_npu[dim],
                         "ratio_vs_npu": pr.ratio_vs_npu})
        except SpecError as e:
            rows.append({"factor": f, "value": base * f, dim: None, "error": str(e)[:120]})
    return rows


__all__ = ["CAPACITY", "OFFCHIP", "ONCHIP", "OnchipCap", "PhaseResult", "best_under", "explore_phase",
           "memory_space", "onchip_cap", "preference_flips", "stack_cap"]
