"""Studies: one paper claim each, reproduced at reduced scale with an honest verdict.

A capability registers a study by defining a module-level ``STUDIES`` list in a module of
``wattlab.studies`` (found automatically), in a package exposed through the ``wattlab.studies``
entry-point group, or in a module named in the ``WATTLAB_STUDIES`` environment variable
(comma-separated module names; worker processes inherit it). The core never needs editing.
"""

from __future__ import annotations

import importlib
import io
import math
import os
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from wattlab.cost import Cost
from wattlab.errors import StudyError
from wattlab.params import Registry

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: The package of wattlab's own studies (modules with a ``STUDIES`` list).
BUILTIN = "wattlab.studies"

Verdict = Literal["reproduced", "trend-reproduced", "not-reproduced", "not-checkable-here"]
Basis = Literal["measured", "modelled", "mixed"]
Scale = Literal["quick", "full"]


@dataclass(frozen=True)
class Claim:
    """What the paper says, and how a wattlab value is judged against it.

    ``kind``: ``approx`` (within ``rel_tol`` of ``paper_value``), ``at_least`` or ``at_most``.
    ``trend_threshold``: if the value misses the tolerance but lies on the same side of this
    threshold as the paper's value (e.g. 1.0 for "N× better"), the verdict is trend-reproduced.
    When ``paper_value`` is 0 the gap is absolute (in ``unit``) and so is ``rel_tol``.
    """

    text: str
    metric: str
    unit: str
    paper_value: float
    rel_tol: float = 0.1
    kind: Literal["approx", "at_least", "at_most"] = "approx"
    trend_threshold: float | None = None

    def judge(self, value: float | None) -> tuple[Verdict, float | None]:
        """The verdict and the relative gap (value − paper) / paper."""
        if value is None or not math.isfinite(value):
            return "not-checkable-here", None
        p = self.paper_value
        gap = (value - p) / abs(p) if p else value
        ok = {"approx": abs(gap) <= self.rel_tol,
              "at_least": gap >= -self.rel_tol,
              "at_most": gap <= self.rel_tol}[self.kind]
        if ok:
            return "reproduced", gap
        t = self.trend_threshold
        if t is not None and (value - t) * (p - t) > 0:
            return "trend-reproduced", gap
        return "not-reproduced", gap


@dataclass
class Outcome:
    """What a study's run returns; the verdict is computed from ``value`` by the claim.

    Set ``value=None`` and ``needs`` to say what a check would need when it cannot run here.
    """

    value: float | None
    notes: list[str] = field(default_factory=list)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    costs: dict[str, Cost] = field(default_factory=dict)
    figures: dict[str, bytes] = field(default_factory=dict)
    needs: str = ""
    basis: Basis | None = None  # overrides the study's basis when a run measured after all

    def figure(self, name: str, fig: Figure) -> None:
        """Store a matplotlib figure as PNG and close it."""
        import matplotlib.pyplot as plt

        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        self.figures[name] = buf.getvalue()


@dataclass(frozen=True)
class RunContext:
    """What a study run gets: the scale, its own random generator and the parameters."""

    scale: Scale
    rng: np.random.Generator
    params: Registry

    @property
    def quick(self) -> bool:
        return self.scale == "quick"


@dataclass(frozen=True)
class Study:
    """One claim of one paper. ``inputs_from_paper`` names every input taken from the paper it
    checks; when ``fitted_to_paper`` is set, the value was recovered from parameters fitted to
    that paper and the report calls it a consistency check, not an independent reproduction."""

    id: str
    paper: str
    arxiv: str
    claim: Claim
    run: Callable[[RunContext], Outcome]
    basis: Basis
    boundary: str
    inputs_from_paper: Sequence[str] = ()
    fitted_to_paper: bool = False
    version: int = 1

    def __post_init__(self) -> None:
        if not self.id or not all(c.isalnum() or c in "-_." for c in self.id):
            raise StudyError(f"study id '{self.id}' must be non-empty letters, digits, '-', '_', '.'")


def _collect(module: Any, where: str) -> list[Study]:
    found = getattr(module, "STUDIES", None)
    if found is None:
        return []
    if not all(isinstance(s, Study) for s in found):
        raise StudyError(f"{where}: STUDIES must be a list of wattlab.study.Study")
    return list(found)


def all_studies() -> dict[str, Study]:
    """Every registered study, by id, in a stable order."""
    pkg = importlib.import_module(BUILTIN)  # a plugin package like any other: found by name
    studies: list[Study] = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        name = f"{pkg.__name__}.{info.name}"
        studies += _collect(importlib.import_module(name), name)
    for ep in entry_points(group="wattlab.studies"):
        studies += _collect(ep.load(), f"entry point {ep.name}")
    for name in filter(None, os.environ.get("WATTLAB_STUDIES", "").split(",")):
        try:
            module = importlib.import_module(name.strip())
        except ImportError as exc:
            raise StudyError(f"WATTLAB_STUDIES names module '{name}', which cannot be imported "
                             f"({exc}); fix the name or PYTHONPATH") from exc
        studies += _collect(module, f"WATTLAB_STUDIES module {name}")
    out: dict[str, Study] = {}
    for s in studies:
        if s.id in out:
            raise StudyError(f"study id '{s.id}' is registered twice; ids must be unique")
        out[s.id] = s
    return out


def select(ids: Sequence[str] | None, registry: Mapping[str, Study] | None = None) -> list[Study]:
    """The studies named (all when ``ids`` is empty); an unknown id is an error naming the known ones."""
    known = dict(registry) if registry is not None else all_studies()
    if not ids:
        return list(known.values())
    chosen: list[Study] = []
    for i in ids:
        matches = [s for k, s in known.items() if k == i or k.startswith(i + ".")]
        if not matches:
            raise StudyError(f"unknown study id '{i}'; known ids: {', '.join(known)} "
                             "(a paper prefix such as 'idle-waiting' selects all its studies)")
        chosen += [m for m in matches if m not in chosen]
    return chosen
