"""The ``meter()`` context manager: resolves devices to channels and runs the window."""

from __future__ import annotations

import math
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType, TracebackType

from wattlab.errors import SpecError
from wattlab.measure._reading import Channel, MeterError, MeterLostError, Reading
from wattlab.measure.estimate import EstimateChannel
from wattlab.measure.nvml import load_nvml, nvml_channels
from wattlab.measure.rapl import RaplChannel, find_zones
from wattlab.params import Registry


def _sync_gpu() -> None:
    """Wait for queued CUDA work, if torch is already imported and CUDA is in use."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()


class Meter:
    """A measurement window over one or more devices; see :func:`meter`."""

    def __init__(self, devices: Sequence[str], *, strict: bool, sample_s: float,
                 rapl_poll_s: float, rapl_root: Path, estimate_device: str,
                 estimate_scope: str, params: Registry | None, proc_stat: Path) -> None:
        self.devices = tuple(devices)
        self.strict = strict
        self.sample_s = sample_s
        self.rapl_poll_s = rapl_poll_s
        self.rapl_root = rapl_root
        self.estimate_device = estimate_device
        self.estimate_scope = estimate_scope
        self.params = params
        self.proc_stat = proc_stat
        self.readings: tuple[Reading, ...] = ()
        self.time_s = math.nan
        self._channels: list[Channel] = []
        self._nvml: ModuleType | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- device resolution ------------------------------------------------------------------
    def _estimate(self) -> Channel:
        return EstimateChannel(self.estimate_device, self.estimate_scope, self.params,
                               self.proc_stat)

    def _resolve(self) -> list[Channel]:
        out: list[Channel] = []
        why: list[str] = []
        for spec in self.devices:
            if spec == "auto":
                gpus = self._gpus("gpu", why, required=False)
                cpus = self._rapl("package", why)
                if not gpus and not cpus:
                    self._warn_no_meter(why)
                    cpus = [self._estimate()]
                elif not cpus:
                    warnings.warn(f"CPU energy is not measured ({why[-1]}); the readings cover "
                                  "the GPU boards only. Add 'estimate' to devices for a labelled "
                                  "CPU estimate", stacklevel=3)
                out += gpus + cpus
            elif spec == "gpu" or spec.startswith("gpu:"):
                out += self._gpus(spec, why, required=True)
            elif spec in ("cpu", "dram"):
                found = self._rapl("package" if spec == "cpu" else "dram", why)
                if not found and spec == "cpu":
                    self._warn_no_meter(why)
                    found = [self._estimate()]
                elif not found:
                    raise MeterError(f"no RAPL dram meter: {why[-1]}")
                out += found
            elif spec == "estimate":
                out.append(self._estimate())
            else:
                raise SpecError(f"unknown meter device '{spec}'; use 'auto', 'gpu', 'gpu:N', "
                                "'cpu', 'dram' or 'estimate'")
        names = [c.device for c in out]
        if len(set(names)) != len(names):
            raise SpecError(f"meter devices {list(self.devices)} name a device twice ({names})")
        return out

    def _gpus(self, spec: str, why: list[str], *, required: bool) -> list[Channel]:
        if self._nvml is None:
            self._nvml, reason = load_nvml()
            if self._nvml is None:
                why.append(f"NVML: {reason}")
                if required:
                    raise MeterError(f"cannot meter '{spec}': {reason}. A GPU without NVML has "
                                     "no utilisation to estimate from; drop 'gpu' from devices")
                return []
        return list(nvml_channels(self._nvml, spec, self.sample_s))

    def _rapl(self, kind: str, why: list[str]) -> list[Channel]:
        zones, reason = find_zones(self.rapl_root, kind)
        if reason:
            why.append(f"RAPL: {reason}")
        return [RaplChannel(z, self.rapl_poll_s) for z in zones]

    def _warn_no_meter(self, why: list[str]) -> None:
        warnings.warn(f"no energy meter found ({'; '.join(why)}); the CPU reading will be "
                      f"ESTIMATED from the '{self.estimate_device}' power model × "
                      f"{self.estimate_scope} utilisation and labelled estimated:...",
                      stacklevel=4)

    # -- the window ---------------------------------------------------------------------------
    def __enter__(self) -> Meter:
        self._channels = self._resolve()
        _sync_gpu()
        self._t0 = time.perf_counter()
        for ch in self._channels:
            ch.start(self._t0)
        pollers = [c for c in self._channels if c.poll_s is not None]
        if pollers:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, args=(pollers,), daemon=True,
                                            name="wattlab-meter")
            self._thread.start()
        return self

    def _run(self, pollers: list[Channel]) -> None:
        tick = min(c.poll_s for c in pollers if c.poll_s is not None)
        due = {id(c): self._t0 + (c.poll_s or tick) for c in pollers}
        while not self._stop.wait(tick):
            now = time.perf_counter()
            for c in pollers:
                if now >= due[id(c)]:
                    c.poll(now)
                    due[id(c)] = now + (c.poll_s or tick)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        _sync_gpu()
        t1 = time.perf_counter()
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.time_s = t1 - self._t0
        readings = []
        for ch in self._channels:
            r = ch.stop(t1)
            readings.append(Reading(ch.device, r.energy_j, self.time_s, ch.label, ch.covers,
                                    ch.method, r.complete, r.note))
        self.readings = tuple(readings)
        if self._nvml is not None:
            self._nvml.nvmlShutdown()
            self._nvml = None
        lost = [r for r in readings if not r.complete]
        if lost and exc_type is None:
            msg = "; ".join(f"{r.device}: {r.note}" for r in lost)
            if self.strict:
                raise MeterLostError(f"meter lost during the window: {msg}")
            warnings.warn(f"meter lost during the window, reading(s) flagged incomplete: {msg}",
                          stacklevel=2)

    # -- results --------------------------------------------------------------------------
    def __getitem__(self, device: str) -> Reading:
        for r in self.readings:
            if r.device == device:
                return r
        raise MeterError(f"no reading for '{device}'; this window has "
                         f"{[r.device for r in self.readings] or 'no readings yet'}")

    def total_j(self, kind: str = "measured") -> float:
        """Energy summed over the readings of one kind ("measured" or "estimated"), never both.

        Raises when there is no reading of that kind or one of them is incomplete.
        """
        if kind not in ("measured", "estimated"):
            raise SpecError(f"kind must be 'measured' or 'estimated', got {kind!r}")
        rs = [r for r in self.readings if r.label.startswith(kind + ":")]
        if not rs:
            raise MeterError(f"no {kind} reading in this window "
                             f"({[r.label for r in self.readings]})")
        bad = [r.device for r in rs if not r.complete]
        if bad:
            raise MeterError(f"readings {bad} are incomplete (meter lost); their energy is a "
                             "lower bound, so no total is given")
        return math.fsum(r.energy_j for r in rs)


def meter(devices: str | Sequence[str] = "auto", *, strict: bool = False, sample_s: float = 0.1,
          rapl_poll_s: float = 1.0, rapl_root: str | Path = "/sys/class/powercap",
          estimate_device: str = "cpu_2core", estimate_scope: str = "process",
          params: Registry | None = None, proc_stat: str | Path = "/proc/stat") -> Meter:
    """Measure energy, time and mean power per device over a ``with`` block.

    ``devices``: "auto" (every NVML GPU and RAPL package; the CPU estimate, with a warning,
    when there is neither), "gpu" / "gpu:N" (NVML; an error without NVML), "cpu" (RAPL
    packages; the estimate with a warning when RAPL is absent), "dram" (RAPL dram zones),
    "estimate" (the CPU estimate, asked for, so no warning). Readings are labelled
    ``measured:nvml``, ``measured:rapl`` or ``estimated:...`` and are never summed across kinds.

    A meter that disappears mid-window gives a reading with ``complete=False`` (energy up to the
    last good read, or NaN) and a warning; ``strict=True`` raises :class:`MeterLostError`
    instead. Use ``m.readings``, ``m["gpu:0"]``, ``m.time_s``, ``m.total_j("measured")``.
    """
    devs = [devices] if isinstance(devices, str) else list(devices)
    if not devs:
        raise SpecError("meter needs at least one device (or 'auto')")
    for name, v in (("sample_s", sample_s), ("rapl_poll_s", rapl_poll_s)):
        if not v > 0:
            raise SpecError(f"meter: '{name}' must be > 0 seconds, got {v!r}")
    return Meter(devs, strict=strict, sample_s=sample_s, rapl_poll_s=rapl_poll_s,
                 rapl_root=Path(rapl_root), estimate_device=estimate_device,
                 estimate_scope=estimate_scope, params=params, proc_stat=Path(proc_stat))
