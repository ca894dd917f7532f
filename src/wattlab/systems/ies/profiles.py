"""Synthetic seasonal site profiles (PV, building electricity, heat, cooling, IT load, prices),
their weather-forecast features, and loaders for a user's load profile and packaged meter data.

The site model is an assumption (``ies.site.*``): heating and cooling are degree-hour models of
outdoor temperature, PV is a clear-sky bell scaled by cloud cover, IT load is a mean with a
mild diurnal cycle. Day-ahead *features* are noisy forecasts of temperature and cloud cover plus
calendar terms; the realised day differs from what the features predict by weather-forecast
error and idiosyncratic noise, which is what makes forecasting matter for dispatch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wattlab.errors import SpecError
from wattlab.params import Registry, default_registry

#: Forecast targets, in this order, in a profile's ``targets`` array (W).
TARGETS = ("pv", "elec", "heat", "cool", "it")
N_FEATURES = 7
_HOURS_PER_DAY = 24.0
_DAYS_PER_YEAR = 365.0

# Shapes of the synthetic weather (dimensionless modelling choices, not physical constants).
_FORECAST_TEMP_SD = 1.8     # K, day-ahead temperature forecast error
_FORECAST_CLOUD_SD = 0.18   # cloud-fraction forecast error
_LOAD_NOISE = 0.06          # relative idiosyncratic noise on loads
_IT_DIURNAL = 0.12          # relative diurnal swing of IT load
_MAX_RATIO = 2.0            # cap on a day's load relative to the mean day (days_around)


@dataclass(frozen=True)
class Day:
    """One day at ``steps`` time steps: true targets (5, T) in W, features (T, F), prices."""

    doy: int
    targets: np.ndarray      # (5, T) W: pv, elec, heat, cool, it
    features: np.ndarray     # (T, N_FEATURES)
    buy: np.ndarray          # (T,) USD/J day-ahead import price
    dt: float                # s

    @property
    def steps(self) -> int:
        return int(self.targets.shape[1])

    def target(self, name: str) -> np.ndarray:
        return self.targets[TARGETS.index(name)]


def tou_price(hours: np.ndarray, offpeak: float, shoulder: float, peak: float) -> np.ndarray:
    """Time-of-use import price (USD/J): off-peak 23-07 h, peak 17-21 h, shoulder otherwise."""
    h = np.mod(hours, 24.0)
    p = np.full(h.shape, shoulder)
    p[(h >= 23) | (h < 7)] = offpeak
    p[(h >= 17) & (h < 21)] = peak
    return p


def _site(reg: Registry) -> dict[str, float]:
    keys = ["pv_capacity", "elec_base", "elec_day", "heat_ua", "cool_ua", "heat_balance_temp",
            "cool_balance_temp", "hot_water", "it_mean", "temp_mean",
            "temp_seasonal_amplitude", "temp_daily_amplitude"]
    return dict(zip(keys, reg.values(*[f"ies.site.{k}" for k in keys]), strict=True))


def site_keys() -> tuple[str, ...]:
    return tuple(f"ies.site.{k}" for k in (
        "pv_capacity", "elec_base", "elec_day", "heat_ua", "cool_ua", "heat_balance_temp",
        "cool_balance_temp", "hot_water", "it_mean", "temp_mean", "temp_seasonal_amplitude",
        "temp_daily_amplitude"))


def synth_day(doy: int, steps: int, rng: np.random.Generator,
              params: Registry | None = None) -> Day:
    """One synthetic day of the site at ``steps`` steps (24: hourly, 96: 15-minute)."""
    if steps < 1 or 24 * 3600 % steps:
        raise SpecError(f"steps={steps}: use a divisor of 86400 s (24 for hourly, 96 for 15 min)")
    reg = params or default_registry()
    s = _site(reg)
    dt = 86400.0 / steps
    hours = (np.arange(steps) + 0.5) * _HOURS_PER_DAY / steps
    season = math.cos(2 * math.pi * (doy - 200) / _DAYS_PER_YEAR)   # +1 mid-July
    # weather: the true day, and the day-ahead forecast of it
    t_offset = rng.normal(0.0, 2.5)
    cloud = float(np.clip(rng.beta(1.4, 1.6), 0, 1))
    t_true = (s["temp_mean"] + s["temp_seasonal_amplitude"] * season + t_offset
              + s["temp_daily_amplitude"] * np.sin(2 * np.pi * (hours - 9) / 24))
    t_fc_err = rng.normal(0.0, _FORECAST_TEMP_SD)
    t_fc = t_true + t_fc_err + rng.normal(0.0, 0.5, steps)
    cloud_h = np.clip(cloud + rng.normal(0.0, 0.12, steps), 0, 1)
    cloud_fc = np.clip(cloud + rng.normal(0.0, _FORECAST_CLOUD_SD), 0, 1) * np.ones(steps)
    # PV: clear-sky bell over the daylight hours, reduced by cloud
    daylen = 12.0 + 4.0 * season
    x = (hours - (12.0 - daylen / 2)) / daylen
    clear = np.where((x > 0) & (x < 1), np.sin(np.pi * np.clip(x, 0, 1)) ** 1.5, 0.0)
    elev = 0.75 + 0.25 * season
    pv = s["pv_capacity"] * elev * clear * (1 - 0.75 * cloud_h)
    office = ((hours >= 8) & (hours < 19)).astype(float) * (doy % 7 < 5)
    noise = lambda: 1 + rng.normal(0.0, _LOAD_NOISE, steps)  # noqa: E731
    elec = (s["elec_base"] + s["elec_day"] * office) * noise()
    heat = (s["heat_ua"] * np.maximum(0.0, s["heat_balance_temp"] - t_true)
            * (1 + 0.3 * office) + s["hot_water"] * (0.6 + 0.8 * office)) * noise()
    cool = s["cool_ua"] * np.maximum(0.0, t_true - s["cool_balance_temp"]) * (0.4 + office) * noise()
    it = s["it_mean"] * (1 + _IT_DIURNAL * np.sin(2 * np.pi * (hours - 8) / 24)) * noise()
    targets = np.maximum(0.0, np.vstack([pv, elec, heat, cool, it]))
    feats = np.column_stack([
        np.sin(2 * np.pi * hours / 24), np.cos(2 * np.pi * hours / 24),
        np.full(steps, math.sin(2 * math.pi * doy / _DAYS_PER_YEAR)),
        np.full(steps, math.cos(2 * math.pi * doy / _DAYS_PER_YEAR)),
        (t_fc - s["temp_mean"]) / 10.0, cloud_fc, office,
    ])
    buy = tou_price(hours, *reg.values("ies.price.offpeak", "ies.price.shoulder", "ies.price.peak"))
    return Day(doy=doy, targets=targets, features=feats, buy=buy, dt=dt)


def synth_days(n: int, steps: int, rng: np.random.Generator, params: Registry | None = None,
               doys: np.ndarray | None = None) -> list[Day]:
    """``n`` days spread over the year (random days of year unless ``doys`` is given)."""
    d = rng.integers(0, 365, n) if doys is None else np.asarray(doys)
    return [synth_day(int(x), steps, rng, params) for x in d]


def check_finite(name: str, a: np.ndarray) -> np.ndarray:
    """``a`` as float array, or SpecError naming the field and the first bad index."""
    arr = np.asarray(a, dtype=float)
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = np.argwhere(bad)[0]
        raise SpecError(f"{name} contains NaN/inf at index {tuple(int(i) for i in idx)}: "
                        "forecasts and profiles must be finite numbers")
    return arr


def load_profile_csv(path: str | Path, params: Registry | None = None) -> Day:
    """A user's one-day load profile CSV with a header and columns (kW)::

        hour,elec,heat,cool,it,pv         # pv optional (0), hour in [0, 24)

    Rows must be equally spaced and cover one day (24 or 96 rows, or any divisor of 86400 s).
    Prices come from the registry's tariff. Missing columns, NaN and uneven steps are errors.
    """
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"load profile '{p}' is not an existing file")
    try:
        data = np.genfromtxt(p, delimiter=",", names=True, dtype=float, ndmin=1)
    except (ValueError, OSError, UnicodeDecodeError) as e:
        raise SpecError(f"load profile '{p}' cannot be read as CSV: {e}") from None
    names = data.dtype.names or ()
    need = ("hour", "elec", "heat", "cool", "it")
    missing = [c for c in need if c not in names]
    if missing:
        raise SpecError(f"load profile '{p}' lacks column(s) {missing}; the header must name "
                        f"{', '.join(need)} (and optionally pv), values in kW")
    hours = check_finite(f"{p.name}: hour", data["hour"])
    steps = hours.size
    if steps < 2 or 86400 % steps:
        raise SpecError(f"load profile '{p}' has {steps} rows: one day needs a divisor of 86400 s "
                        "of equal steps (24 hourly or 96 quarter-hour rows)")
    step_h = 24.0 / steps
    if not np.allclose(np.diff(hours), step_h, atol=1e-6):
        raise SpecError(f"load profile '{p}': column 'hour' must rise in equal steps of "
                        f"{step_h:g} h over one day")
    cols = [data[c] if c in names else np.zeros(steps) for c in ("pv", "elec", "heat", "cool", "it")]
    tg = np.vstack([check_finite(f"{p.name}: {c}", x) for c, x in
                    zip(("pv", "elec", "heat", "cool", "it"), cols, strict=True)]) * 1e3
    if (tg < 0).any():
        raise SpecError(f"load profile '{p}': loads must be >= 0 kW")
    reg = params or default_registry()
    buy = tou_price(hours + step_h / 2, *reg.values("ies.price.offpeak", "ies.price.shoulder",
                                                      "ies.price.peak"))
    return Day(doy=0, targets=tg, features=np.zeros((steps, N_FEATURES)), buy=buy,
               dt=86400.0 / steps)


def eemeter_days(steps: int = 24, params: Registry | None = None,
                 max_days: int | None = None) -> list[Day] | None:
    """Real hourly electricity meter days from the samples ``eemeter`` ships, or None.

    The sample (``il-electricity-cdd-hdd-hourly``, an Illinois site, kWh per hour, with hourly
    temperature) is rescaled to the synthetic site's building electric load (its 99th
    percentile set to the site's office-hours load ``ies.site.elec_base + ies.site.elec_day``,
    clipped there); heat and cooling follow the recorded
    temperature through the site's degree-hour model; PV and IT load stay synthetic. This is a
    stated assumption: the meter gives real *shapes and day-to-day variability*, not this site.
    """
    import gzip
    import importlib.util

    spec = importlib.util.find_spec("eemeter")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    cands = list(root.rglob("il-electricity-cdd-hdd-hourly.csv.gz"))
    temps = list(root.rglob("il-electricity-cdd-hdd-tempF.csv.gz"))
    if not cands or not temps or steps != 24:
        return None

    def read(path: Path) -> dict[str, float]:
        out: dict[str, float] = {}
        with gzip.open(path, "rt") as fh:
            next(fh)
            for line in fh:
                k, _, v = line.strip().partition(",")
                if v:
                    try:
                        out[k[:13]] = float(v)
                    except ValueError:
                        continue
        return out

    load, tf = read(cands[0]), read(temps[0])
    reg = params or default_registry()
    s = _site(reg)
    zero_c = reg.value("phys.celsius_zero")  # the meter file gives °F; the site model works in K
    days: dict[str, list[tuple[int, float, float]]] = {}
    for k, v in load.items():
        if k in tf and math.isfinite(v) and math.isfinite(tf[k]):
            days.setdefault(k[:10], []).append((int(k[11:13]), v, (tf[k] - 32) * 5 / 9 + zero_c))
    full = [(d, sorted(r)) for d, r in sorted(days.items()) if len(r) == 24]
    if not full:
        return None
    peak = float(np.percentile([v for _, r in full for _, v, _ in r], 99))
    scale = (s["elec_base"] + s["elec_day"]) / peak if peak > 0 else 0.0
    rng = np.random.default_rng(0)
    out: list[Day] = []
    for d, rows in full[: max_days or len(full)]:
        import datetime as _dt

        doy = _dt.date.fromisoformat(d).timetuple().tm_yday - 1
        syn = synth_day(doy, 24, rng, reg)
        temp = np.array([t for _, _, t in rows])
        elec = np.minimum(np.array([v for _, v, _ in rows]) * scale,
                          s["elec_base"] + s["elec_day"])
        heat = (s["heat_ua"] * np.maximum(0.0, s["heat_balance_temp"] - temp) + s["hot_water"])
        cool = s["cool_ua"] * np.maximum(0.0, temp - s["cool_balance_temp"])
        tg = syn.targets.copy()
        tg[1], tg[2], tg[3] = elec, heat, cool
        feats = syn.features.copy()
        feats[:, 4] = (temp + rng.normal(0, _FORECAST_TEMP_SD) - s["temp_mean"]) / 10.0
        out.append(Day(doy=doy, targets=tg, features=feats, buy=syn.buy, dt=syn.dt))
    return out


def days_around(base: Day, n: int, rng: np.random.Generator,
                params: Registry | None = None) -> list[Day]:
    """``n`` days varying around a user's profile ``base`` with the synthetic site's weather.

    Each target of ``base`` is multiplied, step by step, by the ratio of a random synthetic day
    to the synthetic site's mean day at that step (a stated assumption: the user's site responds
    to weather like the synthetic one), clipped at ``_MAX_RATIO``; features are the synthetic
    day's.
    """
    reg = params or default_registry()
    ref = synth_days(max(n, 24), base.steps, np.random.default_rng(12345), reg)
    mean = np.mean([d.targets for d in ref], axis=0)
    out = []
    for d in synth_days(n, base.steps, rng, reg):
        ratio = np.clip(np.where(mean > 1e-9, d.targets / np.maximum(mean, 1e-9), 1.0), 0.0,
                        _MAX_RATIO)
        out.append(Day(doy=d.doy, targets=base.targets * ratio, features=d.features,
                       buy=base.buy, dt=base.dt))
    return out
