"""NPUMoE (arXiv 2604.18788): MoE prefill on Apple-silicon NPUs — modelled, not measured.

The NPUMoE plan (calibrated capacity tiers, grouped expert programs, popularity-based ANE
residency, Viterbi operator placement) is compared with single-device baselines on a
Qwen3-30B-A3B-shaped MoE over four long-context prefill workloads, using the ``npumoe.*`` device
figures (mostly assumed). Routing is synthetic (Zipf popularity). The dispatch mechanism is also
measured for real on this CPU: the tiered, grouped runtime vs one call per expert.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from wattlab.params import Registry
from wattlab.study import Claim, Outcome, RunContext, Study

PAPER = "Efficient Mixture-of-Experts LLM Inference with Apple Silicon NPUs"
ARXIV = "2604.18788"
BOUNDARY = ("modelled SoC energy: active power of the device running each operator x its time, "
            "SoC static power over the whole latency, and unified-memory DRAM energy for every "
            "byte streamed (weights and KV cache, LPDDR5 pJ/bit); not the display, SSD or fans")
#: Study knobs (wattlab's own choices, not the paper's): prefill lengths, chunk, Zipf skew,
#: tiers, group size and the share of experts resident on the ANE.
WORKLOADS = (2048, 4096, 8192, 16384)
CHUNK, ZIPF_S, N_TIERS, GROUP, RESIDENT_SHARE = 512, 1.0, 3, 4, 0.5


def _setup(params: Registry, rng: np.random.Generator, layers: int, zipf_s: float,
           n_tiers: int) -> tuple[Any, Any, Any]:
    from wattlab.systems.moe import calibrate as cal
    from wattlab.systems.moe import serving as sv
    from wattlab.systems.moe.devices import m2max
    from wattlab.workloads.llm import expert_bytes

    shape = sv.moe_model(params)
    pop = cal.zipf_popularity(shape.experts, zipf_s, rng, layers)
    calib = cal.synthetic_profile(pop, shape.top_k, CHUNK, 8, rng)
    budget = RESIDENT_SHARE * shape.experts * expert_bytes(shape)
    plan = sv.plan_tiers(calib, shape, m2max(params), n_tiers, GROUP, budget)
    return shape, pop, plan


def _workloads(ctx: RunContext) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from wattlab.systems.moe import calibrate as cal
    from wattlab.systems.moe import serving as sv

    layers = 2 if ctx.quick else 8
    shape, pop, plan = _setup(ctx.params, ctx.rng, layers, ZIPF_S, N_TIERS)
    rows, costs = [], {}
    for tokens in WORKLOADS:
        ev = cal.synthetic_profile(pop, shape.top_k, CHUNK, tokens // CHUNK, ctx.rng)
        ours = sv.prefill(ev, shape, ctx.params, "npumoe", plan)
        costs[f"npumoe_{tokens}"] = ours
        for base in ("gpu", "cpu"):
            ref = sv.prefill(ev, shape, ctx.params, base)
            speed, gain = sv.ratios(ref, ours)
            rows.append({"prefill_tokens": tokens, "baseline": f"{base}-only", "speedup": speed,
                         "energy_gain": gain, "baseline_s": ref.latency_s, "npumoe_s": ours.latency_s,
                         "baseline_j": ref.energy_total_j, "npumoe_j": ours.energy_total_j})
    info = {"tiers": plan.tiers, "costs": costs, "shape": shape}
    return rows, info


def _sensitivity(ctx: RunContext) -> list[dict[str, Any]]:
    from wattlab.systems.moe import calibrate as cal
    from wattlab.systems.moe import serving as sv

    rows = []
    skews = (0.0, 1.0) if ctx.quick else (0.0, 0.5, 1.0, 1.5)
    tier_counts = (1, 3) if ctx.quick else (1, 2, 3, 4)
    tokens = WORKLOADS[1]
    for s in skews:
        for n_tiers in tier_counts:
            shape, pop, plan = _setup(ctx.params, ctx.rng, 2, s, n_tiers)
            ev = cal.synthetic_profile(pop, shape.top_k, CHUNK, tokens // CHUNK, ctx.rng)
            speed, gain = sv.ratios(sv.prefill(ev, shape, ctx.params, "gpu"),
                                    sv.prefill(ev, shape, ctx.params, "npumoe", plan))
            rows.append({"zipf_s": s, "n_tiers": n_tiers, "tiers": str(plan.tiers),
                         "speedup_vs_gpu": speed, "energy_gain_vs_gpu": gain})
    return rows


def what_if(ctx: RunContext) -> list[dict[str, Any]]:
    """Where the paper's range becomes reachable: ANE dispatch cost x attention made static."""
    from wattlab.systems.moe import calibrate as cal
    from wattlab.systems.moe import serving as sv

    rows = []
    tokens = WORKLOADS[1]
    base = ctx.params.value("npumoe.ane_dispatch")
    for factor in ((1.0,) if ctx.quick else (0.1, 1.0, 10.0)):
        params = ctx.params.with_value("npumoe.ane_dispatch", base * factor,
                                       f"what-if: {factor:g}x the assumed ANE dispatch time")
        shape, pop, plan = _setup(params, ctx.rng, 2, ZIPF_S, N_TIERS)
        ev = cal.synthetic_profile(pop, shape.top_k, CHUNK, tokens // CHUNK, ctx.rng)
        gpu = sv.prefill(ev, shape, params, "gpu")
        for static in (False, True):
            for objective in ("latency", "energy"):
                ours = sv.prefill(ev, shape, params, "npumoe", plan, objective, static_attention=static)
                speed, gain = sv.ratios(gpu, ours)
                rows.append({"ane_dispatch_s": base * factor, "static_attention": static,
                             "objective": objective, "speedup_vs_gpu": speed,
                             "energy_gain_vs_gpu": gain})
    return rows


def measured_dispatch(rng: np.random.Generator, repeats: int = 9) -> dict[str, float]:
    """Real CPU wall time of one MoE layer: tiered grouped runtime vs the per-expert reference."""
    import torch

    from wattlab.systems.moe.layer import MoEFFN
    from wattlab.systems.moe.runtime import run_layer

    torch.manual_seed(int(rng.integers(2**31)))
    m = MoEFFN(64, 32, 32, 4)
    x = torch.randn(256, 64)
    resident = np.ones(32, dtype=bool)

    def best(fn: Any) -> float:
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    with torch.no_grad():
        per_expert = best(lambda: m(x))
        grouped = best(lambda: run_layer(m, x, (32, 64), resident, 8))
        _, plan = run_layer(m, x, (32, 64), resident, 8)
    return {"per_expert_s": per_expert, "grouped_s": grouped, "experts": 32.0,
            "grouped_dispatches": float(plan.dispatches)}


def _figure(sens: list[dict[str, Any]], metric: str) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 3.2))
    ax = fig.add_subplot()
    key = "speedup_vs_gpu" if metric == "speedup" else "energy_gain_vs_gpu"
    for n in sorted({r["n_tiers"] for r in sens}):
        pts = [(r["zipf_s"], r[key]) for r in sens if r["n_tiers"] == n]
        ax.plot(*zip(*pts, strict=True), marker="o", label=f"{n} tier(s)")
    ax.set_xlabel("expert popularity skew (Zipf exponent)")
    ax.set_ylabel(f"modelled {metric.replace('_', ' ')} vs GPU-only (x)")
    ax.set_title("NPUMoE plan, 4k-token prefill (MODEL ONLY)")
    ax.legend()
    return fig


def _modelled(ctx: RunContext, metric: str) -> float:
    """The value alone (the sensitivity pass's cheap path): no what-if, sweep or measurement."""
    rows, _ = _workloads(ctx)
    return max(r[metric] for r in rows if r["baseline"] == "gpu-only")


def _run(ctx: RunContext, metric: str, paper_min: float) -> Outcome:
    rows, info = _workloads(ctx)
    sens, disp, whatif = _sensitivity(ctx), measured_dispatch(ctx.rng), what_if(ctx)
    vs_gpu = [r[metric] for r in rows if r["baseline"] == "gpu-only"]
    wkey = "speedup_vs_gpu" if metric == "speedup" else "energy_gain_vs_gpu"
    best = max(whatif, key=lambda r: r[wkey])
    vs_cpu = [r[metric] for r in rows if r["baseline"] == "cpu-only"]
    out = Outcome(max(vs_gpu), tables={"workloads": rows, "sensitivity": sens, "what_if": whatif,
                                       "measured_dispatch_cpu": [disp]},
                  costs=dict(info["costs"]))
    out.figure("sensitivity", _figure(sens, metric))
    out.notes += [
        "MODEL ONLY: no Apple hardware was measured; every device figure is an npumoe.* parameter, "
        "most of them assumed (ANE/GPU/CPU power, efficiencies, dispatch and sync times).",
        f"Value = the largest {metric.replace('_', ' ')} over the four prefill workloads against a "
        f"GPU-only baseline (the strongest): range {min(vs_gpu):.2f}-{max(vs_gpu):.2f}x; against "
        f"a CPU-only baseline {min(vs_cpu):.2f}-{max(vs_cpu):.2f}x. The paper's range starts at "
        f"{paper_min}x; its baselines and the other two models are not identified in the sources read.",
        f"Model: Qwen3-30B-A3B shape (48 layers, 128 experts, top-8), chunked prefill of {CHUNK} "
        f"tokens, synthetic Zipf({ZIPF_S}) routing (not a real router trace), calibrated tiers "
        f"{info['tiers']}, groups of {GROUP}, {RESIDENT_SHARE:.0%} of experts ANE-resident.",
        "Why the gain over the GPU is small here: at long context the attention core dominates and "
        "has dynamic shapes, so it stays on the GPU; the experts' gain is bounded by their share "
        "(see the workloads table: the gain falls as the context grows). What-if (4k tokens): with "
        f"the attention core compiled for static context buckets and the {best['objective']} "
        f"objective, the modelled gain reaches {best[wkey]:.2f}x (what_if table).",
        f"Measured on this CPU (real, not modelled): one MoE layer with 32 experts and 256 tokens "
        f"takes {disp['per_expert_s'] * 1e3:.2f} ms with one call per expert and "
        f"{disp['grouped_s'] * 1e3:.2f} ms through the tiered runtime "
        f"({disp['grouped_dispatches']:.0f} grouped dispatches, padding included): "
        f"{disp['per_expert_s'] / disp['grouped_s']:.2f}x.",
        f"A value below the paper's stated minimum ({paper_min}x) is not a trend reproduction: "
        "the claim's trend threshold is that minimum, so only a value inside the paper's range "
        "(and within 3x of its maximum) can be trend-reproduced.",
        "Inputs from the paper: none of the device figures; only the claim's numbers. Not fitted.",
    ]
    return out


STUDIES = [
    Study(id="npumoe.latency", paper=PAPER, arxiv=ARXIV,
          claim=Claim("NPUMoE lowers long-context MoE prefill latency by 1.32-5.55x on Apple M-series",
                      "modelled prefill speed-up vs GPU-only (max over workloads)", "x", 5.55,
                      rel_tol=0.25, kind="approx", trend_threshold=1.32),
          run=lambda ctx: _run(ctx, "speedup", 1.32), evidence="modelled", boundary=BOUNDARY,
          modelled=lambda ctx: _modelled(ctx, "speedup"),
          inputs_from_paper=("claim range 1.32-5.55x",)),
    Study(id="npumoe.energy", paper=PAPER, arxiv=ARXIV,
          claim=Claim("NPUMoE improves energy efficiency by 1.81-7.37x on Apple M-series",
                      "modelled energy-efficiency gain vs GPU-only (max over workloads)", "x", 7.37,
                      rel_tol=0.25, kind="approx", trend_threshold=1.81),
          run=lambda ctx: _run(ctx, "energy_gain", 1.81), evidence="modelled", boundary=BOUNDARY,
          modelled=lambda ctx: _modelled(ctx, "energy_gain"),
          inputs_from_paper=("claim range 1.81-7.37x",)),
]
