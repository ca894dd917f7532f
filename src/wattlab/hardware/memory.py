"""Memory technologies of the catalogue: ``mem.<tech>.<field>`` entries.

Fields: ``e_bit`` (access + I/O energy per bit, J), ``bw`` (peak bandwidth of one unit — a
stack, a channel, a DIMM, a chip, a macro), ``capacity`` (per unit) and ``static_power``
(background/refresh/leakage power per unit, W). The registry stores bandwidth and capacity in
bits (SI); :class:`MemorySpec` gives them in bytes. A missing field is an error naming the key
when it is read.
"""

from __future__ import annotations

from dataclasses import dataclass

from wattlab.hardware.spec import Spec, check_known, known_names
from wattlab.params import Registry

PREFIX = "mem."
BITS_PER_BYTE = 8


@dataclass(frozen=True)
class MemorySpec(Spec):
    """A memory technology: ``e_bit`` (J/bit), ``bw`` (B/s), ``capacity`` (B), ``static_power`` (W)."""

    prefix: str = PREFIX

    @property
    def e_bit(self) -> float:
        return self.value("e_bit")

    @property
    def bw(self) -> float:
        """Peak bandwidth of one unit, B/s."""
        return self.value("bw") / BITS_PER_BYTE

    @property
    def capacity(self) -> float:
        """Capacity of one unit, bytes."""
        return self.value("capacity") / BITS_PER_BYTE

    @property
    def static_power(self) -> float:
        return self.value("static_power")


def memory_technologies(params: Registry) -> list[str]:
    """Names of the memory technologies in the registry."""
    return known_names(params, PREFIX)


def memory(params: Registry, tech: str) -> MemorySpec:
    """The memory technology ``tech`` ('-' reads as '_')."""
    tech = tech.replace("-", "_")
    check_known("memory technology", tech, memory_technologies(params), PREFIX)
    return MemorySpec(tech, params)
