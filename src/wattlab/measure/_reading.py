"""What a meter returns: one labelled Reading per device, and the errors meters raise."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from wattlab.errors import WattlabError


class MeterError(WattlabError):
    """A meter that was asked for cannot be used (no device, no permission, no driver)."""


class MeterLostError(MeterError):
    """A meter disappeared during a window and ``strict=True`` was asked for."""


@dataclass(frozen=True)
class Reading:
    """Energy and time of one device over one window.

    ``label`` is ``measured:nvml``, ``measured:rapl`` or ``estimated:<how>``; ``covers`` says
    what the number includes (e.g. "GPU board", "CPU package-0"); ``method`` how it was read.
    ``complete=False`` means the meter vanished mid-window: ``energy_j`` is then the energy up to
    the last good read (a lower bound), or NaN when nothing after the start could be read.
    """

    device: str
    energy_j: float
    time_s: float
    label: str
    covers: str
    method: str
    complete: bool = True
    note: str = ""

    @property
    def mean_power_w(self) -> float:
        return self.energy_j / self.time_s if self.time_s > 0 else math.nan

    @property
    def measured(self) -> bool:
        return self.label.startswith("measured:")

    def __str__(self) -> str:
        flag = "" if self.complete else " INCOMPLETE"
        return (f"{self.device}: {self.energy_j:.4g} J over {self.time_s:.4g} s "
                f"({self.mean_power_w:.4g} W) [{self.label}; {self.covers}]{flag}")


@dataclass
class ChannelResult:
    energy_j: float
    complete: bool = True
    note: str = ""


class Channel(Protocol):
    """One metered device. ``poll_s`` is None when the channel needs no polling."""

    device: str
    label: str
    covers: str
    method: str
    poll_s: float | None

    def start(self, t: float) -> None: ...

    def poll(self, t: float) -> None: ...

    def stop(self, t: float) -> ChannelResult: ...
