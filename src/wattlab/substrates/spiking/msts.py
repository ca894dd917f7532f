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

``ModalityLinear`` runs each row (token) of a product at its modality's T; ``two_modality_testbed``
builds the test bed: MiniLM text tokens plus scikit-learn digits image-patch tokens. No offline
vision-language model exists in this environment, so the "vision" tokens are 2x2 pixel patches
projected into MiniLM's embedding space by a fixed random map -- a toy, labelled so.
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


def two_modality_testbed(*, n_seq: int = 8, seed: int = 0) -> dict[str, Any]:
    """MiniLM (real weights) fed [digit patch tokens ; text tokens] sequences.

    Returns the model, ``inputs_embeds``, attention mask, the per-row modality codes and the
    token counts. Image tokens: each 8x8 digit gives 16 patches of 2x2 pixels, mapped into the
    384-d embedding space by a fixed random projection scaled to the text tokens' mean norm.
    Text tokens: MiniLM word embeddings of real sentences from the evaluation corpus.
    """
    sk = __import__("sklearn.datasets", fromlist=["load_digits"])
    from wattlab.nn.corpus import load_corpus
    from wattlab.nn.zoo import load_minilm

    model, tok = load_minilm()
    digits = sk.load_digits()
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(digits.images), generator=g)[:n_seq]
    img = torch.tensor(digits.images[idx.numpy()], dtype=torch.float32) / 16.0  # [n, 8, 8]
    patches = img.unfold(1, 2, 2).unfold(2, 2, 2).reshape(n_seq, 16, 4)
    sentences = [s.strip() for t in load_corpus("eval")[:4] for s in t.split(".") if
                 len(s.split()) > 6][:n_seq]
    if len(sentences) < n_seq:
        raise SpecError("the evaluation corpus gave too few sentences for the test bed")
    enc = tok(sentences, padding="max_length", truncation=True, max_length=12,
              return_tensors="pt")
    with torch.no_grad():
        text = model.embeddings.word_embeddings(enc["input_ids"])  # [n, 12, 384]
        proj = torch.randn(4, text.shape[-1], generator=g)
        vis = patches @ proj
        vis = vis / vis.norm(dim=-1, keepdim=True).mean() * text.norm(dim=-1).mean()
    embeds = torch.cat([vis, text], dim=1)
    mask = torch.cat([torch.ones(n_seq, 16, dtype=torch.long), enc["attention_mask"]], dim=1)
    codes = torch.cat([torch.zeros(n_seq, 16, dtype=torch.long),
                       torch.ones(n_seq, text.shape[1], dtype=torch.long)], dim=1).reshape(-1)
    counts = {"vision": int((codes == 0).sum()), "text": int((codes == 1).sum())}
    return {"model": model, "embeds": embeds, "mask": mask, "codes": codes,
            "names": ("vision", "text"), "tokens": counts}


def testbed_run(bed: Mapping[str, Any], kind: Kind, alloc: Mapping[str, int] | None,
                ) -> dict[str, Any]:
    """Final hidden states of the test bed, spiking at ``alloc`` (None: dense), with the
    relative error vs dense per modality and the spikes per modality. ``alloc`` maps a
    modality, or ``"layer|modality"`` (which wins), to its T."""
    from wattlab.nn.patch import patch

    model = bed["model"]

    def forward() -> torch.Tensor:
        with torch.no_grad():
            return model(inputs_embeds=bed["embeds"], attention_mask=bed["mask"]
                         ).last_hidden_state.reshape(-1, bed["embeds"].shape[-1])

    if "ref" not in bed and isinstance(bed, dict):
        bed["ref"] = forward()  # the dense reference, computed once per test bed
    ref = bed["ref"] if "ref" in bed else forward()
    if alloc is None:
        return {"hidden": ref}
    ctx = ModalityContext(bed["codes"], bed["names"])
    subs: list[ModalityLinear] = []

    def factory(name: str, linear: Any) -> ModalityLinear | None:
        if "pooler" in name:
            return None
        ts = {m: alloc.get(f"{name}|{m}", alloc.get(m)) for m in bed["names"]}
        missing = [m for m, t in ts.items() if t is None]
        if missing:
            raise SpecError(f"allocation has no T for layer {name!r}, modality {missing[0]!r}")
        sub = ModalityLinear(ctx, {m: SpikingLinear(Coding.for_timesteps(kind, int(t)),
                                                    granularity="token")
                                   for m, t in ts.items() if t is not None})
        subs.append(sub)
        return sub

    with patch(model, factory):
        out = forward()
    res: dict[str, Any] = {"hidden": out}
    for i, m in enumerate(bed["names"]):
        rows = bed["codes"] == i
        res[f"err_{m}"] = float((out[rows] - ref[rows]).norm() / ref[rows].norm())
        res[f"spikes_{m}"] = sum(s.spikes.get(m, 0) for s in subs)
    res["err"] = float((out - ref).norm() / ref.norm())
    return res


def sensitivity_curves(bed: Mapping[str, Any], kind: Kind, timesteps: Sequence[int],
                       t_ref: int) -> dict[str, dict[int, float]]:
    """End-to-end error per modality: modality m at T, every other modality at ``t_ref``
    (the notes' "quantisation-error sensitivity per modality", our stand-in for MED)."""
    curves: dict[str, dict[int, float]] = {}
    for m in bed["names"]:
        for t in timesteps:
            alloc = {o: (t if o == m else t_ref) for o in bed["names"]}
            curves.setdefault(m, {})[t] = testbed_run(bed, kind, alloc)["err"]
    return curves


def testbed_layer_inputs(bed: Mapping[str, Any]) -> tuple[dict[str, dict[str, torch.Tensor]],
                                                           dict[str, torch.Tensor]]:
    """Calibration inputs of every encoder Linear, split by modality, and their weights."""
    model = bed["model"]
    inputs: dict[str, dict[str, torch.Tensor]] = {}
    weights: dict[str, torch.Tensor] = {}
    hooks = []
    codes = bed["codes"]
    for name, mod in model.named_modules():
        if isinstance(mod, torch.nn.Linear) and "pooler" not in name:
            weights[name] = mod.weight.detach().t()

            def hook(m: Any, args: Any, out: Any, name: str = name) -> None:
                x = args[0].detach().reshape(-1, args[0].shape[-1])
                inputs[name] = {mname: x[codes == i] for i, mname in enumerate(bed["names"])}

            hooks.append(mod.register_forward_hook(hook))
    try:
        with torch.no_grad():
            model(inputs_embeds=bed["embeds"], attention_mask=bed["mask"])
    finally:
        for h in hooks:
            h.remove()
    return inputs, weights


__all__ = ["ModalityContext", "ModalityLinear", "allocate", "layer_curves", "local_errors",
           "modality_curves", "sensitivity_curves",
           "testbed_layer_inputs", "testbed_run", "two_modality_testbed"]
