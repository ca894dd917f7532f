"""Soft-sensor tasks: the synthetic flume (levels -> flow) and river's WaterFlow series
(hourly flow forecasting), scaled to [-1, 1] for Q(W, F) inputs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from wattlab.errors import SpecError, require
from wattlab.params import Registry
from wattlab.systems.soft_sensor.flume import Flume

FArray = NDArray[np.float64]


@dataclass
class Task:
    """Scaled train/validation arrays; ``x`` is (N, d) (tabular) or (N, T, 1) (sequence)."""

    name: str
    x_train: FArray
    y_train: FArray
    x_val: FArray
    y_val: FArray
    y_scale: tuple[float, float]  # physical = scaled * a + b
    unit: str

    @property
    def sequence(self) -> bool:
        return self.x_train.ndim == 3

    def physical(self, y: FArray) -> FArray:
        a, b = self.y_scale
        return y * a + b


def traffic_series(rng: np.random.Generator, n: int) -> FArray:
    """Synthetic traffic-speed-like series: daily (24 steps) and weekly (168 steps) cycles plus
    AR(1) noise, scaled to [-1, 1] (a stand-in for the LSTM paper's traffic data)."""
    t = np.arange(n)
    e = rng.normal(0, 0.1, n)
    noise = np.zeros(n)
    for k in range(1, n):
        noise[k] = 0.8 * noise[k - 1] + e[k]
    y = 0.5 * np.sin(2 * np.pi * t / 24) + 0.2 * np.sin(2 * np.pi * t / 168) + noise
    return np.asarray(y / np.abs(y).max(), dtype=float)


def _scale(train: FArray, *others: FArray) -> tuple[list[FArray], tuple[float, float]]:
    lo, hi = float(train.min()), float(train.max())
    a, b = (hi - lo) / 2, (hi + lo) / 2
    if a <= 0:
        raise SpecError("the training data are constant; nothing to learn")
    return [(v - b) / a for v in (train, *others)], (a, b)


def flume_task(params: Registry, rng: np.random.Generator, n: int = 4000) -> Task:
    levels, q = Flume.from_params(params).sample(n, rng)
    split = int(0.8 * n)
    (xt, xv), _ = _scale(levels[:split], levels[split:])
    (yt, yv), ys = _scale(q[:split], q[split:])
    return Task("flume levels->flow", xt, yt, xv, yv, ys, "m3/s")


def waterflow_series() -> FArray:
    """river's bundled WaterFlow series (hourly flow); needs ``pip install river``."""
    datasets = require("river.datasets", extra="fpga", purpose="the WaterFlow series")
    return np.array([y for _, y in datasets.WaterFlow()], dtype=float)


def waterflow_task(window: int = 8, series: FArray | None = None) -> Task:
    """Forecast the next hourly flow from the previous ``window`` values (chronological split)."""
    y = waterflow_series() if series is None else np.asarray(series, dtype=float)
    if window < 1 or len(y) <= window + 10:
        raise SpecError(f"'window' is {window}; it must be >= 1 and leave enough samples")
    split = int(0.8 * len(y))
    (_ys_train, ys_all), sc = _scale(y[:split], y)
    idx = np.arange(len(y) - window)
    x = np.stack([ys_all[i:i + window] for i in idx])[..., None]
    t = ys_all[idx + window]
    cut = split - window
    return Task("WaterFlow next-hour forecast", x[:cut], t[:cut], x[cut:], t[cut:], sc, "flow")
