"""Stand-ins for meter hardware, for tests, benchmarks and demos without a GPU or RAPL.

``FakeNvml`` is enough of ``pynvml`` for :func:`wattlab.measure.meter`: a time-based energy
counter at a set power (or none: the counter raises "Not Supported"), power readings with an
optional ramp, and a ``lost`` switch that makes every call fail like a GPU fallen off the bus.
Install it with ``sys.modules["pynvml"] = FakeNvml()``. ``make_zone`` builds a powercap zone.
"""

from __future__ import annotations

import os
import time
import types
from pathlib import Path


class FakeNVMLError(Exception):
    """Raised by FakeNvml calls, like ``pynvml.NVMLError``."""


class FakeNvml(types.ModuleType):
    """A fake ``pynvml`` module (see the module docstring)."""

    NVMLError = FakeNVMLError

    def __init__(self, n: int = 1, counter: bool = True, power_w: float = 100.0,
                 ramp_w_per_s: float = 0.0) -> None:
        super().__init__("pynvml")
        self.n, self.counter, self.power_w, self.ramp = n, counter, power_w, ramp_w_per_s
        self.base = time.perf_counter()
        self.lost = False
        self.frozen_mj: int | None = None
        self.inits = self.shutdowns = 0

    def _check(self) -> None:
        if self.lost:
            raise FakeNVMLError("GPU is lost")

    def nvmlInit(self) -> None:
        self.inits += 1

    def nvmlShutdown(self) -> None:
        self.shutdowns += 1

    def nvmlDeviceGetCount(self) -> int:
        return self.n

    def nvmlDeviceGetHandleByIndex(self, i: int) -> int:
        if not 0 <= i < self.n:
            raise FakeNVMLError("Invalid Argument")
        return i

    def nvmlDeviceGetTotalEnergyConsumption(self, h: int) -> int:
        """Millijoules since creation at ``power_w`` (the ramp is ignored)."""
        self._check()
        if not self.counter:
            raise FakeNVMLError("Not Supported")
        if self.frozen_mj is not None:
            return self.frozen_mj
        return int((time.perf_counter() - self.base) * self.power_w * 1000)

    def nvmlDeviceGetPowerUsage(self, h: int) -> int:
        """Milliwatts: ``power_w + ramp_w_per_s × elapsed``."""
        self._check()
        return round((self.power_w + self.ramp * (time.perf_counter() - self.base)) * 1000)


def write_atomic(path: Path, value: int | str) -> None:
    """Replace a file's content in one step (a poller never sees a half-written counter)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{value}\n")
    os.replace(tmp, path)


def make_zone(root: Path, zone: str, name: str, energy_uj: int, max_uj: int) -> Path:
    """Create powercap zone ``root/zone`` (e.g. "intel-rapl:0", "package-0")."""
    d = root / zone
    d.mkdir(parents=True)
    (d / "name").write_text(f"{name}\n")
    write_atomic(d / "energy_uj", energy_uj)
    (d / "max_energy_range_uj").write_text(f"{max_uj}\n")
    return d
