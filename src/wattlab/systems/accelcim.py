"""AccelCIM (arXiv 2604.17692): the CIM dataflow design space on :mod:`wattlab.explore`.

Configurations: macro size (``al``, ``pc``), storage-to-compute ratio ``scr``, array ``rows ×
cols`` of macros (or a fixed total weight ``capacity``, from which a square array is sized),
``interconnect`` (broadcast | systolic), ``reduction`` (tree | chain), and the ``workload``
(``prefill``: a Llama-like layer's GEMMs with M = 512 tokens; ``decode``: the same with M = 1).
Every metric comes from :class:`wattlab.substrates.cim.ArrayModel` (reference macro TranCIM).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wattlab.errors import SpecError
from wattlab.explore import Choice, Grid, Space
from wattlab.params import Registry, default_registry
from wattlab.substrates.cim.macro import ArrayModel, Macro
from wattlab.workloads.gemm import Gemm
from wattlab.workloads.llm import LlmConfig, llm_config

WORKLOADS = ("prefill", "decode")


def layer_gemms(model: LlmConfig | str, tokens: int) -> list[Gemm]:
    """The weight GEMMs of one transformer layer for ``tokens`` tokens (Q, K, V, O, gate, up,
    down); attention score GEMMs (activation × activation) are not weight-stationary and are
    left to the digital side."""
    c = llm_config(model) if isinstance(model, str) else model
    h, hd = c.hidden, c.head_dim
    return [Gemm(tokens, h, c.heads * hd), Gemm(tokens, h, c.kv_heads * hd), Gemm(tokens, h, c.kv_heads * hd),
            Gemm(tokens, c.heads * hd, h), Gemm(tokens, h, c.ffn), Gemm(tokens, h, c.ffn),
            Gemm(tokens, c.ffn, h)]


@dataclass
class CimEvaluator:
    """Vectorised evaluator over CIM array configurations (picklable)."""

    model: str = "llama-3.1-8b"
    prefill_tokens: int = 512
    ref: str = "trancim"
    params: Registry = field(default_factory=default_registry)

    def __post_init__(self) -> None:
        self.arr = ArrayModel(Macro.from_registry(self.ref, self.params), self.params)
        self.gemms = {"prefill": layer_gemms(self.model, self.prefill_tokens),
                      "decode": layer_gemms(self.model, 1)}

    def fingerprint(self) -> str:
        return f"accelcim.CimEvaluator({self.model},{self.prefill_tokens},{self.ref},{self.params.digest()})"

    def __call__(self, cols: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        c = dict(cols)
        n = len(next(iter(c.values())))
        if "capacity" in c and ("rows" not in c or "cols" not in c):
            per = np.asarray(c["al"], float) * np.asarray(c["pc"], float) * np.asarray(c.get("scr", 1), float)
            side = np.maximum(1.0, np.round(np.sqrt(np.asarray(c["capacity"], float) / per)))
            c["rows"] = c["cols"] = side
        c.setdefault("scr", np.ones(n))
        c.setdefault("reduction", np.full(n, "tree"))
        c.setdefault("interconnect", np.full(n, "systolic"))
        wl = np.asarray(c.pop("workload", np.full(n, "prefill"))).astype(str)
        bad = sorted(set(np.unique(wl)) - set(WORKLOADS))
        if bad:
            raise SpecError(f"unknown CIM workload {bad}; use {list(WORKLOADS)}")
        out: dict[str, np.ndarray] = {}
        for w in WORKLOADS:
            m = wl == w
            if not m.any():
                continue
            part = self.arr.gemm({k: np.asarray(v)[m] for k, v in c.items()}, self.gemms[w])
            for k, v in part.items():
                out.setdefault(k, np.full(n, np.nan))[m] = v
        out["rows_used"] = np.asarray(c["rows"], float)
        out["cols_used"] = np.asarray(c["cols"], float)
        return out


def cim_space(*, al: Sequence[int] = (32, 64, 128, 256, 512, 1024),
              pc: Sequence[int] = (4, 8, 16, 32, 64, 128), scr: Sequence[int] = (1, 2, 4),
              rows: Sequence[int] = (1, 2, 4, 8, 16, 32),
              cols: Sequence[int] = (1, 2, 4, 8, 16, 32),
              workload: Sequence[str] = WORKLOADS) -> Space:
    """The default AccelCIM space (31,104 grid points)."""
    return Space([Grid("al", list(al)), Grid("pc", list(pc)), Grid("scr", list(scr)),
                  Grid("rows", list(rows)), Grid("cols", list(cols)),
                  Choice("interconnect", ["broadcast", "systolic"]),
                  Choice("reduction", ["tree", "chain"]), Choice("workload", list(workload))],
                 name="accelcim")


def area_efficiency_vs_size(ev: CimEvaluator, sides: Sequence[int] = (1, 2, 4, 8, 16, 32, 64),
                            workload: str = "prefill") -> list[dict[str, Any]]:
    """TOPS/mm² of broadcast and systolic square arrays of the reference macro, by side."""
    s = np.repeat(np.asarray(sides, float), 2)
    ic = np.tile(["broadcast", "systolic"], len(sides))
    r = ev.arr.ref
    out = ev({"al": np.full(len(s), r.al), "pc": np.full(len(s), r.pc), "scr": np.full(len(s), r.scr),
              "rows": s, "cols": s, "interconnect": ic, "reduction": np.full(len(s), "tree"),
              "workload": np.full(len(s), workload)})
    rows = []
    for i, side in enumerate(sides):
        b, y = out["tops_per_mm2"][2 * i], out["tops_per_mm2"][2 * i + 1]
        rows.append({"side": side, "broadcast_tops_per_mm2": float(b), "systolic_tops_per_mm2": float(y),
                     "systolic_over_broadcast": float(y / b),
                     "broadcast_cycle_ns": float(out["cycle_s"][2 * i] * 1e9)})
    return rows


def run_model(substrate: Any, model: str = "minilm", size: int = 4, seed: int = 0) -> dict[str, Any]:
    """Run a zoo model with every ``nn.Linear`` on a CIM substrate: its quality metric against
    digital, the measured GEMM SNR, and the energy of its GEMMs on the substrate's array.

    ``model``: ``minilm`` (embedding cosine to digital over ``size`` passages) or ``smollm2``
    (perplexity over ``size`` tokens). Needs the torch extra and the offline model zoo."""
    from wattlab.explore import photonic_models as pm
    from wattlab.explore.photonic_fit import Recorder

    if model == "minilm":
        ev, name = pm.minilm_evaluator(n_sentences=size, seed=seed), "cosine"
    elif model == "smollm2":
        ev, name = pm.smollm2_evaluator(max_tokens=max(size, 2), window=max(size, 2),
                                        stride=max(size, 2) - 1, seed=seed), "perplexity"
    else:
        raise SpecError(f"model must be 'minilm' or 'smollm2', got {model!r}")
    ref = float(ev(None))
    rec = Recorder(substrate)
    metric = float(ev(rec))
    cost = None
    for g in rec.gemms:
        c = substrate.cost(g)
        cost = c if cost is None else cost + c
    return {"model": model, "substrate": substrate.name, "metric": name, "digital": ref,
            "on_substrate": metric, "gemm_snr_db": rec.snr_db, "gemms": len(rec.gemms),
            "macs": sum(g.macs for g in rec.gemms),
            "energy_j": cost.energy_total_j if cost else 0.0,
            "tops_per_w": cost.tops_per_w if cost else float("nan"),
            "adc_saturations": rec.saturations}


__all__ = ["WORKLOADS", "CimEvaluator", "area_efficiency_vs_size", "cim_space", "layer_gemms",
           "run_model"]
