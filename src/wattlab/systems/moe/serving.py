"""Modelled long-context MoE prefill on a heterogeneous SoC: NPUMoE plan vs single-device baselines.

Per layer and prefill chunk the operator chain is: attention projections (static), attention core
(dynamic: the context grows), router + top-k (dynamic), experts, combine (dynamic). Baselines run
every operator on one device with one dispatch per active expert. The NPUMoE plan runs resident
experts as tiered, grouped static programs (eligible for the NPU) and the rest on an exact
fallback operator, and the Viterbi planner places every operator. MODEL ONLY: no Apple hardware
is measured; the device figures are the ``npumoe.*`` parameters, most of them assumed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.params import Registry
from wattlab.systems.moe.calibrate import RoutingProfile
from wattlab.systems.moe.devices import BITS_PER_BYTE, Engine, m2max, m2max_sources
from wattlab.systems.moe.planner import Objective, Op, Placement, assign, choose_resident, evaluate
from wattlab.systems.moe.tiers import check_tiers, choose_tiers, tier_of
from wattlab.workloads.llm import LlmConfig, attention_params, expert_bytes, expert_params, llm_config

Policy = Literal["cpu", "gpu", "npumoe"]


#: The model NPUMoE evaluates, from the shipped LLM configs.
MODEL = "qwen3-30b-a3b"


def moe_model(params: Registry, name: str = MODEL) -> LlmConfig:
    """An MoE model from the shipped configs at the deployment's weight precision
    (``npumoe.weight_bytes``, FP16 on the ANE and GPU)."""
    c = llm_config(name)
    if not c.is_moe:
        raise SpecError(f"'{name}' is a dense model; NPUMoE needs an MoE config (experts, top_k)")
    return replace(c, weight_bits=params.value("npumoe.weight_bytes"))


@dataclass(frozen=True)
class TierPlan:
    tiers: tuple[int, ...]
    group: int
    resident: np.ndarray  # [layers, experts] bool


def plan_tiers(profile: RoutingProfile, shape: LlmConfig, devices: Mapping[str, Engine], n_tiers: int,
               group: int, budget_bytes: float, align: int = 16, lam: float = 0.0) -> TierPlan:
    """Offline plan from calibration: tiers by DP on the count histogram (per-row NPU vs fallback
    time as costs, ``lam`` seconds of penalty per extra tier), residency by popularity."""
    check_plan_inputs((align,), group, budget_bytes, shape)
    npu, fb = devices["ane"], devices["gpu"]
    a = 2.0 * expert_params(shape) / (npu.efficiency * npu.peak_ops)
    b = 2.0 * expert_params(shape) / (fb.efficiency * fb.peak_ops)
    tiers = choose_tiers(profile.counts, n_tiers, align, a, b, lam=lam)
    resident = np.stack([choose_resident(p, expert_bytes(shape), budget_bytes) for p in profile.popularity])
    return TierPlan(tiers, group, resident)


def layer_ops(shape: LlmConfig, counts: np.ndarray, chunk: int, ctx: int,
              plan: TierPlan | None, layer: int, static_attention: bool = False) -> list[Op]:
    """The operator chain of one layer for one prefill chunk with per-expert ``counts``.
    ``static_attention``: the attention core is compiled for padded context buckets (a what-if:
    then it may run on the NPU too; with ``plan=None`` it changes nothing)."""
    wb, h = shape.weight_bits / BITS_PER_BYTE, shape.hidden
    attn, row, e_bytes = attention_params(shape), 2.0 * expert_params(shape), expert_bytes(shape)
    active = counts > 0
    ops = [Op("attn_proj", 2.0 * chunk * attn, attn * wb, static=True),
           Op("attn_core", 4.0 * chunk * ctx * shape.heads * shape.head_dim,
              2.0 * ctx * shape.kv_heads * shape.head_dim * wb,
              static=static_attention and plan is not None),
           Op("router_topk", 2.0 * chunk * h * shape.experts, h * shape.experts * wb)]
    if plan is None:
        ops.append(Op("experts", counts.sum() * row, active.sum() * e_bytes,
                      dispatches=float(active.sum())))
    else:
        res = plan.resident[layer] & active
        cap = tier_of(counts, plan.tiers)
        groups = sum(-(-int((res & (cap == c)).sum()) // plan.group) for c in plan.tiers)
        fb_rows = np.where(res, np.maximum(counts - cap, 0), counts).sum()
        fb_experts = int((active & (~res | (counts > cap))).sum())
        ops.append(Op("experts_tiered", cap[res].sum() * row, res.sum() * e_bytes,
                      dispatches=float(groups), static=True))
        ops.append(Op("experts_fallback", fb_rows * row, fb_experts * e_bytes,
                      dispatches=float(fb_experts)))
    ops.append(Op("combine", 2.0 * chunk * shape.top_k * h, 0.0))
    return ops


def prefill(profile: RoutingProfile, shape: LlmConfig, params: Registry, policy: Policy,
            plan: TierPlan | None = None, objective: Objective = "latency",
            static_attention: bool = False) -> Cost:
    """Modelled cost of prefilling ``profile.counts.shape[1]`` chunks (context grows chunk by chunk)."""
    devices = m2max(params)
    sync_s, static_w = params.values("npumoe.sync", "npumoe.soc_static_power")
    if policy == "npumoe" and plan is None:
        raise SpecError("the npumoe policy needs a TierPlan (see plan_tiers)")
    if policy not in ("cpu", "gpu", "npumoe"):
        raise SpecError(f"policy={policy!r}: use 'cpu', 'gpu' or 'npumoe'")
    # unified memory: every byte an operator streams (weights, KV cache) is a DRAM access,
    # whichever device runs it (LPDDR5 energy per bit, an assumed mid-range figure)
    e_bit = params.value("mem.lpddr5.e_bit")
    t = e = flops = dram_bytes = 0.0
    by: dict[str, float] = {}
    syncs = 0
    n_layers, n_chunks, _ = profile.counts.shape
    for c in range(n_chunks):
        for layer in range(n_layers):
            ops = layer_ops(shape, profile.counts[layer, c], profile.chunk, (c + 1) * profile.chunk,
                            plan if policy == "npumoe" else None, layer, static_attention)
            p: Placement = (assign(ops, devices, sync_s, static_w, objective) if policy == "npumoe"
                            else evaluate(ops, devices, [policy] * len(ops), sync_s, static_w))
            t, e, syncs = t + p.latency_s, e + p.energy_j, syncs + p.syncs
            flops += sum(op.flops for op in ops)
            dram_bytes += sum(op.nbytes for op in ops)
            for k, v in p.energy_by_device.items():
                by[k] = by.get(k, 0.0) + v
    # the chain is per layer; layers beyond the profiled ones repeat its cost
    scale = shape.layers / n_layers
    by["dram"] = dram_bytes * 8.0 * e_bit
    return Cost({k: v * scale for k, v in by.items()}, t * scale,
                counts={"tokens": float(n_chunks * profile.chunk), "ops": flops * scale,
                        "syncs": syncs * scale, "dram_bytes": dram_bytes * scale},
                sources={**m2max_sources(params), **params.subset("mem.lpddr5.e_bit")})


def ratios(base: Cost, ours: Cost) -> tuple[float, float]:
    """(latency speed-up, energy-efficiency gain) of ``ours`` over ``base``."""
    return base.latency_s / ours.latency_s, base.energy_total_j / ours.energy_total_j


def check_plan_inputs(tiers: Sequence[int], group: int, budget_bytes: float, shape: LlmConfig) -> None:
    check_tiers(tiers)
    if group < 1:
        raise SpecError(f"group={group}: at least one expert per dispatch group")
    if budget_bytes < expert_bytes(shape):
        raise SpecError(f"memory budget {budget_bytes:.3g} B is smaller than one expert "
                        f"({expert_bytes(shape):.3g} B)")
