"""Cost: where the energy goes, how long it takes, what area it needs, and what was counted.

A Cost is immutable. ``a + b`` is sequential composition (energies and latencies add), ``a | b``
is parallel composition (energies add, latency is the max, areas add), ``a * n`` repeats.
``boundary`` names the components counted; photonic and spiking efficiency claims swing by
orders of magnitude on it, so every derived efficiency carries it along.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wattlab.errors import SpecError
from wattlab.params import Param, describe
from wattlab.units import format_si

if TYPE_CHECKING:
    import pandas as pd


class FrozenDict(dict[str, Any]):
    """A read-only dict (picklable, JSON-serialisable): a Cost's own copy of its components."""

    def _readonly(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a Cost is immutable; build a new Cost instead of changing its dicts")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly
    __ior__ = _readonly

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items(), key=lambda kv: str(kv[0]))))


def _number(name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        try:
            import numpy as np

            if isinstance(v, np.number) and not isinstance(v, np.bool_ | np.complexfloating):
                return float(v)
        except ImportError:  # pragma: no cover
            pass
        raise SpecError(f"Cost component '{name}' is {v!r} ({type(v).__name__}); give a number "
                        "in SI units (J, s, mm²)")
    return float(v)


def _merge(a: Mapping[str, float], b: Mapping[str, float], how: str = "sum") -> dict[str, float]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0.0) + v if how == "sum" else max(out.get(k, 0.0), v)
    return out


@dataclass(frozen=True)
class Cost:
    """Energy per component (J), latency (s), area per component (mm²), action counts, boundary."""

    energy_j: Mapping[str, float] = field(default_factory=dict)
    latency_s: float = 0.0
    area_mm2: Mapping[str, float] = field(default_factory=dict)
    counts: Mapping[str, float] = field(default_factory=dict)
    boundary: frozenset[str] = frozenset()
    sources: Mapping[str, Param] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for attr in ("energy_j", "area_mm2", "counts", "sources"):
            if not isinstance(getattr(self, attr), Mapping):
                raise SpecError(f"Cost '{attr}' must be a mapping of name to value, not "
                                f"{type(getattr(self, attr)).__name__}")
        frozen = {attr: FrozenDict({str(k): _number(str(k), v) for k, v in getattr(self, attr).items()})
                  for attr in ("energy_j", "area_mm2", "counts")}
        latency = _number("latency_s", self.latency_s)
        for name, v in [*frozen["energy_j"].items(), ("latency_s", latency),
                        *frozen["area_mm2"].items(), *frozen["counts"].items()]:
            if not math.isfinite(v) or v < 0:
                raise SpecError(f"Cost component '{name}' is {v!r}; costs must be finite and >= 0")
        for attr, value in frozen.items():
            object.__setattr__(self, attr, value)
        object.__setattr__(self, "latency_s", latency)
        object.__setattr__(self, "sources", FrozenDict(self.sources))
        object.__setattr__(self, "boundary", frozenset(self.boundary) | frozenset(self.energy_j))

    # -- composition -------------------------------------------------------------------------
    def __add__(self, other: Cost) -> Cost:
        """Sequential: the same hardware does one then the other (area is shared: max)."""
        return Cost(_merge(self.energy_j, other.energy_j), self.latency_s + other.latency_s,
                    _merge(self.area_mm2, other.area_mm2, "max"),
                    _merge(self.counts, other.counts), self.boundary | other.boundary,
                    {**self.sources, **other.sources})

    def __or__(self, other: Cost) -> Cost:
        """Parallel: separate hardware at the same time (latency is the max, area adds)."""
        return Cost(_merge(self.energy_j, other.energy_j), max(self.latency_s, other.latency_s),
                    _merge(self.area_mm2, other.area_mm2), _merge(self.counts, other.counts),
                    self.boundary | other.boundary, {**self.sources, **other.sources})

    def __mul__(self, n: float) -> Cost:
        """``n`` repetitions in sequence on the same hardware."""
        if isinstance(n, bool) or not isinstance(n, int | float) or not (math.isfinite(n) and n >= 0):
            raise SpecError(f"a Cost can be repeated a finite, non-negative number of times, not {n!r}")
        return Cost({k: v * n for k, v in self.energy_j.items()}, self.latency_s * n,
                    dict(self.area_mm2), {k: v * n for k, v in self.counts.items()},
                    self.boundary, dict(self.sources))

    __rmul__ = __mul__

    # -- derived metrics ---------------------------------------------------------------------
    @property
    def energy_total_j(self) -> float:
        return math.fsum(self.energy_j.values())

    @property
    def area_total_mm2(self) -> float:
        return math.fsum(self.area_mm2.values())

    @staticmethod
    def _ratio(num: float, den: float, what: str, why: str) -> float:
        """num / den; 0 when both are 0; a SpecError (not NaN or inf) when only den is 0."""
        if den:
            r = num / den
            if not math.isfinite(r):
                raise SpecError(f"{what} overflows ({num:g} / {den:g})")
            return r
        if num == 0:
            return 0.0
        raise SpecError(f"{what} is undefined: {why} is 0; the model that made this Cost must "
                        "record it")

    @property
    def power_w(self) -> float:
        """Mean power over the latency (0 for an empty Cost; an error for energy in zero time)."""
        return self._ratio(self.energy_total_j, self.latency_s, "power_w", "latency_s")

    def _count(self, name: str) -> float:
        if name not in self.counts:
            raise SpecError(f"this Cost has no '{name}' count (it has {sorted(self.counts)}); "
                            f"the model that made it must record counts['{name}']")
        return self.counts[name]

    @property
    def ops_per_s(self) -> float:
        return self._ratio(self._count("ops"), self.latency_s, "ops_per_s", "latency_s")

    @property
    def ops_per_j(self) -> float:
        return self._ratio(self._count("ops"), self.energy_total_j, "ops_per_j", "the energy")

    @property
    def tops(self) -> float:
        return self.ops_per_s / 1e12

    @property
    def tops_per_w(self) -> float:
        return self.ops_per_j / 1e12

    @property
    def edp(self) -> float:
        """Energy-delay product (J·s)."""
        return self.energy_total_j * self.latency_s

    @property
    def j_per_token(self) -> float:
        return self._ratio(self.energy_total_j, self._count("tokens"), "j_per_token",
                           "counts['tokens']")

    @property
    def j_per_bit(self) -> float:
        return self._ratio(self.energy_total_j, self._count("bits"), "j_per_bit", "counts['bits']")

    def share(self) -> dict[str, float]:
        """Each component's fraction of the total energy (all 0 when the total is 0)."""
        total = self.energy_total_j
        return {k: v / total if total else 0.0 for k, v in self.energy_j.items()}

    # -- export ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"energy_j": dict(self.energy_j), "energy_total_j": self.energy_total_j,
                "latency_s": self.latency_s, "area_mm2": dict(self.area_mm2),
                "counts": dict(self.counts), "boundary": sorted(self.boundary),
                "sources": {k: describe(p) for k, p in sorted(self.sources.items())}}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_frame(self) -> pd.DataFrame:
        """One row per energy component: joules, share and whether it is inside the boundary."""
        import pandas as pd

        share = self.share()
        return pd.DataFrame(
            [{"component": k, "energy_j": v, "share": share[k]} for k, v in self.energy_j.items()]
        ).set_index("component")

    def summary(self) -> str:
        parts = [f"{format_si(self.energy_total_j, 'J')}", f"{format_si(self.latency_s, 's')}"]
        if "ops" in self.counts and self.energy_total_j:
            parts.append(f"{self.tops_per_w:.3g} TOPS/W")
        return f"Cost({', '.join(parts)}; boundary: {', '.join(sorted(self.boundary))})"

    def __rich__(self) -> Any:
        from rich.table import Table

        t = Table(title=self.summary(), show_lines=False)
        t.add_column("component")
        t.add_column("energy", justify="right")
        t.add_column("share", justify="right")
        for k, v in sorted(self.energy_j.items(), key=lambda kv: -kv[1]):
            t.add_row(k, format_si(v, "J"), f"{self.share()[k]:.1%}")
        return t
