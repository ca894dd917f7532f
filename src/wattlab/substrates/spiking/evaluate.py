"""Per-token NLL of a causal LM and a paired bootstrap interval for a perplexity gap.

``token_nlls`` scores exactly the tokens ``wattlab.nn.evaluate.perplexity`` scores (same
windows), but keeps each token's NLL, so a spiking model and its own unquantised baseline can
be compared token by token: ``perplexity_gap`` resamples contiguous blocks of tokens (moving
block bootstrap, to respect correlation along the text) and returns the relative perplexity
gap ``exp(mean(nll_test - nll_base)) - 1`` with a percentile interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from wattlab.errors import SpecError


def token_nlls(model: Any, tokenizer: Any, texts: Sequence[str], *, max_tokens: int = 1024,
               window: int = 256, stride: int = 128) -> np.ndarray:
    """NLL (nats) of every scored token, in order (see ``wattlab.nn.evaluate.perplexity``)."""
    if stride >= window or stride < 1:
        raise SpecError(f"stride ({stride}) must be in [1, window={window})")
    if isinstance(texts, str) or not texts:
        raise SpecError("texts must be a non-empty sequence of strings")
    ids = tokenizer("\n\n".join(texts), add_special_tokens=False)["input_ids"][:max_tokens]
    ids = torch.tensor(ids, dtype=torch.long)
    n = int(ids.numel())
    if n < 2:
        raise SpecError(f"texts give {n} token(s); scoring needs at least 2")
    out = []
    prev_end, end = 1, min(window, n)
    with torch.no_grad():
        while True:
            x = ids[max(0, end - window):end]
            k = end - prev_end
            logits = getattr(model(x[None]), "logits", None)
            if logits is None:
                logits = model(x[None])
            nll = torch.nn.functional.cross_entropy(logits[0, -k - 1:-1].float(), x[-k:],
                                                    reduction="none")
            out.append(nll.numpy())
            prev_end = end
            if end == n:
                break
            end = min(end + stride, n)
    return np.concatenate(out).astype(np.float64)


def perplexity_gap(base: np.ndarray, test: np.ndarray, rng: np.random.Generator, *,
                   n_boot: int = 1000, block: int = 32, level: float = 0.95
                   ) -> tuple[float, tuple[float, float]]:
    """(relative perplexity gap, (lo, hi)) of ``test`` against ``base`` token NLLs (paired)."""
    if base.shape != test.shape or base.size < 2:
        raise SpecError(f"paired NLL arrays must have one equal shape with >= 2 tokens, got "
                        f"{base.shape} and {test.shape}")
    d = test - base
    gap = math.expm1(float(d.mean()))
    n = d.size
    b = max(1, min(block, n // 2))
    starts = rng.integers(0, n - b + 1, size=(n_boot, -(-n // b)))
    idx = (starts[..., None] + np.arange(b)).reshape(n_boot, -1)[:, :n]
    means = d[idx].mean(1)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return gap, (math.expm1(float(lo)), math.expm1(float(hi)))


__all__ = ["perplexity_gap", "token_nlls"]
