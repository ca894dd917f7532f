"""Measure LLM serving energy on real hardware with architecture-equivalent models.

Energy and time per request depend on a model's architecture, precision and request shape, not on
its trained weight values, so a randomly initialised model of a shipped config (no download) is a
faithful stand-in for timing and energy. Generation is forced to exactly ``n_out`` tokens.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from wattlab.errors import SpecError, require
from wattlab.workloads.llm import LlmConfig


def hf_model(cfg: LlmConfig, *, dtype: str = "bfloat16", device: str = "cpu", seed: int = 0) -> Any:
    """A randomly initialised transformers Llama-family model with ``cfg``'s architecture."""
    torch = require("torch", extra="torch", purpose="measured serving energy")
    tf = require("transformers", extra="torch", purpose="measured serving energy")
    if cfg.is_moe:
        raise SpecError(f"{cfg.name} is a mixture of experts; serving measurement supports dense "
                        "Llama-family configs")
    hf_cfg = tf.LlamaConfig(vocab_size=cfg.vocab, hidden_size=cfg.hidden,
                            intermediate_size=cfg.ffn, num_hidden_layers=cfg.layers,
                            num_attention_heads=cfg.heads, num_key_value_heads=cfg.kv_heads,
                            head_dim=cfg.head_dim, tie_word_embeddings=cfg.tied_embeddings,
                            max_position_embeddings=8192)
    torch.manual_seed(seed)
    with torch.device(device):
        model = tf.LlamaForCausalLM(hf_cfg).to(getattr(torch, dtype))
    return model.eval()


@dataclass(frozen=True)
class ServingMeasurement:
    """Energy and time of ``batch`` requests, per request, with the meter's label."""

    model: str
    n_in: int
    n_out: int
    batch: int
    energy_per_request_j: float
    seconds: float
    label: str
    covers: str


def measure_requests(model: Any, name: str, *, n_in: int, n_out: int, batch: int,
                     devices: str = "gpu", repeats: int = 3, seed: int = 0) -> ServingMeasurement:
    """Generate ``batch`` × ``n_out`` tokens after ``n_in`` random prompt tokens under a meter.

    One warm-up run, then ``repeats`` metered runs; the mean per request is returned. Only
    readings labelled ``measured:*`` are used: with no meter this raises rather than estimating.
    """
    torch = require("torch", extra="torch", purpose="measured serving energy")
    from wattlab.measure import MeterError, meter

    dev = next(model.parameters()).device
    g = torch.Generator(device="cpu").manual_seed(seed)
    ids = torch.randint(0, model.config.vocab_size, (batch, n_in), generator=g).to(dev)
    kw = {"max_new_tokens": n_out, "min_new_tokens": n_out, "do_sample": False,
          "pad_token_id": 0, "eos_token_id": None}
    with torch.inference_mode():
        model.generate(ids, **kw)
        energies, times, label, covers = [], [], "", ""
        for _ in range(repeats):
            t0 = time.perf_counter()
            with meter(devices) as m:
                model.generate(ids, **kw)
            times.append(time.perf_counter() - t0)
            measured = [r for r in m.readings if r.measured and r.complete]
            if not measured:
                raise MeterError("no complete measured reading for the serving window; "
                                 "estimates are not accepted here")
            energies.append(sum(r.energy_j for r in measured))
            label = ",".join(sorted({r.label for r in measured}))
            covers = "; ".join(r.covers for r in measured)
    n = len(energies)
    return ServingMeasurement(name, n_in, n_out, batch, sum(energies) / n / batch,
                              sum(times) / n, label, covers)
