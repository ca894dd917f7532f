"""Compute devices of the catalogue (GPUs, TPUs, SoCs, CPU classes) and their roofline.

Every device is the registry's ``dev.<name>.<field>`` entries: ``peak_<precision>`` (dense ops/s),
``mem_bw``, ``mem_capacity``, ``tdp``, ``idle_power`` (and ``cores`` for CPU classes); the DRAM
access + I/O energy per bit is that of the device's memory technology (``mem.<tech>.e_bit``).
Time of a pass of ``ops`` operations moving ``bytes``::

    t = max(ops / (eta_c * peak[precision]), bytes / (eta_b * mem_bw))

Energy, inside the boundary ``{"compute", "memory", "static"}``::

    E = ops * e_op[precision] + bytes * e_byte + idle_power * t

The boundary is the device itself (GPU board, TPU chip, SoC rail, a CPU-core share): host CPU,
network, power delivery losses and cooling (PUE) are outside it. ``e_op`` is *derived*, a stated
assumption: the dynamic power left at TDP once idle power and full-bandwidth DRAM power are taken
off, spread over the peak rate of that precision, ``e_op = (tdp - idle - e_byte * mem_bw) / peak``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.hardware.spec import check_known, known_names
from wattlab.params import Param, Registry, default_registry

#: Storage size of one element of each precision (a property of the number format).
BYTES_PER_ELEMENT: dict[str, float] = {
    "fp32": 4.0, "tf32": 4.0, "fp16": 2.0, "bf16": 2.0, "int32": 4.0, "int8": 1.0, "int4": 0.5,
}
PRECISIONS = tuple(BYTES_PER_ELEMENT)
_PREFIX = "dev."
#: The off-chip memory technology of each catalogue device (datasheets in devices.toml); its
#: energy per bit is the memory catalogue's ``mem.<tech>.e_bit``. A device a user defines in a
#: parameter file states ``dev.<name>.mem_energy`` instead.
MEMORY_TECHNOLOGY = {"t4": "gddr6", "v100": "hbm2", "a100": "hbm2e", "h100": "hbm3", "h200": "hbm3e",
                     "tpu_v6e": "hbm2e", "m2_max_gpu": "lpddr5", "m2_max_ane": "lpddr5",
                     "cpu_2core": "ddr5"}
_EFF_KEYS = ("dev.roofline.compute_efficiency", "dev.roofline.bandwidth_efficiency")
BOUNDARY = frozenset({"compute", "memory", "static"})


@dataclass(frozen=True)
class Efficiency:
    """Roofline efficiency: fractions of peak ops and of bandwidth, and a dynamic-energy scale."""

    compute: float
    bandwidth: float
    energy_scale: float = 1.0

    def __post_init__(self) -> None:
        for name in ("compute", "bandwidth"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and 0 < v <= 1):
                raise SpecError(f"Efficiency.{name} must be in (0, 1], got {v!r}")
        if not (math.isfinite(self.energy_scale) and self.energy_scale >= 0):
            raise SpecError(f"Efficiency.energy_scale must be finite and >= 0, "
                            f"got {self.energy_scale!r}")

    @classmethod
    def default(cls, params: Registry | None = None) -> Efficiency:
        """The registry's assumed defaults (``dev.roofline.*``)."""
        c, b = (params or default_registry()).values(*_EFF_KEYS)
        return cls(c, b)


#: Fields a compute device needs for its roofline (besides a ``peak_<precision>``).
ROOFLINE_FIELDS = ("mem_bw", "mem_capacity", "tdp", "idle_power")


def known_devices(params: Registry | None = None) -> list[str]:
    """Names of the compute devices with a complete roofline (a peak and :data:`ROOFLINE_FIELDS`);
    partial entries (an SoC engine priced only by peak and power) are read with :func:`spec`."""
    reg = params or default_registry()
    names = {k.split(".")[1] for k in reg.params
             if k.startswith(_PREFIX) and k.count(".") == 2 and ".peak_" in k}
    return sorted(n for n in names if all(f"{_PREFIX}{n}.{f}" in reg.params for f in ROOFLINE_FIELDS))


@dataclass(frozen=True)
class Device:
    """A device's sourced specs in SI: op/s per precision, B/s, B, J/B, W."""

    name: str
    peak_ops: Mapping[str, float]
    mem_bw: float
    mem_capacity: float
    mem_energy: float
    tdp: float
    idle_power: float
    cores: int | None = None
    sources: Mapping[str, Param] = field(default_factory=dict, repr=False)

    @classmethod
    def from_registry(cls, name: str, params: Registry | None = None) -> Device:
        """Load ``dev.<name>.*`` from the registry ('-' in ``name`` reads as '_'); an unknown
        name lists the known ones."""
        reg = params or default_registry()
        name = name.replace("-", "_")
        check_known("compute device", name, known_devices(reg) + known_names(reg), _PREFIX)
        pre = f"{_PREFIX}{name}."
        keys = [k for k in reg if k.startswith(pre)]
        fields = {k[len(pre):]: reg[k].value for k in keys}
        missing = [f for f in ROOFLINE_FIELDS if f not in fields]
        if "mem_energy" in fields:  # a user-defined device may state its own DRAM energy
            mem_key = pre + "mem_energy"
        elif name in MEMORY_TECHNOLOGY:
            mem_key = f"mem.{MEMORY_TECHNOLOGY[name]}.e_bit"
            keys.append(mem_key)
        else:
            missing.append("mem_energy")
        peaks = {k[len("peak_"):]: v for k, v in fields.items() if k.startswith("peak_")}
        if missing or not peaks:
            what = missing or ["peak_<precision>"]
            raise SpecError(f"device '{name}' lacks registry field(s) {what}; add "
                            f"{', '.join(pre + f for f in what)}")
        unknown = set(peaks) - set(PRECISIONS)
        if unknown:
            raise SpecError(f"device '{name}': unknown precision(s) {sorted(unknown)} in peak_*; "
                            f"use one of {', '.join(PRECISIONS)}")
        cores = int(fields["cores"]) if "cores" in fields else None
        return cls(name=name, peak_ops=peaks, mem_bw=fields["mem_bw"] / 8.0,
                   mem_capacity=fields["mem_capacity"] / 8.0,
                   mem_energy=reg.value(mem_key) * 8.0, tdp=fields["tdp"],
                   idle_power=fields["idle_power"], cores=cores,
                   sources=reg.subset(*keys))

    @property
    def precisions(self) -> tuple[str, ...]:
        return tuple(p for p in PRECISIONS if p in self.peak_ops)

    @property
    def default_precision(self) -> str:
        """The 16-bit float format if the device has one, else its first precision."""
        for p in ("bf16", "fp16"):
            if p in self.peak_ops:
                return p
        return self.precisions[0]

    def peak(self, precision: str) -> float:
        if precision not in self.peak_ops:
            raise SpecError(f"device '{self.name}' has no '{precision}' peak; it supports "
                            f"{', '.join(self.precisions)}")
        return self.peak_ops[precision]

    def op_energy_j(self, precision: str) -> float:
        """Dynamic energy per op (derived: TDP less idle and full-bandwidth DRAM power, at peak)."""
        dyn = self.tdp - self.idle_power - self.mem_energy * self.mem_bw
        if dyn <= 0:
            dram = self.mem_energy * self.mem_bw
            raise SpecError(f"device '{self.name}': tdp {self.tdp:g} W leaves no compute power "
                            f"after idle {self.idle_power:g} W and DRAM {dram:g} W; correct tdp, "
                            "idle_power, mem_bw or mem_energy")
        return dyn / self.peak(precision)

    def roofline_arrays(self, ops: Any, nbytes: Any, precision: str,
                        eff: Efficiency) -> dict[str, np.ndarray]:
        """Vectorised roofline: time and energy components for arrays of (ops, bytes)."""
        ops_a = np.asarray(ops, dtype=float)
        by = np.asarray(nbytes, dtype=float)
        if np.any(ops_a < 0) or np.any(by < 0):
            raise SpecError("roofline needs ops >= 0 and bytes >= 0")
        t_c = ops_a / (eff.compute * self.peak(precision))
        t_m = by / (eff.bandwidth * self.mem_bw)
        t = np.maximum(t_c, t_m)
        return {"time": t, "compute_bound": t_c >= t_m,
                "compute": eff.energy_scale * ops_a * self.op_energy_j(precision),
                "memory": eff.energy_scale * by * self.mem_energy,
                "static": self.idle_power * t}

    def roofline(self, ops: float, nbytes: float, precision: str,
                 efficiency: Efficiency | None = None, counts: Mapping[str, float] | None = None,
                 params: Registry | None = None) -> Cost:
        """The Cost of one pass of ``ops`` operations moving ``nbytes`` bytes."""
        reg = params or default_registry()
        r = self.roofline_arrays(ops, nbytes, precision, efficiency or Efficiency.default(reg))
        eff_src = reg.subset(*_EFF_KEYS) if efficiency is None else {}
        return Cost(energy_j={k: float(r[k]) for k in ("compute", "memory", "static")},
                    latency_s=float(r["time"]),
                    counts={"ops": float(ops), "bytes": float(nbytes), **(counts or {})},
                    boundary=BOUNDARY, sources={**self.sources, **eff_src})


def device(name: str, params: Registry | None = None) -> Device:
    """Shorthand for :meth:`Device.from_registry`."""
    return Device.from_registry(name, params)


__all__ = ["BOUNDARY", "BYTES_PER_ELEMENT", "PRECISIONS", "Device", "Efficiency", "device",
           "known_devices"]
