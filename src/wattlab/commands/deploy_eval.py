"""`wattlab deploy-eval`: EDGE-EVAL's five deployment metrics for a model on a device."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="EDGE-EVAL deployment metrics (energy/request, N_break, IPJ, rho_sys, "
                       "C_tax, Q_ret) for a model config on a device.", invoke_without_command=True)


@app.callback()
def deploy_eval(
    model: Annotated[str, typer.Option("--model", help="Shipped config name or config file.")],
    device: Annotated[str, typer.Option("--device", help="Registry device name (wattlab devices list).")],
    n_in: Annotated[int, typer.Option(help="Prompt tokens per request.")] = 512,
    n_out: Annotated[int, typer.Option(help="Generated tokens per request.")] = 128,
    batch: Annotated[int, typer.Option(help="Concurrent requests.")] = 16,
    weight_bits: Annotated[float | None, typer.Option(help="Weight bits (4.25: INT4+scales).")] = None,
    train_tokens: Annotated[float, typer.Option(help="Adaptation tokens for N_break.")] = 1e6,
    score: Annotated[float | None, typer.Option(help="Task score in [0, 1] (for IPJ, Q_ret).")] = None,
    score_ref: Annotated[float | None, typer.Option(help="Reference (FP16) score for Q_ret.")] = None,
) -> None:
    """Print the metrics, each labelled with how it was obtained."""
    from wattlab.systems.deploy_eval import evaluate

    metrics = evaluate(model, device, n_in=n_in, n_out=n_out, batch=batch, weight_bits=weight_bits,
                       train_tokens=train_tokens, score=score, score_ref=score_ref)
    console = Console()
    console.print(f"[bold]{model} on {device}[/bold] (boundary: the device's compute, memory and "
                  "static power; no host, network or PUE)")
    for m in metrics:
        value = "—" if m.value is None else f"{m.value:.4g}"
        console.print(f"  {m.name:<20} {value:>10} {m.unit:<12} [{m.basis}] {m.note}", markup=False)
