"""Perplexity and embedding fidelity on toy inputs with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from wattlab.errors import SpecError
from wattlab.nn import embedding_fidelity, perplexity


class CharTokenizer:
    """One token per character (code point mod vocab)."""

    vocab = 11

    def __call__(self, text, add_special_tokens=False, verbose=False):  # type: ignore[no-untyped-def]
        return {"input_ids": [ord(c) % self.vocab for c in text]}


class UniformLM:
    """Same logits everywhere: perplexity must equal the vocabulary size."""

    def __init__(self, torch, vocab: int) -> None:  # type: ignore[no-untyped-def]
        self.torch, self.vocab, self.seen = torch, vocab, 0

    def __call__(self, ids):  # type: ignore[no-untyped-def]
        self.seen += ids.shape[1]
        return self.torch.zeros(ids.shape[0], ids.shape[1], self.vocab)


class OracleLM(UniformLM):
    """Puts all mass on the true next token of a known stream, given its absolute offset."""

    def __init__(self, torch, stream) -> None:  # type: ignore[no-untyped-def]
        super().__init__(torch, CharTokenizer.vocab)
        self.stream = stream

    def __call__(self, ids):  # type: ignore[no-untyped-def]
        t = self.torch
        logits = t.full((1, ids.shape[1], self.vocab), -1e4)
        for start in range(len(self.stream) - ids.shape[1] + 1):  # locate the window
            if self.stream[start:start + ids.shape[1]] == ids[0].tolist():
                break
        nxt = self.stream[start + 1:start + ids.shape[1] + 1]
        logits[0, t.arange(len(nxt)), t.tensor(nxt)] = 0.0
        return logits


@pytest.mark.parametrize(("window", "stride"), [(8, 7), (8, 3), (5, 1), (2, 1), (64, 32)])
def test_uniform_model_scores_every_token_once(window: int, stride: int) -> None:
    torch = pytest.importorskip("torch", reason="perplexity runs the model with torch")
    texts = ["abcdefghijklmnopq", "rstuvw"]
    n = len("\n\n".join(texts))
    res = perplexity(UniformLM(torch, 11), CharTokenizer(), texts, max_tokens=None,
                     window=window, stride=stride)
    assert res.tokens == n - 1
    assert res.value == pytest.approx(11.0, rel=1e-6)  # exact up to float rounding


def test_oracle_model_has_perplexity_one_and_max_tokens_cuts() -> None:
    torch = pytest.importorskip("torch", reason="perplexity runs the model with torch")
    text = "the quick brown fox jumps over the lazy dog"
    stream = CharTokenizer()(text)["input_ids"]
    res = perplexity(OracleLM(torch, stream), CharTokenizer(), [text], max_tokens=20,
                     window=6, stride=4)
    assert res.tokens == 19 and res.value == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("kwargs", [{"window": 1}, {"stride": 0}, {"window": 4, "stride": 4},
                                    {"max_tokens": 1}])
def test_perplexity_bad_settings(kwargs: dict) -> None:
    torch = pytest.importorskip("torch", reason="perplexity runs the model with torch")
    with pytest.raises(SpecError):
        perplexity(UniformLM(torch, 11), CharTokenizer(), ["abcdef"], **kwargs)
    with pytest.raises(SpecError, match="non-empty"):
        perplexity(UniformLM(torch, 11), CharTokenizer(), "abcdef")


def test_perplexity_too_short() -> None:
    torch = pytest.importorskip("torch", reason="perplexity runs the model with torch")
    with pytest.raises(SpecError, match="at least 2"):
        perplexity(UniformLM(torch, 11), CharTokenizer(), ["a"])


finite = st.floats(-10, 10, allow_nan=False, width=32)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (4, 6), elements=finite), st.floats(0.1, 100))
def test_fidelity_is_one_for_positive_rescaling(x: np.ndarray, scale: float) -> None:
    x = x + np.eye(4, 6)[:, :] * 11.0  # keep rows away from zero
    assert embedding_fidelity(x, scale * x) == pytest.approx(1.0, abs=1e-12)
    assert embedding_fidelity(x, -x) == pytest.approx(-1.0, abs=1e-12)


def test_fidelity_known_value() -> None:
    ref = np.array([[1.0, 0.0], [1.0, 0.0]])
    test = np.array([[0.0, 2.0], [1.0, 1.0]])
    assert embedding_fidelity(ref, test) == pytest.approx((0.0 + 1 / math.sqrt(2)) / 2)


@pytest.mark.parametrize(("ref", "test", "match"), [
    (np.ones((2, 3)), np.ones((3, 3)), "same shape"),
    (np.ones(3), np.ones(3), "same shape"),
    (np.zeros((1, 3)), np.ones((1, 3)), "zero vector"),
    (np.full((1, 3), np.nan), np.ones((1, 3)), "NaN"),
])
def test_fidelity_errors(ref: np.ndarray, test: np.ndarray, match: str) -> None:
    with pytest.raises(SpecError, match=match):
        embedding_fidelity(ref, test)
