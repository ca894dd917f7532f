"""Self-speculative decoding for MoE models (after ELMoE-3D, arXiv 2604.14626) and plain decoding.

The draft is the same model run with smaller elasticity settings (``Elastic``: fewer experts, a
hot-expert set, MSB-only weights); it keeps its own KV cache. The target (full model) verifies
``gamma`` drafted tokens in one forward pass over ``gamma + 1`` positions. Greedy mode accepts
the longest prefix the target's argmax agrees with and appends the target's own next token, so
the output equals plain greedy decoding token for token, whatever the draft proposes. Sampling
mode uses rejection sampling (Leviathan et al. 2023; Chen et al. 2023), which leaves the target's
distribution unchanged.

KV caches: each model keeps the tokens it has fed (``_Cached.fed``); before a call its cache is
cropped to the longest prefix shared with the current sequence, so rejected draft positions never
leak into either cache.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch
from torch import nn

from wattlab.errors import SpecError
from wattlab.systems.moe.layer import moe_layers


@dataclass(frozen=True)
class Elastic:
    """Draft elasticity: ``top_k`` experts per token, only the ``hot`` experts (per-layer bool masks,
    or a callable giving them at draft time, e.g. an expert cache's contents) and ``weight_bits``.
    ``top_k=None`` with a hot set: every token uses all hot experts."""

    top_k: int | None = 1
    hot: list[torch.Tensor] | Callable[[], list[torch.Tensor]] | None = None
    weight_bits: int | None = None


@contextmanager
def elastic(model: nn.Module, spec: Elastic | None) -> Iterator[None]:
    """Run ``model`` with the draft's elasticity settings; restore the full model on exit."""
    layers = moe_layers(model)
    if spec is None:
        yield
        return
    hot = spec.hot() if callable(spec.hot) else spec.hot
    if hot is not None and len(hot) != len(layers):
        raise SpecError(f"hot set has {len(hot)} masks for {len(layers)} MoE layers; give one per layer")
    for i, m in enumerate(layers):
        if spec.top_k is not None and not 1 <= spec.top_k <= m.n_experts:
            raise SpecError(f"draft top_k={spec.top_k} with {m.n_experts} experts: use 1..{m.n_experts}")
        m.k_override = spec.top_k
        m.allowed = None if hot is None else hot[i]
        m.weight_bits = spec.weight_bits
    try:
        yield
    finally:
        for m in layers:
            m.k_override, m.allowed, m.weight_bits = None, None, None


class _Cached:
    """A causal LM with a KV cache that tracks which tokens it holds."""

    def __init__(self, model: nn.Module, spec: Elastic | None = None,
                 on_route: Callable[[list[np.ndarray]], None] | None = None) -> None:
        from transformers import DynamicCache

        self.model, self.spec, self.on_route = model, spec, on_route
        self.cache = DynamicCache()
        self.fed: list[int] = []
        self.calls = 0

    def logits(self, tokens: list[int]) -> torch.Tensor:
        """Logits ``[n, V]`` for the positions of ``tokens`` not yet in the cache (n >= 1)."""
        keep = 0
        for a, b in zip(self.fed, tokens[:-1], strict=False):
            if a != b:
                break
            keep += 1
        if keep < len(self.fed):
            self.cache.crop(keep - len(self.fed))  # negative: drop that many positions
            self.fed = self.fed[:keep]
        new = tokens[keep:]
        layers = moe_layers(self.model) if self.on_route is not None else []
        for m in layers:
            m.trace = []
        try:
            with torch.no_grad(), elastic(self.model, self.spec):
                out = self.model(input_ids=torch.tensor([new]), past_key_values=self.cache, use_cache=True)
            if self.on_route is not None:
                self.on_route([torch.cat(m.trace or []).numpy() for m in layers])
        finally:
            for m in layers:
                m.trace = None
        self.fed = list(tokens)
        self.calls += 1
        return out.logits[0].float()


class Draft(Protocol):
    """Proposes ``gamma`` tokens after ``tokens``; returns them and, for sampling, their probabilities."""

    def propose(self, tokens: list[int], gamma: int, sampler: Sampler | None
                ) -> tuple[list[int], torch.Tensor | None]: ...


@dataclass
class Sampler:
    """Temperature sampling with its own generator (no global seeds)."""

    temperature: float = 1.0
    generator: torch.Generator = field(default_factory=torch.Generator)

    def probs(self, logits: torch.Tensor) -> torch.Tensor:
        if self.temperature <= 0:
            raise SpecError(f"temperature={self.temperature}: must be > 0 (use greedy decoding instead)")
        return torch.softmax(logits / self.temperature, dim=-1)

    def draw(self, p: torch.Tensor) -> int:
        return int(torch.multinomial(p, 1, generator=self.generator))

    def uniform(self) -> float:
        return float(torch.rand((), generator=self.generator))


class SelfDraft:
    """The same MoE under ``Elastic`` settings, with its own KV cache."""

    def __init__(self, model: nn.Module, spec: Elastic) -> None:
        self.lm = _Cached(model, spec)

    def propose(self, tokens: list[int], gamma: int, sampler: Sampler | None
                ) -> tuple[list[int], torch.Tensor | None]:
        seq, qs = list(tokens), []
        for _ in range(gamma):
            logits = self.lm.logits(seq)[-1]
            if sampler is None:
                seq.append(int(logits.argmax()))
            else:
                q = sampler.probs(logits)
                qs.append(q)
                seq.append(sampler.draw(q))
        return seq[len(tokens):], torch.stack(qs) if qs else None


@dataclass
class SpecStats:
    """Counts of one speculative run; ``accepted_per_round`` is the accepted drafts per verification."""

    gamma: int
    accepted_per_round: list[int] = field(default_factory=list)
    target_calls: int = 0
    draft_calls: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    draft_s: float = 0.0  # wall time spent drafting
    verify_s: float = 0.0  # wall time spent in target passes

    @property
    def rounds(self) -> int:
        return len(self.accepted_per_round)

    @property
    def alpha(self) -> float:
        """Per-token acceptance rate, estimated from the truncated-geometric round counts.

        A round accepts ``n`` of ``gamma`` drafts; under i.i.d. acceptance the maximum-likelihood
        α is (accepted) / (accepted + rejections), a rejection being a round with ``n < gamma``."""
        acc = sum(self.accepted_per_round)
        rej = sum(1 for n in self.accepted_per_round if n < self.gamma)
        return acc / (acc + rej) if acc + rej else float("nan")

    @property
    def alpha_first(self) -> float:
        """Share of rounds whose first draft was accepted: an estimate of α independent of the
        round-length counts the expected-tokens check compares against."""
        return sum(n >= 1 for n in self.accepted_per_round) / self.rounds if self.rounds else float("nan")

    @property
    def tokens_per_round(self) -> float:
        """Measured tokens emitted per target verification (accepted drafts + the target's token)."""
        return (sum(self.accepted_per_round) + self.rounds) / self.rounds if self.rounds else float("nan")


def expected_tokens(alpha: float, gamma: int) -> float:
    """Expected tokens per verification for i.i.d. acceptance α: (1 − α^(γ+1)) / (1 − α)."""
    check_gamma(gamma)
    if not 0 <= alpha <= 1:
        raise SpecError(f"alpha={alpha}: an acceptance rate lies in [0, 1]")
    return gamma + 1.0 if alpha == 1 else (1 - alpha ** (gamma + 1)) / (1 - alpha)


def alpha_needed(gamma: int, round_cost: float) -> float | None:
    """The acceptance rate at which a round costing ``round_cost`` plain decoding steps breaks even
    (expected tokens = round_cost), or None when even α = 1 (γ+1 tokens) is not enough."""
    check_gamma(gamma)
    if round_cost > gamma + 1:
        return None
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if expected_tokens(mid, gamma) < round_cost else (lo, mid)
    return hi


def check_gamma(gamma: int) -> None:
    if gamma < 1:
        raise SpecError(f"gamma={gamma}: speculation needs at least one drafted token per round (gamma >= 1)")


def accept_greedy(target_logits: torch.Tensor, drafted: list[int]) -> tuple[int, int]:
    """Accepted draft count ``n`` and the target's next token after them (greedy verification)."""
    best = target_logits.argmax(-1).tolist()
    n = 0
    while n < len(drafted) and drafted[n] == best[n]:
        n += 1
    return n, best[n]


def accept_sampled(p: torch.Tensor, q: torch.Tensor, drafted: list[int],
                   sampler: Sampler) -> tuple[int, int]:
    """Rejection sampling: ``p [γ+1, V]`` target probs, ``q [γ, V]`` draft probs.

    Draft token ``x_i`` is kept with probability ``min(1, p_i(x)/q_i(x))``; at the first rejection
    the token is drawn from ``max(0, p_i − q_i)`` renormalised; if all are kept, from ``p_γ``."""
    for i, x in enumerate(drafted):
        if sampler.uniform() * float(q[i, x]) <= float(p[i, x]):
            continue
        resid = (p[i] - q[i]).clamp_min(0)
        total = float(resid.sum())
        return i, sampler.draw(resid / total if total > 0 else p[i])
    return len(drafted), sampler.draw(p[len(drafted)])


def _budget(prompt: list[int], n_new: int) -> None:
    if not prompt:
        raise SpecError("prompt is empty: give at least one token")
    if n_new < 1:
        raise SpecError(f"n_new={n_new}: generate at least one token")


def generate(model: nn.Module, prompt: list[int], n_new: int,
             sampler: Sampler | None = None) -> tuple[list[int], SpecStats]:
    """Plain autoregressive decoding with a KV cache (greedy unless a sampler is given)."""
    _budget(prompt, n_new)
    lm, seq = _Cached(model), list(prompt)
    stats = SpecStats(gamma=0)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n_new):
        logits = lm.logits(seq)[-1]
        seq.append(int(logits.argmax()) if sampler is None else sampler.draw(sampler.probs(logits)))
    stats.wall_s, stats.cpu_s = time.perf_counter() - t0, time.process_time() - c0
    stats.target_calls = lm.calls
    return seq[len(prompt):], stats


def speculate(model: nn.Module, prompt: list[int], n_new: int, gamma: int, draft: Draft,
              sampler: Sampler | None = None,
              on_verify: Callable[[list[np.ndarray]], None] | None = None) -> tuple[list[int], SpecStats]:
    """Speculative decoding: ``gamma`` drafts per round, verified by one pass of the full model.
    ``on_verify`` receives each verification pass's per-layer routing (e.g. ``ExpertCache.access_pass``)."""
    check_gamma(gamma)
    _budget(prompt, n_new)
    target, seq = _Cached(model, on_route=on_verify), list(prompt)
    stats = SpecStats(gamma=gamma)
    t0, c0 = time.perf_counter(), time.process_time()
    while len(seq) - len(prompt) < n_new:
        t1 = time.perf_counter()
        drafted, q = draft.propose(seq, gamma, sampler)
        t2 = time.perf_counter()
        logits = target.logits(seq + drafted)[-(gamma + 1):]
        stats.draft_s += t2 - t1
        stats.verify_s += time.perf_counter() - t2
        if sampler is None:
            n, nxt = accept_greedy(logits, drafted)
        else:
            assert q is not None, "a sampling draft must return its probabilities"
            n, nxt = accept_sampled(sampler.probs(logits), q, drafted, sampler)
        seq += [*drafted[:n], nxt]
        stats.accepted_per_round.append(n)
    stats.wall_s, stats.cpu_s = time.perf_counter() - t0, time.process_time() - c0
    stats.target_calls = target.calls
    stats.draft_calls = getattr(getattr(draft, "lm", None), "calls", 0)
    return seq[len(prompt):len(prompt) + n_new], stats
