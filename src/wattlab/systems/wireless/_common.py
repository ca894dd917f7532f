"""Shared helpers of the wireless systems: dB, Jakes correlation, Rician draws, validation.

Validation reuses :mod:`wattlab.systems.radio._checks`; path loss and receiver noise reuse
:class:`wattlab.systems.radio.LinkBudget` (free space to d0, exponent beyond; k T B · NF).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import j0

from wattlab.errors import SpecError
from wattlab.params import Registry
from wattlab.systems.radio import LinkBudget
from wattlab.systems.radio._checks import positive, positive_int

__all__ = ["SpecError", "cn", "db", "jakes_correlation", "link", "positive", "positive_int", "sqrtm_psd"]


def db(x: float | np.ndarray) -> np.ndarray | float:
    """dB to a linear power ratio."""
    return 10.0 ** (np.asarray(x) / 10.0) if isinstance(x, np.ndarray) else 10.0 ** (x / 10.0)


def cn(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Circularly-symmetric complex Gaussian samples of unit variance, CN(0, 1)."""
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / math.sqrt(2.0)


def jakes_correlation(separation_wavelengths: np.ndarray) -> np.ndarray:
    """Clarke/Jakes correlation J0(2π Δ/λ) for a separation Δ in wavelengths (2-D isotropic
    scattering); used across fluid-antenna ports (Wong et al. 2021) and across time (Δ = f_D τ)."""
    return np.asarray(j0(2.0 * math.pi * np.asarray(separation_wavelengths, dtype=float)))


def sqrtm_psd(c: np.ndarray) -> np.ndarray:
    """A square root S with S S^H = C of a (numerically) positive semi-definite matrix."""
    w, v = np.linalg.eigh(c)
    return np.asarray(v * np.sqrt(np.clip(w, 0.0, None)))


def link(params: Registry, carrier_hz: float, exponent: float) -> LinkBudget:
    """The radio link model at ``carrier_hz`` with path-loss ``exponent`` (noise figure, d0 and
    the speed of light from ``radio.*``/``phys.*``)."""
    return LinkBudget.from_params(params, carrier_hz=carrier_hz, path_loss_exponent=exponent)


def nonnegative(value: float, field: str) -> float:
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise SpecError(f"{field}: {value!r} must be a finite number >= 0")
    return v
