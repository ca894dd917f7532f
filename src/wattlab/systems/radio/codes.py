"""Spreading-code families for code-index modulation; every codebook row has energy L (= length).

* ``walsh``: rows of the Sylvester Hadamard matrix (length a power of two).
* ``zadoff-chu``: cyclic shifts of one Zadoff–Chu root sequence (ideal periodic autocorrelation,
  so the shifts are exactly orthogonal when gcd(root, length) = 1).
* ``chirp``: LoRa-style up-chirps with cyclic frequency offsets (dechirp + DFT detects them).
* ``fsk``: DFT tones (M-ary FSK seen as a codebook).
* ``cpm``: constant-envelope MSK-type chips (phase steps of ±π/2 driven by a pseudo-noise
  sequence seeded by ``root``), cyclic shifts. A stand-in for the paper's CPM-SS (its exact pulse
  was not available — an assumption); these codes are only quasi-orthogonal (see
  :func:`orthogonality_error`), which the ML detector and the union bound handle exactly.

Codes within a codebook are spaced evenly (shift/frequency step ``length // n_codes``).
"""

from __future__ import annotations

import math

import numpy as np

from wattlab.errors import SpecError
from wattlab.systems.radio._checks import choice, positive_int, power_of_two

FAMILIES = ("walsh", "zadoff-chu", "chirp", "fsk", "cpm")


def codebook(family: str, length: int, n_codes: int, *, root: int = 1) -> np.ndarray:
    """An (n_codes, length) complex codebook of the given family."""
    choice(family, FAMILIES, "family")
    L = positive_int(length, "code_length")
    nc = power_of_two(n_codes, "n_codes")
    if nc > L:
        raise SpecError(f"n_codes: {nc} codes do not fit length {L}; codebooks need n_codes <= code_length")
    n = np.arange(L)
    step = L // nc
    if family == "walsh":
        power_of_two(L, "code_length")
        h = np.ones((1, 1))
        while h.shape[0] < L:  # Sylvester construction
            h = np.block([[h, h], [h, -h]])
        return h.astype(complex)[::step][:nc]
    if family == "zadoff-chu":
        if math.gcd(root, L) != 1:
            raise SpecError(f"root: {root} shares a factor with code_length {L}; choose a coprime root")
        base = np.exp(-1j * np.pi * root * n * (n + (L % 2)) / L)
        return np.stack([np.roll(base, k * step) for k in range(nc)])
    if family == "cpm":
        steps = np.random.default_rng(root).choice((-1.0, 1.0), L)
        base = np.exp(0.5j * np.pi * np.cumsum(steps))
        return np.stack([np.roll(base, k * step) for k in range(nc)])
    tones = np.exp(2j * np.pi * np.outer(np.arange(nc) * step, n) / L)
    if family == "fsk":
        return tones
    return tones * np.exp(1j * np.pi * n * n / L)[None, :]


def orthogonality_error(codes: np.ndarray) -> float:
    """max |C C^H / L − I|: zero for an orthogonal codebook."""
    L = codes.shape[1]
    return float(np.max(np.abs(codes @ codes.conj().T / L - np.eye(codes.shape[0]))))
