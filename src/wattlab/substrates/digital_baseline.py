"""A digital int8/fp16 GEMM baseline to compare the photonic substrates against (cost only).

An output-stationary ``rows x cols`` MAC array at the registry's digital clock: one MAC per
processing element per cycle, operands streamed from SRAM once per output tile, fp32 results
written once. MAC energies are the catalogue's (Horowitz 45 nm, scaled to 7 nm by the
Stillmaker-Baas polynomials, logic only); SRAM energy is the 7 nm TPUv4i 4 MB local buffer
(``mem.sram_7nm_4mb``). Stated assumption: the comparison is iso-array (the same rows x cols as
the photonic array it is set against).
"""

from __future__ import annotations

from typing import Literal

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.hardware.ops import op_energy, op_key
from wattlab.params import Registry
from wattlab.workloads.gemm import Gemm

Precision = Literal["int8", "fp16"]
_BITS = {"int8": 8, "fp16": 16}
RESULT_BITS = 32
NODE_NM = 7.0
SRAM = "mem.sram_7nm_4mb.e_bit"


def digital_gemm_cost(gemm: Gemm, precision: Precision, params: Registry, *, rows: int = 256,
                      cols: int = 100) -> Cost:
    """Energy, latency and counts of ``gemm`` on the digital baseline array."""
    if precision not in _BITS:
        raise SpecError(f"precision must be one of {sorted(_BITS)}, got {precision!r}")
    if rows < 1 or cols < 1:
        raise SpecError(f"the digital array needs rows, cols >= 1, got {rows}x{cols}")
    bits = _BITS[precision]
    e_mac = op_energy(params, "mac", precision, NODE_NM)
    e_sram, clock = params.values(SRAM, "pgemm.digital_clock")
    tm, tn = -(-gemm.m // rows), -(-gemm.n // cols)
    sram_bits = gemm.batch * (gemm.k * (gemm.m * tn + gemm.n * tm) * bits
                              + gemm.m * gemm.n * RESULT_BITS)
    return Cost(energy_j={"mac": gemm.macs * e_mac, "sram": sram_bits * e_sram},
                latency_s=gemm.batch * tm * tn * gemm.k / clock,
                counts={"macs": float(gemm.macs), "ops": float(gemm.ops)},
                sources=params.subset(op_key("mac", precision), SRAM, "pgemm.digital_clock"))


__all__ = ["Precision", "digital_gemm_cost"]
