"""CPU energy of a decoding run through ``wattlab.measure``: RAPL when the machine has it
(``measured:rapl``), otherwise the labelled utilisation estimate (``estimated:...``, with a warning)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from wattlab.params import Registry

T = TypeVar("T")


def metered(fn: Callable[[], T], params: Registry) -> tuple[T, float, str]:
    """``fn()``'s result, the CPU energy (J) over the call and that reading's label."""
    from wattlab.measure import meter

    with meter("cpu", params=params) as m:
        out = fn()
    reading = m.readings[0]
    return out, reading.energy_j, reading.label
