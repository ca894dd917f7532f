"""Where a computation runs: digital, photonic, block floating point, CIM, spiking, FPGA.

A substrate has a functional path and an analytic path that a test holds in agreement:

- ``matmul(a, b, *, rng) -> (out, Cost)``: really computes ``a @ b`` through the substrate's
  numerics (noise, quantisation, ADC...) for ``a[..., K]`` and ``b[K, N]`` NumPy arrays (or torch
  tensors when the substrate sets ``torch_native = True``) and returns what it cost.
- ``cost(gemm) -> Cost``: the same cost from the shape alone.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

from wattlab.cost import Cost
from wattlab.workloads.gemm import Gemm


@runtime_checkable
class Substrate(Protocol):
    """The substrate contract (see the module docstring)."""

    name: str
    torch_native: bool

    def matmul(self, a: Any, b: Any, *, rng: np.random.Generator) -> tuple[Any, Cost]: ...

    def cost(self, gemm: Gemm) -> Cost: ...


__all__ = ["Gemm", "Substrate"]
