"""Sensitivity of a search result: how much each dimension moves the optimum, and which
dimension's value flips the optimal choice of another.

Both are read off the evaluated points (no re-evaluation):

* **importance** — for each dimension, the best feasible objective reached at each of its
  values (other dimensions free); the spread (worst-of-bests / best) says how much the
  optimum depends on that dimension.
* **flips** — for a target dimension (e.g. the off-chip memory technology), the optimal target
  value within each slice ``other == v`` of every other dimension. Where that optimum changes
  along ``other``, ``other`` flips the target's optimum, and the flip points are listed.

Continuous dimensions with many distinct values (random or NSGA-II samples) are binned into
quantile bins.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from wattlab.errors import SpecError

if TYPE_CHECKING:
    from wattlab.explore.search import SearchResult

_MAX_LEVELS = 12


def _levels(v: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """Group codes and a label per group (quantile bins when there are many distinct values)."""
    if v.dtype.kind in "USO":
        labels, codes = np.unique(v, return_inverse=True)
        return codes, [str(x) for x in labels]
    u = np.unique(v)
    if len(u) <= _MAX_LEVELS:
        return np.searchsorted(u, v), [x.item() for x in u]
    edges = np.unique(np.quantile(v, np.linspace(0, 1, 9)))
    codes = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, len(edges) - 2)
    return codes, [f"[{edges[i]:.4g}, {edges[i + 1]:.4g}]" for i in range(len(edges) - 1)]


@dataclass
class Sensitivity:
    """Importance per dimension and the flips of the target dimension's optimum."""

    objective: str
    target: str | None
    optimum: dict[str, Any]
    importance: list[dict[str, Any]] = field(default_factory=list)
    flips: list[dict[str, Any]] = field(default_factory=list)
    slices: list[dict[str, Any]] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"optimum for {self.objective}: " + ", ".join(f"{k}={v}" for k, v in self.optimum.items())]
        for r in self.importance:
            lines.append(f"  {r['dimension']}: best {self.objective} spans x{r['spread']:.3g} "
                         f"across its values (best at {r['best_at']})")
        if self.target:
            if not self.flips:
                lines.append(f"no other dimension flips the optimal {self.target}")
            for f in self.flips:
                lines.append(f"  {f['dimension']} flips {self.target}: {f['change']}")
        return "\n".join(lines)


def sensitivity(result: SearchResult, objective: str | None = None,
                target: str | None = None) -> Sensitivity:
    """See the module docstring. ``target`` defaults to the first Choice dimension (if any)."""
    from wattlab.explore.search import Objective
    from wattlab.explore.space import Choice

    if not result.objectives and objective is None:
        raise SpecError("sensitivity needs an objective")
    o = Objective.parse(objective) if objective else result.objectives[0]
    if o.metric not in result.columns:
        raise SpecError(f"sensitivity: no metric '{o.metric}' (have {result.metrics})")
    names = result.space.names
    if target is None:
        target = next((d.name for d in result.space.dims if isinstance(d, Choice)), None)
    elif target not in names:
        raise SpecError(f"sensitivity: target '{target}' is not a dimension (have {names})")
    idx = np.flatnonzero(result.feasible)
    if not len(idx):
        raise SpecError("sensitivity: no feasible point")
    val = o.signed(result.columns[o.metric][idx])
    best_i = idx[int(np.nanargmin(val))]
    out = Sensitivity(str(o), target, {k: result.row(int(best_i))[k] for k in names})
    for d in names:
        codes, labels = _levels(result.columns[d][idx])
        per = np.full(len(labels), np.inf)
        np.minimum.at(per, codes, val)
        seen = np.isfinite(per)
        bests = per[seen]
        spread = (float(np.max(np.abs(bests)) / max(np.min(np.abs(bests)), 1e-300))
                  if len(bests) else float("nan"))
        out.importance.append({"dimension": d, "levels": int(seen.sum()), "spread": spread,
                               "best_at": labels[int(np.argmin(per))],
                               "best_by_value": {str(labels[i]): float(o.signed(np.array(per[i])))
                                                 for i in np.flatnonzero(seen)}})
    out.importance.sort(key=lambda r: -r["spread"] if np.isfinite(r["spread"]) else 0.0)
    if target is None:
        return out
    tcodes, tlabels = _levels(result.columns[target][idx])
    for d in names:
        if d == target:
            continue
        codes, labels = _levels(result.columns[d][idx])
        key = codes * len(tlabels) + tcodes
        flat = np.full(len(labels) * len(tlabels), np.inf)
        np.minimum.at(flat, key, val)
        per2: np.ndarray = flat.reshape(len(labels), len(tlabels))
        winners = []
        for i, lab in enumerate(labels):
            if np.isfinite(per2[i]).any():
                j = int(np.argmin(per2[i]))
                row = per2[i][np.isfinite(per2[i])]
                runner = np.sort(row)[1] if len(row) > 1 else np.nan
                margin = (float(abs(runner / per2[i, j])) if np.isfinite(runner) and per2[i, j] != 0
                          else float("nan"))
                winners.append((lab, tlabels[j], margin))
                out.slices.append({"dimension": d, "value": lab, f"optimal_{target}": tlabels[j],
                                   "margin_to_runner_up": margin})
        changes = [f"{a[1]} at {d}={a[0]} -> {b[1]} at {d}={b[0]}"
                   for a, b in itertools.pairwise(winners) if a[1] != b[1]]
        if changes:
            out.flips.append({"dimension": d, "change": "; ".join(changes),
                              "winners": [(str(w[0]), w[1]) for w in winners]})
    return out


__all__ = ["Sensitivity", "sensitivity"]
