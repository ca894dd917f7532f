"""``wattlab moe``: a modelled NPUMoE serving simulation and measured self-speculative decoding."""

from __future__ import annotations

import dataclasses
import re
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from wattlab.errors import SpecError

app = typer.Typer(help="MoE serving: NPUMoE-style runtime (modelled) and self-speculative decoding.",
                  no_args_is_help=True)
console = Console()


def _tiers(text: str) -> tuple[int, ...]:
    from wattlab.systems.moe.tiers import check_tiers

    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise SpecError(f"--tiers '{text}': give comma-separated whole numbers, e.g. 16,32") from exc
    return check_tiers(values)


@app.command("serve-sim")
def serve_sim(
    tokens: Annotated[int, typer.Option(help="Prefill length in tokens.")] = 8192,
    chunk: Annotated[int, typer.Option(help="Prefill chunk (static shape) in tokens.")] = 512,
    tiers: Annotated[str, typer.Option(
        help="Capacity tiers, comma-separated; 'auto' = calibrated DP.")] = "auto",
    n_tiers: Annotated[int, typer.Option(help="Tiers the calibration may choose (with --tiers auto).")] = 3,
    group: Annotated[int, typer.Option(help="Experts per grouped NPU dispatch.")] = 4,
    budget_gb: Annotated[float, typer.Option(help="NPU-resident expert memory per layer, GB.")] = 0.6,
    top_k: Annotated[int | None, typer.Option(help="Override the model's routed experts per token.")] = None,
    zipf: Annotated[float, typer.Option(help="Expert-popularity skew (Zipf exponent; 0 = uniform).")] = 1.0,
    layers: Annotated[int, typer.Option(help="Layers simulated (the rest repeat their cost).")] = 2,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic routing.")] = 0,
) -> None:
    """Modelled prefill of a Qwen3-30B-A3B-shaped MoE on an Apple M2 Max: NPUMoE plan vs GPU/CPU only."""
    from wattlab.params import default_registry
    from wattlab.systems.moe import calibrate as cal
    from wattlab.systems.moe import serving as sv
    from wattlab.systems.moe.devices import m2max
    from wattlab.systems.moe.layer import check_routing

    params = default_registry()
    shape = sv.moe_model(params)
    if top_k is not None:
        check_routing(shape.experts, top_k)
        shape = dataclasses.replace(shape, top_k=top_k)
    if chunk < 1 or tokens < chunk:
        raise SpecError(f"--tokens {tokens} / --chunk {chunk}: need 1 <= chunk <= tokens")
    budget = budget_gb * 1e9
    sv.check_plan_inputs((1,), group, budget, shape)
    rng = np.random.default_rng(seed)
    pop = cal.zipf_popularity(shape.experts, zipf, rng, layers)
    calib = cal.synthetic_profile(pop, shape.top_k, chunk, 8, rng)
    plan = sv.plan_tiers(calib, shape, m2max(params), n_tiers, group, budget)
    if tiers != "auto":
        plan = dataclasses.replace(plan, tiers=_tiers(tiers))
    ev = cal.synthetic_profile(pop, shape.top_k, chunk, tokens // chunk, rng)
    ours = sv.prefill(ev, shape, params, "npumoe", plan)
    table = Table(title=f"Modelled prefill, {tokens} tokens (MODEL ONLY; assumed device figures)")
    for col in ("plan", "latency", "energy", "J/token", "speed-up", "energy gain"):
        table.add_column(col)
    for name in ("cpu", "gpu", "npumoe"):
        c = ours if name == "npumoe" else sv.prefill(ev, shape, params, name)
        s, g = sv.ratios(c, ours)
        table.add_row(name, f"{c.latency_s:.3f} s", f"{c.energy_total_j:.1f} J",
                      f"{c.j_per_token * 1e3:.2f} mJ",
                      f"{s:.2f}x" if name != "npumoe" else "-", f"{g:.2f}x" if name != "npumoe" else "-")
    console.print(table)
    console.print(f"tiers {plan.tiers}, group {group}, resident experts per layer "
                  f"{int(plan.resident[0].sum())} of {shape.experts}; speed-up = baseline / npumoe")


def _draft(spec: str, bits: int | None, model: Any, calib_ids: Any) -> Any:
    """``topN`` (N experts per token) or ``hotN`` (the N most popular calibrated experts)."""
    import torch

    from wattlab.systems.moe import calibrate as cal
    from wattlab.systems.moe import specdec as sd

    m = re.fullmatch(r"(top|hot)(\d+)", spec)
    if not m:
        raise SpecError(f"--draft '{spec}': use topN (e.g. top1) or hotN (e.g. hot8)")
    n = int(m.group(2))
    if m.group(1) == "top":
        return sd.Elastic(top_k=n, weight_bits=bits)
    prof = cal.calibrate(model, calib_ids, int(calib_ids.shape[1]))
    if not 1 <= n <= prof.n_experts:
        raise SpecError(f"--draft hot{n}: the hot set holds 1..{prof.n_experts} experts")
    order = np.argsort(-prof.popularity, axis=1)[:, :n]
    hot = [torch.zeros(prof.n_experts, dtype=torch.bool).index_fill_(0, torch.from_numpy(o), True)
           for o in order]
    return sd.Elastic(top_k=None, hot=hot, weight_bits=bits)


@app.command()
def speculate(
    gamma: Annotated[int, typer.Option(help="Drafted tokens per verification (>= 1).")] = 4,
    draft: Annotated[str, typer.Option(
        help="Draft: topN experts per token, or hotN calibrated experts.")] = "top1",
    bits: Annotated[int | None, typer.Option(help="Draft weight precision (MSB bits of int8).")] = None,
    model: Annotated[str, typer.Option(
        help="'smollm2' (MoEfied SmolLM2-135M) or 'tiny' (trained in seconds).")] = "smollm2",
    tokens: Annotated[int, typer.Option(help="New tokens to generate.")] = 32,
    prompt: Annotated[str, typer.Option(help="Prompt text (smollm2) .")] = "The for statement is used to",
    top_k: Annotated[int | None, typer.Option(
        help="Full model's routed experts (smollm2: 16 experts).")] = None,
) -> None:
    """Self-speculative vs plain greedy decoding, measured on this CPU (exact output)."""
    import torch

    from wattlab.params import default_registry
    from wattlab.systems.moe import specdec as sd
    from wattlab.systems.moe.energy import metered
    from wattlab.systems.moe.moefy import set_top_k

    sd.check_gamma(gamma)
    if model == "tiny":
        from wattlab.systems.moe import tiny

        lm = tiny.train(steps=80)
        ids = [3, 4, 5]
        calib = tiny.synthetic_batch(tiny.TinyConfig(), 1, 64, torch.Generator().manual_seed(1))
    elif model == "smollm2":
        from wattlab.systems.moe.smol import moefied_smollm2, token_ids

        _, lm, tok, _ = moefied_smollm2()
        ids = list(tok(prompt, add_special_tokens=False)["input_ids"])
        calib = torch.tensor([token_ids(tok, "train", 256)])
    else:
        raise SpecError(f"--model '{model}': use 'smollm2' or 'tiny'")
    if top_k is not None:
        set_top_k(lm, top_k)
    spec = _draft(draft, bits, lm, calib)
    params = default_registry()
    (ref, ar), ar_j, label = metered(lambda: sd.generate(lm, ids, tokens), params)
    (out, st), sp_j, _ = metered(lambda: sd.speculate(lm, ids, tokens, gamma, sd.SelfDraft(lm, spec)), params)
    table = Table(title=f"Self-speculative decoding ({model}, draft {draft}, γ={gamma}), "
                  "measured on this CPU")
    table.add_column("metric")
    table.add_column("value")
    rows = [("identical to plain greedy", str(out == ref)), ("acceptance α", f"{st.alpha:.3f}"),
            ("tokens per verification", f"{st.tokens_per_round:.2f}"),
            ("formula (1-α^(γ+1))/(1-α)", f"{sd.expected_tokens(st.alpha, gamma):.2f}"),
            ("plain greedy tok/s", f"{tokens / ar.wall_s:.1f}"),
            ("speculative tok/s", f"{tokens / st.wall_s:.1f}"),
            ("speed-up (wall clock)", f"{ar.wall_s / st.wall_s:.2f}x"),
            (f"energy/token plain ({label})", f"{ar_j / tokens:.3f} J"),
            (f"energy/token speculative ({label})", f"{sp_j / tokens:.3f} J")]
    for r in rows:
        table.add_row(*r)
    console.print(table)
    if not label.startswith("measured:"):
        console.print(f"energy is ESTIMATED ({label}): no RAPL counter on this machine")
