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


Samples = Callable[[Any], np.ndarray]


def smollm2_token_nll(*, max_tokens: int = 256, window: int = 128, stride: int = 96,
                      seed: int = 0) -> Samples:
    """Per-token negative log-likelihood (nats) of SmolLM2-135M on the fixed eval corpus.

    ``fn(substrate | None)`` scores the same tokens as :func:`wattlab.nn.evaluate.perplexity`
    (sliding windows, every token but the first once) and returns one NLL per scored token, so
    two substrates can be compared token by token (a paired interval).
    """
    import torch

    from wattlab.errors import SpecError
    from wattlab.nn.corpus import load_corpus
    from wattlab.nn.patch import patch
    from wattlab.nn.zoo import load_smollm2

    if not 1 <= stride < window or max_tokens < 2:
        raise SpecError(f"need 1 <= stride < window and max_tokens >= 2; got stride {stride}, "
                        f"window {window}, max_tokens {max_tokens}")
    model, tok = load_smollm2()
    ids = tok("\n\n".join(load_corpus("eval")), add_special_tokens=False,
              verbose=False)["input_ids"][:max_tokens]

    def run() -> np.ndarray:
        out: list[np.ndarray] = []
        seq = torch.tensor(ids, dtype=torch.long)
        prev, end = 1, min(window, len(ids))
        with torch.no_grad():
            while True:
                x = seq[max(0, end - window):end]
                k = end - prev
                o = model(x[None])
                logits = getattr(o, "logits", o)[0]
                out.append(torch.nn.functional.cross_entropy(
                    logits[-k - 1:-1].float(), x[-k:], reduction="none").numpy())
                prev = end
                if end == len(ids):
                    break
                end = min(end + stride, len(ids))
        return np.concatenate(out).astype(np.float64)

    def evaluate(sub: Any) -> np.ndarray:
        if sub is None:
            return run()
        with patch(model, sub, rng=np.random.default_rng(seed)):
            return run()
    return evaluate


def _minilm(n_sentences: int) -> tuple[Any, Any, list[str]]:
    from wattlab.nn.corpus import load_corpus
    from wattlab.nn.zoo import load_minilm

    model, tok = load_minilm()
    words = " ".join(load_corpus("eval")).split()
    return model, tok, [" ".join(words[i * 24:(i + 1) * 24]) for i in range(n_sentences)]


def minilm_cosines(*, n_sentences: int = 16, seed: int = 0) -> Samples:
    """Per-sentence cosine between MiniLM-L6 embeddings on the substrate and digital."""
    from wattlab.nn.evaluate import minilm_embed
    from wattlab.nn.patch import patch

    model, tok, sentences = _minilm(n_sentences)
    ref = np.asarray(minilm_embed(model, tok, sentences), dtype=np.float64)

    def evaluate(sub: Any) -> np.ndarray:
        if sub is None:
            return np.ones(len(sentences))
        with patch(model, sub, rng=np.random.default_rng(seed)):
            test = np.asarray(minilm_embed(model, tok, sentences), dtype=np.float64)
        return np.asarray(np.sum(ref * test, axis=1)
                          / (np.linalg.norm(ref, axis=1) * np.linalg.norm(test, axis=1)))
    return evaluate


class ErrorRecorder:
    """Substrate wrapper keeping, per GEMM call, the exact output's range (max - min) and the
    RMS of the output error against the exact product."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.torch_native = inner, f"errors({inner.name})", inner.torch_native
        self.calls: list[tuple[float, float]] = []

    def matmul(self, a: Any, b: Any, *, rng: np.random.Generator) -> tuple[Any, Any]:
        out, cost = self.inner.matmul(a, b, rng=rng)
        exact = np.asarray(a, dtype=np.float64) @ np.asarray(b, dtype=np.float64)
        err = np.asarray(out, dtype=np.float64) - exact
        self.calls.append((float(exact.max() - exact.min()), float(np.sqrt(np.mean(err**2)))))
        return out, cost

    def cost(self, gemm: Any) -> Any:
        return self.inner.cost(gemm)


def statistical_bits(calls: list[tuple[float, float]]) -> np.ndarray:
    """Paper-style statistical accuracy of each GEMM call, in bits:
    log2(output range / (sqrt(12) * RMS error)), i.e. the resolution of an ideal quantiser over
    the output range with the same error RMS."""
    rng_, sig = np.asarray(calls, dtype=np.float64).T
    return np.asarray(np.log2(rng_ / (np.sqrt(12.0) * np.maximum(sig, 1e-300))))


def minilm_gemm_accuracy(*, n_sentences: int = 16, seed: int = 0) -> Samples:
    """``fn(substrate)`` -> per-sentence mean statistical accuracy (bits) over every GEMM that
    MiniLM-L6 runs for that sentence (its real activations and weights)."""
    from wattlab.nn.evaluate import minilm_embed
    from wattlab.nn.patch import patch

    model, tok, sentences = _minilm(n_sentences)

    def evaluate(sub: Any) -> np.ndarray:
        per = []
        for s in sentences:
            rec = ErrorRecorder(sub)
            with patch(model, rec, rng=np.random.default_rng(seed)):
                minilm_embed(model, tok, [s])
            per.append(float(np.mean(statistical_bits(rec.calls))))
        return np.asarray(per)
    return evaluate


__all__ = ["ErrorRecorder", "minilm_cosines", "minilm_evaluator", "minilm_gemm_accuracy",
           "smollm2_evaluator", "smollm2_token_nll", "statistical_bits"]
