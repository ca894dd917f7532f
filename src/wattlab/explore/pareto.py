"""Pareto extraction on NumPy arrays (all objectives minimised; negate the ones to maximise)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from wattlab.errors import SpecError


def pareto_mask(f: np.ndarray) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``f`` (n points × k objectives, minimised).

    A point is dominated when another is <= in every objective and < in at least one. Exact
    duplicates of a front point are all kept. Rows with a NaN are never on the front.
    O(n log n) for k = 1, 2; O(n · front) for k >= 3, vectorised in batches.
    """
    f = np.asarray(f, dtype=float)
    if f.ndim == 1:
        f = f[:, None]
    if f.ndim != 2:
        raise SpecError(f"pareto: objectives must be an (n, k) array, got shape {f.shape}")
    n, k = f.shape
    mask = np.zeros(n, dtype=bool)
    ok = ~np.any(np.isnan(f), axis=1)
    idx = np.flatnonzero(ok)
    if len(idx) == 0:
        return mask
    g = f[idx]
    if k == 1:
        mask[idx[g[:, 0] == g[:, 0].min()]] = True
        return mask
    order = np.lexsort(g.T[::-1])  # by objective 0, then 1, ...
    g, idx = g[order], idx[order]
    if k == 2:
        # sorted by f0 (ties by f1): a point is on the front iff its f1 is below every f1 seen
        # at strictly smaller f0, or equal to the front point with the same (f0, f1).
        best = np.minimum.accumulate(g[:, 1])
        prev = np.concatenate(([np.inf], best[:-1]))
        on = g[:, 1] < prev
        # keep exact duplicates of front points
        dup = np.zeros(len(g), dtype=bool)
        dup[1:] = np.all(g[1:] == g[:-1], axis=1)
        for j in np.flatnonzero(dup):
            on[j] = on[j] or on[j - 1]
        mask[idx[on]] = True
        return mask
    # k >= 3: in order of increasing objective sum a point's dominators all come before it
    # (domination implies a strictly smaller sum) and no later point removes an earlier one, so
    # batches are checked against the front so far, then against each other.
    order = np.argsort(g.sum(axis=1), kind="stable")
    g, idx = g[order], idx[order]
    front_rows = np.empty((0, k))
    keep_pos: list[np.ndarray] = []
    step = 256
    for s0 in range(0, len(g), step):
        b = g[s0:s0 + step]
        ok_b = np.ones(len(b), dtype=bool)
        if len(front_rows):
            le = np.all(front_rows[:, None, :] <= b[None, :, :], axis=2)
            lt = np.any(front_rows[:, None, :] < b[None, :, :], axis=2)
            ok_b = ~np.any(le & lt, axis=0)
        c = b[ok_b]
        if len(c) > 1:
            le = np.all(c[:, None, :] <= c[None, :, :], axis=2)
            lt = np.any(c[:, None, :] < c[None, :, :], axis=2)
            ok_c = ~np.any(le & lt, axis=0)
        else:
            ok_c = np.ones(len(c), dtype=bool)
        pos = np.flatnonzero(ok_b)[ok_c] + s0
        keep_pos.append(pos)
        front_rows = np.vstack([front_rows, g[pos]])
    front = np.concatenate(keep_pos) if keep_pos else np.empty(0, dtype=np.int64)
    mask[idx[front]] = True
    return mask


def pareto(points: Mapping[str, np.ndarray] | np.ndarray,
           objectives: Sequence[str] | None = None) -> np.ndarray:
    """Indices of the Pareto-optimal points.

    ``points`` is an (n, k) array (all minimised) or a mapping of columns; then ``objectives``
    names the columns, each as ``"name"``/``"min:name"`` (minimise) or ``"max:name"``."""
    if isinstance(points, Mapping):
        if not objectives:
            raise SpecError("pareto: name the objectives, e.g. ['min:energy_j', 'max:throughput']")
        cols = []
        for o in objectives:
            sense, _, name = o.rpartition(":")
            if sense not in ("", "min", "max"):
                raise SpecError(f"pareto: objective {o!r} must be 'name', 'min:name' or 'max:name'")
            if name not in points:
                raise SpecError(f"pareto: objective '{name}' is not a column (have {sorted(points)})")
            v = np.asarray(points[name], dtype=float)
            cols.append(-v if sense == "max" else v)
        f = np.stack(cols, axis=1)
    else:
        f = np.asarray(points, dtype=float)
    return np.flatnonzero(pareto_mask(f))


__all__ = ["pareto", "pareto_mask"]
