"""Yuan et al., Generalized 2-D index modulation in the code–spatial domain for LPWAN
(arXiv 2604.21812).

The roundup's "up to 57% energy saving" is not in the paper's abstract. The value is the
equal-BER comparison from the simulator: the transmit energy per bit an index-modulation scheme
saves against DSSS-8PSK at BER 1e-3 in Rayleigh fading (the best scheme; its interval from the
BER curves' 95% intervals). The bits-per-symbol arithmetic that gives 4/7 at equal *symbol*
energy (4 index bits + 3 8-PSK bits) is an identity of the configuration, shown beside it.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

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


_SIMS: dict[str, dict[str, list[Any]]] = {}


def _simulations(ctx: RunContext, grid: np.ndarray, budget: float) -> dict[str, list[Any]]:
    """The BER simulations, memoised per scale and random state: they read no registry value
    (Eb/N0 is normalised), so the sensitivity pass reuses them and reprices only the link."""
    key = f"{ctx.scale}:{ctx.rng.bit_generator.state}"
    if key not in _SIMS:
        _SIMS[key] = {name: simulate(s, grid, ctx.rng, target_errors=300, max_bits=budget)
                      for name, s in _schemes().items()}
    return _SIMS[key]


def _grid(ctx: RunContext) -> tuple[np.ndarray, float]:
    return np.arange(0.0, 21.0, 4.0 if ctx.quick else 2.0), 6e4 if ctx.quick else 1e6


def _value(ctx: RunContext) -> float:
    """The sensitivity pass's path: the equal-BER saving of the best scheme from the (memoised)
    simulations. It reads no registry value, so no assumed key can move it."""
    grid, budget = _grid(ctx)
    sims = _simulations(ctx, grid, budget)
    req = {n: _crossing(grid, np.array([p.ber for p in pts])) for n, pts in sims.items()}
    ref = req.pop("DSSS 8-PSK")
    return max(100 * (1 - 10 ** ((r - ref) / 10)) for r in req.values())


def run_energy_saving(ctx: RunContext) -> Outcome:
    hyp = IndexModulation("sm", 2, 2, 8, 16, "walsh", 8, "rayleigh", "ml")
    saving = hyp.index_bits / hyp.bits_per_frame
    grid, budget = _grid(ctx)
    lb = LinkBudget.from_params(ctx.params)
    pl = float(lb.path_loss(DISTANCE_M))
    curves, rows = {}, []
    sims = _simulations(ctx, grid, budget)
    for name, s in _schemes().items():
        pts = sims[name]
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
    def saving_db(req: float, ref: float) -> float:
        return 100 * (1 - 10 ** ((req - ref) / 10))

    ref = rows[0]["req_ebn0_db_sim"]
    # the required Eb/N0 read off the BER curves' interval ends (upper BER: more Eb/N0 needed)
    ends = {}
    for name, (pts, _) in curves.items():
        ends[name] = tuple(_crossing(grid, np.array([p.ber_ci[i] for p in pts])) for i in (0, 1))
    ref_lo, ref_hi = ends["DSSS 8-PSK"]
    for r, name in zip(rows, curves, strict=True):
        r["saving_vs_dsss_equal_ber"] = 1 - 10 ** ((r["req_ebn0_db_sim"] - ref) / 10)  # type: ignore[operator]
        lo, hi = ends[name]
        r["saving_pct_interval"] = (f"[{saving_db(hi, ref_lo):.1f}, {saving_db(lo, ref_hi):.1f}]"
                                    if r is not rows[0] else "")
    im_rows = [(r, n) for r, n in zip(rows, curves, strict=True) if r is not rows[0]]
    best, best_name = max(im_rows, key=lambda rn: rn[0]["saving_vs_dsss_equal_ber"])  # type: ignore[arg-type,return-value]
    b_lo, b_hi = ends[best_name]
    value = 100 * float(best["saving_vs_dsss_equal_ber"])  # type: ignore[arg-type]
    iv = sorted((saving_db(b_hi, ref_lo), saving_db(b_lo, ref_hi)))
    finite = all(math.isfinite(x) for x in (value, *iv))
    interval = (min(iv[0], value), max(iv[1], value)) if finite else None
    out = Outcome(
        value=value if math.isfinite(value) else None,
        interval=interval,
        needs="" if math.isfinite(value) else "a finer Eb/N0 grid or a larger bit budget: a BER "
                                              "curve did not reach the 1e-3 target",
        notes=[
            f"Value: the largest equal-BER saving among the index-modulation schemes ({best_name}): "
            f"the simulated Eb/N0 for BER {TARGET_BER:g} in Rayleigh fading with 2 receive "
            f"antennas, against DSSS-8PSK: {value:.1f}% less transmit energy per bit. Interval: "
            "the required Eb/N0 read off the ends of both BER curves' 95% intervals.",
            "Beside it, an identity (not the value): SM-CIM with 2 antennas, 8 codes and 8-PSK "
            f"carries {hyp.index_bits} index bits + {hyp.modulated_bits} modulated bits per symbol, "
            f"so at equal *symbol* energy its energy per bit is {hyp.modulated_bits}/"
            f"{hyp.bits_per_frame} of DSSS-8PSK: a saving of {saving:.1%} — the arithmetic of the "
            "paper's own configuration, which a roundup may have quoted as '57%' (table "
            "'bits_per_symbol').",
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
            "identity (bits per symbol, equal symbol energy)": [
                {"configuration": "SM-CIM 2 tx, 8 codes, 8-PSK", "index_bits": hyp.index_bits,
                 "modulated_bits": hyp.modulated_bits, "saving_pct": 100 * saving}],
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
            metric="transmit energy saving per bit vs DSSS-8PSK at equal BER 1e-3 (best scheme)",
            unit="%",
            paper_value=57.0,
            rel_tol=0.02,
            kind="approx",
            trend_threshold=0.0,
        ),
        run=run_energy_saving,
        modelled=_value,
        evidence="modelled",
        boundary="transmit (radiated) energy per bit only; no circuit or detector energy",
        inputs_from_paper=(
            "scheme family SM-CIM/STBC-SM-CIM (abstract)",
            "57% figure (roundup; compared against only)",
        ),
    ),
]
