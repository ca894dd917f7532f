"""Static capacity tiers (NPUMoE [I]): each active expert's tokens are padded up to a tier.

``choose_tiers`` picks ``m`` capacities from multiples of ``align`` minimising, over calibration
counts ``n``: ``a * C_tier(n)`` (padded rows on the accelerator) ``+ b * max(0, n - C_m)``
(overflow rows on the exact fallback path) ``+ lam * m``. It is a 1-D DP over sorted candidates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wattlab.errors import SpecError


def check_tiers(tiers: Sequence[int]) -> tuple[int, ...]:
    """Sorted unique positive capacities, or SpecError."""
    if not tiers:
        raise SpecError("capacity tiers are empty: give at least one capacity, e.g. (16, 64)")
    bad = [t for t in tiers if int(t) != t or t < 1]
    if bad:
        raise SpecError(f"capacity tier {bad[0]!r}: every tier must be a whole number of token rows >= 1")
    return tuple(sorted({int(t) for t in tiers}))


def tier_of(counts: np.ndarray, tiers: Sequence[int]) -> np.ndarray:
    """Capacity used per count: the smallest tier >= n, else the largest (the rest overflows); 0 for n = 0."""
    t = np.asarray(check_tiers(tiers))
    pos = np.minimum(np.searchsorted(t, counts), len(t) - 1)
    return np.where(counts > 0, t[pos], 0)


def tier_cost(counts: np.ndarray, tiers: Sequence[int], a: float, b: float, lam: float = 0.0) -> float:
    """Mean cost per sample of a tier set (the objective ``choose_tiers`` minimises)."""
    t = check_tiers(tiers)
    cap = tier_of(counts, t)
    over = np.maximum(counts - t[-1], 0)
    return float((a * cap + b * over).mean() + lam * len(t))


def choose_tiers(counts: np.ndarray, n_tiers: int, align: int, a: float, b: float,
                 lam: float = 0.0, max_candidates: int = 48) -> tuple[int, ...]:
    """Optimal tiers (at most ``n_tiers``, multiples of ``align``) for the calibration ``counts``."""
    if n_tiers < 1 or align < 1:
        raise SpecError(f"n_tiers={n_tiers}, align={align}: both must be >= 1")
    n = np.asarray(counts, dtype=float).reshape(-1)
    cand = np.unique(np.maximum(np.ceil(n[n > 0] / align), 1) * align).astype(int)
    if cand.size == 0:
        return (align,)
    if len(cand) > max_candidates:  # keep the DP small: quantiles of the candidates, and the largest
        pick = np.linspace(0, len(cand) - 1, max_candidates).astype(int)
        cand = np.unique(np.append(cand[pick], cand[-1]))
    s = len(n)
    best: tuple[float, tuple[int, ...]] = (np.inf, ())
    below = np.searchsorted(np.sort(n[n > 0]), cand, side="right").astype(float)
    # seg[j, i + 1]: padded cost of samples in (cand[i], cand[j]] at capacity cand[j]; i = -1: (0, cand[j]]
    seg = (below[:, None] - np.concatenate([[0.0], below])[None, :]) * cand[:, None] * a
    f = [seg[:, 0].astype(float)]
    arg: list[np.ndarray] = [np.full(len(cand), -1)]
    for _ in range(1, n_tiers):
        prev = f[-1]
        nf, na = np.full(len(cand), np.inf), np.full(len(cand), -1)
        for j in range(1, len(cand)):
            c = prev[:j] + seg[j, 1:j + 1]
            i = int(np.argmin(c))
            nf[j], na[j] = c[i], i
        f.append(nf)
        arg.append(na)
    for t, ft in enumerate(f):
        for j in range(len(cand)):
            if not np.isfinite(ft[j]):
                continue
            over = n > cand[j]
            cost = (ft[j] + (a * cand[j] * over + b * (n - cand[j]) * over).sum()) / s + lam * (t + 1)
            if cost < best[0]:
                chain, jj = [], j
                for tt in range(t, -1, -1):
                    chain.append(int(cand[jj]))
                    jj = int(arg[tt][jj])
                best = (cost, tuple(sorted(chain)))
    return best[1]
