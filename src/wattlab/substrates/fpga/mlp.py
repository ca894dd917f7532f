"""Integer-only MLP (Q(W, F) weights and activations, ReLU between layers), bit-true with its
generated VHDL (:func:`wattlab.substrates.fpga.vhdl.emit_mlp`), and its train-time model.

Per layer: ``acc = Σ_j x_j·W[n, j]`` (full products, ``acc_bits``-bit wrapping accumulator),
``y = add(cut(acc), b[n])``, ReLU except after the last layer. This is a symmetric power-of-two
Q-format scheme (the same arithmetic as the LSTM cell) — a wattlab design choice; the soft-sensor
paper's own integer-only quantisation is the affine (scale, zero-point) scheme [inferred].
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from wattlab.errors import SpecError
from wattlab.substrates.fpga.fxp import IArray, QFormat, SatCounter, acc_matmul


@dataclass
class IntegerMLP:
    """Integer weights ``weights[l]`` (N_out, N_in) and ``biases[l]`` (N_out,) in ``fmt``."""

    weights: list[IArray]
    biases: list[IArray]
    fmt: QFormat
    acc_bits: int = 0
    counter: SatCounter = field(default_factory=SatCounter)

    def __post_init__(self) -> None:
        if not self.weights or len(self.weights) != len(self.biases):
            raise SpecError("'weights' and 'biases' must be non-empty lists of equal length")
        for li, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            w, b = np.asarray(w), np.asarray(b)
            if w.ndim != 2 or b.shape != (w.shape[0],):
                raise SpecError(f"layer {li}: weights {w.shape} and bias {b.shape} do not match "
                                "(need (N_out, N_in) and (N_out,))")
            if li and w.shape[1] != self.weights[li - 1].shape[0]:
                raise SpecError(f"layer {li} takes {w.shape[1]} inputs but layer {li - 1} gives "
                                f"{self.weights[li - 1].shape[0]}")
            self.weights[li] = self.fmt.check_ints(w, f"weights[{li}]")
            self.biases[li] = self.fmt.check_ints(b, f"biases[{li}]")
        if not self.acc_bits:
            self.acc_bits = 2 * self.fmt.total_bits + math.ceil(math.log2(max(self.sizes)))
        if not 2 * self.fmt.total_bits <= self.acc_bits <= 48:
            raise SpecError(f"'acc_bits' is {self.acc_bits}; it must lie in "
                            f"[{2 * self.fmt.total_bits}, 48]")

    @property
    def sizes(self) -> list[int]:
        return [int(self.weights[0].shape[1])] + [int(w.shape[0]) for w in self.weights]

    @property
    def macs(self) -> int:
        return sum(int(w.size) for w in self.weights)

    @classmethod
    def quantize(cls, weights: Sequence[ArrayLike], biases: Sequence[ArrayLike], fmt: QFormat,
                 acc_bits: int = 0) -> IntegerMLP:
        c = SatCounter()
        return cls([fmt.quantize(w, c, "weights") for w in weights],
                   [fmt.quantize(b, c, "weights") for b in biases], fmt, acc_bits, c)

    @classmethod
    def from_torch(cls, layers: Sequence[Any], fmt: QFormat, acc_bits: int = 0) -> IntegerMLP:
        """From a sequence of ``torch.nn.Linear`` layers."""
        return cls.quantize([lin.weight.detach().double().numpy() for lin in layers],
                            [lin.bias.detach().double().numpy() for lin in layers], fmt, acc_bits)

    def run(self, x: ArrayLike, counter: SatCounter | None = None) -> IArray:
        """Integer inference on (B, N_in) integers of the format."""
        a = self.fmt.check_ints(x, "x")
        if a.ndim != 2 or a.shape[1] != self.sizes[0]:
            raise SpecError(f"'x' has shape {a.shape}; it must be (batch, {self.sizes[0]})")
        f, last = self.fmt, len(self.weights) - 1
        for li, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            a = f.add(f.cut(acc_matmul(a, w.T, self.acc_bits), counter, "layer.cut"), b,
                      counter, "layer.bias_add")
            if li < last:
                a = f.relu(a)
        return a


def make_fake_quant_mlp(sizes: Sequence[int], fmt: QFormat | None) -> Any:
    """A torch MLP (ReLU between layers) fake-quantising weights and activations to ``fmt``
    with straight-through gradients (None: float). ``.linears`` lists its Linear layers."""
    from wattlab.errors import require
    from wattlab.substrates.fpga.lstm import fake_quant

    torch = require("torch", extra="torch", purpose="training the soft-sensor MLP")
    nn = torch.nn

    class FakeQuantMLP(nn.Module):  # type: ignore[name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))

        def q(self, t: Any) -> Any:
            return t if fmt is None else fake_quant(t, fmt)

        def forward(self, x: Any) -> Any:
            a = self.q(x)
            for li, lin in enumerate(self.linears):
                a = self.q(a @ self.q(lin.weight).T + self.q(lin.bias))
                if li < len(self.linears) - 1:
                    a = torch.relu(a)
            return a

    return FakeQuantMLP()
