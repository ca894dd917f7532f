"""NVIDIA GPUs through NVML (``nvidia-ml-py``, imported as ``pynvml``).

The cumulative energy counter (``nvmlDeviceGetTotalEnergyConsumption``, mJ, Volta and later)
is read at the window edges. Where it is unsupported, board power (``nvmlDeviceGetPowerUsage``,
mW) is sampled in the meter's background thread and integrated by the trapezoid rule over the
real sample timestamps; on Ampere and later that reading is itself a ~1 s average and on
A100/H100 only part of the runtime is sampled (Yang et al., arXiv 2312.02741), so prefer
windows of many seconds there. NVML indices are physical: when ``CUDA_VISIBLE_DEVICES`` lists integer
indices, "gpu" means those; otherwise every GPU NVML sees.
"""

from __future__ import annotations

import importlib
import math
import os
import warnings
from types import ModuleType
from typing import Any

import numpy as np

from wattlab.measure._reading import ChannelResult, MeterError


def load_nvml() -> tuple[ModuleType | None, str]:
    """The initialised ``pynvml`` module, or None and the reason."""
    try:
        nvml = importlib.import_module("pynvml")
    except ImportError:
        return None, "pynvml is not installed (pip install 'wattlab[meters]')"
    try:
        nvml.nvmlInit()
        if nvml.nvmlDeviceGetCount() < 1:
            nvml.nvmlShutdown()
            return None, "NVML sees no GPU"
    except Exception as exc:  # NVMLError subclasses, driver missing
        return None, f"NVML could not start ({exc})"
    return nvml, ""


def visible_indices(nvml: ModuleType) -> list[int]:
    """NVML indices of the GPUs "gpu" refers to (honouring integer CUDA_VISIBLE_DEVICES)."""
    count = nvml.nvmlDeviceGetCount()
    env = os.environ.get("CUDA_VISIBLE_DEVICES", "").strip()
    if env and all(p.strip().isdigit() for p in env.split(",")):
        return [i for i in (int(p) for p in env.split(",")) if i < count]
    return list(range(count))


class NvmlChannel:
    """One GPU: counter at the edges, or sampled power when the counter is unsupported."""

    label = "measured:nvml"
    covers = "GPU board (NVML)"

    def __init__(self, nvml: ModuleType, index: int, sample_s: float) -> None:
        self.nvml = nvml
        self.index = index
        self.device = f"gpu:{index}"
        try:
            self.handle = nvml.nvmlDeviceGetHandleByIndex(index)
        except Exception as exc:
            raise MeterError(f"NVML has no GPU {index} ({exc}); valid indices: "
                             f"0..{nvml.nvmlDeviceGetCount() - 1}") from exc
        self.sample_s = sample_s
        self.poll_s: float | None = None
        self.method = "energy counter at window edges"
        self._e0 = 0.0
        self._t: list[float] = []
        self._p: list[float] = []
        self._lost = ""

    def start(self, t: float) -> None:
        try:
            self._e0 = float(self.nvml.nvmlDeviceGetTotalEnergyConsumption(self.handle))
            self._t0 = t
        except Exception as exc:
            self.poll_s = self.sample_s
            self.method = (f"power sampled every {self.sample_s:g} s, trapezoid over real "
                           f"timestamps (energy counter unsupported: {exc})")
            self.poll(t)
            if self._lost:
                raise MeterError(f"{self.device}: neither the NVML energy counter nor power "
                                 f"can be read ({self._lost})") from exc

    def poll(self, t: float) -> None:
        if self._lost:
            return
        try:
            p = float(self.nvml.nvmlDeviceGetPowerUsage(self.handle)) / 1000.0
        except Exception as exc:
            self._lost = f"power read failed at t={t:.3f} s: {exc}"
            return
        self._t.append(t)
        self._p.append(p)

    def stop(self, t: float) -> ChannelResult:
        if self.poll_s is None:
            return self._stop_counter(t)
        self.poll(t)
        if self._lost:
            return ChannelResult(_trapezoid(self._t, self._p), False,
                                 f"GPU lost mid-window; energy up to the last sample "
                                 f"({self._lost})")
        return ChannelResult(_trapezoid(self._t, self._p), True, f"{len(self._t)} samples")

    def _stop_counter(self, t: float) -> ChannelResult:
        try:
            e1 = float(self.nvml.nvmlDeviceGetTotalEnergyConsumption(self.handle))
        except Exception as exc:
            return ChannelResult(math.nan, False, f"GPU lost: end counter read failed ({exc}); "
                                 "energy unknown")
        energy = (e1 - self._e0) / 1000.0
        if energy <= 0 and t > self._t0:
            warnings.warn(f"{self.device}: the NVML energy counter did not move in a "
                          f"{t - self._t0:.3g} s window; the window is shorter than the counter "
                          "update period: lengthen or repeat the window", stacklevel=4)
        return ChannelResult(max(energy, 0.0))


def _trapezoid(t: list[float], p: list[float]) -> float:
    if len(t) < 2:
        return 0.0
    ta, pa = np.asarray(t), np.asarray(p)
    return float(np.sum((pa[1:] + pa[:-1]) * np.diff(ta)) / 2.0)


def nvml_channels(nvml: ModuleType, spec: str, sample_s: float) -> list[Any]:
    """Channels for "gpu" (all visible) or "gpu:N"."""
    if spec == "gpu":
        return [NvmlChannel(nvml, i, sample_s) for i in visible_indices(nvml)]
    try:
        index = int(spec.split(":", 1)[1])
    except ValueError:
        raise MeterError(f"device '{spec}' is not 'gpu' or 'gpu:N' with an integer N") from None
    return [NvmlChannel(nvml, index, sample_s)]
