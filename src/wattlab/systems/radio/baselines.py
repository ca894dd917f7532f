"""Coherent BPSK/QPSK with maximum-ratio combining: the lean reference schemes.

DSSS and non-coherent FSK are code-domain schemes and live in :mod:`.index_mod`
(``dsss(...)``, ``ncfsk(...)``), so one transmitter/detector serves them all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wattlab.errors import SpecError
from wattlab.systems.radio import theory
from wattlab.systems.radio._checks import choice, positive_int

#: Working-array elements per chunk (about 16 MB of float64 per array).
CHUNK_ELEMENTS = 1 << 21


def rayleigh(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """i.i.d. CN(0, 1) channel gains."""
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * np.sqrt(0.5)


def cnoise(shape: tuple[int, ...], n0: float, rng: np.random.Generator) -> np.ndarray:
    """i.i.d. CN(0, n0) noise."""
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * np.sqrt(n0 / 2)


@dataclass(frozen=True)
class Psk:
    """Gray-mapped BPSK (``order=2``) or QPSK (``order=4``); one symbol per frame."""

    order: int = 2
    n_rx: int = 1
    channel: str = "awgn"

    def __post_init__(self) -> None:
        if self.order not in (2, 4):
            raise SpecError(
                f"order: {self.order!r} is not supported here; use 2 (BPSK) or 4 (QPSK), "
                "or an index-modulation scheme for higher-order PSK"
            )
        positive_int(self.n_rx, "n_rx")
        choice(self.channel, theory.CHANNELS, "channel")

    @property
    def name(self) -> str:
        return f"{'BPSK' if self.order == 2 else 'QPSK'} ({self.channel}, {self.n_rx} rx)"

    @property
    def bits_per_frame(self) -> int:
        return 1 if self.order == 2 else 2

    @property
    def chunk_frames(self) -> int:
        return max(1, CHUNK_ELEMENTS // (self.n_rx * self.bits_per_frame))

    def ber_theory(self, ebn0: np.ndarray | float) -> np.ndarray:
        return theory.ber_coherent_psk(ebn0, n_rx=self.n_rx, channel=self.channel)

    def frame_errors(self, n_frames: int, ebn0: float, rng: np.random.Generator) -> np.ndarray:
        if self.order == 2 and self.n_rx == 1 and self.channel == "awgn":
            # real baseband suffices: the quadrature noise never touches the decision
            b = rng.integers(0, 2, n_frames, dtype=np.int8)
            y = rng.standard_normal(n_frames)
            y *= np.sqrt(0.5 / ebn0)
            y += 1 - 2 * b
            return (y < 0) != b
        k = self.bits_per_frame
        bits = rng.integers(0, 2, (n_frames, k), dtype=np.int8)
        sym = (1 - 2 * bits[:, 0]) + (1j * (1 - 2 * bits[:, 1]) if k == 2 else 0)
        sym = sym / np.sqrt(k)  # Es = 1, Eb = 1/k
        shape = (n_frames, self.n_rx)
        h = rayleigh(shape, rng) if self.channel == "rayleigh" else np.ones(shape)
        y = h * sym[:, None] + cnoise(shape, 1 / (k * ebn0), rng)
        z = np.einsum("fr,fr->f", h.conj(), y)
        err = (z.real < 0) != bits[:, 0]
        if k == 2:
            return err.astype(np.int8) + ((z.imag < 0) != bits[:, 1])
        return err
