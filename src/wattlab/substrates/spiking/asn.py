"""ASN / NASN adaptive spiking neurons: a RECONSTRUCTION (arXiv 2604.12365, labelled so).

The paper's equations were not retrieved; this is the research notes' reconstruction (section
5, label [I]) from the integer-training lineage (I-LIF, SpikeYOLO) and learnable-dynamics
neurons (PLIF). Per channel, per timestep t::

    H_t = alpha * V_{t-1} + X_t              alpha = sigmoid(a)   (learnable decay)
    S_t = clip(round(H_t / theta), 0, D)     theta = softplus(b)  (learnable threshold)
    V_t = H_t - theta * S_t                  (soft reset)
    out = theta * S_t                        (theta folds into the next layer at inference)

``round`` has a straight-through gradient inside [0, D]. NASN normalises the input current
``X`` per channel (batch statistics in training, running statistics at inference) with a
positive scale ``gamma = softplus(g)``; at inference the affine map ``X -> k X + c`` (k > 0)
folds into the neuron as threshold ``theta / k`` and bias ``+ c / k`` on the previous layer
(``fold_norm``). Baselines: plain LIF (binary spikes, fixed alpha and theta, arctan surrogate)
and an integer-ReLU ANN (``clip(round(x / theta), 0, D) * theta``, one pass).

Inference expands each integer ``S_t`` into ``D`` binary spikes (rate) or ``log2(D + 1)``
bitwise spikes through the exact codings of ``wattlab.substrates.spiking.coding``;
``deploy`` runs the network with integer (8-bit) weights both as integers and as expanded
spikes, and the two give bit-identical logits.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

from wattlab.errors import SpecError
from wattlab.substrates.spiking.coding import Coding
from wattlab.substrates.spiking.layer import quantize_weight, spiking_matmul
from wattlab.substrates.spiking.neurons import spike

Variant = Literal["ann", "lif", "asn", "nasn"]
VARIANTS: tuple[Variant, ...] = ("ann", "lif", "asn", "nasn")


class _RoundSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        return torch.round(x)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> torch.Tensor:
        return g


def _inv_softplus(y: float) -> float:
    return math.log(math.expm1(y))


class ASN(nn.Module):
    """Adaptive spiking neuron layer (see the module docstring); ``norm=True`` gives NASN."""

    def __init__(self, channels: int, levels: int = 3, *, learn_alpha: bool = True,
                 learn_theta: bool = True, norm: bool = False, alpha: float = 0.5,
                 theta: float = 1.0) -> None:
        super().__init__()
        if levels < 1:
            raise SpecError(f"levels D must be >= 1, got {levels!r}")
        if not 0 < alpha < 1:
            raise SpecError(f"alpha must be in (0, 1), got {alpha!r}")
        self.levels = levels
        a = torch.full((channels,), math.log(alpha / (1 - alpha)))
        b = torch.full((channels,), _inv_softplus(theta))
        self.a = nn.Parameter(a, requires_grad=learn_alpha)
        self.b = nn.Parameter(b, requires_grad=learn_theta)
        self.norm = nn.BatchNorm1d(channels, affine=False) if norm else None
        if norm:
            self.g = nn.Parameter(torch.full((channels,), _inv_softplus(1.0)))
            self.beta = nn.Parameter(torch.zeros(channels))
        self.theta_scale: torch.Tensor | None = None  # set by fold_norm

    @property
    def alpha(self) -> torch.Tensor:
        return torch.sigmoid(self.a)

    @property
    def theta(self) -> torch.Tensor:
        th = nn.functional.softplus(self.b) + 1e-4
        return th if self.theta_scale is None else th * self.theta_scale

    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        """NASN's affine normalisation of the input current ``x[T, B, C]``."""
        if self.norm is None:
            return x
        t, b, c = x.shape
        y = self.norm(x.reshape(t * b, c)).reshape(t, b, c)
        return y * nn.functional.softplus(self.g) + self.beta

    def integer_forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(S[T, B, C] integer levels, theta) for input current ``x[T, B, C]``."""
        x = self.normalise(x)
        alpha, theta = self.alpha, self.theta
        v = torch.zeros_like(x[0])
        out = []
        for t in range(x.shape[0]):
            h = alpha * v + x[t]
            s = torch.clamp(_RoundSTE.apply(h / theta), 0, self.levels)
            v = h - theta * s
            out.append(s)
        return torch.stack(out), theta

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s, theta = self.integer_forward(x)
        return s * theta


class PlainLIF(nn.Module):
    """Plain LIF baseline: fixed decay 0.5 and threshold 1, binary spikes, subtractive reset."""

    levels = 1

    def __init__(self, channels: int, beta: float = 0.5, threshold: float = 1.0) -> None:
        super().__init__()
        self.beta, self.th = beta, threshold

    @property
    def theta(self) -> torch.Tensor:
        return torch.tensor(self.th)

    def integer_forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        v = torch.zeros_like(x[0])
        out = []
        for t in range(x.shape[0]):
            h = self.beta * v + x[t]
            s = spike(h - self.th)
            v = h - s * self.th
            out.append(s)
        return torch.stack(out), self.theta

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s, th = self.integer_forward(x)
        return s * th


class IntReLU(nn.Module):
    """Integer-ReLU ANN activation: ``clip(round(x / theta), 0, D) * theta`` (theta learnable)."""

    def __init__(self, channels: int, levels: int = 3) -> None:
        super().__init__()
        self.levels = levels
        self.b = nn.Parameter(torch.full((channels,), _inv_softplus(1.0)))

    @property
    def theta(self) -> torch.Tensor:
        return nn.functional.softplus(self.b) + 1e-4

    def integer_forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        th = self.theta
        return torch.clamp(_RoundSTE.apply(x / th), 0, self.levels), th

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s, th = self.integer_forward(x)
        return s * th


class SpikingMLP(nn.Module):
    """``Linear -> neuron`` x hidden layers ``-> Linear`` over T timesteps (direct input).

    ``forward(x[B, F])`` repeats ``x`` for T steps (the first Linear is the encoding layer,
    dense MACs as usual), averages the read-out over time; the ANN variant runs once.
    """

    def __init__(self, sizes: Sequence[int], variant: Variant, *, timesteps: int = 4,
                 levels: int = 3) -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise SpecError(f"variant must be one of {VARIANTS}, got {variant!r}")
        if len(sizes) < 3:
            raise SpecError(f"sizes needs input, >= 1 hidden and output widths, got {sizes!r}")
        self.variant, self.levels = variant, levels
        self.timesteps = 1 if variant == "ann" else timesteps
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))

        def neuron(c: int) -> nn.Module:
            if variant == "ann":
                return IntReLU(c, levels)
            if variant == "lif":
                return PlainLIF(c)
            return ASN(c, levels, norm=variant == "nasn")

        self.neurons = nn.ModuleList(neuron(c) for c in sizes[1:-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.unsqueeze(0).expand(self.timesteps, *x.shape)
        for lin, neu in zip(self.linears[:-1], self.neurons, strict=True):
            h = neu(lin(h))
        return self.linears[-1](h).mean(0)

    def activity(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Integer outputs ``S[T, B, C]`` of every neuron layer (no grad)."""
        out = []
        with torch.no_grad():
            h = x.unsqueeze(0).expand(self.timesteps, *x.shape)
            cells: list[Any] = list(self.neurons)
            for lin, neu in zip(self.linears[:-1], cells, strict=True):
                s, th = neu.integer_forward(lin(h))
                out.append(s)
                h = s * th
        return out


def fold_norm(net: SpikingMLP) -> SpikingMLP:
    """A copy of a NASN network with its (eval-mode) normalisation folded into thresholds and
    the previous Linear's bias; other variants are returned as copies unchanged."""
    import copy

    new = copy.deepcopy(net).eval()
    linears: list[Any] = list(new.linears)
    cells: list[Any] = list(new.neurons)
    for i, (lin, neu) in enumerate(zip(linears[:-1], cells, strict=True)):
        if not isinstance(neu, ASN) or neu.norm is None:
            continue
        bn = neu.norm
        assert bn.running_mean is not None and bn.running_var is not None
        k = nn.functional.softplus(neu.g) / torch.sqrt(bn.running_var + bn.eps)
        c = neu.beta - bn.running_mean * k
        with torch.no_grad():
            if lin.bias is None:
                raise SpecError("fold_norm needs a Linear with a bias before each NASN neuron")
            lin.bias += c / k
            neu.theta_scale = 1 / k
            # the neuron now integrates X + c/k against theta/k; its output theta/k * S is
            # 1/k times the unfolded one, so the next Linear's weights take the factor k
        nxt = linears[i + 1]
        with torch.no_grad():
            nxt.weight *= k.view(1, -1)
        neu.norm = None
    return new


@dataclass(frozen=True)
class Deployed:
    """What ``deploy`` measured on a batch: logits, per-layer spikes and operation counts."""

    logits: torch.Tensor
    spikes: int
    sops: int
    encode_macs: int
    dense_macs: int
    neuron_updates: int
    neurons: int


def deploy(net: SpikingMLP, x: torch.Tensor, *, expand: Literal["rate", "bitwise"] | None,
           weight_bits: int = 8) -> Deployed:
    """Run ``net`` at inference with integer weights for every layer after the first.

    ``expand=None``: the integer network (hidden layers compute ``W_int @ S``); ``"rate"`` or
    ``"bitwise"``: each integer ``S_t`` is expanded into spikes and accumulated timestep by
    timestep. Both are exact, so their logits are bit-identical. Spikes are counted under the
    expansion (``None`` counts the rate expansion, sum of S).
    """
    if net.variant == "ann" and expand is not None:
        raise SpecError("the integer-ReLU ANN has no spikes to expand; use expand=None")
    levels = net.levels if net.variant != "lif" else 1
    if expand == "bitwise" and (levels + 1) & levels:
        raise SpecError(f"bitwise expansion needs D + 1 a power of two, got D={levels}")
    coding = Coding("bitwise" if expand == "bitwise" else "rate", levels + 1)
    net = net.eval()
    spikes = sops = updates = neurons = 0
    linears: list[Any] = list(net.linears)
    cells: list[Any] = list(net.neurons)
    with torch.no_grad():
        t = net.timesteps
        first = linears[0]
        cur = first(x).unsqueeze(0).expand(t, *x.shape[:-1], first.out_features)
        encode_macs = x.shape[0] * first.in_features * first.out_features  # constant input: once
        dense = int(sum(lin.in_features * lin.out_features for lin in linears)) * x.shape[0]
        for i, neu in enumerate(cells):
            s, theta = neu.integer_forward(cur)  # s: [T, B, C] integers
            neurons += s.shape[-1]
            updates += s.numel()
            lin = linears[i + 1]
            w = (lin.weight.t() * theta.reshape(-1, 1)).float()  # theta folded into W
            w_int, w_scale = quantize_weight(w, weight_bits)
            outs = []
            for st in s:
                acc, counts = spiking_matmul(st, w_int, coding,
                                             path="fast" if expand is None else "timestep")
                outs.append((acc * w_scale).float() + lin.bias)
                spikes += counts["spikes"]
                sops += counts["sops"]
            cur = torch.stack(outs)
        logits = cur.mean(0)
    return Deployed(logits, int(spikes), int(sops), int(encode_macs), dense, int(updates),
                    int(neurons))


def train(net: nn.Module, x: torch.Tensor, y: torch.Tensor, *, steps: int, batch: int = 128,
          lr: float = 3e-3, seed: int = 0) -> list[float]:
    """Adam on cross-entropy for ``steps`` minibatches; returns the loss curve."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=lr)
    net.train()
    losses = []
    for _ in range(steps):
        idx = torch.randint(0, x.shape[0], (batch,), generator=g)
        loss = nn.functional.cross_entropy(net(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    net.eval()
    return losses


class CharMLP(nn.Module):
    """A tiny character LM: embedding of the context window -> ``SpikingMLP`` -> next char."""

    def __init__(self, vocab: int, context: int, hidden: int, variant: Variant, *,
                 timesteps: int = 4, levels: int = 3, dim: int = 16) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.mlp = SpikingMLP([context * dim, hidden, hidden, vocab], variant,
                              timesteps=timesteps, levels=levels)

    def features(self, ids: torch.Tensor) -> torch.Tensor:
        return self.embed(ids).flatten(1)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.features(ids))


__all__ = ["ASN", "VARIANTS", "CharMLP", "Deployed", "IntReLU", "PlainLIF", "SpikingMLP",
           "deploy", "fold_norm", "train"]
