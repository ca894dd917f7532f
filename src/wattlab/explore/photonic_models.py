"""Model evaluators for ``photonic_fit.fit``: SmolLM2 perplexity and MiniLM embedding cosine.

Each ``*_evaluator`` returns ``evaluate(substrate | None) -> float`` (None = digital) that patches
every ``nn.Linear`` of the model onto the substrate with ``wattlab.nn.patch``. Heavy imports
(torch, transformers) happen inside the functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from wattlab.explore.photonic_fit import FitResult, fit, laser_power_for_enob
from wattlab.study import Outcome, RunContext
from wattlab.substrates.photonic import HomodyneConfig

Evaluate = Callable[[Any], float]


def smollm2_evaluator(*, max_tokens: int = 256, window: int = 128, seed: int = 0) -> Evaluate:
    """Perplexity of SmolLM2-135M on the fixed eval corpus (lower is better)."""
    from wattlab.nn.corpus import load_corpus
    from wattlab.nn.evaluate import perplexity
    from wattlab.nn.patch import patch
    from wattlab.nn.zoo import load_smollm2

    model, tok = load_smollm2()
    texts = load_corpus("eval")

    def evaluate(sub: Any) -> float:
        def run() -> float:
            return perplexity(model, tok, texts, max_tokens=max_tokens, window=window,
                              stride=window).value
        if sub is None:
            return run()
        with patch(model, sub, rng=np.random.default_rng(seed)):
            return run()
    return evaluate


def minilm_evaluator(*, n_sentences: int = 16, seed: int = 0) -> Evaluate:
    """Mean cosine between MiniLM-L6 embeddings on the substrate and digital (1.0 = identical)."""
    from wattlab.nn.corpus import load_corpus
    from wattlab.nn.evaluate import embedding_fidelity, minilm_embed
    from wattlab.nn.patch import patch
    from wattlab.nn.zoo import load_minilm

    model, tok = load_minilm()
    words = " ".join(load_corpus("eval")).split()
    sentences = [" ".join(words[i * 24:(i + 1) * 24]) for i in range(n_sentences)]
    ref = minilm_embed(model, tok, sentences)

    def evaluate(sub: Any) -> float:
        if sub is None:
            return 1.0
        with patch(model, sub, rng=np.random.default_rng(seed)):
            return embedding_fidelity(ref, minilm_embed(model, tok, sentences))
    return evaluate


def accuracy_outcome(ctx: RunContext, array: HomodyneConfig) -> Outcome:
    """The near-digital-accuracy study: SmolLM2 perplexity and MiniLM cosine vs SNR/ENOB."""
    cfg = replace(array, adc_bits=8.0, dac_bits=8, full_scale=None)
    target = ctx.params.value("pgemm.paper_enob")
    p6 = laser_power_for_enob(target, cfg, ctx.params)
    grid = (1.0, 10.0, 100.0) if ctx.quick else (0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 1000.0)
    powers = sorted({*(grid), *([p6] if p6 else [])})
    seed = int(ctx.rng.integers(2**31))
    lm = fit(smollm2_evaluator(max_tokens=64 if ctx.quick else 512, seed=seed),
             metric_name="perplexity", tolerance=0.01, base=cfg, laser_powers=powers,
             params=ctx.params, rng=ctx.rng)
    emb = fit(minilm_evaluator(n_sentences=8 if ctx.quick else 64, seed=seed),
              metric_name="cosine", higher_is_better=True, tolerance=0.01, base=cfg,
              laser_powers=powers, params=ctx.params, rng=ctx.rng)
    at6 = min(lm.points, key=lambda p: abs(p.enob - target))
    out = Outcome(
        value=at6.metric / lm.reference,
        notes=[f"SmolLM2-135M (Q4_1 GGUF dequantised) with every nn.Linear (lm_head included) "
               f"on the homodyne model ({cfg.rows}x{cfg.cols}, {cfg.baud / 1e9:g} GBd, k_int "
               f"{cfg.k_int}, 8-bit DAC/ADC, automatic gain, SmoothQuant-style alpha="
               f"{cfg.smooth_alpha} channel migration, laser power swept): perplexity "
               f"{at6.metric:.4g} at the paper's {target:g}-bit point ({at6.enob:.2f} ENOB noise "
               f"budget, {at6.measured_snr_db:.1f} dB measured GEMM SNR) vs {lm.reference:.4g} "
               f"digital: ratio {at6.metric / lm.reference:.4g}.",
               _needed_note(lm, "perplexity within 1% of digital"),
               _needed_note(emb, "MiniLM-L6 embedding cosine >= 0.99"),
               "The paper ran Qwen2.5-0.5B and reports only that it 'generates accurate tokens'; "
               "its metric and which layers ran optically are not public. Here: SmolLM2-135M "
               f"perplexity on wattlab's fixed pydoc eval corpus ({64 if ctx.quick else 512} "
               "tokens): a smaller model and a different test.",
               "ENOB is the noise budget at full-scale drive on every symbol (a hardware figure). "
               "Model activations fill a small part of that range, so the SNR the layers see "
               "(measured, x-axis of the figures) is far below 6.02*ENOB+1.76 dB."],
        tables={"smollm2": lm.table(), "minilm": emb.table(), "smollm2_costs": lm.costs})
    out.figure("smollm2_vs_snr", lm.figure())
    out.figure("minilm_vs_snr", emb.figure())
    return out


def _needed_note(res: FitResult, what: str) -> str:
    if res.needed is None:
        return f"{what}: not reached in the sweep (highest ENOB {res.points[-1].enob:.2f})."
    p = res.needed
    return (f"{what}: first reached at {p.measured_snr_db:.1f} dB measured GEMM SNR "
            f"({p.enob:.2f} ENOB noise budget, laser {p.laser_power_w:.3g} W).")


__all__ = ["accuracy_outcome", "minilm_evaluator", "smollm2_evaluator"]
