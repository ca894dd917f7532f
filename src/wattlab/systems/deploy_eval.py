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
from wattlab.errors import positive as _positive
from wattlab.params import Registry


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


@dataclass(frozen=True)
class Metric:
    """One EDGE-EVAL metric with how it was obtained (``modelled:roofline``, ``measured:…``,
    ``input``) or why it is missing."""

    name: str
    value: float | None
    unit: str
    basis: str
    note: str = ""


def evaluate(model: str, device_name: str, *, n_in: int, n_out: int, batch: int = 1,
             weight_bits: float | None = None, train_tokens: float = 1e6,
             score: float | None = None, score_ref: float | None = None,
             params: Registry | None = None) -> list[Metric]:
    """The five EDGE-EVAL metrics for ``model`` served on ``device_name``, from the roofline.

    Energy per request, throughput and load time are modelled (``modelled:roofline``; boundary:
    the device's compute, memory and static power). Adaptation energy is a LoRA pass over
    ``train_tokens`` tokens at ``edge_eval.lora_flops_per_param_token`` FLOPs per parameter and
    token. Q_ret and IPJ need task scores: pass ``score`` (0–1) and ``score_ref``.
    """
    from wattlab.hardware import device
    from wattlab.params import default_registry
    from wattlab.workloads.llm import llm_config, param_count, request_cost, weight_bytes

    reg = params or default_registry()
    cfg = llm_config(model)
    if weight_bits is not None:
        cfg = cfg.with_bits(weight_bits=weight_bits)
    dev = device(device_name, reg)
    _positive("train_tokens", train_tokens)
    req = request_cost(cfg, dev, n_in, n_out, batch=batch, params=reg)
    e_req = req.energy_total_j / batch
    tok_s = req.counts["tokens_out"] / req.latency_s
    wbytes = weight_bytes(cfg)
    n = param_count(cfg).active
    flops = reg.value("edge_eval.lora_flops_per_param_token") * n * train_tokens
    train = dev.roofline(flops, wbytes * 3 * train_tokens / 2048, dev.default_precision,
                         params=reg)
    load_s = wbytes * 8 / reg.value("edge_eval.load_bandwidth")
    e_load = load_s * req.power_w  # EDGE-EVAL's proxy: load time × mean inference power
    econ = Economics.from_params(reg)
    roof = "modelled:roofline"
    out = [
        Metric("energy per request", e_req, "J", roof, f"batch {batch}, {n_in} in / {n_out} out"),
        Metric("N_break", n_break(train.energy_total_j, e_req, econ), "requests", roof,
               f"LoRA over {train_tokens:.3g} tokens: {train.energy_total_j:.3g} J; "
               f"API ${econ.api_usd_per_request:g}/request"),
        Metric("rho_sys", rho_sys(tok_s, wbytes), "tokens/s/GB", roof,
               f"{tok_s:.4g} generated tokens/s over {wbytes / 1e9:.3g} GB of weights"),
        Metric("C_tax", c_tax(e_load, e_req), "requests", roof,
               f"load {load_s:.3g} s at the mean inference power (EDGE-EVAL's proxy)"),
    ]
    if score is None:
        out.append(Metric("IPJ", None, "1/J", "input", "needs --score (task score in 0–1)"))
    else:
        out.append(Metric("IPJ", intelligence_per_joule(score, e_req), "1/J", roof))
    if score is None or score_ref is None:
        out.append(Metric("Q_ret", None, "1", "input", "needs --score and --score-ref"))
    else:
        out.append(Metric("Q_ret", q_ret(score, score_ref), "1", "input"))
    return out
