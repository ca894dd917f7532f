"""A tiny MoE transformer (HF Llama layers with ``MoEFFN`` MLPs), trained in-repo in seconds.

The training language is a low-entropy synthetic one: each sequence follows ``x[t+1] = (a*x[t] + b)
mod V`` for a per-sequence ``(a, b)`` drawn from a few rules, with a small chance of a random token.
A trained model predicts it confidently, so drafts agree often (as for real text), yet keeps a
non-degenerate distribution for the sampling tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from wattlab.errors import SpecError
from wattlab.systems.moe.layer import MoEFFN, check_routing


@dataclass(frozen=True)
class TinyConfig:
    vocab: int = 64
    hidden: int = 48
    layers: int = 2
    heads: int = 4
    kv_heads: int = 2
    n_experts: int = 8
    top_k: int = 2
    expert_ffn: int = 32
    max_len: int = 128


def build(cfg: TinyConfig, seed: int = 0) -> nn.Module:
    """A random-init LlamaForCausalLM whose MLPs are ``MoEFFN`` layers."""
    from transformers import LlamaConfig, LlamaForCausalLM

    check_routing(cfg.n_experts, cfg.top_k)
    torch.manual_seed(seed)  # transformers' init draws from the global generator
    lc = LlamaConfig(vocab_size=cfg.vocab, hidden_size=cfg.hidden, intermediate_size=cfg.expert_ffn,
                     num_hidden_layers=cfg.layers, num_attention_heads=cfg.heads,
                     num_key_value_heads=cfg.kv_heads, max_position_embeddings=cfg.max_len,
                     tie_word_embeddings=True,
                     attn_implementation="eager")  # type: ignore[call-arg]
    model = LlamaForCausalLM(lc)
    for layer in model.model.layers:
        layer.mlp = MoEFFN(cfg.hidden, cfg.expert_ffn, cfg.n_experts, cfg.top_k)
    return model.eval()


def synthetic_batch(cfg: TinyConfig, batch: int, length: int, gen: torch.Generator,
                    noise: float = 0.05) -> torch.Tensor:
    """Sequences of the affine-recurrence language (see the module docstring)."""
    v = cfg.vocab
    a = torch.tensor([1, 3, 5])[torch.randint(0, 3, (batch,), generator=gen)]
    b = torch.randint(1, 4, (batch,), generator=gen)
    x = torch.empty(batch, length, dtype=torch.long)
    x[:, 0] = torch.randint(0, v, (batch,), generator=gen)
    for t in range(1, length):
        nxt = (a * x[:, t - 1] + b) % v
        flip = torch.rand(batch, generator=gen) < noise
        x[:, t] = torch.where(flip, torch.randint(0, v, (batch,), generator=gen), nxt)
    return x


def train(cfg: TinyConfig = TinyConfig(), steps: int = 150, seed: int = 0,
          lr: float = 1e-2) -> nn.Module:
    """Build and train the tiny MoE on the synthetic language (a few seconds on one core)."""
    if steps < 0:
        raise SpecError(f"steps={steps}: must be >= 0")
    model = build(cfg, seed)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        x = synthetic_batch(cfg, 32, 24, gen)
        loss = model(input_ids=x, labels=x).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()
