"""``wattlab ies``: day-ahead dispatch of an integrated energy system (buildings + data centre),
and predict-then-optimise vs decision-focused forecasters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from wattlab.commands._options import Seed, count, out_file
from wattlab.commands._output import literal_console

app = typer.Typer(help="Integrated energy system: dispatch LP, decision-focused forecasting.",
                  no_args_is_help=True)
console = literal_console()

ParamsOpt = Annotated[list[Path] | None, typer.Option(
    "--params", help="A TOML parameter file layered over the defaults (repeatable).")]


def _plot_dispatch(path: Path, d: Any, day: Any, plant: Any) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    h = (np.arange(day.steps) + 0.5) * day.dt / 3600
    p = d.plan
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True)
    el = {"PV used": day.target("pv") - p["curt"], "grid import": p["imp"], "CHP": p["chp_e"],
          "battery out": p["dis"]}
    a1.stackplot(h, *[v / 1e3 for v in el.values()], labels=list(el), step="mid")
    a1.plot(h, (day.target("elec") + day.target("it")) / 1e3, "k--", lw=1,
            label="building + IT load")
    use = (day.target("elec") + day.target("it") + p["hp_e"] + p["ec_e"] + p["hr_e"] + p["ch"]
           + p["exp"])
    a1.plot(h, use / 1e3, "k-", lw=1, label="+ heat pumps, chillers, charging, export")
    a1.set_ylabel("electricity (kW)")
    a1.legend(loc="upper left", fontsize=7, ncol=3)
    hs = d.heat_supply(plant)
    a2.stackplot(h, *[v / 1e3 for v in hs.values()], labels=list(hs), step="mid")
    a2.plot(h, day.target("heat") / 1e3, "k--", lw=1, label="heat demand")
    a2.plot(h, (day.target("heat") + p["ac_h"] + p["ts_ch"]) / 1e3, "k-", lw=1,
            label="+ absorption chiller, storage charging")
    a2.set_ylabel("heat (kW)")
    a2.set_xlabel("hour of day")
    a2.legend(loc="upper left", fontsize=7, ncol=3)
    a1.set_title(f"Day-ahead dispatch, cost {d.cost:.0f} USD")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


@app.command()
def dispatch(
    profile: Annotated[Path | None, typer.Option(
        help="CSV with columns hour,elec,heat,cool,it[,pv] in kW (one day, equal steps).")] = None,
    day_of_year: Annotated[int, count(0, 364, "Synthetic day (0-364) when no profile.")] = 15,
    steps: Annotated[int, count(1, 1440, "Steps per synthetic day (96: 15 min; divides 86400 s).")] = 96,
    heat_recovery: Annotated[bool, typer.Option(help="Data-centre heat recovery on/off.")] = True,
    seed: Seed = 0,
    plot: Annotated[Path | None, out_file("Write the dispatch stacks to this PNG.", (".png",))] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    params: ParamsOpt = None,
) -> None:
    """Least-cost day-ahead dispatch of one day (perfect information).

    Example: wattlab ies dispatch --profile my_site.csv --plot dispatch.png
    """
    import numpy as np

    from wattlab.params import load_registry
    from wattlab.systems.ies import Plant, load_profile_csv, solve, synth_day

    reg = load_registry(params or [])
    plant = Plant.from_params(reg, heat_recovery=heat_recovery)
    day = (load_profile_csv(profile, reg) if profile
           else synth_day(day_of_year, steps, np.random.default_rng(seed), reg))
    d = solve(plant, day)
    no_hr = solve(plant.with_(heat_recovery=False), day) if heat_recovery else None
    energy = {k: float(np.sum(v) * day.dt / 3.6e6) for k, v in d.plan.items()}
    res: dict[str, Any] = {"cost_usd": d.cost, "parts_usd": d.parts, "solve_s": d.solve_s, "steps": day.steps,
           "energy_kwh": energy,
           "cost_without_heat_recovery_usd": no_hr.cost if no_hr else None}
    if plot:
        _plot_dispatch(plot, d, day, plant)
    if json_out:
        typer.echo(json.dumps(res, indent=2))
        return
    t = Table("quantity", "value", title=f"Dispatch, {day.steps} steps "
              f"({'profile ' + str(profile) if profile else f'synthetic day {day_of_year}'})")
    t.add_row("total cost (USD)", f"{d.cost:.2f}")
    for k, v in d.parts.items():
        t.add_row(f"  {k} (USD)", f"{v:.2f}")
    if no_hr:
        t.add_row("cost without heat recovery (USD)", f"{no_hr.cost:.2f}")
        t.add_row("heat-recovery saving", f"{100 * (no_hr.cost - d.cost) / no_hr.cost:.2f} %")
    for k, v in energy.items():
        if v > 1e-3:
            t.add_row(f"{k} (kWh)", f"{v:.0f}")
    t.add_row("LP solve (s)", f"{d.solve_s:.3f}")
    console.print(t)
    if plot:
        console.print(f"plot written to {plot}")


def _plot_train(path: Path, res: Any) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.5))
    names = ["pto", "dfl", "oracle"]
    a1.bar(["PTO (MSE)", "decision-focused", "perfect info"], [res.costs[k] for k in names])
    a1.set_ylabel("realised cost (USD/day)")
    lo = min(res.costs.values()) * 0.95
    a1.set_ylim(lo, max(res.costs.values()) * 1.01)
    a2.plot(range(1, len(res.history) + 1), res.history, "o-")
    a2.set_xlabel("DFL epoch")
    a2.set_ylabel("train loss (cost / perfect-info)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


@app.command()
def train(
    train_days: Annotated[int, count(2, 5000, "Synthetic training days.")] = 32,
    test_days: Annotated[int, count(1, 5000, "Synthetic test days.")] = 30,
    epochs: Annotated[int, count(0, 1000, "Decision-focused epochs.")] = 6,
    profile: Annotated[Path | None, typer.Option(
        help="Your one-day load profile CSV (hour,elec,heat,cool,it[,pv] in kW): training and "
             "test days vary around it with the synthetic weather.")] = None,
    seed: Seed = 0,
    plot: Annotated[Path | None, out_file("Write cost bars + loss curve to this PNG.",
                                          (".png",))] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    params: ParamsOpt = None,
) -> None:
    """Train forecasters by MSE (predict-then-optimise) and through the dispatch
    (decision-focused), and compare their realised cost on test days.

    Example: wattlab ies train --train-days 32 --test-days 30 --plot train.png
    """
    import numpy as np

    from wattlab.errors import SpecError
    from wattlab.params import load_registry
    from wattlab.systems.ies import Plant, load_profile_csv, synth_days
    from wattlab.systems.ies.learn import TrainSpec, compare
    from wattlab.systems.ies.profiles import days_around

    if train_days < 2 or test_days < 1 or epochs < 0:
        raise SpecError("--train-days must be >= 2, --test-days >= 1 and --epochs >= 0")
    reg = load_registry(params or [])
    rng = np.random.default_rng(seed)
    plant = Plant.from_params(reg)
    if profile:
        base = load_profile_csv(profile, reg)
        tr = days_around(base, train_days, rng, reg)
        te = days_around(base, test_days, rng, reg)
    else:
        tr, te = synth_days(train_days, 24, rng, reg), synth_days(test_days, 24, rng, reg)
    res = compare(tr, te, plant, TrainSpec(dfl_epochs=epochs, seed=seed))
    lo, hi = res.gain_interval(rng)
    out = {"realised_cost_usd_per_day": res.costs, "dfl_gain": res.dfl_gain,
           "dfl_gain_95ci": [lo, hi], "forecast_mse_scaled": res.mse, "train_s": res.train_s,
           "dfl_loss_history": res.history}
    if plot:
        _plot_train(plot, res)
    if json_out:
        typer.echo(json.dumps(out, indent=2))
        return
    t = Table("method", "realised cost (USD/day)", "forecast MSE (scaled)", "train (s)",
              title=f"{train_days} train / {test_days} test days")
    for k, name in (("pto", "predict-then-optimise"), ("dfl", "decision-focused"),
                    ("oracle", "perfect information")):
        t.add_row(name, f"{res.costs[k]:.1f}", f"{res.mse[k]:.4f}" if k in res.mse else "-",
                  f"{res.train_s[k]:.1f}" if k in res.train_s else "-")
    console.print(t)
    console.print(f"decision-focused gain: {100 * res.dfl_gain:.2f} % "
                  f"(95 % CI {100 * lo:.2f} to {100 * hi:.2f} %)")
    if plot:
        console.print(f"plot written to {plot}")
