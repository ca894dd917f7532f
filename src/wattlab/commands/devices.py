"""``wattlab devices``: the hardware catalogue — devices and memory technologies, with sources."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from wattlab.commands._output import literal_console

app = typer.Typer(help="The hardware catalogue: compute devices, other devices (FPGAs, sensors, "
                       "SoC engines) and memory technologies, with sources.", no_args_is_help=True)
console = literal_console()

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


@app.command("others")
def list_others(params: ParamFiles = None) -> None:
    """Catalogue devices without a roofline (FPGAs, sensors, SoC engines, radios): their fields.

    Example: wattlab devices others
    """
    from wattlab.hardware import known_devices, spec
    from wattlab.hardware.spec import known_names
    from wattlab.params import load_registry

    reg = load_registry(params or [])
    t = Table("device", "fields")
    for name in sorted(set(known_names(reg)) - set(known_devices(reg)) - {"roofline"}):
        t.add_row(name, " ".join(spec(reg, name).fields))
    console.print(t)


@app.command("memories")
def list_memories(params: ParamFiles = None) -> None:
    """Memory technologies: energy per bit, bandwidth and capacity per unit, static power.

    Example: wattlab devices memories
    """
    from wattlab.hardware import memory, memory_technologies
    from wattlab.params import load_registry
    from wattlab.units import format_si

    reg = load_registry(params or [])
    t = Table("technology", "energy/bit", "bandwidth/unit", "capacity/unit", "static/unit")
    for tech in memory_technologies(reg):
        m = memory(reg, tech)
        cell = [format_si(getattr(m, f), u) if m.has(f) else "—"
                for f, u in (("e_bit", "J"), ("bw", "B/s"), ("capacity", "B"), ("static_power", "W"))]
        t.add_row(tech, *cell)
    console.print(t)


@app.command("show")
def show(name: Annotated[str, typer.Argument(help="Device name, e.g. t4 or xc7s15.")],
         params: ParamFiles = None) -> None:
    """Every field of one catalogue device with value, evidence and source (compute devices
    also show their derived per-op energy).

    Example: wattlab devices show h100
    """
    from wattlab.hardware import Device, known_devices, spec
    from wattlab.params import load_registry
    from wattlab.units import format_si

    reg = load_registry(params or [])
    entry = spec(reg, name)
    sources = {entry.key(f): reg[entry.key(f)] for f in entry.fields}
    dev = Device.from_registry(entry.name, reg) if entry.name in known_devices(reg) else None
    if dev is not None:
        sources.update(dev.sources)
    t = Table("field", "value", "evidence", "source (locator)", title=f"device {entry.name}")
    own = f"dev.{entry.name}."
    for key, p in sorted(sources.items()):
        field = key.removeprefix(own) if key.startswith(own) else key.split(".", 1)[1]
        t.add_row(field, p.given, p.evidence,
                  f"{p.source.citation} ({p.locator}) {p.source.url}")
    console.print(t)
    if dev is None:
        return
    for prec in dev.precisions:
        console.print(f"derived energy per op, {prec}: {format_si(dev.op_energy_j(prec), 'J')} "
                      "= (TDP − idle − DRAM power at full bandwidth) / peak [assumption]")
