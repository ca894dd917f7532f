"""Exact spike codings of quantised activations (after SpikeMLLM, arXiv 2604.18610).

An L-level quantised activation ``q`` (an integer) is sent as a spike train ``s[T, ...]`` with
per-timestep weights ``w_t`` such that ``q == sum_t w_t * s_t`` exactly; a downstream linear
layer then computes ``W @ q == sum_t w_t * (W @ s_t)`` with accumulates only.

=================  ========  ==========================  ==================  ===============
coding             spikes    levels q                    T (minimum)         w_t
=================  ========  ==========================  ==================  ===============
rate               {0, 1}    0 .. L-1                    L - 1               1
bitwise            {0, 1}    0 .. L-1  (L a power of 2)  log2 L              2^(T-1-t)
ternary_rate       {-1,0,1}  -(L/2-1) .. L/2-1 (L even)  L/2 - 1             1
ternary_bitwise    {-1,0,1}  -(L/2-1) .. L/2-1 (pow 2)   log2 L - 1          2^(T-1-t)
twos_complement    {0, 1}    -L/2 .. L/2-1   (pow 2)     log2 L              -2^(T-1), 2^(T-1-t)
=================  ========  ==========================  ==================  ===============

``ternary_bitwise`` is the temporally compressed LIF (TC-LIF) of SpikeMLLM as reconstructed in
the research notes (section 4, label [I]): the membrane starts at ``|q|``, the threshold halves
each step, the reset subtracts; the sign rides on the spike. ``encode_lif`` runs exactly that
neuron and a test holds it equal to the closed-form ``encode``. A larger ``timesteps`` than the
minimum is allowed (extra high-order steps never fire for rate/bitwise; two's complement
sign-extends); a smaller one is an error.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, cast

import torch

from wattlab.errors import SpecError
from wattlab.substrates.spiking.names import KINDS as _NAMES

Kind = Literal["rate", "bitwise", "ternary_rate", "ternary_bitwise", "twos_complement"]
KINDS: tuple[Kind, ...] = cast(tuple[Kind, ...], _NAMES)  # names.py: importable without torch
_SIGNED = {"ternary_rate", "ternary_bitwise", "twos_complement"}
_POW2 = {"bitwise", "ternary_bitwise", "twos_complement"}


def _is_pow2(n: int) -> bool:
    return n >= 2 and n & (n - 1) == 0


def min_timesteps(kind: str, levels: int) -> int:
    """The fewest timesteps that represent every level of ``kind`` exactly."""
    if kind == "rate":
        return levels - 1
    if kind == "ternary_rate":
        return levels // 2 - 1
    if kind in ("bitwise", "twos_complement"):
        return int(math.log2(levels))
    return int(math.log2(levels)) - 1  # ternary_bitwise


@dataclass(frozen=True)
class Coding:
    """One spike coding of ``levels`` activation levels over ``timesteps`` (None: the minimum)."""

    kind: Kind
    levels: int
    timesteps: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise SpecError(f"coding kind must be one of {list(KINDS)}, got {self.kind!r}")
        L = self.levels
        if not isinstance(L, int) or isinstance(L, bool) or L < 2:
            raise SpecError(f"levels (L) must be an integer >= 2, got {L!r}")
        if self.kind in _POW2 and not _is_pow2(L):
            lo = 2 ** int(math.log2(L))
            raise SpecError(f"levels L={L} is not a power of two, which {self.kind} coding needs "
                            f"(T = log2 L); use L={lo} or L={2 * lo}, or rate coding")
        if self.kind in ("ternary_rate", "ternary_bitwise") and L < 4:
            raise SpecError(f"levels L={L} is too few for {self.kind} coding: signed symmetric "
                            f"levels -(L/2-1)..L/2-1 need L >= 4")
        if self.kind == "ternary_rate" and L % 2:
            raise SpecError(f"levels L={L} must be even for ternary_rate coding")
        need = min_timesteps(self.kind, L)
        if self.timesteps is None:
            object.__setattr__(self, "timesteps", need)
        elif not isinstance(self.timesteps, int) or self.timesteps < need:
            raise SpecError(f"timesteps T={self.timesteps!r} is too small for L={L} levels with "
                            f"{self.kind} coding: it needs T >= {need}")

    @classmethod
    def for_timesteps(cls, kind: Kind, timesteps: int) -> Coding:
        """The coding with the most levels that ``timesteps`` steps represent exactly."""
        if not isinstance(timesteps, int) or timesteps < 1:
            raise SpecError(f"timesteps T must be an integer >= 1, got {timesteps!r}")
        levels = {"rate": timesteps + 1, "bitwise": 2 ** timesteps,
                  "ternary_rate": 2 * (timesteps + 1), "ternary_bitwise": 2 ** (timesteps + 1),
                  "twos_complement": 2 ** timesteps}
        if kind not in levels:
            raise SpecError(f"coding kind must be one of {list(KINDS)}, got {kind!r}")
        return cls(kind, levels[kind], timesteps)

    # -- levels ------------------------------------------------------------------------------
    @property
    def T(self) -> int:
        assert self.timesteps is not None
        return self.timesteps

    @property
    def signed(self) -> bool:
        return self.kind in _SIGNED

    @property
    def qmin(self) -> int:
        if self.kind == "twos_complement":
            return -(self.levels // 2)
        return -(self.levels // 2 - 1) if self.signed else 0

    @property
    def qmax(self) -> int:
        return self.levels // 2 - 1 if self.signed else self.levels - 1

    @property
    def bitwise(self) -> bool:
        return self.kind in _POW2

    def weights(self) -> list[int]:
        """Per-timestep weights ``w_t`` (first timestep first)."""
        T = self.T
        if not self.bitwise:
            return [1] * T
        w = [2 ** (T - 1 - t) for t in range(T)]
        if self.kind == "twos_complement":
            w[0] = -w[0]
        return w

    def _check(self, q: torch.Tensor) -> None:
        if q.numel() and (int(q.min()) < self.qmin or int(q.max()) > self.qmax):
            raise SpecError(f"levels out of range for {self.kind} L={self.levels}: got "
                            f"[{int(q.min())}, {int(q.max())}], allowed [{self.qmin}, "
                            f"{self.qmax}]; quantise first (ActivationQuantizer counts the "
                            f"saturated values)")

    # -- encode / decode ---------------------------------------------------------------------
    def encode(self, q: Any) -> torch.Tensor:
        """Spike tensor ``[T, *q.shape]`` (int8) for integer levels ``q``."""
        q = torch.as_tensor(q).to(torch.int64)
        self._check(q)
        T = self.T
        if self.kind == "rate":
            t = torch.arange(T).view(-1, *([1] * q.dim()))
            return (q.unsqueeze(0) > t).to(torch.int8)
        if self.kind == "ternary_rate":
            t = torch.arange(T).view(-1, *([1] * q.dim()))
            return ((q.abs().unsqueeze(0) > t).to(torch.int8) * q.sign().to(torch.int8))
        shifts = torch.arange(T - 1, -1, -1).view(-1, *([1] * q.dim()))
        if self.kind == "ternary_bitwise":
            bits = (q.abs().unsqueeze(0) >> shifts) & 1
            return (bits * q.sign().unsqueeze(0)).to(torch.int8)
        src = q % (1 << T) if self.kind == "twos_complement" else q
        return ((src.unsqueeze(0) >> shifts) & 1).to(torch.int8)

    def decode(self, spikes: Any) -> torch.Tensor:
        """Integer levels from a spike tensor ``[T, ...]`` (exact inverse of ``encode``)."""
        s = torch.as_tensor(spikes).to(torch.int64)
        if s.dim() < 1 or s.shape[0] != self.T:
            raise SpecError(f"spike tensor must have shape [T={self.T}, ...], got "
                            f"{tuple(s.shape)}")
        w = torch.tensor(self.weights(), dtype=torch.int64).view(-1, *([1] * (s.dim() - 1)))
        return (s * w).sum(0)

    def steps(self, q: Any) -> Iterator[torch.Tensor]:
        """The spikes of each timestep in turn, as float32 (equal to ``encode(q)[t]``),
        without holding all T at once; ``q`` must already be in range."""
        q = torch.as_tensor(q)
        qi = q.to(torch.int32)
        signed = self.kind in ("ternary_rate", "ternary_bitwise")
        sign = q.sign().to(torch.float32) if signed else None
        mag = qi.abs() if signed else (qi % (1 << self.T) if self.kind == "twos_complement"
                                       else qi)
        for t in range(self.T):
            s = (mag > t) if not self.bitwise else ((mag >> (self.T - 1 - t)) & 1)
            s = s.to(torch.float32)
            yield s * sign if sign is not None else s

    def spike_count(self, q: Any) -> int:
        """``sum_t nnz(s_t)`` for ``encode(q)``, without building the spike tensor."""
        q = torch.as_tensor(q)
        if self.kind in ("rate", "ternary_rate"):
            return int(q.abs().sum(dtype=torch.float64))
        q = q.to(torch.int32)
        v = q % (1 << self.T) if self.kind == "twos_complement" else q.abs()
        hist = torch.bincount(v.flatten(), minlength=2).to(torch.int64)  # popcount per level
        return int((hist * _popcount(torch.arange(hist.numel()))).sum())

    def spike_counts_per_step(self, q: Any) -> list[int]:
        """``nnz(s_t)`` for each timestep, from one histogram of the levels (no spikes built)."""
        q = torch.as_tensor(q).to(torch.int32)
        v = q % (1 << self.T) if self.kind == "twos_complement" else q.abs()
        hist = torch.bincount(v.flatten(), minlength=2).to(torch.int64)
        levels = torch.arange(hist.numel())
        if self.bitwise:
            return [int((hist * ((levels >> (self.T - 1 - t)) & 1)).sum()) for t in range(self.T)]
        return [int(hist[t + 1:].sum()) for t in range(self.T)]

    def encode_lif(self, q: Any) -> torch.Tensor:
        """Encode by running the coding's integrate-and-fire neuron step by step.

        Rate: membrane V=|q|, threshold 1, subtractive reset (fires while charge remains).
        Bitwise (TC-LIF): V=|q| (two's complement: q mod 2^T), threshold 2^(T-1-t) at step t,
        subtractive reset. Signed codings emit ``sign(q)`` spikes.
        """
        q = torch.as_tensor(q).to(torch.int64)
        self._check(q)
        v = q % (1 << self.T) if self.kind == "twos_complement" else q.abs()
        sign = torch.ones_like(q) if self.kind in ("rate", "bitwise", "twos_complement") \
            else q.sign()
        out = []
        for t in range(self.T):
            theta = (1 << (self.T - 1 - t)) if self.bitwise else 1
            s = (v >= theta).to(torch.int64)
            v = v - s * theta  # reset by subtraction, no delay
            out.append(s * sign)
        return torch.stack(out).to(torch.int8)


def _popcount(x: torch.Tensor) -> torch.Tensor:
    """Number of set bits of non-negative int64 values (< 2^32)."""
    x = x - ((x >> 1) & 0x55555555)
    x = (x & 0x33333333) + ((x >> 2) & 0x33333333)
    x = (x + (x >> 4)) & 0x0F0F0F0F
    return ((x * 0x01010101) & 0xFFFFFFFF) >> 24


__all__ = ["KINDS", "Coding", "Kind", "min_timesteps"]
