"""Union bound on the ML bit-error probability of an index-modulation scheme (research notes §4.4).

ABEP <= 2^-n sum_i sum_{j!=i} d_H(i, j)/n * PEP(i -> j). With X_i the N_t x (T·L) chip matrix of
candidate i and A = (X_i − X_j)(X_i − X_j)^H, the pairwise error probability is
Q(sqrt(N_r 1^T A 1 / (2 N0))) in AWGN (unit gains), and by Craig's formula
(1/π) ∫_0^{π/2} Π_k (1 + λ_k(A) / (4 N0 sin²θ))^(−N_r) dθ in i.i.d. Rayleigh fading.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from wattlab.errors import SpecError
from wattlab.systems.radio import theory

if TYPE_CHECKING:
    from wattlab.systems.radio.index_mod import IndexModulation

MAX_BITS = 10  # 2^20 ordered pairs: beyond that the bound costs more than a simulation
_NODES = 96


def candidates(s: IndexModulation) -> tuple[np.ndarray, np.ndarray]:
    """Every transmit candidate: chip matrices (2^n, N_t, T·L), Es = 1 per slot; bit labels."""
    cb = s.code_bits // s.n_code_groups
    combos = np.stack(np.meshgrid(*[np.arange(s.n_codes)] * s.n_code_groups, indexing="ij"), -1).reshape(
        -1, s.n_code_groups
    )
    m = np.repeat(np.arange(s.n_st), len(combos))
    k = np.tile(combos, (s.n_st, 1))
    chips = s.codes[k[:, list(s.slot_group)]] / math.sqrt(s.code_length)  # (N, T, L)
    X = s.st_symbols[m][:, :, :, None] * chips[:, :, None, :]  # (N, T, Nt, L)
    X = X.transpose(0, 2, 1, 3).reshape(len(m), s.n_tx, -1)
    labels = s.st_labels[m] << s.code_bits
    for g in range(s.n_code_groups):
        labels |= k[:, g] << (cb * (s.n_code_groups - 1 - g))
    return X, labels


def union_bound(s: IndexModulation, ebn0: np.ndarray | float) -> np.ndarray:
    """Upper bound on the ML BER at linear Eb/N0 values (vectorised over pairs and SNRs)."""
    n = s.bits_per_frame
    if n > MAX_BITS:
        raise SpecError(
            f"bits_per_frame: {n} > {MAX_BITS}; the union bound over 4^{n} pairs is "
            "too large, simulate instead"
        )
    g = np.atleast_1d(np.asarray(ebn0, dtype=float))
    X, labels = candidates(s)
    N = len(X)
    i, j = np.nonzero(~np.eye(N, dtype=bool))
    dh = np.bitwise_count(labels[i] ^ labels[j]) / n
    n0 = s.n_slots / (n * g)  # (S,)
    # the PEP depends on a pair only through the spectrum of A: group equal spectra, weight by d_H
    spectra, weights = [], []
    for a in range(0, len(i), 1 << 16):
        d = X[i[a : a + 1 << 16]] - X[j[a : a + 1 << 16]]
        A = d @ d.conj().transpose(0, 2, 1)
        lam = (
            A.real.sum(axis=(1, 2), keepdims=True)[:, :, 0] * s.n_rx
            if s.channel == "awgn"
            else np.clip(np.linalg.eigvalsh(A), 0, None)
        )
        u, inv = np.unique(np.round(lam, 10), axis=0, return_inverse=True)
        spectra.append(u)
        weights.append(np.bincount(inv.ravel(), weights=dh[a : a + 1 << 16], minlength=len(u)))
    u, inv = np.unique(np.concatenate(spectra), axis=0, return_inverse=True)
    w_u = np.bincount(inv.ravel(), weights=np.concatenate(weights), minlength=len(u))
    if s.channel == "awgn":
        pep = theory.qfunc(np.sqrt(u[:, :1] / (2 * n0[None, :])))
    else:
        x, w = np.polynomial.legendre.leggauss(_NODES)
        sin2 = np.sin((x + 1) * np.pi / 4) ** 2
        f = u[:, None, :, None] / (4 * n0[None, :, None, None] * sin2)  # (U, S, Nt, nodes)
        pep = (np.prod(1 + f, axis=2) ** (-s.n_rx)) @ (w * np.pi / 4) / np.pi
    return (w_u @ pep / N).reshape(np.shape(ebn0))
