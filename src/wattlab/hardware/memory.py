"""Memory technologies of the catalogue: ``mem.<tech>.<field>`` entries.

Fields: ``e_bit`` (access + I/O energy per bit, J), ``bw`` (peak bandwidth of one unit — a
stack, a channel, a DIMM, a chip, a macro — B/s), ``capacity`` (bytes per unit) and
``static_power`` (background/refresh/leakage power per unit, W). Only ``e_bit`` is required; a
missing optional field is an error naming the key when it is read.
"""

from __future__ import annotations

from dataclasses import dataclass

from wattlab.hardware.spec import Spec, check_known, known_names
from wattlab.params import Registry

PREFIX = "mem."


@dataclass(frozen=True)
class MemorySpec(Spec):
    """A memory technology; ``e_bit``, ``bw``, ``capacity`` and ``static_power`` in SI."""

    prefix: str = PREFIX

    @property
    def e_bit(self) -> float:
        return self.value("e_bit")

    @property
    def bw(self) -> float:
        return self.value("bw")

    @property
    def capacity(self) -> float:
        return self.value("capacity")

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
