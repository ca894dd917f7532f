"""`wattlab radio`: BER curves, energy per bit and crossover distances of IoT radios."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import typer

from wattlab.commands._options import count, finite, parse_grid
from wattlab.errors import SpecError

if TYPE_CHECKING:
    from wattlab.systems.radio import IndexModulation, NoiseMod, Psk

app = typer.Typer(help="IoT radio links: simulated BER, energy per bit, crossover distance.")

BER_SCHEMES = (
    "bpsk",
    "qpsk",
    "dsss",
    "ncfsk",
    "cim",
    "sm-cim",
    "stbc-sm-cim",
    "estbc-sm-cim",
    "noisemod",
)


#: Physical ranges of the inputs (outside them the link models are not meaningful).
EBN0_DB = (-30.0, 60.0)     # Eb/N0 grid, dB
DISTANCE_M = (1e-3, 1e7)    # link distance
CARRIER_HZ = (1e6, 3e11)    # 1 MHz .. 300 GHz
KAPPA = (1.5, 8.0)          # path-loss exponent: 2 free space, ~1.6 corridors, up to ~6 indoors
MAX_POINTS = 200            # grid points per command
#: Bit budget per point: 1e8 bits run for about a minute per point on one core.
MAX_BITS = 1e8
#: An energy per bit above this is outside any radio's range (an input is nonsense).
MAX_J_PER_BIT = 1.0


def parse_range(text: str, field: str, lo: float | None = None,
                hi: float | None = None) -> np.ndarray:
    """'0:2:12' (start:step:stop, inclusive) or '0,3,6' into a non-empty finite array of at most
    MAX_POINTS values within [lo, hi]."""
    from wattlab.systems.radio._checks import snr_grid

    return snr_grid(np.array(parse_grid(text, field, max_points=MAX_POINTS, lo=lo, hi=hi)), field)


def build_scheme(
    scheme: str,
    *,
    n_tx: int,
    n_rx: int,
    n_codes: int,
    code_length: int,
    family: str,
    psk: int,
    channel: str,
    detector: str,
    samples_per_bit: int,
    variance_ratio: float,
) -> Psk | IndexModulation | NoiseMod:
    from wattlab.systems.radio import IndexModulation, NoiseMod, Psk, dsss, ncfsk
    from wattlab.systems.radio._checks import choice

    choice(scheme, BER_SCHEMES, "scheme")
    if scheme in ("bpsk", "qpsk"):
        return Psk(2 if scheme == "bpsk" else 4, n_rx, channel)
    if scheme == "dsss":
        return dsss(psk, code_length=code_length, family=family, n_rx=n_rx, channel=channel)
    if scheme == "ncfsk":
        return ncfsk(n_codes, n_rx=n_rx, channel=channel)
    if scheme == "noisemod":
        return NoiseMod(
            samples_per_bit,
            variance_ratio,
            n_rx,
            channel,
            "fixed" if detector == "ml" else detector,
        )
    variant = {"cim": "sm", "sm-cim": "sm", "stbc-sm-cim": "stbc", "estbc-sm-cim": "estbc"}[scheme]
    return IndexModulation(
        variant,
        1 if scheme == "cim" else n_tx,
        n_rx,
        n_codes,
        code_length,
        family,
        psk,
        channel,
        detector,
    )


@app.command()
def ber(
    scheme: str = typer.Option("bpsk", help=f"one of {', '.join(BER_SCHEMES)}"),
    ebn0: str = typer.Option("0:2:12", help="Eb/N0 grid in dB: start:step:stop or a,b,c"),
    channel: str = typer.Option("awgn", help="awgn or rayleigh"),
    n_tx: int = count(1, 16, "transmit antennas (SM/STBC variants), 1..16", default=2),
    n_rx: int = count(1, 16, "receive antennas, 1..16", default=1),
    n_codes: int = count(1, 1024, "codebook size (power of two); M for NC-FSK", default=4),
    code_length: int = count(1, 4096, "chips per code, 1..4096", default=16),
    family: str = typer.Option("walsh", help="walsh, zadoff-chu, chirp, fsk or cpm"),
    psk: int = count(2, 64, "PSK order of the modulated symbol, 2..64", default=2),
    detector: str = typer.Option("ml", help="ml, low-complexity, noncoherent; NoiseMod: fixed/csi"),
    samples_per_bit: int = count(1, 4096, "NoiseMod samples per bit, 1..4096", default=16),
    variance_ratio: float = finite(0.0, 1e6, "NoiseMod σ0²/σ1² (> 0)", open_lo=True,
                                   default=1 / 9),
    target_errors: int = count(1, 10**6, "stop a point after this many bit errors",
                               default=200),
    max_bits: float = finite(1.0, MAX_BITS, "bit budget per point, at most 1e8 (about a "
                             "minute per point on one core)", default=1e6),
    seed: int = typer.Option(0, help="random seed"),
    theory: bool = typer.Option(True, help="print the closed form / union bound beside"),
) -> None:
    """Simulate BER against Eb/N0, with confidence intervals and the theory curve.

    Example: wattlab radio ber --scheme qpsk --ebn0 0:2:10 --max-bits 1e5
    """
    from rich.table import Table

    from wattlab.commands._output import literal_console
    from wattlab.systems.radio import simulate

    grid = parse_range(ebn0, "ebn0", *EBN0_DB)
    s = build_scheme(
        scheme,
        n_tx=n_tx,
        n_rx=n_rx,
        n_codes=n_codes,
        code_length=code_length,
        family=family,
        psk=psk,
        channel=channel,
        detector=detector,
        samples_per_bit=samples_per_bit,
        variance_ratio=variance_ratio,
    )
    pts = simulate(
        s,
        grid,
        np.random.default_rng(seed),
        target_errors=target_errors,
        max_bits=max_bits,
    )
    th = None
    if theory:
        try:
            th = np.asarray(s.ber_theory(10 ** (grid / 10)), dtype=float)
        except SpecError:
            th = None

    def theory_cell(v: float) -> str:
        if not np.isfinite(v):
            return "-"
        return "> 0.5 (bound)" if v > 0.5 else f"{v:.3g}"
    t = Table(title=s.name)
    for col in ("Eb/N0 (dB)", "BER", "95% CI", "errors / bits", "stopped by", "theory"):
        t.add_column(col, justify="right")
    for i, p in enumerate(pts):
        t.add_row(
            f"{p.ebn0_db:g}",
            f"{p.ber:.3g}" if p.bit_errors else "0",
            f"[{p.ber_ci[0]:.3g}, {p.ber_ci[1]:.3g}]",
            f"{p.bit_errors} / {p.bits}",
            p.stopped_by,
            theory_cell(float(th[i])) if th is not None else "-",
        )
    literal_console().print(t)
    if th is not None and np.any(th > 0.5):
        literal_console().print("theory '> 0.5 (bound)': the union bound exceeds 0.5 there, so it says "
                        "nothing; a BER is at most 0.5", markup=False)


@app.command()
def energy(
    scheme: str = typer.Option("bpsk", help="bpsk, qpsk, dsss, ncfsk or noisemod"),
    distance: str = typer.Option("10,100,1000", help="distances in m: a,b,c or start:step:stop"),
    target_ber: float = finite(0.0, 0.5, "target bit-error rate, in (0, 0.5)", open_lo=True,
                               open_hi=True, default=1e-3),
    carrier: float = finite(*CARRIER_HZ, "carrier frequency in Hz, 1e6..3e11 (default "
                            "radio.toml)", default=None),
    kappa: float = finite(*KAPPA, "path-loss exponent, 1.5..8 (default radio.toml)",
                          default=None),
) -> None:
    """Energy per bit by component at each distance.

    Example: wattlab radio energy --scheme noisemod --distance 1:10:101
    """
    from rich.table import Table

    from wattlab.commands._output import literal_console
    from wattlab.systems.radio import energy_per_bit
    from wattlab.systems.radio._checks import positive_array
    from wattlab.units import format_si

    ds = positive_array(parse_range(distance, "distance", *DISTANCE_M), "distance")
    t = Table(title=f"{scheme}: energy per bit at BER {target_ber:g}")
    cols = ("pa", "tx_circuit", "rx_circuit", "dac", "adc")
    for c in ("distance", *cols, "total"):
        t.add_column(c, justify="right")
    for d in ds:
        cost = energy_per_bit(
            scheme, float(d), target_ber=target_ber, carrier_hz=carrier, path_loss_exponent=kappa
        )
        if not (np.isfinite(cost.energy_total_j) and cost.energy_total_j <= MAX_J_PER_BIT):
            raise SpecError(f"--distance {d:g} m needs {cost.energy_total_j:.3g} J per bit, beyond "
                            f"any radio ({MAX_J_PER_BIT:g} J/bit); shorten the distance or lower "
                            "--kappa")
        t.add_row(
            format_si(float(d), "m"),
            *(format_si(cost.energy_j[k], "J") for k in cols),
            format_si(cost.energy_total_j, "J"),
        )
    literal_console().print(t)


@app.command()
def crossover(
    low_power: str = typer.Option("noisemod", help="the low-circuit-power radio"),
    coherent: str = typer.Option("bpsk", help="the coherent radio"),
    carrier: str = typer.Option("433e6,868e6,2.4e9,5.8e9", help="carrier frequencies (Hz)"),
    kappa: float = finite(*KAPPA, "path-loss exponent, 1.5..8 (default radio.toml)",
                          default=None),
    target_ber: float = finite(0.0, 0.5, "target bit-error rate, in (0, 0.5)", open_lo=True,
                               open_hi=True, default=1e-3),
) -> None:
    """Crossover distance d* between two radios against carrier frequency.

    Example: wattlab radio crossover --carrier 868e6,2.4e9 --kappa 3
    """
    from rich.table import Table

    from wattlab.commands._output import literal_console
    from wattlab.systems.radio import LinkBudget, crossover_distance
    from wattlab.systems.radio._checks import positive_array
    from wattlab.units import format_si

    fs = positive_array(parse_range(carrier, "carrier", *CARRIER_HZ), "carrier")
    t = Table(title=f"crossover {low_power} / {coherent} at BER {target_ber:g}")
    t.add_column("carrier", justify="right")
    t.add_column("d*", justify="right")
    for f in fs:
        d = crossover_distance(
            low_power,
            coherent,
            target_ber=target_ber,
            link=LinkBudget.from_params(carrier_hz=float(f), path_loss_exponent=kappa),
        )
        t.add_row(format_si(float(f), "Hz"), format_si(d, "m") if d is not None else "none")
    literal_console().print(t)
