"""ELMoE-3D's cost model (arXiv 2604.14626, mechanism reconstructed [I]) and an expert cache.

Memory-bound decode of an MoE on an xPU whose hybrid-bonded (HB) 3D DRAM stack holds the dense
weights and a cache of experts, the rest of the experts and the KV cache sitting in HBM:

* naive AR step (batch B): dense + ``U(B)`` experts per layer + KV, all from HBM;
* draft step: MSB slices of the dense weights and of the draft's (cached) experts from HB, KV from HBM;
* verification of ``gamma`` drafts: dense from HB, ``U(B(gamma+1))`` experts per layer, a share
  ``hit_rate`` of them from HB and the rest from HBM, KV from HBM.

``U(n) = sum_e 1 - (1 - k p_e)^n`` is the expected number of distinct experts ``n`` tokens touch
(uniform popularity gives the notes' ``E (1 - (1 - k/E)^n)``). A step's time is the sum of
``bytes / bandwidth`` over tiers (streams not overlapped) or the compute time if larger; energy is
``bits x pJ/bit`` per tier + ``FLOPs x pJ/FLOP`` + static power x time. MODEL ONLY.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.params import Registry
from wattlab.systems.moe.devices import BITS_PER_BYTE
from wattlab.systems.moe.specdec import check_gamma, expected_tokens
from wattlab.workloads.llm import LlmConfig, attention_params, expert_params

_KEYS = ("elmoe.xpu_hbm_bw", "elmoe.xpu_peak", "elmoe.e_flop", "elmoe.xpu_static_power",
         "mem.hybrid_bonded_dram.bw", "mem.hybrid_bonded_dram.e_bit",
         "mem.hybrid_bonded_dram.capacity", "elmoe.weight_bits", "elmoe.draft_bits",
         "elmoe.context_tokens", "mem.hbm3.e_bit", "npumoe.weight_bytes")


def union_experts(n_tokens: float, popularity: np.ndarray, top_k: int) -> float:
    """Expected distinct experts touched by ``n_tokens`` tokens (independent routing per token)."""
    p = np.clip(np.asarray(popularity, dtype=float) * top_k, 0.0, 1.0)
    return float(np.sum(1.0 - (1.0 - p) ** n_tokens))


@dataclass(frozen=True)
class Stack:
    """Memory tiers and compute of the modelled xPU (all in SI; bandwidths in B/s)."""

    hbm_bw: float
    hbm_j_per_byte: float
    hb_bw: float
    hb_j_per_byte: float
    hb_capacity_bytes: float
    peak_ops: float
    j_per_flop: float
    static_w: float
    weight_bytes: float
    draft_fraction: float  # MSB bits / stored bits
    kv_bytes: float  # per element
    context: int

    @classmethod
    def from_params(cls, params: Registry) -> Stack:
        (hbm_bw, peak, e_flop, static_w, hb_bw, hb_e, hb_cap, wbits, dbits, ctx, hbm_e,
         kvb) = params.values(*_KEYS)
        if dbits > wbits:
            raise SpecError(f"elmoe.draft_bits={dbits} exceeds elmoe.weight_bits={wbits}")
        return cls(hbm_bw / BITS_PER_BYTE, hbm_e * BITS_PER_BYTE, hb_bw / BITS_PER_BYTE,
                   hb_e * BITS_PER_BYTE, hb_cap / BITS_PER_BYTE, peak, e_flop, static_w,
                   wbits / BITS_PER_BYTE, dbits / wbits, kvb / BITS_PER_BYTE, int(ctx))


@dataclass(frozen=True)
class DecodeModel:
    shape: LlmConfig
    stack: Stack
    popularity: np.ndarray  # [experts], averaged over layers

    @property
    def dense_bytes(self) -> float:
        s = self.shape
        per_layer = attention_params(s) + s.hidden * s.experts
        return (per_layer * s.layers + s.vocab * s.hidden) * self.stack.weight_bytes

    @property
    def expert_bytes(self) -> float:
        return expert_params(self.shape) * self.stack.weight_bytes

    def cached_fraction(self) -> float:
        """Share of all experts the HB stack holds next to the dense weights."""
        room = self.stack.hb_capacity_bytes - self.dense_bytes
        total = self.expert_bytes * self.shape.experts * self.shape.layers
        return float(np.clip(room / total, 0.0, 1.0))

    def kv_bytes(self, batch: int) -> float:
        s = self.shape
        return batch * self.stack.context * 2.0 * (s.kv_heads * s.head_dim) * s.layers * self.stack.kv_bytes

    def flops(self, tokens: float, experts_k: int) -> float:
        s = self.shape
        dense = 2.0 * (attention_params(s) + s.hidden * s.experts) * s.layers + 2.0 * s.vocab * s.hidden
        attn = 4.0 * self.stack.context * (s.heads * s.head_dim) * s.layers
        return tokens * (dense + attn + experts_k * s.layers * 2.0 * expert_params(s))

    def _cost(self, hbm: float, hb: float, flops: float, tokens: float) -> Cost:
        st = self.stack
        t = max(hbm / st.hbm_bw + hb / st.hb_bw, flops / st.peak_ops)
        energy = {"hbm": hbm * st.hbm_j_per_byte, "hb_dram": hb * st.hb_j_per_byte,
                  "compute": flops * st.j_per_flop, "static": st.static_w * t}
        return Cost(energy, t, counts={"tokens": tokens, "ops": flops, "bytes_hbm": hbm, "bytes_hb": hb})

    def ar_step(self, batch: int) -> Cost:
        """Naive xPU: one token per sequence, all weights and KV from HBM."""
        u = union_experts(batch, self.popularity, self.shape.top_k) * self.shape.layers
        return self._cost(self.dense_bytes + u * self.expert_bytes + self.kv_bytes(batch), 0.0,
                          self.flops(batch, self.shape.top_k), batch)

    def draft_step(self, batch: int, draft_k: int, hot: np.ndarray) -> Cost:
        """Elastic draft: MSB slices from HB, only cached (``hot``) experts, ``draft_k`` per token."""
        p = np.where(hot, self.popularity, 0.0)
        p = p / p.sum() if p.sum() > 0 else p
        u = union_experts(batch, p, draft_k) * self.shape.layers
        hb = (self.dense_bytes + u * self.expert_bytes) * self.stack.draft_fraction
        return self._cost(self.kv_bytes(batch), hb, self.flops(batch, draft_k), 0.0)

    def verify_step(self, batch: int, gamma: int, hit_rate: float) -> Cost:
        """One full-model pass over ``gamma + 1`` positions per sequence."""
        n = batch * (gamma + 1)
        u = union_experts(n, self.popularity, self.shape.top_k) * self.shape.layers
        return self._cost(self.kv_bytes(batch) + (1 - hit_rate) * u * self.expert_bytes,
                          self.dense_bytes + hit_rate * u * self.expert_bytes,
                          self.flops(n, self.shape.top_k), 0.0)


@dataclass(frozen=True)
class SDResult:
    batch: int
    gamma: int
    tokens_per_round: float
    speedup: float
    energy_gain: float
    ar: Cost
    round: Cost


def elastic_sd(model: DecodeModel, batch: int, alpha: float, gamma: int, hit_rate: float,
               draft_k: int = 1) -> SDResult:
    """Speed-up ``tau t_AR / (gamma t_draft + t_ver)`` and the same ratio for energy."""
    check_gamma(gamma)
    if not 0 <= hit_rate <= 1:
        raise SpecError(f"hit_rate={hit_rate}: a cache hit rate lies in [0, 1]")
    frac = model.cached_fraction()
    n_hot = max(round(frac * model.shape.experts), draft_k)
    hot = np.zeros(model.shape.experts, dtype=bool)
    hot[np.argsort(-model.popularity, kind="stable")[:n_hot]] = True
    tau = expected_tokens(alpha, gamma)
    ar = model.ar_step(batch)
    rnd = model.draft_step(batch, draft_k, hot) * gamma + model.verify_step(batch, gamma, hit_rate)
    return SDResult(batch, gamma, tau, tau * ar.latency_s / rnd.latency_s,
                    tau * ar.energy_total_j / rnd.energy_total_j, ar, rnd)


def best_gamma(model: DecodeModel, batch: int, alpha: float, hit_rate: Callable[[int], float],
               gammas: Iterable[int] = range(1, 9), draft_k: int = 1) -> SDResult:
    """The γ with the largest modelled speed-up at this batch size; ``hit_rate(n)`` gives the
    expert-cache hit rate of a verification pass over ``n`` tokens."""
    return max((elastic_sd(model, batch, alpha, g, hit_rate(batch * (g + 1)), draft_k) for g in gammas),
               key=lambda r: r.speedup)


Policy = Literal["lru", "lfu", "frozen"]


class ExpertCache:
    """Per-layer expert cache of ``capacity`` experts (LRU, LFU, or a calibration-frozen set).

    ``hot_masks()`` gives its current contents, which a hot-set draft routes over: the draft's
    experts are exactly the cached ones ("cache = draft")."""

    def __init__(self, n_layers: int, n_experts: int, capacity: int, policy: Policy = "lru",
                 frozen: np.ndarray | None = None) -> None:
        if not 1 <= capacity <= n_experts:
            raise SpecError(f"cache capacity={capacity}: must lie in 1..{n_experts} experts per layer")
        if policy not in ("lru", "lfu", "frozen"):
            raise SpecError(f"policy={policy!r}: use 'lru', 'lfu' or 'frozen'")
        if policy == "frozen" and (frozen is None or frozen.shape != (n_layers, n_experts)):
            raise SpecError("a frozen cache needs a [layers, experts] bool mask of its contents")
        self.n_experts, self.capacity, self.policy = n_experts, capacity, policy
        self.frozen = frozen
        self.lru: list[OrderedDict[int, None]] = [OrderedDict() for _ in range(n_layers)]
        self.freq = np.zeros((n_layers, n_experts))
        self.hits = self.misses = 0
        for layer in range(n_layers):  # start warm with the first experts (or the frozen set)
            first = np.flatnonzero(frozen[layer]) if frozen is not None else np.arange(capacity)
            self.lru[layer].update((int(e), None) for e in first[:capacity])

    def access(self, layer: int, experts: Iterable[int]) -> None:
        """Record one pass's distinct experts of ``layer``; a miss loads the expert (unless frozen)."""
        for e in experts:
            e = int(e)
            self.freq[layer, e] += 1
            resident = self.lru[layer]
            if e in resident:
                self.hits += 1
                resident.move_to_end(e)
                continue
            self.misses += 1
            if self.policy == "frozen":
                continue
            if len(resident) >= self.capacity:
                if self.policy == "lru":
                    resident.popitem(last=False)
                else:
                    # least frequently used; ties to the least recently used (the first)
                    order = np.fromiter(resident, dtype=np.intp, count=len(resident))
                    del resident[int(order[np.argmin(self.freq[layer, order])])]
            resident[e] = None

    def access_pass(self, routed: list[np.ndarray]) -> None:
        """Record one forward pass: ``routed[layer]`` holds that layer's routing decisions."""
        for layer, idx in enumerate(routed):
            self.access(layer, np.unique(idx))

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else float("nan")

    def hot_masks(self) -> list[Any]:
        """Current contents as per-layer bool tensors (for ``Elastic(hot=cache.hot_masks)``)."""
        import torch

        out = []
        for resident in self.lru:
            m = torch.zeros(self.n_experts, dtype=torch.bool)
            m[list(resident)] = True
            out.append(m)
        return out


def simulate_hit_rate(popularity: np.ndarray, top_k: int, tokens_per_pass: int, capacity: int,
                      rng: np.random.Generator, passes: int = 60, warmup: int = 10,
                      policy: Policy = "lru") -> float:
    """Hit rate of an ``ExpertCache`` fed with synthetic passes: each token picks ``top_k``
    distinct experts with probabilities ``popularity`` (Gumbel top-k); the first ``warmup``
    passes only fill the cache."""
    n_experts = len(popularity)
    cache = ExpertCache(1, n_experts, capacity, policy)
    logp = np.log(np.clip(popularity, 1e-300, None))
    for i in range(warmup + passes):
        if i == warmup:
            cache.hits = cache.misses = 0
        g = logp + rng.gumbel(size=(tokens_per_pass, n_experts))
        cache.access(0, np.unique(np.argpartition(-g, top_k - 1, axis=1)[:, :top_k]))
    return cache.hit_rate
