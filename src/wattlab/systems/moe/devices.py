"""The M2 Max's execution engines (CPU, GPU, ANE) for NPUMoE placement [I]: a roofline plus a
per-dispatch overhead.

``t = n_dispatch * dispatch_s + max(flops / (efficiency * peak), bytes / bw)``, ``E = power * t``.
Peak, bandwidth and full-load power are the catalogue's (``dev.m2_max_{cpu,gpu,ane}.*``); the
achieved efficiency and dispatch overhead are NPUMoE assumptions (``npumoe.*``, see moe.toml).
"""

from __future__ import annotations

from dataclasses import dataclass

from wattlab.hardware import spec
from wattlab.params import Param, Registry

BITS_PER_BYTE = 8


@dataclass(frozen=True)
class Engine:
    """One execution engine of a SoC, in SI units."""

    name: str
    peak_ops: float  # op/s
    efficiency: float
    bw_bytes: float  # B/s
    dispatch_s: float
    power_w: float
    static_only: bool  # True: runs only fixed-shape compiled programs (an NPU)

    def time(self, flops: float, nbytes: float, dispatches: float = 1.0) -> float:
        if flops == 0 and nbytes == 0:
            return 0.0
        return dispatches * self.dispatch_s + max(flops / (self.efficiency * self.peak_ops),
                                                  nbytes / self.bw_bytes)

    def energy(self, seconds: float) -> float:
        return self.power_w * seconds


#: engine -> (catalogue device, its peak field)
_ENGINES = {"ane": ("m2_max_ane", "peak_fp16"), "gpu": ("m2_max_gpu", "peak_fp32"),
            "cpu": ("m2_max_cpu", "peak_fp32")}


def _keys(name: str) -> tuple[str, ...]:
    dev, peak = _ENGINES[name]
    return (f"dev.{dev}.{peak}", f"npumoe.{name}_efficiency", f"dev.{dev}.mem_bw",
            f"npumoe.{name}_dispatch", f"dev.{dev}.tdp")


def m2max(params: Registry) -> dict[str, Engine]:
    """CPU, GPU and ANE of an Apple M2 Max (see devices.toml and moe.toml for what is assumed)."""
    out = {}
    for name, (dev, _) in _ENGINES.items():
        spec(params, dev)  # an unknown or removed device is an error naming it
        peak, eff, bw, disp, power = params.values(*_keys(name))
        out[name] = Engine(name, peak, eff, bw / BITS_PER_BYTE, disp, power, name == "ane")
    return out


def m2max_sources(params: Registry) -> dict[str, Param]:
    keys = [k for name in _ENGINES for k in _keys(name)]
    return params.subset(*keys, "npumoe.sync", "npumoe.soc_static_power", "npumoe.weight_bytes")
