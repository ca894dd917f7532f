"""Scheduling policies: FCFS exclusive, FCFS with requested counts, EASY backfilling, EcoSched.

EcoSched is reconstructed from the paper's abstract (arXiv 2604.17640); its score form, look-ahead,
profiling cost and ageing are **assumptions** (research notes section 4.2, marked inferred):

* *Profiling*: the first job of each application on each GPU type is profiled at every candidate
  GPU count (powers of two up to the node); each reading of relative runtime and power carries a
  multiplicative log-normal error (``profile_noise``); the slices cost ``profile_slice`` seconds
  per count, charged to that job as extra runtime at its power (its progress during profiling is
  not counted: pessimistic).
* *Energy efficiency* of job j at g GPUs: ``E(g) ∝ g f̂(g) P̂(g)``; ``EE(g) = min_g' E(g') / E(g)``.
* *Score* of a set of jobs placed together on one node:
  ``mean_i(w EE_i(g_i) + wait_i / aging_time) + (1 - w)(1 - idle_after / free)``, where
  ``idle_after`` is the cluster's free GPUs left after the set that the rest of the queue (one GPU
  per job at least) cannot use. Sets are single jobs or pairs (the "joint" choice of GPU count and
  co-runner); the best set is started and the loop repeats while GPUs are free.
* *Co-location*: the energy estimate of a candidate placement is multiplied by
  ``1 + 2 (same n_same + cross n_cross) + span [spans]`` using EcoSched's own estimate of the
  interference factors (by default the registry's, i.e. it is assumed to have profiled them):
  the factor 2 charges the slow-down both to the job and to the co-runners it disturbs.
* *Placement*: NUMA-aware (a job inside one domain where it fits, apart from co-runners).
* *Starvation*: a job that cannot fit anywhere (a rigid request) and has waited ``aging_time``
  stops further starts until it runs (drain).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from wattlab.errors import SpecError
from wattlab.params import Param, Registry, default_registry
from wattlab.systems.sched.engine import Placement, Scheduler, SimView
from wattlab.systems.sched.model import Cluster, Interference, Job, NodeSpec

_P = "ecosched."


class FCFSExclusive(Scheduler):
    """First come, first served; every job gets a whole node and runs on all its GPUs (a rigid
    job, ``moldable=False``, runs on its request; the rest of its node stays idle)."""

    name = "fcfs-exclusive"

    def schedule(self, view: SimView) -> None:
        while True:
            head = view.head()
            if head is None:
                return
            for n in range(view.n_nodes):
                spec = view.node_spec(n)
                if view.free(n) == spec.gpus and spec.gpus >= head.gpus:
                    view.start(head, spec.gpus if head.moldable else head.gpus, n)
                    break
            else:
                return


class FCFSRequested(Scheduler):
    """First come, first served with each job's requested GPU count; the head blocks the queue."""

    name = "fcfs"

    def __init__(self, placement: Placement = "first") -> None:
        self.placement: Placement = placement
        self._blocked: tuple[int, int] = (-1, -1)

    def reset(self, cluster: Cluster, rng: np.random.Generator) -> None:
        self._blocked = (-1, -1)

    def schedule(self, view: SimView) -> None:
        while True:
            head = view.head()
            if head is None:
                return
            # the same head with no GPU freed since it last failed cannot fit now either
            key = (id(head), view.completions)
            if key == self._blocked:
                return
            if not view.start(head, head.gpus, placement=self.placement):
                self._blocked = key
                return


class EASYBackfill(Scheduler):
    """EASY backfilling with requested counts: FCFS, plus later jobs may start now if they do not
    delay the head job's reservation (computed from runtime estimates). ``depth`` caps how many
    queued jobs are tried per event (like Slurm's bf_max_job_test)."""

    name = "easy"

    def __init__(self, depth: int = 100, placement: Placement = "first") -> None:
        if depth < 1:
            raise SpecError(f"EASYBackfill depth must be >= 1, got {depth}")
        self.depth = depth
        self.placement: Placement = placement
        #: (head job, reserved node, shadow time) of the last reservation, for tests
        self.reservations: list[tuple[Job, int, float]] = []
        self.record = False

    def reset(self, cluster: Cluster, rng: np.random.Generator) -> None:
        self.reservations = []

    def _reservation(self, view: SimView, g: int) -> tuple[int, float, int]:
        now = view.now
        best = (-1, math.inf, 0)
        for n in range(view.n_nodes):
            if view.node_spec(n).gpus < g:
                continue
            free = view.free(n)
            if free >= g:  # cannot happen for the blocked head, kept for safety
                return n, now, free - g
            for _, gg, est in sorted(view.running(n), key=lambda r: r[2]):
                free += gg
                if free >= g:
                    shadow = max(now, est)
                    if shadow < best[1]:
                        best = (n, shadow, free - g)
                    break
        return best

    def schedule(self, view: SimView) -> None:
        while True:
            head = view.head()
            if head is None:
                return
            if not view.start(head, head.gpus, placement=self.placement):
                break
        res_node, shadow, extra = self._reservation(view, head.gpus)
        if self.record:
            self.reservations.append((head, res_node, shadow))
        now = view.now
        nn = view.n_nodes
        frees = [view.free(n) for n in range(nn)]
        max_free = max(frees)
        for job in view.waiting(self.depth + 1)[1:]:
            if max_free == 0:
                return
            g = job.gpus
            if g > max_free:
                continue
            for n in range(nn):
                if frees[n] < g:
                    continue
                if n != res_node or now + job.estimate_at(g) <= shadow:
                    view.start(job, g, n, self.placement)
                elif g <= extra:
                    view.start(job, g, n, self.placement)
                    extra -= g
                else:
                    continue
                frees[n] -= g
                max_free = max(frees)
                break


@dataclass
class EcoSched(Scheduler):
    """Energy-aware co-scheduler (reconstruction, module docstring): brief profiling, a score of
    normalised energy efficiency against idle GPUs, joint choice of GPU counts and co-runners,
    NUMA-aware placement and ageing."""

    weight: float = 0.6
    window: int = 8
    aging_time: float = 3600.0
    profile_slice: float = 30.0
    profile_noise: float = 0.05
    joint: bool = True
    numa_aware: bool = True
    interference: Interference | None = None
    sources: dict[str, Param] = field(default_factory=dict, repr=False)
    name: str = "ecosched"

    def __post_init__(self) -> None:
        if not 0.0 <= self.weight <= 1.0:
            raise SpecError(f"EcoSched weight must lie in [0, 1], got {self.weight}")
        if self.window < 1:
            raise SpecError(f"EcoSched window must be >= 1, got {self.window}")
        if self.aging_time <= 0 or self.profile_slice < 0 or self.profile_noise < 0:
            raise SpecError("EcoSched needs aging_time > 0, profile_slice >= 0 and profile_noise >= 0")
        self._rng = np.random.default_rng(0)
        self._prof: dict[tuple[str, str, int], dict[int, tuple[float, float]]] = {}
        self._ee: dict[tuple[str, str, int, tuple[int, ...]], dict[int, float]] = {}
        self._charged: set[tuple[str, str, int]] = set()
        self._job_ee: dict[tuple[int, str, int], list[tuple[int, float]] | None] = {}
        self._co_cache: dict[tuple[tuple[object, ...], int], tuple[int, int, bool]] = {}

    @classmethod
    def from_params(cls, params: Registry | None = None, **overrides: object) -> EcoSched:
        """Knobs from the registry's ``ecosched.*`` assumptions; keyword arguments override."""
        reg = params or default_registry()
        keys = ("score_weight", "window", "aging_time", "profile_slice", "profile_noise")
        vals = dict(zip(("weight", "window", "aging_time", "profile_slice", "profile_noise"),
                        reg.values(*(_P + k for k in keys)), strict=True))
        vals["window"] = max(1, round(vals["window"]))
        vals["interference"] = Interference.from_params(reg)  # type: ignore[assignment]
        vals.update(overrides)  # type: ignore[arg-type]
        return cls(**vals, sources=reg.subset(*(_P + k for k in keys)))  # type: ignore[arg-type]

    def reset(self, cluster: Cluster, rng: np.random.Generator) -> None:
        self._rng = rng
        self._prof = {}
        self._ee = {}
        self._charged = set()
        self._job_ee = {}
        self._co_cache = {}

    # -- profiling -------------------------------------------------------------------------
    def profile(self, job: Job, spec: NodeSpec) -> tuple[dict[int, tuple[float, float]], bool]:
        """(relative runtime, power fraction) estimates per candidate count, and whether this call
        ran the profiling (the first job of an application on this GPU type)."""
        key = (job.app, spec.device, spec.gpus)
        prof = self._prof.get(key)
        if prof is not None:
            return prof, False
        counts = [g for g in (1, 2, 4, 8, 16, 32, 64) if g <= spec.gpus]
        c = job.curve
        s = self.profile_noise
        noise = self._rng.lognormal(0.0, s, size=(len(counts), 2)) if s > 0 else np.ones((len(counts), 2))
        prof = {g: (c.f(g) * float(a), min(1.0, c.u(g) * float(b)))
                for g, (a, b) in zip(counts, noise, strict=True)}
        self._prof[key] = prof
        return prof, True

    def efficiency(self, job: Job, spec: NodeSpec) -> dict[int, float]:
        """Normalised energy efficiency EE(g) in (0, 1] over the job's candidate counts."""
        cands = job.candidates(spec.gpus)
        key = (job.app, spec.device, spec.gpus, cands)
        ee = self._ee.get(key)
        if ee is not None:
            return ee
        prof, _ = self.profile(job, spec)
        e = {}
        for g in cands:
            if g in prof:
                f, u = prof[g]
            else:  # a requested count between profiled points: nearest lower profiled count
                lo = max(k for k in prof if k <= g)
                f, u = prof[lo][0] * job.curve.f(g) / job.curve.f(lo), prof[lo][1]
            e[g] = g * f * spec.gpu_power(u)
        best = min(e.values())
        ee = {g: best / v for g, v in e.items()}
        self._ee[key] = ee
        return ee

    def _co(self, layout: tuple[object, ...], ds: int, g: int) -> tuple[int, int, bool]:
        """Co-runner counts of a NUMA-aware placement of ``g`` GPUs, from a node layout (cached;
        mirrors the engine's 'numa' placement; a job touching two domains may be counted twice)."""
        key = (layout, g)
        got = self._co_cache.get(key)
        if got is not None:
            return got
        if len(layout) == 2:
            got = (0, 0, False)
        else:
            total = int(layout[2])  # type: ignore[call-overload]
            doms: list[tuple[int, int]] = list(layout[3:])  # type: ignore[arg-type]
            fits = [(0 if f == ds else 1, f, d) for d, (f, _) in enumerate(doms) if f >= g]
            if g <= ds and fits:
                d = min(fits)[2]
                same = doms[d][1]
                got = (same, total - same, False)
            else:
                order = sorted(range(len(doms)), key=lambda d: -doms[d][0])
                need, used, same = g, 0, 0
                for d in order:
                    if need <= 0:
                        break
                    need -= doms[d][0]
                    used += 1
                    same += doms[d][1]
                same = min(same, total)
                got = (same, total - same, used > -(-g // ds))
        self._co_cache[key] = got
        return got

    def _ee_of(self, job: Job, spec: NodeSpec) -> list[tuple[int, float]] | None:
        """(count, EE) pairs in ascending count for ``job`` on ``spec`` nodes (cached per job)."""
        key = (id(job), spec.device, spec.gpus)
        got = self._job_ee.get(key, False)
        if got is False:
            if job.gpus > spec.gpus and not job.moldable:
                got = None
            else:
                got = sorted(self.efficiency(job, spec).items()) or None
            self._job_ee[key] = got
        return got  # type: ignore[return-value]

    # -- decision --------------------------------------------------------------------------
    def schedule(self, view: SimView) -> None:
        w = self.weight
        place: Placement = "numa" if self.numa_aware else "first"
        while True:
            f_total = view.free_total()
            if f_total <= 0:
                return
            cands = view.waiting(self.window)
            if not cands:
                return
            qlen = view.queue_len
            now = view.now
            ages = [(now - j.submit) / self.aging_time for j in cands]
            itf = self.interference
            use_itf = itf is not None and itf.active
            # nodes with equal layouts offer the same choices: evaluate one of each
            groups: dict[tuple[object, ...], int] = {}
            for n, key in view.free_nodes(with_layout=use_itf):
                if key not in groups:
                    groups[key] = n
            best_score = -math.inf
            best: tuple[int, list[tuple[int, int]]] | None = None
            feasible = [False] * len(cands)
            ee_by_spec: dict[NodeSpec, list[list[tuple[int, float]] | None]] = {}
            # with at least as many queued jobs as free GPUs no GPU can stay idle, so the fill
            # term is the same for every choice and a pair never beats its better member
            try_pairs = self.joint and qlen < f_total
            for n in groups.values():
                fr = view.free(n)
                spec = view.node_spec(n)
                penalty: dict[int, float] = {}
                # top two (value, job index) per GPU count
                top: dict[int, list[tuple[float, int]]] = {}
                ees = ee_by_spec.get(spec)
                if ees is None:
                    ees = ee_by_spec[spec] = [self._ee_of(job, spec) for job in cands]
                for k, ee in enumerate(ees):
                    if ee is None:
                        continue
                    age = ages[k]
                    for g, e in ee:
                        if g > fr:
                            break
                        feasible[k] = True
                        if use_itf:
                            pen = penalty.get(g)
                            if pen is None:
                                ns, nc, sp = (self._co(view.layout(n), spec.domain_size, g)
                                              if self.numa_aware else view.co_runners(n, g, place))
                                pen = 1.0 + 2.0 * (itf.same * ns + itf.cross * nc)  # type: ignore[union-attr]
                                pen += itf.span if sp else 0.0  # type: ignore[union-attr]
                                penalty[g] = pen
                            e = e / pen
                        v = w * e + age
                        lst = top.get(g)
                        if lst is None:
                            top[g] = [(v, -k)]
                        elif len(lst) == 1:
                            lst.append((v, -k))
                            lst.sort(reverse=True)
                        elif (v, -k) > lst[1]:
                            lst[1] = (v, -k)
                            lst.sort(reverse=True)
                gs = sorted(top)
                for g in gs:
                    v, mk = top[g][0]
                    idle = max(0, f_total - g - (qlen - 1))
                    sc = v + (1 - w) * (1 - idle / f_total)
                    if sc > best_score:
                        best_score, best = sc, (n, [(-mk, g)])
                if try_pairs:
                    for a, g1 in enumerate(gs):
                        for g2 in gs[a:]:
                            if g1 + g2 > fr:
                                break
                            pair = self._best_pair(top[g1], top[g2], g1 == g2)
                            if pair is None:
                                continue
                            v, k1, k2 = pair
                            idle = max(0, f_total - g1 - g2 - (qlen - 2))
                            sc = v / 2 + (1 - w) * (1 - idle / f_total)
                            if sc > best_score:
                                best_score, best = sc, (n, [(k1, g1), (k2, g2)])
            if best is None:
                return
            # ageing against starvation: an old job that fits nowhere holds further starts back
            if not feasible[0] and ages[0] >= 1.0:
                return
            n, members = best
            spec = view.node_spec(n)
            for k, g in members:
                job = cands[k]
                fresh = (job.app, spec.device, spec.gpus) not in self._charged
                overhead = 0.0
                if fresh:
                    self._charged.add((job.app, spec.device, spec.gpus))
                    overhead = self.profile_slice * len(self._prof[(job.app, spec.device, spec.gpus)])
                if not view.start(job, g, n, place, overhead):  # pragma: no cover - fits by construction
                    raise SpecError(f"EcoSched internal error: job '{job.id}' did not fit node {n}")

    @staticmethod
    def _best_pair(t1: list[tuple[float, int]], t2: list[tuple[float, int]],
                   same_g: bool) -> tuple[float, int, int] | None:
        best: tuple[float, int, int] | None = None
        for v1, m1 in t1:
            for v2, m2 in t2:
                if m1 == m2:
                    continue
                if best is None or v1 + v2 > best[0]:
                    best = (v1 + v2, -m1, -m2)
        return best
