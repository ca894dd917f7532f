"""`wattlab photonic ...`: noise budget, cost, LightMat-HP planner, and the model fit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from wattlab.commands._options import Seed, count, finite, out_file, parse_grid
from wattlab.errors import SpecError

FIG_SUFFIXES = (".png", ".svg", ".pdf")
SIZE = 10**7  # largest GEMM dimension
FigureOut = Annotated[Path | None, out_file("figure file (.png, .svg or .pdf)", FIG_SUFFIXES)]

app = typer.Typer(help="Homodyne photonic GEMM and LightMat-HP sliced BFP: what ENOB and array "
                       "does a model need, and what does it cost?")


def _table(title: str, rows: list[dict[str, Any]]) -> None:
    from wattlab.commands._output import literal_console, rows_table

    literal_console().print(rows_table(title, rows))


def _save(fig: Any, out: Path | None) -> None:
    if out is not None:
        fig.savefig(out, dpi=110, bbox_inches="tight")
        typer.echo(f"figure written to {out}")


@app.command()
def budget(rows: int = count(1, 4096, "array rows", default=256),
           cols: int = count(1, 4096, "array columns", default=100),
           baud: float = finite(0, 1e12, "symbol rate (Bd)", open_lo=True, default=128e9),
           k_int: int = count(1, 1 << 20, "symbols per integration window", default=256),
           dac_bits: int = count(1, 16, "DAC bits", default=8),
           adc_bits: float = finite(1, 16, "ADC bits", default=8.0),
           laser_power: float = finite(1e-12, 100, "laser power per unit (W), 1e-12..100",
                                       default=0.1),
           m: int = count(1, SIZE, "GEMM M", default=2560),
           k: int = count(1, SIZE, "GEMM K", default=4096),
           n: int = count(1, SIZE, "GEMM N", default=1000)) -> None:
    """Noise budget (ENOB) of an array and the cost of an M x K x N GEMM on it.

    Example: wattlab photonic budget --rows 64 --cols 64 --laser-power 0.5
    """
    from wattlab.commands._output import literal_console
    from wattlab.substrates.photonic import HomodyneConfig, HomodyneProcessor
    from wattlab.workloads.gemm import Gemm

    proc = HomodyneProcessor(HomodyneConfig(rows=rows, cols=cols, baud=baud, k_int=k_int,
                                            dac_bits=dac_bits, adc_bits=adc_bits,
                                            laser_power=laser_power))
    nb = proc.noise_budget()
    if not nb.enob > 0:
        raise SpecError(f"the noise swamps the signal (ENOB {nb.enob:.2f} <= 0, SNR "
                        f"{nb.snr_db:.1f} dB): the array computes nothing; raise --laser-power or "
                        "shorten the integration (--k-int)")
    _table("noise per integration window (units of one full-scale symbol)",
           [{"source": s, "sigma": v} for s, v in nb.sigma.items()])
    typer.echo(f"ENOB {nb.enob:.2f} bits, full-scale SNR {nb.snr_db:.1f} dB, "
               f"peak {proc.config.peak_ops_per_s / 1e12:.4g} TOPS")
    cost = proc.cost(Gemm(m, k, n))
    literal_console().print(cost)


@app.command("plan")
def plan_cmd(mant_bits: int = count(2, 24, "BFP mantissa bits", default=8),
             enob: float = finite(0, 32, "core ENOB (bits)", open_lo=True, default=8.0),
             m: int = count(1, SIZE, "GEMM M", default=256),
             k: int = count(1, SIZE, "GEMM K", default=1024),
             n: int = count(1, SIZE, "GEMM N", default=256),
             block: int = count(1, 4096, "BFP block size (divides K)", default=32),
             rows: int = count(1, 4096, "array rows", default=64),
             cols: int = count(1, 4096, "array columns", default=64),
             baud: float = finite(0, 1e12, "symbol rate (Bd)", open_lo=True, default=10e9),
             top: int = count(1, 10_000, "rows shown", default=10)) -> None:
    """LightMat-HP planner: slice width and accumulation length, exact points first.

    Example: wattlab photonic plan --mant-bits 8 --enob 6 --top 5
    """
    from wattlab.substrates.bfp import plan
    from wattlab.substrates.photonic import HomodyneConfig
    from wattlab.workloads.gemm import Gemm

    if k % block:
        raise SpecError(f"--block {block} must divide --k {k}")
    res = plan(mant_bits, enob, Gemm(m, k, n), block=block,
               hw=HomodyneConfig(rows=rows, cols=cols, baud=baud))
    _table(f"{mant_bits}-bit BFP mantissas on an ENOB-{enob:g} core (cheapest exact first)",
           [vars(r) for r in res[:top]])


@app.command()
def fit(model: str = "minilm",
        tolerance: float = finite(0, 1, "relative tolerance to digital, in (0, 1]",
                                  open_lo=True, default=0.01),
        size: int = count(1, 4096, "sentences or tokens", default=16),
        powers: str = "0.3,1,3,10,30,100",
        out: FigureOut = None,
        seed: Seed = 0) -> None:
    """Sweep ENOB/SNR for a model with every Linear on the homodyne array; price the result.

    --model minilm|smollm2, --size sentences or tokens, --powers laser watts (comma list),
    --out a PNG for the plot.

    Example: wattlab photonic fit --model minilm --size 8 --powers 1,10 --out fit.png
    """
    import numpy as np

    from wattlab.explore import photonic_models as pm
    from wattlab.explore.photonic_fit import fit as run_fit

    laser = parse_grid(powers, "--powers", max_points=50, lo=1e-6, hi=100.0)
    if model not in ("minilm", "smollm2"):
        raise SpecError(f"--model must be 'minilm' or 'smollm2', got {model!r}")
    if model == "minilm":
        ev, name, hib = pm.minilm_evaluator(n_sentences=size, seed=seed), "cosine", True
    elif model == "smollm2":
        ev, name, hib = (pm.smollm2_evaluator(max_tokens=max(size, 2), seed=seed), "perplexity",
                         False)
    else:
        raise SpecError(f"--model must be 'minilm' or 'smollm2', got {model!r}")
    res = run_fit(ev, metric_name=name, higher_is_better=hib, tolerance=tolerance,
                  laser_powers=laser, rng=np.random.default_rng(seed))
    _table(f"{model}: digital {name} {res.reference:.4g}", res.table())
    if res.needed is None:
        typer.echo(f"not within {tolerance:.1%} of digital in this sweep; raise --powers")
    else:
        typer.echo(f"needed: {res.needed.measured_snr_db:.1f} dB GEMM SNR, "
                   f"{res.needed.enob:.2f} ENOB noise budget, laser {res.needed.laser_power_w:g} W")
        _table("the model's GEMMs on each array (same optical power per unit)", res.costs)
    _save(res.figure(), out)


@app.command("design-space")
def design_space_cmd(out: FigureOut = None) -> None:
    """TOPS/W against precision bits: homodyne, LightMat-HP, digital int8/fp16 (--out PNG).

    Example: wattlab photonic design-space --out design.png
    """
    from wattlab.explore.photonic_fit import design_space, design_space_figure

    rows = design_space()
    _table("design space (modelled, full boundary)", rows)
    _save(design_space_figure(rows), out)
