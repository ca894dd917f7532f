"""Modality-specific timesteps: a RECONSTRUCTION of SpikeMLLM's MSTS (arXiv 2604.18610).

The paper gives vision and text tokens different timesteps (T_v/T_t = 3/4), guided by a
"modality evolution discrepancy" (MED) whose definition was not retrieved. This module is
wattlab's stated reconstruction (research notes section 4, label [I]), not the paper's method:

1. ``local_errors``: for every Linear layer and modality, the relative output error
   ``||W x_hat - W x|| / ||W x||`` of that layer's calibration inputs quantised and spike-coded
   at each T (the per-layer, per-modality error curves);
   ``sensitivity_curves``: the end-to-end output error when one modality runs at T and the
   other at a reference T (the per-modality sensitivity; our stand-in for MED). Local errors
   are a poor proxy: they fall by about 2x per timestep in every layer alike, so a per-layer
   greedy on them starves the wide layers (see the study notes);
2. ``allocate``: greedy allocation of a timestep budget: start every group at ``t_min``,
   repeatedly give one more timestep to the group whose token-weighted error falls most per
   token-timestep spent, while the budget ``sum_g tokens_g * T_g`` allows.

``ModalityLinear`` runs each row (token) of a product at its modality's T. The two-modality test
bed (MiniLM text tokens plus scikit-learn digits image-patch tokens; ``sensitivity_curves``)
lives in ``wattlab.nn.spiking``, above the bridge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from wattlab.errors import SpecError
from wattlab.substrates.spiking.coding import Coding, Kind
from wattlab.substrates.spiking.layer import SpikingLinear


def local_errors(inputs: Mapping[str, Mapping[str, torch.Tensor]],
                 weights: Mapping[str, torch.Tensor], kind: Kind,
                 timesteps: Sequence[int]) -> list[dict[str, Any]]:
    """Rows (layer, modality, T, rel_err, spikes_per_activation) of per-layer output error.

    ``inputs[layer][modality]``: calibration activations ``[M, K]``; ``weights[layer]``:
    ``[K, N]``. Per-token quantisation (dynamic), 8-bit weights.
    """
    if not inputs:
        raise SpecError("local_errors needs calibration inputs for at least one layer")
    rows = []
    for layer, by_mod in inputs.items():
        if layer not in weights:
            raise SpecError(f"no weight given for layer {layer!r}")
        w = weights[layer]
        for mod, x in by_mod.items():
            if x.numel() == 0:
                raise SpecError(f"layer {layer!r}, modality {mod!r}: empty calibration set")
            ref = x @ w
            norm = float(ref.norm()) or 1.0
            for t in timesteps:
                sub = SpikingLinear(Coding.for_timesteps(kind, t), granularity="token")
                out, cost = sub.matmul(x, w)
                rows.append({"layer": layer, "modality": mod, "T": t,
                             "rel_err": float((out - ref).norm()) / norm,
                             "spikes_per_activation": cost.counts["spikes"] / x.numel()})
    return rows


def modality_curves(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[int, float]]:
    """Mean relative error over layers, per modality and T."""
    acc: dict[str, dict[int, list[float]]] = {}
    for r in rows:
        acc.setdefault(r["modality"], {}).setdefault(r["T"], []).append(r["rel_err"])
    return {m: {t: sum(v) / len(v) for t, v in sorted(by_t.items())} for m, by_t in acc.items()}


def layer_curves(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[int, float]]:
    """Per-(layer, modality) error curves keyed ``"layer|modality"``."""
    out: dict[str, dict[int, float]] = {}
    for r in rows:
        out.setdefault(f"{r['layer']}|{r['modality']}", {})[r["T"]] = r["rel_err"]
    return out


def allocate(curves: Mapping[str, Mapping[int, float]], step_cost: Mapping[str, float],
             budget: float, weights: Mapping[str, float] | None = None) -> dict[str, int]:
    """Greedy timestep allocation under ``sum_g step_cost_g * T_g <= budget``.

    ``curves[g][T]``: error of group g at T (consecutive T); ``step_cost[g]``: what one more
    timestep of g costs (its tokens, or tokens x fan-in = neuron updates); ``weights[g]``: the
    weight of g's error in the objective ``sum_g weights_g * err_g`` (default: ``step_cost``).
    Every group starts at its smallest T; the budget must at least cover that. Each step goes
    to the group with the largest weighted error drop per unit cost.
    """
    if not curves:
        raise SpecError("allocate needs at least one group's error curve")
    missing = [g for g in curves if step_cost.get(g, 0) <= 0]
    if missing:
        raise SpecError(f"groups {missing} have no positive step cost (tokens); give each one")
    wts = weights or step_cost
    alloc = {g: min(c) for g, c in curves.items()}
    spent = sum(step_cost[g] * alloc[g] for g in alloc)
    if spent > budget * (1 + 1e-12):
        raise SpecError(f"budget {budget:g} is below the minimum {spent:g} (every group at its "
                        f"smallest T)")
    while True:
        best, best_gain = None, 0.0
        for g, t in alloc.items():
            if t + 1 not in curves[g] or spent + step_cost[g] > budget * (1 + 1e-12):
                continue
            gain = wts[g] * (curves[g][t] - curves[g][t + 1]) / step_cost[g]
            if gain > best_gain:
                best, best_gain = g, gain
        if best is None:
            return alloc
        alloc[best] += 1
        spent += step_cost[best]


@dataclass
class ModalityContext:
    """Which rows of the next products belong to which modality (set before each forward)."""

    row_modality: torch.Tensor | None = None  # [rows] int codes
    names: tuple[str, ...] = ()


@dataclass
class ModalityLinear:
    """A substrate that runs each row at its modality's timesteps (one ``SpikingLinear`` each)."""

    ctx: ModalityContext
    parts: dict[str, SpikingLinear]
    name: str = "spiking-msts"
    torch_native: bool = True
    spikes: dict[str, int] = field(default_factory=dict)

    def matmul(self, a: Any, b: Any, *, rng: Any = None) -> tuple[torch.Tensor, Any]:
        from wattlab.cost import Cost

        codes = self.ctx.row_modality
        if codes is None or codes.numel() != a.shape[0]:
            raise SpecError(f"ModalityLinear got {a.shape[0]} rows but the modality context "
                            f"holds {None if codes is None else codes.numel()}; set "
                            f"ctx.row_modality for the batch before running the model")
        out = torch.empty(a.shape[0], b.shape[1], dtype=a.dtype)
        total = Cost()
        for i, mod in enumerate(self.ctx.names):
            rows = codes == i
            if bool(rows.any()):
                o, c = self.parts[mod].matmul(a[rows], b)
                out[rows] = o
                total = total + c
                self.spikes[mod] = self.spikes.get(mod, 0) + int(c.counts.get("spikes", 0))
        return out, total

    def cost(self, gemm: Any) -> Any:
        raise SpecError("ModalityLinear has no analytic cost: the split depends on the batch")


__all__ = ["ModalityContext", "ModalityLinear", "allocate", "layer_curves", "local_errors",
           "modality_curves"]
