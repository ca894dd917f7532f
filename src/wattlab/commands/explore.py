"""``wattlab explore``: search memory (MemExplorer NPU) and CIM (AccelCIM array) design spaces."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_type_hints

import typer
from rich.table import Table

from wattlab.commands._options import BoundedInt
from wattlab.commands._output import literal_console

if TYPE_CHECKING:
    from wattlab.explore import SearchResult, Space

app = typer.Typer(help="Design-space search with Pareto fronts, constraints, sensitivities and "
                       "resumable checkpoints (memory: MemExplorer's NPU; cim: AccelCIM's arrays).",
                  no_args_is_help=True)
console = literal_console()

SpaceOpt = Annotated[Path | None, typer.Option(
    "--space", help="A TOML space file (\\[dims], \\[fixed], \\[constraints]); default: the "
                    "shipped example (see `wattlab explore example memory`).")]
ObjOpt = Annotated[list[str] | None, typer.Option(
    "--objective", help="'min:metric' or 'max:metric' (repeatable).")]
ConsOpt = Annotated[list[str] | None, typer.Option(
    "--constraint", help="Output limit 'metric <= number' or 'metric >= number', optionally "
                         "'label: ...' (repeatable), e.g. 'power cap: power_w <= 300'.")]
OutOpt = Annotated[Path, typer.Option(
    "--out", help="Directory for results.csv, front.csv, pareto.png, sensitivity.txt, "
                  "summary.json and the checkpoint; rerunning with the same --out resumes.")]
MethodOpt = Annotated[str, typer.Option(help="grid, random or nsga2.")]
NOpt = Annotated[int | None, typer.Option("--n", help="Samples (random) or evaluations (nsga2).")]
BackendOpt = Annotated[str, typer.Option(help="process, serial or ray.")]
ClusterOpt = Annotated[str | None, typer.Option(help="Ray cluster address (implies --backend ray).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the summary and front as JSON.")]
ParamFiles = Annotated[list[Path] | None, typer.Option(
    "--params", help="A TOML parameter file layered over the defaults (repeatable).")]


def _example(kind: str) -> Path:
    return Path(str(resources.files("wattlab.explore").joinpath("spaces", f"{kind}.toml")))


@app.command()
def example(kind: Annotated[str, typer.Argument(help="memory or cim.")]) -> None:
    """Print a shipped example space file.

    Example: wattlab explore example memory > my_space.toml
    """
    from wattlab.errors import SpecError

    if kind not in ("memory", "cim"):
        raise SpecError(f"example kind must be 'memory' or 'cim', got {kind!r}")
    typer.echo(_example(kind).read_text())


@dataclass(frozen=True)
class _Search:
    """The options that every search command takes after its own, and the search they run."""

    objective: ObjOpt = None
    constraint: ConsOpt = None
    out: OutOpt = Path()  # replaced by explore-<command> (see _search_command)
    method: MethodOpt = "grid"
    n: NOpt = None
    backend: BackendOpt = "process"
    cluster: ClusterOpt = None
    as_json: JsonOpt = False
    params: ParamFiles = None

    def run(self, space: Space, ev: Any, objectives: list[str], constraints: list[str],
            focus: str) -> SearchResult:
        """Search ``space`` (``objectives`` unless --objective, ``constraints`` after any
        --constraint), write the files to --out and print them; ``focus``, a dimension, is the
        sensitivity target and the figure's colour when the space has it."""
        from wattlab.explore import search

        out, as_json = self.out, self.as_json
        res = search(space, ev, objectives=self.objective or objectives,
                     constraints=[*(self.constraint or []), *constraints], method=self.method,  # type: ignore[arg-type]
                     n=self.n, checkpoint=out / "checkpoint",
                     backend="ray" if self.cluster else self.backend,  # type: ignore[arg-type]
                     cluster=self.cluster, progress=None if not as_json else False)
        import io

        import pandas as pd

        from wattlab.files import atomic_write

        atomic_write(out / "results.csv", res.to_pandas().to_csv(index=False))
        front = res.table()
        atomic_write(out / "front.csv", pd.DataFrame(front).to_csv(index=False))
        target = focus if focus in space.names else None
        sens = res.sensitivity(target=target)
        atomic_write(out / "sensitivity.txt", sens.text() + "\n")
        if len(res.objectives) >= 2:
            buf = io.BytesIO()
            res.figure(color=target).savefig(buf, format="png", dpi=110, bbox_inches="tight")
            atomic_write(out / "pareto.png", buf.getvalue())
        summary = {**res.summary(), "objectives": [str(o) for o in res.objectives],
                   "constraints": [lim.describe() for lim in res.limits], "sensitivity": {
                       "optimum": sens.optimum, "importance": [
                           {k: v for k, v in r.items() if k != "best_by_value"} for r in sens.importance],
                       "flips": sens.flips}}
        atomic_write(out / "summary.json", json.dumps(summary, indent=1, default=str))
        if as_json:
            typer.echo(json.dumps({"summary": summary, "front": front}, default=str))
            return res
        shown = [*space.names, *[o.metric for o in res.objectives],
                 *[lim.metric for lim in res.limits if lim.metric not in {o.metric for o in res.objectives}]]
        t = Table(*shown, title=f"Pareto front: {len(front)} of {int(res.feasible.sum())} feasible "
                                f"({res.n} evaluated, {res.resumed_chunks} chunk(s) resumed)")
        for row in front[:15]:
            t.add_row(*(f"{row[k]:.3g}" if isinstance(row[k], float) else str(row[k]) for k in shown))
        console.print(t)
        if len(front) > 15:
            console.print(f"... {len(front) - 15} more in {out / 'front.csv'}")
        console.print(sens.text())
        console.print(f"written to {out}/ (results.csv, front.csv, sensitivity.txt, summary.json"
                      f"{', pareto.png' if len(res.objectives) >= 2 else ''})")
        return res


def _search_command(fn: Callable[..., None]) -> Callable[..., None]:
    """Register ``fn(<its own options>, search: _Search)`` as a command whose options are its own
    followed by :class:`_Search`'s, with --out defaulting to explore-<command>."""
    hints = get_type_hints(_Search, include_extras=True)
    out = Path(f"explore-{fn.__name__}")
    shared = [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, annotation=hints[f.name],
                                default=out if f.name == "out" else f.default)
              for f in dataclasses.fields(_Search)]
    own = [p for p in inspect.signature(fn, eval_str=True).parameters.values() if p.name != "search"]

    @functools.wraps(fn)
    def command(**kw: Any) -> None:
        mine = {p.name: kw.pop(p.name) for p in own}
        fn(**mine, search=_Search(**kw))

    command.__signature__ = inspect.Signature([*own, *shared])  # type: ignore[attr-defined]
    return app.command()(command)


@_search_command
def memory(
    space_file: SpaceOpt = None,
    model: Annotated[str, typer.Option(help="LLM config name or JSON/TOML file.")] = "llama-3.1-8b",
    phase: Annotated[str, typer.Option(help="prefill or decode.")] = "decode",
    *, search: _Search,
) -> None:
    """Search an NPU memory design space for one phase of an agentic trace (MemExplorer model).

    Metrics: tokens_per_j, tokens_per_s, power_w, energy_j, latency_s, j_per_token, mem_fit,
    offchip_bytes, e_compute_j, e_offchip_j, e_onchip_j, e_static_j.

    Example: wattlab explore memory --phase decode --objective max:tokens_per_j
    --objective max:tokens_per_s --constraint "power cap: power_w <= 400" --out runs/decode
    """
    from wattlab.errors import SpecError
    from wattlab.explore import Space
    from wattlab.params import load_registry
    from wattlab.systems.memexplorer import NpuModel
    from wattlab.systems.memexplorer.search import CAPACITY, _check_fits, onchip_cap, stack_cap

    if phase not in ("prefill", "decode"):
        raise SpecError(f"--phase must be prefill or decode, got {phase!r}")
    reg = load_registry(search.params or [])
    sp = Space.from_file(space_file or _example("memory"))
    extra = [c for need, c in (({"onchip", "onchip_mb"}, onchip_cap(reg)),
                               ({"offchip", "units"}, stack_cap(reg))) if need <= set(sp.names)]
    sp = Space(sp.dims, [*sp.constraints, *extra], name=sp.name, fixed=sp.fixed)
    ev = NpuModel(model, phase, reg)  # type: ignore[arg-type]
    assert not isinstance(ev.model, str) and ev.trace is not None
    _check_fits(ev.model, sp, reg, phase, ev.trace)  # type: ignore[arg-type]
    search.run(sp, ev, ["max:tokens_per_j", "max:tokens_per_s"],
               [f"{CAPACITY.name}: mem_fit >= 1"], "offchip")


@_search_command
def cim(
    space_file: SpaceOpt = None,
    model: Annotated[str, typer.Option(help="LLM whose layer GEMMs are the workload.")] = "llama-3.1-8b",
    macro: Annotated[str, typer.Option(help="Reference macro (registry cim.<name>.*).")] = "trancim",
    *, search: _Search,
) -> None:
    """Search a CIM macro/array design space (AccelCIM model: macro size, SCR, array, broadcast or
    systolic inputs, tree or chain reduction, prefill or decode layer GEMMs).

    Metrics: energy_j, latency_s, area_mm2, tops, tops_per_w, tops_per_mm2, energy_area,
    utilization, e_macro_j, e_input_j, e_reduction_j, e_weight_load_j.

    Example: wattlab explore cim --objective min:energy_j --objective min:area_mm2
    --constraint "area budget: area_mm2 <= 50" --out runs/cim
    """
    from wattlab.explore import Space
    from wattlab.params import load_registry
    from wattlab.systems.accelcim import CimEvaluator

    reg = load_registry(search.params or [])
    sp = Space.from_file(space_file or _example("cim"))
    ev = CimEvaluator(model=model, ref=macro, params=reg)
    search.run(sp, ev, ["min:energy_j", "min:area_mm2"], [], "interconnect")


@app.command("cim-model")
def cim_model(
    model: Annotated[str, typer.Option(help="minilm (embedding cosine) or smollm2 (perplexity).")] = "minilm",
    cim_kind: Annotated[str, typer.Option("--cim", help="digital (exact bit-serial) or analog.")] = "digital",
    macro: Annotated[str, typer.Option(help="Macro (registry cim.<name>.*).")] = "trancim",
    macro_cfg: Annotated[Path | None, typer.Option(help="A CIM-Tuner-style macro cfg instead.")] = None,
    adc_bits: Annotated[int, typer.Option(click_type=BoundedInt(1, 24),
                                          help="Analog: ADC bits, 1..24.")] = 8,
    noise_lsb: Annotated[float, typer.Option(help="Analog: ADC input noise, LSB.")] = 0.5,
    adc_gain: Annotated[float, typer.Option(help="Analog: full-scale compression (>= 1).")] = 1.0,
    rows: Annotated[int, typer.Option(click_type=BoundedInt(1, 4096),
                                      help="Macro array rows, 1..4096.")] = 8,
    cols: Annotated[int, typer.Option(click_type=BoundedInt(1, 4096),
                                      help="Macro array columns, 1..4096.")] = 8,
    size: Annotated[int, typer.Option(click_type=BoundedInt(1, 4096),
                                      help="Passages (minilm) or tokens (smollm2), 1..4096.")] = 4,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
    as_json: JsonOpt = False,
    params: ParamFiles = None,
) -> None:
    """Run a model with every nn.Linear on a CIM substrate: quality vs digital and GEMM energy.

    Example: wattlab explore cim-model --model minilm --cim analog --adc-bits 8 --adc-gain 16
    """
    from wattlab.errors import SpecError
    from wattlab.params import load_registry
    from wattlab.substrates.cim import AnalogCimSubstrate, DigitalCimSubstrate, Macro
    from wattlab.systems.accelcim import run_model

    reg = load_registry(params or [])
    m = Macro.from_cfg(macro_cfg) if macro_cfg else Macro.from_registry(macro, reg)
    if cim_kind == "digital":
        sub: Any = DigitalCimSubstrate(m, reg, rows=rows, cols=cols)
    elif cim_kind == "analog":
        sub = AnalogCimSubstrate(m, reg, rows=rows, cols=cols, adc_bits=adc_bits, noise_lsb=noise_lsb,
                                 adc_gain=adc_gain)
    else:
        raise SpecError(f"--cim must be 'digital' or 'analog', got {cim_kind!r}")
    res = run_model(sub, model, size, seed)
    if as_json:
        typer.echo(json.dumps(res, default=str))
        return
    t = Table("quantity", "value", title=f"{model} on {sub.name} ({m.name} {m.al}x{m.pc}, "
                                         f"{rows}x{cols} macros)")
    for k, v in res.items():
        t.add_row(k, f"{v:.4g}" if isinstance(v, float) else str(v))
    console.print(t)
