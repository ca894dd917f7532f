"""Studies of "Idle is the New Sleep" (Qian, Cichiwskyj, Ling, Schiele; ARCS 2024; 2407.12027).

Only the abstract's numbers are known; the model is the research notes' reconstruction. The idle
power and optimised configuration energy are inferred from two of the paper's own headline numbers
(T* = 499.06 ms, 12.39× at 40 ms), so the crossover and lifetime studies are consistency checks of
the model and the simulator, not independent reproductions. The 40.13× configuration-energy study
uses published device figures and assumed board powers, none taken from the paper.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from wattlab.params import Registry
from wattlab.study import Claim, Outcome, RunContext, Study
from wattlab.systems.fpga_idle import (
    IDLE_WAITING,
    ON_OFF,
    Arrivals,
    ConfigModel,
    ConfigSettings,
    NodeModel,
    SimResult,
    hybrid,
    infer_preset,
    items_ratio,
    period_for_lifetime,
    period_for_ratio,
    simulate,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PAPER = (
    "Idle is the New Sleep: Configuration-Aware Alternative to Powering Off FPGA-Based DL "
    "Accelerators During Inactivity"
)
ARXIV = "2407.12027"
BOUNDARY = (
    "FPGA power domain of the node (configuration, inference, idle, off); MCU sleep, "
    "sensing and radio are outside (base power 0)"
)
_P = "idle_waiting."
PRESET_INPUTS = (
    "crossover period 499.06 ms (used to infer idle power and E_cfg)",
    "lifetime ratio 12.39x at 40 ms (used to infer idle power and E_cfg)",
)
PRESET_NOTE = (
    "The idle power and the optimised configuration energy were solved from the "
    "paper's own T* = 499.06 ms and 12.39x (with E_inf = 3.8 uJ and 1/17 534 s per "
    "inference from the group's LSTM paper, P_off = P_base = 0): this value is a "
    "consistency check of the model and simulator, not an independent reproduction."
)


def _scenario(params: Registry) -> tuple[NodeModel, float, float]:
    """The paper-inferred node, the 4147 J budget and the 40 ms period."""
    budget, period = params.values(_P + "energy_budget", _P + "request_period")
    return NodeModel.from_params(params), budget, period


def _sim_budget(ctx: RunContext, budget: float) -> float:
    """Random-arrival runs step through every event; quick scale spends 1 % of the budget."""
    return budget / 100 if ctx.quick else budget


def _fixed_runs(ctx: RunContext) -> tuple[NodeModel, float, float, dict[str, SimResult]]:
    m, budget, period = _scenario(ctx.params)
    runs = {
        p.name: simulate(m, p, Arrivals("fixed", period), budget, ctx.rng) for p in (ON_OFF, IDLE_WAITING)
    }
    return m, budget, period, runs


def _h(seconds: float) -> float:
    return round(seconds / 3600, 3)


# -- 1. configuration energy --------------------------------------------------------------------
def _config_energy(ctx: RunContext) -> Outcome:
    p = ctx.params
    cm = ConfigModel.from_params(p)
    base, tuned = ConfigSettings.default(p), ConfigSettings.optimised(p)
    ratio = cm.reduction(base, tuned)
    t_ratio = cm.time_s(base) / cm.time_s(tuned)

    def label(x: ConfigSettings) -> str:
        return f"x{x.bus_width}, {x.cclk_hz / 1e6:g} MHz, compression {x.compression:g}"

    knobs: list[dict[str, Any]] = []
    for name, s in [
        ("default", base),
        ("bus width only", ConfigSettings(tuned.bus_width, base.cclk_hz)),
        ("CCLK only", ConfigSettings(base.bus_width, tuned.cclk_hz)),
        ("compression only", ConfigSettings(base.bus_width, base.cclk_hz, tuned.compression)),
        ("all three", tuned),
    ]:
        knobs.append(
            {
                "settings": f"{name} ({label(s)})",
                "t_cfg_ms": round(cm.time_s(s) * 1e3, 3),
                "E_cfg_mJ": round(cm.energy_j(s) * 1e3, 3),
                "reduction_x": round(cm.reduction(base, s), 2),
            }
        )
    # one assumption at a time: compression over its range, the others x0 (where meaningful),
    # x0.5, x2 and x5 around the registry value
    sens: list[dict[str, Any]] = []
    for c in (0.25, 0.5, 0.75, 1.0):
        r = cm.reduction(base, ConfigSettings(tuned.bus_width, tuned.cclk_hz, c))
        sens.append({"assumption varied": "compression", "value": c, "reduction_x": round(r, 2)})
    for field, factors in [
        ("overhead_s", (0.0, 0.5, 2.0, 5.0)),
        ("static_power_w", (0.5, 2.0)),
        ("energy_per_bit_j", (0.0, 0.5, 2.0, 5.0)),
    ]:
        for f in factors:
            v = getattr(cm, field) * f
            r = replace(cm, **{field: v}).reduction(base, tuned)
            sens.append({"assumption varied": field, "value": v, "reduction_x": round(r, 2)})
    lo, hi = min(r["reduction_x"] for r in sens), max(r["reduction_x"] for r in sens)
    target = CONFIG_CLAIM.paper_value
    inside = "lies inside" if lo <= target <= hi else "lies outside"
    out = Outcome(
        value=ratio,
        tables={"per knob": knobs, "sensitivity": sens},
        costs={"configuration, default": cm.cost(base, p), "configuration, optimised": cm.cost(tuned, p)},
    )
    out.notes += [
        f"Configuration time alone falls {t_ratio:.1f}x (UG470 bitstream length, XAPP586 "
        f"default and fastest CONFIGRATE/SPI width, assumed compression {tuned.compression:g} and "
        f"{cm.overhead_s * 1e3:g} ms overhead): this part needs no power figure.",
        f"The energy ratio {ratio:.1f}x needs the configuration power, which is assumed "
        f"({cm.static_power_w * 1e3:g} mW static + {cm.energy_per_bit_j * 1e9:g} nJ per bit), "
        "not taken from the paper; the values were fixed before computing the ratio.",
        f"Varying one assumption at a time (sensitivity table) moves the ratio between {lo:g}x "
        f"and {hi:g}x: the paper's {target:g}x {inside} this band. Without the board's "
        "measured configuration powers the model cannot pin the value down.",
    ]
    return out


# -- 2. crossover period ------------------------------------------------------------------------
def _energy_figure(m: NodeModel, t_star: float, period: float) -> Figure:
    from matplotlib.figure import Figure

    t = np.geomspace(m.min_period * 1.05, 5.0, 400)
    fig = Figure(figsize=(6.4, 4.0))
    ax = fig.add_subplot()
    for pol, style in ((ON_OFF, "-"), (IDLE_WAITING, "-"), (hybrid(m.break_even_timeout()), "--")):
        ax.loglog(t * 1e3, m.energy_per_request(t, pol) * 1e3, style, label=pol.name)
    ax.axvline(t_star * 1e3, color="k", lw=0.8)
    ax.annotate(
        f"T* = {t_star * 1e3:.2f} ms",
        (t_star * 1e3, m.e_cfg * 1e3),
        xytext=(6, -18),
        textcoords="offset points",
    )
    ax.axvline(period * 1e3, color="grey", ls=":", lw=0.8, label=f"{period * 1e3:g} ms")
    ax.set_xlabel("request period (ms)")
    ax.set_ylabel("FPGA energy per request (mJ)")
    ax.set_title("On-Off vs Idle-Waiting (paper-inferred preset)")
    ax.legend()
    return fig


def _crossover(ctx: RunContext) -> Outcome:
    p = ctx.params
    m, _, period = _scenario(p)
    t_star, t_num = m.crossover(), m.crossover_numeric()
    cm = ConfigModel.from_params(p)
    tuned = ConfigSettings.optimised(p)
    t_paper, r_paper = p.values(_P + "paper_crossover", _P + "paper_lifetime_ratio")
    p_notes, e_notes = infer_preset(t_paper, r_paper, period, m.e_inf, 1e-12)
    alt = [
        ("paper-inferred preset", m),
        ("E_cfg from the configuration model (assumed powers)", m.with_(e_cfg=cm.energy_j(tuned))),
        ("preset solved with t_inf -> 0 (research notes)", m.with_(p_idle=p_notes, e_cfg=e_notes)),
        ("E_cfg x2", m.with_(e_cfg=2 * m.e_cfg)),
        ("P_idle x2", m.with_(p_idle=2 * m.p_idle)),
        ("P_off = 1 mW", m.with_(p_off=1e-3)),
    ]
    rows = [
        {
            "variant": name,
            "E_cfg_mJ": round(v.e_cfg * 1e3, 4),
            "P_idle_mW": round(v.p_idle * 1e3, 4),
            "T*_ms": round(v.crossover() * 1e3, 2),
        }
        for name, v in alt
    ]
    out = Outcome(
        value=t_star,
        tables={"crossover by preset": rows},
        costs={
            f"request every {period * 1e3:g} ms, {pol.name}": m.cost(period, pol, p)
            for pol in (ON_OFF, IDLE_WAITING)
        },
    )
    out.figure("energy per request vs period", _energy_figure(m, t_star, period))
    out.notes += [
        f"Closed form T* = t_inf + E_cfg/P_idle = {t_star * 1e3:.4f} ms; root-finding on the "
        f"energy curves gives {t_num * 1e3:.4f} ms (difference {abs(t_star - t_num):.2e} s).",
        PRESET_NOTE,
        "With E_cfg from the configuration model and its assumed board powers instead, T* would "
        f"be {alt[1][1].crossover() * 1e3:.0f} ms (table): the paper's value is not predicted "
        "independently here.",
    ]
    return out


# -- 3. lifetime --------------------------------------------------------------------------------
def _remaining_figure(runs: dict[str, SimResult], budget: float, period: float) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.0))
    ax = fig.add_subplot()
    for name, r in runs.items():
        ax.plot(r.trace_t / 3600, r.trace_e, label=f"{name}: {r.lifetime_s / 3600:.1f} h")
    ax.set_xlabel("time (h)")
    ax.set_ylabel("remaining energy (J)")
    ax.set_title(f"{budget:g} J budget, a request every {period * 1e3:g} ms")
    ax.set_ylim(0, budget * 1.02)
    ax.legend()
    return fig


def _random_rows(ctx: RunContext, m: NodeModel, budget: float, period: float) -> list[dict[str, Any]]:
    b = _sim_budget(ctx, budget)
    rows = []
    for kind in ("exponential", "uniform"):
        arr = Arrivals(kind, period)
        pols = (ON_OFF, IDLE_WAITING, hybrid(m.break_even_timeout()))
        r = {p.name: simulate(m, p, arr, b, ctx.rng) for p in pols}
        iw, oo, hy = r[IDLE_WAITING.name], r[ON_OFF.name], r[pols[2].name]
        rows.append(
            {
                "arrivals": f"{kind}, mean {period * 1e3:g} ms",
                "budget_J": b,
                "lifetime_ratio": round(iw.lifetime_s / oo.lifetime_s, 3),
                "items_ratio": round(iw.items / oo.items, 3),
                "hybrid_lifetime_ratio": round(hy.lifetime_s / oo.lifetime_s, 3),
                "on_off_configs_per_item": round(oo.ledger_j["config"] / m.e_cfg / oo.items, 3),
            }
        )
    return rows


def _lifetime(ctx: RunContext) -> Outcome:
    m, budget, period, runs = _fixed_runs(ctx)
    iw, oo = runs[IDLE_WAITING.name], runs[ON_OFF.name]
    ratio = iw.lifetime_s / oo.lifetime_s
    analytic = {
        n: float(m.lifetime(period, budget, pol))
        for n, pol in ((ON_OFF.name, ON_OFF), (IDLE_WAITING.name, IDLE_WAITING))
    }
    rows = [
        {
            "strategy": n,
            "lifetime_h (event sim)": _h(r.lifetime_s),
            "lifetime_h (analytic)": _h(analytic[n]),
            "items": r.items,
            **{f"E_{k}_J": round(v, 2) for k, v in r.ledger_j.items()},
        }
        for n, r in runs.items()
    ]
    a_ratio = analytic[IDLE_WAITING.name] / analytic[ON_OFF.name]
    out = Outcome(
        value=ratio, tables={"fixed period": rows, "random arrivals": _random_rows(ctx, m, budget, period)}
    )
    out.figure("remaining energy vs time", _remaining_figure(runs, budget, period))
    out.notes += [
        f"Event simulation: Idle-Waiting lasts {iw.lifetime_s / 3600:.2f} h, On-Off "
        f"{oo.lifetime_s / 3600:.2f} h ({ratio:.4f}x); the steady-state formula "
        f"L = E_budget T / E(T) gives {a_ratio:.4f}x (the simulation adds the first "
        "configuration and ends mid-period).",
        PRESET_NOTE,
        "Random arrivals with the same mean (table; quick scale spends 1 % of the budget, an ideal "
        "battery scales linearly): On-Off skips reconfiguration for requests that queue behind "
        "a busy FPGA, which narrows the gap. The hybrid column waits the break-even time "
        "E_cfg/P_idle before powering off (ski rental: never worse than 2x the better policy "
        "for any gap).",
    ]
    return out


# -- 4. workload items --------------------------------------------------------------------------
def _items(ctx: RunContext) -> Outcome:
    p = ctx.params
    m, budget, period, runs = _fixed_runs(ctx)
    value = runs[IDLE_WAITING.name].items / runs[ON_OFF.name].items
    target, tol = ITEMS_CLAIM.paper_value, ITEMS_CLAIM.rel_tol
    oo_default = NodeModel.from_params(
        p, e_cfg_key=_P + "config_energy_default", settings=ConfigSettings.default(p)
    )
    r_default = items_ratio(m, period, "default-config", on_off_default=oo_default)
    why_default = (
        f"On-Off then needs {oo_default.min_period:.2f} s per request: it cannot "
        f"keep a {period * 1e3:g} ms period"
        if math.isnan(r_default)
        else ""
    )
    rnd = _random_rows(ctx, m, budget, period)
    equal_life = []
    for who, pol in (("On-Off", ON_OFF), ("Idle-Waiting", IDLE_WAITING)):
        d = float(m.lifetime(period, budget, pol))
        t_oo, t_iw = (period_for_lifetime(m, q, budget, d) for q in (ON_OFF, IDLE_WAITING))
        capped = "Idle-Waiting is capped by its inference time" if t_iw == m.t_inf else ""
        equal_life.append(
            (
                f"equal lifetime {d / 3600:.1f} h ({who}'s at {period * 1e3:g} ms): "
                "each at the fastest rate that lasts",
                t_oo / t_iw,
                capped,
            )
        )
    modes: list[tuple[str, float, str]] = [
        (f"equal period {period * 1e3:g} ms (event sim)", value, ""),
        (f"equal period {period * 1e3:g} ms (analytic)", items_ratio(m, period, "equal-period"), ""),
        ("On-Off with default (unoptimised) configuration", r_default, why_default),
        ("each as fast as it can (max-rate)", items_ratio(m, period, "max-rate"), ""),
        *equal_life,
        *((f"equal mean period, {r['arrivals']} (event sim)", r["items_ratio"], "") for r in rnd),
        (
            "Idle-Waiting with vs without its power-saving methods",
            math.nan,
            "needs the idle power without power saving (not in the abstract)",
        ),
    ]
    rows = [
        {
            "mode": name,
            "ratio": round(r, 3) if math.isfinite(r) else None,
            f"matches {target:g} within {tol:.0%}": bool(abs(r / target - 1) <= tol)
            if math.isfinite(r)
            else "not checkable",
            "note": why,
        }
        for name, r, why in modes
    ]
    t_match = period_for_ratio(m, target)
    # What 2.23x compares is unknown, so no single mode can be judged against it: the study is
    # not checkable here and shows every candidate mode instead of picking one.
    out = Outcome(value=None, tables={"comparison modes": rows},
                  needs="the comparison behind '2.23x more items' (it comes from a secondary "
                        "summary, not the abstract): the paper's full text naming the two "
                        "configurations compared, or the idle power without power-saving methods "
                        f"for the with/without reading; equal-period event sim gives {value:.2f}x")
    out.notes += [
        "The 2.23x figure comes from a secondary summary of the paper, not its abstract; the "
        "comparison it refers to is unknown, so the claim is not checkable here.",
        f"Under the reconstructed model no comparison mode at the paper's {period * 1e3:g} ms "
        f"operating point gives 2.23x: at equal periods the items ratio equals the lifetime ratio "
        f"({value:.2f}x). The equal-period ratio would be 2.23x at T = {t_match * 1e3:.1f} ms, a "
        "period the abstract does not mention.",
        "A plausible reading is a gain of Idle-Waiting with vs without its power-saving methods, "
        "which needs the unoptimised idle power (not in the abstract).",
        PRESET_NOTE,
    ]
    return out


CONFIG_CLAIM = Claim(
    "Tuning the configuration parameters reduces FPGA configuration energy 40.13x",
    "configuration energy reduction",
    "x",
    40.13,
    0.1,
    "approx",
    1.0,
    direction_from_setup=True,  # tuning can only lower the configuration energy
)
# No trend threshold: that Idle-Waiting serves more items is already the lifetime claim; this
# claim's content is its magnitude.
ITEMS_CLAIM = Claim(
    "Idle-Waiting executes up to 2.23x more workload items (secondary summary)",
    "workload items ratio Idle-Waiting / On-Off",
    "x",
    2.23,
    0.1,
)


def _crossover_value(ctx: RunContext) -> float:
    """The analytic crossover period (the sensitivity pass's path)."""
    return float(_scenario(ctx.params)[0].crossover())


def _lifetime_value(ctx: RunContext) -> float:
    """The analytic lifetime ratio at the scenario's period (the sensitivity pass's path; the
    study's value is the event simulation, which agrees with it to the table's precision)."""
    m, budget, period = _scenario(ctx.params)
    return float(m.lifetime(period, budget, IDLE_WAITING) / m.lifetime(period, budget, ON_OFF))


def _study(slug: str, claim: Claim, run: Any, fitted: bool, inputs: tuple[str, ...],
           modelled: Any = None) -> Study:
    return Study(
        id=f"idle-waiting.{slug}",
        paper=PAPER,
        arxiv=ARXIV,
        claim=claim,
        run=run,
        evidence="consistency" if fitted else "modelled",
        boundary=BOUNDARY,
        inputs_from_paper=inputs,
        modelled=modelled,
    )


_SCENARIO_INPUTS = (*PRESET_INPUTS, "4147 J budget", "40 ms request period")

STUDIES = [
    _study(
        "config-energy",
        CONFIG_CLAIM,
        _config_energy,
        False,
        (
            "which knobs were tuned: SPI bus width, CCLK, compression (inferred from the "
            "paper's citation of UG470, not its text)",
        ),
    ),
    _study(
        "crossover",
        Claim(
            "With power-saving methods, Idle-Waiting beats On-Off for request periods up to 499.06 ms",
            "crossover request period",
            "s",
            0.49906,
            0.01,
        ),
        _crossover,
        True,
        PRESET_INPUTS,
        _crossover_value,
    ),
    _study(
        "lifetime",
        Claim(
            "At a 40 ms request period and a 4147 J budget, Idle-Waiting lives 12.39x longer than On-Off",
            "lifetime ratio Idle-Waiting / On-Off",
            "x",
            12.39,
            0.02,
            "approx",
            1.0,
        ),
        _lifetime,
        True,
        _SCENARIO_INPUTS,
        _lifetime_value,
    ),
    _study("workload-items", ITEMS_CLAIM, _items, True, _SCENARIO_INPUTS),
]
