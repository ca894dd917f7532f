"""Multi-scalar multiplication Σ k_i·P_i: Pippenger's bucket method and the naive reference.

Pippenger with window c: the b-bit scalars split into ⌈b/c⌉ digits; per window each point is
added (mixed addition) into bucket[digit]; the buckets are summed by the running-sum trick
(Σ_d d·B_d with 2·(2^c − 1) additions); windows combine by c doublings each. Additions per MSM
≈ ⌈b/c⌉·(n + 2^{c+1}), minimised by :func:`choose_window`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from wattlab.errors import SpecError
from wattlab.kernels.curves import INFINITY, Affine, Curve, Jacobian, get_curve
from wattlab.kernels.fields import PrimeField


def pippenger_adds(n: int, bits: int, c: int) -> int:
    """Point additions (bucket + reduction) of Pippenger with window c, excluding doublings."""
    return math.ceil(bits / c) * (n + 2 * ((1 << c) - 1))


def choose_window(n: int, bits: int) -> int:
    """The window c in 1..24 minimising :func:`pippenger_adds` for n points."""
    return min(range(1, 25), key=lambda c: (pippenger_adds(n, bits, c), c))


def _check(curve: Curve, points: Sequence[Affine], scalars: Sequence[int],
           scalar_field: PrimeField | None) -> None:
    if scalar_field is not None and scalar_field != curve.scalar:
        raise SpecError(f"scalars are in field '{scalar_field.name}' but {curve.name} G1 needs "
                        f"its scalar field '{curve.scalar.name}'")
    if len(points) != len(scalars):
        raise SpecError(f"{len(points)} points but {len(scalars)} scalars; give one scalar per point")
    r = curve.scalar.p
    for i, (pt, k) in enumerate(zip(points, scalars, strict=True)):
        if not isinstance(k, int) or not 0 <= k < r:
            raise SpecError(f"scalars[{i}] = {k!r} is not a reduced element of {curve.scalar.name}")
        if not curve.is_on_curve(pt):
            raise SpecError(f"points[{i}] = {pt} is not on {curve.name} G1")


def msm_naive(curve: Curve | str, points: Sequence[Affine], scalars: Sequence[int], *,
              scalar_field: PrimeField | None = None) -> Jacobian:
    """Σ k_i·P_i by one double-and-add per point (the reference)."""
    cv = get_curve(curve)
    _check(cv, points, scalars, scalar_field)
    acc = INFINITY
    for pt, k in zip(points, scalars, strict=True):
        acc = cv.add(acc, cv.mul(pt, k))
    return acc


def msm_pippenger(curve: Curve | str, points: Sequence[Affine], scalars: Sequence[int], *,
                  window: int | None = None, scalar_field: PrimeField | None = None) -> Jacobian:
    """Σ k_i·P_i by Pippenger's bucket method (window chosen from the size unless given)."""
    cv = get_curve(curve)
    _check(cv, points, scalars, scalar_field)
    bits = cv.scalar.bits
    c = window or choose_window(len(points), bits)
    if not 1 <= c <= 24:
        raise SpecError(f"window must be in 1..24, not {c}")
    mask = (1 << c) - 1
    total = INFINITY
    for w in reversed(range(math.ceil(bits / c))):
        for _ in range(c):
            total = cv.double(total)
        buckets: list[Jacobian] = [INFINITY] * (mask + 1)
        for pt, k in zip(points, scalars, strict=True):
            d = (k >> (w * c)) & mask
            if d:
                buckets[d] = cv.add_mixed(buckets[d], pt)
        running, window_sum = INFINITY, INFINITY
        for d in range(mask, 0, -1):
            running = cv.add(running, buckets[d])
            window_sum = cv.add(window_sum, running)
        total = cv.add(total, window_sum)
    return total
