"""`wattlab deploy-eval`: EDGE-EVAL's five deployment metrics for a model on a device."""

from __future__ import annotations

from typing import Annotated

import typer

from wattlab.commands._options import BoundedInt, FiniteFloat
from wattlab.commands._output import literal_console

app = typer.Typer(help="EDGE-EVAL deployment metrics (energy/request, N_break, IPJ, rho_sys, "
                       "C_tax, Q_ret) for a model config on a device.", invoke_without_command=True,
                  epilog="Example: wattlab deploy-eval --model smollm2-135m --device t4")


@app.callback()
def deploy_eval(
    model: Annotated[str, typer.Option("--model", help="Shipped config name or config file.")],
    device: Annotated[str, typer.Option("--device", help="Registry device name (wattlab devices list).")],
    n_in: Annotated[int, typer.Option(click_type=BoundedInt(1, 10**7),
                                      help="Prompt tokens per request.")] = 512,
    n_out: Annotated[int, typer.Option(click_type=BoundedInt(1, 10**7),
                                       help="Generated tokens per request.")] = 128,
    batch: Annotated[int, typer.Option(click_type=BoundedInt(1, 10**5),
                                       help="Concurrent requests.")] = 16,
    weight_bits: Annotated[float | None, typer.Option(
        click_type=FiniteFloat(1, 32), help="Weight bits (4.25: INT4+scales).")] = None,
    train_tokens: Annotated[float, typer.Option(
        click_type=FiniteFloat(0, 1e15), help="Adaptation tokens for N_break.")] = 1e6,
    score: Annotated[float | None, typer.Option(
        click_type=FiniteFloat(0, 1), help="Task score in [0, 1] (for IPJ, Q_ret).")] = None,
    score_ref: Annotated[float | None, typer.Option(
        click_type=FiniteFloat(0, 1), help="Reference (FP16) score for Q_ret.")] = None,
) -> None:
    """Print the metrics, each labelled with how it was obtained.

    Example: wattlab deploy-eval --model smollm2-135m --device t4
    """
    from wattlab.systems.deploy_eval import evaluate

    metrics = evaluate(model, device, n_in=n_in, n_out=n_out, batch=batch, weight_bits=weight_bits,
                       train_tokens=train_tokens, score=score, score_ref=score_ref)
    from rich.table import Table
    from rich.text import Text

    console = literal_console()
    t = Table("metric", "value", "unit", "basis", "note", box=None, title_justify="left",
              title=Text(f"{model} on {device} (boundary: the device's compute, memory and "
                         "static power; no host, network or PUE)"))
    t.columns[1].justify = "right"
    t.columns[0].no_wrap = t.columns[3].no_wrap = True
    for m in metrics:
        value = "—" if m.value is None else f"{m.value:.4g}"
        t.add_row(*(Text(str(x)) for x in (m.name, value, m.unit, f"[{m.basis}]", m.note)))
    console.print(t)
