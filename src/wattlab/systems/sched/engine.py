"""A heap-based discrete-event simulator of multi-GPU nodes (no per-tick loop).

Events are job arrivals (a pre-sorted stream) and job completions (a heap with lazy deletion:
a completion is re-pushed with a new version whenever co-location changes a job's speed). After
every batch of simultaneous events the scheduler is called once with a :class:`SimView`, through
which it reads the queue and the free GPUs and starts jobs.

Energy is integrated exactly between events: cluster power is piecewise constant (idle power on
free GPUs, each running job's per-GPU power on its GPUs). The run's ledger checks that the
integrated energy equals the per-job energies plus the idle energy, and that every submitted job
either finished, was unrunnable (larger than any node) or was left queued by the policy.
"""

from __future__ import annotations

import heapq
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from wattlab.errors import SpecError
from wattlab.systems.sched.model import Cluster, Interference, Job, NodeSpec

Placement = Literal["first", "numa"]


class Scheduler(ABC):
    """A scheduling policy. Subclass it and implement :meth:`schedule`.

    ``schedule`` is called after every batch of simultaneous events (arrivals, completions) while
    jobs wait; it starts jobs with ``view.start(job, gpus, ...)``. Leaving a job queued is allowed
    (it waits for the next event); a job still queued when no event remains is reported in
    ``SimResult.stuck``.
    """

    name: str = "custom"

    def reset(self, cluster: Cluster, rng: np.random.Generator) -> None:  # noqa: B027
        """Called once before a run (clear caches here)."""

    @abstractmethod
    def schedule(self, view: SimView) -> None:
        """Start zero or more queued jobs."""


class _Task:
    __slots__ = ("dmask", "end", "est_end", "g", "i", "job", "last", "mask", "node", "power",
                 "queued", "rate", "rem", "start", "version")

    def __init__(self, i: int, job: Job) -> None:
        self.i = i
        self.job = job
        self.queued = False
        self.start = math.nan
        self.end = math.nan
        self.est_end = math.nan
        self.g = 0
        self.node = -1
        self.mask = 0
        self.dmask = 0
        self.rem = 0.0
        self.rate = 1.0
        self.last = 0.0
        self.power = 0.0
        self.version = 0


class _Node:
    __slots__ = ("dmasks", "dsize", "fmask", "free", "jobs", "sig", "spec")

    def __init__(self, spec: NodeSpec) -> None:
        self.spec = spec
        self.free = spec.gpus
        self.fmask = (1 << spec.gpus) - 1
        self.dsize = spec.domain_size
        self.dmasks = [((1 << self.dsize) - 1) << (d * self.dsize) for d in range(spec.domains)]
        self.jobs: list[_Task] = []
        self.sig: tuple[object, ...] | None = None

    @property
    def free_mask(self) -> int:
        return self.fmask

    @property
    def dfree(self) -> list[int]:
        """Free GPUs per NUMA domain, as masks."""
        f = self.fmask
        return [f & d for d in self.dmasks]


def _bits(mask: int) -> list[int]:
    out = []
    i = 0
    while mask:
        if mask & 1:
            out.append(i)
        mask >>= 1
        i += 1
    return out


def _take_low(mask: int, k: int) -> int:
    """The ``k`` lowest set bits of ``mask``."""
    out = 0
    while k:
        low = mask & -mask
        out |= low
        mask ^= low
        k -= 1
    return out


@dataclass
class Unrunnable:
    """A job that can never run on this cluster, with the reason (never silently dropped)."""

    job: Job
    reason: str


class SimView:
    """What a scheduler sees and does: the time, the queue, free GPUs, running jobs, start()."""

    def __init__(self, sim: _Sim) -> None:
        self._s = sim
        # hot paths bound straight to the engine (same signatures as the methods below)
        self.head = sim.head  # type: ignore[method-assign]
        self.start = sim.start  # type: ignore[method-assign]

    @property
    def now(self) -> float:
        return self._s.now

    @property
    def cluster(self) -> Cluster:
        return self._s.cluster

    @property
    def queue_len(self) -> int:
        return self._s.n_queued

    def waiting(self, limit: int | None = None) -> list[Job]:
        """Queued jobs in arrival order (the first ``limit`` of them)."""
        return self._s.waiting(limit)

    def head(self) -> Job | None:
        """The oldest queued job, or None."""
        return self._s.head()

    @property
    def completions(self) -> int:
        """How many jobs have finished so far (a policy may skip work when nothing was freed)."""
        return self._s.n_done

    def free(self, node: int) -> int:
        return self._s.nodes[node].free

    def free_gpus(self, node: int) -> list[int]:
        return _bits(self._s.nodes[node].free_mask)

    def free_total(self) -> int:
        return self._s.free_total

    def node_spec(self, node: int) -> NodeSpec:
        return self._s.nodes[node].spec

    @property
    def n_nodes(self) -> int:
        return len(self._s.nodes)

    def running(self, node: int) -> list[tuple[Job, int, float]]:
        """(job, GPUs, estimated end) of the jobs running on ``node``."""
        return [(t.job, t.g, t.est_end) for t in self._s.nodes[node].jobs]

    def wait(self, job: Job) -> float:
        """How long ``job`` has waited so far."""
        return self._s.now - job.submit

    def layout(self, node: int) -> tuple[object, ...]:
        """A signature of the node's state: device, free GPUs, and per NUMA domain (free GPUs,
        jobs touching it). Nodes with equal signatures offer the same placements."""
        n = self._s.nodes[node]
        sig = n.sig
        if sig is None:
            if not n.jobs:
                sig = (n.spec.device, n.free)
            else:
                sig = (n.spec.device, n.free, len(n.jobs),
                       *((d.bit_count(), sum(1 for t in n.jobs if t.dmask >> k & 1))
                         for k, d in enumerate(n.dfree)))
            n.sig = sig
        return sig

    def free_nodes(self, with_layout: bool = False) -> list[tuple[int, tuple[object, ...]]]:
        """(node, key) for every node with a free GPU, in node order; the key is
        :meth:`layout` when ``with_layout``, else (device, free GPUs)."""
        out = []
        for k, n in enumerate(self._s.nodes):
            if n.free:
                out.append((k, self.layout(k) if with_layout and n.jobs else (n.spec.device, n.free)))
        return out

    def co_runners(self, node: int, g: int, placement: Placement = "first") -> tuple[int, int, bool]:
        """If ``g`` GPUs were placed on ``node`` now: (co-running jobs sharing one of its NUMA
        domains, other co-running jobs on the node, whether it would span more domains than it
        needs). Places nothing."""
        return self._s.co_runners(node, g, placement)

    def fit(self, g: int) -> int | None:
        """The first node (lowest index) with ``g`` free GPUs, or None."""
        for k, n in enumerate(self._s.nodes):
            if n.free >= g:
                return k
        return None

    def start(self, job: Job, gpus: int | None = None, node: int | None = None,
              placement: Placement = "first", overhead: float = 0.0) -> bool:
        """Start queued ``job`` on ``gpus`` GPUs (default: its request) of ``node`` (default: the
        first that fits). ``placement``: 'first' takes the lowest free GPU indices, 'numa' keeps a
        job inside as few NUMA domains as possible and apart from co-runners. ``overhead``: extra
        seconds (e.g. profiling) run at the job's power before its work. Returns False, starting
        nothing, when the GPUs are not free."""
        return self._s.start(job, gpus, node, placement, overhead)


@dataclass
class SimResult:
    """Per-job schedule, energy and the cluster timeline of one run."""

    policy: str
    cluster: Cluster
    jobs: list[Job]
    start: np.ndarray
    end: np.ndarray
    gpus: np.ndarray
    node: np.ndarray
    job_energy_j: np.ndarray
    energy_j: float
    idle_energy_j: float
    busy_gpu_s: float
    timeline_t: np.ndarray
    timeline_busy: np.ndarray
    timeline_power_w: np.ndarray
    unrunnable: list[Unrunnable] = field(default_factory=list)
    stuck: list[Job] = field(default_factory=list)
    masks: list[int] = field(default_factory=list)

    @property
    def placements(self) -> list[tuple[int, ...]]:
        """GPU indices (within its node) each job ran on; () if it never ran."""
        return [tuple(_bits(m)) for m in self.masks]

    @property
    def finished(self) -> np.ndarray:
        return np.isfinite(self.end)

    @property
    def t0(self) -> float:
        return float(self.timeline_t[0]) if len(self.timeline_t) else 0.0

    @property
    def makespan_s(self) -> float:
        """From the first submission to the last completion."""
        if not len(self.timeline_t):
            return 0.0
        return float(self.timeline_t[-1] - self.timeline_t[0])

    @property
    def edp(self) -> float:
        """Energy-delay product of the run: energy x makespan (J s)."""
        return self.energy_j * self.makespan_s

    @property
    def waits(self) -> np.ndarray:
        ok = self.finished
        submit = np.array([j.submit for j in self.jobs])
        return (self.start - submit)[ok]

    @property
    def mean_wait_s(self) -> float:
        w = self.waits
        return float(w.mean()) if len(w) else 0.0

    @property
    def mean_jct_s(self) -> float:
        ok = self.finished
        if not ok.any():
            return 0.0
        submit = np.array([j.submit for j in self.jobs])
        return float((self.end - submit)[ok].mean())

    @property
    def utilisation(self) -> float:
        """Busy GPU-seconds over (cluster GPUs x makespan)."""
        span = self.makespan_s
        return self.busy_gpu_s / (self.cluster.total_gpus * span) if span > 0 else 0.0

    def ledger(self) -> dict[str, float]:
        """Energy and job balance; ``energy_gap_rel`` and ``job_gap`` are ~0 in a correct run."""
        jobs_e = float(self.job_energy_j[self.finished].sum())
        n = len(self.jobs)
        fin = int(self.finished.sum())
        gap = self.energy_j - (jobs_e + self.idle_energy_j)
        return {"energy_j": self.energy_j, "job_energy_j": jobs_e, "idle_energy_j": self.idle_energy_j,
                "energy_gap_rel": gap / self.energy_j if self.energy_j else gap,
                "submitted": n, "finished": fin, "unrunnable": len(self.unrunnable),
                "stuck": len(self.stuck),
                "job_gap": n - fin - len(self.unrunnable) - len(self.stuck)}

    def check(self, rtol: float = 1e-9) -> None:
        """Raise if energy or job counts do not balance."""
        lg = self.ledger()
        if abs(lg["energy_gap_rel"]) > rtol or lg["job_gap"] != 0:
            raise AssertionError(f"ledger does not balance: {lg}")

    def summary(self) -> dict[str, Any]:
        return {"policy": self.policy, "jobs": len(self.jobs), "finished": int(self.finished.sum()),
                "unrunnable": len(self.unrunnable), "stuck": len(self.stuck),
                "energy_j": self.energy_j, "idle_energy_j": self.idle_energy_j,
                "makespan_s": self.makespan_s, "edp_js": self.edp,
                "mean_wait_s": self.mean_wait_s, "mean_jct_s": self.mean_jct_s,
                "utilisation": self.utilisation}

    def sacct(self) -> list[dict[str, Any]]:
        """A Slurm-accounting-like view: one row per job with ``ConsumedEnergy`` in joules."""
        rows = []
        for k, j in enumerate(self.jobs):
            ok = bool(np.isfinite(self.end[k]))
            rows.append({"JobID": j.id, "Submit": j.submit,
                         "Start": float(self.start[k]) if ok else None,
                         "End": float(self.end[k]) if ok else None,
                         "Elapsed": float(self.end[k] - self.start[k]) if ok else None,
                         "AllocTRES": f"gres/gpu={int(self.gpus[k])}" if ok else "",
                         "NodeList": f"node{int(self.node[k])}" if ok else "",
                         "State": "COMPLETED" if ok else "PENDING",
                         "ConsumedEnergy": float(self.job_energy_j[k]) if ok else 0.0})
        return rows

    def power_at(self, t: float) -> float:
        """Cluster GPU power (W) at time ``t``."""
        i = int(np.searchsorted(self.timeline_t, t, side="right")) - 1
        return float(self.timeline_power_w[max(i, 0)])


class _Sim:
    def __init__(self, jobs: Sequence[Job], cluster: Cluster, scheduler: Scheduler,
                 interference: Interference, rng: np.random.Generator) -> None:
        self.cluster = cluster
        self.scheduler = scheduler
        self.itf = interference
        self.itf_active = interference.active
        self.rng = rng
        self.nodes = [_Node(s) for s in cluster.nodes]
        self.tasks = [_Task(i, j) for i, j in enumerate(jobs)]
        self.by_id = {id(j): t for j, t in zip(jobs, self.tasks, strict=True)}
        if len(self.by_id) != len(self.tasks):
            raise SpecError("the same Job object appears twice in the trace; give each job its own object")
        self.now = 0.0
        self.free_total = cluster.total_gpus
        self.idle_w = sum(n.idle_w * n.gpus for n in cluster.nodes)  # power of free GPUs
        self.power = self.idle_w
        self.busy = 0
        self.queue: list[_Task] = []
        self.qhead = 0
        self.n_queued = 0
        self.n_done = 0
        self.heap: list[tuple[float, int, _Task, int]] = []
        self.seq = 0
        self.energy = 0.0
        self.idle_energy = 0.0
        self.busy_gs = 0.0
        self.t_last = 0.0
        self.tl_t: list[float] = []
        self.tl_b: list[int] = []
        self.tl_p: list[float] = []

    # -- queue -----------------------------------------------------------------------------
    def head(self) -> Job | None:
        q = self.queue
        i = self.qhead
        nq = len(q)
        while i < nq and not q[i].queued:
            i += 1
        self.qhead = i
        return q[i].job if i < nq else None

    def waiting(self, limit: int | None) -> list[Job]:
        q = self.queue
        i = self.qhead
        nq = len(q)
        while i < nq and not q[i].queued:
            i += 1
        self.qhead = i
        if limit is None or limit >= self.n_queued:
            return [t.job for t in q[i:] if t.queued]
        out: list[Job] = []
        step = max(2 * limit, 16)
        while len(out) < limit and i < nq:
            out += [t.job for t in q[i:i + step] if t.queued]
            i += step
        return out[:limit]

    def _compact(self) -> None:
        if len(self.queue) > 4096 and self.n_queued < len(self.queue) // 4:
            self.queue = [t for t in self.queue[self.qhead:] if t.queued]
            self.qhead = 0

    # -- placement -------------------------------------------------------------------------
    def _place(self, node: _Node, g: int, how: Placement) -> int:
        if how == "first":
            return _take_low(node.free_mask, g)
        ds = node.dsize
        dfree = node.dfree
        counts = [d.bit_count() for d in dfree]
        if g <= ds:
            best = -1
            key: tuple[int, int] | None = None
            for d, c in enumerate(counts):
                if c >= g:
                    # an empty domain first (apart from co-runners), then the best fit
                    k = (0 if c == ds else 1, c)
                    if key is None or k < key:
                        key, best = k, d
            if best >= 0:
                return _take_low(dfree[best], g)
        # span: whole free domains first, then the fullest-free domains
        order = sorted(range(len(counts)), key=lambda d: -counts[d])
        out = 0
        need = g
        for d in order:
            if not need:
                break
            take = min(need, counts[d])
            out |= _take_low(dfree[d], take)
            need -= take
        return out

    def co_runners(self, node_i: int, g: int, how: Placement) -> tuple[int, int, bool]:
        node = self.nodes[node_i]
        if node.free < g:
            raise SpecError(f"node {node_i} has {node.free} free GPUs, fewer than {g}")
        dm = self._domains(node, self._place(node, g, how))
        same = sum(1 for o in node.jobs if o.dmask & dm)
        return same, len(node.jobs) - same, dm.bit_count() > -(-g // node.dsize)

    def _domains(self, node: _Node, mask: int) -> int:
        dm = 0
        for d, m in enumerate(node.dmasks):
            if mask & m:
                dm |= 1 << d
        return dm

    # -- running ---------------------------------------------------------------------------
    def _slowdown(self, node: _Node, t: _Task) -> float:
        itf = self.itf
        same = cross = 0
        for o in node.jobs:
            if o is not t:
                if o.dmask & t.dmask:
                    same += 1
                else:
                    cross += 1
        f = 1.0 + itf.same * same + itf.cross * cross
        need = -(-t.g // node.dsize)
        if t.dmask.bit_count() > need:
            f *= 1.0 + itf.span
        return f

    def _push(self, t: _Task) -> None:
        t.version += 1
        t.end = self.now + t.rem / t.rate
        self.seq += 1
        heapq.heappush(self.heap, (t.end, self.seq, t, t.version))

    def _rerate(self, node: _Node, skip: _Task | None = None) -> None:
        now = self.now
        for o in node.jobs:
            r = 1.0 / self._slowdown(node, o)
            if o is skip:
                o.rate = r
                continue
            if r != o.rate:
                o.rem -= (now - o.last) * o.rate
                o.rem = max(o.rem, 0.0)
                o.last = now
                o.rate = r
                self._push(o)

    def start(self, job: Job, gpus: int | None = None, node: int | None = None,
              placement: Placement = "first", overhead: float = 0.0) -> bool:
        t = self.by_id.get(id(job))
        g = job.gpus if gpus is None else gpus
        node_i = node
        how = placement
        if t is None or not t.queued:
            raise SpecError(f"scheduler tried to start job '{job.id}', which is not queued")
        if g.__class__ is not int:
            g = int(g)
        if g < 1:
            raise SpecError(f"scheduler asked for {g} GPUs for job '{job.id}'; use >= 1")
        if overhead and not (math.isfinite(overhead) and overhead >= 0):
            raise SpecError(f"overhead for job '{job.id}' must be >= 0 s, got {overhead!r}")
        if g > self.free_total:
            return False
        nodes = self.nodes
        if node_i is None:
            for k, n in enumerate(nodes):
                if n.free >= g:
                    node_i = k
                    break
            else:
                return False
        nd = nodes[node_i]
        if nd.free < g:
            return False
        mask = _take_low(nd.fmask, g) if how == "first" else self._place(nd, g, how)
        nd.fmask &= ~mask
        nd.free -= g
        nd.sig = None
        self.free_total -= g
        t.queued = False
        self.n_queued -= 1
        now = self.now
        t.g = g
        t.node = node_i
        t.mask = mask
        t.dmask = 1 if len(nd.dmasks) == 1 else self._domains(nd, mask)
        t.start = t.last = now
        if g == job.gpus:
            t.rem = job.runtime + overhead
            t.est_end = now + (job.runtime if job.estimate is None else job.estimate) + overhead
        else:
            t.rem = job.runtime_at(g) + overhead
            t.est_end = now + job.estimate_at(g) + overhead
        spec = nd.spec
        sc = job.scaling
        u = 1.0 if sc is None else sc.power[(g if g < len(sc.power) else len(sc.power)) - 1]
        idle = spec.idle_w
        t.power = p = idle + (spec.tdp_w - idle) * u
        self.power += (p - idle) * g
        self.idle_w -= idle * g
        self.busy += g
        nd.jobs.append(t)
        if self.itf_active:
            self._rerate(nd, skip=t)
        else:
            t.rate = 1.0
        t.version += 1
        t.end = now + t.rem / t.rate
        self.seq += 1
        heapq.heappush(self.heap, (t.end, self.seq, t, t.version))
        return True

    def _finish(self, t: _Task) -> None:
        node = self.nodes[t.node]
        node.jobs.remove(t)
        node.fmask |= t.mask
        node.free += t.g
        node.sig = None
        self.free_total += t.g
        spec = node.spec
        self.power -= (t.power - spec.idle_w) * t.g
        self.idle_w += spec.idle_w * t.g
        self.busy -= t.g
        if self.itf_active and node.jobs:
            self._rerate(node)

    def run(self) -> tuple[list[Unrunnable], list[Job]]:
        gmax = self.cluster.max_node_gpus
        bad: list[Unrunnable] = []
        submits = [t.job.submit for t in self.tasks]
        order = sorted(range(len(self.tasks)), key=submits.__getitem__)  # stable: ties keep order
        arrivals: list[_Task] = []
        for i in order:
            t = self.tasks[i]
            if t.job.gpus > gmax:
                where = t.job.row or f"job '{t.job.id}'"
                bad.append(Unrunnable(t.job, f"{where}: requests {t.job.gpus} GPUs but the largest "
                                              f"node has {gmax} (jobs run inside one node)"))
            else:
                arrivals.append(t)
        heap = self.heap
        pop = heapq.heappop
        subs = [t.job.submit for t in arrivals]
        ai = 0
        na = len(arrivals)
        if na:  # the run's clock starts at the first submission
            self.now = self.t_last = subs[0]
        sched = self.scheduler
        view = SimView(self)
        queue = self.queue
        tl_t, tl_b, tl_p = self.tl_t, self.tl_b, self.tl_p
        inf = math.inf
        stale = self.itf_active  # only interference re-pushes completions
        while ai < na or heap:
            # drop stale completions (a co-location change re-pushed them)
            while stale and heap and heap[0][3] != heap[0][2].version:
                pop(heap)
            t_arr = subs[ai] if ai < na else inf
            t_fin = heap[0][0] if heap else inf
            now = t_arr if t_arr < t_fin else t_fin
            if now == inf:
                break
            dt = now - self.t_last
            if dt > 0:  # integrate the piecewise-constant powers up to now
                self.energy += self.power * dt
                self.idle_energy += self.idle_w * dt
                self.busy_gs += self.busy * dt
            self.t_last = self.now = now
            while heap and heap[0][0] <= now:
                _, _, t, ver = pop(heap)
                if stale and ver != t.version:
                    continue
                t.end = now
                self._finish(t)
                self.n_done += 1
            while ai < na and subs[ai] <= now:
                t = arrivals[ai]
                t.queued = True
                queue.append(t)
                ai += 1
                self.n_queued += 1
            if self.n_queued and self.free_total:
                sched.schedule(view)
                if len(self.queue) > 4096:
                    self._compact()
                    queue = self.queue
            if tl_t and tl_t[-1] == now:
                tl_b[-1] = self.busy
                tl_p[-1] = self.power
            else:
                tl_t.append(now)
                tl_b.append(self.busy)
                tl_p.append(self.power)
        stuck = [t.job for t in self.queue[self.qhead:] if t.queued]
        return bad, stuck


def simulate(jobs: Sequence[Job], cluster: Cluster, scheduler: Scheduler, *,
             interference: Interference | None = None,
             rng: np.random.Generator | None = None) -> SimResult:
    """Replay ``jobs`` on ``cluster`` under ``scheduler``. Deterministic for a given ``rng``
    (the scheduler receives it in ``reset``; the engine itself draws nothing)."""
    if not isinstance(scheduler, Scheduler):
        raise SpecError("scheduler must be a wattlab.systems.sched.Scheduler, got "
                        f"{type(scheduler).__name__}")
    rng = rng if rng is not None else np.random.default_rng(0)
    scheduler.reset(cluster, rng)
    sim = _Sim(jobs, cluster, scheduler, interference or Interference(), rng)
    bad, stuck = sim.run()
    tasks = sim.tasks
    ran = np.array([not t.queued and t.node >= 0 for t in tasks], dtype=bool)
    start = np.where(ran, np.array([t.start for t in tasks], dtype=float), np.nan)
    end = np.where(ran, np.array([t.end for t in tasks], dtype=float), np.nan)
    gpus = np.where(ran, np.array([t.g for t in tasks], dtype=int), 0)
    node = np.where(ran, np.array([t.node for t in tasks], dtype=int), -1)
    power = np.array([t.power for t in tasks], dtype=float)
    ej = np.zeros(len(tasks))
    ej[ran] = power[ran] * gpus[ran] * (end[ran] - start[ran])
    return SimResult(policy=getattr(scheduler, "name", type(scheduler).__name__), cluster=cluster,
                     jobs=list(jobs), start=start, end=end, gpus=gpus, node=node, job_energy_j=ej,
                     energy_j=sim.energy, idle_energy_j=sim.idle_energy, busy_gpu_s=sim.busy_gs,
                     timeline_t=np.array(sim.tl_t), timeline_busy=np.array(sim.tl_b),
                     timeline_power_w=np.array(sim.tl_p), unrunnable=bad, stuck=stuck,
                     masks=[t.mask for t in tasks])
