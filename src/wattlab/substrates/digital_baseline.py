"""A digital int8/fp16 GEMM baseline to compare the photonic substrates against (cost only).

An output-stationary ``rows x cols`` MAC array at the registry's digital clock: one MAC per
processing element per cycle, operands streamed from SRAM once per output tile, fp32 results
written once. MAC energies are Horowitz's 45 nm figures scaled to 7 nm by the Stillmaker-Baas
factor (logic only); SRAM energy is the 7 nm TPUv4i local buffer. Stated assumption: the
comparison is iso-array (the same rows x cols as the photonic array it is set against).
"""

from __future__ import annotations

from typing import Literal

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.params import Registry
from wattlab.workloads.gemm import Gemm

Precision = Literal["int8", "fp16"]
_MAC = {"int8": ("pgemm.int8_mac_energy", 8), "fp16": ("pgemm.fp16_mac_energy", 16)}
RESULT_BITS = 32


def digital_gemm_cost(gemm: Gemm, precision: Precision, params: Registry, *, rows: int = 256,
                      cols: int = 100) -> Cost:
    """Energy, latency and counts of ``gemm`` on the digital baseline array."""
    if precision not in _MAC:
        raise SpecError(f"precision must be one of {sorted(_MAC)}, got {precision!r}")
    if rows < 1 or cols < 1:
        raise SpecError(f"the digital array needs rows, cols >= 1, got {rows}x{cols}")
    key, bits = _MAC[precision]
    e_mac, scale, e_sram, clock = params.values(key, "pgemm.scale_45_to_7nm",
                                                "pgemm.sram_energy_per_bit", "pgemm.digital_clock")
    tm, tn = -(-gemm.m // rows), -(-gemm.n // cols)
    sram_bits = gemm.batch * (gemm.k * (gemm.m * tn + gemm.n * tm) * bits
                              + gemm.m * gemm.n * RESULT_BITS)
    return Cost(energy_j={"mac": gemm.macs * e_mac * scale, "sram": sram_bits * e_sram},
                latency_s=gemm.batch * tm * tn * gemm.k / clock,
                counts={"macs": float(gemm.macs), "ops": float(gemm.ops)},
                sources=params.subset(key, "pgemm.scale_45_to_7nm", "pgemm.sram_energy_per_bit",
                                      "pgemm.digital_clock"))


__all__ = ["Precision", "digital_gemm_cost"]
