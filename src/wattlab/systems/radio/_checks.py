"""Input validation shared by the radio modules: every bad value is a SpecError naming its field."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from wattlab.errors import SpecError


def snr_grid(values: Iterable[float] | float, field: str = "ebn0_db") -> np.ndarray:
    """A non-empty, finite 1-D array of SNR values (dB)."""
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if arr.ndim != 1 or arr.size == 0:
        raise SpecError(f"{field}: the SNR list is empty; give at least one value in dB, e.g. 0:2:12")
    if not np.all(np.isfinite(arr)):
        raise SpecError(f"{field}: {arr.tolist()} contains a non-finite value; use finite dB values")
    return arr


def power_of_two(value: int, field: str, *, minimum: int = 1) -> int:
    """``value`` as an int that is a power of two and at least ``minimum``."""
    if int(value) != value or value < minimum or int(value) & (int(value) - 1):
        raise SpecError(
            f"{field}: {value!r} is not a power of two >= {minimum}; "
            f"use 1, 2, 4, 8, ... (each index field carries log2({field}) bits)"
        )
    return int(value)


def positive_int(value: int, field: str) -> int:
    if int(value) != value or value < 1:
        raise SpecError(f"{field}: {value!r} must be a positive integer")
    return int(value)


def positive(value: float, field: str) -> float:
    """A finite float > 0 (distances, frequencies, rates)."""
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise SpecError(f"{field}: {value!r} must be a finite number > 0")
    return v


def positive_array(values: Iterable[float] | float, field: str) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise SpecError(f"{field}: {arr.tolist()} must be a non-empty list of finite numbers > 0")
    return arr


def probability(value: float, field: str) -> float:
    v = float(value)
    if not 0 < v < 0.5:
        raise SpecError(f"{field}: {value!r} must lie in (0, 0.5) (a bit-error rate target)")
    return v


def choice(value: str, allowed: Iterable[str], field: str) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise SpecError(f"{field}: {value!r} is not one of {', '.join(allowed)}")
    return value
