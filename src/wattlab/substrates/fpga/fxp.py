"""Fixed-point Q(W, F) two's-complement integer kernels, as the generated hardware computes them.

A Q(W, F) value is a W-bit signed integer ``q`` standing for ``q / 2**F``. Every kernel takes and
returns NumPy ``int64`` arrays (vectorised; no floats): only :meth:`QFormat.quantize` and
:meth:`QFormat.to_float` cross the float boundary, at the edges.

Semantics (the VHDL generator in :mod:`wattlab.substrates.fpga.vhdl` emits exactly these):

- ``mul(a, b)``: the full 2W-bit product ``a*b``, then :func:`cut`.
- ``cut(p)``: drop F fractional bits with the format's rounding — ``floor`` (arithmetic shift, the
  cheapest), ``trunc`` (towards zero: floor, +1 for a negative value with non-zero dropped bits) or
  ``half_up`` (add 2**(F-1), then floor) — then fit W bits by the overflow mode: ``saturate``
  (clamp, each clamp counted) or ``wrap`` (keep the low W bits, each wrap counted).
- ``add(a, b)``: the (W+1)-bit sum, then saturate or wrap to W bits (counted).
- accumulators hold full products in ``acc_bits`` and wrap (addition mod 2**acc_bits is
  associative, so a wrapped matmul equals the sequential hardware accumulation).
- ``hard_sigmoid``: 0 for x <= -3, 1 for x >= 3, else ``cut(x*SLOPE) + HALF`` clipped to [0, 1],
  with SLOPE = round(2**F / 6) and HALF = 2**(F-1) (the constant rounding hardware uses: with
  F = 4 the slope is 3/16 = 0.1875, not 1/6). ``hard_tanh`` = clip(x, -1, 1).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from wattlab.errors import SpecError

IArray = NDArray[np.signedinteger[Any]]  # int64, or int32 on the LSTM's fast path
Rounding = Literal["floor", "trunc", "half_up"]
Overflow = Literal["saturate", "wrap"]
ROUNDINGS: tuple[Rounding, ...] = ("floor", "trunc", "half_up")
OVERFLOWS: tuple[Overflow, ...] = ("saturate", "wrap")
MAX_BITS = 24  # W <= 24 keeps 2W-bit products and 48-bit accumulators exact in int64
MAX_ACC_BITS = 60


def _int(x: ArrayLike) -> IArray:
    """Signed-integer arrays pass through (int32 stays int32); anything else becomes int64."""
    if isinstance(x, np.ndarray) and x.dtype.kind == "i":
        return x
    return np.asarray(x, dtype=np.int64)


@dataclass
class SatCounter:
    """Counts saturations / wraps per site (e.g. ``"gate.cut"``, ``"cell.add"``)."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, site: str, n: int) -> None:
        if n:
            self.counts[site] += int(n)

    @property
    def total(self) -> int:
        return int(sum(self.counts.values()))


@dataclass(frozen=True)
class QFormat:
    """Q(W, F): ``total_bits`` W (sign included), ``frac_bits`` F, with rounding and overflow modes."""

    total_bits: int
    frac_bits: int
    rounding: Rounding = "floor"
    overflow: Overflow = "saturate"

    def __post_init__(self) -> None:
        w, f = self.total_bits, self.frac_bits
        if not isinstance(w, int | np.integer) or not 2 <= w <= MAX_BITS:
            raise SpecError(f"'total_bits' W is {w!r}; it must be an integer in [2, {MAX_BITS}]")
        if not isinstance(f, int | np.integer) or f < 0:
            raise SpecError(f"'frac_bits' F is {f!r}; it must be an integer >= 0")
        if w <= f:
            raise SpecError(f"Q({w},{f}): 'total_bits' W={w} must exceed 'frac_bits' F={f} "
                            "(one bit is the sign); raise W or lower F")
        if self.rounding not in ROUNDINGS:
            raise SpecError(f"'rounding' is {self.rounding!r}; choose one of {ROUNDINGS}")
        if self.overflow not in OVERFLOWS:
            raise SpecError(f"'overflow' is {self.overflow!r}; choose one of {OVERFLOWS}")

    # -- range ---------------------------------------------------------------------------------
    @property
    def min_int(self) -> int:
        return -(1 << (self.total_bits - 1))

    @property
    def max_int(self) -> int:
        return (1 << (self.total_bits - 1)) - 1

    @property
    def one(self) -> int:
        """The integer for 1.0 (may exceed max_int when F >= W-1; see :meth:`require_one`)."""
        return 1 << self.frac_bits

    def require_one(self, what: str) -> None:
        if self.one > self.max_int:
            raise SpecError(f"Q({self.total_bits},{self.frac_bits}) cannot represent 1.0, which "
                            f"{what} needs; use frac_bits <= total_bits - 2")

    def __str__(self) -> str:
        return f"Q({self.total_bits},{self.frac_bits})"

    # -- float boundary ------------------------------------------------------------------------
    def quantize(self, x: ArrayLike, counter: SatCounter | None = None,
                 site: str = "quantize") -> IArray:
        """Nearest Q(W, F) integers (ties to even) of float ``x``, saturated and counted."""
        a = np.asarray(x, dtype=np.float64)
        if not np.isfinite(a).all():
            raise SpecError(f"cannot quantise non-finite values to {self}; check the '{site}' input")
        q = np.rint(a * float(self.one))
        lo, hi = self.min_int, self.max_int
        if counter is not None:
            counter.add(site, int(np.count_nonzero((q < lo) | (q > hi))))
        return np.clip(q, lo, hi).astype(np.int64)

    def to_float(self, q: ArrayLike) -> NDArray[np.float64]:
        return np.asarray(q, dtype=np.int64).astype(np.float64) / float(self.one)

    # -- kernels -------------------------------------------------------------------------------
    def fit(self, v: IArray, counter: SatCounter | None = None, site: str = "fit") -> IArray:
        """Fit wide integers ``v`` into W bits by the overflow mode (counted)."""
        lo, hi = self.min_int, self.max_int
        if v.size == 0 or (lo <= v.min() and v.max() <= hi):
            return v  # nothing overflows (two read-only passes; the common case)
        if self.overflow == "saturate":
            out = np.clip(v, lo, hi)
            if counter is not None:
                counter.add(site, int(np.count_nonzero(out != v)))
            return out
        out = wrap(v, self.total_bits)
        if counter is not None:
            counter.add(site, int(np.count_nonzero(out != v)))
        return out

    def shift(self, p: IArray) -> IArray:
        """Drop F fractional bits of wide integers with the format's rounding (no overflow yet)."""
        f = self.frac_bits
        p = _int(p)
        if f == 0:
            return p.copy()
        if self.rounding == "floor":
            return p >> f
        if self.rounding == "half_up":
            return (p + (1 << (f - 1))) >> f
        r = p >> f
        return r + ((p < 0) & ((p & ((1 << f) - 1)) != 0))

    def cut(self, p: ArrayLike, counter: SatCounter | None = None, site: str = "cut") -> IArray:
        """A wide product/accumulator (2**F scale squared) back to Q(W, F)."""
        return self.fit(self.shift(_int(p)), counter, site)

    def mul(self, a: ArrayLike, b: ArrayLike, counter: SatCounter | None = None,
            site: str = "mul") -> IArray:
        return self.cut(_int(a) * _int(b), counter, site)

    def add(self, a: ArrayLike, b: ArrayLike, counter: SatCounter | None = None,
            site: str = "add") -> IArray:
        return self.fit(_int(a) + _int(b), counter, site)

    def sat_add(self, a: ArrayLike, b: ArrayLike, counter: SatCounter | None = None,
                site: str = "sat_add") -> IArray:
        s = np.asarray(a, dtype=np.int64) + np.asarray(b, dtype=np.int64)
        if counter is not None:
            counter.add(site, int(np.count_nonzero((s < self.min_int) | (s > self.max_int))))
        return np.clip(s, self.min_int, self.max_int)

    def wrap_add(self, a: ArrayLike, b: ArrayLike) -> IArray:
        return wrap(np.asarray(a, dtype=np.int64) + np.asarray(b, dtype=np.int64), self.total_bits)

    # -- activations ---------------------------------------------------------------------------
    @property
    def sigmoid_slope(self) -> int:
        """round(2**F / 6), Python rounding (ties to even) — the slope constant in hardware."""
        return round(self.one / 6)

    def hard_sigmoid(self, x: ArrayLike, counter: SatCounter | None = None) -> IArray:
        self.require_one("hard sigmoid")
        x = np.asarray(x, dtype=np.int64)
        one = self.one
        mid = self.shift(x * self.sigmoid_slope) + (one >> 1)
        y = np.where(x <= -3 * one, 0, np.where(x >= 3 * one, one, mid))
        return np.clip(y, 0, one)

    def hard_tanh(self, x: ArrayLike) -> IArray:
        self.require_one("hard tanh")
        return np.clip(np.asarray(x, dtype=np.int64), -self.one, self.one)

    def relu(self, x: ArrayLike) -> IArray:
        return np.maximum(np.asarray(x, dtype=np.int64), 0)

    def check_ints(self, q: ArrayLike, name: str) -> IArray:
        """``q`` as int64 if every value fits W bits, else a SpecError naming ``name``."""
        a = np.asarray(q)
        if a.dtype.kind not in "iu":
            raise SpecError(f"'{name}' must hold integers of {self} (dtype {a.dtype}); quantise "
                            "floats with QFormat.quantize first")
        a = a.astype(np.int64)
        if a.size and (a.min() < self.min_int or a.max() > self.max_int):
            raise SpecError(f"'{name}' holds values outside {self} [{self.min_int}, "
                            f"{self.max_int}]")
        return a


def wrap(v: ArrayLike, bits: int) -> IArray:
    """Two's-complement wrap of int64 values to ``bits`` bits."""
    half = 1 << (bits - 1)
    out = np.asarray(v, dtype=np.int64) + half
    out &= (1 << bits) - 1
    out -= half
    return out


def acc_matmul(v: IArray, w_t: IArray, acc_bits: int) -> IArray:
    """Σ_j v[..., j]·w_t[j, n] of full products in an ``acc_bits``-bit wrapping accumulator."""
    if not 2 <= acc_bits <= MAX_ACC_BITS:
        raise SpecError(f"'acc_bits' is {acc_bits}; it must lie in [2, {MAX_ACC_BITS}]")
    return wrap(v @ w_t, acc_bits)


INT_MM_MIN_WORK = 1 << 20  # below this many MACs NumPy is fast enough (torch stays unimported)
_INT8_CACHE: dict[int, tuple[Any, Any]] = {}


def int_matmul(a: IArray, b: IArray) -> IArray:
    """Exact integer ``a @ b``. When both operands fit int8 and the product is large, it runs on
    torch's int8 x int8 -> int32 GEMM (``torch._int_mm``, CPU) if torch is installed — an integer
    kernel, exact because |Σ| < 2^31 for K < 2^17; otherwise NumPy's integer matmul. The result
    is int32 on the torch path and ``a``'s dtype otherwise."""
    k = a.shape[-1]
    if (a.ndim == 2 and a.shape[0] * k * b.shape[1] >= INT_MM_MIN_WORK and k < (1 << 17)
            and a.size and b.size and a.min() >= -128 and a.max() <= 127
            and b.min() >= -128 and b.max() <= 127):
        try:
            import torch

            bt = _INT8_CACHE.get(id(b))
            if bt is None or bt[0] is not b:
                bt = (b, torch.from_numpy(np.ascontiguousarray(b, dtype=np.int8)))
                _INT8_CACHE.clear()  # one weight matrix at a time: keyed by identity
                _INT8_CACHE[id(b)] = bt
            out = torch._int_mm(torch.from_numpy(a.astype(np.int8)), bt[1])
            return out.numpy()
        except (ImportError, RuntimeError, AttributeError):
            pass
    return a @ b


class ActivationLUT:
    """A ROM activation: ``table[x - lo]`` over the full W-bit input domain (built once at design
    time from the float function, ties to even; evaluation is integer indexing)."""

    MAX_W = 12

    def __init__(self, fmt: QFormat, kind: Literal["sigmoid", "tanh"]) -> None:
        if fmt.total_bits > self.MAX_W:
            raise SpecError(f"a LUT activation over all of {fmt} needs 2**{fmt.total_bits} "
                            f"entries; use total_bits <= {self.MAX_W} or activation='hard'")
        fmt.require_one(f"the {kind} LUT")
        xs = np.arange(fmt.min_int, fmt.max_int + 1) / fmt.one
        f = 1 / (1 + np.exp(-xs)) if kind == "sigmoid" else np.tanh(xs)
        self.fmt, self.kind = fmt, kind
        self.table: IArray = np.rint(f * fmt.one).astype(np.int64)

    def __call__(self, x: ArrayLike) -> IArray:
        return self.table[np.asarray(x, dtype=np.int64) - self.fmt.min_int]
