"""MoEfication: split each dense SwiGLU FFN of a Llama model into E experts with a fitted router.

After Zhang et al. (MoEfication, 2022): the FFN's ``m`` neurons are clustered into ``E`` equal
groups by balanced k-means on their (normalised) gate/up projection rows, so neurons that respond
to similar inputs share an expert. The router is a linear map fitted by ridge regression on
calibration text to each expert's activation mass, ``s_e(x) = sum_{i in e} |a_i(x)| * ||W_down[:, i]||``,
and routes each token to the ``top_k`` experts with the largest predicted mass. Experts add
their outputs unscaled (``combine="ones"``): with ``top_k = E`` the MoE equals the dense FFN.
Optionally (``shared_fraction``) the neurons with the largest mean activation mass on the
calibration text form an always-active shared expert and only the rest are clustered and routed
(after DeepSeekMoE-style shared experts; without fine-tuning this cuts the perplexity cost a lot).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from wattlab.errors import SpecError
from wattlab.systems.moe.layer import MoEFFN, check_routing


@dataclass(frozen=True)
class MoEfied:
    """What MoEfication did: experts per layer, top-k, expert size and calibration tokens."""

    n_experts: int
    top_k: int
    expert_ffn: int
    layers: int
    calibration_tokens: int
    shared_ffn: int = 0


def balanced_kmeans(feats: np.ndarray, k: int, rng: np.random.Generator,
                    iters: int = 8) -> np.ndarray:
    """Labels putting exactly ``len(feats) / k`` rows in each of ``k`` clusters.

    Plain k-means iterations, then a balanced final assignment: (row, centre) pairs are taken in
    order of distance and a row joins a centre while the centre has room."""
    n = len(feats)
    if n % k:
        raise SpecError(f"{n} neurons do not split into {k} equal experts; pick n_experts dividing {n}")
    cent = feats[rng.choice(n, k, replace=False)]
    sq = (feats ** 2).sum(1)[:, None]

    def dist(c: np.ndarray) -> np.ndarray:
        return sq - 2 * feats @ c.T + (c ** 2).sum(1)[None]

    for _ in range(iters):
        lab = dist(cent).argmin(1)
        for c in range(k):
            if (lab == c).any():
                cent[c] = feats[lab == c].mean(0)
    d = dist(cent)
    labels, room = np.full(n, -1), np.full(k, n // k)
    for flat in np.argsort(d, axis=None):
        row, c = divmod(int(flat), k)
        if labels[row] < 0 and room[c] > 0:
            labels[row], room[c] = c, room[c] - 1
    return labels


def mlp_inputs(model: Any, ids: torch.Tensor) -> list[torch.Tensor]:
    """The input of every decoder layer's MLP on the calibration tokens ``ids [1, T]``."""
    layers = model.model.layers
    seen: list[torch.Tensor] = [torch.empty(0)] * len(layers)
    hooks = [layer.mlp.register_forward_pre_hook(
        lambda _m, args, i=i: seen.__setitem__(i, args[0].reshape(-1, args[0].shape[-1]).detach()))
        for i, layer in enumerate(layers)]
    try:
        with torch.no_grad():
            model(input_ids=ids)
    finally:
        for h in hooks:
            h.remove()
    return seen


def _router(x: torch.Tensor, mass: torch.Tensor, ridge: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Ridge regression ``mass ≈ x W^T + b``; returns (W [E, d], b [E])."""
    xa = torch.cat([x, torch.ones(len(x), 1)], 1).double()
    gram = xa.T @ xa + ridge * len(x) * torch.eye(xa.shape[1], dtype=torch.float64)
    sol = torch.linalg.solve(gram, xa.T @ mass.double()).float()
    return sol[:-1].T.contiguous(), sol[-1].contiguous()


def moefy_mlp(mlp: Any, x: torch.Tensor, n_experts: int, top_k: int,
              rng: np.random.Generator, ridge: float = 1e-3, shared_fraction: float = 0.0) -> MoEFFN:
    """An ``MoEFFN`` made from a Llama MLP (gate/up/down projections) and its calibration inputs."""
    gate, up, down = mlp.gate_proj.weight.detach(), mlp.up_proj.weight.detach(), mlp.down_proj.weight.detach()
    if not 0 <= shared_fraction < 1:
        raise SpecError(f"shared_fraction={shared_fraction}: must lie in [0, 1)")
    n_shared = round(shared_fraction * gate.shape[0])
    n_shared -= (gate.shape[0] - n_shared) % n_experts  # the routed rest must split evenly
    shared_w: tuple[torch.Tensor, ...] | None = None
    if n_shared > 0:
        with torch.no_grad():
            mass = ((F.silu(x @ gate.T) * (x @ up.T)).abs() * down.norm(dim=0)).mean(0)
        rank = torch.argsort(mass, descending=True)
        keep, rest = rank[:n_shared], torch.sort(rank[n_shared:]).values
        shared_w = (gate[keep].T, up[keep].T, down[:, keep].T)
        gate, up, down = gate[rest], up[rest], down[:, rest]
    feats = torch.cat([F.normalize(gate, dim=1), F.normalize(up, dim=1)], 1).numpy().astype(np.float64)
    labels = torch.from_numpy(balanced_kmeans(feats, n_experts, rng))
    order = torch.argsort(labels, stable=True).reshape(n_experts, -1)
    m_e = order.shape[1]
    moe = MoEFFN(gate.shape[1], m_e, n_experts, top_k, combine="ones")
    with torch.no_grad():
        moe.w_gate.copy_(gate[order].transpose(1, 2))
        moe.w_up.copy_(up[order].transpose(1, 2))
        moe.w_down.copy_(down.T[order])
        act = F.silu(x @ gate.T) * (x @ up.T)
        mass = (act.abs() * down.norm(dim=0)).reshape(len(x), -1)[:, order.reshape(-1)]
        w, b = _router(x, mass.reshape(len(x), n_experts, m_e).sum(-1), ridge)
        moe.router.weight.copy_(w)
        moe.router.bias.copy_(b)
    if shared_w is not None:
        moe.set_shared(*shared_w)
    return moe


def moefy(model: Any, calib_ids: torch.Tensor, n_experts: int, top_k: int,
          rng: np.random.Generator, shared_fraction: float = 0.0) -> MoEfied:
    """Replace every decoder MLP of a Llama-style model by an ``MoEFFN`` in place (copy it first
    if the dense model is shared). ``calib_ids [1, T]`` are the calibration tokens."""
    check_routing(n_experts, top_k)
    inputs = mlp_inputs(model, calib_ids)
    layers = model.model.layers
    for layer, x in zip(layers, inputs, strict=True):
        layer.mlp = moefy_mlp(layer.mlp, x, n_experts, top_k, rng, shared_fraction=shared_fraction)
    first = layers[0].mlp
    shared = 0 if first.shared is None else int(first.shared[0].shape[1])
    return MoEfied(n_experts, top_k, first.w_gate.shape[2], len(layers), int(calib_ids.numel()), shared)


def set_top_k(model: nn.Module, top_k: int) -> None:
    """Change the routing top-k of every MoE layer (e.g. for a perplexity-vs-k sweep)."""
    for m in model.modules():
        if isinstance(m, MoEFFN):
            check_routing(m.n_experts, top_k)
            m.top_k = top_k
