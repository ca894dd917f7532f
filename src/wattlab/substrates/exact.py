"""The reference substrate: the exact product, counted but not priced.

``ExactSubstrate`` is the yardstick the other substrates are compared against: its ``matmul``
returns ``a @ b`` computed by NumPy (or by torch when built with ``torch_native=True``) and a
``Cost`` holding only action counts (``macs``, ``ops``), no energy, latency or area. It is the
substrate the PyTorch bridge (``wattlab.nn.patch``) is tested with; energy models live in the
digital, photonic, ... substrates.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from wattlab.cost import Cost
from wattlab.workloads.gemm import Gemm


class ExactSubstrate:
    """Exact matrix products with MAC/op counts only (the reference; no energy model)."""

    name = "exact"

    def __init__(self, *, torch_native: bool = False) -> None:
        self.torch_native = torch_native

    def cost(self, gemm: Gemm) -> Cost:
        return Cost(counts={"macs": float(gemm.macs), "ops": float(gemm.ops)})

    def matmul(self, a: Any, b: Any, *, rng: np.random.Generator) -> tuple[Any, Cost]:
        gemm = Gemm.of(tuple(a.shape), tuple(b.shape))
        return a @ b, self.cost(gemm)
