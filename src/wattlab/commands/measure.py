"""``wattlab measure -- COMMAND ...``: energy, time and mean power of any command, labelled."""

from __future__ import annotations

import csv
import json
import math
import sys
import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from wattlab.commands._options import FiniteFloat, OutFile
from wattlab.commands._output import literal_console

app = typer.Typer(help="Measure the energy of any command (NVML, RAPL or a labelled estimate).",
                  no_args_is_help=False)

EXAMPLE = """Examples:

  wattlab measure -- python train.py --epochs 1

  wattlab measure --devices gpu,cpu --interval 0.5 --json -- ./bench.sh > energy.json

  wattlab measure --csv energy.csv --grid-gco2-per-kwh 56 -- make test

Exit code: the command's own (128+N when killed by signal N, 130 on Ctrl-C); 2 when there is no
command, the program is not found or a device asked for is absent. A failed command still gets
its readings (energy up to that point), flagged incomplete.
"""


def _fmt(x: float, unit: str) -> str:
    from wattlab.units import format_si

    return "unknown" if not math.isfinite(x) else format_si(x, unit)


@app.callback(invoke_without_command=True, epilog=EXAMPLE,
              context_settings={"allow_interspersed_args": False,
                                "ignore_unknown_options": True})
def measure(
    command: Annotated[list[str] | None, typer.Argument(
        help="The command to run and its arguments (after '--').", show_default=False)] = None,
    devices: Annotated[str, typer.Option(
        "--devices", help="Comma list of: auto, gpu, gpu:N, cpu, dram, estimate.")] = "auto",
    interval: Annotated[float, typer.Option(
        "--interval", click_type=FiniteFloat(0.001, 60, what="seconds"),
        help="Power sample period in seconds (NVML sampling; RAPL polls at >= 1 s).")] = 0.1,
    json_out: Annotated[bool, typer.Option(
        "--json", help="Print the readings as JSON on stdout instead of a table.")] = False,
    csv_out: Annotated[Path | None, typer.Option(
        "--csv", click_type=OutFile((".csv",)), help="Also write the readings to a CSV file.")]
    = None,
    grid: Annotated[float | None, typer.Option(
        "--grid-gco2-per-kwh", click_type=FiniteFloat(0, 5000, what="gCO2/kWh"),
        help="Grid carbon intensity for the carbon column (default: the registry's published "
             "world average, grid.world_average_intensity).")] = None,
    carbon: Annotated[bool, typer.Option(
        "--carbon/--no-carbon", help="Show gCO2 per reading.")] = True,
) -> None:
    """Run COMMAND and report energy, time and mean power per device.

    Each reading is labelled measured:nvml, measured:rapl or estimated:... (a power model x
    CPU utilisation when no meter is readable); measured and estimated are never summed.
    """
    from wattlab.errors import SpecError
    from wattlab.measure import GridIntensity, measure_command

    args = list(command or [])
    if args and args[0] == "--":
        args = args[1:]
    devs = [d.strip() for d in devices.split(",") if d.strip()]
    if not devs:
        raise SpecError("--devices is empty; use e.g. --devices auto or --devices gpu,cpu")
    intensity = None
    if carbon:
        intensity = GridIntensity.given(grid) if grid is not None else GridIntensity.default()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = measure_command(args, devs, interval_s=interval, grid=intensity)
    err = literal_console(stderr=True, highlight=False, soft_wrap=True)
    for w in caught:
        err.print(Text(f"warning: {w.message}", style="yellow"))
    data = res.to_dict()
    if csv_out is not None:
        import io

        from wattlab.files import atomic_write

        buf = io.StringIO()
        fields = ["device", "energy_j", "time_s", "mean_power_w", "label", "covers", "method",
                  "complete", "note"] + (["co2_g"] if intensity is not None else [])
        writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for row in data["readings"]:
            writer.writerow(row)
        atomic_write(csv_out, buf.getvalue())
    if json_out:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        t = Table(title=f"wattlab measure: {' '.join(res.argv)}", title_justify="left")
        for col in ("device", "energy", "time", "mean power", "label"):
            t.add_column(col, overflow="fold")
        if intensity is not None:
            t.add_column("CO2")
        for r in res.readings:
            row = [r.device, _fmt(r.energy_j, "J") + ("" if r.complete else " (incomplete)"),
                   _fmt(r.time_s, "s"), _fmt(r.mean_power_w, "W"), r.label]
            if intensity is not None:
                g = intensity.grams(r.energy_j)
                row.append("unknown" if not math.isfinite(g) else f"{g:.3g} g")
            t.add_row(*row)
        err.print(t)
        for r in res.readings:
            err.print(Text(f"{r.device}: covers {r.covers}; {r.method}"))
        if intensity is not None:
            err.print(Text(f"CO2 at {intensity.g_per_kwh:g} gCO2/kWh ({intensity.evidence}): "
                           f"{intensity.source}"))
        if res.exit_code != 0:
            err.print(Text(f"the command exited with code {res.exit_code}: the readings are "
                           "the energy up to that point (incomplete)", style="red"))
        if csv_out is not None:
            err.print(Text(f"readings written to {csv_out}"))
    if res.exit_code != 0:
        raise typer.Exit(res.exit_code)
