"""``wattlab sched``: replay a cluster trace under several schedulers; energy, makespan, EDP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from wattlab.commands._options import BoundedInt, FiniteFloat, OutFile, Seed
from wattlab.commands._output import literal_console
from wattlab.errors import SpecError

if TYPE_CHECKING:
    from wattlab.params import Registry
    from wattlab.systems.sched import Cluster, Scheduler, SimResult

app = typer.Typer(help="GPU-cluster co-scheduling: a discrete-event simulator with FCFS, EASY "
                       "backfilling and EcoSched (arXiv 2604.17640). "
                       "Example: wattlab sched simulate --policy all --plot sched.png",
                  no_args_is_help=True)
console = literal_console()

ParamFiles = Annotated[list[Path] | None, typer.Option(
    "--params", help="A TOML parameter file layered over the defaults (repeatable).")]
POLICY_NAMES = ("fcfs-exclusive", "fcfs", "easy", "ecosched")
#: Largest cluster the CLI builds (nodes in all groups); the Python API has no such cap.
MAX_NODES = 4096
#: Most jobs `generate` writes (a larger synthetic trace: use the Python API).
MAX_JOBS = 200_000


def parse_nodes(text: str, gpu: str, gpus: int, numa: int, params: Registry) -> Cluster:
    """``"4"`` (4 nodes of ``gpu``) or ``"2xh100,1xv100"`` (groups of count x device)."""
    from wattlab.systems.sched import Cluster

    groups: list[tuple[int, str, int, int]] = []
    for part in (p.strip() for p in text.split(",")):
        count_s, _, dev = part.partition("x")
        try:
            count = int(count_s)
        except ValueError:
            raise SpecError(f"--nodes '{text}': '{part}' is not 'N' or 'NxDEVICE' "
                            "(e.g. --nodes 4 or --nodes 2xh100,1xv100)") from None
        if count < 1:
            raise SpecError(f"--nodes '{text}': node count {count} must be >= 1")
        groups.append((count, dev or gpu, gpus, numa))
    total = sum(g[0] for g in groups)
    if total > MAX_NODES:
        raise SpecError(f"--nodes '{text}' asks for {total} nodes; the CLI builds at most "
                        f"{MAX_NODES} (use the Python API, wattlab.systems.sched.Cluster, for more)")
    return Cluster.mixed(groups, params)


def make_policies(policy: str, scheduler: str | None, params: Registry,
                  weight: float | None) -> dict[str, Scheduler]:
    """The policies named by ``--policy`` (``all`` = every built-in) plus a user class."""
    from wattlab.systems.sched import EASYBackfill, EcoSched, FCFSExclusive, FCFSRequested, Scheduler

    eco = {} if weight is None else {"weight": weight}
    built: dict[str, Any] = {"fcfs-exclusive": FCFSExclusive, "fcfs": FCFSRequested,
                             "easy": EASYBackfill,
                             "ecosched": lambda: EcoSched.from_params(params, **eco)}
    names = [n.strip() for n in policy.split(",") if n.strip()]
    if names == ["all"]:
        names = list(POLICY_NAMES)
    out: dict[str, Scheduler] = {}
    for n in names:
        if n not in built:
            raise SpecError(f"--policy '{n}' is unknown; use one of {', '.join(POLICY_NAMES)}, "
                            "a comma-separated list, or all")
        out[n] = built[n]()
    if scheduler:
        import importlib

        mod, _, cls = scheduler.partition(":")
        if not mod or not cls:
            raise SpecError(f"--scheduler '{scheduler}' must be 'module:Class'")
        try:
            obj = getattr(importlib.import_module(mod), cls)()
        except Exception as exc:  # user code: any failure to load is bad input, never a traceback
            raise SpecError(f"--scheduler '{scheduler}' could not be loaded ({type(exc).__name__}: "
                            f"{exc}); give 'module:Class' with a no-argument constructor on "
                            "PYTHONPATH") from None
        if not isinstance(obj, Scheduler):
            raise SpecError(f"--scheduler '{scheduler}' is not a wattlab.systems.sched.Scheduler subclass")
        out[getattr(obj, "name", cls) or cls] = obj
    if not out:
        raise SpecError("no policy selected: give --policy and/or --scheduler")
    return out


def plot(results: dict[str, SimResult], path: Path) -> None:
    """GPU utilisation and cluster GPU power over time, one line per policy."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.0, 5.6))
    ax_u, ax_p = fig.subplots(2, 1, sharex=True)
    for name, r in results.items():
        if not len(r.timeline_t):
            continue
        h = (r.timeline_t - r.t0) / 3600
        ax_u.step(h, r.timeline_busy / r.cluster.total_gpus, where="post", lw=0.9, label=name)
        ax_p.step(h, r.timeline_power_w / 1e3, where="post", lw=0.9, label=name)
    ax_u.set_ylabel("GPU utilisation")
    ax_p.set_ylabel("cluster GPU power (kW)")
    ax_p.set_xlabel("time since first submission (h)")
    ax_u.legend(fontsize=8)
    fig.savefig(path, dpi=120, bbox_inches="tight")


@app.command()
def simulate(
    trace: Annotated[Path | None, typer.Option(
        "--trace", help="Trace file; default: the shipped synthetic sample.")] = None,
    layout: Annotated[str | None, typer.Option(
        help="wattlab, swf, pai, helios or philly (default: swf for .swf, else wattlab).")] = None,
    column: Annotated[list[str] | None, typer.Option(
        "--column", help="Rename a column: needed=yours (repeatable).")] = None,
    nodes: Annotated[str, typer.Option(help="Node count, or groups like 2xh100,1xv100.")] = "2",
    gpu: Annotated[str, typer.Option(help="Catalogue GPU of the nodes (dev.<gpu>.*).")] = "h100",
    gpus_per_node: Annotated[int, typer.Option(click_type=BoundedInt(1, 64),
                                               help="GPUs per node (1..64).")] = 8,
    numa: Annotated[int, typer.Option(click_type=BoundedInt(1, 64),
                                      help="NUMA domains per node (divides the GPUs).")] = 2,
    policy: Annotated[str, typer.Option(
        help="ecosched, fcfs, fcfs-exclusive, easy, a comma list, or all.")] = "all",
    scheduler: Annotated[str | None, typer.Option(
        help="Your own policy: module:Class (a wattlab.systems.sched.Scheduler).")] = None,
    interference: Annotated[bool, typer.Option(
        "--interference/--no-interference", help="Co-location slow-down (ecosched.* assumptions).")] = True,
    weight: Annotated[float | None, typer.Option(
        click_type=FiniteFloat(0.0, 1.0),
        help="EcoSched score weight w in [0, 1] (default: registry).")] = None,
    skip_incomplete: Annotated[bool, typer.Option(
        "--skip-incomplete", help="List unfinished trace rows instead of stopping.")] = False,
    procs_per_gpu: Annotated[int, typer.Option(click_type=BoundedInt(1, 1_000_000),
                                               help="SWF: processors per GPU.")] = 1,
    seed: Seed = 0,
    plot_out: Annotated[Path | None, typer.Option(
        "--plot", click_type=OutFile((".png", ".svg", ".pdf")),
        help="Write utilisation and power over time to this PNG (or .svg, .pdf).")] = None,
    json_out: Annotated[Path | None, typer.Option(
        "--json", click_type=OutFile((".json",)), help="Write every result to this JSON file.")] = None,
    sacct: Annotated[Path | None, typer.Option(
        "--sacct", help="Write a Slurm-accounting-like CSV per policy into this folder: "
                        "<policy>.csv (ConsumedEnergy in J).")] = None,
    params: ParamFiles = None,
) -> None:
    """Replay a trace under each policy; energy, makespan, EDP, wait and utilisation side by side.

    Example: wattlab sched simulate --trace jobs.swf --nodes 4 --gpu a100 --policy all --plot p.png
    """
    import numpy as np

    from wattlab.params import load_registry
    from wattlab.systems.sched import SAMPLE, Interference, attach_profiles, read_trace
    from wattlab.systems.sched import simulate as run

    if sacct is not None:
        _check_out_dir(sacct)
    reg = load_registry(params or [])
    cols: dict[str, str] = {}
    for c in column or []:
        need, eq, yours = c.partition("=")
        if not eq or not need or not yours:
            raise SpecError(f"--column '{c}' must be needed=yours, e.g. --column jobid=JobID")
        cols[need.strip()] = yours.strip()
    path = trace or SAMPLE
    tr = read_trace(path, layout, columns=cols or None,
                    incomplete="skip" if skip_incomplete else "error", procs_per_gpu=procs_per_gpu)
    if not tr.jobs:
        raise SpecError(f"trace '{path}' has no GPU jobs ({len(tr.skipped)} rows skipped)")
    cluster = parse_nodes(nodes, gpu, gpus_per_node, numa, reg)
    bare = sum(j.scaling is None for j in tr.jobs)
    jobs = attach_profiles(tr.jobs, reg, np.random.default_rng(seed))
    notes = list(tr.notes)
    if bare:
        notes.append(f"{bare} of {len(jobs)} jobs carry no scaling curve or power: each was given "
                     "the assumed profile of its application (ecosched.synth.* keys)")
    itf = Interference.from_params(reg) if interference else Interference()
    pols = make_policies(policy, scheduler, reg, weight)
    if "ecosched" in pols or "fcfs-exclusive" in pols:
        notes.append("EcoSched and FCFS-exclusive choose each job's GPU count: every job is assumed "
                     "moldable (any power-of-two count up to its node)")
    results: dict[str, SimResult] = {}
    for name, pol in pols.items():
        res = run(jobs, cluster, pol, interference=itf, rng=np.random.default_rng(seed))
        res.check()
        results[name] = res
    _table(results, cluster.describe(), path)
    for n in notes:
        console.print(f"note: {n}")
    if tr.skipped:
        console.print(f"{len(tr.skipped)} trace rows are not GPU jobs (listed in --json); first: "
                      f"{tr.skipped[0][0]}: {tr.skipped[0][1]}")
    first = next(iter(results.values()))
    for u in first.unrunnable[:5]:
        console.print(Text.assemble(("unrunnable", "yellow"), f": {u.reason}"))
    if len(first.unrunnable) > 5:
        console.print(f"... and {len(first.unrunnable) - 5} more unrunnable jobs (see --json)")
    for name, r in results.items():
        if r.stuck:
            console.print(Text.assemble((str(name), "yellow"),
                                        f": {len(r.stuck)} jobs were never started by the policy"))
    if plot_out is not None:
        _write_or_fail(plot_out, lambda: plot(results, plot_out))
        console.print(f"plot written to {plot_out}")
    if sacct is not None:
        _write_sacct(sacct, results)
    if json_out is not None:
        doc = {"trace": str(path), "cluster": cluster.describe(), "notes": notes,
               "skipped": [{"row": r, "reason": why} for r, why in tr.skipped],
               "policies": {n: {**r.summary(), "ledger": r.ledger(),
                                "unrunnable": [{"job": u.job.id, "reason": u.reason} for u in r.unrunnable],
                                "stuck": [j.id for j in r.stuck]} for n, r in results.items()}}
        from wattlab.files import atomic_write

        _write_or_fail(json_out, lambda: atomic_write(json_out, json.dumps(doc, indent=2)))
        console.print(f"results written to {json_out}")


def _write_or_fail(path: Path, write: Any) -> None:
    try:
        write()
    except OSError as exc:
        raise SpecError(f"cannot write '{path}': {exc.strerror or exc}") from None


def _check_out_dir(path: Path) -> None:
    """A folder that exists or can be created (its parent exists), and is writable."""
    import os

    text = str(path)
    if not text.strip() or text in (".", ".."):
        raise SpecError("--sacct needs a folder name, e.g. --sacct accounting")
    try:
        if path.exists() and not path.is_dir():
            raise SpecError(f"--sacct '{text}' is a file; give a folder")
        parent = path if path.is_dir() else path.parent
        if not parent.is_dir():
            raise SpecError(f"--sacct '{text}': the folder {parent} does not exist; create it first")
        if not os.access(parent, os.W_OK):
            raise SpecError(f"--sacct '{text}' cannot be written (permission denied)")
    except OSError as exc:
        raise SpecError(f"--sacct '{text}': {exc.strerror or exc}") from None


def _write_sacct(folder: Path, results: dict[str, SimResult]) -> None:
    import csv
    import io

    from wattlab.files import atomic_write

    try:
        folder.mkdir(exist_ok=True)
        for name, r in results.items():
            rows = r.sacct()
            buf = io.StringIO()
            w = csv.DictWriter(buf, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
            atomic_write(folder / f"{name}.csv", buf.getvalue())
    except OSError as exc:
        raise SpecError(f"--sacct '{folder}': cannot write ({exc.strerror or exc})") from None
    console.print(f"accounting written to {folder}/<policy>.csv")


def _table(results: dict[str, SimResult], cluster: str, path: Path) -> None:
    base_name = "fcfs" if "fcfs" in results else next(iter(results))
    base = results[base_name].summary()
    t = Table("policy", "kWh", "makespan h", "EDP kWh·h", "wait h", "util", "done", "ΔE", "ΔEDP",
              title=f"{path.name} on {cluster}",
              caption=f"Δ: relative to {base_name}; wait: mean queueing time; util: busy GPU share")
    t.columns[0].no_wrap = True
    for name, r in results.items():
        s = r.summary()
        t.add_row(name, f"{s['energy_j'] / 3.6e6:.4g}", f"{s['makespan_s'] / 3600:.4g}",
                  f"{s['edp_js'] / 3.6e6 / 3600:.4g}", f"{s['mean_wait_s'] / 3600:.3g}",
                  f"{s['utilisation']:.1%}", f"{s['finished']}/{s['jobs']}",
                  f"{s['energy_j'] / base['energy_j'] - 1:+.1%}" if base["energy_j"] else "n/a",
                  f"{s['edp_js'] / base['edp_js'] - 1:+.1%}" if base["edp_js"] else "n/a")
    console.print(t)
    console.print("energy boundary: GPU boards only (idle GPUs at dev.<gpu>.idle_power); host, "
                  "network and cooling are outside")


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", click_type=OutFile((".csv",)),
                                      help="CSV file to write (wattlab layout).")],
    jobs: Annotated[int, typer.Option(click_type=BoundedInt(1, MAX_JOBS),
                                      help=f"Number of jobs (1..{MAX_JOBS}).")] = 200,
    nodes: Annotated[str, typer.Option(help="Node count, or groups like 2xh100,1xv100.")] = "2",
    gpu: Annotated[str, typer.Option(help="Catalogue GPU of the nodes.")] = "h100",
    gpus_per_node: Annotated[int, typer.Option(click_type=BoundedInt(1, 64),
                                               help="GPUs per node (1..64).")] = 8,
    numa: Annotated[int, typer.Option(click_type=BoundedInt(1, 64),
                                      help="NUMA domains per node.")] = 2,
    load: Annotated[float | None, typer.Option(
        click_type=FiniteFloat(0.01, 100.0),
        help="Offered load in [0.01, 100] (default ecosched.synth.load).")] = None,
    seed: Seed = 0,
    params: ParamFiles = None,
) -> None:
    """Write a synthetic trace-shaped workload (assumptions: ecosched.synth.* registry keys).

    Example: wattlab sched generate --jobs 1000 --nodes 4 --seed 1 --out jobs.csv
    """
    import numpy as np

    from wattlab.params import load_registry
    from wattlab.systems.sched import synthetic, write_trace

    reg = load_registry(params or [])
    cluster = parse_nodes(nodes, gpu, gpus_per_node, numa, reg)
    js = synthetic(jobs, cluster, np.random.default_rng(seed), reg, load=load)
    header = [f"wattlab synthetic workload: {jobs} jobs for {cluster.describe()}, seed {seed}",
              "assumptions: ecosched.synth.* registry keys; no real trace data"]
    _write_or_fail(out, lambda: write_trace(js, out, header))
    console.print(f"{jobs} jobs written to {out}")
