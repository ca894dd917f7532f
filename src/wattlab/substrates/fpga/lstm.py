"""LSTM accelerator numerics: the bit-true integer model of the generated VHDL cell, and the
train-time fake-quantised PyTorch model, plus the accelerator's analytic cycle and op counts.

Cell (PyTorch gate order i, f, g, o; ``v = [x_t ; h_{t-1}]``)::

    acc_q = Σ_j v_j · W_q[k, j]            full products, acc_bits-bit wrapping accumulator
    a_q   = add(cut(acc_q), b_q[k])        b = b_ih + b_hh, one W-bit ROM word per gate and unit
    i, f, o = σ(a_i), σ(a_f), σ(a_o);  g = τ(a_g)      σ/τ: hard or ROM (LUT) activations
    c_t = add(mul(f, c_{t-1}), mul(i, g));  h_t = mul(o, τ(c_t))

The bit-true model is vectorised over the batch (and over time for the input projection, which
is exact because wrapping addition is associative); its loop runs over timesteps only.

The train-time model quantises with straight-through estimators, accumulates in float and
quantises each gate sum once (saturating, round to nearest), uses the exact 1/6 hard-sigmoid
slope and adds saturate — so it diverges from the hardware in rounding, slope constant,
accumulator wrap and wrapping adds; ``tests/fpga/test_lstm.py`` shows where.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from wattlab.errors import SpecError
from wattlab.substrates.fpga.fxp import (
    ActivationLUT,
    IArray,
    QFormat,
    SatCounter,
    acc_matmul,
    int_matmul,
    wrap,
)

if TYPE_CHECKING:
    import torch

Activation = Literal["hard", "lut"]
Multiplier = Literal["dsp", "lut"]
ACTIVATIONS: tuple[Activation, ...] = ("hard", "lut")
MULTIPLIERS: tuple[Multiplier, ...] = ("dsp", "lut")


@dataclass(frozen=True)
class LSTMSpec:
    """One generated LSTM cell: sizes, number format and architecture knobs.

    ``acc_bits`` defaults to 2W + ceil(log2(I + H)) (no accumulator can wrap); set it to 2W for
    the narrow accumulator of elastic-ai.creator-style cells. ``shared_act``: one sigmoid unit
    serves the i, f, o gates in turn (2 more cycles per hidden unit, fewer resources).
    ``multiplier`` (DSP slices or LUT fabric) changes resources and energy, not the numbers.
    """

    input_size: int
    hidden_size: int
    fmt: QFormat = field(default_factory=lambda: QFormat(8, 4))
    acc_bits: int | None = None
    activation: Activation = "hard"
    multiplier: Multiplier = "dsp"
    shared_act: bool = False

    def __post_init__(self) -> None:
        for name in ("input_size", "hidden_size"):
            v = getattr(self, name)
            if not isinstance(v, int | np.integer) or v < 1:
                raise SpecError(f"'{name}' is {v!r}; it must be an integer >= 1")
        if self.activation not in ACTIVATIONS:
            raise SpecError(f"'activation' is {self.activation!r}; choose one of {ACTIVATIONS}")
        if self.multiplier not in MULTIPLIERS:
            raise SpecError(f"'multiplier' is {self.multiplier!r}; choose one of {MULTIPLIERS}")
        self.fmt.require_one("the LSTM's activations")
        if self.acc_bits is not None and not 2 * self.fmt.total_bits <= self.acc_bits <= 48:
            raise SpecError(f"'acc_bits' is {self.acc_bits}; it must lie in "
                            f"[2W = {2 * self.fmt.total_bits}, 48]")

    @property
    def acc(self) -> int:
        if self.acc_bits is not None:
            return self.acc_bits
        return 2 * self.fmt.total_bits + math.ceil(math.log2(self.input_size + self.hidden_size))

    @property
    def n_in(self) -> int:
        return self.input_size + self.hidden_size

    # -- analytic models -----------------------------------------------------------------------
    def act_cycles(self) -> int:
        return 3 if self.shared_act else 1

    def cycles_per_step(self) -> int:
        """Clock cycles of one timestep in the generated FSM, from the edge that samples
        ``start`` to the edge that raises ``done`` (both counted): 1 start cycle, then per hidden
        unit I+H MAC cycles, the activation cycle(s) and two element-wise cycles, then 1 commit."""
        return self.hidden_size * (self.n_in + self.act_cycles() + 2) + 2

    def cycles(self, seq_len: int) -> int:
        return seq_len * self.cycles_per_step()

    def ops_per_step(self) -> int:
        """Operations per timestep (wattlab's convention: a MAC is 2 ops; 4H bias adds, 5H
        activations, 3H element-wise products and H element-wise adds are 1 op each)."""
        h = self.hidden_size
        return 8 * h * self.n_in + 4 * h + 5 * h + 4 * h

    def macs_per_step(self) -> int:
        return 4 * self.hidden_size * self.n_in


@dataclass
class LSTMWeights:
    """Integer weights of one cell: ``w_ih`` (4H, I), ``w_hh`` (4H, H), ``b`` (4H) in the spec's
    format; gate rows in PyTorch order (i, f, g, o)."""

    spec: LSTMSpec
    w_ih: IArray
    w_hh: IArray
    b: IArray
    counter: SatCounter = field(default_factory=SatCounter)

    def __post_init__(self) -> None:
        s, fmt = self.spec, self.spec.fmt
        h4 = 4 * s.hidden_size
        for name, shape in (("w_ih", (h4, s.input_size)), ("w_hh", (h4, s.hidden_size)),
                            ("b", (h4,))):
            a = np.asarray(getattr(self, name))
            if a.shape != shape:
                raise SpecError(f"'{name}' has shape {a.shape}; the cell needs {shape}")
            setattr(self, name, fmt.check_ints(a, name))

    @classmethod
    def quantize(cls, spec: LSTMSpec, w_ih: ArrayLike, w_hh: ArrayLike, b: ArrayLike
                 ) -> LSTMWeights:
        """From float weights; values that do not fit the format saturate and are counted in
        ``counter`` (site ``weights``)."""
        c = SatCounter()
        f = spec.fmt
        return cls(spec, f.quantize(w_ih, c, "weights"), f.quantize(w_hh, c, "weights"),
                   f.quantize(b, c, "weights"), c)

    @classmethod
    def from_torch(cls, spec: LSTMSpec, lstm: Any) -> LSTMWeights:
        """From a one-layer ``torch.nn.LSTM`` or :class:`FakeQuantLSTM` (b = b_ih + b_hh)."""
        def arr(t: Any) -> np.ndarray:
            return t.detach().cpu().double().numpy()

        b = arr(lstm.bias_ih_l0) + arr(lstm.bias_hh_l0)
        return cls.quantize(spec, arr(lstm.weight_ih_l0), arr(lstm.weight_hh_l0), b)

    @classmethod
    def random(cls, spec: LSTMSpec, rng: np.random.Generator, scale: float = 1.0) -> LSTMWeights:
        """Uniform random integer weights over ``scale`` × the format's range (test vectors)."""
        f, h4 = spec.fmt, 4 * spec.hidden_size
        lo, hi = int(f.min_int * scale), int(f.max_int * scale)
        return cls(spec, rng.integers(lo, hi + 1, (h4, spec.input_size)),
                   rng.integers(lo, hi + 1, (h4, spec.hidden_size)), rng.integers(lo, hi + 1, h4))


@dataclass
class BitTrueResult:
    """Hidden and cell states of every step; integer arrays (int32 or int64)."""

    h_seq: IArray        # (B, T, H)
    c_seq: IArray        # (B, T, H)
    counter: SatCounter

    @property
    def h(self) -> IArray:
        return self.h_seq[:, -1]

    @property
    def c(self) -> IArray:
        return self.c_seq[:, -1]


class BitTrueLSTM:
    """The generated cell's integer semantics, vectorised over the batch."""

    #: formats up to this width evaluate activations as gathers from tables built by the kernels
    TABLE_MAX_W = 12

    def __init__(self, weights: LSTMWeights, *, fast: bool = True) -> None:
        """``fast``: evaluate σ/τ by table look-up (tables computed once by the integer kernels
        over every W-bit input, so the results are identical), reorder the gates to (i, f, o, g)
        so one look-up covers the three sigmoids, and skip the accumulator wrap when it provably
        cannot occur. ``fast=False`` runs the kernels directly (the reference path)."""
        self.wts, self.spec = weights, weights.spec
        s, fmt = self.spec, self.spec.fmt
        if s.activation == "lut":
            sig, tanh = ActivationLUT(fmt, "sigmoid"), ActivationLUT(fmt, "tanh")
            self.sigma, self.tau = sig.__call__, tanh.__call__
        else:
            self.sigma, self.tau = fmt.hard_sigmoid, fmt.hard_tanh
        self._w_ih_t = np.ascontiguousarray(weights.w_ih.T)
        self._w_hh_t = np.ascontiguousarray(weights.w_hh.T)
        self.fast = fast and fmt.total_bits <= self.TABLE_MAX_W
        hs = s.hidden_size
        self._perm = np.r_[0:2 * hs, 3 * hs:4 * hs, 2 * hs:3 * hs]  # i, f, o, g
        bound = s.n_in * (1 << (2 * fmt.total_bits - 2))  # max |Σ v·w| of W-bit operands
        self._needs_wrap = bound > (1 << (s.acc - 1)) - 1
        if self.fast:
            self._w_ih_t = np.ascontiguousarray(self._w_ih_t[:, self._perm])
            self._w_hh_t = np.ascontiguousarray(self._w_hh_t[:, self._perm])
            self._b = weights.b[self._perm]
            domain = np.arange(fmt.min_int, fmt.max_int + 1, dtype=np.int64)
            # int32 holds every intermediate when the accumulator is <= 31 bits and never wraps
            self._dtype: type[np.signedinteger[Any]] = (
                np.int32 if s.acc <= 31 and not self._needs_wrap else np.int64)
            self._sig_table = self.sigma(domain).astype(self._dtype)
            self._tau_table = self.tau(domain).astype(self._dtype)
            self._b = self._b.astype(self._dtype)
            n = 1 << fmt.total_bits
            self._act_table = np.concatenate([self._sig_table, self._tau_table])
            offset = np.full(4 * hs, -fmt.min_int, dtype=np.int64)
            offset[3 * hs:] += n
            self._act_offset: IArray = offset.astype(self._dtype)

    def check_inputs(self, x: ArrayLike, h0: ArrayLike | None, c0: ArrayLike | None
                     ) -> tuple[IArray, IArray, IArray]:
        s, fmt = self.spec, self.spec.fmt
        xa = np.asarray(x)
        if xa.ndim != 3 or xa.shape[2] != s.input_size or xa.shape[1] < 1:
            raise SpecError(f"'x' has shape {xa.shape}; it must be (batch, seq_len >= 1, "
                            f"input_size={s.input_size})")
        xi = fmt.check_ints(xa, "x")
        zeros = np.zeros((xa.shape[0], s.hidden_size), dtype=np.int64)
        states = []
        for name, v in (("h0", h0), ("c0", c0)):
            if v is None:
                states.append(zeros)
                continue
            va = np.asarray(v)
            if va.shape != zeros.shape:
                raise SpecError(f"'{name}' has shape {va.shape}; it must be {zeros.shape}")
            states.append(fmt.check_ints(va, name))
        return xi, states[0], states[1]

    def _step_fast(self, x_proj: IArray, h: IArray, c: IArray, cnt: SatCounter
                   ) -> tuple[IArray, IArray]:
        s, fmt = self.spec, self.spec.fmt
        hs = s.hidden_size
        acc: IArray = int_matmul(h, self._w_hh_t).astype(self._dtype, copy=False)
        acc += x_proj
        if self._needs_wrap:
            acc = wrap(acc, s.acc)
        pre = fmt.add(fmt.cut(acc, cnt, "gate.cut"), self._b, cnt, "gate.bias_add")
        pre += self._act_offset  # -> row of the combined (σ | τ) table: one gather, 4 gates
        act = np.take(self._act_table, pre)
        i, f, o, g = act[:, :hs], act[:, hs:2 * hs], act[:, 2 * hs:3 * hs], act[:, 3 * hs:]
        c_new = fmt.add(fmt.mul(f, c, cnt, "cell.mul"), fmt.mul(i, g, cnt, "cell.mul"),
                        cnt, "cell.add")
        h_new = fmt.mul(o, np.take(self._tau_table, c_new - fmt.min_int), cnt, "hidden.mul")
        return h_new, c_new

    def step(self, x_proj: IArray, h: IArray, c: IArray, cnt: SatCounter) -> tuple[IArray, IArray]:
        """One timestep; ``x_proj`` is x_t @ W_ih^T (unwrapped int64, gate order of the path)."""
        if self.fast:
            return self._step_fast(x_proj, h, c, cnt)
        s, fmt = self.spec, self.spec.fmt
        hs = s.hidden_size
        acc = wrap(acc_matmul(h, self._w_hh_t, s.acc) + x_proj, s.acc)
        pre = fmt.add(fmt.cut(acc, cnt, "gate.cut"), self.wts.b, cnt, "gate.bias_add")
        i = self.sigma(pre[:, :hs])
        f = self.sigma(pre[:, hs:2 * hs])
        g = self.tau(pre[:, 2 * hs:3 * hs])
        o = self.sigma(pre[:, 3 * hs:])
        c_new = fmt.add(fmt.mul(f, c, cnt, "cell.mul"), fmt.mul(i, g, cnt, "cell.mul"),
                        cnt, "cell.add")
        h_new = fmt.mul(o, self.tau(c_new), cnt, "hidden.mul")
        return h_new, c_new

    def run(self, x: ArrayLike, h0: ArrayLike | None = None, c0: ArrayLike | None = None
            ) -> BitTrueResult:
        """x: (B, T, I) integers of the format; returns every step's h and c."""
        xi, h, c = self.check_inputs(x, h0, c0)
        b, t, _ = xi.shape
        cnt = SatCounter()
        x_proj: IArray
        if self.fast:
            xi, h, c = (v.astype(self._dtype) for v in (xi, h, c))
            x_proj = int_matmul(xi.reshape(b * t, -1), self._w_ih_t).astype(self._dtype, copy=False)
        else:
            x_proj = xi.reshape(b * t, -1) @ self._w_ih_t  # all timesteps at once (exact)
        x_proj = x_proj.reshape(b, t, -1)
        hs = np.empty((t, b, self.spec.hidden_size), dtype=h.dtype)  # time-major: contiguous writes
        cs = np.empty_like(hs)
        for k in range(t):
            h, c = self.step(x_proj[:, k], h, c, cnt)
            hs[k], cs[k] = h, c
        # (B, T, H) views of the time-major buffers; int32 on the fast path for W <= 12
        return BitTrueResult(hs.transpose(1, 0, 2), cs.transpose(1, 0, 2), cnt)


# -- train-time model (PyTorch) ----------------------------------------------------------------
def _torch() -> Any:
    from wattlab.errors import require

    return require("torch", extra="torch", purpose="the train-time fake-quantised LSTM")


def fake_quant(x: torch.Tensor, fmt: QFormat) -> torch.Tensor:
    """Round to nearest Q(W, F), saturate; straight-through gradient."""
    torch = _torch()
    one = float(fmt.one)
    q = torch.clamp(torch.round(x * one), fmt.min_int, fmt.max_int) / one
    return x + (q - x).detach()


def hard_sigmoid_float(x: torch.Tensor) -> torch.Tensor:
    torch = _torch()
    return torch.clamp(x / 6 + 0.5, 0.0, 1.0)


def make_fake_quant_lstm(input_size: int, hidden_size: int, fmt: QFormat | None,
                         hard: bool = True) -> Any:
    """A one-layer LSTM (``weight_ih_l0`` ... like ``torch.nn.LSTM``) whose forward fake-quantises
    weights, gate sums, cell and hidden states to ``fmt`` (None: float) with hard activations
    (``hard=False``: sigmoid/tanh)."""
    torch = _torch()
    nn = torch.nn

    class FakeQuantLSTM(nn.Module):  # type: ignore[name-defined]
        def __init__(self) -> None:
            super().__init__()
            ref = nn.LSTM(input_size, hidden_size, batch_first=True)
            for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
                setattr(self, n, nn.Parameter(getattr(ref, n).detach().clone()))
            self.fmt, self.hard, self.hidden_size = fmt, hard, hidden_size

        def q(self, t: Any) -> Any:
            return t if self.fmt is None else fake_quant(t, self.fmt)

        def forward(self, x: Any) -> tuple[Any, Any]:
            b, t, _ = x.shape
            hs = self.hidden_size
            w_ih, w_hh = self.q(self.weight_ih_l0), self.q(self.weight_hh_l0)
            bias = self.q(self.bias_ih_l0 + self.bias_hh_l0)
            h = x.new_zeros(b, hs)
            c = x.new_zeros(b, hs)
            sig = hard_sigmoid_float if self.hard else torch.sigmoid
            tanh = (lambda z: torch.clamp(z, -1.0, 1.0)) if self.hard else torch.tanh
            xs = self.q(x)
            outs = []
            for k in range(t):
                pre = self.q(xs[:, k] @ w_ih.T + h @ w_hh.T) + bias
                pre = self.q(pre)
                i, f = sig(pre[:, :hs]), sig(pre[:, hs:2 * hs])
                g, o = tanh(pre[:, 2 * hs:3 * hs]), sig(pre[:, 3 * hs:])
                i, f, g, o = self.q(i), self.q(f), self.q(g), self.q(o)
                c = self.q(self.q(f * c) + self.q(i * g))
                h = self.q(o * self.q(tanh(c)))
                outs.append(h)
            return torch.stack(outs, 1), c

    return FakeQuantLSTM()


__all__ = ["ACTIVATIONS", "MULTIPLIERS", "BitTrueLSTM", "BitTrueResult", "LSTMSpec",
           "LSTMWeights", "fake_quant", "make_fake_quant_lstm"]
