"""Duty-cycle energy of an FPGA accelerator serving periodic requests (closed forms, vectorised).

A request period T is spent as: [idle and/or off] → [configure, if the FPGA lost its
configuration] → [infer]. A policy is a timeout τ: after each inference the FPGA stays configured
at ``p_idle`` for up to τ, then is switched off (``p_off``) and must be reconfigured (``e_cfg`` over
``t_cfg``) at the next request. On-Off is τ = 0, Idle-Waiting τ = ∞, Hybrid any τ in between
(the ski-rental / break-even policy). ``p_base`` (e.g. MCU sleep) is drawn at all times.

Steady-state energy per request for a fixed period T (g_c = T − t_cfg − t_inf, g_n = T − t_inf):

    g_n ≤ τ:   E = e_inf + p_idle·g_n                                   (stays configured)
    g_c > τ:   E = e_cfg + e_inf + p_idle·τ + p_off·(g_c − τ)            (reconfigures every time)
    otherwise: the two alternate; E is their mean.          (+ p_base·T in every case)

Crossover of On-Off and Idle-Waiting: T* = t_inf + (e_cfg − p_off·t_cfg)/(p_idle − p_off).
This is the reconstruction of arXiv 2407.12027's model in the project's research notes (an
inference, not the paper's text).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.errors import positive as _positive
from wattlab.params import Registry
from wattlab.systems.fpga_idle.config import ConfigModel, ConfigSettings

_P = "idle_waiting."
FArray = NDArray[np.float64]


@dataclass(frozen=True)
class Policy:
    """What the FPGA does between requests: stay configured for ``timeout_s``, then power off."""

    name: str
    timeout_s: float

    def __post_init__(self) -> None:
        if math.isnan(self.timeout_s) or self.timeout_s < 0:
            raise SpecError(f"'timeout_s' of policy '{self.name}' is {self.timeout_s!r}; "
                            "it must be >= 0 (0 = On-Off, inf = Idle-Waiting)")


ON_OFF = Policy("on-off", 0.0)
IDLE_WAITING = Policy("idle-waiting", math.inf)


def hybrid(timeout_s: float) -> Policy:
    """Stay configured for ``timeout_s`` after each request, then power off."""
    return Policy(f"hybrid({timeout_s:g} s)", timeout_s)


def check_periods(period: ArrayLike, field: str = "period") -> FArray:
    """Periods as a float array; non-positive or non-finite values are a SpecError."""
    t = np.asarray(period, dtype=float)
    bad = ~np.isfinite(t) | (t <= 0)
    if bad.any():
        raise SpecError(f"'{field}' contains {t[bad].ravel()[0]!r}; request periods must be "
                        "finite and > 0 seconds")
    return t


def check_budget(budget_j: float) -> float:
    return _positive("budget_j", budget_j)


@dataclass(frozen=True)
class NodeModel:
    """Energies (J), times (s) and powers (W) of the FPGA domain of one sensor node."""

    e_cfg: float
    t_cfg: float
    e_inf: float
    t_inf: float
    p_idle: float
    p_off: float = 0.0
    p_base: float = 0.0

    def __post_init__(self) -> None:
        for f in ("e_cfg", "e_inf", "p_idle", "p_off", "p_base"):
            _positive(f, getattr(self, f), allow_zero=True)
        _positive("t_cfg", self.t_cfg)
        _positive("t_inf", self.t_inf)

    KEYS = tuple(_P + k for k in ("config_energy_opt", "inference_energy", "inference_time",
                                  "idle_power", "off_power", "base_power"))

    @classmethod
    def from_params(cls, params: Registry, *, e_cfg_key: str = _P + "config_energy_opt",
                    settings: ConfigSettings | None = None) -> NodeModel:
        """The paper-inferred preset: E_cfg from ``e_cfg_key``, t_cfg from the configuration
        model at ``settings`` (default: all optimisations on)."""
        s = settings or ConfigSettings.optimised(params)
        t_cfg = ConfigModel.from_params(params).time_s(s)
        e_inf, t_inf, p_idle, p_off, p_base = params.values(*cls.KEYS[1:])
        return cls(params.value(e_cfg_key), t_cfg, e_inf, t_inf, p_idle, p_off, p_base)

    def with_(self, **changes: float) -> NodeModel:
        return replace(self, **changes)

    # -- energy per request ---------------------------------------------------------------------
    @property
    def min_period(self) -> float:
        """The shortest period a reconfiguring policy can sustain."""
        return self.t_cfg + self.t_inf

    def energy_per_request(self, period: ArrayLike, policy: Policy) -> FArray:
        """Steady-state energy per request at a fixed ``period`` (vectorised); NaN where the
        policy cannot keep up (T < t_cfg + t_inf while it reconfigures, or T < t_inf)."""
        t = check_periods(period)
        tau = policy.timeout_s
        g_n, g_c = t - self.t_inf, t - self.min_period
        stay = self.e_inf + self.p_idle * g_n
        tau_c = tau if math.isfinite(tau) else 0.0  # reconfiguring branches unused at τ = ∞
        fixed = self.e_cfg + self.e_inf + (self.p_idle - self.p_off) * tau_c
        recfg = fixed + self.p_off * g_c
        alternate = 0.5 * (fixed + self.p_off * g_n + self.e_inf + self.p_idle * g_c)
        e = np.where(g_n <= tau, stay, np.where(g_c > tau, recfg, alternate))
        feasible = np.where(g_n <= tau, g_n >= 0, g_c >= 0)
        return np.where(feasible, e + self.p_base * t, np.nan)

    def cost(self, period: float, policy: Policy, params: Registry | None = None) -> Cost:
        """One steady-state request period as a Cost, by component (non-alternating regimes)."""
        t = float(check_periods(period))
        if math.isnan(float(self.energy_per_request(t, policy))):
            raise SpecError(f"'period' {t:g} s is shorter than '{policy.name}' needs per request")
        tau, g_n, g_c = policy.timeout_s, t - self.t_inf, t - self.min_period
        if g_n <= tau:
            e = {"fpga_inference": self.e_inf, "fpga_idle": self.p_idle * g_n}
            lat = self.t_inf
        elif g_c > tau:
            e = {"fpga_config": self.e_cfg, "fpga_inference": self.e_inf,
                 "fpga_idle": self.p_idle * tau, "fpga_off": self.p_off * (g_c - tau)}
            lat = self.min_period
        else:
            raise SpecError(f"period {t:g} s alternates between reconfiguring and not under "
                            f"'{policy.name}'; use energy_per_request for its mean")
        if self.p_base:
            e["base"] = self.p_base * t
        sources = params.subset(*self.KEYS) if params is not None else {}
        return Cost(energy_j=e, latency_s=lat, counts={"requests": 1.0}, sources=sources)

    # -- crossover ------------------------------------------------------------------------------
    def break_even_timeout(self) -> float:
        """Idle time that costs as much as one off-and-reconfigure: (e_cfg − p_off·t_cfg) /
        (p_idle − p_off); ∞ when idling is no dearer than being off."""
        if self.p_idle <= self.p_off:
            return math.inf
        return (self.e_cfg - self.p_off * self.t_cfg) / (self.p_idle - self.p_off)

    def crossover(self) -> float:
        """Closed-form period T* above which On-Off needs less energy per request."""
        return self.t_inf + self.break_even_timeout()

    def crossover_numeric(self, t_max: float = 1e6) -> float:
        """T* found by root-finding on :meth:`energy_per_request` over [t_cfg + t_inf, t_max]."""
        def diff(t: float) -> float:
            e = self.energy_per_request(t, ON_OFF) - self.energy_per_request(t, IDLE_WAITING)
            return float(e)

        from scipy.optimize import brentq

        lo = self.min_period * (1 + 1e-9)  # at exactly t_cfg + t_inf On-Off need not power off
        if diff(lo) >= 0 and diff(t_max) >= 0:
            return math.inf
        if diff(lo) <= 0:
            return lo
        return float(brentq(diff, lo, t_max, xtol=1e-15, rtol=4 * np.finfo(float).eps))

    # -- lifetime under a budget (analytic) ----------------------------------------------------
    def lifetime(self, period: ArrayLike, budget_j: float, policy: Policy) -> FArray:
        """Steady-state lifetime E_budget·T/E(T) for fixed periods (vectorised)."""
        t = check_periods(period)
        return check_budget(budget_j) * t / self.energy_per_request(t, policy)

    def items(self, period: ArrayLike, budget_j: float, policy: Policy) -> FArray:
        """Requests served on the budget, E_budget/E(T) (continuous; steady state)."""
        return check_budget(budget_j) / self.energy_per_request(period, policy)


ItemsMode = Literal["equal-period", "default-config", "max-rate"]
ITEM_MODES: tuple[ItemsMode, ...] = ("equal-period", "default-config", "max-rate")


def items_ratio(model: NodeModel, period: float, mode: ItemsMode, *,
                on_off_default: NodeModel | None = None) -> float:
    """Idle-Waiting items ÷ On-Off items on the same budget, under one comparison ``mode``:

    - ``equal-period``: both serve requests every ``period`` (= the lifetime ratio);
    - ``default-config``: as above, but On-Off is ``on_off_default``, the node with the
      unoptimised (vendor-default) configuration energy *and time*; NaN when it cannot keep
      up with ``period``;
    - ``max-rate``: each serves back to back as fast as it can (On-Off every t_cfg + t_inf,
      Idle-Waiting every t_inf) until the budget is spent.
    """
    m = model
    if mode == "max-rate":  # back to back: every On-Off request still reconfigures
        return (m.e_cfg + m.e_inf + m.p_base * m.min_period) / (m.e_inf + m.p_base * m.t_inf)
    if mode == "default-config":
        if on_off_default is None:
            raise SpecError("'on_off_default' (the On-Off node with default configuration "
                            "settings) is required for mode 'default-config'")
        oo = on_off_default
    elif mode == "equal-period":
        oo = m
    else:
        raise SpecError(f"'mode' is {mode!r}; choose one of {ITEM_MODES}")
    t = float(check_periods(period))
    return float(oo.energy_per_request(t, ON_OFF) / m.energy_per_request(t, IDLE_WAITING))


def period_for_lifetime(model: NodeModel, policy: Policy, budget_j: float,
                        lifetime_s: float) -> float:
    """The shortest fixed request period with which ``policy`` still lasts ``lifetime_s`` on
    ``budget_j`` (its fastest feasible period if even that lasts); NaN if nothing lasts that long.

    For On-Off and Idle-Waiting E(T) = a + b·T is linear, so budget·T = D·E(T) gives
    T = D·a / (budget − D·b)."""
    m, d = model, _positive("lifetime_s", lifetime_s)
    budget = check_budget(budget_j)
    if policy.timeout_s == 0:
        a, b, t_min = m.e_cfg + m.e_inf - m.p_off * m.min_period, m.p_off + m.p_base, m.min_period
    elif math.isinf(policy.timeout_s):
        a, b, t_min = m.e_inf - m.p_idle * m.t_inf, m.p_idle + m.p_base, m.t_inf
    else:
        raise SpecError(f"'policy' {policy.name!r}: only On-Off and Idle-Waiting have a closed form")
    if budget <= d * b:
        return math.nan
    return max(d * a / (budget - d * b), t_min)


def period_for_ratio(model: NodeModel, ratio: float) -> float:
    """The period at which the equal-period ratio E_OO/E_IW equals ``ratio`` (> 1)."""
    if not (math.isfinite(ratio) and ratio > 1):
        raise SpecError(f"'ratio' is {ratio!r}; it must be a finite number > 1")
    from scipy.optimize import brentq

    t_star = model.crossover()
    lo = model.min_period * (1 + 1e-9)

    def f(t: float) -> float:
        return items_ratio(model, t, "equal-period") - ratio

    if f(lo) < 0:
        raise SpecError(f"the equal-period ratio never reaches {ratio:g} (it is "
                        f"{f(lo) + ratio:.4g} at the shortest On-Off period {lo:g} s)")
    return float(brentq(f, lo, t_star, xtol=1e-15))


def infer_preset(crossover_s: float, lifetime_ratio: float, period_s: float,
                 e_inf: float, t_inf: float) -> tuple[float, float]:
    """(p_idle, e_cfg) that make the model give ``crossover_s`` and ``lifetime_ratio`` at
    ``period_s`` with p_off = p_base = 0: the paper-inferred preset (a consistency device)."""
    for f, v in (("crossover_s", crossover_s), ("period_s", period_s), ("t_inf", t_inf)):
        _positive(f, v)
    _positive("e_inf", e_inf, allow_zero=True)
    denom = (crossover_s - t_inf) - lifetime_ratio * (period_s - t_inf)
    if not (lifetime_ratio > 1 and denom > 0):
        raise SpecError(f"no positive idle power reproduces crossover {crossover_s:g} s and "
                        f"ratio {lifetime_ratio:g} at {period_s:g} s (need ratio > 1 and "
                        "ratio·(T − t_inf) < T* − t_inf)")
    p_idle = (lifetime_ratio - 1) * e_inf / denom
    return p_idle, p_idle * (crossover_s - t_inf)
