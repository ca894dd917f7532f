"""Convert a PyTorch model's Linear layers to spiking form, calibrated per layer on data.

``convert(model, SpikingConfig(...), calibration)`` patches every ``nn.Linear`` (through
``wattlab.nn.patch`` with a per-layer substrate factory) with its own ``SpikingLinear``, runs
the calibration inputs once (densely) so each layer's activation quantiser learns its own range
(later layers then see the upstream quantisation error on top, so a few values may leave the
calibrated range: they are clamped and counted as ``saturated``), freezes
the quantisers and returns a ``SpikingModel``: the patched model plus per-layer counts and
energies against the dense ANN doing the same products.

What stays dense (the boundary): everything that is not an ``nn.Linear`` -- attention score
and value products (QK^T, AV), softmax, normalisation layers, activation functions, rotary
embeddings, embeddings and residual adds -- and the Linear layers named in ``skip`` (by
default the LM head, as in weight/activation quantisation practice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.params import Registry, default_registry
from wattlab.substrates.spiking.coding import KINDS, Coding, Kind
from wattlab.substrates.spiking.energy import Boundary, SpikeEnergy
from wattlab.substrates.spiking.layer import GRANULARITIES, Granularity, Path, SpikingLinear

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
    from wattlab.nn.patch import patch

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


__all__ = ["DENSE_PARTS", "SpikingConfig", "SpikingModel", "convert", "text_batches"]
