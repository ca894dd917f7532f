"""Cross-check of wattlab's LLM roofline against GenZ (``genz-llm``, Bambhaniya et al.), a
published LLM inference performance model, on the same model and H100.

Both sides use ideal efficiency (GenZ ``system_eff=1``; wattlab ``Efficiency(1, 1)``) and bf16.
Prefill counts logits for every token on both sides (GenZ does; wattlab's ``all_logits=True``).
Compared per pass: FLOPs, bytes moved, latency. Optional: needs ``pip install genz-llm``
(``path`` may point at a directory where it was installed with ``pip install --target``).
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

from wattlab.errors import require
from wattlab.params import Registry
from wattlab.workloads.llm import llm_config, pass_counts

#: wattlab config name -> GenZ model name
GENZ_NAMES = {"llama-3.2-1b": "meta-llama/Llama-3.2-1B", "llama-3.1-8b": "meta-llama/Llama-3.1-8B",
              "qwen2.5-7b": "Qwen/Qwen2.5-7B"}


def genz_available(path: str | None = None) -> bool:
    if path and path not in sys.path:
        sys.path.append(path)  # after site-packages: never shadows the venv's numpy
    try:
        import GenZ  # noqa: F401
    except Exception:
        return False
    return True


def compare(model: str, params: Registry, *, input_tokens: int = 4096, batch: int = 8,
            context: int = 32768, path: str | None = None) -> list[dict[str, Any]]:
    """Rows (phase, quantity, wattlab, GenZ, wattlab/GenZ) for prefill and one decode step."""
    from wattlab.hardware import Device, Efficiency

    if path and path not in sys.path:
        sys.path.append(path)
    require("GenZ", extra="explore", purpose="the GenZ cross-check (pip install genz-llm)")
    from GenZ.LLM_inference import decode_moddeling, prefill_moddeling

    if model not in GENZ_NAMES:
        from wattlab.errors import SpecError

        raise SpecError(f"no GenZ name known for '{model}'; known: {sorted(GENZ_NAMES)}")
    c = llm_config(model)
    dev = Device.from_registry("h100", params)
    eff = Efficiency(1.0, 1.0)
    rows: list[dict[str, Any]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gp = prefill_moddeling(model=GENZ_NAMES[model], batch_size=1, input_tokens=input_tokens,
                               system_name="H100_GPU", bits="bf16", system_eff=1)
        gd = decode_moddeling(model=GENZ_NAMES[model], batch_size=batch, input_tokens=context,
                              output_tokens=0, system_name="H100_GPU", bits="bf16", system_eff=1)
    for phase, g, pc in (("prefill", gp, pass_counts(c, input_tokens, 0, all_logits=True)),
                         ("decode", gd, pass_counts(c, 1, context, batch=batch))):
        s = g["summary_table"].iloc[0]
        r = dev.roofline_arrays(pc.flops_total, pc.bytes_total, "bf16", eff)
        ours = {"FLOPs": float(pc.flops_total), "bytes": float(pc.bytes_total),
                "latency_s": float(r["time"])}
        # GenZ's summary column "MACs (MFLOP)" holds FLOPs (1e6); its "MB" are MiB (2^20 B):
        # 8B bf16 weights read 15,316 MB = 16.06e9 B
        theirs = {"FLOPs": 1e6 * float(s["MACs (MFLOP)"]),
                  "bytes": float(1 << 20) * float(s["Total Data (MB)"]),
                  "latency_s": 1e-3 * float(s["Latency (msec)"])}
        for q in ("FLOPs", "bytes", "latency_s"):
            rows.append({"phase": phase, "quantity": q, "wattlab": ours[q], "genz": theirs[q],
                         "ratio": ours[q] / theirs[q] if theirs[q] else float("nan")})
    return rows


__all__ = ["GENZ_NAMES", "compare", "genz_available"]
