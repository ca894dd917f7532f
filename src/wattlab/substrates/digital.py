"""Digital devices (GPUs, TPUs, SoCs, CPU classes) and their roofline cost model.

Time of a pass that performs ``ops`` operations and moves ``bytes`` to and from DRAM::

    t = max(ops / (eta_c * peak[precision]), bytes / (eta_b * mem_bw))

Energy, inside the boundary ``{"compute", "memory", "static"}``::

    E = ops * e_op[precision] + bytes * e_byte + idle_power * t

The boundary is the device itself (GPU board, TPU chip, SoC rail, a CPU-core share): host CPU,
network, power delivery losses and cooling (PUE) are outside it. ``e_byte`` is the DRAM energy
per bit × 8 from the registry. ``e_op`` is *derived*, a stated assumption: the dynamic power
left at TDP once idle power and full-bandwidth DRAM power are taken off, spread over the peak
rate of that precision, ``e_op = (tdp - idle - e_byte * mem_bw) / peak``. Efficiency factors
``eta_c``, ``eta_b`` and a dynamic-energy scale can be fitted to measurements with
:func:`calibrate`, which reports the fit error.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.params import Param, Registry, default_registry
from wattlab.workloads.gemm import Gemm

#: Storage size of one element of each precision (a property of the number format).
BYTES_PER_ELEMENT: dict[str, float] = {
    "fp32": 4.0, "tf32": 4.0, "fp16": 2.0, "bf16": 2.0, "int8": 1.0, "int4": 0.5,
}
PRECISIONS = tuple(BYTES_PER_ELEMENT)
_PREFIX = "dev."
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


def known_devices(params: Registry | None = None) -> list[str]:
    """Names of the compute devices in the registry (those with a ``tdp``)."""
    reg = params or default_registry()
    names = {k.split(".")[1] for k in reg if k.startswith(_PREFIX) and k.count(".") >= 2}
    names.discard("roofline")
    # compute devices only: sensors and radios (dev.<name>.power_* ...) have no tdp
    return sorted(n for n in names if f"{_PREFIX}{n}.tdp" in reg)


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
        known = known_devices(reg)
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise SpecError(f"unknown device '{name}'{hint}; known devices: {', '.join(known)}. "
                            "Add dev.<name>.* entries in a parameter file to define a new one")
        pre = f"{_PREFIX}{name}."
        keys = [k for k in reg if k.startswith(pre)]
        fields = {k[len(pre):]: reg[k].value for k in keys}
        required = ("mem_bw", "mem_capacity", "mem_energy", "tdp", "idle_power")
        missing = [f for f in required if f not in fields]
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
                   mem_energy=fields["mem_energy"] * 8.0, tdp=fields["tdp"],
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


# -- calibration ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Measurement:
    """One measured pass: its op and byte counts, time and (optionally) energy."""

    ops: float
    bytes: float
    time_s: float
    energy_j: float | None = None


@dataclass(frozen=True)
class Calibration:
    """Fitted efficiency factors and how well the fitted model reproduces the measurements.

    Errors are relative (|model - measured| / measured): ``time_error`` is the mean,
    ``time_max_error`` the worst case. ``identified`` says whether any measurement is bound by
    that roof at the fit; a factor no measurement binds stays at its start value and is only a
    lower bound on the true one.
    """

    efficiency: Efficiency
    time_error: float
    time_max_error: float
    energy_error: float | None
    n: int
    identified: Mapping[str, bool]


def calibrate(dev: Device, measurements: Iterable[Measurement | Mapping[str, float]],
              precision: str | None = None, start: Efficiency | None = None) -> Calibration:
    """Fit compute and bandwidth efficiency (and a dynamic-energy scale when energies are given).

    Times are fitted by least squares on the relative error (model/measured - 1), the error
    reported, with both factors in (0, 1] (searched in log space);
    energies then by a least-squares scale of the dynamic part (measured minus idle × time).
    """
    from scipy.optimize import least_squares

    ms = [m if isinstance(m, Measurement) else Measurement(**m) for m in measurements]
    if not ms:
        raise SpecError("calibrate needs at least one measurement")
    for i, m in enumerate(ms):
        if not (m.time_s > 0 and m.ops >= 0 and m.bytes >= 0 and m.ops + m.bytes > 0):
            raise SpecError(f"measurement {i}: needs time_s > 0, ops >= 0, bytes >= 0 and some "
                            f"work; got {m}")
    prec = precision or dev.default_precision
    ops = np.array([m.ops for m in ms])
    nb = np.array([m.bytes for m in ms])
    t = np.array([m.time_s for m in ms])
    s0 = start or Efficiency.default()
    lo = math.log(1e-4)

    def resid(x: np.ndarray) -> np.ndarray:
        model = np.maximum(ops / (math.exp(x[0]) * dev.peak(prec)),
                           nb / (math.exp(x[1]) * dev.mem_bw))
        return model / t - 1.0

    x0 = np.clip(np.log([s0.compute, s0.bandwidth]), lo + 1e-6, -1e-9)
    fit = least_squares(resid, x0, bounds=([lo, lo], [0.0, 0.0]))
    eff = Efficiency(float(math.exp(fit.x[0])), float(math.exp(fit.x[1])))
    r = dev.roofline_arrays(ops, nb, prec, eff)
    rel_t = np.abs(r["time"] - t) / t
    bound = r["compute_bound"]
    energy_error = None
    es = [m.energy_j for m in ms]
    if all(e is not None for e in es):
        e_meas = np.array(es, dtype=float)
        dyn_pred = r["compute"] + r["memory"]
        dyn_meas = e_meas - dev.idle_power * t
        denom = float(np.dot(dyn_pred, dyn_pred))
        scale = max(float(np.dot(dyn_pred, dyn_meas)) / denom, 0.0) if denom > 0 else 1.0
        eff = Efficiency(eff.compute, eff.bandwidth, scale)
        e_model = scale * dyn_pred + r["static"]
        energy_error = float(np.mean(np.abs(e_model - e_meas) / e_meas))
    return Calibration(efficiency=eff, time_error=float(np.mean(rel_t)),
                       time_max_error=float(np.max(rel_t)), energy_error=energy_error, n=len(ms),
                       identified={"compute": bool(bound.any()), "bandwidth": bool((~bound).any())})


# -- the substrate ----------------------------------------------------------------------------

class DigitalSubstrate:
    """Exact matmul on a digital device, costed by the roofline.

    ``matmul`` computes ``a @ b`` exactly (NumPy arrays or torch tensors) and returns the same
    Cost as ``cost(Gemm.of(a.shape, b.shape))``. Traffic assumes each operand is read once and
    the output written once at the precision's element size (the minimum for a tiled GEMM).
    """

    torch_native = True

    def __init__(self, dev: Device | str, precision: str | None = None, *,
                 efficiency: Efficiency | None = None, params: Registry | None = None) -> None:
        self.params = params or default_registry()
        self.device = dev if isinstance(dev, Device) else Device.from_registry(dev, self.params)
        self.precision = precision or self.device.default_precision
        self.device.peak(self.precision)  # validates the precision
        self.efficiency = efficiency
        self.name = f"digital:{self.device.name}:{self.precision}"

    def cost(self, gemm: Gemm) -> Cost:
        elems = gemm.batch * (gemm.m * gemm.k + gemm.k * gemm.n + gemm.m * gemm.n)
        nbytes = elems * BYTES_PER_ELEMENT[self.precision]
        return self.device.roofline(gemm.ops, nbytes, self.precision, self.efficiency,
                                    counts={"macs": float(gemm.macs)}, params=self.params)

    def matmul(self, a: Any, b: Any, *, rng: np.random.Generator) -> tuple[Any, Cost]:
        gemm = Gemm.of(tuple(a.shape), tuple(b.shape))
        return a @ b, self.cost(gemm)


__all__ = ["BOUNDARY", "BYTES_PER_ELEMENT", "PRECISIONS", "Calibration", "Device",
           "DigitalSubstrate", "Efficiency", "Measurement", "calibrate", "device", "known_devices"]
