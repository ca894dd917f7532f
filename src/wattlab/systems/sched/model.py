"""Cluster, job and interference models of the co-scheduling simulator.

Everything here is a stated model, not a measurement:

* **Scaling** (assumption): a job's runtime on ``g`` GPUs is ``T1 * f(g)`` with the Amdahl form
  plus a linear communication term, ``f(g) = (1 - p) + p / g + c (g - 1)`` (research notes 4.3),
  or a user table of relative runtimes. Its per-GPU power is
  ``P(g) = P_idle + (P_tdp - P_idle) * u(g)``, where ``u(g) = u1 * (e + k (1 - e))``,
  ``e = 1 / (g f(g))`` the parallel efficiency and ``k`` the share of dynamic power a GPU draws
  while it waits on serial work or communication (assumption).
* **Interference** (assumption): a job is slowed by a factor
  ``(1 + span * [spans more NUMA domains than it needs]) * (1 + same * n_same + cross * n_cross)``
  where ``n_same`` counts co-running jobs on the node that share one of its NUMA domains and
  ``n_cross`` the other co-runners on the node. Power is unchanged by the slow-down.
* **Power** of an idle GPU is the catalogue's ``dev.<gpu>.idle_power``; a busy GPU's ceiling is
  ``dev.<gpu>.tdp``. Host CPUs, memory, network and cooling are outside the boundary.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from wattlab.errors import SpecError
from wattlab.params import Param, Registry, default_registry

_P = "ecosched."
#: Longest job duration accepted (s): about 30 years, far beyond any real job; a larger value is
#: a unit error (ms or µs read as s).
MAX_SECONDS = 1e9


@dataclass(frozen=True)
class Scaling:
    """Relative runtime ``f(g)`` and per-GPU dynamic power fraction ``u(g)`` for g = 1..len.

    ``time[g-1]`` is the runtime on ``g`` GPUs relative to one GPU (``time[0] == 1``);
    ``power[g-1]`` is the fraction of (TDP - idle) each of the ``g`` GPUs draws.
    """

    time: tuple[float, ...]
    power: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.time or len(self.time) != len(self.power):
            raise SpecError("Scaling needs equally long, non-empty 'time' and 'power' tables "
                            f"(got {len(self.time)} and {len(self.power)} entries)")
        if any(not (math.isfinite(t) and t > 0) for t in self.time):
            raise SpecError(f"Scaling 'time' entries must be finite and > 0; got {self.time}")
        if any(not (0.0 <= u <= 1.0) for u in self.power):
            raise SpecError(f"Scaling 'power' fractions must lie in [0, 1]; got {self.power}")

    @property
    def max_gpus(self) -> int:
        return len(self.time)

    @classmethod
    def amdahl(cls, p: float, c: float = 0.0, u1: float = 1.0, comm_power: float = 0.0,
               max_gpus: int = 8) -> Scaling:
        """The parametric curve of the module docstring (an assumption, see there)."""
        if not (0.0 <= p <= 1.0) or c < 0 or not (0.0 <= u1 <= 1.0) or not (0 <= comm_power <= 1):
            raise SpecError(f"Scaling.amdahl needs 0<=p<=1, c>=0, 0<=u1<=1, 0<=comm_power<=1; got "
                            f"p={p}, c={c}, u1={u1}, comm_power={comm_power}")
        if max_gpus < 1:
            raise SpecError(f"Scaling.amdahl: max_gpus must be >= 1, got {max_gpus}")
        t, u = [], []
        for g in range(1, max_gpus + 1):
            f = (1.0 - p) + p / g + c * (g - 1)
            e = 1.0 / (g * f)
            t.append(f)
            u.append(u1 * (e + comm_power * (1.0 - e)))
        return cls(tuple(t), tuple(u))

    @classmethod
    def table(cls, gpus: Sequence[int], speedup: Sequence[float], power: Sequence[float]) -> Scaling:
        """From measured points: speed-up (vs the first count) and per-GPU power fraction at each
        count, interpolated linearly in log2(g) between points (flat outside)."""
        pts = sorted(zip(gpus, speedup, power, strict=True))
        if not pts or pts[0][0] < 1:
            raise SpecError("Scaling.table needs GPU counts >= 1")
        if any(s <= 0 for _, s, _ in pts):
            raise SpecError("Scaling.table: speed-ups must be > 0")
        _, s0, _ = pts[0]
        xs = [math.log2(g) for g, _, _ in pts]

        def interp(x: float, ys: list[float]) -> float:
            if x <= xs[0]:
                return ys[0]
            if x >= xs[-1]:
                return ys[-1]
            for i in range(1, len(xs)):
                if x <= xs[i]:
                    w = (x - xs[i - 1]) / (xs[i] - xs[i - 1])
                    return ys[i - 1] + w * (ys[i] - ys[i - 1])
            return ys[-1]  # pragma: no cover

        rel = [s0 / s for _, s, _ in pts]  # runtime relative to the first count
        pw = [u for _, _, u in pts]
        gmax = pts[-1][0]
        base = interp(0.0, rel)
        t = tuple(interp(math.log2(g), rel) / base for g in range(1, gmax + 1))
        return cls(t, tuple(interp(math.log2(g), pw) for g in range(1, gmax + 1)))

    def f(self, g: int) -> float:
        """Runtime on ``g`` GPUs relative to one GPU (beyond the table: the last entry's
        absolute runtime, i.e. extra GPUs add nothing)."""
        return self.time[min(g, len(self.time)) - 1]

    def u(self, g: int) -> float:
        return self.power[min(g, len(self.power)) - 1]


LINEAR = Scaling((1.0,), (1.0,))


@dataclass(frozen=True, eq=False)
class Job:
    """One job of a trace. ``runtime`` is its duration on ``gpus`` GPUs without interference.

    ``estimate``: the user's runtime estimate at ``gpus`` (for backfilling; default: exact).
    ``max_gpus``: the most GPUs the application accepts (default: any count on a node).
    ``moldable``: whether a policy may run it on another GPU count than requested.
    ``row``: where it came from (file row) for error messages.
    """

    id: str
    submit: float
    runtime: float
    gpus: int
    app: str = "app"
    scaling: Scaling | None = field(default=None, repr=False)
    estimate: float | None = None
    max_gpus: int | None = None
    moldable: bool = True
    row: str = ""

    def __post_init__(self) -> None:
        where = self.row or f"job '{self.id}'"
        if not math.isfinite(self.submit) or self.submit < 0:
            raise SpecError(f"{where}: submit time {self.submit!r} must be a finite number >= 0")
        if not math.isfinite(self.runtime) or self.runtime < 0:
            raise SpecError(f"{where}: duration {self.runtime!r} must be a finite number >= 0")
        if self.runtime > MAX_SECONDS or self.submit > MAX_SECONDS * 100:
            raise SpecError(f"{where}: duration {self.runtime:g} s or submit time {self.submit:g} s "
                            f"is beyond {MAX_SECONDS:g} s (about 30 years); check the time unit")
        if int(self.gpus) != self.gpus or self.gpus < 1:
            raise SpecError(f"{where}: GPU count {self.gpus!r} must be an integer >= 1")
        if self.estimate is not None and not (math.isfinite(self.estimate) and self.estimate >= 0):
            raise SpecError(f"{where}: runtime estimate {self.estimate!r} must be >= 0")

    @property
    def curve(self) -> Scaling:
        return self.scaling if self.scaling is not None else LINEAR

    def runtime_at(self, g: int) -> float:
        """Duration on ``g`` GPUs without interference, from the scaling curve."""
        if g == self.gpus:
            return self.runtime
        c = self.curve
        return self.runtime * c.f(g) / c.f(self.gpus)

    def estimate_at(self, g: int) -> float:
        base = self.runtime if self.estimate is None else self.estimate
        if g == self.gpus:
            return base
        c = self.curve
        return base * c.f(g) / c.f(self.gpus)

    def candidates(self, node_gpus: int) -> tuple[int, ...]:
        """GPU counts a moldable policy may choose: powers of two and the request, capped."""
        cap = min(node_gpus, self.max_gpus or node_gpus)
        if not self.moldable:
            return (self.gpus,) if self.gpus <= node_gpus else ()
        out = {g for g in (1, 2, 4, 8, 16, 32, 64) if g <= cap}
        if self.gpus <= cap:
            out.add(self.gpus)
        return tuple(sorted(out))


@dataclass(frozen=True)
class Interference:
    """Co-location slow-down factors (assumptions; module docstring)."""

    same: float = 0.0
    cross: float = 0.0
    span: float = 0.0
    sources: dict[str, Param] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for k in ("same", "cross", "span"):
            v = getattr(self, k)
            if not (math.isfinite(v) and v >= 0):
                raise SpecError(f"Interference.{k} = {v!r}; it must be a finite number >= 0")

    @property
    def active(self) -> bool:
        return bool(self.same or self.cross or self.span)

    @classmethod
    def from_params(cls, params: Registry | None = None) -> Interference:
        reg = params or default_registry()
        keys = (_P + "interference_same", _P + "interference_cross", _P + "numa_span_penalty")
        same, cross, span = reg.values(*keys)
        return cls(same, cross, span, reg.subset(*keys))

    def scaled(self, k: float) -> Interference:
        return Interference(self.same * k, self.cross * k, self.span * k, self.sources)


@dataclass(frozen=True)
class NodeSpec:
    """A node: ``gpus`` GPUs of one catalogue device, split evenly into ``domains`` NUMA domains."""

    gpus: int
    domains: int
    device: str
    idle_w: float
    tdp_w: float

    def __post_init__(self) -> None:
        if self.gpus < 1 or self.domains < 1 or self.gpus % self.domains:
            raise SpecError(f"node: {self.gpus} GPUs cannot split evenly into {self.domains} NUMA "
                            "domains; use a GPU count that is a multiple of the domain count")
        if not (0 <= self.idle_w <= self.tdp_w):
            raise SpecError(f"node '{self.device}': idle power {self.idle_w} W must lie in "
                            f"[0, tdp {self.tdp_w} W]; fix dev.{self.device}.idle_power or .tdp")

    @property
    def domain_size(self) -> int:
        return self.gpus // self.domains

    def gpu_power(self, u: float) -> float:
        """Per-GPU power at dynamic fraction ``u``."""
        return self.idle_w + (self.tdp_w - self.idle_w) * u


@dataclass(frozen=True)
class Cluster:
    """A set of nodes, possibly of different devices."""

    nodes: tuple[NodeSpec, ...]
    sources: dict[str, Param] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.nodes:
            raise SpecError("a cluster needs at least one node (--nodes >= 1)")

    @classmethod
    def build(cls, nodes: int, device: str = "h100", gpus: int = 8, domains: int = 2,
              params: Registry | None = None) -> Cluster:
        """``nodes`` identical nodes of catalogue device ``device`` (reads ``dev.<device>.idle_power``
        and ``dev.<device>.tdp``)."""
        return cls.mixed([(nodes, device, gpus, domains)], params)

    @classmethod
    def mixed(cls, groups: Sequence[tuple[int, str, int, int]],
              params: Registry | None = None) -> Cluster:
        """Groups of (count, device, gpus per node, NUMA domains)."""
        reg = params or default_registry()
        out: list[NodeSpec] = []
        src: dict[str, Param] = {}
        for count, device, gpus, domains in groups:
            if count < 1:
                raise SpecError(f"node count for '{device}' must be >= 1, got {count}")
            from wattlab.hardware import spec

            name = device.lower().replace("-", "_")
            dev = spec(reg, name)
            keys = (dev.key("idle_power"), dev.key("tdp"))
            idle, tdp = dev.value("idle_power"), dev.value("tdp")
            src.update(reg.subset(*keys))
            out += [NodeSpec(int(gpus), int(domains), name, idle, tdp)] * int(count)
        return cls(tuple(out), src)

    @property
    def total_gpus(self) -> int:
        return sum(n.gpus for n in self.nodes)

    @property
    def max_node_gpus(self) -> int:
        return max(n.gpus for n in self.nodes)

    def describe(self) -> str:
        groups: dict[tuple[int, int, str], int] = {}
        for n in self.nodes:
            key = (n.gpus, n.domains, n.device)
            groups[key] = groups.get(key, 0) + 1
        return ", ".join(f"{c} x {d.upper()} node ({g} GPUs, {m} NUMA)" for (g, m, d), c in groups.items())
