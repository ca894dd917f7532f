"""Per-token NLL (same windows as nn.evaluate.perplexity) and the paired perplexity-gap interval."""

import math

import numpy as np
import pytest
import torch

from wattlab.errors import SpecError
from wattlab.nn.evaluate import perplexity
from wattlab.nn.spiking import perplexity_gap, token_nlls


class _Tok:
    def __call__(self, text, add_special_tokens=False, verbose=False):
        return {"input_ids": [ord(c) % 50 for c in text]}


class _LM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.emb = torch.nn.Embedding(50, 16)
        self.out = torch.nn.Linear(16, 50)

    def forward(self, ids):
        return self.out(torch.tanh(self.emb(ids)))


def test_token_nlls_match_the_bridge_perplexity():
    texts = ["the quick brown fox jumps over the lazy dog " * 6]
    nll = token_nlls(_LM(), _Tok(), texts, max_tokens=200, window=64, stride=16)
    ref = perplexity(_LM(), _Tok(), texts, max_tokens=200, window=64, stride=16)
    assert len(nll) == ref.tokens
    assert math.exp(nll.mean()) == pytest.approx(ref.value, rel=1e-5)


def test_perplexity_gap_and_interval():
    rng = np.random.default_rng(0)
    base = rng.random(500)
    gap, (lo, hi) = perplexity_gap(base, base + 0.1, rng)
    assert gap == pytest.approx(math.expm1(0.1)) and lo == pytest.approx(gap)
    noisy = base + 0.1 + rng.normal(0, 0.5, 500)
    gap, (lo, hi) = perplexity_gap(base, noisy, rng)
    assert lo < gap < hi
    with pytest.raises(SpecError):
        perplexity_gap(base, base[:10], rng)
