"""Quality evaluators for (possibly patched) models: perplexity and embedding fidelity."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from wattlab.errors import SpecError, require


@dataclass(frozen=True)
class Perplexity:
    """exp(mean negative log-likelihood) over ``tokens`` scored tokens, in ``windows`` forwards."""

    value: float
    mean_nll: float
    tokens: int
    windows: int


def _check_int(name: str, value: Any, low: int) -> None:
    if not isinstance(value, int) or value < low:
        raise SpecError(f"{name} must be an integer >= {low}, got {value!r}")


def perplexity(model: Any, tokenizer: Any, texts: Sequence[str], *, max_tokens: int | None = 4096,
               window: int = 256, stride: int = 128) -> Perplexity:
    """Sliding-window perplexity of a causal LM on ``texts`` joined by blank lines.

    The token stream is cut to ``max_tokens`` (None: all). Every token but the first is scored
    exactly once: the first forward scores the first ``window`` tokens, each later one moves
    the end ``stride`` tokens on and scores those, seeing ``window`` tokens, so every token
    after the first window has at least ``window - stride`` tokens of context. ``model(ids)`` may
    return a tensor of logits or an object with ``.logits``.
    """
    torch = require("torch", extra="torch", purpose="computing perplexity")
    _check_int("window", window, 2)
    _check_int("stride", stride, 1)
    if stride >= window:
        raise SpecError(f"stride ({stride}) must be smaller than window ({window}): each window "
                        f"needs at least one token of context before the tokens it scores")
    if max_tokens is not None:
        _check_int("max_tokens", max_tokens, 2)
    if isinstance(texts, str) or not texts or not all(isinstance(t, str) for t in texts):
        raise SpecError("texts must be a non-empty sequence of strings (e.g. load_corpus('eval'))")
    ids = tokenizer("\n\n".join(texts), add_special_tokens=False, verbose=False)["input_ids"]
    ids = torch.tensor(ids[:max_tokens] if max_tokens is not None else ids, dtype=torch.long)
    n_ids = int(ids.numel())
    if n_ids < 2:
        raise SpecError(f"texts give {n_ids} token(s); perplexity needs at least 2")
    nll, scored, windows = 0.0, 0, 0
    prev_end, end = 1, min(window, n_ids)  # token 0 has no prediction
    with torch.no_grad():
        while True:
            x = ids[max(0, end - window):end]
            k = end - prev_end  # <= len(x) - 1 because stride < window
            out = model(x[None])
            logits = getattr(out, "logits", out)[0]
            nll += float(torch.nn.functional.cross_entropy(
                logits[-k - 1:-1].float(), x[-k:], reduction="sum"))
            scored, windows, prev_end = scored + k, windows + 1, end
            if end == n_ids:
                break
            end = min(end + stride, n_ids)
    mean = nll / scored
    return Perplexity(value=math.exp(mean), mean_nll=mean, tokens=scored, windows=windows)


def minilm_embed(model: Any, tokenizer: Any, sentences: Sequence[str], *,
                 batch_size: int = 32) -> np.ndarray:
    """Sentence embeddings as sentence-transformers computes them for all-MiniLM-L6-v2.

    Token embeddings are mean-pooled over the attention mask, then L2-normalised; inputs are
    truncated at ``tokenizer.model_max_length``. Returns a float32 array (n_sentences, hidden).
    """
    torch = require("torch", extra="torch", purpose="computing MiniLM embeddings")
    if isinstance(sentences, str) or not sentences:
        raise SpecError("sentences must be a non-empty sequence of strings")
    _check_int("batch_size", batch_size, 1)
    chunks = []
    with torch.no_grad():
        for i in range(0, len(sentences), batch_size):
            enc = tokenizer(list(sentences[i:i + batch_size]), padding=True, truncation=True,
                            return_tensors="pt")
            hidden = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            chunks.append(torch.nn.functional.normalize(pooled, p=2, dim=1))
    return torch.cat(chunks).float().numpy()


def embedding_fidelity(ref_embeddings: Any, test_embeddings: Any) -> float:
    """Mean cosine similarity between matching rows of two (n, d) embedding matrices."""
    ref = np.asarray(ref_embeddings, dtype=np.float64)
    test = np.asarray(test_embeddings, dtype=np.float64)
    if ref.ndim != 2 or ref.shape != test.shape or ref.shape[0] == 0:
        raise SpecError(f"embeddings must be two (n, d) arrays of the same shape with n >= 1; "
                        f"got {ref.shape} and {test.shape}")
    if not (np.isfinite(ref).all() and np.isfinite(test).all()):
        raise SpecError("embeddings contain NaN or inf; check the model that produced them")
    nr, nt = np.linalg.norm(ref, axis=1), np.linalg.norm(test, axis=1)
    zero = np.flatnonzero((nr == 0) | (nt == 0))
    if zero.size:
        raise SpecError(f"row {int(zero[0])} is a zero vector, whose cosine similarity is "
                        f"undefined; drop it or fix the model that produced it")
    return float(np.mean(np.einsum("ij,ij->i", ref, test) / (nr * nt)))
