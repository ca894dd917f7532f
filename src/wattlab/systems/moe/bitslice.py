"""Bit-sliced weights with an LSB-augmented (rounded) MSB slice, after ELMoE-3D's bit elasticity [I].

An int8 weight ``q`` is stored as ``q = 2**lo_bits * hi + lo`` with ``hi = round(q / 2**lo_bits)``
and the signed residual ``lo`` in ``[-2**(lo_bits-1), 2**(lo_bits-1)]``. Because ``hi`` is rounded,
not truncated, the MSB-only draft is a round-to-nearest low-bit model of the same weights
(the research notes' reading of "LSB-augmented", an inference, not the paper's stated design).
"""

from __future__ import annotations

import torch

from wattlab.errors import SpecError

#: The stored precision the slices split; a format choice, not a hardware figure.
TOTAL_BITS = 8


def quantize(w: torch.Tensor, bits: int = TOTAL_BITS) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric per-output-column quantisation over dim -2: integer tensor and scale."""
    qmax = 2 ** (bits - 1) - 1
    scale = w.abs().amax(dim=-2, keepdim=True).clamp_min(torch.finfo(w.dtype).tiny) / qmax
    return torch.round(w / scale).clamp(-qmax, qmax), scale


def split(q: torch.Tensor, lo_bits: int) -> tuple[torch.Tensor, torch.Tensor]:
    """MSB slice (rounded) and signed LSB residual with ``2**lo_bits * hi + lo == q`` exactly."""
    if not 0 <= lo_bits < TOTAL_BITS:
        raise SpecError(f"lo_bits={lo_bits}: must lie in 0..{TOTAL_BITS - 1}")
    step = 2 ** lo_bits
    hi = torch.round(q / step)
    return hi, q - step * hi


def msb_dequantized(w: torch.Tensor, msb_bits: int) -> torch.Tensor:
    """``w`` as the draft sees it: int8-quantised, then only its ``msb_bits``-bit MSB slice."""
    if not 1 <= msb_bits <= TOTAL_BITS:
        raise SpecError(f"weight_bits={msb_bits}: the draft precision must lie in 1..{TOTAL_BITS}")
    q, scale = quantize(w)
    lo_bits = TOTAL_BITS - msb_bits
    hi, _ = split(q, lo_bits)
    return hi * (2 ** lo_bits) * scale
