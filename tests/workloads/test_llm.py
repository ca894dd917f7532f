"""LLM configs, parameter counts, FLOPs/bytes of prefill and decode, and request cost."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattlab.errors import SpecError
from wattlab.hardware.devices import Device, Efficiency
from wattlab.workloads.llm import (
    LlmConfig,
    decode_step,
    known_llms,
    kv_bytes_per_token,
    kv_cache_bytes,
    llm_config,
    param_count,
    pass_counts,
    pass_gemms,
    prefill,
    request_cost,
    weight_bytes,
)

# Published totals with the tolerance each one's rounding allows (half a unit of the last digit
# given, unless noted): (total, tol), (active, tol) or None for dense models, source.
PUBLISHED = {
    "llama-3.1-8b": ((8.03e9, 0.005e9), None, "Meta model card: 8.03B"),
    "llama-3.2-1b": ((1.24e9, 0.005e9), None, "Meta model card: 1.24B"),
    "llama-3.2-3b": ((3.21e9, 0.005e9), None, "Meta model card: 3.21B"),
    "qwen2.5-0.5b": ((0.49e9, 0.005e9), None, "Qwen2.5 model card: 0.49B"),
    "qwen2.5-1.5b": ((1.54e9, 0.005e9), None, "Qwen2.5 model card: 1.54B"),
    # the card truncates 7.6156B to 7.61B, so a full unit of the last digit
    "qwen2.5-7b": ((7.61e9, 0.01e9), None, "Qwen2.5 model card: 7.61B (truncated)"),
    "smollm2-135m": ((134.5e6, 0.05e6), None, "SmolLM2 safetensors metadata: 134.5M"),
    "mixtral-8x7b": ((46.7e9, 0.05e9), (12.9e9, 0.05e9), "Mistral: 46.7B total, 12.9B active"),
    "olmoe-1b-7b": ((6.9e9, 0.05e9), (1.3e9, 0.05e9), "OLMoE paper: 6.9B total, 1.3B active"),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_parameter_counts_match_published(name):
    (total, tol), active, _ = PUBLISHED[name]
    pc = param_count(llm_config(name))
    assert abs(pc.total - total) <= tol, pc.total
    if active is None:
        assert pc.active == pc.total
    else:
        assert abs(pc.active - active[0]) <= active[1], pc.active


def test_parameter_counts_equal_transformers_models_exactly():
    """Oracle: instantiate each architecture on the meta device and count its parameters."""
    torch = pytest.importorskip("torch", reason="torch is an optional extra")
    tr = pytest.importorskip("transformers", reason="transformers is an optional extra")

    def hf_config(c: LlmConfig):
        kw = dict(num_hidden_layers=c.layers, hidden_size=c.hidden, num_attention_heads=c.heads,
                  num_key_value_heads=c.kv_heads, intermediate_size=c.ffn, vocab_size=c.vocab,
                  tie_word_embeddings=c.tied_embeddings, head_dim=c.head_dim)
        if c.name.startswith("qwen3") and c.is_moe:
            return tr.Qwen3MoeConfig(num_experts=c.experts, num_experts_per_tok=c.top_k,
                                     moe_intermediate_size=c.ffn, **kw)
        if c.name.startswith("qwen"):
            return tr.Qwen2Config(**kw)
        if c.name.startswith("mixtral"):
            return tr.MixtralConfig(num_local_experts=c.experts, num_experts_per_tok=c.top_k, **kw)
        if c.name.startswith("olmoe"):
            return tr.OlmoeConfig(num_experts=c.experts, num_experts_per_tok=c.top_k, **kw)
        return tr.LlamaConfig(**kw)

    for name in known_llms():
        c = llm_config(name)
        with torch.device("meta"):
            model = tr.AutoModelForCausalLM.from_config(hf_config(c))
        assert sum(p.numel() for p in model.parameters()) == param_count(c).total, name


TINY = LlmConfig(name="tiny", layers=2, hidden=8, heads=2, kv_heads=1, head_dim=4, ffn=16,
                 vocab=10, tied_embeddings=True)


def test_prefill_flops_by_hand():
    p = prefill(TINY, 3)
    # per token per layer: q 8x8 + k 8x4 + v 8x4 + o 8x8 = 192 MACs; x3 tokens x2 layers x2 flop
    assert p.flops["attn_proj"] == 2304
    # causal keys 1+2+3 = 6; QK and AV: 2 x heads 2 x head_dim 4 x 6 = 96 MACs per layer
    assert p.flops["attn_scores"] == 384
    # SwiGLU 3 x 8 x 16 = 384 MACs per token per layer
    assert p.flops["ffn"] == 4608
    # logits of the last token only: 8 x 10 MACs
    assert p.flops["lm_head"] == 160
    assert prefill(TINY, 3, all_logits=True).flops["lm_head"] == 480
    assert p.per_layer()["ffn"] == 2304


def test_decode_step_by_hand():
    d = decode_step(TINY, 5)
    assert d.flops["attn_scores"] == 4 * 2 * 2 * 4 * 6  # 6 keys: 5 cached + itself
    # 16-bit: K and V of 1 head x 4 dims x 2 B = 16 B per token per layer
    assert d.bytes["kv_read"] == 5 * 16 * 2
    assert d.bytes["kv_write"] == 1 * 16 * 2
    assert d.bytes["attn_weights"] == 2 * 192 * 2
    assert d.bytes["lm_head_weights"] == 8 * 10 * 2


def test_kv_cache_bytes():
    c = llm_config("llama-3.1-8b")
    assert kv_bytes_per_token(c) == 128 * 1024  # 32 layers x 2 x 8 heads x 128 x 2 B
    assert kv_cache_bytes(c, 1000, batch=2) == 2000 * 128 * 1024
    assert kv_bytes_per_token(c.with_bits(kv_bits=8)) == 64 * 1024
    np.testing.assert_array_equal(kv_cache_bytes(c, np.array([1, 2])), [131072.0, 262144.0])


@pytest.mark.parametrize("name", ["llama-3.1-8b", "smollm2-135m", "mixtral-8x7b", "olmoe-1b-7b"])
def test_decode_matmul_flops_are_twice_the_active_weights(name):
    """One token = 2 flops per active matmul weight (the lm_head reuses tied embeddings)."""
    c = llm_config(name)
    pc = param_count(c)
    d = decode_step(c, 0)
    matmul_weights = pc.active - pc.embedding - pc.lm_head - pc.norms + c.vocab * c.hidden
    assert d.flops_total - d.flops["attn_scores"] == 2 * matmul_weights


def test_moe_prefill_touches_more_experts_than_decode():
    c = llm_config("mixtral-8x7b")
    expert_bytes = 3 * c.hidden * c.ffn * 2 * c.layers
    router = c.hidden * c.experts * 2 * c.layers
    assert decode_step(c, 10).bytes["ffn_weights"] == pytest.approx(router + 2 * expert_bytes)
    assert prefill(c, 512).bytes["ffn_weights"] == pytest.approx(router + 8 * expert_bytes)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 64), st.integers(0, 4096), st.integers(1, 8))
def test_vectorised_contexts_equal_scalar_passes(tokens, ctx, batch):
    c = llm_config("qwen2.5-0.5b")
    ctxs = np.array([0, ctx, 2 * ctx])
    vec = pass_counts(c, tokens, ctxs, batch=batch)
    for i, L in enumerate(ctxs):
        one = pass_counts(c, tokens, int(L), batch=batch)
        assert vec.flops_total[i] == pytest.approx(one.flops_total)
        assert vec.bytes_total[i] == pytest.approx(one.bytes_total)


@pytest.mark.parametrize("name", ["smollm2-135m", "qwen2.5-0.5b", "mixtral-8x7b", "olmoe-1b-7b"])
@pytest.mark.parametrize("all_logits", [False, True])
def test_pass_gemms_macs_equal_pass_counts(name, all_logits):
    c = llm_config(name)
    gemms = pass_gemms(c, 7, batch=3, all_logits=all_logits)
    counts = pass_counts(c, 7, 0, batch=3, all_logits=all_logits)
    assert 2 * sum(g.macs for _, g in gemms) == counts.flops_total - counts.flops["attn_scores"]
    assert dict(gemms)["lm_head"].m == (21 if all_logits else 3)


def test_weight_bytes_scale_with_bits():
    c = llm_config("llama-3.2-1b")
    assert weight_bytes(c.with_bits(4)) == pytest.approx(weight_bytes(c) / 4)


# -- validation --------------------------------------------------------------------------------

@pytest.mark.parametrize("kw, field", [
    (dict(hidden=10, heads=3, kv_heads=1), "'heads'"),
    (dict(heads=4, kv_heads=3), "'kv_heads'"),
    (dict(experts=4, top_k=5), "'top_k'"),
    (dict(experts=4, top_k=0), "'experts'"),
    (dict(layers=0), "'layers'"),
    (dict(weight_bits=0), "'weight_bits'"),
])
def test_inconsistent_configs_name_the_field(kw, field):
    base = dict(name="bad", layers=2, hidden=8, heads=2, kv_heads=1, ffn=16, vocab=10)
    with pytest.raises(SpecError, match=field):
        LlmConfig(**{**base, **kw})


def test_unknown_config_and_unknown_field(tmp_path):
    with pytest.raises(SpecError, match=r"unknown LLM config 'llama-9b'.*known:"):
        llm_config("llama-9b")
    f = tmp_path / "m.toml"
    f.write_text('[models."x"]\nlayers = 2\nhidden = 8\nheads = 2\nkv_heads = 1\nffn = 16\n'
                 'vocab = 10\nexpert = 4\n')
    with pytest.raises(SpecError, match=r"unknown field\(s\) \['expert'\]"):
        llm_config(f)


def test_user_files_toml_and_hf_json(tmp_path):
    f = tmp_path / "m.toml"
    f.write_text('[models."mine"]\nlayers = 2\nhidden = 8\nheads = 2\nkv_heads = 1\nffn = 16\n'
                 'vocab = 10\ntied_embeddings = true\nhead_dim = 4\n')
    assert llm_config(f) == LlmConfig(**{**TINY.to_dict(), "name": "mine"})
    hf = {"model_type": "mixtral", "num_hidden_layers": 32, "hidden_size": 4096,
          "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
          "vocab_size": 32000, "tie_word_embeddings": False, "num_local_experts": 8,
          "num_experts_per_tok": 2}
    j = tmp_path / "mixtral-8x7b.json"
    j.write_text(json.dumps(hf))
    assert llm_config(j) == llm_config("mixtral-8x7b")


# -- request cost on a device ------------------------------------------------------------------

def test_request_cost_equals_prefill_plus_step_by_step_decode():
    c, t4 = llm_config("llama-3.2-1b").with_bits(4), Device.from_registry("t4")
    eff = Efficiency(0.5, 0.8)
    cost = request_cost(c, t4, 100, 20, efficiency=eff)
    pre = prefill(c, 100)
    total = t4.roofline(pre.flops_total, pre.bytes_total, "fp16", eff)
    for L in range(100, 119):
        d = decode_step(c, L)
        total = total + t4.roofline(d.flops_total, d.bytes_total, "fp16", eff)
    assert cost.energy_total_j == pytest.approx(total.energy_total_j, rel=1e-12)
    assert cost.latency_s == pytest.approx(total.latency_s, rel=1e-12)
    assert cost.counts["tokens"] == 120 and cost.counts["tokens_out"] == 20
    assert cost.counts["ops"] == pytest.approx(total.counts["ops"])
    assert 0 < cost.counts["prefill_s"] < cost.latency_s
    assert cost.j_per_token == cost.energy_total_j / 120


def test_request_cost_accepts_names():
    by_name = request_cost("smollm2-135m", "cpu_2core", 32, 8)
    by_obj = request_cost(llm_config("smollm2-135m"), Device.from_registry("cpu_2core"), 32, 8)
    assert by_name == by_obj


def test_bigger_model_costs_more_per_request():
    t4 = Device.from_registry("t4")
    small = request_cost(llm_config("llama-3.2-1b").with_bits(4), t4, 256, 128)
    big = request_cost(llm_config("llama-3.1-8b").with_bits(4), t4, 256, 128)
    assert big.energy_total_j > 2 * small.energy_total_j


def test_model_that_does_not_fit_is_an_error():
    with pytest.raises(SpecError, match=r"needs 16\.06 GB but t4 holds 16\.00 GB"):
        request_cost(llm_config("llama-3.1-8b"), Device.from_registry("t4"), 16, 16)
    with pytest.raises(SpecError, match="n_in >= 1"):
        request_cost(TINY, Device.from_registry("t4"), 0, 1)
