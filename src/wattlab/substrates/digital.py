"""The digital substrate: exact matmul on a catalogue device, costed by its roofline, and
:func:`calibrate`, which fits the roofline's efficiency factors to measurements and reports the
fit error. Devices and the roofline itself live in :mod:`wattlab.hardware.devices`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.hardware.devices import BYTES_PER_ELEMENT, Device, Efficiency
from wattlab.params import Registry, default_registry
from wattlab.workloads.gemm import Gemm

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


__all__ = ["Calibration", "DigitalSubstrate", "Measurement", "calibrate"]
