"""A labelled estimate of CPU energy: the device class's power model × measured utilisation.

``P = idle + (TDP - idle) × u`` with TDP and idle power of a registry device (default
``cpu_2core``) and ``u`` the CPU utilisation over the window: this process's CPU time
(``scope="process"``, all threads, ``time.process_time``), this process plus its finished child
processes (``scope="children"``, ``os.times``: what ``wattlab measure`` uses for a command it
waited for) or the whole machine's busy time from ``/proc/stat`` (``scope="system"``), divided
by wall time × the device's cores, clipped to 1. It is a model, never a measurement, and always
labelled ``estimated:...``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from wattlab.errors import SpecError
from wattlab.hardware import Device
from wattlab.measure._reading import ChannelResult, MeterError
from wattlab.params import Registry


def _busy_seconds(proc_stat: Path) -> float:
    """Busy CPU seconds of the whole machine (all CPUs) since boot, from /proc/stat."""
    try:
        first = proc_stat.read_text().splitlines()[0].split()
    except OSError as exc:
        raise MeterError(f"the system-wide CPU estimate reads {proc_stat} ({exc}); on a "
                         "machine without it use estimate_scope='process'") from exc
    if first[0] != "cpu":
        raise MeterError(f"{proc_stat}: first line is not the aggregate 'cpu' line")
    ticks = [int(x) for x in first[1:]]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class EstimateChannel:
    """CPU energy estimated from a registry device's power model and measured utilisation."""

    poll_s: float | None = None

    def __init__(self, device_name: str, scope: str, params: Registry | None,
                 proc_stat: Path) -> None:
        if scope not in ("process", "children", "system"):
            raise SpecError(f"estimate scope must be 'process', 'children' or 'system', got "
                            f"{scope!r}")
        self.dev = Device.from_registry(device_name, params)
        if not self.dev.cores:
            raise SpecError(f"device '{device_name}' has no dev.{device_name}.cores entry; the CPU "
                            "estimate needs a CPU class (e.g. cpu_2core)")
        self.cores = self.dev.cores
        self.scope = scope
        self.proc_stat = proc_stat
        self.device = "cpu"
        self.label = f"estimated:tdp-x-utilisation({device_name},{scope})"
        self.covers = (f"CPU model '{device_name}' ({self.dev.cores} cores, idle "
                       f"{self.dev.idle_power:g} W, TDP {self.dev.tdp:g} W)")
        self.method = (f"idle + (TDP - idle) x {scope} CPU utilisation; a model, not a "
                       "measurement")
        self._c0 = 0.0
        self._t0 = 0.0

    def _cpu_seconds(self) -> float:
        if self.scope == "process":
            return time.process_time()
        if self.scope == "children":
            t = os.times()
            return time.process_time() + t.children_user + t.children_system
        return _busy_seconds(self.proc_stat)

    def start(self, t: float) -> None:
        self._t0 = t
        self._c0 = self._cpu_seconds()

    def poll(self, t: float) -> None:
        """No polling: utilisation comes from cumulative CPU time at the edges."""

    def stop(self, t: float) -> ChannelResult:
        wall = t - self._t0
        if wall <= 0:
            return ChannelResult(0.0, True, "empty window")
        u = min(max((self._cpu_seconds() - self._c0) / (wall * self.cores), 0.0), 1.0)
        power = self.dev.idle_power + (self.dev.tdp - self.dev.idle_power) * u
        return ChannelResult(power * wall, True, f"utilisation {u:.3f}")
