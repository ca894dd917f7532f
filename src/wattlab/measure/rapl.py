"""CPU energy through the Linux powercap RAPL tree (``/sys/class/powercap``).

Top-level ``*-rapl:N`` zones are CPU packages; their ``dram`` sub-zones are read only when asked
(summing a package and its sub-zones double counts). ``energy_uj`` wraps at
``max_energy_range_uj``: the meter polls every ``poll_s`` seconds (far below the wrap period of
the ranges kernels report) and adds the range whenever a reading goes down.
"""

from __future__ import annotations

import re
from pathlib import Path

from wattlab.measure._reading import ChannelResult, MeterError

_ZONE = re.compile(r"^[a-z]+-rapl:(\d+)$")
_SUBZONE = re.compile(r"^[a-z]+-rapl:(\d+):(\d+)$")


def _read_int(path: Path) -> int:
    return int(path.read_text().strip())


def find_zones(root: Path, kind: str = "package") -> tuple[list[Path], str]:
    """Readable zones of ``kind`` ("package" or "dram") under ``root``, or [] and the reason."""
    if not root.is_dir():
        return [], f"no powercap tree at {root} (not Linux, or RAPL not exposed to this machine)"
    pattern = _ZONE if kind == "package" else _SUBZONE
    zones = sorted((d for d in root.iterdir() if pattern.match(d.name)
                    and (kind == "package" or (d / "name").read_text().strip() == kind)),
                   key=lambda d: d.name)
    if not zones:
        return [], f"no RAPL {kind} zone under {root}"
    try:
        for z in zones:
            _read_int(z / "energy_uj")
    except PermissionError:
        return [], (f"RAPL counters under {root} are not readable (permission denied); run as "
                    f"root or grant read access: sudo chmod a+r {root}/*/energy_uj")
    return zones, ""


class RaplChannel:
    """One RAPL zone, with wrap-around handled by polling."""

    label = "measured:rapl"
    method = "RAPL energy_uj counter, polled for wrap-around"

    def __init__(self, zone: Path, poll_s: float) -> None:
        self.zone = zone
        name = (zone / "name").read_text().strip()
        package = zone.name.split(":")[1]
        if _ZONE.match(zone.name):
            self.device, self.covers = f"cpu:{name}", f"CPU {name} (RAPL)"
        else:
            self.device, self.covers = f"{name}:{package}", f"{name} of package {package} (RAPL)"
        self.poll_s: float | None = poll_s
        try:
            self.max_uj = _read_int(zone / "max_energy_range_uj")
        except (OSError, ValueError) as exc:
            raise MeterError(f"{zone}/max_energy_range_uj unreadable ({exc}); cannot handle "
                             "counter wrap-around") from exc
        self._last = 0
        self._acc_uj = 0
        self._lost = ""

    def start(self, t: float) -> None:
        self._last = _read_int(self.zone / "energy_uj")

    def poll(self, t: float) -> None:
        if self._lost:
            return
        try:
            cur = _read_int(self.zone / "energy_uj")
        except (OSError, ValueError) as exc:
            self._lost = f"read failed at t={t:.3f} s: {exc}"
            return
        delta = cur - self._last
        if delta < 0:
            delta += self.max_uj
        self._acc_uj += delta
        self._last = cur

    def stop(self, t: float) -> ChannelResult:
        self.poll(t)
        energy = self._acc_uj * 1e-6
        if self._lost:
            return ChannelResult(energy, False, f"RAPL zone vanished mid-window; energy up to the "
                                 f"last good read ({self._lost})")
        return ChannelResult(energy)
