"""The FPGA as a :class:`~wattlab.substrates.Substrate`: fixed-point GEMMs on a MAC array.

Functional path: ``a`` and ``b`` are quantised to Q(W, F) (saturations counted), multiplied
exactly in a wide accumulator (:func:`~wattlab.substrates.fpga.fxp.int_matmul`), cut back to
Q(W, F) with the format's rounding/overflow and returned as floats. Analytic path: a design of
``macs`` parallel MAC units (DSP slices) streaming the output elements,

    cycles = ceil(M·N / macs) · K + 2,   latency = cycles / clock,
    energy = static·latency + cycles·(macs·e_dsp + LUTs·e_lut + FFs·e_ff + e_clock)
             + K·M·N·W·e_bram_bit (one weight word read per MAC),

on a catalogue FPGA (``dev.<name>.*``); the datapath's LUTs/FFs follow the ``fpga.*`` resource
model. A test holds the two paths' costs equal on the same shapes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.params import Registry
from wattlab.substrates.fpga.energy import DESIGN_KEYS, FPGADevice
from wattlab.substrates.fpga.fxp import QFormat, SatCounter, int_matmul
from wattlab.workloads.gemm import Gemm


@dataclass
class FPGASubstrate:
    """Fixed-point GEMMs on ``macs`` parallel MAC units of FPGA ``device``."""

    device: FPGADevice
    params: Registry
    fmt: QFormat = field(default_factory=lambda: QFormat(8, 4, "half_up"))
    macs: int = 4
    name: str = "fpga-fxp"
    torch_native: bool = False
    counter: SatCounter = field(default_factory=SatCounter)

    def __post_init__(self) -> None:
        if not isinstance(self.macs, int) or self.macs < 1:
            raise SpecError(f"'macs' is {self.macs!r}; it must be an integer >= 1")
        if self.macs > self.device.dsp_slices:
            raise SpecError(f"'macs' {self.macs} exceeds the {self.device.dsp_slices:.0f} DSP "
                            f"slices of {self.device.name}")

    @classmethod
    def on(cls, device: str, params: Registry, **kw: Any) -> FPGASubstrate:
        return cls(FPGADevice.from_registry(device, params), params, **kw)

    def _resources(self, k: int) -> tuple[float, float]:
        _, add_b, _, _, ctrl = self.params.values(*DESIGN_KEYS)
        w = self.fmt.total_bits
        acc = 2 * w + math.ceil(math.log2(max(k, 2)))
        luts = ctrl + self.macs * (acc * add_b + (w + 1) * add_b)
        ffs = self.macs * (acc + 2 * w) + 3 * 16
        return luts, ffs

    def cost(self, gemm: Gemm) -> Cost:
        d = self.device
        outputs = gemm.batch * gemm.m * gemm.n
        cycles = math.ceil(outputs / self.macs) * gemm.k + 2
        t = cycles / d.clock_hz
        luts, ffs = self._resources(gemm.k)
        per_cycle = (self.macs * d.e_dsp_cycle + luts * d.e_lut_cycle + ffs * d.e_ff_cycle
                     + d.e_clock_cycle)
        weights = gemm.macs * self.fmt.total_bits * d.e_bram_bit
        return Cost(energy_j={"fpga_static": d.static_power * t,
                              "fpga_dynamic": cycles * per_cycle,
                              "fpga_weight_reads": weights},
                    latency_s=t, counts={"macs": float(gemm.macs), "cycles": float(cycles)},
                    sources={**d.sources, **self.params.subset(*DESIGN_KEYS)})

    def matmul(self, a: Any, b: Any, *, rng: np.random.Generator) -> tuple[np.ndarray, Cost]:
        """``a[..., K] @ b[K, N]`` in Q(W, F) (``rng`` unused: the arithmetic is exact)."""
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        gemm = Gemm.of(a.shape, b.shape)
        f = self.fmt
        qa = f.quantize(a.reshape(-1, a.shape[-1]), self.counter, "matmul.a")
        qb = f.quantize(b, self.counter, "matmul.b")
        acc = int_matmul(qa, qb).astype(np.int64)
        out = f.to_float(f.cut(acc, self.counter, "matmul.cut"))
        return out.reshape(*a.shape[:-1], b.shape[1]), self.cost(gemm)
