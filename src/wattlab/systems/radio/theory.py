"""Closed-form and one-dimensional-integral error rates (test oracles), and their numeric inversion.

SNRs here are linear. ``channel`` is ``"awgn"`` (unit gain on every receive branch) or
``"rayleigh"`` (independent CN(0, 1) branch gains, constant over a frame).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from wattlab.errors import SpecError
from wattlab.systems.radio._checks import choice, positive_int, probability

CHANNELS = ("awgn", "rayleigh")


def qfunc(x: np.ndarray | float) -> np.ndarray:
    """Gaussian tail probability Q(x)."""
    from scipy import special

    return 0.5 * special.erfc(np.asarray(x, dtype=float) / np.sqrt(2.0))


def ber_coherent_psk(ebn0: np.ndarray | float, *, n_rx: int = 1, channel: str = "awgn") -> np.ndarray:
    """BER of Gray-mapped BPSK/QPSK with maximum-ratio combining over ``n_rx`` branches.

    AWGN: Q(sqrt(2 n_rx Eb/N0)) (array gain). Rayleigh: the MRC closed form
    mu^L sum_k C(L-1+k, k) (1-mu)^k with mu = (1 - sqrt(g/(1+g)))/2 (Proakis eq. 14.4-15).
    """
    from scipy import special

    choice(channel, CHANNELS, "channel")
    L = positive_int(n_rx, "n_rx")
    g = np.asarray(ebn0, dtype=float)
    if channel == "awgn":
        return qfunc(np.sqrt(2 * L * g))
    mu = 0.5 * (1 - np.sqrt(g / (1 + g)))
    k = np.arange(L)
    terms = special.comb(L - 1 + k, k)[:, None] * (1 - mu.reshape(1, -1)) ** k[:, None]
    return (mu.reshape(-1) ** L * terms.sum(axis=0)).reshape(g.shape)


def ser_noncoherent_orthogonal(
    m: int, esn0: np.ndarray | float, *, n_rx: int = 1, channel: str = "awgn"
) -> np.ndarray:
    """Symbol-error rate of M-ary orthogonal signalling, square-law (energy) detection, summed over
    ``n_rx`` branches: P_c = int f_true(x) F_other(x)^(M-1) dx, one integral per SNR value."""
    from scipy import integrate, stats

    choice(channel, CHANNELS, "channel")
    L = positive_int(n_rx, "n_rx")
    other = stats.gamma(L)  # |noise|^2/N0 summed over L branches

    def one(s: float) -> float:
        true = stats.ncx2(2 * L, 2 * L * s, scale=0.5) if channel == "awgn" else stats.gamma(L, scale=1 + s)
        hi = true.isf(1e-16) + other.isf(1e-16)
        pc, _ = integrate.quad(
            lambda x: true.pdf(x) * other.cdf(x) ** (m - 1),
            0,
            hi,
            limit=400,
            epsabs=1e-15,
            epsrel=1e-10,
        )
        return max(0.0, 1.0 - pc)

    return np.vectorize(one, otypes=[float])(np.asarray(esn0, dtype=float))


def ser_noncoherent_orthogonal_awgn(m: int, esn0: np.ndarray | float) -> np.ndarray:
    """The same, single branch in AWGN, by the alternating sum (Proakis eq. 4.5-43)."""
    from scipy import special

    s = np.asarray(esn0, dtype=float)[..., None]
    n = np.arange(1, m)
    terms = (-1.0) ** (n + 1) * special.comb(m - 1, n) / (n + 1) * np.exp(-n / (n + 1) * s)
    return terms.sum(axis=-1)


def ser_biorthogonal(n_codes: int, esn0: np.ndarray | float) -> np.ndarray:
    """Coherent biorthogonal signalling with 2*n_codes signals (code index + BPSK sign), AWGN."""
    from scipy import integrate, special, stats

    def one(s: float) -> float:
        a = np.sqrt(2 * s)

        def f(v):
            return (special.ndtr(v + a) - special.ndtr(-v - a)) ** (n_codes - 1) * stats.norm.pdf(v)

        pc, _ = integrate.quad(f, -a, a + 40, limit=400, epsabs=1e-15)
        return max(0.0, 1.0 - pc)

    return np.vectorize(one, otypes=[float])(np.asarray(esn0, dtype=float))


def bit_from_symbol_errors_orthogonal(ser: np.ndarray, m: int) -> np.ndarray:
    """BER of M-ary orthogonal signalling, natural labels: wrong symbols are equally likely."""
    return np.asarray(ser) * (m / 2) / (m - 1)


def required_ebn0_db(
    ber_of_db: Callable[[float], float],
    target_ber: float,
    *,
    lo_db: float = -10.0,
    hi_db: float = 80.0,
) -> float:
    """Eb/N0 (dB) at which a decreasing BER curve reaches ``target_ber`` (Brent, log BER).

    Raises SpecError when the curve never reaches the target in [lo_db, hi_db] (an error floor).
    """
    from scipy import optimize

    probability(target_ber, "target_ber")
    f = lambda db: np.log(max(float(ber_of_db(db)), 1e-300)) - np.log(target_ber)  # noqa: E731
    if f(hi_db) > 0:
        raise SpecError(
            f"target_ber: {target_ber:g} is not reached below {hi_db:g} dB "
            "(the scheme has an error floor above it); ask for a larger target BER"
        )
    if f(lo_db) < 0:
        return lo_db
    return float(optimize.brentq(f, lo_db, hi_db, xtol=1e-6))
