"""Calibrate the cpu_2core roofline against GEMMs timed on this machine, and report the error.

Times torch fp32 matmuls (M x K) @ (K x N) from GEMV (memory-bound) to large GEMM
(compute-bound), fits compute and bandwidth efficiency with wattlab.substrates.digital.calibrate,
and reports fitted factors, the calibration error, and the error of the uncalibrated defaults.
Time only: this machine has no energy meter, so the energy scale is not fitted.

Run: PYTHONPATH=src python benchmarks/bench_roofline.py [--out docs/benchmarks/roofline.md]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np

from wattlab.hardware import Efficiency
from wattlab.substrates import Gemm
from wattlab.substrates.digital import DigitalSubstrate, Measurement, calibrate


def time_gemm(torch, m: int, k: int, n: int, repeats: int) -> float:
    a, b = torch.randn(m, k), torch.randn(k, n)
    a @ b  # warm-up
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def main() -> None:
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("docs/benchmarks/roofline.md"))
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    torch.set_num_threads(2)
    sub = DigitalSubstrate("cpu_2core", "fp32")
    shapes = [(1, 4096, 4096), (4, 4096, 4096), (16, 2048, 2048), (64, 2048, 2048),
              (256, 1024, 1024), (512, 1024, 1024), (1024, 1024, 1024)]
    ms, rows = [], []
    for m, k, n in shapes:
        c = sub.cost(Gemm(m, k, n))
        t = time_gemm(torch, m, k, n, args.repeats)
        ms.append(Measurement(c.counts["ops"], c.counts["bytes"], t))
        rows.append((m, k, n, c.counts["ops"] / c.counts["bytes"], t, c.latency_s))
    cal = calibrate(sub.device, ms, "fp32")
    dev = sub.device
    fit = dev.roofline_arrays([x.ops for x in ms], [x.bytes for x in ms], "fp32", cal.efficiency)
    default_err = np.mean([abs(r[5] - r[4]) / r[4] for r in rows])
    lines = ["# Roofline calibration on this CPU (cpu_2core, fp32)", "",
             f"Command: `PYTHONPATH=src python benchmarks/bench_roofline.py --repeats "
             f"{args.repeats}` (torch {torch.__version__}, 2 threads, {os.cpu_count()} CPUs, "
             f"shared machine, load average {os.getloadavg()[0]:.1f} at the end of the run: "
             "other jobs took most of the CPU, so the measured times are slow and noisy)", "",
             "| M×K×N | ops/byte | measured (ms) | default model (ms) | calibrated (ms) |",
             "|---|---:|---:|---:|---:|"]
    for (m, k, n, ai, t, t0), tf in zip(rows, fit["time"], strict=True):
        lines.append(f"| {m}×{k}×{n} | {ai:.1f} | {t * 1e3:.3f} | {t0 * 1e3:.3f} | "
                     f"{tf * 1e3:.3f} |")
    d = Efficiency.default()
    lines += ["", f"Defaults (assumed): compute {d.compute:g}, bandwidth {d.bandwidth:g}; mean "
              f"relative time error {default_err:.1%}.",
              f"Calibrated: compute {cal.efficiency.compute:.3f}, bandwidth "
              f"{cal.efficiency.bandwidth:.3f}; mean relative time error {cal.time_error:.1%}, "
              f"worst {cal.time_max_error:.1%}; roofs identified: {dict(cal.identified)}.",
              "A factor pinned at 1.0 means this machine beats the class's spec on that roof "
              "(the class is a 2/96 share of an EPYC 9654 at base clock): the spec, not the fit, "
              "is then the thing to revise.", ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
