"""``wattlab fpga``: LSTM accelerators and soft sensors on embedded FPGAs, and duty-cycled nodes.

- ``lstm``: build (random or trained weights) a fixed-point LSTM cell, export its VHDL, simulate
  it in GHDL against the bit-true model and price it on an FPGA of the catalogue;
- ``sensor``: auto-build an integer soft sensor (search, Pareto front, export, GHDL check) and
  price its node lifetime;
- ``idle``: evaluate your accelerator under On-Off, Idle-Waiting and hybrid strategies.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from wattlab.commands._options import Seed, count, finite
from wattlab.commands._output import literal_console, rows_table
from wattlab.errors import SpecError

app = typer.Typer(help="Embedded FPGAs: bit-true LSTM/MLP accelerators, VHDL + GHDL, soft "
                       "sensors, On-Off vs Idle-Waiting.", no_args_is_help=True)
console = literal_console(highlight=False)


def _say(text: str) -> None:
    """Print text that may hold user input (paths, names) without reading it as markup."""
    console.print(text, markup=False)

ParamsOpt = Annotated[list[Path] | None, typer.Option(
    "--params", help="A TOML parameter file layered over the defaults (repeatable).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


#: Accepted ranges (SI) of the quantities given as text with units.
RANGES: dict[str, tuple[float, float, bool]] = {  # lo, hi, lo open
    "J": (0.0, 1e6, False), "s": (0.0, 1e9, True), "W": (0.0, 1e4, False),
    "Hz": (1e3, 1e10, False),
}
BUDGET_MAX_J = 1e15
MAX_SIM_CYCLES = 200_000  # GHDL runs ~10^4-10^5 cycles/s: keep a --simulate run to seconds


def _si(text: str, unit: str, field: str, *, lo: float | None = None,
        hi: float | None = None, open_lo: bool | None = None) -> float:
    """'3.8uJ' / '3.8 uJ' / '3.8e-6' (SI) -> a finite float in SI within the unit's range."""
    from wattlab.units import parse_quantity

    hint = f"give a number in SI or with a unit, e.g. '--{field} \"3 {unit}\"'"
    try:
        v = float(text)
    except ValueError:
        try:
            v, u = parse_quantity(str(text).strip())
        except Exception:
            raise SpecError(f"'--{field}' is {text!r}; {hint}") from None
        if u != unit:
            raise SpecError(f"'--{field}' is {text!r} ({u}); it must be in {unit}") from None
    d_lo, d_hi, d_open = RANGES[unit]
    lo = d_lo if lo is None else lo
    hi = d_hi if hi is None else hi
    open_lo = d_open if open_lo is None else open_lo
    if not math.isfinite(v) or (v <= lo if open_lo else v < lo) or v > hi:
        raise SpecError(f"'--{field}' is {text!r}; it must be a finite value in "
                        f"{'(' if open_lo else '['}{lo:g}, {hi:g}] {unit}")
    return v


def _ints(text: str, field: str, lo: int, hi: int) -> tuple[int, ...]:
    try:
        vals = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise SpecError(f"'--{field}' is {text!r}; give comma-separated integers, e.g. 1,2") from None
    if not vals:
        raise SpecError(f"'--{field}' is empty; give comma-separated integers, e.g. 1,2")
    bad = [v for v in vals if not lo <= v <= hi]
    if bad:
        raise SpecError(f"'--{field}' contains {bad[0]}; each value must lie in [{lo}, {hi}]")
    if len(set(vals)) > 16:
        raise SpecError(f"'--{field}' lists {len(set(vals))} values; give at most 16")
    return tuple(sorted(set(vals)))


def _out_dir(path: Path, field: str) -> Path:
    """An output folder: created if missing; its parent must exist; not a file."""
    p = Path(path)
    if len(p.name) > 255 or p.name in ("", ".", ".."):
        raise SpecError(f"'--{field}' is {str(path)[:60]!r}; give a folder path")
    if p.exists() and not p.is_dir():
        raise SpecError(f"'--{field}' {str(p)!r} is a file; give a folder for the VHDL files")
    if not p.parent.is_dir():
        raise SpecError(f"'--{field}': the folder {str(p.parent)!r} does not exist; create it")
    try:
        p.mkdir(exist_ok=True)
        probe = p / ".wattlab-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise SpecError(f"'--{field}' {str(p)!r} cannot be written ({exc.strerror}); choose "
                        "another folder") from None
    return p


def _clean(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """NaN (a policy that cannot keep up) -> 'infeasible', inf -> 'unbounded' (no non-numbers)."""
    out = []
    for r in rows:
        c: dict[str, Any] = {}
        for k, v in r.items():
            if isinstance(v, float) and math.isnan(v):
                v = "infeasible"
            elif isinstance(v, float) and math.isinf(v):
                v = "unbounded"
            c[k] = v
        out.append(c)
    return out


def _devices(device: str) -> list[str]:
    from wattlab.substrates.fpga.energy import FPGAS

    return list(FPGAS) if device == "all" else [device]


def _need_ghdl() -> None:
    from wattlab.substrates.fpga import vhdl

    if vhdl.ghdl_path() is None:
        raise vhdl.GHDLMissingError()


@app.command()
def lstm(
    input_size: Annotated[int, count(1, 64, "LSTM input features I.")] = 1,
    hidden: Annotated[int, count(1, 256, "Hidden units H.")] = 20,
    seq_len: Annotated[int, count(1, 4096, "Timesteps per inference.")] = 1,
    bits: Annotated[int, count(2, 24, "Total bits W of Q(W,F).")] = 8,
    frac: Annotated[int, count(0, 23, "Fractional bits F (< W - 1).")] = 4,
    rounding: Annotated[str, typer.Option(help="floor, trunc or half_up.")] = "floor",
    overflow: Annotated[str, typer.Option(help="saturate or wrap.")] = "saturate",
    acc_bits: Annotated[int, count(0, 48, "Accumulator bits (0: 2W + guard bits).")] = 0,
    activation: Annotated[str, typer.Option(help="hard or lut (ROM tables).")] = "hard",
    multiplier: Annotated[str, typer.Option(help="dsp or lut.")] = "dsp",
    shared_act: Annotated[bool, typer.Option(help="One sigmoid unit shared by i, f, o.")] = False,
    device: Annotated[str, typer.Option(help="xc7s15, ice40up5k or all.")] = "all",
    clock: Annotated[str | None, typer.Option(help="Override the device clock, e.g. '50 MHz'.")] = None,
    train: Annotated[bool, typer.Option(help="Train on a synthetic series (else random weights).")] = False,
    train_steps: Annotated[int, count(1, 20000, "Training steps with --train.")] = 200,
    vhdl_out: Annotated[Path | None, typer.Option(help="Write the generated VHDL here.")] = None,
    simulate: Annotated[int, count(0, 100_000,
                                   "GHDL-simulate this many random sequences (0: none).")] = 0,
    period: Annotated[str | None, typer.Option(
        help="Also show the node lifetime at this inference period, e.g. '1 s'.")] = None,
    budget: Annotated[str, typer.Option(help="Node energy budget for --period.")] = "4147",
    seed: Seed = 0,
    json_out: JsonOpt = False,
    params: ParamsOpt = None,
) -> None:
    """Generate, simulate and price an LSTM cell.

    Example: wattlab fpga lstm --hidden 20 --bits 8 --frac 4 --simulate 200 --vhdl-out build/lstm
    --period '1 s'
    """
    import numpy as np

    from wattlab.params import load_registry
    from wattlab.substrates.fpga import BitTrueLSTM, LSTMSpec, LSTMWeights, QFormat, vhdl
    from wattlab.substrates.fpga.energy import FPGADevice, price_lstm

    reg = load_registry(params or [])
    fmt = QFormat(bits, frac, rounding, overflow)  # type: ignore[arg-type]
    spec = LSTMSpec(input_size, hidden, fmt=fmt, acc_bits=acc_bits or None,
                    activation=activation, multiplier=multiplier,  # type: ignore[arg-type]
                    shared_act=shared_act)
    if simulate and simulate * spec.cycles(seq_len) > MAX_SIM_CYCLES:
        raise SpecError(f"'--simulate' {simulate} x {spec.cycles(seq_len)} cycles exceeds the "
                        f"{MAX_SIM_CYCLES:,}-cycle cap of one command; lower --simulate or "
                        "--seq-len (tests/fpga runs 10^4-vector checks)")
    if device != "all":
        FPGADevice.from_registry(device, reg)  # an unknown name fails before any work
    clock_hz = _si(clock, "Hz", "clock") if clock is not None else None
    t_period = _si(period, "s", "period") if period is not None else None
    e_budget = _si(budget, "J", "budget", hi=BUDGET_MAX_J, open_lo=True)
    out_dir = _out_dir(vhdl_out, "vhdl-out") if vhdl_out is not None else None
    rng = np.random.default_rng(seed)
    report: dict[str, Any] = {"spec": {"I": input_size, "H": hidden, "format": str(fmt),
                                       "acc_bits": spec.acc, "activation": activation,
                                       "multiplier": multiplier, "shared_act": shared_act,
                                       "cycles_per_step": spec.cycles_per_step(),
                                       "ops_per_step": spec.ops_per_step()}}
    if train:
        from wattlab.systems.soft_sensor import Candidate, Task
        from wattlab.systems.soft_sensor.autobuild import train as train_one

        if input_size != 1:
            raise SpecError("'--train' uses a univariate synthetic series; set --input-size 1")
        from wattlab.systems.soft_sensor.data import traffic_series

        y = traffic_series(rng, 1500)
        win = max(seq_len, 2)
        x = np.stack([y[i:i + win] for i in range(len(y) - win - 1)])[..., None]
        t = y[win:len(y) - 1]
        split = int(0.8 * len(x))
        task = Task("synthetic", x[:split], t[:split], x[split:], t[split:], (1.0, 0.0), "1")
        if bits - frac != 3:
            console.print("note: --train uses Q(W, W-3) like the auto-builder", style="yellow")
        built = train_one(Candidate("lstm", 1, hidden, bits), task, train_steps, seed)
        assert built.cell is not None
        spec = LSTMSpec(1, hidden, fmt=built.cell.spec.fmt, acc_bits=acc_bits or None,
                        activation=activation, multiplier=multiplier,  # type: ignore[arg-type]
                        shared_act=shared_act)
        w = LSTMWeights(spec, built.cell.w_ih, built.cell.w_hh, built.cell.b)
        from wattlab.systems.soft_sensor.autobuild import evaluate

        report["training"] = evaluate(built, task)
    else:
        w = LSTMWeights.random(spec, rng, 0.5)
    if out_dir is not None:
        files = vhdl.emit_lstm_cell(w)
        files["lstm_tb.vhd"] = vhdl.emit_lstm_testbench(spec)
        report["vhdl"] = [str(p) for p in vhdl.write_design(files, out_dir)]
    if simulate:
        _need_ghdl()
        xs = rng.integers(fmt.min_int, fmt.max_int + 1, (simulate, seq_len, input_size))
        hs, cs, cyc = vhdl.simulate_lstm(w, xs)
        ref = BitTrueLSTM(w).run(xs)
        report["simulation"] = {
            "vectors": int(simulate * seq_len),
            "mismatches": int((hs != ref.h_seq).sum() + (cs != ref.c_seq).sum()),
            "cycles_simulated": int(cyc[0, 0]), "cycles_model": spec.cycles_per_step(),
            "saturations": dict(ref.counter.counts)}
    rows, life = [], []
    for d in _devices(device):
        dev = FPGADevice.from_registry(d, reg)
        if clock_hz is not None:
            dev = dev.with_clock(clock_hz)
        pr = price_lstm(spec, seq_len, dev, reg)
        rows.append(pr.as_row())
        if t_period is not None:
            from wattlab.systems.soft_sensor.node import lifetime_rows, node_for

            node = node_for(d, pr.energy_j, pr.latency_s, reg)
            life += [{"device": d, **r} for r in lifetime_rows(node, t_period, e_budget)]
    report["pricing"] = rows
    if life:
        report["lifetime"] = life = _clean(life)
    if json_out:
        print(json.dumps(report, indent=2, default=str))
        return
    console.print(f"LSTM cell I={input_size} H={hidden} {fmt} acc={spec.acc} {activation} "
                  f"activations, {multiplier} multipliers: {spec.cycles_per_step()} cycles and "
                  f"{spec.ops_per_step()} ops per timestep")
    if "training" in report:
        console.print(f"trained (bit-true, held-out): MAPE {report['training']['mape_pct']:.2f} %, "
                      f"RMSE {report['training']['rmse']:.4f}")
    show = ("device", "cycles", "latency_us", "energy_uJ", "static_uJ", "dynamic_uJ", "power_mW",
            "GOP/s/W", "fits")
    console.print(rows_table("price per inference", [{k: r[k] for k in show} for r in rows]))
    if "simulation" in report:
        s = report["simulation"]
        console.print(f"GHDL: {s['vectors']} timesteps, {s['mismatches']} mismatches vs the "
                      f"bit-true model; {s['cycles_simulated']} cycles/step simulated, "
                      f"{s['cycles_model']} modelled")
    if life:
        console.print(rows_table(f"node lifetime at one inference per {period}", life))
    if "vhdl" in report:
        _say("VHDL written: " + ", ".join(report["vhdl"]))


@app.command()
def sensor(
    data: Annotated[str, typer.Option(help="flume (synthetic levels->flow) or waterflow (river).")] = "flume",
    kinds: Annotated[str, typer.Option(help="Model kinds: mlp, lstm or mlp,lstm.")] = "mlp",
    layers: Annotated[str, typer.Option(help="Hidden layers to try, e.g. 1,2,3.")] = "1,2",
    neurons: Annotated[str, typer.Option(help="Neurons (LSTM hidden size) to try.")] = "8,16",
    bits: Annotated[str, typer.Option(help="Bit widths W to try (F = W - 3).")] = "6,8",
    steps: Annotated[int, count(1, 20000, "Training steps per candidate.")] = 150,
    samples: Annotated[int, count(100, 200_000, "Synthetic flume samples.")] = 3000,
    window: Annotated[int, count(1, 256, "WaterFlow lags (forecasting window).")] = 8,
    target: Annotated[str, typer.Option(help="Device the choice optimises for.")] = "ice40up5k",
    tolerance: Annotated[float, finite(0.0, 10.0, "Accept MAPE within this fraction of the best.")] = 0.25,
    simulate: Annotated[bool, typer.Option(help="GHDL-check the chosen model (needs ghdl).")] = True,
    vhdl_out: Annotated[Path | None, typer.Option(help="Write the chosen model's VHDL here.")] = None,
    period: Annotated[str, typer.Option(help="Sensing period for the node lifetime, e.g. '10 s'.")] = "10",
    budget: Annotated[str, typer.Option(help="Node energy budget, e.g. '4147 J'.")] = "4147",
    seed: Seed = 0,
    json_out: JsonOpt = False,
    params: ParamsOpt = None,
) -> None:
    """Auto-build an integer soft sensor and price it on the catalogue FPGAs.

    Example: wattlab fpga sensor --data flume --layers 1,2 --neurons 8,16 --bits 6,8 --vhdl-out build/sensor
    """
    import numpy as np

    from wattlab.params import load_registry
    from wattlab.systems.soft_sensor import (
        SearchSpace,
        export_and_check,
        flume_task,
        search,
        waterflow_task,
    )
    from wattlab.systems.soft_sensor.node import lifetime_rows, node_for

    reg = load_registry(params or [])
    rng = np.random.default_rng(seed)
    if simulate:
        _need_ghdl()
    kind_t = tuple(dict.fromkeys(k.strip() for k in kinds.split(",") if k.strip()))
    space = SearchSpace(kinds=kind_t, layers=_ints(layers, "layers", 1, 8),  # type: ignore[arg-type]
                        neurons=_ints(neurons, "neurons", 1, 256),
                        bits=_ints(bits, "bits", 4, 16))
    if len(space.candidates()) > 64:
        raise SpecError(f"the search space holds {len(space.candidates())} candidates; give at "
                        "most 64 (fewer --layers/--neurons/--bits values)")
    from wattlab.substrates.fpga.energy import FPGAS

    if target not in FPGAS:
        raise SpecError(f"'--target' is {target!r}; choose one of {', '.join(FPGAS)}")
    t, e_budget = (_si(period, "s", "period"),
                   _si(budget, "J", "budget", hi=BUDGET_MAX_J, open_lo=True))
    out_dir = _out_dir(vhdl_out, "vhdl-out") if vhdl_out is not None else None
    if data == "flume":
        task = flume_task(reg, rng, samples)
    elif data == "waterflow":
        task = waterflow_task(window)
    else:
        raise SpecError(f"'--data' is {data!r}; choose 'flume' or 'waterflow'")
    res = search(task, space, reg, rng, steps=steps, target=target, tolerance=tolerance)
    chosen = res.rows[res.chosen]
    report: dict[str, Any] = {"task": task.name, "candidates": res.rows, "chosen": chosen}
    if simulate or out_dir is not None:
        if simulate:
            report["export"] = export_and_check(res.built[res.chosen], task, out_dir)
        else:
            from wattlab.substrates.fpga import vhdl

            b = res.built[res.chosen]
            if b.mlp is not None:
                files = vhdl.emit_mlp(b.mlp.weights, b.mlp.biases, b.mlp.fmt, b.mlp.acc_bits)
            else:
                assert b.cell is not None and b.head is not None
                files = vhdl.emit_lstm_cell(b.cell)
                files.update(vhdl.emit_mlp(b.head.weights, b.head.biases, b.head.fmt,
                                           b.head.acc_bits, prefix="head"))
            assert out_dir is not None
            report["export"] = {"files": [str(p) for p in vhdl.write_design(files, out_dir)]}
    life = []
    for d in ("ice40up5k", "xc7s15"):
        node = node_for(d, chosen[f"{d}_energy_uJ"] * 1e-6, chosen[f"{d}_latency_us"] * 1e-6, reg)
        life += [{"device": d, **r, "crossover_s": node.crossover()}
                 for r in lifetime_rows(node, t, e_budget)]
    for r in life:
        r.pop("items")
    report["lifetime"] = life = _clean(life)
    if json_out:
        print(json.dumps(report, indent=2, default=str))
        return
    keep = ("model", "mape_pct", "xc7s15_energy_uJ", "ice40up5k_energy_uJ",
            "ice40up5k_latency_us", "pareto")
    console.print(rows_table(f"{task.name}: candidates (bit-true integer accuracy)",
                         [{k: r[k] for k in keep} for r in res.rows]))
    console.print(Text.assemble(f"chosen for {target}: ", (str(chosen["model"]), "bold"),
                                f", MAPE {chosen['mape_pct']:.2f} %, "
                                f"{chosen[f'{target}_energy_uJ']:.4g} uJ/inference"))
    if "export" in report and "mismatches" in report["export"]:
        ex = report["export"]
        console.print(f"GHDL: {ex['vectors']} vectors, {ex['mismatches']} mismatches; cycles "
                      f"{ex['cycles_sim']} simulated vs {ex['cycles_model']} modelled")
    console.print(rows_table(f"node lifetime, period {t:g} s, budget {e_budget:g} J", life))


@app.command()
def idle(
    e_inf: Annotated[str | None, typer.Option(help="Energy per inference, e.g. '3.8 uJ'.")] = None,
    t_inf: Annotated[str | None, typer.Option(help="Time per inference, e.g. '57 us'.")] = None,
    p_idle: Annotated[str | None, typer.Option(help="Configured-idle power, e.g. '10 mW'.")] = None,
    e_cfg: Annotated[str | None, typer.Option(help="Energy per configuration, e.g. '5 mJ'.")] = None,
    t_cfg: Annotated[str | None, typer.Option(help="Configuration time, e.g. '20 ms'.")] = None,
    p_off: Annotated[str, typer.Option(help="Power when switched off.")] = "0",
    device: Annotated[str | None, typer.Option(
        help="Take p_idle and configuration from a catalogue FPGA (xc7s15, ice40up5k).")] = None,
    period: Annotated[str, typer.Option(
        help="Request period(s), comma-separated, e.g. '40 ms,1 s'.")] = "0.04",
    budget: Annotated[str, typer.Option(help="Energy budget, e.g. '4147 J'.")] = "4147",
    timeout: Annotated[str | None, typer.Option(help="Hybrid timeout (default: break-even).")] = None,
    arrivals: Annotated[str | None, typer.Option(
        help="Also simulate random arrivals: fixed, exponential or uniform.")] = None,
    max_requests: Annotated[int, count(1, 20_000_000, "Cap on simulated requests.")] = 1_000_000,
    seed: Seed = 0,
    json_out: JsonOpt = False,
    params: ParamsOpt = None,
) -> None:
    """Your accelerator under On-Off, Idle-Waiting and hybrid: energy, lifetime, crossover.

    Unset figures default to the Idle-Waiting paper-inferred preset (idle_waiting.* entries).
    Example: wattlab fpga idle --e-inf '3.8 uJ' --t-inf '57 us' --p-idle '10 mW' --period '40 ms,1 s'
    """
    import numpy as np

    from wattlab.params import load_registry
    from wattlab.systems.fpga_idle import (
        IDLE_WAITING,
        ON_OFF,
        Arrivals,
        NodeModel,
        hybrid,
        simulate,
    )

    reg = load_registry(params or [])
    base = NodeModel.from_params(reg)
    if device is not None:
        from wattlab.systems.soft_sensor.node import node_for

        base = node_for(device, base.e_inf, base.t_inf, reg)
    ch: dict[str, float] = {}
    for name, text, unit in (("e_inf", e_inf, "J"), ("t_inf", t_inf, "s"), ("p_idle", p_idle, "W"),
                             ("e_cfg", e_cfg, "J"), ("t_cfg", t_cfg, "s")):
        if text is not None:
            ch[name] = _si(text, unit, name.replace("_", "-"))
    ch["p_off"] = _si(p_off, "W", "p-off")
    node = NodeModel(**{**base.__dict__, **ch})
    periods = [_si(p.strip(), "s", "period") for p in period.split(",") if p.strip()]
    if not periods:
        raise SpecError("'--period' is empty; give one or more periods, e.g. '40 ms,1 s'")
    if len(periods) > 100:
        raise SpecError(f"'--period' lists {len(periods)} periods; give at most 100")
    e_budget = _si(budget, "J", "budget", hi=BUDGET_MAX_J, open_lo=True)
    tau = (_si(timeout, "s", "timeout", open_lo=False) if timeout is not None
           else node.break_even_timeout())
    pols = [ON_OFF, IDLE_WAITING] + ([hybrid(tau)] if math.isfinite(tau) else [])
    rows = []
    for t in periods:
        for pol in pols:
            e = float(node.energy_per_request(t, pol))
            life = float(node.lifetime(t, e_budget, pol))
            row: dict[str, Any] = {"period_s": t, "policy": pol.name, "energy_per_request_J": e,
                                   "lifetime_h": life / 3600,
                                   "items": (e_budget / e if e > 0 else math.inf)
                                   if math.isfinite(e) else math.nan}
            if arrivals is not None and not math.isfinite(e):
                row["sim_lifetime_h"], row["sim_items"] = "-", "-"
            elif arrivals is not None:
                r = simulate(node, pol, Arrivals(arrivals, t), e_budget,  # type: ignore[arg-type]
                             np.random.default_rng(seed), max_requests=max_requests)
                row["sim_lifetime_h"] = (r.lifetime_s / 3600 if r.depleted
                                         else f"> {r.requests_simulated} requests (cap)")
                row["sim_items"] = r.items
            rows.append(row)
    rows = _clean(rows)
    t_star, tau_be = node.crossover(), node.break_even_timeout()
    report = {"node": node.__dict__,
              "crossover_s": t_star if math.isfinite(t_star) else None,
              "break_even_timeout_s": tau_be if math.isfinite(tau_be) else None, "rows": rows}
    if json_out:
        print(json.dumps(report, indent=2, default=str))
        return
    if math.isfinite(t_star):
        console.print(f"crossover T* = {t_star:.6g} s (Idle-Waiting needs less energy per "
                      f"request below it); break-even timeout {tau_be:.6g} s")
    else:
        console.print("no crossover: idling costs no more than being off, so Idle-Waiting never "
                      "needs more energy per request than On-Off")
    console.print(rows_table(f"budget {e_budget:g} J", rows))
