"""The MoE feed-forward layer: a router, top-k routing and stacked SwiGLU experts.

``MoEFFN`` replaces a Llama MLP. Expert ``e`` computes ``down_e(silu(gate_e x) * up_e x)``; the
stacked weights are ``w_gate, w_up: [E, d, m]`` and ``w_down: [E, m, d]``. ``combine`` is
``"softmax"`` (router probabilities renormalised over the chosen experts, as in trained MoEs)
or ``"ones"`` (each chosen expert adds its output unscaled: a MoEfied dense FFN whose experts
partition the neurons, so routing to all experts gives back the dense FFN exactly).

Elasticity knobs (used by the self-speculative draft, left at ``None`` for the full model):
``k_override`` (fewer experts), ``allowed`` (a bool mask of experts the router may pick: the
cached "hot" set; with ``k_override=None`` every token uses all hot experts, which for
``combine="ones"`` runs as one fused dense FFN) and ``weight_bits`` (the MSB slice of the
bit-sliced weights). ``trace``, when a
list, receives every routing decision ``idx [N, k]``.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn
from torch.nn import functional as F

from wattlab.errors import SpecError
from wattlab.systems.moe.bitslice import msb_dequantized

Combine = Literal["softmax", "ones"]


def check_routing(n_experts: int, top_k: int) -> None:
    """SpecError unless ``1 <= top_k <= n_experts``."""
    if n_experts < 1:
        raise SpecError(f"n_experts={n_experts}: an MoE layer needs at least one expert")
    if not 1 <= top_k <= n_experts:
        raise SpecError(f"top_k={top_k} with n_experts={n_experts}: top-k must lie in "
                        f"1..{n_experts}; lower top_k or add experts")


class MoEFFN(nn.Module):
    """Top-k routed SwiGLU experts (see the module docstring)."""

    def __init__(self, hidden: int, expert_ffn: int, n_experts: int, top_k: int,
                 combine: Combine = "softmax") -> None:
        super().__init__()
        check_routing(n_experts, top_k)
        self.n_experts, self.top_k, self.combine = n_experts, top_k, combine
        self.router = nn.Linear(hidden, n_experts)
        scale = hidden ** -0.5
        self.w_gate = nn.Parameter(torch.randn(n_experts, hidden, expert_ffn) * scale)
        self.w_up = nn.Parameter(torch.randn(n_experts, hidden, expert_ffn) * scale)
        self.w_down = nn.Parameter(torch.randn(n_experts, expert_ffn, hidden) * expert_ffn ** -0.5)
        self.k_override: int | None = None
        self.allowed: torch.Tensor | None = None
        self.weight_bits: int | None = None
        self.trace: list[torch.Tensor] | None = None
        self._lowbit: dict[int, tuple[torch.Tensor, ...]] = {}
        self._fused: dict[tuple[int, bytes], tuple[torch.Tensor, ...]] = {}
        self.shared: nn.ParameterList | None = None

    def set_shared(self, gate: torch.Tensor, up: torch.Tensor, down: torch.Tensor) -> None:
        """An always-active shared expert (``gate, up: [d, s]``, ``down: [s, d]``), added to every
        token's output unscaled, as in DeepSeekMoE-style layers."""
        self.shared = nn.ParameterList([nn.Parameter(w.detach().clone()) for w in (gate, up, down)])
        self._lowbit.clear()
        self._fused.clear()

    def shared_out(self, x: torch.Tensor) -> torch.Tensor:
        """The shared expert's output (zeros without one); MSB-sliced when ``weight_bits`` is set."""
        if self.shared is None:
            return torch.zeros_like(x)
        g, u, d = self.shared
        if self.weight_bits is not None:
            key = -self.weight_bits  # negative keys: the shared expert's slices
            if key not in self._lowbit:
                self._lowbit[key] = tuple(msb_dequantized(w.detach(), self.weight_bits) for w in self.shared)
            g, u, d = self._lowbit[key]
        return (F.silu(x @ g) * (x @ u)) @ d

    # -- routing ---------------------------------------------------------------------------
    def route(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Expert indices ``[N, k]`` and combine weights ``[N, k]`` for tokens ``x [N, d]``."""
        logits = self.router(x)
        k = self.k_override or self.top_k
        if self.allowed is not None:
            n_hot = int(self.allowed.sum())
            k = n_hot if self.k_override is None else min(k, n_hot)
            logits = logits.masked_fill(~self.allowed, float("-inf"))
        top, idx = logits.topk(k, dim=-1)
        w = torch.softmax(top, dim=-1) if self.combine == "softmax" else torch.ones_like(top)
        if self.trace is not None:
            self.trace.append(idx.detach().clone())
        return idx, w

    def expert_weights(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The stacked weights in use: full precision, or the MSB slice when ``weight_bits`` is set."""
        if self.weight_bits is None:
            return self.w_gate, self.w_up, self.w_down
        b = self.weight_bits
        if b not in self._lowbit:
            self._lowbit[b] = tuple(msb_dequantized(w.detach(), b)
                                    for w in (self.w_gate, self.w_up, self.w_down))
        g, u, d = self._lowbit[b]
        return g, u, d

    def expert(self, e: int, x: torch.Tensor) -> torch.Tensor:
        """Expert ``e`` applied to the rows ``x [n, d]``."""
        g, u, d = self.expert_weights()
        return (F.silu(x @ g[e]) * (x @ u[e])) @ d[e]

    def experts_forward(self, x: torch.Tensor, idx: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """Reference combine: every (token, slot) assignment computed once, loop over active experts."""
        out = torch.zeros_like(x)
        flat = idx.reshape(-1)
        for e in torch.unique(flat).tolist():
            tok, slot = (idx == e).nonzero(as_tuple=True)
            out.index_add_(0, tok, self.expert(e, x[tok]) * w[tok, slot, None])
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        flat = x.reshape(-1, shape[-1])
        if self._all_hot():
            return self._hot_dense(flat).reshape(shape)
        idx, w = self.route(flat)
        return (self.experts_forward(flat, idx, w) + self.shared_out(flat)).reshape(shape)

    def _all_hot(self) -> bool:
        """Every token uses every hot expert with weight 1: the hot set acts as one dense FFN."""
        return (self.allowed is not None and self.k_override is None and self.combine == "ones"
                and self.trace is None)

    def _hot_dense(self, x: torch.Tensor) -> torch.Tensor:
        """The sum of the hot experts as one fused FFN (weights concatenated once per hot set)."""
        assert self.allowed is not None
        key = (self.weight_bits or 0, bytes(self.allowed.numpy()))
        if key not in self._fused:
            sel = self.allowed.nonzero().reshape(-1)
            g, u, d = self.expert_weights()
            self._fused = {key: (torch.cat(list(g[sel].detach()), 1), torch.cat(list(u[sel].detach()), 1),
                                 torch.cat(list(d[sel].detach()), 0))}
        g, u, d = self._fused[key]
        return (F.silu(x @ g) * (x @ u)) @ d + self.shared_out(x)

    def expert_params(self) -> int:
        """Parameters of one expert."""
        return int(self.w_gate[0].numel() * 3)


def moe_layers(model: nn.Module) -> list[MoEFFN]:
    """The MoE layers of a model, in order."""
    return [m for m in model.modules() if isinstance(m, MoEFFN)]
