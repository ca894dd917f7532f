"""An auditable energy ledger: one entry per compute or communication event.

Every entry carries its phase, actor, round, joules, FLOPs or bits, the registry keys its
energy came from and its basis (``modelled`` here). Totals are always recomputed from the
entries, so ``total_j == fsum(entry.energy_j)`` holds by construction and is tested.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.params import Registry

if TYPE_CHECKING:
    import pandas as pd

Kind = Literal["compute", "comm", "radio-state", "idle"]


@dataclass(frozen=True)
class Entry:
    """One event: ``kind`` compute (``flops`` > 0), comm (``bits`` > 0; a ``-retx`` phase holds
    the retransmitted bits), radio-state (RRC promotion or tail of a session) or idle (a node
    listening between rounds)."""

    kind: Kind
    phase: str
    actor: str
    round: int
    energy_j: float
    flops: float = 0.0
    bits: float = 0.0
    sources: tuple[str, ...] = ()
    basis: str = "modelled"

    def __post_init__(self) -> None:
        for name in ("energy_j", "flops", "bits"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise SpecError(f"ledger entry '{self.phase}/{self.actor}' field '{name}' is "
                                f"{v!r}; it must be finite and >= 0")
        if self.round < 0:
            raise SpecError(f"ledger entry '{self.phase}/{self.actor}' field 'round' is "
                            f"{self.round}; rounds are >= 0 (0 = before the first round)")


@dataclass
class EnergyLedger:
    """Append-only list of :class:`Entry`; every aggregate is computed from the entries."""

    label: str = ""
    entries: list[Entry] = field(default_factory=list)

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def total_j(self) -> float:
        return math.fsum(e.energy_j for e in self.entries)

    def by(self, attr: str) -> dict[str, float]:
        """Joules summed by an entry attribute (``phase``, ``kind``, ``actor``, ``round``)."""
        out: dict[str, list[float]] = {}
        for e in self.entries:
            out.setdefault(str(getattr(e, attr)), []).append(e.energy_j)
        return {k: math.fsum(v) for k, v in out.items()}

    def sum_of(self, attr: Literal["flops", "bits"], **match: Any) -> float:
        """Sum of ``flops`` or ``bits`` over entries whose fields equal ``match``."""
        return math.fsum(getattr(e, attr) for e in self.entries
                         if all(getattr(e, k) == v for k, v in match.items()))

    def to_records(self) -> list[dict[str, Any]]:
        return [{**asdict(e), "sources": ",".join(e.sources)} for e in self.entries]

    def to_frame(self) -> pd.DataFrame:
        """One row per entry."""
        import pandas as pd

        return pd.DataFrame(self.to_records(), columns=[*Entry.__dataclass_fields__])

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "total_j": self.total_j, "by_phase": self.by("phase"),
                "entries": self.to_records()}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_cost(self, params: Registry) -> Cost:
        """A :class:`Cost` with one energy component per phase and the sources cited."""
        keys = sorted({k for e in self.entries for k in e.sources})
        return Cost(energy_j=self.by("phase"),
                    counts={"ops": self.sum_of("flops"), "bits": self.sum_of("bits")},
                    sources=params.subset(*keys))
