"""LIF / IF neurons with explicit, pinned reset semantics (multi-step, ``x[T, ...]``).

Per timestep t, with ``H_t`` the charged membrane and ``V_t`` the membrane after reset::

    H_t = beta * V_{t-1} + x_t                     (beta = 1: IF; V_{-1} = 0)
    S_t = 1[H_t >= threshold]   (fire="ge")  or  1[H_t > threshold]  (fire="gt")
    reset="subtract":  V_t = H_t - S_t * threshold
    reset="zero":      V_t = (1 - S_t) * H_t
    reset="none":      V_t = H_t

``reset_delay=True`` applies the reset caused by ``S_{t-1}`` at step t instead (the spike of
step t is still read from the un-reset ``H_t``), i.e. ``V_t = H_t`` and
``H_{t+1} = beta * V_t + x_{t+1} - S_t * threshold`` (subtract) or
``beta * (1 - S_t) * V_t + x_{t+1}`` (zero).

How the libraries map (pinned by ``tests/spiking/test_neurons.py``):

- snntorch ``Leaky(beta, threshold, reset_mechanism=r, reset_delay=d)`` == ``LIF(beta,
  threshold, reset=r, reset_delay=d, fire="gt")`` (snntorch fires on ``mem > threshold``), with
  one pinned exception: ``subtract`` *without* delay, when the membrane left after a reset is
  still above threshold (``H > 2 * threshold``), snntorch subtracts that pending reset again
  before the next step fires; wattlab subtracts exactly once per spike.
- spikingjelly ``LIFNode(tau, decay_input=False, v_threshold, v_reset=0 | None)`` ==
  ``LIF(beta=1 - 1/tau, reset="zero" | "subtract", reset_delay=False, fire="ge")``.

The spike function's gradient is an arctan surrogate (``alpha`` sets its width).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import torch

from wattlab.errors import SpecError

Reset = Literal["subtract", "zero", "none"]
Fire = Literal["ge", "gt"]


class _Spike(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, v: torch.Tensor, alpha: float, strict: bool) -> torch.Tensor:
        ctx.save_for_backward(v)
        ctx.alpha = alpha
        return (v > 0).to(v.dtype) if strict else (v >= 0).to(v.dtype)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        (v,) = ctx.saved_tensors
        a = ctx.alpha
        return grad * (a / 2) / (1 + (math.pi / 2 * a * v) ** 2), None, None


def spike(v: torch.Tensor, *, alpha: float = 2.0, strict: bool = False) -> torch.Tensor:
    """Heaviside of ``v`` (``v >= 0``, or ``v > 0`` when ``strict``) with an arctan surrogate."""
    return _Spike.apply(v, alpha, strict)


class LIF(torch.nn.Module):
    """Multi-step LIF (``beta < 1``) or IF (``beta = 1``) neuron layer; see the module docstring.

    ``forward(x[T, ...]) -> spikes[T, ...]``; ``last_membrane`` holds ``V`` after the last step.
    """

    def __init__(self, beta: float = 1.0, threshold: float = 1.0, *, reset: Reset = "subtract",
                 reset_delay: bool = False, fire: Fire = "ge", alpha: float = 2.0) -> None:
        super().__init__()
        if not 0.0 <= beta <= 1.0:
            raise SpecError(f"beta (membrane decay) must be in [0, 1], got {beta!r}")
        if not threshold > 0:
            raise SpecError(f"threshold must be > 0, got {threshold!r}")
        if reset not in ("subtract", "zero", "none"):
            raise SpecError(f"reset must be 'subtract', 'zero' or 'none', got {reset!r}")
        if fire not in ("ge", "gt"):
            raise SpecError(f"fire must be 'ge' (H >= threshold) or 'gt' (H > threshold), "
                            f"got {fire!r}")
        self.beta, self.threshold, self.reset, self.reset_delay = beta, threshold, reset, reset_delay
        self.fire, self.alpha = fire, alpha
        self.last_membrane: torch.Tensor | None = None

    def extra_repr(self) -> str:
        return (f"beta={self.beta}, threshold={self.threshold}, reset={self.reset!r}, "
                f"reset_delay={self.reset_delay}, fire={self.fire!r}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 1 or x.shape[0] < 1:
            raise SpecError(f"LIF input must be [T, ...] with T >= 1, got {tuple(x.shape)}")
        beta, th, strict = self.beta, self.threshold, self.fire == "gt"
        v = torch.zeros_like(x[0])
        prev = torch.zeros_like(x[0])
        out = []
        grad = x.requires_grad
        for t in range(x.shape[0]):
            if self.reset_delay and self.reset == "subtract":
                h = beta * v + x[t] - prev * th
            elif self.reset_delay and self.reset == "zero":
                h = beta * (1 - prev) * v + x[t]
            else:
                h = beta * v + x[t]
            s = spike(h - th, alpha=self.alpha, strict=strict) if grad else \
                ((h > th) if strict else (h >= th)).to(x.dtype)
            if self.reset_delay or self.reset == "none":
                v = h
            elif self.reset == "subtract":
                v = h - s * th
            else:
                v = h * (1 - s)
            out.append(s)
            prev = s
        self.last_membrane = v
        return torch.stack(out)


def IF(threshold: float = 1.0, **kw: Any) -> LIF:
    """Integrate-and-fire: ``LIF`` with no leak (``beta = 1``)."""
    return LIF(1.0, threshold, **kw)


__all__ = ["IF", "LIF", "Fire", "Reset", "spike"]
