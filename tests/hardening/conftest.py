"""Helpers for the hardening tests: run the CLI in a subprocess or in-process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def env(**extra: str) -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    e.setdefault("OMP_NUM_THREADS", "1")
    e.update(extra)
    return e


def wattlab(*args: str, timeout: float = 120, **extra: str) -> subprocess.CompletedProcess[str]:
    """``python -m wattlab ARGS`` in a subprocess (exit codes as a user sees them)."""
    return subprocess.run([sys.executable, "-m", "wattlab", *args], capture_output=True, text=True,
                          env=env(**extra), timeout=timeout, cwd=ROOT)


def text(r: subprocess.CompletedProcess[str]) -> str:
    return " ".join((r.stdout + r.stderr).split())


@pytest.fixture
def hostile(monkeypatch, tmp_path):
    """Register tests/hardening/hostile_studies for in-process and worker runs."""
    monkeypatch.setenv("WATTLAB_STUDIES", "tests.hardening.hostile_studies")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), str(ROOT / "src")]))
    log = tmp_path / "runs.log"
    monkeypatch.setenv("WATTLAB_TEST_LOG", str(log))
    monkeypatch.setenv("WATTLAB_TEST_SLEEP", "0")
    return log


@pytest.fixture
def inproc(hostile, monkeypatch):
    """``hostile``, with studies run in this process (no worker start-up: fast tests)."""
    import importlib

    rp = importlib.import_module("wattlab.reproduce")

    def run_here(todo, scale, seed, files, jobs, finished):
        for s in todo:
            finished(rp.run_one(s.id, scale, seed, files))

    monkeypatch.setattr(rp, "_run_local", run_here)
    return hostile
