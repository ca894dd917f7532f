"""A documented synthetic flume: three radar level readings -> discharge.

Stand-in for the paper's GUNT HM 162 flume data (not public). Per sample, a discharge Q and bed
slope S are drawn uniformly; the levels follow

- normal depth h_n(Q, S) of a rectangular channel from Manning's equation
  Q = (1/n)·b·h·R^(2/3)·S^(1/2), R = b·h/(b + 2h)  (solved by vectorised bisection);
- pool depth at the outlet weir h_w = P + H, H = (Q / (C_d·(2/3)·sqrt(2g)·b))^(2/3)
  (sharp-crested rectangular weir);
- sensor k at distance x_k upstream of the weir reads h_n + max(h_w − h_n, 0)·exp(−x_k/L)
  (an exponential stand-in for the M1 backwater profile — a stated simplification), plus Gaussian
  noise and occasional ±2 cm outliers (bubbles, foam).

All constants are ``soft_sensor.*`` registry entries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from wattlab.errors import SpecError
from wattlab.params import Registry

_P = "soft_sensor."
SENSOR_POSITIONS = (8.0, 4.0, 1.0)  # m upstream of the weir (the three radar sensors)
OUTLIER_SIZE = 0.02  # m


@dataclass(frozen=True)
class Flume:
    width: float
    manning_n: float
    slope: tuple[float, float]
    flow: tuple[float, float]
    weir_height: float
    weir_cd: float
    backwater_length: float
    noise: float
    outlier_rate: float
    gravity: float

    @classmethod
    def from_params(cls, params: Registry) -> Flume:
        v = params.values(*(_P + k for k in (
            "flume_width", "manning_n", "slope_min", "slope_max", "flow_min", "flow_max",
            "weir_height", "weir_cd", "backwater_length", "level_noise", "outlier_rate",
            "gravity")))
        if v[2] > v[3] or v[4] > v[5]:
            raise SpecError("soft_sensor.slope_min/max or flow_min/max are in the wrong order")
        return cls(v[0], v[1], (v[2], v[3]), (v[4], v[5]), *v[6:])

    def normal_depth(self, q: NDArray[np.float64], s: NDArray[np.float64]) -> NDArray[np.float64]:
        b, n = self.width, self.manning_n
        lo, hi = np.full_like(q, 1e-6), np.full_like(q, 50.0)
        for _ in range(60):
            h = 0.5 * (lo + hi)
            qh = b * h * (b * h / (b + 2 * h)) ** (2 / 3) * np.sqrt(s) / n
            big = qh > q
            hi, lo = np.where(big, h, hi), np.where(big, lo, h)
        return 0.5 * (lo + hi)

    def weir_depth(self, q: NDArray[np.float64]) -> NDArray[np.float64]:
        head = (q / (self.weir_cd * 2 / 3 * np.sqrt(2 * self.gravity) * self.width)) ** (2 / 3)
        return self.weir_height + head

    def sample(self, n: int, rng: np.random.Generator
               ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(levels (n, 3) in m, discharge (n,) in m³/s)."""
        if n < 1:
            raise SpecError(f"'n' is {n}; ask for at least one sample")
        q = rng.uniform(*self.flow, n)
        s = rng.uniform(*self.slope, n)
        hn, hw = self.normal_depth(q, s), self.weir_depth(q)
        x = np.asarray(SENSOR_POSITIONS)
        levels = hn[:, None] + np.maximum(hw - hn, 0)[:, None] * np.exp(-x / self.backwater_length)
        levels = levels + rng.normal(0, self.noise, levels.shape)
        hit = rng.random(levels.shape) < self.outlier_rate
        levels = levels + hit * rng.choice([-OUTLIER_SIZE, OUTLIER_SIZE], levels.shape)
        return levels, q
