"""Dispatch LP: balances hold, costs add up, bad input is named, one 15-min day is fast."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("cvxpy", reason="the dispatch LP needs cvxpy (pip install 'wattlab[ies]')")

from wattlab.errors import SpecError
from wattlab.params import default_registry
from wattlab.systems.ies import Plant, load_profile_csv, realised_cost, solve, synth_day

REG = default_registry()
PLANT = Plant.from_params(REG)


def day(doy: int = 15, steps: int = 96, seed: int = 0):
    return synth_day(doy, steps, np.random.default_rng(seed), REG)


def test_balances_hold_and_cost_matches_parts() -> None:
    d = day()
    s = solve(PLANT, d)
    p, (pv, elec, heat, cool, it) = s.plan, d.targets
    supply = pv - p["curt"] + p["imp"] + p["chp_e"] + p["dis"]
    use = elec + it + p["hp_e"] + p["ec_e"] + p["hr_e"] + p["ch"] + p["exp"]
    assert np.allclose(supply, use, atol=1.0)  # W
    heat_sup = sum(s.heat_supply(PLANT).values()) - p["ts_ch"] - p["ac_h"]
    assert np.all(heat_sup >= heat - 1.0)
    cool_sup = PLANT.ac_cop * p["ac_h"] + PLANT.ec_cop * p["ec_e"] + (PLANT.hr_cop - 1) * p["hr_e"]
    assert np.all(cool_sup >= cool + it - 1.0)
    assert np.all((PLANT.hr_cop - 1) * p["hr_e"] <= PLANT.hr_capture * it + 1.0)
    assert s.cost == pytest.approx(sum(s.parts.values()))
    # the plan settled against the day it was planned for costs exactly the LP optimum
    assert float(realised_cost(p, d.targets, d.buy, PLANT, d.dt)) == pytest.approx(s.cost, rel=1e-5)


def test_heat_recovery_lowers_cost_and_switch_works() -> None:
    d = day()
    on, off = solve(PLANT, d), solve(PLANT.with_(heat_recovery=False), d)
    assert np.allclose(off.plan["hr_e"], 0.0, atol=1e-3)
    assert on.plan["hr_e"].sum() > 0
    assert on.cost < off.cost


def test_wrong_forecast_costs_more_than_perfect_information() -> None:
    d = day(200, 24)
    fc = d.targets * 0.8
    plan = solve(PLANT, d, fc).plan
    assert float(realised_cost(plan, d.targets, d.buy, PLANT, d.dt)) > solve(PLANT, d).cost


def test_nan_forecast_is_an_error_naming_it() -> None:
    d = day(steps=24)
    fc = d.targets.copy()
    fc[2, 5] = np.nan
    with pytest.raises(SpecError, match=r"forecast contains NaN/inf at index \(2, 5\)"):
        solve(PLANT, d, fc)
    with pytest.raises(SpecError, match="shape"):
        solve(PLANT, d, d.targets[:, :10])


def test_infeasible_day_names_the_balance_and_time() -> None:
    d = day(steps=24)
    small = PLANT.with_(ec_cap=1e5, ac_cap=0.0, hr_capture=0.0)  # 100 kW of cooling for 1 MW IT
    with pytest.raises(SpecError, match=r"cooling balance cannot be met at step \d+ \(\d\d:\d\d\)"):
        solve(small, d)


def test_bad_plant_values_are_named() -> None:
    with pytest.raises(SpecError, match=r"ies\.chp\.eta_e"):
        PLANT.with_(chp_eta_e=0.7, chp_eta_h=0.5)
    with pytest.raises(SpecError, match=r"ies\.hr\.cop"):
        PLANT.with_(hr_cop=0.9)


def test_one_day_at_15_minutes_solves_under_a_second() -> None:
    d = day()
    solve(PLANT, d)  # build and cache the problem
    t0 = time.perf_counter()
    s = solve(PLANT, day(100))
    assert time.perf_counter() - t0 < 1.0
    assert s.status == "optimal"


def test_profile_csv_round_trip_and_errors(tmp_path) -> None:
    good = tmp_path / "p.csv"
    rows = ["hour,elec,heat,cool,it,pv"] + [f"{h},1200,800,100,1000,{300 if 8 <= h < 16 else 0}"
                                            for h in range(24)]
    good.write_text("\n".join(rows))
    d = load_profile_csv(good, REG)
    assert d.steps == 24 and d.targets[1, 0] == pytest.approx(1.2e6)
    assert solve(PLANT, d).cost > 0
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(r.replace(",100,", ",nan,") if r.startswith("3,") else r for r in rows))
    with pytest.raises(SpecError, match="cool contains NaN"):
        load_profile_csv(bad, REG)
    miss = tmp_path / "miss.csv"
    miss.write_text("\n".join(r.rsplit(",", 2)[0] for r in rows))
    with pytest.raises(SpecError, match=r"lacks column\(s\) \['it'\]"):
        load_profile_csv(miss, REG)
    uneven = tmp_path / "uneven.csv"
    uneven.write_text("\n".join([*rows[:5], rows[5].replace("4,", "4.5,", 1), *rows[6:]]))
    with pytest.raises(SpecError, match="equal steps"):
        load_profile_csv(uneven, REG)


def test_eemeter_days_when_the_package_ships_them() -> None:
    from wattlab.systems.ies import eemeter_days

    days = eemeter_days(24, REG, max_days=3)
    if days is None:
        pytest.skip("eemeter is not installed (pip install --no-deps eemeter)")
    assert len(days) == 3 and all(d.steps == 24 for d in days)
    peak = REG.value("ies.site.elec_base") + REG.value("ies.site.elec_day")
    assert all(d.target("elec").max() <= peak + 1e-6 for d in days)
    assert solve(PLANT, days[0]).cost > 0


def test_days_around_a_user_profile_keep_its_shape() -> None:
    from wattlab.systems.ies import days_around

    base = day(100, 24)
    days = days_around(base, 5, np.random.default_rng(3), REG)
    assert len(days) == 5 and all(np.all(d.targets >= 0) for d in days)
    it_ratio = np.mean([d.target("it").mean() for d in days]) / base.target("it").mean()
    assert 0.8 < it_ratio < 1.2
