"""`wattlab radio`: BER curves, energy per bit and crossover distances of IoT radios."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import typer

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


def parse_range(text: str, field: str) -> np.ndarray:
    """'0:2:12' (start:step:stop, inclusive) or '0,3,6' into a non-empty finite array."""
    from wattlab.systems.radio._checks import snr_grid

    try:
        if ":" in text:
            parts = [float(x) for x in text.split(":")]
            if len(parts) != 3 or parts[1] <= 0:
                raise ValueError
            start, step, stop = parts
            values = np.arange(start, stop + step / 2, step)
        else:
            values = np.array([float(x) for x in text.split(",") if x.strip()])
    except ValueError:
        raise SpecError(
            f"{field}: '{text}' is not 'start:step:stop' (step > 0) or a comma list of numbers"
        ) from None
    return snr_grid(values, field)


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
    n_tx: int = typer.Option(2, help="transmit antennas (SM/STBC variants)"),
    n_rx: int = typer.Option(1, help="receive antennas"),
    n_codes: int = typer.Option(4, help="codebook size (power of two); M for NC-FSK"),
    code_length: int = typer.Option(16, help="chips per code"),
    family: str = typer.Option("walsh", help="walsh, zadoff-chu, chirp, fsk or cpm"),
    psk: int = typer.Option(2, help="PSK order of the modulated symbol"),
    detector: str = typer.Option("ml", help="ml, low-complexity, noncoherent; NoiseMod: fixed/csi"),
    samples_per_bit: int = typer.Option(16, help="NoiseMod samples per bit"),
    variance_ratio: float = typer.Option(1 / 9, help="NoiseMod σ0²/σ1²"),
    target_errors: int = typer.Option(200, help="stop a point after this many bit errors"),
    max_bits: float = typer.Option(1e6, help="bit budget per point"),
    seed: int = typer.Option(0, help="random seed"),
    theory: bool = typer.Option(True, help="print the closed form / union bound beside"),
) -> None:
    """Simulate BER against Eb/N0, with confidence intervals and the theory curve."""
    from rich.console import Console
    from rich.table import Table

    from wattlab.systems.radio import simulate

    grid = parse_range(ebn0, "ebn0")
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
            th = s.ber_theory(10 ** (grid / 10))
        except SpecError:
            th = None
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
            f"{th[i]:.3g}" if th is not None else "-",
        )
    Console().print(t)


@app.command()
def energy(
    scheme: str = typer.Option("bpsk", help="bpsk, qpsk, dsss, ncfsk or noisemod"),
    distance: str = typer.Option("10,100,1000", help="distances in m: a,b,c or start:step:stop"),
    target_ber: float = typer.Option(1e-3, help="target bit-error rate"),
    carrier: float = typer.Option(None, help="carrier frequency in Hz (default radio.toml)"),
    kappa: float = typer.Option(None, help="path-loss exponent (default radio.toml)"),
) -> None:
    """Energy per bit by component at each distance."""
    from rich.console import Console
    from rich.table import Table

    from wattlab.systems.radio import energy_per_bit
    from wattlab.systems.radio._checks import positive_array
    from wattlab.units import format_si

    ds = positive_array(parse_range(distance, "distance"), "distance")
    t = Table(title=f"{scheme}: energy per bit at BER {target_ber:g}")
    cols = ("pa", "tx_circuit", "rx_circuit", "dac", "adc")
    for c in ("distance", *cols, "total"):
        t.add_column(c, justify="right")
    for d in ds:
        cost = energy_per_bit(
            scheme, float(d), target_ber=target_ber, carrier_hz=carrier, path_loss_exponent=kappa
        )
        t.add_row(
            format_si(float(d), "m"),
            *(format_si(cost.energy_j[k], "J") for k in cols),
            format_si(cost.energy_total_j, "J"),
        )
    Console().print(t)


@app.command()
def crossover(
    low_power: str = typer.Option("noisemod", help="the low-circuit-power radio"),
    coherent: str = typer.Option("bpsk", help="the coherent radio"),
    carrier: str = typer.Option("433e6,868e6,2.4e9,5.8e9", help="carrier frequencies (Hz)"),
    kappa: float = typer.Option(None, help="path-loss exponent (default radio.toml)"),
    target_ber: float = typer.Option(1e-3, help="target bit-error rate"),
) -> None:
    """Crossover distance d* between two radios against carrier frequency."""
    from rich.console import Console
    from rich.table import Table

    from wattlab.systems.radio import LinkBudget, crossover_distance
    from wattlab.systems.radio._checks import positive_array
    from wattlab.units import format_si

    fs = positive_array(parse_range(carrier, "carrier"), "carrier")
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
    Console().print(t)
