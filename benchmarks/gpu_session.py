"""Measurements that need a CUDA GPU with NVML, run on a lent GPU machine.

    PYTHONPATH=src python benchmarks/gpu_session.py --out OUTDIR

Writes ``edge_eval_gpu.json`` (the EDGE-EVAL 8B/1B energy-per-request ratio, measured with
NVML on random-weight models of the real architectures), ``adaptation_gpu.json`` (LoRA vs
QLoRA-style steps on the GPU, NVML energy) and ``meter_gpu.json`` (the real cost of an NVML
meter window). Every energy is NVML's board counter: the GPU board only.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

from wattlab import default_registry
from wattlab.measure import meter
from wattlab.nn import run_adaptation
from wattlab.nn.serving import hf_model
from wattlab.studies import edge_eval
from wattlab.study import RunContext
from wattlab.workloads.llm import llm_config


class ByteTokenizer:
    """Bytes as token ids: enough to feed real text to a random-weight model."""

    def __call__(self, text: str, **_: object) -> dict[str, list[int]]:
        return {"input_ids": list(text.encode())}


def serving(out: Path, command: str) -> None:
    ctx = RunContext("full", np.random.default_rng(0), default_registry())
    res = edge_eval._ratio_measured(ctx)
    rows = res.tables["measured energy per request"]
    record = {"device": torch.cuda.get_device_name(), "date": datetime.now(UTC).isoformat(),
              "command": command, "ratio": res.value, "label": rows[0]["label"],
              "covers": rows[0]["covers"], "rows": rows, "notes": res.notes}
    (out / "edge_eval_gpu.json").write_text(json.dumps(record, indent=2))
    print(json.dumps(record, indent=2))


def adaptation(out: Path) -> None:
    cfg = llm_config("smollm2-135m")
    model = hf_model(cfg, dtype="float32", device="cuda")
    from wattlab.nn import load_corpus

    texts = load_corpus("train")
    rows = []
    for batch, seq in ((2, 64), (8, 256)):
        r = {m: run_adaptation(m, steps=10, seq_len=seq, batch=batch, model=model,
                               tokenizer=ByteTokenizer(), texts=texts, meter=lambda: meter("gpu"))
             for m in ("lora", "qlora")}
        e = {m: x.meter.readings[0] for m, x in r.items()}
        rows.append({"batch x seq": f"{batch}x{seq}", "time ratio": r["qlora"].wall_s / r["lora"].wall_s,
                     "energy ratio": e["qlora"].energy_j / e["lora"].energy_j,
                     "power ratio": e["qlora"].mean_power_w / e["lora"].mean_power_w,
                     "LoRA J": e["lora"].energy_j, "QLoRA J": e["qlora"].energy_j,
                     "LoRA s": r["lora"].wall_s, "QLoRA s": r["qlora"].wall_s, "label": e["lora"].label})
    rec = {"device": torch.cuda.get_device_name(), "model": "SmolLM2-135M architecture, random "
           "weights, float32 base", "rows": rows}
    (out / "adaptation_gpu.json").write_text(json.dumps(rec, indent=2))
    print(json.dumps(rec, indent=2))


def meter_overhead(out: Path) -> None:
    a = torch.randn(4096, 4096, device="cuda")
    torch.cuda.synchronize()
    bare, metered = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        deadline = t0 + 1.0
        while time.perf_counter() < deadline:
            a @ a
        torch.cuda.synchronize()
        bare.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with meter("gpu") as m:
            deadline = time.perf_counter() + 1.0
            while time.perf_counter() < deadline:
                a @ a
        metered.append(time.perf_counter() - t0)
    empty = []
    for _ in range(20):
        t0 = time.perf_counter()
        with meter("gpu"):
            pass
        empty.append(time.perf_counter() - t0)
    rec = {"device": torch.cuda.get_device_name(), "bare_1s_window_s": statistics.median(bare),
           "metered_1s_window_s": statistics.median(metered),
           "empty_window_s": statistics.median(empty),
           "overhead_fraction_of_1s": statistics.median(empty) / 1.0,
           "last_reading": str(m.readings[0]), "python": platform.python_version()}
    (out / "meter_gpu.json").write_text(json.dumps(rec, indent=2))
    print(json.dumps(rec, indent=2))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--only", nargs="*", default=["meter", "adaptation", "serving"])
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if "meter" in args.only:
        meter_overhead(args.out)
    if "adaptation" in args.only:
        adaptation(args.out)
    if "serving" in args.only:
        serving(args.out, "PYTHONPATH=src python benchmarks/gpu_session.py --out OUT")


if __name__ == "__main__":
    main()
