"""Measure a whole command (``wattlab measure -- python train.py``) or a function (``@measured``).

:func:`measure_command` starts the meter, runs the command with this terminal's stdin, stdout
and stderr, waits for it and returns a :class:`CommandMeasurement`: the meter's labelled
readings, the command's exit code and, optionally, the carbon of each reading at a grid
intensity whose source is named. A command that fails (non-zero exit, killed by a signal or
interrupted) still gets its readings — the energy up to that point — each flagged incomplete.

The CPU estimate (used when neither NVML nor RAPL is available) counts this process and the
command's processes (``estimate_scope="children"``), not the whole machine.
"""

from __future__ import annotations

import functools
import math
import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar, overload

from wattlab.errors import SpecError
from wattlab.measure._meter import Meter, meter
from wattlab.measure._reading import Reading
from wattlab.params import Registry, default_registry

#: Registry key of the default grid carbon intensity (a published world average).
GRID_KEY = "grid.world_average_intensity"
#: kgCO2/J (SI) per gCO2/kWh.
_G_PER_KWH = 1e-3 / 3.6e6


@dataclass(frozen=True)
class GridIntensity:
    """Carbon intensity of the electricity, with where the figure comes from."""

    g_per_kwh: float
    source: str
    evidence: str

    @classmethod
    def default(cls, params: Registry | None = None) -> GridIntensity:
        """The registry's published world average (``grid.world_average_intensity``)."""
        p = (params or default_registry())[GRID_KEY]
        return cls(round(p.value / _G_PER_KWH, 9), f"{GRID_KEY}: {p.source.citation} ({p.locator})",
                   p.evidence)

    @classmethod
    def given(cls, g_per_kwh: float) -> GridIntensity:
        """A figure the user gave (e.g. their grid operator's), labelled as theirs."""
        if not (math.isfinite(g_per_kwh) and 0 <= g_per_kwh <= 5000):
            raise SpecError(f"--grid-gco2-per-kwh must be within [0, 5000] gCO2/kWh, got "
                            f"{g_per_kwh!r}")
        return cls(float(g_per_kwh), "given by the user (--grid-gco2-per-kwh)", "user")

    def grams(self, energy_j: float) -> float:
        """gCO2 emitted for ``energy_j`` of electricity."""
        return energy_j / 3.6e6 * self.g_per_kwh


@dataclass(frozen=True)
class CommandMeasurement:
    """What :func:`measure_command` returns."""

    argv: tuple[str, ...]
    exit_code: int
    time_s: float
    readings: tuple[Reading, ...]
    grid: GridIntensity | None = None

    @property
    def complete(self) -> bool:
        return self.exit_code == 0 and all(r.complete for r in self.readings)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN energies become null)."""
        rows = []
        for r in self.readings:
            e = r.energy_j if math.isfinite(r.energy_j) else None
            p = r.mean_power_w if math.isfinite(r.mean_power_w) else None
            row: dict[str, Any] = {"device": r.device, "energy_j": e, "time_s": r.time_s,
                                   "mean_power_w": p, "label": r.label, "covers": r.covers,
                                   "method": r.method, "complete": r.complete, "note": r.note}
            if self.grid is not None:
                row["co2_g"] = None if e is None else self.grid.grams(e)
            rows.append(row)
        out: dict[str, Any] = {"command": list(self.argv), "exit_code": self.exit_code,
                               "complete": self.complete, "time_s": self.time_s,
                               "readings": rows}
        if self.grid is not None:
            out["grid"] = {"gco2_per_kwh": self.grid.g_per_kwh, "source": self.grid.source,
                           "evidence": self.grid.evidence}
        return out


def _check_argv(argv: Sequence[str]) -> list[str]:
    args = [str(a) for a in argv]
    if not args:
        raise SpecError("no command to measure; put it after '--', e.g. "
                        "wattlab measure -- python train.py")
    exe = args[0]
    if not exe.strip() or "\x00" in exe:
        raise SpecError(f"command {exe!r} is not a program name; e.g. wattlab measure -- "
                        "python train.py")
    if shutil.which(exe) is None:
        if os.sep in exe and os.path.exists(exe):
            raise SpecError(f"command '{exe}' is not executable; chmod +x it or run it through "
                            "its interpreter (e.g. python script.py)")
        raise SpecError(f"command '{exe}' not found (not a file, not on PATH); check the name "
                        "or give its full path")
    return args


def _exit_code(rc: int) -> int:
    """Shell convention: a command killed by signal N exits 128 + N."""
    return 128 - rc if rc < 0 else rc


def measure_command(argv: Sequence[str], devices: str | Sequence[str] = "auto", *,
                    interval_s: float = 0.1, grid: GridIntensity | None = None,
                    **meter_kw: Any) -> CommandMeasurement:
    """Run ``argv`` under a meter and return its labelled readings and exit code.

    ``devices`` and ``meter_kw`` are as for :func:`wattlab.measure.meter`; ``interval_s`` is
    the NVML power sample period (and, at ≥ 1 s, the RAPL poll period). A missing executable
    or an absent device is a :class:`~wattlab.errors.SpecError` /
    :class:`~wattlab.measure.MeterError` raised before the command starts. Ctrl-C is passed to
    the command; the readings up to then are returned, flagged incomplete, with exit code 130.
    """
    args = _check_argv(argv)
    if not (math.isfinite(interval_s) and 0.001 <= interval_s <= 60):
        raise SpecError(f"--interval must be within [0.001, 60] s, got {interval_s!r}")
    meter_kw.setdefault("estimate_scope", "children")
    meter_kw.setdefault("rapl_poll_s", max(interval_s, 1.0))
    m: Meter = meter(devices, sample_s=interval_s, **meter_kw)
    rc = 0
    interrupted = False
    with m:
        try:
            proc = subprocess.Popen(args)
        except OSError as exc:  # raced away, or not runnable (exec format error)
            raise SpecError(f"cannot start '{args[0]}': {exc.strerror or exc}") from None
        try:
            rc = proc.wait()
        except KeyboardInterrupt:
            interrupted = True
            proc.send_signal(signal.SIGINT)
            try:
                rc = proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = proc.wait()
    code = 130 if interrupted else _exit_code(rc)
    readings = m.readings
    if code != 0:
        why = ("interrupted" if interrupted else f"command exited with code {code}") + \
              "; energy up to that point"
        readings = tuple(replace(r, complete=False,
                                 note=f"{why}; {r.note}" if r.note else why) for r in readings)
    return CommandMeasurement(tuple(args), code, m.time_s, readings, grid)


F = TypeVar("F", bound=Callable[..., Any])


@overload
def measured(fn: F) -> F: ...


@overload
def measured(fn: None = None, *, devices: str | Sequence[str] = "auto",
             on_done: Callable[[Meter], None] | None = None, **meter_kw: Any) -> Callable[[F], F]:
    ...


def measured(fn: Callable[..., Any] | None = None, *, devices: str | Sequence[str] = "auto",
             on_done: Callable[[Meter], None] | None = None, **meter_kw: Any) -> Any:
    """Decorator form of :func:`wattlab.measure.meter`: every call of the function is metered.

    >>> @measured(devices="estimate")          # doctest: +SKIP
    ... def train(): ...
    >>> train(); print(train.last.readings)      # doctest: +SKIP

    The meter of the latest call is ``fn.last`` (also after the function raised);
    ``on_done(meter)`` is called after each call. Arguments are those of ``meter()``.
    """

    def wrap(f: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(f)
        def inner(*args: Any, **kwargs: Any) -> Any:
            m = meter(devices, **meter_kw)
            inner.last = m  # type: ignore[attr-defined]
            try:
                with m:
                    return f(*args, **kwargs)
            finally:
                if on_done is not None and m.readings:
                    on_done(m)

        inner.last = None  # type: ignore[attr-defined]
        return inner

    return wrap(fn) if fn is not None else wrap


__all__ = ["GRID_KEY", "CommandMeasurement", "GridIntensity", "measure_command", "measured"]
