"""Components: the circuits every substrate is built from, each a small class whose action
methods return a :class:`~wattlab.Cost` with the registry entries it used.

Energies come from the catalogue (:mod:`wattlab.hardware`) and the physics module, never from a
constant written here. A component has no latency of its own: the substrate that schedules the
actions sets it. Each action's energy lands under the component's ``name`` (``adcs``, ``sram``…)
so a substrate can rename components to match its own breakdown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.hardware.memory import memory
from wattlab.hardware.ops import op_energy, op_key, sram_energy
from wattlab.params import Registry
from wattlab.physics import AdcFom, adc_energy_j

_ADC_KEYS = ("adc.walden_fom", "adc.schreier_fom_max", "adc.schreier_fom_intercept",
             "adc.schreier_fom_slope")


def _count(what: str, n: float) -> float:
    if not (math.isfinite(n) and n >= 0):
        raise SpecError(f"the number of {what} must be finite and >= 0, got {n!r}")
    return float(n)


def _cost(name: str, energy: float, counts: dict[str, float], params: Registry,
          keys: tuple[str, ...]) -> Cost:
    return Cost(energy_j={name: energy}, counts=counts, sources=params.subset(*keys))


@dataclass(frozen=True)
class ADC:
    """A converter on the Murmann-survey frontier (:func:`wattlab.physics.adc_energy_j`)."""

    params: Registry
    bits: float
    rate_hz: float
    fom: AdcFom = "frontier"
    name: str = "adcs"

    @property
    def energy_per_conversion(self) -> float:
        return float(adc_energy_j(self.params, self.bits, self.rate_hz, self.fom))

    def convert(self, n: float) -> Cost:
        n = _count("conversions", n)
        return _cost(self.name, n * self.energy_per_conversion, {"adc_conversions": n},
                     self.params, _ADC_KEYS)


@dataclass(frozen=True)
class DAC:
    """A DAC priced from an 8-bit reference energy (``key``), scaled 2^(bits-8): an assumption."""

    params: Registry
    bits: int
    key: str = "adc.albireo_dac8_moderate"
    name: str = "dacs"

    @property
    def energy_per_conversion(self) -> float:
        return self.params.value(self.key) * 2.0 ** (self.bits - 8)

    def convert(self, n: float) -> Cost:
        n = _count("conversions", n)
        return _cost(self.name, n * self.energy_per_conversion, {"dac_conversions": n},
                     self.params, (self.key,))


@dataclass(frozen=True)
class SRAM:
    """An on-chip SRAM macro of ``macro_bytes`` at ``node_nm`` (:func:`~wattlab.hardware.sram_energy`);
    a write is priced as a read (a stated assumption)."""

    params: Registry
    macro_bytes: float
    node_nm: float = 45.0
    name: str = "sram"

    def read(self, bits: float) -> Cost:
        bits = _count("bits", bits)
        keys = tuple(f"op45.sram_64b_{s}" for s in ("8kb", "32kb", "1mb"))
        return _cost(self.name, sram_energy(self.params, bits, self.macro_bytes, self.node_nm),
                     {"sram_bits": bits}, self.params, keys)

    write = read


@dataclass(frozen=True)
class Memory:
    """Any catalogue memory technology (``mem.<tech>.e_bit``): DRAM, HBM, a named SRAM macro."""

    params: Registry
    tech: str
    name: str = "memory"

    def access(self, bits: float) -> Cost:
        bits = _count("bits", bits)
        spec = memory(self.params, self.tech)
        return _cost(self.name, bits * spec.e_bit, {f"{self.tech}_bits": bits}, self.params,
                     (spec.key("e_bit"),))

    read = write = access


@dataclass(frozen=True)
class MAC:
    """Digital arithmetic at ``precision`` and ``node_nm`` (:func:`~wattlab.hardware.op_energy`)."""

    params: Registry
    precision: str = "int8"
    node_nm: float = 45.0
    name: str = "mac"

    def _op(self, op: str, n: float) -> Cost:
        n = _count(f"{op}s", n)
        e = op_energy(self.params, op, self.precision, self.node_nm)
        return _cost(self.name, n * e, {f"{op}s": n}, self.params, (op_key(op, self.precision),))

    def mac(self, n: float) -> Cost:
        return self._op("mac", n)

    def add(self, n: float) -> Cost:
        return self._op("add", n)

    def mult(self, n: float) -> Cost:
        return self._op("mult", n)


@dataclass(frozen=True)
class PerAction:
    """A component priced per action from one registry entry (a modulator's energy per symbol,
    a photodiode + TIA's energy per read)."""

    params: Registry
    key: str
    name: str
    action: str = "actions"

    def act(self, n: float) -> Cost:
        n = _count(self.action, n)
        return _cost(self.name, n * self.params.value(self.key), {self.action: n}, self.params,
                     (self.key,))


@dataclass(frozen=True)
class Laser:
    """A laser delivering ``optical_power_w`` at the wall-plug efficiency ``wpe_key``."""

    params: Registry
    optical_power_w: float
    wpe_key: str = "photonic.laser_wpe"
    name: str = "laser"

    def on(self, seconds: float) -> Cost:
        t = _count("seconds", seconds)
        e = self.optical_power_w / self.params.value(self.wpe_key) * t
        return _cost(self.name, e, {}, self.params, (self.wpe_key,))


@dataclass(frozen=True)
class Static:
    """Static power × time: leakage, bias, idle boards (``power_w`` read from ``key``), × ``units``."""

    params: Registry
    key: str
    units: float = 1.0
    name: str = "static"

    def over(self, seconds: float) -> Cost:
        t = _count("seconds", seconds)
        return _cost(self.name, self.params.value(self.key) * self.units * t, {}, self.params,
                     (self.key,))


__all__ = ["ADC", "DAC", "MAC", "SRAM", "Laser", "Memory", "PerAction", "Static"]
