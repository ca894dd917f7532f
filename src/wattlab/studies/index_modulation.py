"""Yuan et al., Generalized 2-D index modulation in the code–spatial domain for LPWAN
(arXiv 2604.21812).

The roundup's "up to 57% energy saving" is not in the paper's abstract; the study tests the
hypothesis that it is the bits-per-symbol arithmetic of index modulation: at equal symbol energy,
a frame with n_index index bits and n_mod modulated bits spends n_mod/(n_index + n_mod) of the
energy per bit of DSSS carrying only the n_mod bits; 4 index bits + 3 (8-PSK) bits give 4/7.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from wattlab.study import Claim, Outcome, RunContext, Study
from wattlab.systems.radio import IndexModulation, LinkBudget, dsss, simulate, union_bound
from wattlab.systems.radio.link import pa_energy_per_loss

PAPER = "Generalized Two-Dimensional Index Modulation in the Code-Spatial Domain for LPWAN"
TARGET_BER = 1e-3
DISTANCE_M = 100.0  # link length for the illustrative energy-per-bit figures


FINE = np.arange(-5.0, 40.0, 0.25)


def _crossing(grid: np.ndarray, ber: np.ndarray) -> float:
    """Eb/N0 (dB) where a BER curve first falls to TARGET_BER (log-linear interpolation)."""
    below = np.nonzero((ber <= TARGET_BER) & (ber > 0))[0]
    if not below.size or below[0] == 0:
        return math.nan
    i = below[0]
    y0, y1 = np.log(ber[i - 1]), np.log(ber[i])
    return float(grid[i - 1] + (np.log(TARGET_BER) - y0) / (y1 - y0) * (grid[i] - grid[i - 1]))


def _arithmetic_table() -> list[dict[str, float]]:
    rows = []
    for nt, nc, m in itertools.product((1, 2, 4), (1, 2, 4, 8, 16), (2, 4, 8)):
        n_idx, n_mod = int(math.log2(nt * nc)), int(math.log2(m))
        rows.append(
            {
                "n_tx": nt,
                "n_codes": nc,
                "psk": m,
                "index_bits": n_idx,
                "mod_bits": n_mod,
                "saving_equal_Es": n_idx / (n_idx + n_mod),
            }
        )
    return rows


def _schemes() -> dict[str, IndexModulation]:
    def im(variant: str, n_tx: int, n_codes: int, psk: int, detector: str) -> IndexModulation:
        return IndexModulation(variant, n_tx, 2, n_codes, 16, "walsh", psk, "rayleigh", detector)

    return {
        "DSSS 8-PSK": dsss(8, n_rx=2, channel="rayleigh"),
        "SM-CIM ML": im("sm", 2, 8, 8, "ml"),
        "SM-CIM low-complexity": im("sm", 2, 8, 8, "low-complexity"),
        "STBC-SM-CIM ML": im("stbc", 4, 4, 4, "ml"),
    }


def run_energy_saving(ctx: RunContext) -> Outcome:
    hyp = IndexModulation("sm", 2, 2, 8, 16, "walsh", 8, "rayleigh", "ml")
    saving = hyp.index_bits / hyp.bits_per_frame
    grid = np.arange(0.0, 21.0, 4.0 if ctx.quick else 2.0)
    budget = 6e4 if ctx.quick else 1e6
    lb = LinkBudget.from_params(ctx.params)
    pl = float(lb.path_loss(DISTANCE_M))
    curves, rows = {}, []
    for name, s in _schemes().items():
        pts = simulate(s, grid, ctx.rng, target_errors=300, max_bits=budget)
        ub = union_bound(s, 10 ** (grid / 10)) if s.detector == "ml" else None
        curves[name] = (pts, ub)
        req_ub = _crossing(FINE, union_bound(s, 10 ** (FINE / 10))) if ub is not None else math.nan
        req_mc = _crossing(grid, np.array([p.ber for p in pts]))
        rows.append(
            {
                "scheme": s.name,
                "bits_per_frame": s.bits_per_frame,
                "index_bits": s.index_bits,
                "req_ebn0_db_sim": req_mc,
                "req_ebn0_db_union_bound": req_ub,
                "pa_energy_per_bit_J_at_100m_sim": pa_energy_per_loss(req_mc, lb) * pl
                if math.isfinite(req_mc)
                else math.nan,
            }
        )
    ref = rows[0]["req_ebn0_db_sim"]
    for r in rows:
        r["saving_vs_dsss_equal_ber"] = 1 - 10 ** ((r["req_ebn0_db_sim"] - ref) / 10)  # type: ignore[operator]
    out = Outcome(
        value=100 * saving,
        notes=[
            "Hypothesis (not from the paper, whose body was not available): the 57% is the "
            "bits-per-symbol arithmetic of index modulation. SM-CIM with 2 antennas, 8 codes and "
            f"8-PSK carries {hyp.index_bits} index bits + {hyp.modulated_bits} modulated bits per "
            f"symbol, so at equal symbol energy its energy per bit is {hyp.modulated_bits}/"
            f"{hyp.bits_per_frame} of DSSS-8PSK: a saving of {saving:.1%}. The configuration was "
            "chosen because it yields 4/7, so this is a consistency check of the hypothesis, not "
            "an independent reproduction.",
            "At equal BER (the honest comparison) the saving differs: table 'equal_ber' gives the "
            f"simulated Eb/N0 for BER {TARGET_BER:g} in Rayleigh fading with 2 receive antennas "
            f"(SM-CIM ML: {rows[1]['saving_vs_dsss_equal_ber']:.1%} less transmit energy per bit "
            "than DSSS-8PSK; low-complexity detector: "
            f"{rows[2]['saving_vs_dsss_equal_ber']:.1%}).",
            "Transmitter, pair codebook and ESTBC construction are reconstructions from the CIM/SM/"
            "STBC-SM literature (research notes §4.2); the ML union bound is checked to lie above "
            "the simulation in tests/radio.",
            f"Simulation budget per point: {budget:g} bits or 300 errors on a "
            f"{grid[1] - grid[0]:g} dB grid; BER intervals are 95% Wilson intervals with a "
            "design-effect correction for multi-bit frames. The equal-BER Eb/N0 values are "
            "log-linear interpolations between grid points (about ±0.5 dB at quick scale), so "
            "small ML vs low-complexity differences there are not significant.",
        ],
        tables={
            "bits_per_symbol": _arithmetic_table(),
            "equal_ber": rows,
            "ber": [{"scheme": n, **p.as_row()} for n, (pts, _) in curves.items() for p in pts],
        },
    )
    from matplotlib.figure import Figure

    from wattlab.studies._radio_plots import ber_axes, ber_with_ci

    fig = Figure(figsize=(6.5, 4.5))
    ax = fig.subplots()
    for name, (pts, ub) in curves.items():
        colour = ber_with_ci(ax, pts, name)
        if ub is not None:
            ax.plot(grid, ub, ls=":", color=colour, label=f"{name} union bound")
    ber_axes(ax, "Index modulation, Rayleigh, 2 rx antennas")
    out.figure("ber_index_modulation", fig)
    return out


STUDIES = [
    Study(
        id="index-modulation.energy-saving",
        paper=PAPER,
        arxiv="2604.21812",
        claim=Claim(
            text="Code-spatial index modulation gives up to 57% energy saving",
            metric="transmit energy saving per bit vs DSSS at equal symbol energy",
            unit="%",
            paper_value=57.0,
            rel_tol=0.02,
            kind="approx",
            trend_threshold=0.0,
        ),
        run=run_energy_saving,
        evidence="identity",
        boundary="transmit (radiated) energy per bit only; no circuit or detector energy",
        inputs_from_paper=(
            "scheme family SM-CIM/STBC-SM-CIM (abstract)",
            "57% figure (roundup, used to choose the 4+3-bit configuration)",
        ),
    ),
]
