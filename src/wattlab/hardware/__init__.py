"""The hardware catalogue: every device, memory technology and operation energy, once.

Each value is one registry entry with its source and evidence label; every paper reads its
hardware from here, so a user's ``--params`` override reaches every study that uses it.

- :class:`Device` (``dev.<name>.*`` with a roofline: GPUs, TPUs, SoC engines, CPU classes)
- :func:`spec` (any other ``dev.<name>.*`` entry: FPGAs, sensors, radios)
- :func:`memory` (``mem.<tech>.*``: energy per bit, bandwidth, capacity, static power)
- :func:`op_energy`, :func:`sram_energy` (Horowitz 45 nm, scaled by node)
"""

from wattlab.hardware.devices import (
    BYTES_PER_ELEMENT,
    PRECISIONS,
    Device,
    Efficiency,
    device,
    known_devices,
)
from wattlab.hardware.memory import MemorySpec, memory, memory_technologies
from wattlab.hardware.ops import op_energy, sram_energy
from wattlab.hardware.spec import Spec, spec

__all__ = ["BYTES_PER_ELEMENT", "PRECISIONS", "Device", "Efficiency", "MemorySpec", "Spec",
           "device", "known_devices", "memory", "memory_technologies", "op_energy", "spec",
           "sram_energy"]
