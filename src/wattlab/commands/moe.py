"""``wattlab moe``: a modelled NPUMoE serving simulation and measured self-speculative decoding."""

from __future__ import annotations

import dataclasses
import re
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table

from wattlab.commands._options import BoundedInt, FiniteFloat, Seed
from wattlab.commands._output import literal_console
from wattlab.errors import SpecError

app = typer.Typer(help="MoE serving: NPUMoE-style runtime (modelled) and self-speculative decoding.",
                  no_args_is_help=True)
console = literal_console()


def _tiers(text: str, chunk: int) -> tuple[int, ...]:
    """Capacity tiers: whole numbers of token rows, each at most --chunk (an expert cannot get
    more rows than a chunk holds)."""
    from wattlab.systems.moe.tiers import check_tiers

    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise SpecError(f"--tiers '{text}': give comma-separated whole numbers, e.g. 16,32") from exc
    if len(values) > 64:
        raise SpecError(f"--tiers: {len(values)} tiers; at most 64")
    big = [v for v in values if v > chunk]
    if big:
        raise SpecError(f"--tiers {big[0]}: a tier holds at most --chunk ({chunk}) token rows")
    return check_tiers(values)


def _int(lo: int, hi: int) -> BoundedInt:
    return BoundedInt(lo, hi)


@app.command("serve-sim")
def serve_sim(
    tokens: Annotated[int, typer.Option(click_type=_int(1, 1 << 20),
                                        help="Prefill length in tokens, up to 2^20.")] = 8192,
    chunk: Annotated[int, typer.Option(click_type=_int(1, 1 << 16),
                                       help="Prefill chunk (static shape) in tokens.")] = 512,
    tiers: Annotated[str, typer.Option(
        help="Capacity tiers, comma-separated (each <= --chunk); 'auto' = calibrated DP.")] = "auto",
    n_tiers: Annotated[int, typer.Option(click_type=_int(1, 16), help="Tiers the calibration may "
                                         "choose (with --tiers auto), 1..16.")] = 3,
    group: Annotated[int, typer.Option(click_type=_int(1, 1024),
                                       help="Experts per grouped NPU dispatch.")] = 4,
    budget_gb: Annotated[float, typer.Option(click_type=FiniteFloat(0, 1e4), help="NPU-resident "
                                             "expert memory per layer, GB (0..1e4).")] = 0.6,
    top_k: Annotated[int | None, typer.Option(click_type=_int(1, 1 << 16), help="Override the "
                                              "model's routed experts per token.")] = None,
    zipf: Annotated[float, typer.Option(click_type=FiniteFloat(0, 10), help="Expert-popularity "
                                        "skew (Zipf exponent 0..10; 0 = uniform).")] = 1.0,
    layers: Annotated[int, typer.Option(click_type=_int(1, 1024), help="Layers simulated (the "
                                        "rest repeat their cost; at most the model's).")] = 2,
    seed: Seed = 0,
) -> None:
    """Modelled prefill of a Qwen3-30B-A3B-shaped MoE on an Apple M2 Max: NPUMoE plan vs GPU/CPU only.

    Example: wattlab moe serve-sim --tokens 4096 --tiers 16,64 --budget-gb 0.4
    """
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
    if layers > shape.layers:
        raise SpecError(f"--layers {layers}: the model has {shape.layers} layers")
    fixed = _tiers(tiers, chunk) if tiers != "auto" else None
    budget = budget_gb * 1e9
    sv.check_plan_inputs((1,), group, budget, shape)
    rng = np.random.default_rng(seed)
    pop = cal.zipf_popularity(shape.experts, zipf, rng, layers)
    calib = cal.synthetic_profile(pop, shape.top_k, chunk, 8, rng)
    plan = sv.plan_tiers(calib, shape, m2max(params), n_tiers, group, budget)
    if fixed is not None:
        plan = dataclasses.replace(plan, tiers=fixed)
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


def _n_experts(model: str) -> int:
    """Experts per MoE layer of a --model, known without loading or training it."""
    if model == "tiny":
        from wattlab.systems.moe.tiny import TinyConfig

        return int(TinyConfig().n_experts)
    from wattlab.systems.moe.smol import N_EXPERTS

    return int(N_EXPERTS)


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
    gamma: Annotated[int, typer.Option(click_type=_int(1, 64),
                                       help="Drafted tokens per verification (1..64).")] = 4,
    draft: Annotated[str, typer.Option(
        help="Draft: topN experts per token, or hotN calibrated experts.")] = "top1",
    bits: Annotated[int | None, typer.Option(click_type=_int(1, 8), help="Draft weight precision "
                                             "(MSB bits of int8, 1..8).")] = None,
    model: Annotated[str, typer.Option(
        help="'smollm2' (MoEfied SmolLM2-135M) or 'tiny' (trained in seconds).")] = "smollm2",
    tokens: Annotated[int, typer.Option(click_type=_int(1, 4096),
                                        help="New tokens to generate (1..4096).")] = 32,
    prompt: Annotated[str, typer.Option(help="Prompt text (smollm2) .")] = "The for statement is used to",
    top_k: Annotated[int | None, typer.Option(click_type=_int(1, 1 << 16),
        help="Full model's routed experts (smollm2: 16 experts).")] = None,
) -> None:
    """Self-speculative vs plain greedy decoding, measured on this CPU (exact output).

    Every argument is checked before a model is loaded or trained.

    Example: wattlab moe speculate --model tiny --draft top1 --gamma 3 --tokens 16
    """
    from wattlab.errors import require

    torch = require("torch", extra="torch", purpose="wattlab moe speculate")
    from wattlab.params import default_registry
    from wattlab.systems.moe import specdec as sd
    from wattlab.systems.moe.energy import metered
    from wattlab.systems.moe.moefy import set_top_k

    sd.check_gamma(gamma)
    if model not in ("tiny", "smollm2"):
        raise SpecError(f"--model '{model}': use 'smollm2' or 'tiny'")
    m = re.fullmatch(r"(top|hot)(\d{1,6})", draft)
    if not m:
        raise SpecError(f"--draft '{draft}': use topN (e.g. top1) or hotN (e.g. hot8)")
    n_experts = _n_experts(model)
    for name, n in (("--draft " + draft, int(m.group(2))), ("--top-k", top_k)):
        if n is not None and not 1 <= n <= n_experts:
            raise SpecError(f"{name}: the {model} model has {n_experts} experts; use 1..{n_experts}")
    if model == "smollm2" and not prompt.strip():
        raise SpecError("--prompt is empty; give some text")
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
