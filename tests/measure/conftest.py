"""A fake ``pynvml`` module and fake powercap trees for meter tests."""

from __future__ import annotations

import os
import sys
import time
import types
from pathlib import Path

import pytest


class FakeNVMLError(Exception):
    pass


class FakeNvml(types.ModuleType):
    """Enough of pynvml for the meter: a time-based energy counter and power readings."""

    NVMLError = FakeNVMLError

    def __init__(self, n: int = 1, counter: bool = True, power_w: float = 100.0,
                 ramp_w_per_s: float = 0.0) -> None:
        super().__init__("pynvml")
        self.n, self.counter, self.power_w, self.ramp = n, counter, power_w, ramp_w_per_s
        self.base = time.perf_counter()
        self.lost = False
        self.frozen_mj: int | None = None
        self.inits = self.shutdowns = 0

    def _power(self) -> float:
        return self.power_w + self.ramp * (time.perf_counter() - self.base)

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
        self._check()
        if not self.counter:
            raise FakeNVMLError("Not Supported")
        if self.frozen_mj is not None:
            return self.frozen_mj
        return int((time.perf_counter() - self.base) * self.power_w * 1000)

    def nvmlDeviceGetPowerUsage(self, h: int) -> int:
        self._check()
        return round(self._power() * 1000)


@pytest.fixture
def fake_nvml(monkeypatch: pytest.MonkeyPatch):
    """Install a FakeNvml as ``pynvml``; returns a factory to configure it."""
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)

    def install(**kw) -> FakeNvml:
        fake = FakeNvml(**kw)
        monkeypatch.setitem(sys.modules, "pynvml", fake)
        return fake

    return install


@pytest.fixture
def no_nvml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import raises ImportError


def write_atomic(path: Path, value: int | str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{value}\n")
    os.replace(tmp, path)


def make_zone(root: Path, zone: str, name: str, energy_uj: int, max_uj: int) -> Path:
    d = root / zone
    d.mkdir(parents=True)
    (d / "name").write_text(f"{name}\n")
    write_atomic(d / "energy_uj", energy_uj)
    (d / "max_energy_range_uj").write_text(f"{max_uj}\n")
    return d


@pytest.fixture
def pc() -> types.SimpleNamespace:
    """Helpers to build and update fake powercap zones."""
    return types.SimpleNamespace(make_zone=make_zone, write=write_atomic)


@pytest.fixture
def rapl_tree(tmp_path: Path) -> Path:
    """package-0 with core and dram sub-zones (max range 10 J)."""
    root = tmp_path / "powercap"
    make_zone(root, "intel-rapl:0", "package-0", 1_000_000, 10_000_000)
    make_zone(root, "intel-rapl:0:0", "core", 500_000, 10_000_000)
    make_zone(root, "intel-rapl:0:1", "dram", 200_000, 10_000_000)
    return root
