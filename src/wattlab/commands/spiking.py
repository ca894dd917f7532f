"""``wattlab spiking convert|evaluate``: run a model's Linear layers as spiking layers."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from wattlab.commands._options import BoundedInt, Seed, count
from wattlab.errors import SpecError

app = typer.Typer(help="Spiking LLMs (SpikeMLLM-style exact spike coding): convert a model's "
                       "Linear layers to spikes, see SOPs, energy and accuracy against the ANN.",
                  no_args_is_help=True)

ModelOpt = Annotated[str, typer.Option(
    help="smollm2, minilm, tiny (a random 32-64-64-10 MLP, for a quick look), or the path of "
         "a torch.save()d nn.Module (then give --input-dim).")]
CodingOpt = Annotated[str, typer.Option(
    help="rate, bitwise, ternary_rate, ternary_bitwise (TC-LIF) or twos_complement.")]
T_MAX = 16
TOpt = Annotated[int, typer.Option("--timesteps", "-T", click_type=BoundedInt(1, T_MAX),
                                   help=f"Timesteps T (sets the levels), 1..{T_MAX}.")]
GranOpt = Annotated[str, typer.Option(help="Activation quantiser: token, tensor or channel.")]
BoundOpt = Annotated[str, typer.Option(help="Energy boundary: ops or ops+memory.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
ParamsOpt = Annotated[list[Path] | None, typer.Option(
    "--params", help="A TOML parameter file layered over the defaults (repeatable).")]


def _table(title: str, rows: list[dict[str, Any]]) -> None:
    from wattlab.commands._output import literal_console, rows_table

    literal_console().print(rows_table(title, rows))


def _early_checks(params: list[Path] | None, coding: str, granularity: str,
                  boundary: str = "ops", ann: str = "fp16", acc: str = "int32") -> Any:
    """Validate the cheap inputs before torch is imported (a bad value fails fast)."""
    from wattlab.params import load_registry
    from wattlab.substrates.spiking.names import (
        BOUNDARIES,
        GRANULARITIES,
        KINDS,
        PRECISION_BITS,
        check_choice,
    )

    reg = load_registry(params or [])
    check_choice("--coding", coding, KINDS)
    check_choice("--granularity", granularity, GRANULARITIES)
    check_choice("--boundary", boundary, BOUNDARIES)
    check_choice("--ann", ann, sorted(PRECISION_BITS))
    check_choice("--acc", acc, sorted(PRECISION_BITS))
    return reg


def _load(model: str, input_dim: int | None, calib_tokens: int, batch: int) -> tuple[Any, ...]:
    """(model, tokenizer or None, calibration batches, eval batches)."""
    import torch

    if model == "tiny":
        g = torch.Generator().manual_seed(0)
        torch.manual_seed(0)
        m = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.GELU(), torch.nn.Linear(64, 64),
                                torch.nn.GELU(), torch.nn.Linear(64, 10)).eval()
        return m, None, [torch.randn(batch, 32, generator=g) for _ in range(2)], \
            [torch.randn(batch, 32, generator=g) for _ in range(2)]
    if model in ("smollm2", "minilm"):
        from wattlab.nn.corpus import load_corpus
        from wattlab.nn.spiking import text_batches
        from wattlab.nn.zoo import load_minilm, load_smollm2

        m, tok = load_smollm2() if model == "smollm2" else load_minilm()
        cal = text_batches(tok, load_corpus("train")[:4], max_tokens=calib_tokens,
                           window=min(128, calib_tokens))
        ev = text_batches(tok, load_corpus("eval")[:4], max_tokens=calib_tokens,
                          window=min(128, calib_tokens))
        return m, tok, cal, ev
    path = Path(model)
    if not path.is_file():
        raise SpecError(f"--model {model!r} is neither smollm2, minilm nor an existing file; "
                        f"save your model with torch.save(model, 'model.pt') and pass its path")
    if input_dim is None or input_dim < 1:
        raise SpecError("--input-dim is required for a model file: the width of its input "
                        "features (calibration uses random normal inputs of that width)")
    try:
        m = torch.load(path, weights_only=False)
    except Exception as exc:
        raise SpecError(f"could not load {path} with torch.load ({type(exc).__name__}: {exc}); "
                        f"save your model with torch.save(model, path)") from None
    if not isinstance(m, torch.nn.Module):
        raise SpecError(f"{path} holds a {type(m).__name__}, not a torch.nn.Module; save the "
                        f"whole module with torch.save(model, path)")
    g = torch.Generator().manual_seed(0)
    cal = [torch.randn(batch, input_dim, generator=g) for _ in range(2)]
    ev = [torch.randn(batch, input_dim, generator=g) for _ in range(2)]
    return m.eval(), None, cal, ev


@app.command()
def convert(
    model: ModelOpt = "smollm2",
    coding: CodingOpt = "ternary_bitwise",
    timesteps: TOpt = 4,
    granularity: GranOpt = "token",
    weight_bits: Annotated[int, count(2, 16, "Weight bits (per-channel), 2..16.")] = 8,
    boundary: BoundOpt = "ops",
    ann: Annotated[str, typer.Option(help="ANN MAC precision: fp32, fp16, int8.")] = "fp16",
    acc: Annotated[str, typer.Option(help="SNN accumulate precision.")] = "int32",
    calib_tokens: Annotated[int, count(16, 8192, "Calibration tokens (text models).")] = 256,
    input_dim: Annotated[int | None, count(1, 65536, "Input width of a model file.")] = None,
    batch: Annotated[int, count(1, 4096, "Batch of random inputs (model file, tiny).")] = 32,
    layers: Annotated[bool, typer.Option("--layers", help="Show every layer.")] = False,
    json_out: JsonOpt = False,
    params: ParamsOpt = None,
) -> None:
    """Convert the Linear layers to spiking form, calibrate per layer, run a batch and report
    spikes, SOPs and energy against the dense ANN under the stated boundary.

    Example: wattlab spiking convert --model smollm2 --coding ternary_bitwise -T 4 --json
    """
    reg = _early_checks(params, coding, granularity, boundary, ann, acc)
    if model not in ("smollm2", "minilm", "tiny"):
        if not Path(model).is_file():
            raise SpecError(f"--model {model!r} is neither smollm2, minilm, tiny nor an existing "
                            f"file; save your model with torch.save(model, 'model.pt') and pass "
                            f"its path")
        if input_dim is None:
            raise SpecError("--input-dim is required for a model file: the width of its input "
                            "features (calibration uses random normal inputs of that width)")
    import torch

    from wattlab.nn.spiking import SpikingConfig
    from wattlab.nn.spiking import convert as do_convert

    cfg = SpikingConfig(coding=coding, timesteps=timesteps,  # type: ignore[arg-type]
                        granularity=granularity, weight_bits=weight_bits,  # type: ignore[arg-type]
                        boundary=boundary, ann=ann, acc=acc)  # type: ignore[arg-type]
    m, _, cal, ev = _load(model, input_dim, calib_tokens, batch)
    with do_convert(m, cfg, cal, params=reg) as sm, torch.no_grad():
        for b in ev:
            m(b)
        summary, rows = sm.summary(), sm.table()
    if json_out:
        typer.echo(json.dumps({"summary": summary, "layers": rows}, indent=2))
        return
    if layers:
        _table("per layer", rows)
    _table(f"{model}: {coding} T={timesteps}", [{k: v for k, v in summary.items()
                                                 if k != "boundary"}])
    typer.echo(f"boundary: {summary['boundary']}")


@app.command()
def evaluate(
    coding: CodingOpt = "ternary_bitwise",
    timesteps: Annotated[list[int] | None, typer.Option(
        "--timesteps", "-T", help="Timesteps to sweep (repeatable).")] = None,
    granularity: GranOpt = "token",
    weight_bits: Annotated[int, count(2, 16, "Weight bits (per-channel), 2..16.")] = 8,
    max_tokens: Annotated[int, count(16, 65536, "Evaluation tokens.")] = 512,
    seed: Seed = 0,
    json_out: JsonOpt = False,
    params: ParamsOpt = None,
) -> None:
    """Spiking SmolLM2 perplexity against its own unquantised baseline, per T, with a 95%
    paired block-bootstrap interval of the gap.

    Example: wattlab spiking evaluate --coding ternary_bitwise -T 4 -T 7 --max-tokens 512
    """
    reg = _early_checks(params, coding, granularity)
    ts = timesteps or [4]
    bad = [t for t in ts if not 1 <= t <= T_MAX]
    if bad:
        raise SpecError(f"--timesteps {bad[0]} is out of range: use 1..{T_MAX}")
    if len(ts) > 8:
        raise SpecError(f"--timesteps given {len(ts)} times; at most 8 per run")
    if max_tokens < 16:
        raise SpecError(f"--max-tokens must be >= 16, got {max_tokens}")
    import numpy as np

    from wattlab.nn.corpus import load_corpus
    from wattlab.nn.spiking import (
        SpikingConfig,
        convert,
        perplexity_gap,
        text_batches,
        token_nlls,
    )
    from wattlab.nn.zoo import load_smollm2

    cfgs = [SpikingConfig(coding=coding, timesteps=t, granularity=granularity,  # type: ignore[arg-type]
                          weight_bits=weight_bits) for t in ts]
    model, tok = load_smollm2()
    ev, tr = load_corpus("eval"), load_corpus("train")
    cal = text_batches(tok, tr[:2], max_tokens=256, window=128)
    win = min(256, max_tokens)
    base = token_nlls(model, tok, ev, max_tokens=max_tokens, window=win, stride=win // 2)
    rng = np.random.default_rng(seed)
    rows = []
    for cfg in cfgs:
        with convert(model, cfg, cal, params=reg) as sm:
            nll = token_nlls(model, tok, ev, max_tokens=max_tokens, window=win, stride=win // 2)
            s = sm.summary()
        gap, (lo, hi) = perplexity_gap(base, nll, rng)
        rows.append({"coding": coding, "T": cfg.timesteps,
                     "ppl_base": math.exp(float(base.mean())),
                     "ppl": math.exp(float(nll.mean())), "gap_pct": 100 * gap,
                     "gap_lo_pct": 100 * lo, "gap_hi_pct": 100 * hi,
                     "spikes_per_activation": s["spikes_per_activation"],
                     "saturated": s["saturated"], "ann_over_snn_energy": s["ratio_ann_over_snn"]})
    if json_out:
        typer.echo(json.dumps({"rows": rows, "boundary": s["boundary"]}, indent=2))
        return
    _table(f"SmolLM2 spiking perplexity ({len(base)} tokens)", rows)
    typer.echo(f"boundary: {s['boundary']}")
