"""Offline routing calibration (NPUMoE [I]): per-chunk expert token counts and popularity.

``RoutingProfile.counts[l, c, e]`` is the number of tokens of prefill chunk ``c`` that layer ``l``
routes to expert ``e``; popularity ``p[l, e] = E[n_{l,e}] / (chunk * top_k)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wattlab.errors import SpecError


@dataclass(frozen=True)
class RoutingProfile:
    counts: np.ndarray  # [layers, chunks, experts]
    chunk: int
    top_k: int

    @property
    def popularity(self) -> np.ndarray:
        """[layers, experts] share of routed assignments per expert (rows sum to 1)."""
        return self.counts.mean(1) / (self.chunk * self.top_k)

    @property
    def n_experts(self) -> int:
        return int(self.counts.shape[2])


def profile_from_traces(traces: list[np.ndarray], n_experts: int, chunk: int) -> RoutingProfile:
    """A profile from per-layer routing decisions ``idx [tokens, k]`` (whole chunks only)."""
    if chunk < 1:
        raise SpecError(f"chunk={chunk}: a calibration chunk holds at least one token")
    n_chunks = len(traces[0]) // chunk
    if n_chunks < 1:
        raise SpecError(f"{len(traces[0])} calibration tokens give no whole chunk of {chunk}; "
                        "use more tokens or a smaller chunk")
    k = traces[0].shape[1]
    counts = np.zeros((len(traces), n_chunks, n_experts))
    for layer, idx in enumerate(traces):
        chunk_of = np.repeat(np.arange(n_chunks), chunk * k)
        flat = np.asarray(idx[: n_chunks * chunk]).reshape(-1)
        np.add.at(counts[layer], (chunk_of, flat), 1)
    return RoutingProfile(counts, chunk, k)


def calibrate(model: object, ids: object, chunk: int) -> RoutingProfile:
    """Run calibration tokens ``ids [1, T]`` through an MoE model and profile its routing."""
    import torch

    from wattlab.systems.moe.layer import moe_layers

    layers = moe_layers(model)  # type: ignore[arg-type]
    for m in layers:
        m.trace = []
    try:
        with torch.no_grad():
            model(input_ids=ids)  # type: ignore[operator]
        traces = [torch.cat(m.trace or []).numpy() for m in layers]
    finally:
        for m in layers:
            m.trace = None
    return profile_from_traces(traces, layers[0].n_experts, chunk)


def zipf_popularity(n_experts: int, s: float, rng: np.random.Generator, layers: int) -> np.ndarray:
    """[layers, experts] Zipf(s) popularity, a random expert order per layer (s = 0: uniform)."""
    base = 1.0 / np.arange(1, n_experts + 1) ** s
    base /= base.sum()
    return np.stack([base[rng.permutation(n_experts)] for _ in range(layers)])


def synthetic_profile(popularity: np.ndarray, top_k: int, chunk: int, n_chunks: int,
                      rng: np.random.Generator) -> RoutingProfile:
    """Per-chunk counts drawn as multinomial(chunk * top_k, popularity) per layer — an approximation
    that ignores the rule that one token picks ``top_k`` distinct experts."""
    counts = np.stack([rng.multinomial(chunk * top_k, p, size=n_chunks) for p in popularity])
    return RoutingProfile(counts.astype(float), chunk, top_k)
