"""Noise modulation (after de Figueiredo et al., arXiv 2604.19391; Basar, arXiv 2312.13794).

A bit selects the variance of an i.i.d. complex Gaussian transmit sequence of ``N`` samples:
u_n ~ CN(0, σ_b²), with average power (σ0² + σ1²)/2 = 1 and ``variance_ratio`` r = σ0²/σ1² < 1.
Eb = N (energy per bit over the N samples), N0 is the noise variance per complex sample.
Given the channel gain x = |h|², y_n ~ CN(0, θ_b) with θ_b = x σ_b² + N0, so the energy
T = Σ|y_n|² ~ Gamma(N, θ_b) and the ML detector compares T with
γ* = N θ0 θ1 ln(θ1/θ0) / (θ1 − θ0). The exact BER is
½ [Γ_upper(N, γ/θ0) + Γ_lower(N, γ/θ1)] (regularised incomplete gamma functions).

Detectors: ``fixed`` — no channel knowledge, threshold designed for E|h|² = 1, energies summed
over receive antennas; ``csi`` — threshold from the known |h|², after selecting the receive
antenna of largest |h|² (selection diversity when ``n_rx > 1``). The model is a reconstruction
(research notes §5.2): the paper's exact N and β definitions were not available.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from wattlab.errors import SpecError
from wattlab.systems.radio import theory
from wattlab.systems.radio._checks import choice, positive_int
from wattlab.systems.radio.baselines import CHUNK_ELEMENTS, cnoise, rayleigh

DETECTORS = ("fixed", "csi")


def threshold(n: int, theta0: np.ndarray | float, theta1: np.ndarray | float) -> np.ndarray:
    """ML energy threshold between Gamma(n, θ0) and Gamma(n, θ1), equal priors."""
    t0, t1 = np.asarray(theta0, dtype=float), np.asarray(theta1, dtype=float)
    return n * t0 * t1 * np.log(t1 / t0) / (t1 - t0)


def ber_given(
    n: int, gamma: np.ndarray | float, theta0: np.ndarray | float, theta1: np.ndarray | float
) -> np.ndarray:
    """BER of the energy detector with threshold ``gamma`` (T > γ decides bit 1)."""
    from scipy import special

    return 0.5 * (
        special.gammaincc(n, np.divide(gamma, theta0)) + special.gammainc(n, np.divide(gamma, theta1))
    )


@dataclass(frozen=True)
class NoiseMod:
    """Binary variance keying with an energy detector over ``samples_per_bit`` samples."""

    samples_per_bit: int = 16
    variance_ratio: float = 1 / 9
    n_rx: int = 1
    channel: str = "awgn"
    detector: str = "fixed"

    def __post_init__(self) -> None:
        positive_int(self.samples_per_bit, "samples_per_bit")
        positive_int(self.n_rx, "n_rx")
        choice(self.channel, theory.CHANNELS, "channel")
        choice(self.detector, DETECTORS, "detector")
        if not 0 <= self.variance_ratio < 1:
            raise SpecError(
                f"variance_ratio: {self.variance_ratio!r} must lie in [0, 1) "
                "(σ0²/σ1², the low variance over the high one)"
            )

    @property
    def name(self) -> str:
        return (
            f"NoiseMod (N={self.samples_per_bit}, σ0²/σ1²={self.variance_ratio:.3g}, "
            f"{self.channel}, {self.n_rx} rx, {self.detector})"
        )

    @property
    def bits_per_frame(self) -> int:
        return 1

    @property
    def chunk_frames(self) -> int:
        return max(1, CHUNK_ELEMENTS // (2 * self.samples_per_bit * self.n_rx))

    @property
    def variances(self) -> tuple[float, float]:
        r = self.variance_ratio
        return 2 * r / (1 + r), 2 / (1 + r)

    def samples_per_bit_rate(self) -> float:
        return float(self.samples_per_bit)

    def _thetas(self, x: np.ndarray | float, n0: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        s0, s1 = self.variances
        return np.multiply(x, s0) + n0, np.multiply(x, s1) + n0

    def frame_errors(self, n_frames: int, ebn0: float, rng: np.random.Generator) -> np.ndarray:
        N, n0 = self.samples_per_bit, self.samples_per_bit / ebn0
        bits = rng.integers(0, 2, n_frames, dtype=np.int8)
        s0, s1 = self.variances
        sigma = np.sqrt(np.where(bits == 1, s1, s0))
        branches = self.n_rx if self.detector == "fixed" else 1
        if self.channel == "rayleigh":
            h = rayleigh((n_frames, self.n_rx), rng)
            if self.detector == "csi":  # receive-antenna selection: keep the strongest branch
                h = np.take_along_axis(h, np.abs(h).argmax(axis=1)[:, None], axis=1)
        else:
            h = np.ones((n_frames, branches), complex)
        u = cnoise((n_frames, 1, N), 1.0, rng) * sigma[:, None, None]
        y = h[:, :, None] * u + cnoise((n_frames, branches, N), n0, rng)
        energy = (np.abs(y) ** 2).sum(axis=(1, 2))
        if self.detector == "fixed":
            t0, t1 = self._thetas(1.0, n0)
            gamma = threshold(N * branches, t0, t1)
        else:
            t0, t1 = self._thetas(np.abs(h[:, 0]) ** 2, n0)
            gamma = threshold(N, t0, t1)
        return (energy > gamma) != bits

    # -- theory --------------------------------------------------------------------------------
    def _conditional(self, x: np.ndarray | float, n0: float, *, floor: bool = False) -> np.ndarray:
        """BER given |h|² = x; ``floor`` evaluates the fixed threshold at N0 → 0."""
        N = self.samples_per_bit
        t0, t1 = self._thetas(x, 0.0 if floor else n0)
        if self.detector == "csi":
            return ber_given(N, threshold(N, t0, t1), t0, t1)
        g0, g1 = self._thetas(1.0, 0.0 if floor else n0)
        return ber_given(N, threshold(N, g0, g1), t0, t1)

    def _average(self, f: Callable[[float], float]) -> float:
        from scipy import integrate

        n = self.n_rx if self.detector == "csi" else 1
        pdf = lambda x: n * np.exp(-x) * (1 - np.exp(-x)) ** (n - 1)  # noqa: E731  max of n Exp(1)
        val, _ = integrate.quad(
            lambda x: f(x) * pdf(x),
            0,
            np.inf,
            limit=500,
            epsabs=1e-14,
            epsrel=1e-9,
        )
        return float(val)

    def ber_theory(self, ebn0: np.ndarray | float) -> np.ndarray:
        """Exact BER (AWGN: closed form; Rayleigh: one integral over |h|²)."""
        if self.detector == "fixed" and self.n_rx > 1:
            raise SpecError(
                "n_rx: the no-CSI energy sum over several antennas (correlated in "
                "AWGN, unequal in fading) has no closed form here; use n_rx=1, "
                "detector='csi', or simulate"
            )
        g = np.asarray(ebn0, dtype=float)
        n0 = self.samples_per_bit / g
        if self.channel == "awgn":
            N = self.samples_per_bit
            t0, t1 = self._thetas(1.0, n0)
            return ber_given(N, threshold(N, t0, t1), t0, t1)
        one = lambda v: self._average(lambda x: float(self._conditional(x, v)))  # noqa: E731
        return np.vectorize(one, otypes=[float])(n0)

    def error_floor(self) -> float:
        """BER as Eb/N0 → ∞ in Rayleigh fading with the fixed (no-CSI) threshold."""
        if self.variance_ratio == 0:
            return 0.0
        return self._average(lambda x: float(self._conditional(x, 0.0, floor=True)))
