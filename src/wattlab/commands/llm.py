"""``wattlab llm``: shipped LLM configs, their parameter counts, and a request's roofline cost."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from wattlab.commands._options import BoundedInt, FiniteFloat
from wattlab.commands._output import literal_console

app = typer.Typer(help="LLM architecture configs: parameters, FLOPs, and a request's cost on a "
                  "device (roofline model).", no_args_is_help=True)
console = literal_console()

ParamFiles = Annotated[list[Path] | None, typer.Option(
    "--params", help="A TOML parameter file layered over the defaults (repeatable).")]


@app.command("list")
def list_llms() -> None:
    """The shipped configs with total and active parameters.

    Example: wattlab llm list --json
    """
    from wattlab.workloads.llm import known_llms, llm_config, param_count

    t = Table("model", "layers", "hidden", "heads/kv", "experts")
    for col in ("total params", "active params"):
        t.add_column(col, no_wrap=True, justify="right")
    t.add_column("source", overflow="fold")
    for name in known_llms():
        c = llm_config(name)
        pc = param_count(c)
        moe = f"{c.top_k}/{c.experts}" if c.is_moe else "-"
        t.add_row(name, str(c.layers), str(c.hidden), f"{c.heads}/{c.kv_heads}", moe,
                  f"{pc.total / 1e9:.3f} B", f"{pc.active / 1e9:.3f} B", c.source)
    console.print(t)


@app.command("cost")
def cost(
    model: Annotated[str, typer.Argument(help="Shipped config name, TOML file or HF config.json.")],
    device: Annotated[str, typer.Option("--device", help="Registry device name.")] = "t4",
    n_in: Annotated[int, typer.Option("--n-in", click_type=BoundedInt(1, 10**7),
                                      help="Prompt tokens.")] = 128,
    n_out: Annotated[int, typer.Option("--n-out", click_type=BoundedInt(1, 10**7),
                                       help="Generated tokens.")] = 128,
    batch: Annotated[int, typer.Option("--batch", click_type=BoundedInt(1, 10**5),
                                       help="Concurrent requests.")] = 1,
    weight_bits: Annotated[float | None, typer.Option(
        "--weight-bits", click_type=FiniteFloat(1, 32),
        help="Weight precision (bits, 1..32); 16 by default.")] = None,
    kv_bits: Annotated[float | None, typer.Option("--kv-bits", click_type=FiniteFloat(1, 32),
                                                  help="KV-cache bits (1..32).")] = None,
    params: ParamFiles = None,
) -> None:
    """Modelled energy, latency and energy per token of a request (labelled: roofline model).

    Example: wattlab llm cost llama-3.2-1b --device t4 --n-in 512 --n-out 128 --batch 4
    """
    from wattlab.hardware import Device
    from wattlab.params import load_registry
    from wattlab.units import format_si
    from wattlab.workloads.llm import llm_config, request_cost, weight_bytes

    reg = load_registry(params or [])
    c = llm_config(model).with_bits(weight_bits, kv_bits)
    dev = Device.from_registry(device, reg)
    r = request_cost(c, dev, n_in, n_out, batch=batch, params=reg)
    console.print(Text.assemble(
        (c.name, "bold"), f" ({c.weight_bits:g}-bit weights, {format_si(weight_bytes(c), 'B')}) on ",
        (dev.name, "bold"), f", batch {batch}, {n_in} in + {n_out} out tokens — modelled "
        "(roofline), not measured"))
    console.print(r)
    console.print(f"latency {format_si(r.latency_s, 's')} (first token "
                  f"{format_si(r.counts['prefill_s'], 's')}); energy per request "
                  f"{format_si(r.energy_total_j / batch, 'J')}; per token "
                  f"{format_si(r.j_per_token, 'J')}")
