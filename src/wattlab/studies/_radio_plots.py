"""Plot helpers shared by the radio studies."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_hex

from wattlab.systems.radio import BerPoint


def ber_with_ci(ax: Axes, points: Sequence[BerPoint], label: str) -> str:
    """Simulated BER with its confidence interval as error bars; returns the line colour."""
    x = np.array([p.ebn0_db for p in points])
    ber = np.array([p.ber for p in points])
    lo = np.clip(ber - np.array([p.ber_ci[0] for p in points]), 0, None)
    hi = np.clip(np.array([p.ber_ci[1] for p in points]) - ber, 0, None)
    bar = ax.errorbar(
        x,
        np.where(ber > 0, ber, np.nan),
        yerr=[lo, hi],
        marker="o",
        ls="-",
        capsize=2,
        label=f"{label} (sim)",
    )
    return to_hex(bar[0].get_color())


def ber_axes(ax: Axes, title: str) -> None:
    ax.set(yscale="log", xlabel="Eb/N0 (dB)", ylabel="BER", ylim=(1e-5, 0.6), title=title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
