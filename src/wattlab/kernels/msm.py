"""Multi-scalar multiplication Σ k_i·P_i: Pippenger's bucket method and the naive reference.

Pippenger with window c and signed digits: each scalar is written in base 2^c with digits in
[−2^{c−1}, 2^{c−1}) (a digit ≥ 2^{c−1} becomes d − 2^c with a carry up), so a window needs only
2^{c−1} buckets and a negative digit adds −P (free: negate y). Per window each point is added
into bucket[|digit|]; the buckets are summed by the running-sum trick (Σ_d d·B_d with
2·2^{c−1} additions); windows combine by c doublings each. Additions per MSM
≈ ⌈(b + 1)/c⌉·(n + 2^c), minimised by :func:`choose_window`. :func:`msm_pippenger_batched` does
the bucket accumulation as rounds of batched affine additions (one inversion per round by
Montgomery's trick) over vectorised object-array arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from wattlab.errors import SpecError
from wattlab.kernels.curves import INFINITY, Affine, Curve, Jacobian, get_curve
from wattlab.kernels.fields import PrimeField


def pippenger_adds(n: int, bits: int, c: int) -> int:
    """Point additions (bucket + reduction) of signed-digit Pippenger, excluding doublings."""
    return math.ceil((bits + 1) / c) * (n + (1 << c))


def signed_digits(scalars: Sequence[int], c: int) -> np.ndarray:
    """Digits (windows, n) in [−2^{c−1}, 2^{c−1}) with Σ_w d_w 2^{cw} = k, low window first."""
    ks = np.empty(len(scalars), dtype=object)
    ks[:] = list(scalars)
    top = max((int(k).bit_length() for k in ks), default=0)
    half, mask = 1 << (c - 1), (1 << c) - 1
    rows, carry = [], np.zeros(len(ks), dtype=np.int64)
    for w in range(-(-top // c) + 1):
        d = ((ks >> (w * c)) & mask).astype(np.int64) + carry
        carry = (d >= half).astype(np.int64)
        rows.append(d - (carry << c))
    return np.array(rows, dtype=np.int64).reshape(len(rows), len(ks))


def _window(n: int, bits: int, window: int | None) -> int:
    c = window or choose_window(n, bits)
    if not 2 <= c <= 24:
        raise SpecError(f"window must be in 2..24, not {c}")
    return c


def choose_window(n: int, bits: int) -> int:
    """The window c in 2..24 minimising :func:`pippenger_adds` for n points."""
    return min(range(2, 25), key=lambda c: (pippenger_adds(n, bits, c), c))


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
    """Σ k_i·P_i by Pippenger's signed-digit bucket method (window from the size unless given)."""
    cv = get_curve(curve)
    _check(cv, points, scalars, scalar_field)
    c = _window(len(points), cv.scalar.bits, window)
    p, half = cv.base.p, 1 << (c - 1)
    negs = [None if pt is None else (pt[0], -pt[1] % p) for pt in points]
    digits = signed_digits(scalars, c)
    total = INFINITY
    for row in digits[::-1]:
        for _ in range(c):
            total = cv.double(total)
        buckets: list[Jacobian] = [INFINITY] * (half + 1)
        for pt, neg, d in zip(points, negs, row.tolist(), strict=True):
            if d > 0:
                buckets[d] = cv.add_mixed(buckets[d], pt)
            elif d < 0:
                buckets[-d] = cv.add_mixed(buckets[-d], neg)
        running, window_sum = INFINITY, INFINITY
        for d in range(half, 0, -1):
            running = cv.add(running, buckets[d])
            window_sum = cv.add(window_sum, running)
        total = cv.add(total, window_sum)
    return total


def batch_inverse(values: np.ndarray, p: int) -> np.ndarray:
    """Inverses of non-zero ints mod p with one modular inversion (Montgomery's trick), laid out
    as a product tree so each level is one vectorised object-array product: about 3n products."""
    size = 1 << max(len(values) - 1, 0).bit_length()
    level = np.ones(size, dtype=object)
    level[:len(values)] = values
    tree = [level]
    while len(level) > 1:
        level = level[0::2] * level[1::2] % p
        tree.append(level)
    inv = np.array([pow(int(level[0]), -1, p)], dtype=object)
    for below in reversed(tree[:-1]):
        up = np.repeat(inv, 2)
        sibling = below.reshape(-1, 2)[:, ::-1].ravel()
        inv = up * sibling % p
    return inv[:len(values)]


def _affine_pairs(cv: Curve, x1: np.ndarray, y1: np.ndarray, x2: np.ndarray, y2: np.ndarray,
                  inf1: np.ndarray, inf2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised affine P + Q over object arrays; infinities and x1 = x2 (doubling, P − P)
    take the exact scalar Jacobian path (rare for random points)."""
    p = cv.base.p
    dx = (x2 - x1) % p
    special = inf1 | inf2 | (dx == 0)
    ok = ~special
    x3, y3, inf3 = x1.copy(), y1.copy(), inf1.copy()
    if ok.any():
        lam = (y2[ok] - y1[ok]) * batch_inverse(dx[ok], p) % p
        x3[ok] = (lam * lam - x1[ok] - x2[ok]) % p
        y3[ok] = (lam * (x1[ok] - x3[ok]) - y1[ok]) % p
    for i in np.flatnonzero(special):
        a = INFINITY if inf1[i] else (x1[i], y1[i], 1)
        s = cv.to_affine(cv.add_mixed(a, None if inf2[i] else (x2[i], y2[i])))
        inf3[i] = s is None
        x3[i], y3[i] = (0, 0) if s is None else s
    return x3, y3, inf3


def msm_pippenger_batched(curve: Curve | str, points: Sequence[Affine], scalars: Sequence[int],
                          *, window: int | None = None,
                          scalar_field: PrimeField | None = None) -> Jacobian:
    """Pippenger whose bucket accumulation is batched affine additions: per window the points are
    sorted by digit and summed pairwise inside each bucket, one batch inversion per round."""
    cv = get_curve(curve)
    _check(cv, points, scalars, scalar_field)
    if any(pt is None for pt in points):
        raise SpecError("msm_pippenger_batched takes finite affine points; drop the infinities")
    c = _window(len(points), cv.scalar.bits, window)
    p, half = cv.base.p, 1 << (c - 1)
    finite = [pt for pt in points if pt is not None]
    xs = np.empty(len(finite), dtype=object)
    ys = np.empty(len(finite), dtype=object)
    xs[:], ys[:] = [pt[0] for pt in finite], [pt[1] for pt in finite]
    neg_ys = (p - ys) % p
    total = INFINITY
    for row in signed_digits(scalars, c)[::-1]:
        for _ in range(c):
            total = cv.double(total)
        keep = np.flatnonzero(row)
        mag = np.abs(row)
        order = keep[np.argsort(mag[keep], kind="stable")]
        seg, bx = mag[order], xs[order]
        by = np.where(row[order] < 0, neg_ys[order], ys[order])
        binf = np.zeros(len(seg), dtype=bool)
        while len(seg) and (seg[1:] == seg[:-1]).any():
            start = np.r_[0, np.flatnonzero(seg[1:] != seg[:-1]) + 1]
            offset = np.arange(len(seg)) - np.repeat(start, np.diff(np.r_[start, len(seg)]))
            even = offset % 2 == 0
            has_partner = even & np.r_[seg[1:] == seg[:-1], False]
            i = np.flatnonzero(has_partner)
            sx, sy, sinf = _affine_pairs(cv, bx[i], by[i], bx[i + 1], by[i + 1], binf[i], binf[i + 1])
            bx[i], by[i], binf[i] = sx, sy, sinf
            seg, bx, by, binf = seg[even], bx[even], by[even], binf[even]
        buckets: dict[int, Affine] = {int(d): (None if f else (int(x), int(y)))
                                      for d, x, y, f in zip(seg, bx, by, binf, strict=True)}
        running, window_sum = INFINITY, INFINITY
        for d in range(half, 0, -1):
            running = cv.add_mixed(running, buckets.get(d))
            window_sum = cv.add(window_sum, running)
        total = cv.add(total, window_sum)
    return total
