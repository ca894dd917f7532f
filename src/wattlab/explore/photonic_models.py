"""Model evaluators for ``photonic_fit.fit``: SmolLM2 perplexity and MiniLM embedding cosine.

Each ``*_evaluator`` returns ``evaluate(substrate | None) -> float`` (None = digital) that
patches every ``nn.Linear`` of the model onto the substrate with ``wattlab.nn.patch``. Heavy
imports (torch, transformers) happen inside the functions. The study outcomes built on them live
in ``wattlab.studies._photonic_outcomes`` (explore sits below the study layer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Evaluate = Callable[[Any], float]


def smollm2_evaluator(*, max_tokens: int = 256, window: int = 128, stride: int = 96,
                      seed: int = 0) -> Evaluate:
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
                              stride=stride).value
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


__all__ = ["minilm_evaluator", "smollm2_evaluator"]
