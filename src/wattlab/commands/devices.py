"""``wattlab devices``: the digital devices of the roofline model, with their sources."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Digital devices (GPUs, TPU, SoC, CPU class): specs with sources.",
                  no_args_is_help=True)
console = Console()

ParamFiles = Annotated[list[Path] | None, typer.Option(
    "--params", help="A TOML parameter file layered over the defaults (repeatable).")]


@app.command("list")
def list_devices(params: ParamFiles = None) -> None:
    """One line per device: peak of its default precision, bandwidth, memory, TDP.

    Example: wattlab devices list --json
    """
    from wattlab.hardware import Device, known_devices
    from wattlab.params import load_registry
    from wattlab.units import format_si

    reg = load_registry(params or [])
    t = Table("device", "precisions", "peak (default)", "DRAM bandwidth", "memory", "TDP", "idle")
    for name in known_devices(reg):
        d = Device.from_registry(name, reg)
        p = d.default_precision
        t.add_row(name, " ".join(d.precisions), f"{format_si(d.peak(p), 'op/s')} {p}",
                  format_si(d.mem_bw, "B/s"), format_si(d.mem_capacity, "B"),
                  format_si(d.tdp, "W"), format_si(d.idle_power, "W"))
    console.print(t)


@app.command("show")
def show(name: Annotated[str, typer.Argument(help="Device name, e.g. t4.")],
         params: ParamFiles = None) -> None:
    """Every spec of one device with value, evidence and source, plus derived per-op energy.

    Example: wattlab devices show h100
    """
    from wattlab.hardware import Device
    from wattlab.params import load_registry
    from wattlab.units import format_si

    reg = load_registry(params or [])
    d = Device.from_registry(name, reg)
    t = Table("field", "value", "evidence", "source (locator)", title=f"device {name}")
    for key, p in sorted(d.sources.items()):
        t.add_row(key.split(".", 2)[2], p.given, p.evidence,
                  f"{p.source.citation} ({p.locator}) {p.source.url}")
    console.print(t)
    for prec in d.precisions:
        console.print(f"derived energy per op, {prec}: {format_si(d.op_energy_j(prec), 'J')} "
                      "= (TDP − idle − DRAM power at full bandwidth) / peak [assumption]")
