"""Speed of the photonic substrates against torch.matmul, measured in the same run.

    PYTHONPATH=src python benchmarks/bench_photonic.py [--repeats 5] [--out FILE.md] [--smollm2]

1. PhotonicLinear forward (an nn.Linear(768, 768) patched onto the homodyne model, 512 tokens)
   against the same nn.Linear in torch and against torch.matmul (target: within 4x);
2. the sliced BFP GEMM (512x768x768, read-by-read simulation) against
   (number of slice pairs) x torch.matmul (target: within 1.5x), and its provably-exact shortcut.
3. with ``--smollm2``: peak resident memory of a SmolLM2-135M perplexity evaluation (256 tokens)
   with every Linear on the homodyne model (target: under 3 GiB).
Median of ``--repeats`` runs after one warm-up; ratios come from the same process.
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from wattlab.nn.patch import patch
from wattlab.substrates.bfp import BFPConfig, SlicedBFP
from wattlab.substrates.photonic import HomodyneConfig, HomodyneProcessor

M, K, N = 512, 768, 768


def median_time(fn: Callable[[], object], repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def smollm2_peak_memory() -> float:
    """Peak RSS (GiB) after a SmolLM2 perplexity run on the homodyne model."""
    from wattlab.nn.corpus import load_corpus
    from wattlab.nn.evaluate import perplexity
    from wattlab.nn.zoo import load_smollm2

    model, tok = load_smollm2()
    with patch(model, HomodyneProcessor(HomodyneConfig(laser_power=10.0))):
        perplexity(model, tok, load_corpus("eval"), max_tokens=256, window=128, stride=96)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, default=Path("docs/benchmarks/photonic.md"))
    ap.add_argument("--smollm2", action="store_true", help="also measure SmolLM2 peak memory")
    args = ap.parse_args()
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(M, K, generator=gen)
    lin = torch.nn.Linear(K, N)
    model = torch.nn.Sequential(lin)
    w_t = lin.weight.detach().t().contiguous()
    rows: list[tuple[str, float, str]] = []
    with torch.no_grad():
        t_mm = median_time(lambda: torch.matmul(x, w_t), args.repeats)
        t_lin = median_time(lambda: lin(x), args.repeats)
        rows += [("torch.matmul 512x768x768 (fp32)", t_mm, "1.00"),
                 ("torch nn.Linear forward", t_lin, f"{t_lin / t_mm:.2f}")]
        for label, cfg in (("k_int=256 (3 windows)", HomodyneConfig()),
                           ("k_int=1024 (1 window)", HomodyneConfig(k_int=1024))):
            with patch(model, HomodyneProcessor(cfg), rng=np.random.default_rng(0)):
                t = median_time(lambda: model(x), args.repeats)
            rows.append((f"PhotonicLinear forward, {label}", t, f"{t / t_mm:.2f}"))
    a = x.numpy().astype(np.float64)
    b = w_t.numpy().astype(np.float64)
    rng = np.random.default_rng(0)
    for label, cfg in (("8-bit mantissas, s=2, K_a=8 (16 pairs)",
                        BFPConfig(mant_bits=8, block=32, slice_bits=2, k_a=8, enob=8,
                                  shortcut_exact=False)),
                       ("8-bit mantissas, s=1, K_a=32 (49 pairs)",
                        BFPConfig(mant_bits=8, block=32, slice_bits=1, k_a=32, enob=8,
                                  shortcut_exact=False)),
                       ("shortcut (exact under threshold), s=2, K_a=8",
                        BFPConfig(mant_bits=8, block=32, slice_bits=2, k_a=8, enob=8))):
        sub = SlicedBFP(cfg)
        t = median_time(lambda s=sub: s.matmul(a, b, rng=rng), max(1, args.repeats // 2))
        pairs = cfg.slice_pairs
        rows.append((f"sliced BFP GEMM, {label}", t,
                     f"{t / t_mm:.2f} = {t / (pairs * t_mm):.2f} x ({pairs} x matmul)"))
    memory = smollm2_peak_memory() if args.smollm2 else None
    env = (f"{platform.machine()}, {torch.get_num_threads()} torch threads, numpy "
           f"{np.__version__}, torch {torch.__version__}")
    lines = ["# Photonic substrates: speed", "",
             "Command: `PYTHONPATH=src python benchmarks/bench_photonic.py`", "",
             f"Environment: {env}. Median of {args.repeats} runs after a warm-up (the BFP rows "
             f"use {max(1, args.repeats // 2)}); ratios against torch.matmul measured in the "
             "same run.", "",
             "| case | time | ratio to torch.matmul |", "|---|---|---|"]
    lines += [f"| {name} | {t * 1e3:.1f} ms | {ratio} |" for name, t, ratio in rows]
    if memory is not None:
        lines += ["", f"SmolLM2-135M perplexity (256 tokens, every Linear on the homodyne model): "
                      f"peak resident memory {memory:.2f} GiB (process maximum, model included)."]
    lines += ["", "Targets from the issue: PhotonicLinear forward within 4x of torch.matmul; the "
              "sliced BFP GEMM within 1.5x of (number of slice pairs) x torch.matmul."]
    lines += ["", "Reading the numbers: the PhotonicLinear path adds, per integration window, one "
              "Gaussian draw and about a dozen elementwise passes over the M x N outputs, plus "
              "the DAC/modulator transfer of both operands; the ratio grows with the number of "
              "windows (K / k_int). The read-by-read BFP simulation performs "
              "(slice pairs) x M x N x K / K_a ADC reads, each a handful of NumPy passes, so for "
              "small K_a it is far from the 1.5x target; the provably exact regime (noise-free "
              "core under the threshold) takes the shortcut row. Timings on the shared 2-core "
              "machine move with load; ratios are from the same run."]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
