"""Real offline models through the bridge: SmolLM2-135M and MiniLM-L6 (session fixtures)."""

from __future__ import annotations

import numpy as np
import pytest

from wattlab.nn import (
    embedding_fidelity,
    linear_macs_per_token,
    load_corpus,
    minilm_embed,
    patch,
    perplexity,
)
from wattlab.substrates.exact import ExactSubstrate

# SmolLM2-135M by hand (hidden 576, 9 query / 3 KV heads of 64, FFN 1536, vocab 49152, 30 layers):
# q 576*576 + k 576*192 + v 576*192 + o 576*576 + (gate, up, down) 3*576*1536 = 3,538,944 per
# layer; x30 = 106,168,320; the tied lm_head adds 576*49152 = 28,311,552.
SMOLLM2_LINEARS = 30 * 7 + 1
SMOLLM2_MACS_PER_TOKEN = 30 * 3_538_944 + 28_311_552


def test_smollm2_shape_count_matches_hand_count(smollm2) -> None:  # type: ignore[no-untyped-def]
    torch = pytest.importorskip("torch")
    model, _ = smollm2
    assert sum(isinstance(m, torch.nn.Linear) for m in model.modules()) == SMOLLM2_LINEARS
    assert linear_macs_per_token(model) == SMOLLM2_MACS_PER_TOKEN == 134_479_872


def test_smollm2_patched_logits_and_macs(smollm2) -> None:  # type: ignore[no-untyped-def]
    torch = pytest.importorskip("torch")
    model, tok = smollm2
    ids = tok("Energy per token is what we measure.", return_tensors="pt").input_ids
    with torch.no_grad():
        ref = model(ids).logits
        with patch(model, ExactSubstrate()) as h:
            out = model(ids).logits
    assert h.calls == SMOLLM2_LINEARS
    assert h.macs == ids.shape[1] * SMOLLM2_MACS_PER_TOKEN == h.cost.counts["macs"]
    # NumPy's BLAS sums in another order than torch's: float32 rounding only (logits ~ 10-30).
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-3)
    assert torch.equal(out.argmax(-1), ref.argmax(-1))
    assert sum(isinstance(m, torch.nn.Linear) for m in model.modules()) == SMOLLM2_LINEARS


@pytest.mark.slow
def test_smollm2_perplexity_patched_equals_unpatched(smollm2) -> None:  # type: ignore[no-untyped-def]
    model, tok = smollm2
    texts = load_corpus("eval")
    ref = perplexity(model, tok, texts, max_tokens=192, window=128, stride=64)
    with patch(model, ExactSubstrate()):
        got = perplexity(model, tok, texts, max_tokens=192, window=128, stride=64)
    assert ref.tokens == got.tokens == 191
    # Q4_1 SmolLM2-135M-Instruct on Python docs: single-digit to tens (a broken model gives
    # hundreds to thousands); patched equals unpatched to float rounding.
    assert 2.0 < ref.value < 60.0
    assert got.value == pytest.approx(ref.value, rel=1e-4)


def test_minilm_embeddings_patched_and_semantics(minilm) -> None:  # type: ignore[no-untyped-def]
    model, tok = minilm
    sentences = ["A cat sits on the mat.", "A kitten is sitting on a rug.",
                 "Quarterly revenue fell by four percent."]
    ref = minilm_embed(model, tok, sentences, batch_size=2)
    assert ref.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(ref, axis=1), 1.0, rtol=1e-5)
    sim = ref @ ref.T
    assert sim[0, 1] > 0.5 > sim[0, 2]  # paraphrase far closer than the unrelated sentence
    with patch(model, ExactSubstrate()) as h:
        test = minilm_embed(model, tok, sentences)
    assert embedding_fidelity(ref, test) > 1 - 1e-6
    # 6 layers x (q, k, v, attn-out, ffn-in, ffn-out) + BertModel's pooler (run, though unused)
    assert h.calls == 6 * 6 + 1
