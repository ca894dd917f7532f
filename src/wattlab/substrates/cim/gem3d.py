"""GEM3D-CIM functional model: in-memory transpose, element-wise multiply/add, eDRAM retention.

Reconstruction of the 3D SRAM–eDRAM hybrid (research notes section 8) [I]:

* **Transpose** (:class:`TransposeArray`): the matrix sits as bit planes in the SRAM tier;
  each cycle reads one row (all bits, through the transposable cell's row port) and writes it
  as one column of the eDRAM tier through the vertical vias; one precharge/setup cycle first:
  ``N + 1`` cycles. Bit exact.
* **Element-wise** (:class:`ElementwiseUnit`): operand A stored in MA-SRAM, B applied on the
  word line; the bit-line charge is proportional to ``a·b`` (or ``a + b``) and an 8-bit
  single-slope ADC with an LFSR counter reads it, with Gaussian noise of ``σ`` LSB chosen so the
  ADC's ENOB is the paper's 4.78: ``σ² = (2^(2·(adc_bits − ENOB)) − 1) / 12`` (≈ 2.67 LSB).
* **eDRAM** (:class:`Edram`): gain cells with log-normal retention times; a bit written as 1 is
  lost when it waits longer than its cell's retention without refresh.

Cost constants are derived from the paper's own key results (``gem3d.*``): the cycle time from
264 ns over ``N + 1 = 33`` cycles, energy per bit-operation from 320.55 nJ over ``32·32·4``
bit-operations, element-wise energy per operation from 436.61 GOPS/W. Reproducing those figures
from them is an identity (or a consistency check where an independent figure is recomputed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.params import Registry, default_registry

G = "gem3d."


@dataclass(frozen=True)
class Gem3dConstants:
    """The constants, in SI, with where they come from (see module docstring)."""

    bits: int
    n_ref: int
    t_cycle: float  # s, derived: transpose time / (n_ref + 1)
    e_bitop_transpose: float  # J per bit-operation, derived: energy / (n_ref² · bits)
    e_op_elementwise: float  # J per op, derived: 1 / (GOPS/W · 1e9)
    adc_bits: int
    enob: float
    retention: float
    retention_sigma: float
    e_refresh_bit: float

    @classmethod
    def from_registry(cls, params: Registry | None = None) -> Gem3dConstants:
        p = params or default_registry()
        bits, n, t, e, gw, ab, enob, ret, sig, er = p.values(
            G + "bits", G + "transpose_n", G + "transpose_time", G + "transpose_energy",
            G + "elementwise_gops_per_w", G + "adc_bits", G + "adc_enob", G + "edram_retention",
            G + "edram_retention_sigma", G + "edram_refresh_energy")
        if enob > ab:
            raise SpecError(f"gem3d.adc_enob ({enob:g}) cannot exceed gem3d.adc_bits ({ab:g})")
        return cls(int(bits), int(n), t / (n + 1), e / (n * n * bits), 1.0 / (gw * 1e9), int(ab), enob,
                   ret, sig, er)

    @property
    def noise_lsb(self) -> float:
        """ADC noise (σ, in LSB) that makes an ``adc_bits`` ADC's ENOB equal ``enob``."""
        return math.sqrt((2.0 ** (2 * (self.adc_bits - self.enob)) - 1.0) / 12.0)


def _to_planes(x: np.ndarray, bits: int) -> np.ndarray:
    return np.stack([(x >> i) & 1 for i in range(bits)]).astype(np.uint8)


def _from_planes(p: np.ndarray) -> np.ndarray:
    out = np.zeros(p.shape[1:], dtype=np.int64)
    for i in range(p.shape[0]):
        out |= p[i].astype(np.int64) << i
    return out


class TransposeArray:
    """An ``n × n`` array of ``bits``-bit unsigned words transposed in memory in ``n + 1`` cycles."""

    def __init__(self, n: int, constants: Gem3dConstants | None = None) -> None:
        if not (isinstance(n, int) and n >= 1):
            raise SpecError(f"transpose array size n must be a positive integer, got {n!r}")
        self.n = n
        self.k = constants or Gem3dConstants.from_registry()

    def transpose(self, x: np.ndarray) -> tuple[np.ndarray, Cost, int]:
        """(xᵀ, cost, cycles): row-by-row read from the SRAM tier into eDRAM columns."""
        x = np.asarray(x)
        b = self.k.bits
        if x.shape != (self.n, self.n) or x.dtype.kind not in "iu":
            raise SpecError(f"transpose needs an {self.n}x{self.n} integer matrix, got {x.shape} {x.dtype}")
        if x.size and (x.min() < 0 or x.max() >= (1 << b)):
            raise SpecError(f"transpose operands must be unsigned {b}-bit (0..{(1 << b) - 1})")
        sram = _to_planes(x.astype(np.int64), b)  # (bits, n, n) in the SRAM tier
        edram = np.zeros_like(sram)
        cycles = 1  # precharge / setup
        for r in range(self.n):  # one row read + one column write per cycle
            edram[:, :, r] = sram[:, r, :]
            cycles += 1
        return _from_planes(edram), self.cost(), cycles

    def cost(self) -> Cost:
        ops = float(self.n * self.n * self.k.bits)
        return Cost(energy_j={"transpose_array": ops * self.k.e_bitop_transpose},
                    latency_s=(self.n + 1) * self.k.t_cycle, counts={"ops": ops, "cycles": self.n + 1.0})


class ElementwiseUnit:
    """Mixed-signal element-wise multiply and add with an LFSR single-slope ADC."""

    def __init__(self, constants: Gem3dConstants | None = None, *, noise_lsb: float | None = None) -> None:
        self.k = constants or Gem3dConstants.from_registry()
        self.noise_lsb = self.k.noise_lsb if noise_lsb is None else noise_lsb
        if self.noise_lsb < 0:
            raise SpecError(f"noise_lsb must be >= 0, got {self.noise_lsb}")

    def adc(self, analog: np.ndarray, full_scale: float, rng: np.random.Generator) -> np.ndarray:
        """Quantise ``analog`` in [0, full_scale] to ``adc_bits`` codes with Gaussian noise and
        return the reconstructed values."""
        levels = (1 << self.k.adc_bits) - 1
        lsb = full_scale / levels
        code = np.rint(analog / lsb + rng.normal(0.0, self.noise_lsb, np.shape(analog)))
        return np.clip(code, 0, levels) * lsb

    def _check(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = np.asarray(a), np.asarray(b)
        hi = (1 << self.k.bits) - 1
        if a.shape != b.shape:
            raise SpecError(f"element-wise operands must have the same shape, got {a.shape} and {b.shape}")
        for x, nm in ((a, "a"), (b, "b")):
            if x.dtype.kind not in "iu" or (x.size and (x.min() < 0 or x.max() > hi)):
                raise SpecError(f"element-wise operand {nm} must be unsigned {self.k.bits}-bit integers")
        return a.astype(np.int64), b.astype(np.int64)

    def hadamard(self, a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, Cost]:
        a, b = self._check(a, b)
        fs = float(((1 << self.k.bits) - 1) ** 2)
        return self.adc((a * b).astype(float), fs, rng), self.cost(a.size)

    def add(self, a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, Cost]:
        a, b = self._check(a, b)
        fs = float(2 * ((1 << self.k.bits) - 1))
        return self.adc((a + b).astype(float), fs, rng), self.cost(a.size)

    def cost(self, n_elements: int) -> Cost:
        """Ops counted per operand bit (as the transpose's 32·32·4), an assumption."""
        ops = float(n_elements * self.k.bits)
        return Cost(energy_j={"elementwise_array": ops * self.k.e_op_elementwise},
                    counts={"ops": ops, "elements": float(n_elements)})


def measure_enob(unit: ElementwiseUnit, rng: np.random.Generator, n: int = 100_000) -> float:
    """Monte Carlo ENOB of the unit's ADC: uniform inputs over full scale, ENOB = adc_bits −
    log2(rms error / (LSB/√12))."""
    fs = 1.0
    x = rng.uniform(0.0, fs, n)
    err = unit.adc(x, fs, rng) - x
    lsb = fs / ((1 << unit.k.adc_bits) - 1)
    rms = float(np.sqrt(np.mean(err ** 2)))
    return unit.k.adc_bits - math.log2(rms / (lsb / math.sqrt(12)))


class Edram:
    """Gain-cell eDRAM: log-normal retention per cell, refresh energy per bit."""

    def __init__(self, constants: Gem3dConstants | None = None) -> None:
        self.k = constants or Gem3dConstants.from_registry()

    def hold(self, bits: np.ndarray, wait_s: float, rng: np.random.Generator,
             refresh_s: float | None = None) -> np.ndarray:
        """The bits read after ``wait_s``; with ``refresh_s`` the longest unrefreshed gap is
        ``min(wait_s, refresh_s)``. A stored 1 whose cell retains less than the gap reads 0."""
        bits = np.asarray(bits)
        gap = wait_s if refresh_s is None else min(wait_s, refresh_s)
        if gap < 0:
            raise SpecError("wait and refresh intervals must be >= 0")
        ret = self.k.retention * np.exp(rng.normal(0.0, self.k.retention_sigma, bits.shape))
        return np.where((bits == 1) & (ret < gap), 0, bits)

    def refresh_power(self, n_bits: int, refresh_s: float) -> float:
        if refresh_s <= 0:
            raise SpecError("refresh interval must be > 0")
        return n_bits * self.k.e_refresh_bit / refresh_s


def transposed_via_digital(n: int, bits: int, e_bit_read: float, e_bit_write: float) -> float:
    """Energy of the baseline: read the array out, transpose in a digital unit, write back."""
    return float(n * n * bits * (e_bit_read + e_bit_write))


__all__ = ["Edram", "ElementwiseUnit", "Gem3dConstants", "TransposeArray", "measure_enob",
           "transposed_via_digital"]


