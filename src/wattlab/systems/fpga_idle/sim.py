"""Event-driven simulation of a battery-powered node serving requests until its budget runs out.

Semantics (one server, first-come first-served): the node starts at t = 0 with the FPGA off and
the first request arriving. Between the end of one service and the next arrival the FPGA idles
for up to the policy's timeout, then is off. A request that finds it off is preceded by a
configuration; a request that arrives while the FPGA is busy waits in the queue (no power-off in
between). Every phase draws its power plus ``p_base``; the node dies when the cumulative energy
reaches the budget, possibly in the middle of a phase (linear within the phase).

The schedule (which requests reconfigure, idle and off durations) is computed per chunk of
arrivals: a vectorised guess that is verified against the recurrence, with a plain event loop
as the fallback where queueing or state history matters. The energy bookkeeping is vectorised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from wattlab.errors import SpecError
from wattlab.errors import positive as _positive
from wattlab.systems.fpga_idle.model import FArray, NodeModel, Policy, check_budget

PHASES = ("idle", "off", "config", "inference")
ArrivalKind = Literal["fixed", "exponential", "uniform"]


@dataclass(frozen=True)
class Arrivals:
    """Inter-arrival gaps: ``fixed`` (= mean), ``exponential`` (Poisson arrivals) or ``uniform``
    on [mean·(1 − spread), mean·(1 + spread)]."""

    kind: ArrivalKind
    mean_s: float
    spread: float = 0.5

    def __post_init__(self) -> None:
        if self.kind not in ("fixed", "exponential", "uniform"):
            raise SpecError(f"'kind' is {self.kind!r}; choose 'fixed', 'exponential' or 'uniform'")
        _positive("mean_s", self.mean_s)
        if not 0 <= self.spread <= 1:
            raise SpecError(f"'spread' is {self.spread!r}; it must lie in [0, 1]")

    def gaps(self, n: int, rng: np.random.Generator) -> FArray:
        if self.kind == "fixed":
            return np.full(n, self.mean_s)
        if self.kind == "exponential":
            return rng.exponential(self.mean_s, n)
        return rng.uniform(self.mean_s * (1 - self.spread), self.mean_s * (1 + self.spread), n)


@dataclass
class SimResult:
    """Lifetime (s; inf if not depleted), requests served, energy by phase (J), energy left and
    a remaining-energy trace (at request ends, subsampled)."""

    lifetime_s: float
    items: int
    ledger_j: dict[str, float]
    trace_t: FArray
    trace_e: FArray
    depleted: bool
    requests_simulated: int
    remaining_j: float = 0.0
    vectorised_chunks: int = 0
    loop_chunks: int = 0


@dataclass
class _State:
    t_free: float = 0.0       # when the server finished its last service
    last_arrival: float = 0.0
    first: bool = True


def _schedule_vectorised(m: NodeModel, tau: float, arrivals: FArray, st: _State
                         ) -> tuple[FArray, FArray, FArray] | None:
    """(idle, off, configures) for a chunk, or None if the guess fails the recurrence check."""
    gaps = np.diff(arrivals, prepend=st.last_arrival)
    cfg = gaps - m.t_inf > tau
    if st.first:
        cfg[0] = True
    service = m.t_inf + m.t_cfg * cfg
    prev_free = np.empty_like(arrivals)
    prev_free[0] = st.t_free
    prev_free[1:] = arrivals[:-1] + service[:-1]
    idle_gap = arrivals - prev_free
    decided = idle_gap > tau
    if st.first:
        decided[0] = True
    if (idle_gap < 0).any() or not np.array_equal(decided, cfg):
        return None
    idle = np.minimum(idle_gap, tau)
    return idle, idle_gap - idle, cfg.astype(float)


def _schedule_loop(m: NodeModel, tau: float, arrivals: FArray, st: _State
                   ) -> tuple[FArray, FArray, FArray]:
    """The same schedule by stepping through the events one by one."""
    n = len(arrivals)
    idle, off, cfg = np.zeros(n), np.zeros(n), np.zeros(n)
    t_free, first = st.t_free, st.first
    t_inf, t_cfg = m.t_inf, m.t_cfg
    for k, a in enumerate(arrivals.tolist()):
        gap = a - t_free
        if first or gap > tau:
            cfg[k] = 1.0
            if gap > 0:
                idle[k] = min(gap, tau)
                off[k] = gap - idle[k]
            t_free = max(a, t_free) + t_cfg + t_inf
        else:
            if gap > 0:
                idle[k] = gap
            t_free = max(a, t_free) + t_inf
        first = False
    return idle, off, cfg


def simulate(model: NodeModel, policy: Policy, arrivals: Arrivals, budget_j: float,
             rng: np.random.Generator, *, chunk: int = 1 << 18, max_requests: int = 10**9,
             trace_points: int = 400, force_loop: bool = False) -> SimResult:
    """Run the node until ``budget_j`` is spent (or ``max_requests`` arrivals); see module doc."""
    budget = check_budget(budget_j)
    if chunk < 1 or max_requests < 1:
        raise SpecError(f"'chunk' ({chunk}) and 'max_requests' ({max_requests}) must be >= 1")
    m, tau = model, policy.timeout_s
    powers = np.array([m.p_idle, m.p_off, m.e_cfg / m.t_cfg, m.e_inf / m.t_inf])
    est = float(model.energy_per_request(max(arrivals.mean_s, model.min_period), policy))
    stride = max(1, int(budget / est / trace_points)) if est > 0 else 1
    st, t0, spent = _State(), 0.0, 0.0
    ledger = dict.fromkeys((*PHASES, "base"), 0.0)
    trace_t, trace_e = [np.array([0.0])], [np.array([budget])]
    res = SimResult(math.inf, 0, ledger, np.empty(0), np.empty(0), False, 0)
    while res.requests_simulated < max_requests:
        left = (budget - spent) / est if est > 0 else chunk  # expected requests still to come
        n = min(chunk, max_requests - res.requests_simulated, int(1.1 * left) + 64)
        gaps = arrivals.gaps(n, rng)
        if st.first:
            gaps[0] = 0.0  # the first request arrives at t = 0
        times = st.last_arrival + np.cumsum(gaps)
        sched = None if force_loop else _schedule_vectorised(m, tau, times, st)
        if sched is None:
            sched = _schedule_loop(m, tau, times, st)
            res.loop_chunks += 1
        else:
            res.vectorised_chunks += 1
        idle, off, cfg = sched
        # (n, 4): the phases of each request in time order
        dur = np.stack([idle, off, cfg * m.t_cfg, np.full(n, m.t_inf)], axis=1)
        fpga = dur * powers
        fpga[:, 2] = cfg * m.e_cfg  # exact even when t_cfg is tiny
        energy = fpga + dur * m.p_base
        cum = spent + np.cumsum(energy.sum(axis=1))  # energy spent at each request's end
        ends = t0 + np.cumsum(dur.sum(axis=1))       # time of each request's end
        k = int(np.searchsorted(cum, budget, side="left"))
        if k < n:  # dies during request k: find the phase, then the instant within it
            start_e, start_t = (cum[k - 1], ends[k - 1]) if k else (spent, t0)
            within = start_e + np.cumsum(energy[k])
            i = min(int(np.searchsorted(within, budget, side="left")), 3)
            before = within[i - 1] if i else start_e
            frac = min(max((budget - before) / energy[k, i], 0.0), 1.0) if energy[k, i] > 0 \
                else 0.0
            res.lifetime_s = float(start_t + dur[k, :i].sum() + frac * dur[k, i])
            partial = np.zeros(4)
            partial[:i] = 1.0
            partial[i] = frac
            used_fpga = fpga[:k].sum(axis=0) + fpga[k] * partial
            used_t = float(dur[:k].sum() + (dur[k] * partial).sum())
            res.items, res.depleted = res.requests_simulated + k, True
        else:
            used_fpga, used_t = fpga.sum(axis=0), float(dur.sum())
        for name, e in zip(PHASES, used_fpga.tolist(), strict=True):
            ledger[name] += e
        ledger["base"] += used_t * m.p_base
        sel = slice(stride - 1 - (res.requests_simulated % stride), k, stride)
        trace_t.append(ends[sel])
        trace_e.append(budget - cum[sel])
        if res.depleted:
            trace_t.append(np.array([res.lifetime_s]))
            trace_e.append(np.array([0.0]))
            res.requests_simulated += k + 1
            break
        res.requests_simulated += n
        res.items = res.requests_simulated
        if cum[-1] == spent:
            raise SpecError("a whole chunk of requests drew zero power (zero power after setup): "
                            "the budget would never run out; "
                            "give the model a non-zero energy or power")
        spent, t0 = float(cum[-1]), float(ends[-1])
        st.t_free, st.last_arrival, st.first = t0, float(times[-1]), False
    res.remaining_j = 0.0 if res.depleted else budget - spent
    res.trace_t, res.trace_e = np.concatenate(trace_t), np.concatenate(trace_e)
    return res
