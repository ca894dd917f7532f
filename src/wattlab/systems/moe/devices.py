"""Per-device roofline-plus-overhead cost models (NPUMoE placement [I]).

``t = n_dispatch * dispatch_s + max(flops / (efficiency * peak), bytes / bw)``, ``E = power * t``.
The Apple M2 Max preset reads every figure from the ``npumoe.*`` parameters (mostly assumed).
"""

from __future__ import annotations

from dataclasses import dataclass

from wattlab.params import Param, Registry

BITS_PER_BYTE = 8


@dataclass(frozen=True)
class Device:
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


_KEYS = {"ane": ("ane_peak", "ane_efficiency", "ane_bw", "ane_dispatch", "ane_power"),
         "gpu": ("gpu_peak", "gpu_efficiency", "mem_bw", "gpu_dispatch", "gpu_power"),
         "cpu": ("cpu_peak", "cpu_efficiency", "cpu_bw", "cpu_dispatch", "cpu_power")}


def m2max(params: Registry) -> dict[str, Device]:
    """CPU, GPU and ANE of an Apple M2 Max (see moe.toml for what is assumed)."""
    out = {}
    for name, keys in _KEYS.items():
        peak, eff, bw, disp, power = params.values(*(f"npumoe.{k}" for k in keys))
        out[name] = Device(name, peak, eff, bw / BITS_PER_BYTE, disp, power, name == "ane")
    return out


def m2max_sources(params: Registry) -> dict[str, Param]:
    keys = [f"npumoe.{k}" for ks in _KEYS.values() for k in ks]
    return params.subset(*keys, "npumoe.sync", "npumoe.soc_static_power", "npumoe.weight_bytes")
