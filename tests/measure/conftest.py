"""Fixtures: the fake ``pynvml`` module and fake powercap trees of wattlab.measure.testing."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from wattlab.measure.testing import FakeNvml, make_zone, write_atomic


@pytest.fixture
def fake_nvml(monkeypatch: pytest.MonkeyPatch):
    """A factory that installs a configured FakeNvml as ``pynvml``."""
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)

    def install(**kw) -> FakeNvml:
        fake = FakeNvml(**kw)
        monkeypatch.setitem(sys.modules, "pynvml", fake)
        return fake

    return install


@pytest.fixture
def no_nvml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import raises ImportError


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
