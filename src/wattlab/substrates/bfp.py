"""LightMat-HP: block floating point, bit-sliced mantissas on a photonic core (arXiv 2604.12278).

Reconstruction from the abstract [I]: only the abstract is public, so slice width, device and
dataflow below are wattlab's reading of "BFP + slicing-based photonic multiplication + digital
accumulation", stated as assumptions.

1. BFP: along K, each block of ``block`` elements shares ``E = ceil(log2 max|x|)`` (frexp); the
   signed mantissa is ``m = clip(rint(x * 2^(b-1-E)), +-(2^(b-1)-1))`` for ``b = mant_bits``.
2. Slices: ``|m| = sum_u d_u 2^(s u)`` with ``S = ceil((b-1)/s)`` digits of ``s`` bits; slice
   ``u`` carries the sign, so slice values lie in ``[-(2^s-1), 2^s-1]``.
3. Each slice pair (u, v) is a photonic dot product over windows of ``k_a`` terms (inside one
   block), read by an ADC of full scale ``k_a (2^s-1)^2`` and rounded to an integer. The read is
   exact when ``k_a (2^s-1)^2 <= 2^(ENOB-1)`` (LSB <= 1) and the analog noise is small.
4. Digital shift-and-add: ``sum_uv 2^(s(u+v)) P_uv``, then ``2^(Ea+Eb-2(b-1))`` per block.

With a noise-free ideal core under the threshold (``shortcut_exact``, default) ``matmul`` skips
the read-by-read simulation, which is provably exact there (a test holds the two paths equal).
The core is either ``IdealCore(enob)`` (ADC-limited: an ENOB-bit symmetric quantiser, optional
Gaussian noise in LSB) or the homodyne model (``HomodyneProcessor``). Cost: the homodyne cost
model per slice pair (``k_int = k_a``, ADC bits = ceil(ENOB), DAC bits = s+1 unless given) plus
digital rescaling and BFP encoding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

import numpy as np

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.hardware.ops import op_energy, op_key
from wattlab.params import Registry, default_registry
from wattlab.substrates.photonic import (
    HomodyneConfig,
    HomodyneProcessor,
    adc_quantise,
    check_bits,
    check_operands,
    gaussian,
    window_products,
)
from wattlab.workloads.gemm import Gemm

GROUP_ELEMENTS = 1 << 22


class AnalogCore(Protocol):
    """Signed window products of normalised operands (xa[W, M, k], xb[W, k, N] in [-1, 1])."""

    def signed_reads(self, xa: np.ndarray, xb: np.ndarray, *, rng: np.random.Generator,
                     full_scale: float | None = None) -> tuple[np.ndarray, int]: ...


@dataclass(frozen=True)
class IdealCore:
    """An analog dot-product core limited by its ADC: ENOB-bit quantiser, full scale = k (x frac),
    plus optional Gaussian noise of ``noise_lsb`` LSB."""

    enob: float
    noise_lsb: float = 0.0

    def __post_init__(self) -> None:
        check_bits("IdealCore.enob", self.enob, 1, 24)
        if not (math.isfinite(self.noise_lsb) and self.noise_lsb >= 0):
            raise SpecError(f"IdealCore.noise_lsb must be >= 0, got {self.noise_lsb!r}")

    def signed_reads(self, xa: np.ndarray, xb: np.ndarray, *, rng: np.random.Generator,
                     full_scale: float | None = None) -> tuple[np.ndarray, int]:
        q = window_products(xa, xb)
        fs = (full_scale or 1.0) * xa.shape[2]
        if self.noise_lsb:
            q += gaussian(rng, q.shape, q.dtype) * (self.noise_lsb * fs / 2 ** (self.enob - 1))
        return adc_quantise(q, fs, self.enob)


def exact_condition(k_a: int, slice_bits: int, enob: float) -> bool:
    """True when ``k_a (2^s-1)^2 <= 2^(ENOB-1)``: every window read is an exact integer."""
    return threshold_ratio(k_a, slice_bits, enob) <= 1.0


def threshold_ratio(k_a: int, slice_bits: int, enob: float) -> float:
    """``k_a (2^s-1)^2 / 2^(ENOB-1)``: the ADC LSB in integer units (<= 1 means exact)."""
    return k_a * (2**slice_bits - 1) ** 2 / 2.0 ** (enob - 1)


@dataclass(frozen=True)
class BFPTensor:
    """Signed integer mantissas (the operand's shape) and one exponent per block along ``axis``."""

    mant: np.ndarray
    exp: np.ndarray
    mant_bits: int
    block: int
    axis: int

    def dequantize(self) -> np.ndarray:
        m = np.moveaxis(self.mant, self.axis, -1)
        blocks = m.reshape(*m.shape[:-1], -1, self.block).astype(np.float64)
        scale = np.ldexp(1.0, np.moveaxis(self.exp, self.axis, -1) - (self.mant_bits - 1))
        out = (blocks * scale[..., None]).reshape(m.shape)
        return np.moveaxis(out, -1, self.axis)


def bfp_quantize(x: np.ndarray, mant_bits: int, block: int, axis: int) -> BFPTensor:
    """Block floating point along ``axis`` (blocks of ``block`` elements; must divide)."""
    check_bits("mant_bits", mant_bits, 2, 24)
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[axis]
    if not isinstance(block, int) or block < 1 or n % block:
        raise SpecError(f"BFP block size {block!r} must be a positive integer dividing the "
                        f"blocked dimension ({n}); pick a divisor of {n}")
    xm = np.moveaxis(x, axis, -1)
    blocks = xm.reshape(*xm.shape[:-1], n // block, block)
    _, e = np.frexp(np.max(np.abs(blocks), axis=-1))
    lim = 2 ** (mant_bits - 1) - 1
    mant = np.clip(np.rint(np.ldexp(blocks, (mant_bits - 1) - e[..., None])), -lim, lim)
    mant = np.moveaxis(mant.reshape(xm.shape).astype(np.int64), -1, axis)
    return BFPTensor(mant, np.moveaxis(e.astype(np.int64), -1, axis), mant_bits, block, axis)


def mantissa_slices(mant: np.ndarray, mant_bits: int, slice_bits: int) -> np.ndarray:
    """Signed s-bit digits of ``mant``: shape (S, *mant.shape), least significant first."""
    n = -(-(mant_bits - 1) // slice_bits)
    mag, sign = np.abs(mant), np.sign(mant)
    shifts = (slice_bits * np.arange(n)).reshape(-1, *([1] * mant.ndim))
    return ((mag[None] >> shifts) & (2**slice_bits - 1)) * sign[None]


@dataclass(frozen=True)
class BFPConfig:
    """Precision knobs: mantissa width, block size, slice width, analog accumulation length."""

    mant_bits: int = 8
    block: int = 32
    slice_bits: int = 2
    k_a: int = 8
    enob: float = 8.0
    core: Literal["ideal", "homodyne"] = "ideal"
    noise_lsb: float = 0.0
    dac_bits: int | None = None
    shortcut_exact: bool = True

    def __post_init__(self) -> None:
        check_bits("BFPConfig.mant_bits", self.mant_bits, 2, 24)
        check_bits("BFPConfig.slice_bits", self.slice_bits, 1, self.mant_bits - 1)
        check_bits("BFPConfig.enob", self.enob, 1, 24)
        for name in ("mant_bits", "slice_bits", "block", "k_a"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise SpecError(f"BFPConfig.{name} must be a positive integer, got {v!r}")
        if self.block % self.k_a:
            raise SpecError(f"BFPConfig.k_a={self.k_a} must divide block={self.block} (an analog "
                            "window may not straddle two exponent blocks)")
        if self.core not in ("ideal", "homodyne"):
            raise SpecError(f"BFPConfig.core must be 'ideal' or 'homodyne', got {self.core!r}")
        if self.dac_bits is not None:
            check_bits("BFPConfig.dac_bits", self.dac_bits, self.slice_bits + 1, 16)

    @property
    def n_slices(self) -> int:
        return -(-(self.mant_bits - 1) // self.slice_bits)

    @property
    def slice_pairs(self) -> int:
        return self.n_slices**2

    @property
    def exact(self) -> bool:
        return exact_condition(self.k_a, self.slice_bits, self.enob)


class SlicedBFP:
    """The LightMat-HP substrate (see the module docstring)."""

    name = "photonic-bfp"
    torch_native = False

    def __init__(self, config: BFPConfig | None = None, hw: HomodyneConfig | None = None,
                 params: Registry | None = None) -> None:
        self.config = config or BFPConfig()
        self.params = params if params is not None else default_registry()
        c = self.config
        base = hw or HomodyneConfig()
        self.hardware = HomodyneProcessor(
            replace(base, k_int=c.k_a, full_scale=1.0, encoding="bipolar",
                    adc_bits=float(math.ceil(c.enob)), dac_bits=c.dac_bits or c.slice_bits + 1),
            self.params)
        self.core: AnalogCore = (IdealCore(c.enob, c.noise_lsb) if c.core == "ideal"
                                 else self.hardware)

    @property
    def provably_exact(self) -> bool:
        """Noise-free ideal core under the threshold with ``shortcut_exact``: every slice read is
        provably the exact integer, so ``matmul`` returns the integer BFP product directly
        (one dense product of the dequantised operands) instead of simulating each read."""
        c = self.config
        return c.shortcut_exact and c.core == "ideal" and c.noise_lsb == 0 and c.exact

    def block_products(self, ma: np.ndarray, mb: np.ndarray, *,
                       rng: np.random.Generator) -> tuple[np.ndarray, int]:
        """Integer window sums ``sum_k ma*mb`` (W, M, N) rebuilt from slice-pair reads."""
        c = self.config
        s, n, ka = c.slice_bits, c.n_slices, c.k_a
        (m, k), nn = ma.shape, mb.shape[1]
        w = k // ka
        top = float(2**s - 1)
        sa = mantissa_slices(ma, c.mant_bits, s).reshape(n, m, w, ka).transpose(2, 0, 1, 3)
        sb = mantissa_slices(mb, c.mant_bits, s).reshape(n, w, ka, nn).transpose(1, 2, 0, 3)
        xa = (sa / top).reshape(w, n * m, ka)
        xb = (sb / top).reshape(w, ka, n * nn)
        weights = 2.0 ** (s * np.arange(n))
        out = np.empty((w, m, nn))
        sat = 0
        group = max(1, GROUP_ELEMENTS // (n * m * n * nn))
        for g in range(0, w, group):
            reads, sg = self.core.signed_reads(xa[g:g + group], xb[g:g + group], rng=rng,
                                               full_scale=1.0)
            ints = np.rint(reads * top**2).reshape(-1, n, m, n, nn)
            out[g:g + group] = np.einsum("wumvn,u,v->wmn", ints, weights, weights)
            sat += sg
        return out, sat

    def matmul(self, a: Any, b: Any, *, rng: np.random.Generator) -> tuple[np.ndarray, Cost]:
        """``a[..., K] @ b[K, N]`` through BFP slicing on the analog core, and what it cost."""
        a, b, gemm = check_operands(a, b)
        c = self.config
        if gemm.k % c.block:
            raise SpecError(f"BFP block size {c.block} does not divide K={gemm.k}; pick a "
                            f"block size that divides K")
        qa = bfp_quantize(a.reshape(gemm.m, gemm.k), c.mant_bits, c.block, axis=1)
        qb = bfp_quantize(b, c.mant_bits, c.block, axis=0)
        if self.provably_exact:
            out, sat = qa.dequantize() @ qb.dequantize(), 0
        else:
            prods, sat = self.block_products(qa.mant, qb.mant, rng=rng)
            per_window = c.block // c.k_a
            ea = np.repeat(qa.exp, per_window, axis=1).T - (c.mant_bits - 1)  # (W, M)
            eb = np.repeat(qb.exp, per_window, axis=0) - (c.mant_bits - 1)  # (W, N)
            out = np.einsum("wm,wmn,wn->mn", np.ldexp(1.0, ea), prods, np.ldexp(1.0, eb))
        dt = np.float32 if a.dtype == np.float32 and b.dtype == np.float32 else np.float64
        return (out.astype(dt).reshape(*a.shape[:-1], gemm.n),
                self.cost(gemm, saturations=sat))

    def cost(self, gemm: Gemm, *, saturations: int = 0) -> Cost:
        """Slice pairs x the homodyne cost, plus BFP encoding and per-window rescaling."""
        c = self.config
        e_add = op_energy(self.params, "add", "int32")
        windows = gemm.batch * gemm.m * gemm.n * -(-gemm.k // c.k_a)
        digital = Cost(energy_j={"bfp_encode": gemm.batch * gemm.k * (gemm.m + gemm.n) * e_add,
                                 "bfp_rescale": windows * e_add},
                       counts={"adc_saturations": float(saturations)},
                       sources=self.params.subset(op_key("add", "int32")))
        photonic = self.hardware.cost(gemm) * c.slice_pairs
        counts = dict(photonic.counts, macs=float(gemm.macs), ops=float(gemm.ops),
                      slice_pairs=float(c.slice_pairs))
        total = photonic + digital
        return Cost(total.energy_j, total.latency_s, total.area_mm2,
                    dict(total.counts, **counts), total.boundary, total.sources)


@dataclass(frozen=True)
class PlanRow:
    slice_bits: int
    k_a: int
    exact: bool
    threshold_ratio: float
    slice_pairs: int
    energy_per_mac_j: float
    latency_s: float


def plan(mant_bits: int, enob: float, gemm: Gemm, *, block: int = 32,
         hw: HomodyneConfig | None = None, params: Registry | None = None) -> list[PlanRow]:
    """Every (slice width, accumulation length) for ``mant_bits`` mantissas on an ENOB core,
    exact ones first, each group by energy per MAC: ``plan(...)[0]`` is the cheapest exact one."""
    rows = []
    for s in range(1, mant_bits):
        for ka in (d for d in range(1, block + 1) if block % d == 0):
            cfg = BFPConfig(mant_bits=mant_bits, block=block, slice_bits=s, k_a=ka, enob=enob)
            cost = SlicedBFP(cfg, hw, params).cost(gemm)
            rows.append(PlanRow(s, ka, cfg.exact, threshold_ratio(ka, s, enob), cfg.slice_pairs,
                                cost.energy_total_j / gemm.macs, cost.latency_s))
    return sorted(rows, key=lambda r: (not r.exact, r.energy_per_mac_j))


def mant_bits_for(target_rel_err: float, a: np.ndarray, b: np.ndarray, *, block: int = 32,
                  max_bits: int = 16) -> int:
    """Fewest mantissa bits whose exact BFP GEMM of the sample ``a @ b`` is within
    ``target_rel_err`` (Frobenius) of float64."""
    if not (math.isfinite(target_rel_err) and target_rel_err > 0):
        raise SpecError(f"target_rel_err must be > 0, got {target_rel_err!r}")
    a, b, _ = check_operands(a, b)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    norm = np.linalg.norm(ref) or 1.0
    for bits in range(2, max_bits + 1):
        out = (bfp_quantize(a, bits, block, axis=1).dequantize()
               @ bfp_quantize(b, bits, block, axis=0).dequantize())
        if np.linalg.norm(out - ref) / norm <= target_rel_err:
            return bits
    raise SpecError(f"no mantissa width up to {max_bits} bits reaches a relative error of "
                    f"{target_rel_err:g}; relax the target or raise max_bits")


def plan_for_precision(target_rel_err: float, a: np.ndarray, b: np.ndarray, enob: float, *,
                       block: int = 32, hw: HomodyneConfig | None = None,
                       params: Registry | None = None) -> tuple[int, PlanRow]:
    """Mantissa bits reaching ``target_rel_err`` on the sample ``a @ b``, and the cheapest exact
    (slice width, accumulation length) for them on an ENOB core (priced on ``a @ b``'s shape)."""
    bits = mant_bits_for(target_rel_err, a, b, block=block)
    gemm = Gemm.of(np.shape(a), np.shape(b))
    best = plan(bits, enob, gemm, block=block, hw=hw, params=params)[0]
    if not best.exact:
        raise SpecError(f"no slice width meets K_a(2^s-1)^2 <= 2^(ENOB-1) at ENOB {enob:g}; "
                        f"raise the core's ENOB")
    return bits, best


__all__ = ["AnalogCore", "BFPConfig", "BFPTensor", "IdealCore", "PlanRow", "SlicedBFP",
           "bfp_quantize", "exact_condition", "mant_bits_for", "mantissa_slices", "plan",
           "plan_for_precision", "threshold_ratio"]
