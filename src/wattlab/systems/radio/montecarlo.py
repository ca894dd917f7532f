"""Chunked Monte-Carlo link simulation: error-count / bit-budget stopping, confidence intervals.

A scheme simulates ``n_frames`` independent frames at one Eb/N0 and returns the number of bit
errors in each frame. The engine draws chunks until ``target_errors`` bit errors or ``max_bits``
bits, whichever comes first; memory is bounded by the chunk size, never by the budget.

The BER interval is Wilson's score interval on an *effective* number of bits: the bits of one
frame are not independent (one wrong symbol flips several), so the binomial count is deflated by
the design effect observed across frames (Kish). With one bit per frame this is plain Wilson.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal, Protocol

import numpy as np

from wattlab.errors import SpecError
from wattlab.systems.radio._checks import positive_int, snr_grid


class LinkScheme(Protocol):
    """What the engine needs from a modulation scheme."""

    @property
    def name(self) -> str: ...

    @property
    def bits_per_frame(self) -> int: ...

    @property
    def chunk_frames(self) -> int:
        """Frames per chunk that keep the working arrays within a few tens of MB."""
        ...

    def frame_errors(self, n_frames: int, ebn0: float, rng: np.random.Generator) -> np.ndarray:
        """Bit errors in each of ``n_frames`` frames at linear Eb/N0 ``ebn0``."""
        ...


def wilson(k: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for ``k/n`` (``k``, ``n`` may be effective, non-integer counts)."""
    if n <= 0:
        return 0.0, 1.0
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class BerPoint:
    """One Eb/N0 point: counts, BER with its interval, frame-error rate with its interval."""

    ebn0_db: float
    bits: int
    bit_errors: int
    frames: int
    frame_errors: int
    ber_ci: tuple[float, float]
    fer_ci: tuple[float, float]
    stopped_by: Literal["errors", "budget"]
    confidence: float

    @property
    def ber(self) -> float:
        return self.bit_errors / self.bits

    @property
    def fer(self) -> float:
        return self.frame_errors / self.frames

    def __str__(self) -> str:
        lo, hi = self.ber_ci
        pct = f"{self.confidence:.0%}"
        if self.bit_errors == 0:
            return f"{self.ebn0_db:g} dB: BER < {hi:.3g} ({pct} upper bound, 0 errors in {self.bits} bits)"
        return (
            f"{self.ebn0_db:g} dB: BER {self.ber:.3g} [{lo:.3g}, {hi:.3g}] ({pct}, "
            f"{self.bit_errors} errors in {self.bits} bits, stopped by {self.stopped_by})"
        )

    def as_row(self) -> dict[str, float | int | str]:
        return {
            "ebn0_db": self.ebn0_db,
            "ber": self.ber,
            "ber_lo": self.ber_ci[0],
            "ber_hi": self.ber_ci[1],
            "bits": self.bits,
            "bit_errors": self.bit_errors,
            "fer": self.fer,
            "stopped_by": self.stopped_by,
        }


def _point(
    ebn0_db: float, bpf: int, frames: int, k: int, k2: int, fe: int, stop: str, confidence: float
) -> BerPoint:
    bits = frames * bpf
    p = k / bits
    var_frame = k2 / frames - (k / frames) ** 2  # variance of errors per frame
    binom = bpf * p * (1 - p)
    deff = max(1.0, var_frame / binom) if binom > 0 else 1.0
    n_eff = bits / deff
    return BerPoint(
        ebn0_db,
        bits,
        k,
        frames,
        fe,
        wilson(p * n_eff, n_eff, confidence),
        wilson(fe, frames, confidence),
        "errors" if stop == "errors" else "budget",
        confidence,
    )


def simulate_point(
    scheme: LinkScheme,
    ebn0_db: float,
    rng: np.random.Generator,
    *,
    target_errors: int = 200,
    max_bits: float = 1e7,
    chunk_frames: int | None = None,
    confidence: float = 0.95,
) -> BerPoint:
    """Simulate one Eb/N0 point until ``target_errors`` bit errors or ``max_bits`` bits."""
    positive_int(target_errors, "target_errors")
    if not (math.isfinite(max_bits) and max_bits >= 1):
        raise SpecError(f"max_bits: {max_bits!r} must be a finite number >= 1")
    if not 0 < confidence < 1:
        raise SpecError(f"confidence: {confidence!r} must lie in (0, 1)")
    bpf = scheme.bits_per_frame
    per_chunk = positive_int(
        chunk_frames if chunk_frames is not None else scheme.chunk_frames, "chunk_frames"
    )
    max_frames = max(1, math.ceil(max_bits / bpf))
    ebn0 = 10.0 ** (ebn0_db / 10)
    frames = k = k2 = fe = 0
    while k < target_errors and frames < max_frames:
        n = min(per_chunk, max_frames - frames)
        e = scheme.frame_errors(n, ebn0, rng)
        if bpf == 1:
            c = int(np.count_nonzero(e))
            k, k2, fe = k + c, k2 + c, fe + c
        else:
            e = e.astype(np.int64, copy=False)
            k += int(e.sum())
            k2 += int(np.dot(e, e))
            fe += int(np.count_nonzero(e))
        frames += n
    return _point(ebn0_db, bpf, frames, k, k2, fe, "errors" if k >= target_errors else "budget", confidence)


def simulate(
    scheme: LinkScheme,
    ebn0_db: Iterable[float] | float,
    rng: np.random.Generator,
    *,
    target_errors: int = 200,
    max_bits: float = 1e7,
    chunk_frames: int | None = None,
    confidence: float = 0.95,
) -> list[BerPoint]:
    """BER against Eb/N0 (dB values in ``ebn0_db``), one :class:`BerPoint` per value."""
    grid = snr_grid(ebn0_db)
    return [
        simulate_point(
            scheme,
            float(g),
            rng,
            target_errors=target_errors,
            max_bits=max_bits,
            chunk_frames=chunk_frames,
            confidence=confidence,
        )
        for g in grid
    ]
