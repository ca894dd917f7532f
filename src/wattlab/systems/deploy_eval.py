"""EDGE-EVAL's five LLM-deployment metrics (arXiv 2604.19342), as released in its code.

Each function validates its inputs and returns SI floats. Economic constants (electricity price,
API price per request) come from the registry (``edge_eval.*``) unless given.

- ``q_ret``: quantisation fidelity, score_quant / score_ref (a fraction; the paper prints %).
- ``n_break``: requests after which adapting and serving locally beats paying an API.
- ``intelligence_per_joule``: EDGE-EVAL's "IPW" — a normalised score per joule per request.
  (Not the Stanford "intelligence per watt", accuracy / mean power: ``intelligence_per_watt``.)
- ``rho_sys``: system density, throughput (tokens/s) per byte of model in memory.
- ``c_tax``: cold-start tax, load energy / energy per request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from wattlab.errors import SpecError
from wattlab.params import Registry


def _positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    ok = math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise SpecError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


def q_ret(score_quant: float, score_ref: float) -> float:
    """Quantisation fidelity as a fraction (1.0 = no loss)."""
    return _positive("score_quant", score_quant, allow_zero=True) / _positive("score_ref", score_ref)


@dataclass(frozen=True)
class Economics:
    """Electricity price (USD per J) and API price per request (USD)."""

    usd_per_j: float
    api_usd_per_request: float

    @classmethod
    def from_params(cls, params: Registry) -> Economics:
        return cls(params.value("edge_eval.usd_per_kwh"), params.value("edge_eval.api_usd_per_request"))


def n_break(train_energy_j: float, energy_per_request_j: float, econ: Economics) -> float:
    """Break-even requests: C_train / (C_api − C_local); ``inf`` when local is not cheaper."""
    c_train = _positive("train_energy_j", train_energy_j, allow_zero=True) * econ.usd_per_j
    c_local = _positive("energy_per_request_j", energy_per_request_j, allow_zero=True) * econ.usd_per_j
    saving = econ.api_usd_per_request - c_local
    return c_train / saving if saving > 0 else math.inf


def intelligence_per_joule(score01: float, energy_per_request_j: float) -> float:
    """EDGE-EVAL's IPW: a score in [0, 1] per joule per request."""
    if not 0.0 <= score01 <= 1.0:
        raise SpecError(f"score01 must lie in [0, 1] (divide 1–10 judge scores by 10), got {score01!r}")
    return score01 / _positive("energy_per_request_j", energy_per_request_j)


def intelligence_per_watt(accuracy: float, mean_power_w: float) -> float:
    """The Stanford definition: accuracy per watt of mean power."""
    if not 0.0 <= accuracy <= 1.0:
        raise SpecError(f"accuracy must lie in [0, 1], got {accuracy!r}")
    return accuracy / _positive("mean_power_w", mean_power_w)


def rho_sys(tokens_per_s: float, model_bytes: float) -> float:
    """System density in tokens/s per GB of model in memory (the paper's unit)."""
    return _positive("tokens_per_s", tokens_per_s, allow_zero=True) / (
        _positive("model_bytes", model_bytes) / 1e9)


def c_tax(load_energy_j: float, energy_per_request_j: float) -> float:
    """Cold-start tax: energy to load the model over energy per request."""
    return _positive("load_energy_j", load_energy_j, allow_zero=True) / _positive(
        "energy_per_request_j", energy_per_request_j)
