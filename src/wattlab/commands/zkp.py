"""`wattlab zkp`: benchmark the ZKP kernels (NTT, MSM) and show the matrix-engine model."""

from __future__ import annotations

import time
from typing import Any

import typer

from wattlab.commands._options import Seed, count
from wattlab.errors import SpecError

app = typer.Typer(help="Zero-knowledge-proof kernels (MORPH): exact NTT/MSM on GEMMs, measured "
                       "here and modelled on TPU v6e / H100.", no_args_is_help=True)


@app.callback()
def _main() -> None:
    """Zero-knowledge-proof kernels: NTT and MSM."""


#: Largest NTT input (batch x 2^log_n elements): ~4 GB of residues at 2^24.
NTT_MAX_LOG_ELEMS = 24
#: Largest MSM: the Python-int Pippenger ran ~1.3e3 points/s per variant on one shared core
#: (BLS12-381, 2^12 points: 3.3 s), so 2^13 is ~15 s for the two timed variants.
MSM_MAX_LOG_N = 13
MSM_POINTS_PER_S = 1.3e3


def _msm_seconds(log_n: int) -> float:
    return (1 << log_n) / MSM_POINTS_PER_S * 2  # two timed variants, one repetition each


def _check_device(backend: str, device: str) -> None:
    """--device is valid for --backend before any work (CUDA must be present for 'cuda')."""
    import re

    if backend not in ("numpy", "torch"):
        raise SpecError(f"--backend must be 'numpy' or 'torch', not '{backend}'")
    if not re.fullmatch(r"cpu|cuda(:\d{1,2})?", device):
        raise SpecError(f"--device '{device}': use cpu, cuda or cuda:N")
    if backend == "numpy" and device != "cpu":
        raise SpecError(f"--device {device} needs --backend torch (numpy runs on the CPU)")
    if device.startswith("cuda"):
        from wattlab.errors import require

        torch = require("torch", extra="torch", purpose="--device cuda")
        if not torch.cuda.is_available():
            raise SpecError(f"--device {device}: no CUDA device is available here; use cpu")
        idx = int(device.split(":")[1]) if ":" in device else 0
        if idx >= torch.cuda.device_count():
            raise SpecError(f"--device {device}: only {torch.cuda.device_count()} CUDA device(s)")


def _best(fn: Any, reps: int) -> float:
    best = float("inf")
    for _ in range(max(reps, 1)):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def sample_points(curve: Any, n: int) -> list[tuple[int, int]]:
    """n distinct affine points G, 2G, ... (cheap: one addition and one inversion each)."""
    pts, acc = [], curve.to_jacobian(curve.generator)
    for _ in range(n):
        pts.append(curve.to_affine(acc))
        acc = curve.add_mixed(acc, curve.generator)
    return pts


@app.command()
def bench(
    field: str = typer.Option("bls12-381", help="curve or field name (a curve gives its scalar "
                              "field for NTT, its G1 group for MSM)"),
    log_n: int = count(1, 26, "log2 of the NTT size / number of MSM points (NTT: batch x 2^log_n"
                       f" <= 2^{NTT_MAX_LOG_ELEMS}; MSM: log_n <= {MSM_MAX_LOG_N})", default=16),
    kernel: str = typer.Option("ntt", help="ntt or msm"),
    batch: int = count(1, 1 << NTT_MAX_LOG_ELEMS, "independent NTTs per call", default=1),
    steps: int = typer.Option(3, help="3-step or 5-step matrix NTT"),
    backend: str = typer.Option("numpy", help="numpy (float64 BLAS) or torch (int8 _int_mm)"),
    device: str = typer.Option("cpu", help="torch device: cpu, cuda or cuda:N (torch backend)"),
    reps: int = count(1, 100, "timed repetitions (best is reported), 1..100", default=3),
    seed: Seed = 0,
) -> None:
    """Measure a kernel on this machine and print the modelled engine figures beside it.

    Example: wattlab zkp bench --field bn254 --log-n 12 --kernel ntt --reps 1
    """
    import numpy as np
    from rich.table import Table

    from wattlab.commands._output import literal_console
    from wattlab.kernels import engine_cost as ec
    from wattlab.kernels.fields import get_field
    from wattlab.params import default_registry

    if kernel not in ("ntt", "msm"):
        raise SpecError(f"--kernel must be 'ntt' or 'msm', not '{kernel}'")
    if steps not in (3, 5):
        raise SpecError(f"--steps must be 3 or 5, not {steps}")
    if kernel == "ntt" and batch * (1 << log_n) > 1 << NTT_MAX_LOG_ELEMS:
        raise SpecError(f"--batch {batch} x 2^{log_n} elements exceeds 2^{NTT_MAX_LOG_ELEMS} "
                        "(about 4 GB of RNS residues and minutes here); lower --log-n or --batch")
    if kernel == "msm" and log_n > MSM_MAX_LOG_N:
        raise SpecError(f"--kernel msm --log-n {log_n}: the pure-Python MSM takes about "
                        f"{_msm_seconds(log_n):.0f} s here; use --log-n <= {MSM_MAX_LOG_N}")
    _check_device(backend, device)
    rng, params, con = np.random.default_rng(seed), default_registry(), literal_console()
    table = Table(title=f"zkp {kernel}: {field}, 2^{log_n}" + (f" x{batch}" if batch > 1 else ""))
    for col in ("what", "basis", "seconds", "throughput"):
        table.add_column(col)
    if kernel == "ntt":
        from wattlab.kernels.ntt import MatrixNTT
        from wattlab.kernels.rns import RNSField

        f = get_field(field)
        plan = MatrixNTT(RNSField(f, backend=backend, device=device), log_n, steps=steps)
        x = plan.rns.to_rns(f.random(rng, (batch, 1 << log_n)))
        plan.forward(x)

        def run() -> None:
            plan.forward(x)
            plan.rns.backend.synchronize()

        t = _best(run, reps)
        elems = batch << log_n
        table.add_row(f"{steps}-step matrix NTT ({plan.rns.backend.name}, {plan.rns.n_moduli} "
                      "moduli)", "measured", f"{t:.4g}", f"{elems / t:.3g} elem/s")
        for name in ("tpu-v6e", "h100"):
            c = ec.ntt_cost(params, f, log_n, batch=batch, steps=steps, engine_name=name)
            table.add_row(f"matrix NTT on {name}", "modelled", f"{c.latency_s:.3g}",
                          f"{elems / c.latency_s:.3g} elem/s")
        g = ec.gzkp_ntt_cost(params, f, log_n, batch=batch)
        table.add_row("GZKP-class butterfly NTT on H100", "modelled", f"{g.latency_s:.3g}",
                      f"{elems / g.latency_s:.3g} elem/s")
    else:
        from wattlab.kernels.curves import get_curve
        from wattlab.kernels.msm import choose_window, msm_pippenger, msm_pippenger_batched

        cv = get_curve(field)
        n = 1 << log_n
        pts = sample_points(cv, n)
        ks = [int(v) for v in cv.scalar.random(rng, n)]
        t = _best(lambda: msm_pippenger(cv, pts, ks), reps)
        table.add_row(f"Pippenger (window {choose_window(n, cv.scalar.bits)}, Python ints)",
                      "measured", f"{t:.4g}", f"{n / t:.3g} points/s")
        t = _best(lambda: msm_pippenger_batched(cv, pts, ks), reps)
        table.add_row("Pippenger, batched affine bucket additions", "measured", f"{t:.4g}",
                      f"{n / t:.3g} points/s")
        for name in ("tpu-v6e", "h100"):
            c = ec.msm_cost(params, cv.base, cv.scalar.bits, log_n, engine_name=name)
            table.add_row(f"Pippenger on {name} (CRNS field products)", "modelled",
                          f"{c.latency_s:.3g}", f"{n / c.latency_s:.3g} points/s")
        g = ec.gzkp_msm_cost(params, cv.base, cv.scalar.bits, log_n)
        table.add_row("GZKP-class Pippenger on H100", "modelled", f"{g.latency_s:.3g}",
                      f"{n / g.latency_s:.3g} points/s")
    con.print(table)
    con.print("modelled rows use zkp.* registry values; several are assumptions "
              "(see `wattlab params list` and params/data/zkp.toml)")
