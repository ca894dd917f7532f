"""Day-ahead dispatch of an integrated energy system as a linear programme (cvxpy).

Units: gas CHP (electricity + heat at fixed efficiencies), a backup gas boiler, an air-source
heat pump, a single-effect
absorption chiller (driven by heat), electric chillers, battery, hot-water thermal storage,
grid import/export, rooftop PV (curtailable) and a data centre whose IT power must be cooled
and whose waste heat a heat-recovery heat pump can lift into the heating network.

Balances at every step ``t`` (kW)::

    electricity  pv - curt + imp + chp_e + dis = elec + it + hp_e + ec_e + hr_e + ch + exp
    heat         chp_e*eta_h/eta_e + boil_h + cop_hp*hp_e + cop_hr*hr_e + ts_dis - ts_ch - ac_h >= heat
    cooling      cop_ac*ac_h + cop_ec*ec_e + (cop_hr - 1)*hr_e >= cool + it
    recovery     (cop_hr - 1)*hr_e <= capture * it          (heat taken from the data centre)

Objective: import cost - export revenue + gas cost (CHP and boiler) over the day. Battery and storage start
half full and must end at least half full. The problem is built once per (plant, steps) with
cvxpy Parameters (DPP), so re-solving a day only sets values; the same construction is the
differentiable layer of decision-focused training.

Realised cost (:func:`realised_cost`) settles a day-ahead plan against what actually happened
with a stated recourse policy: every unit runs as planned, a heat shortfall is met by extra
heat-pump output and a cooling shortfall by extra electric-chiller output, surplus heat or
cooling is wasted, and the resulting electricity imbalance is bought at the import price
x (1 + premium) or sold at the export price x (1 - premium).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from wattlab.errors import SpecError
from wattlab.systems.ies.plant import Plant
from wattlab.systems.ies.profiles import TARGETS, Day, check_finite

_KW = 1e3          # W per kW
_KWH = 3.6e6       # J per kWh
#: Plan variables returned by a solve, in W.
PLAN_VARS = ("imp", "exp", "curt", "chp_e", "boil_h", "hp_e", "ac_h", "ec_e", "hr_e", "ch",
             "dis", "ts_ch", "ts_dis")
BALANCES = ("electricity balance", "heat balance", "cooling balance")


@dataclass
class Dispatch:
    """A solved day: plan (W per step), state of charge (J), cost (USD) and its parts."""

    plan: dict[str, np.ndarray]
    soc: np.ndarray
    tsoc: np.ndarray
    cost: float
    parts: dict[str, float]
    dt: float
    solve_s: float
    status: str
    extra: dict[str, Any] = field(default_factory=dict)

    def heat_supply(self, plant: Plant) -> dict[str, np.ndarray]:
        """Heat delivered by each source (W), for dispatch-stack plots."""
        p = self.plan
        return {"CHP": p["chp_e"] * plant.chp_eta_h / plant.chp_eta_e,
                "boiler": p["boil_h"],
                "heat pump": p["hp_e"] * plant.hp_cop,
                "DC heat recovery": p["hr_e"] * plant.hr_cop,
                "storage out": p["ts_dis"]}


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the solver's C-level banner on stdout (it would corrupt ``--json`` output)."""
    try:
        sys.stdout.flush()
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
            try:
                yield
            finally:
                os.dup2(saved, fd)
    finally:
        os.close(saved)


def _problem(plant: Plant, steps: int, dt: float, smoothing: float) -> tuple[Any, dict, dict]:
    import cvxpy as cp

    h = dt / 3600.0
    par = {n: cp.Parameter(steps, nonneg=True, name=n) for n in TARGETS}
    par["buy"] = cp.Parameter(steps, nonneg=True, name="buy")
    par["sell"] = cp.Parameter(steps, nonneg=True, name="sell")
    v = {n: cp.Variable(steps, nonneg=True, name=n) for n in PLAN_VARS}
    soc = cp.Variable(steps + 1, nonneg=True, name="soc")
    tsoc = cp.Variable(steps + 1, nonneg=True, name="tsoc")
    kw = {k: getattr(plant, k) / _KW for k in ("chp_cap", "boiler_cap", "hp_cap", "ac_cap", "ec_cap",
                                               "bat_power", "ts_power", "imp_max", "exp_max")}
    bat_cap, ts_cap = plant.bat_cap / _KWH, plant.ts_cap / _KWH
    eta = plant.bat_rt ** 0.5
    hr_cop = plant.hr_cop
    chp_h = v["chp_e"] * (plant.chp_eta_h / plant.chp_eta_e)
    cons = {
        "electricity balance": par["pv"] - v["curt"] + v["imp"] + v["chp_e"] + v["dis"]
        == par["elec"] + par["it"] + v["hp_e"] + v["ec_e"] + v["hr_e"] + v["ch"] + v["exp"],
        "heat balance": chp_h + v["boil_h"] + plant.hp_cop * v["hp_e"] + hr_cop * v["hr_e"] + v["ts_dis"]
        - v["ts_ch"] - v["ac_h"] >= par["heat"],
        "cooling balance": plant.ac_cop * v["ac_h"] + plant.ec_cop * v["ec_e"]
        + (hr_cop - 1) * v["hr_e"] >= par["cool"] + par["it"],
        "heat-recovery source": (hr_cop - 1) * v["hr_e"] <= plant.hr_capture * par["it"],
        "PV curtailment": v["curt"] <= par["pv"],
        "grid import limit": v["imp"] <= kw["imp_max"],
        "grid export limit": v["exp"] <= kw["exp_max"],
        "CHP capacity": v["chp_e"] <= kw["chp_cap"],
        "boiler capacity": v["boil_h"] <= kw["boiler_cap"],
        "heat-pump capacity": plant.hp_cop * v["hp_e"] <= kw["hp_cap"],
        "absorption-chiller capacity": plant.ac_cop * v["ac_h"] <= kw["ac_cap"],
        "electric-chiller capacity": plant.ec_cop * v["ec_e"] <= kw["ec_cap"],
        "battery power (charge)": v["ch"] <= kw["bat_power"],
        "battery power (discharge)": v["dis"] <= kw["bat_power"],
        "battery dynamics": soc[1:] == soc[:-1] + (eta * v["ch"] - v["dis"] / eta) * h,
        "battery capacity": soc <= bat_cap,
        "battery start": soc[0] == bat_cap / 2,
        "battery end": soc[-1] >= bat_cap / 2,
        "storage power (charge)": v["ts_ch"] <= kw["ts_power"],
        "storage power (discharge)": v["ts_dis"] <= kw["ts_power"],
        "storage dynamics": tsoc[1:] == (1 - plant.ts_loss * h) * tsoc[:-1]
        + (v["ts_ch"] - v["ts_dis"]) * h,
        "storage capacity": tsoc <= ts_cap,
        "storage start": tsoc[0] == ts_cap / 2,
        "storage end": tsoc[-1] >= ts_cap / 2,
    }
    if not plant.heat_recovery:
        cons["heat recovery off"] = v["hr_e"] == 0
    gas = plant.gas_price * _KWH / plant.chp_eta_e
    cost = h * (par["buy"] @ v["imp"] - par["sell"] @ v["exp"] + gas * cp.sum(v["chp_e"])
                + plant.gas_price * _KWH / plant.boiler_eta * cp.sum(v["boil_h"]))
    obj = cost
    if smoothing > 0:
        scale = smoothing * h * plant.price_shoulder * _KWH / max(kw["imp_max"], 1.0)
        obj = obj + scale * sum(cp.sum_squares(v[n]) for n in PLAN_VARS)
    prob = cp.Problem(cp.Minimize(obj), list(cons.values()))
    return prob, par, {"vars": v, "soc": soc, "tsoc": tsoc, "cons": cons, "cost": cost}


@lru_cache(maxsize=16)
def _cached(plant: Plant, steps: int, dt: float, smoothing: float) -> tuple[Any, dict, dict]:
    return _problem(plant, steps, dt, smoothing)


def _set(par: dict, targets: np.ndarray, buy: np.ndarray, plant: Plant) -> None:
    for i, n in enumerate(TARGETS):
        par[n].value = np.maximum(targets[i], 0.0) / _KW
    par["buy"].value = buy * _KWH
    par["sell"].value = buy * _KWH * plant.export_ratio


def _diagnose(plant: Plant, targets: np.ndarray, day: Day) -> str:
    """Which balance cannot be met, and when: an elastic re-solve with slack on each balance."""
    import cvxpy as cp

    _prob, par, d = _problem(plant, targets.shape[1], day.dt, 0.0)
    _set(par, targets, day.buy, plant)
    slack = {b: cp.Variable(targets.shape[1], nonneg=True) for b in BALANCES}
    cons = d["cons"]
    v = d["vars"]
    chp_h = v["chp_e"] * (plant.chp_eta_h / plant.chp_eta_e)
    new = {k: c for k, c in cons.items() if k not in BALANCES}
    new["electricity balance"] = (par["pv"] - v["curt"] + v["imp"] + v["chp_e"] + v["dis"]
                                  + slack["electricity balance"] >= par["elec"] + par["it"]
                                  + v["hp_e"] + v["ec_e"] + v["hr_e"] + v["ch"] + v["exp"])
    new["heat balance"] = (chp_h + v["boil_h"] + plant.hp_cop * v["hp_e"] + plant.hr_cop * v["hr_e"]
                           + v["ts_dis"] - v["ts_ch"] - v["ac_h"] + slack["heat balance"]
                           >= par["heat"])
    new["cooling balance"] = (plant.ac_cop * v["ac_h"] + plant.ec_cop * v["ec_e"]
                              + (plant.hr_cop - 1) * v["hr_e"] + slack["cooling balance"]
                              >= par["cool"] + par["it"])
    el = cp.Problem(cp.Minimize(sum(cp.sum(s) for s in slack.values())), list(new.values()))
    with _quiet():
        el.solve(solver=cp.HIGHS)
    vals = {b: np.asarray(slack[b].value, dtype=float) for b in BALANCES}
    worst = max(BALANCES, key=lambda b: float(np.max(vals[b])))
    s = vals[worst]
    t = int(np.argmax(s))
    hh = t * day.dt / 3600
    return (f"dispatch infeasible: the {worst} cannot be met at step {t} "
            f"({int(hh):02d}:{round(hh % 1 * 60):02d}), short by {s[t]:.1f} kW "
            f"(in {int(np.sum(s > 1e-6))} step(s)); raise the capacity of the units serving it "
            "(ies.* capacities, grid import limit) or lower the load")


def solve(plant: Plant, day: Day, forecast: np.ndarray | None = None) -> Dispatch:
    """The least-cost day-ahead plan for ``forecast`` (5, T) W (default: the day's true targets).

    NaN/inf in the forecast is a SpecError naming it; an infeasible day raises SpecError
    naming the balance that cannot be met and when.
    """
    import cvxpy as cp

    tg = day.targets if forecast is None else check_finite("forecast", forecast)
    if tg.shape != day.targets.shape:
        raise SpecError(f"forecast has shape {tg.shape}; expected {day.targets.shape} "
                        f"(rows {', '.join(TARGETS)} x {day.steps} steps)")
    t0 = time.perf_counter()
    prob, par, d = _cached(plant, day.steps, day.dt, 0.0)
    _set(par, tg, day.buy, plant)
    try:
        with _quiet():
            prob.solve(solver=cp.HIGHS)
    except cp.SolverError as e:  # pragma: no cover - solver failure, not infeasibility
        raise SpecError(f"dispatch LP failed in the solver: {e}") from None
    if prob.status in ("infeasible", "infeasible_inaccurate"):
        raise SpecError(_diagnose(plant, tg, day))
    if prob.status not in ("optimal", "optimal_inaccurate"):
        raise SpecError(f"dispatch LP ended with status '{prob.status}'")
    plan = {n: np.maximum(d["vars"][n].value, 0.0) * _KW for n in PLAN_VARS}
    elapsed = time.perf_counter() - t0
    h = day.dt / 3600
    buy = day.buy * _KWH
    parts = {"grid import": float(h * buy @ (plan["imp"] / _KW)),
             "grid export": -float(h * plant.export_ratio * buy @ (plan["exp"] / _KW)),
             "gas": float(h * plant.gas_price * _KWH / plant.chp_eta_e
                          * np.sum(plan["chp_e"] / _KW)
                          + h * plant.gas_price * _KWH / plant.boiler_eta
                          * np.sum(plan["boil_h"] / _KW))}
    return Dispatch(plan=plan, soc=d["soc"].value * _KWH, tsoc=d["tsoc"].value * _KWH,
                    cost=float(sum(parts.values())), parts=parts, dt=day.dt,
                    solve_s=elapsed, status=str(prob.status))


def realised_cost(plan: dict[str, Any], actual: Any, buy: Any, plant: Plant, dt: float,
                  relu: Any = None) -> Any:
    """Cost (USD) of running ``plan`` (W per step) on the ``actual`` day (5, T, W).

    Works on NumPy arrays and, with ``relu=torch.relu``, on batched torch tensors (leading batch
    dimension), so decision-focused training can differentiate it. See the module docstring
    for the recourse policy (an assumption).
    """
    r = relu or (lambda x: np.maximum(x, 0.0))
    pv, elec, heat, cool, it = (actual[..., i, :] for i in range(5))
    p = plan
    heat_sup = (p["chp_e"] * (plant.chp_eta_h / plant.chp_eta_e) + p["boil_h"] + plant.hp_cop * p["hp_e"]
                + plant.hr_cop * p["hr_e"] + p["ts_dis"] - p["ts_ch"] - p["ac_h"])
    cool_sup = (plant.ac_cop * p["ac_h"] + plant.ec_cop * p["ec_e"]
                + (plant.hr_cop - 1) * p["hr_e"])
    short_h = r(heat - heat_sup)
    short_c = r(cool + it - cool_sup)
    need = (elec + it + p["hp_e"] + p["ec_e"] + p["hr_e"] + p["ch"] + p["exp"]
            + short_h / plant.hp_cop + short_c / plant.ec_cop)
    supply = pv + p["imp"] + p["chp_e"] + p["dis"]
    delta = need - supply
    sell = buy * plant.export_ratio
    prem = plant.imbalance_premium
    per_step = (buy * p["imp"] - sell * p["exp"]
                + plant.gas_price / plant.chp_eta_e * p["chp_e"]
                + plant.gas_price / plant.boiler_eta * p["boil_h"]
                + buy * (1 + prem) * r(delta) - sell * max(0.0, 1 - prem) * r(-delta))
    return (per_step * dt).sum(-1)
