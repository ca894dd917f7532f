"""Overhead of routing SmolLM2-135M's 211 Linear layers through a substrate (CPU, same run).

    PYTHONPATH=src python benchmarks/bench_patch.py [--tokens 128] [--rounds 7] [--threads 1]

Modes, interleaved round-robin so that load from other processes hits all of them alike:
unpatched; patched with ExactSubstrate (NumPy path: zero-copy views, NumPy/OpenBLAS matmul);
patched with ExactSubstrate(torch_native=True) (tensors, torch matmul); patched with
DigitalSubstrate("cpu_2core") (exact torch matmul plus a roofline Cost per product). Prints
median and minimum forward time per mode, the ratios to unpatched, and peak RSS; writes
benchmarks/results/bench_patch_<tokens>tok_<threads>thr.json. ``--threads N`` pins torch and
OpenBLAS to N threads (set before NumPy loads): on a shared 2-core machine two thread pools
that spin-wait on the same cores make multi-threaded timings meaningless, so the recorded run
uses 1.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import time

from _timing import blas_threads_env, parse_with_threads, save_result

os.environ.update(blas_threads_env())  # must precede the first NumPy import to reach OpenBLAS

import torch

from wattlab.nn import load_corpus, load_smollm2, patch
from wattlab.substrates.digital import DigitalSubstrate
from wattlab.substrates.exact import ExactSubstrate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=7)
    args = parse_with_threads(ap)
    t0 = time.perf_counter()
    model, tok = load_smollm2()
    load_s = time.perf_counter() - t0
    ids = tok("\n\n".join(load_corpus("eval")), return_tensors="pt",
              verbose=False).input_ids[:, :args.tokens]
    modes = {"unpatched": None, "exact-numpy": ExactSubstrate(),
             "exact-torch": ExactSubstrate(torch_native=True),
             "digital-cpu": DigitalSubstrate("cpu_2core")}
    times: dict[str, list[float]] = {m: [] for m in modes}
    with torch.no_grad():
        for r in range(args.rounds + 1):  # round 0 warms up every mode
            for mode, sub in modes.items():
                handle = patch(model, sub) if sub is not None else None
                t = time.perf_counter()
                model(ids)
                dt = time.perf_counter() - t
                if handle is not None:
                    handle.restore()
                if r:
                    times[mode].append(dt)
    base_med, base_min = statistics.median(times["unpatched"]), min(times["unpatched"])
    rows = {m: {"median_s": statistics.median(v), "min_s": min(v),
                "ratio_median": statistics.median(v) / base_med, "ratio_min": min(v) / base_min}
            for m, v in times.items()}
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    out = {"tokens": int(ids.shape[1]), "rounds": args.rounds, "torch_threads":
           torch.get_num_threads(), "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
           "load_s": load_s, "peak_rss_gib": peak_gib,
           "machine": platform.processor() or platform.machine(), "modes": rows}
    print(f"SmolLM2-135M prefill of {ids.shape[1]} tokens, {args.rounds} rounds, "
          f"torch threads {torch.get_num_threads()}, load {load_s:.1f} s, "
          f"peak RSS {peak_gib:.2f} GiB")
    print(f"{'mode':<14}{'median s':>10}{'min s':>10}{'x median':>10}{'x min':>8}")
    for m, row in rows.items():
        print(f"{m:<14}{row['median_s']:>10.3f}{row['min_s']:>10.3f}"
              f"{row['ratio_median']:>10.3f}{row['ratio_min']:>8.3f}")
    save_result(f"bench_patch_{ids.shape[1]}tok_{torch.get_num_threads()}thr.json", out)


if __name__ == "__main__":
    main()
