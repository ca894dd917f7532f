"""The spiking substrate through the PyTorch bridge: convert a model, evaluate it, test beds.

- ``convert(model, SpikingConfig(...), calibration)`` patches every ``nn.Linear`` (through
  ``wattlab.nn.patch`` with a per-layer substrate factory) with its own ``SpikingLinear``, runs
  the calibration inputs once (densely) so each layer's activation quantiser learns its own
  range (later layers then see the upstream quantisation error on top, so a few values may
  leave the calibrated range: they are clamped and counted as ``saturated``), freezes the
  quantisers and returns a ``SpikingModel``: the patched model plus per-layer counts and
  energies against the dense ANN doing the same products.
- ``token_nlls`` / ``perplexity_gap``: per-token NLL of a causal LM (the windows of
  ``wattlab.nn.evaluate.perplexity``) and a paired moving-block bootstrap interval of the
  relative perplexity gap against the model's own baseline.
- The two-modality MSTS test bed (``two_modality_testbed``, ``testbed_run``,
  ``sensitivity_curves``): MiniLM text tokens plus scikit-learn digits image-patch tokens. No
  offline vision-language model exists in this environment, so the "vision" tokens are 2x2
  pixel patches projected into MiniLM's embedding space by a fixed random map -- a toy,
  labelled so.
- ``digits_data`` / ``char_data``: the ASN training sets (scikit-learn digits; a character LM
  on the bundled corpus).

What stays dense (the boundary): everything that is not an ``nn.Linear`` -- attention score
and value products (QK^T, AV), softmax, normalisation layers, activation functions, rotary
embeddings, embeddings and residual adds -- and the Linear layers named in ``skip`` (by
default the LM head, as in weight/activation quantisation practice).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.nn.corpus import load_corpus
from wattlab.nn.patch import patch
from wattlab.nn.zoo import load_minilm
from wattlab.params import Registry, default_registry
from wattlab.substrates.spiking.coding import KINDS, Coding, Kind
from wattlab.substrates.spiking.energy import Boundary, SpikeEnergy
from wattlab.substrates.spiking.layer import GRANULARITIES, Granularity, Path, SpikingLinear
from wattlab.substrates.spiking.msts import ModalityContext, ModalityLinear

DENSE_PARTS = ("attention products (QK^T, AV)", "softmax", "normalisation", "activation functions",
               "rotary/positional embeddings", "token embeddings", "residual adds")


@dataclass(frozen=True)
class SpikingConfig:
    """How to convert: coding, timesteps (per layer optionally), quantiser and energy boundary."""

    coding: Kind = "ternary_bitwise"
    timesteps: int = 4
    granularity: Granularity = "token"
    weight_bits: int = 8
    path: Path = "fast"
    clip: float = 1.0
    skip: tuple[str, ...] = ("lm_head",)
    timesteps_by_layer: dict[str, int] = field(default_factory=dict)
    boundary: Boundary = "ops"
    acc: str = "int32"
    ann: str = "fp16"

    def __post_init__(self) -> None:
        if self.coding not in KINDS:
            raise SpecError(f"coding must be one of {list(KINDS)}, got {self.coding!r}")
        if self.granularity not in GRANULARITIES:
            raise SpecError(f"granularity must be one of {GRANULARITIES}, got "
                            f"{self.granularity!r}")
        Coding.for_timesteps(self.coding, self.timesteps)  # validates T
        for name, t in self.timesteps_by_layer.items():
            if not isinstance(t, int) or t < 1:
                raise SpecError(f"timesteps for layer {name!r} must be an integer >= 1, got {t!r}")

    def coding_for(self, layer: str) -> Coding:
        return Coding.for_timesteps(self.coding, self.timesteps_by_layer.get(layer,
                                                                             self.timesteps))


def _run(model: Any, batch: Any) -> Any:
    if isinstance(batch, dict):
        return model(**batch)
    return model(batch)


@dataclass
class SpikingModel:
    """A converted model: ``model`` runs spiking while ``handle`` is active (``restore()``)."""

    model: Any
    handle: Any
    config: SpikingConfig
    energy: SpikeEnergy

    def __enter__(self) -> SpikingModel:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.restore()

    def restore(self) -> None:
        self.handle.restore()

    @property
    def layers(self) -> dict[str, SpikingLinear]:
        return dict(self.handle.substrates)

    def reset_counts(self) -> None:
        self.handle.reset()
        for sub in self.layers.values():
            sub.quantizer.saturated = sub.quantizer.quantised = 0

    @property
    def boundary(self) -> str:
        skipped = sorted(set(self.config.skip))
        return (f"{self.energy.boundary_text}. Spiking: the nn.Linear products only. Dense "
                f"(not counted): {', '.join(DENSE_PARTS)}"
                + (f", and Linear layers matching {skipped}" if skipped else ""))

    def cost(self) -> Cost:
        """Spiking cost of everything run since conversion (or ``reset_counts``)."""
        return self.handle.cost

    def ann_cost(self) -> Cost:
        """The dense ANN doing the same Linear products."""
        return self.energy.ann_cost(dict(self.handle.cost.counts)) if self.handle.cost.counts \
            else Cost()

    def table(self) -> list[dict[str, Any]]:
        """One row per spiking layer: shape, coding, spikes, SOPs, firing, saturation, energy."""
        rows = []
        for name, sub in self.layers.items():
            cost = self.handle.layer_cost.get(name)
            if cost is None or not cost.counts:
                continue
            c = cost.counts
            ann = self.energy.ann_cost(dict(c))
            e_snn = cost.energy_total_j
            rows.append({"layer": name, "coding": sub.coding.kind, "T": sub.coding.T,
                         "levels": sub.coding.levels, "macs": int(c["macs"]),
                         "spikes": int(c["spikes"]), "sops": int(c["sops"]),
                         "firing_rate": c["spikes"] / max(c["quantised"] * sub.coding.T, 1),
                         "spikes_per_activation": c["spikes"] / max(c["quantised"], 1),
                         "saturated": int(c["saturated"]),
                         "saturated_frac": c["saturated"] / max(c["quantised"], 1),
                         "energy_snn_j": e_snn, "energy_ann_j": ann.energy_total_j,
                         "ratio_ann_over_snn": ann.energy_total_j / e_snn if e_snn else
                         float("inf")})
        return rows

    def summary(self) -> dict[str, Any]:
        snn, ann = self.cost(), self.ann_cost()
        c = snn.counts
        q = c.get("quantised", 0.0)
        return {"coding": self.config.coding, "timesteps": self.config.timesteps,
                "layers": len(self.layers), "macs": c.get("macs", 0.0),
                "spikes": c.get("spikes", 0.0), "sops": c.get("sops", 0.0),
                "spikes_per_activation": c.get("spikes", 0.0) / q if q else 0.0,
                "saturated": c.get("saturated", 0.0),
                "energy_snn_j": snn.energy_total_j, "energy_ann_j": ann.energy_total_j,
                "ratio_ann_over_snn": (ann.energy_total_j / snn.energy_total_j
                                       if snn.energy_total_j else float("inf")),
                "boundary": self.boundary}


def convert(model: Any, config: SpikingConfig, calibration: Iterable[Any] | Callable[[Any], Any],
            *, params: Registry | None = None) -> SpikingModel:
    """Patch ``model``'s Linear layers to spiking form and calibrate them per layer.

    ``calibration``: a non-empty sequence of model inputs (tensors, or dicts of keyword
    arguments), or a callable ``fn(model)`` that runs the model on calibration data. Layers
    whose names contain an entry of ``config.skip`` stay dense. Raises ``SpecError`` for a
    model with no Linear layer, an empty calibration set, or a layer the calibration never
    reached (named).
    """
    params = params or default_registry()
    energy = SpikeEnergy.from_registry(params, acc=config.acc, ann=config.ann,
                                       boundary=config.boundary)
    if not callable(calibration):
        batches: Sequence[Any] = list(calibration)
        if not batches:
            raise SpecError("the calibration set is empty: pass at least one input batch (e.g. "
                            "token ids of a few sentences) so each layer's activation range "
                            "can be calibrated")

    def factory(name: str, linear: Any) -> SpikingLinear | None:
        if any(s and s in name for s in config.skip):
            return None
        return SpikingLinear(config.coding_for(name), granularity=config.granularity,
                             weight_bits=config.weight_bits, path=config.path, clip=config.clip,
                             energy=energy, name=name)

    handle = patch(model, factory)
    try:
        subs = list(handle.substrates.values())
        for sub in subs:
            sub.calibrating = True
        with torch.no_grad():
            if callable(calibration):
                calibration(model)
            else:
                for batch in batches:
                    _run(model, batch)
        for sub in subs:
            sub.calibrating = False
            sub.quantizer.freeze()
    except Exception:
        handle.restore()
        raise
    handle.reset()
    return SpikingModel(model, handle, config, energy)


def text_batches(tokenizer: Any, texts: Sequence[str], *, max_tokens: int = 512,
                 window: int = 128) -> list[torch.Tensor]:
    """Calibration batches of token ids ``[1, window]`` cut from ``texts`` (at most
    ``max_tokens`` tokens in all)."""
    if isinstance(texts, str) or not texts or not any(t.strip() for t in texts):
        raise SpecError("the calibration text set is empty: pass a non-empty list of strings")
    ids = tokenizer("\n\n".join(texts), add_special_tokens=False)["input_ids"][:max_tokens]
    if len(ids) < 2:
        raise SpecError(f"the calibration texts give {len(ids)} token(s); pass more text")
    t = torch.tensor(ids, dtype=torch.long)
    return [t[i:i + window][None] for i in range(0, len(t), window)]


def token_nlls(model: Any, tokenizer: Any, texts: Sequence[str], *, max_tokens: int = 1024,
               window: int = 256, stride: int = 128) -> np.ndarray:
    """NLL (nats) of every scored token, in order (see ``wattlab.nn.evaluate.perplexity``)."""
    if stride >= window or stride < 1:
        raise SpecError(f"stride ({stride}) must be in [1, window={window})")
    if isinstance(texts, str) or not texts:
        raise SpecError("texts must be a non-empty sequence of strings")
    ids = tokenizer("\n\n".join(texts), add_special_tokens=False)["input_ids"][:max_tokens]
    ids = torch.tensor(ids, dtype=torch.long)
    n = int(ids.numel())
    if n < 2:
        raise SpecError(f"texts give {n} token(s); scoring needs at least 2")
    out = []
    prev_end, end = 1, min(window, n)
    with torch.no_grad():
        while True:
            x = ids[max(0, end - window):end]
            k = end - prev_end
            logits = getattr(model(x[None]), "logits", None)
            if logits is None:
                logits = model(x[None])
            nll = torch.nn.functional.cross_entropy(logits[0, -k - 1:-1].float(), x[-k:],
                                                    reduction="none")
            out.append(nll.numpy())
            prev_end = end
            if end == n:
                break
            end = min(end + stride, n)
    return np.concatenate(out).astype(np.float64)


def perplexity_gap(base: np.ndarray, test: np.ndarray, rng: np.random.Generator, *,
                   n_boot: int = 1000, block: int = 32, level: float = 0.95
                   ) -> tuple[float, tuple[float, float]]:
    """(relative perplexity gap, (lo, hi)) of ``test`` against ``base`` token NLLs (paired)."""
    if base.shape != test.shape or base.size < 2:
        raise SpecError(f"paired NLL arrays must have one equal shape with >= 2 tokens, got "
                        f"{base.shape} and {test.shape}")
    d = test - base
    gap = math.expm1(float(d.mean()))
    n = d.size
    b = max(1, min(block, n // 2))
    starts = rng.integers(0, n - b + 1, size=(n_boot, -(-n // b)))
    idx = (starts[..., None] + np.arange(b)).reshape(n_boot, -1)[:, :n]
    means = d[idx].mean(1)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return gap, (math.expm1(float(lo)), math.expm1(float(hi)))


def two_modality_testbed(*, n_seq: int = 8, seed: int = 0) -> dict[str, Any]:
    """MiniLM (real weights) fed [digit patch tokens ; text tokens] sequences.

    Returns the model, ``inputs_embeds``, attention mask, the per-row modality codes and the
    token counts. Image tokens: each 8x8 digit gives 16 patches of 2x2 pixels, mapped into the
    384-d embedding space by a fixed random projection scaled to the text tokens' mean norm.
    Text tokens: MiniLM word embeddings of real sentences from the evaluation corpus.
    """
    sk = __import__("sklearn.datasets", fromlist=["load_digits"])

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


def digits_data(seed: int = 0) -> tuple[torch.Tensor, ...]:
    """scikit-learn digits (8x8, 1797 images), scaled to [0, 1]; a fixed 75/25 split."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.data, dtype=torch.float32) / 16.0
    y = torch.tensor(d.target, dtype=torch.long)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    cut = int(0.75 * len(y))
    return x[perm[:cut]], y[perm[:cut]], x[perm[cut:]], y[perm[cut:]]


def char_data(context: int = 16, *, max_chars: int = 200_000) -> tuple[Any, ...]:
    """A character LM task on the bundled corpus: (x_train, y_train, x_eval, y_eval, vocab).

    Inputs are one-hot windows of ``context`` characters, flattened; targets the next char.
    Characters outside the training vocabulary map to a shared unknown id.
    """
    train_text = "\n".join(load_corpus("train"))[:max_chars]
    eval_text = "\n".join(load_corpus("eval"))[:max_chars // 4]
    vocab = sorted(set(train_text))
    index = {c: i + 1 for i, c in enumerate(vocab)}

    def windows(text: str) -> tuple[torch.Tensor, torch.Tensor]:
        ids = torch.tensor([index.get(c, 0) for c in text], dtype=torch.long)
        win = ids.unfold(0, context + 1, 1)
        return win[:, :-1], win[:, -1]

    xt, yt = windows(train_text)
    xe, ye = windows(eval_text)
    return xt, yt, xe, ye, len(vocab) + 1

__all__ = ["DENSE_PARTS", "SpikingConfig", "SpikingModel", "char_data", "convert", "digits_data",
           "perplexity_gap", "sensitivity_curves", "testbed_layer_inputs", "testbed_run",
           "text_batches", "token_nlls", "two_modality_testbed"]
