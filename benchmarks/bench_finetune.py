"""LoRA vs QLoRA-style fine-tuning of SmolLM2-135M on CPU: time per step and its ratio.

    PYTHONPATH=src python benchmarks/bench_finetune.py [--steps 3] [--rounds 2] \\
        [--seq-len 64] [--batch 2] [--threads 1]

Runs ``run_adaptation`` alternately for the two methods (``rounds`` times each, ``steps`` timed
steps after one warm-up step) and reports the median step time, the QLoRA/LoRA ratio, the
share of QLoRA's step spent dequantising 4-bit weights and the base-weight memory. Writes
benchmarks/results/bench_finetune_<batch>x<seq_len>.json. ``--threads`` pins torch/OpenBLAS
as in bench_patch.py.
"""

from __future__ import annotations

import argparse
import os
import statistics

from _timing import blas_threads_env, parse_with_threads, save_result

os.environ.update(blas_threads_env())  # must precede the first NumPy import to reach OpenBLAS

import numpy as np
import torch

from wattlab.nn import load_smollm2, run_adaptation


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seq-len", type=int, default=64)
    ap.add_argument("--batch", type=int, default=2)
    args = parse_with_threads(ap)
    model, tok = load_smollm2()
    runs: dict[str, list] = {"lora": [], "qlora": []}
    for r in range(args.rounds):
        for method in runs:
            runs[method].append(run_adaptation(
                method, args.steps, args.seq_len, args.batch, model=model, tokenizer=tok,  # type: ignore[arg-type]
                rng=np.random.default_rng(r)))
    summary = {}
    for method, results in runs.items():
        steps = [s for res in results for s in res.step_s]
        deq = sum(res.dequant_s for res in results) / sum(res.wall_s for res in results)
        summary[method] = {
            "median_step_s": statistics.median(steps), "min_step_s": min(steps),
            "tokens_per_step": args.seq_len * args.batch, "dequant_share": deq,
            "dequant_calls_per_step": results[0].dequant_calls / args.steps,
            "base_weight_mib": results[0].base_bytes / 2**20,
            "trainable_params": results[0].trainable_params,
            "losses": [list(res.losses) for res in results]}
    ratio = summary["qlora"]["median_step_s"] / summary["lora"]["median_step_s"]
    deq_per_step = summary["qlora"]["dequant_share"] * summary["qlora"]["median_step_s"]
    extra = summary["qlora"]["median_step_s"] - summary["lora"]["median_step_s"]
    out = {"args": vars(args), "torch_threads": torch.get_num_threads(), "methods": summary,
           "ratio_qlora_over_lora": ratio, "dequant_s_per_qlora_step": deq_per_step,
           "extra_s_per_qlora_step": extra}
    print(f"SmolLM2-135M, {args.batch}x{args.seq_len} tokens/step, {args.steps} steps x "
          f"{args.rounds} rounds per method, torch threads {torch.get_num_threads()}")
    for method, row in summary.items():
        print(f"{method:<6} median {row['median_step_s']:.3f} s/step (min {row['min_step_s']:.3f})"
              f"  dequant share {row['dequant_share']:.1%}  base {row['base_weight_mib']:.0f} MiB"
              f"  loss {row['losses'][0][0]:.3f} -> {row['losses'][0][-1]:.3f}")
    print(f"QLoRA/LoRA time per step: {ratio:.2f}x; QLoRA's extra {extra:.3f} s/step vs "
          f"{deq_per_step:.3f} s/step spent dequantising")
    save_result(f"bench_finetune_{args.batch}x{args.seq_len}.json", out)


if __name__ == "__main__":
    main()
