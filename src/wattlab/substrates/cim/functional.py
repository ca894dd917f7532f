"""Functional CIM GEMMs: exact bit-serial digital CIM and ADC-quantised noisy analog CIM.

Both quantise ``a`` (per row) and ``b`` (per column) symmetrically to the macro's input and
weight widths (two's complement), compute the integer product the way the macro does, and rescale; as
substrates they plug into :func:`wattlab.nn.patch` (``matmul(a, b, *, rng) -> (out, Cost)``).

* **Digital CIM** (:func:`digital_cim_int_gemm`): inputs enter bit-serially; each cycle a column
  computes the popcount of (input bit AND weight bit) over its rows for every stored weight bit,
  and shift-adds it (the MSB planes carry negative weight). The popcount of the AND of 0/1
  vectors is their dot product, computed here as a BLAS product of 0/1 planes, exact in float32
  (K is split so partial sums stay below 2^24). The result is bit exact: ``a_int @ b_int``.
* **Analog CIM** (:func:`analog_cim_int_gemm`): per input bit and per ``al``-row segment, each
  column sums ``input bit × weight level`` as an analog quantity; the sum is read by an ADC of
  ``adc_bits`` over the full-scale ``al·(2^(w_bits−1))`` with Gaussian input-referred noise of
  ``noise_lsb`` ADC LSBs, then shift-added digitally. Positive and negative weights sit in
  separate columns (differential), as most analog macros do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.params import Registry, default_registry
from wattlab.substrates.cim.macro import ArrayModel, Macro
from wattlab.workloads.gemm import Gemm

_CHUNK = 1 << 23


def _check_int(x: np.ndarray, bits: int, what: str) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype.kind not in "iu":
        raise SpecError(f"{what} must be an integer array, got dtype {x.dtype}")
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if x.size and (x.min() < lo or x.max() > hi):
        raise SpecError(f"{what} holds values outside the signed {bits}-bit range [{lo}, {hi}]")
    return x.astype(np.int64)


def _planes(x: np.ndarray, bits: int) -> np.ndarray:
    """Two's-complement bit planes, shape (bits, *x.shape), as float32 0/1."""
    u = np.where(x < 0, x + (1 << bits), x).astype(np.int64)
    return np.stack([((u >> i) & 1).astype(np.float32) for i in range(bits)])


def _plane_weights(bits: int) -> np.ndarray:
    w = np.array([float(1 << i) for i in range(bits)])
    w[-1] = -w[-1]
    return w


def digital_cim_int_gemm(a: np.ndarray, b: np.ndarray, in_bits: int = 8, w_bits: int = 8, *,
                         weight_planes: bool = False) -> np.ndarray:
    """Exact ``a @ b`` for signed ``in_bits``/``w_bits`` integers, bit-serial as a digital CIM.

    Each input bit plane (one cycle) meets the stored weights. ``weight_planes=True`` keeps every
    weight bit in its own column (popcounts per weight bit, then the columns' shift-add), as the
    macro's adder trees do; the default folds that shift-add into the weights before the product,
    which gives the same integers by linearity (``Σ_w 2^w·popcount(x ∧ b_w) = x·b``) in
    ``1/w_bits`` of the work.
    """
    a = _check_int(a, in_bits, "a")
    b = _check_int(b, w_bits, "b")
    if a.shape[-1] != b.shape[0]:
        raise SpecError(f"cannot map a {a.shape} x {b.shape} product: inner dimensions differ")
    lead = a.shape[:-1]
    a2 = a.reshape(-1, a.shape[-1])
    m, k = a2.shape
    n = b.shape[1]
    wi = _plane_weights(in_bits)
    u = np.where(a2 < 0, a2 + (1 << in_bits), a2)
    if weight_planes:
        bp = _planes(b, w_bits)  # (w_bits, K, N): one column block per weight bit
        bmat = np.ascontiguousarray(np.moveaxis(bp, 0, 1).reshape(k, w_bits * n))
        chunk = _CHUNK
    else:
        bmat = b.astype(np.float32)
        chunk = 1 << max(1, 24 - w_bits)  # |partial sums| < 2^24: exact in float32
    acc = np.zeros((m, bmat.shape[1]))
    for s in range(0, k, chunk):
        bc = bmat[s:s + chunk]
        us = u[:, s:s + chunk]
        for i in range(in_bits):  # bit-serial input cycles
            acc += wi[i] * (((us >> i) & 1).astype(np.float32) @ bc)  # exact integers in float32
    if weight_planes:
        acc = np.einsum("mwn,w->mn", acc.reshape(m, w_bits, n), _plane_weights(w_bits))
    return np.rint(acc).astype(np.int64).reshape(*lead, n)


def analog_cim_int_gemm(a: np.ndarray, b: np.ndarray, *, al: int, in_bits: int = 8, w_bits: int = 8,
                        adc_bits: int = 8, noise_lsb: float = 0.0, adc_gain: float = 1.0,
                        rng: np.random.Generator | None = None) -> tuple[np.ndarray, int]:
    """``a @ b`` through an analog CIM: column sums over ``al`` rows per input bit, read by an
    ``adc_bits`` ADC with ``noise_lsb`` Gaussian noise; returns (product, ADC saturations).

    The ADC's full scale is the worst-case column sum ``al·2^(w_bits−1)`` divided by
    ``adc_gain`` (>= 1 trades clipping of rare large sums for resolution of typical ones)."""
    a = _check_int(a, in_bits, "a")
    b = _check_int(b, w_bits, "b")
    if a.shape[-1] != b.shape[0]:
        raise SpecError(f"cannot map a {a.shape} x {b.shape} product: inner dimensions differ")
    if al < 1 or adc_bits < 1 or noise_lsb < 0 or not adc_gain >= 1:
        raise SpecError(f"analog CIM needs al >= 1, adc_bits >= 1, noise_lsb >= 0, adc_gain >= 1 "
                        f"(got {al}, {adc_bits}, {noise_lsb}, {adc_gain})")
    rng = rng if rng is not None else np.random.default_rng(0)
    lead = a.shape[:-1]
    a2 = a.reshape(-1, a.shape[-1])
    m, k = a2.shape
    n = b.shape[1]
    segs = math.ceil(k / al)
    pad = segs * al - k
    ap = np.pad(a2, ((0, 0), (0, pad)))
    bpos = np.pad(np.maximum(b, 0), ((0, pad), (0, 0))).astype(np.float32).reshape(segs, al, n)
    bneg = np.pad(np.maximum(-b, 0), ((0, pad), (0, 0))).astype(np.float32).reshape(segs, al, n)
    full_scale = al * float(1 << (w_bits - 1)) / adc_gain
    levels = (1 << adc_bits) - 1
    lsb = full_scale / levels
    wi = _plane_weights(in_bits)
    u = np.where(ap < 0, ap + (1 << in_bits), ap)
    out = np.zeros((m, n))
    sat = 0
    for i in range(in_bits):
        ai = ((u >> i) & 1).astype(np.float32).reshape(m, segs, al)
        for wmat, sign in ((bpos, 1.0), (bneg, -1.0)):
            col = np.einsum("msk,skn->msn", ai, wmat)  # analog column sums
            if noise_lsb:
                col = col + rng.normal(0.0, noise_lsb * lsb, col.shape)
            code = np.rint(col / lsb)
            sat += int(np.count_nonzero((code < 0) | (code > levels)))
            code = np.clip(code, 0, levels)
            out += sign * wi[i] * code.sum(axis=1) * lsb
    return out.reshape(*lead, n), sat


def _quantise(x: np.ndarray, bits: int, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric quantisation with one scale per slice along ``axis`` (per token for the
    activations, per output channel for the weights; the scales are applied outside the CIM)."""
    qmax = (1 << (bits - 1)) - 1
    amax = np.max(np.abs(x), axis=axis, keepdims=True) if x.size else np.ones((1,) * x.ndim)
    scale = np.where(amax > 0, amax / qmax, 1.0)
    return np.clip(np.rint(x / scale), -qmax - 1, qmax).astype(np.int64), scale


@dataclass
class _CimBase:
    macro: Macro
    params: Registry = field(default_factory=default_registry)
    rows: int = 8
    cols: int = 8
    interconnect: str = "systolic"
    reduction: str = "tree"
    torch_native: bool = False

    def __post_init__(self) -> None:
        for f in ("rows", "cols"):
            v = getattr(self, f)
            if not (isinstance(v, int | np.integer) and v >= 1):
                raise SpecError(f"CIM array {f} must be a positive integer, got {v!r}")
        if self.interconnect not in ("broadcast", "systolic"):
            raise SpecError(f"interconnect must be 'broadcast' or 'systolic', got {self.interconnect!r}")
        if self.reduction not in ("tree", "chain"):
            raise SpecError(f"reduction must be 'tree' or 'chain', got {self.reduction!r}")

    def config(self) -> dict[str, Any]:
        return {"al": self.macro.al, "pc": self.macro.pc, "scr": self.macro.scr, "rows": self.rows,
                "cols": self.cols, "interconnect": self.interconnect, "reduction": self.reduction,
                "freq": self.macro.freq}

    def cost(self, gemm: Gemm) -> Cost:
        return ArrayModel(self.macro, self.params).cost(self.config(), [gemm])


@dataclass
class DigitalCimSubstrate(_CimBase):
    """Digital CIM: exact on the quantised integers; cost from the macro-array model."""

    name: str = "cim-digital"

    def matmul(self, a: Any, b: Any, *, rng: np.random.Generator) -> tuple[Any, Cost]:
        a = np.asarray(a, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
        qa, sa = _quantise(a, self.macro.in_bits, -1)
        qb, sb = _quantise(b, self.macro.w_bits, 0)
        out = digital_cim_int_gemm(qa, qb, self.macro.in_bits, self.macro.w_bits) * sa * sb
        return out.astype(np.float32), self.cost(Gemm.of(tuple(a.shape), tuple(b.shape)))


@dataclass
class AnalogCimSubstrate(_CimBase):
    """Analog CIM: ADC-quantised noisy column sums; cost from the macro-array model."""

    adc_bits: int = 8
    noise_lsb: float = 0.5
    adc_gain: float = 1.0
    name: str = "cim-analog"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (isinstance(self.adc_bits, int | np.integer) and 1 <= self.adc_bits <= 24):
            raise SpecError(f"adc_bits must be an integer in 1..24, got {self.adc_bits!r}")
        if not (math.isfinite(self.noise_lsb) and self.noise_lsb >= 0):
            raise SpecError(f"noise_lsb must be a finite number >= 0, got {self.noise_lsb!r}")
        if not (math.isfinite(self.adc_gain) and self.adc_gain >= 1):
            raise SpecError(f"adc_gain must be a finite number >= 1, got {self.adc_gain!r}")

    def cost(self, gemm: Gemm) -> Cost:
        """The array model's cost plus the column ADCs: one conversion per input bit, per
        ``al``-row segment, per output column, for the positive and the negative column
        (Murmann-frontier ADC energy at the macro clock). The array model's MAC energy comes
        from a digital reference macro, so this is a mixed estimate, not an analog-macro model."""
        from wattlab.components import ADC

        base = super().cost(gemm)
        n = (gemm.batch * gemm.m * math.ceil(gemm.k / self.macro.al) * gemm.n
             * self.macro.in_bits * 2)
        return base + ADC(self.params, self.adc_bits, self.macro.freq).convert(n)

    def matmul(self, a: Any, b: Any, *, rng: np.random.Generator) -> tuple[Any, Cost]:
        a = np.asarray(a, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
        qa, sa = _quantise(a, self.macro.in_bits, -1)
        qb, sb = _quantise(b, self.macro.w_bits, 0)
        out, sat = analog_cim_int_gemm(qa, qb, al=self.macro.al, in_bits=self.macro.in_bits,
                                       w_bits=self.macro.w_bits, adc_bits=self.adc_bits,
                                       noise_lsb=self.noise_lsb, adc_gain=self.adc_gain, rng=rng)
        c = self.cost(Gemm.of(tuple(a.shape), tuple(b.shape)))
        c = Cost(c.energy_j, c.latency_s, c.area_mm2, {**c.counts, "adc_saturations": float(sat)},
                 c.boundary, c.sources)
        return (out * sa * sb).astype(np.float32), c


__all__ = ["AnalogCimSubstrate", "DigitalCimSubstrate", "analog_cim_int_gemm", "digital_cim_int_gemm"]
