"""Decoder-only LLM workloads: parameters, FLOPs and DRAM bytes of prefill and decode (dense, MoE).

Counting conventions (stated assumptions, not measurements):

- FLOPs are matmul FLOPs, 2 per multiply-accumulate. Norms, activations, softmax, rotary
  embeddings and bias adds are left out (well under 1% for the shipped models).
- A pass processes ``tokens`` new tokens in each of ``batch`` sequences whose KV cache already
  holds ``context`` tokens. Attention of new token ``i`` covers ``context + i + 1`` keys (causal).
- Bytes are DRAM traffic at batch granularity: every weight a pass touches is read once, the
  KV cache of the context is read once, the new tokens' K and V are written once, embedding rows
  are gathered per token. Activations are assumed to stay on chip. For MoE, routing is assumed
  uniform and independent, so a pass over ``N`` tokens touches ``E * (1 - (1 - k/E)**N)``
  experts per layer on average.
- The FFN is gated (SwiGLU: gate, up, down), as in every shipped config.
- By default logits are computed for the last token of each sequence only (as serving engines
  do); ``all_logits=True`` counts them for every token (as a plain ``model(input_ids)`` does).
"""

from __future__ import annotations

import difflib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.hardware.devices import Device, Efficiency
from wattlab.params import Registry
from wattlab.workloads.gemm import Gemm

_INT_FIELDS = ("layers", "hidden", "heads", "kv_heads", "head_dim", "ffn", "vocab")


@dataclass(frozen=True)
class LlmConfig:
    """Architecture numbers of a decoder-only transformer (``ffn`` is per expert for MoE)."""

    name: str
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    ffn: int
    vocab: int
    head_dim: int = 0
    tied_embeddings: bool = False
    attn_bias: bool = False
    qk_norm: bool = False
    #: q/k norms over one head's dimension, shared by heads (Qwen3), not over all of q and k (OLMoE)
    qk_norm_per_head: bool = False
    experts: int = 0
    top_k: int = 0
    weight_bits: float = 16
    kv_bits: float = 16
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        where = f"LLM config '{self.name}'"
        for f in _INT_FIELDS:
            v = getattr(self, f)
            if f == "head_dim" and v == 0:
                continue
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise SpecError(f"{where}: field '{f}' must be a positive integer, got {v!r}")
        if self.hidden % self.heads:
            raise SpecError(f"{where}: field 'heads' ({self.heads}) must divide 'hidden' "
                            f"({self.hidden}); fix heads or hidden")
        if self.heads % self.kv_heads:
            raise SpecError(f"{where}: field 'kv_heads' ({self.kv_heads}) must divide 'heads' "
                            f"({self.heads}) for grouped-query attention; fix kv_heads")
        if self.head_dim == 0:
            object.__setattr__(self, "head_dim", self.hidden // self.heads)
        for f in ("experts", "top_k"):
            v = getattr(self, f)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise SpecError(f"{where}: field '{f}' must be an integer >= 0, got {v!r}")
        if (self.experts == 0) != (self.top_k == 0):
            raise SpecError(f"{where}: fields 'experts' ({self.experts}) and 'top_k' "
                            f"({self.top_k}) must both be 0 (dense) or both >= 1 (MoE)")
        if self.top_k > self.experts:
            raise SpecError(f"{where}: field 'top_k' ({self.top_k}) exceeds 'experts' "
                            f"({self.experts}); a token cannot use more experts than exist")
        for f in ("weight_bits", "kv_bits"):
            v = getattr(self, f)
            if isinstance(v, bool) or not (isinstance(v, int | float) and 1 <= v <= 32):
                raise SpecError(f"{where}: field '{f}' must be a number of bits in [1, 32], "
                                f"got {v!r}")

    @property
    def is_moe(self) -> bool:
        return self.experts > 0

    def with_bits(self, weight_bits: float | None = None,
                  kv_bits: float | None = None) -> LlmConfig:
        """A copy with other weight and/or KV-cache precision (bits per value)."""
        return replace(self, weight_bits=self.weight_bits if weight_bits is None else weight_bits,
                       kv_bits=self.kv_bits if kv_bits is None else kv_bits)

    @classmethod
    def from_dict(cls, name: str, raw: Mapping[str, Any], where: str = "") -> LlmConfig:
        """Build from a TOML/JSON table of this class's field names (unknown fields are errors)."""
        if not isinstance(raw, Mapping):
            raise SpecError(f"{where or 'LLM config'} '{name}': expected a table of fields, "
                            f"got {type(raw).__name__}")
        allowed = {f.name for f in fields(cls)} - {"name"}
        unknown = set(raw) - allowed
        if unknown:
            raise SpecError(f"{where or 'LLM config'} '{name}': unknown field(s) "
                            f"{sorted(unknown)}; allowed: {', '.join(sorted(allowed))}")
        missing = [f for f in ("layers", "hidden", "heads", "kv_heads", "ffn", "vocab")
                   if f not in raw]
        if missing:
            raise SpecError(f"{where or 'LLM config'} '{name}': missing field(s) {missing}")
        return cls(name=name, **raw)

    @classmethod
    def from_hf(cls, name: str, hf: Mapping[str, Any]) -> LlmConfig:
        """Build from a Hugging Face ``config.json`` dict (Llama, Qwen2, Mixtral, OLMoE...)."""
        if not isinstance(hf, Mapping):
            raise SpecError(f"HF config '{name}' is a JSON {type(hf).__name__}, not an object; "
                            "pass a decoder-only transformer config.json")
        try:
            heads = hf["num_attention_heads"]
            experts = hf.get("num_local_experts", hf.get("num_experts", 0)) or 0
            ffn = hf.get("moe_intermediate_size") if experts else None
            return cls(name=name, layers=hf["num_hidden_layers"], hidden=hf["hidden_size"],
                       heads=heads, kv_heads=hf.get("num_key_value_heads", heads),
                       head_dim=hf.get("head_dim") or 0, ffn=ffn or hf["intermediate_size"],
                       vocab=hf["vocab_size"], tied_embeddings=hf.get("tie_word_embeddings", False),
                       attn_bias=hf.get("attention_bias", hf.get("model_type") == "qwen2"),
                       qk_norm=hf.get("model_type") in ("olmoe", "qwen3", "qwen3_moe"),
                       qk_norm_per_head=hf.get("model_type") in ("qwen3", "qwen3_moe"),
                       experts=experts,
                       top_k=hf.get("num_experts_per_tok", 0) if experts else 0)
        except KeyError as exc:
            raise SpecError(f"HF config '{name}' lacks field {exc}; pass a decoder-only "
                            "transformer config.json") from None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@cache
def _shipped() -> dict[str, LlmConfig]:
    text = (resources.files("wattlab.workloads") / "data" / "llm_configs.toml").read_text("utf-8")
    return _parse_configs(text, "wattlab/workloads/data/llm_configs.toml")


def _parse_configs(text: str, where: str) -> dict[str, LlmConfig]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{where}: not valid TOML ({exc})") from exc
    models = raw.get("models")
    if not isinstance(models, dict) or not models:
        raise SpecError(f"{where}: expected one or more [models.\"NAME\"] tables")
    return {n: LlmConfig.from_dict(n, m, where) for n, m in models.items()}


def known_llms() -> list[str]:
    """Names of the shipped LLM configs."""
    return sorted(_shipped())


def llm_config(name_or_path: str | Path) -> LlmConfig:
    """A shipped config by name, or a user file: a TOML ``[models."NAME"]`` file (one model) or
    a Hugging Face ``config.json``."""
    shipped = _shipped()
    if str(name_or_path) in shipped:
        return shipped[str(name_or_path)]
    path = Path(name_or_path)
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise SpecError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save "
                            "it as UTF-8") from None
        if path.suffix == ".json":
            try:
                return LlmConfig.from_hf(path.stem, json.loads(text))
            except json.JSONDecodeError as exc:
                raise SpecError(f"{path}: not valid JSON ({exc})") from exc
        configs = _parse_configs(text, str(path))
        if len(configs) != 1:
            raise SpecError(f"{path}: holds {len(configs)} models ({', '.join(configs)}); "
                            "keep one [models.\"NAME\"] table per file")
        return next(iter(configs.values()))
    close = difflib.get_close_matches(str(name_or_path), shipped, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise SpecError(f"unknown LLM config '{name_or_path}'{hint}; known: {', '.join(shipped)}; "
                    "or pass a path to a TOML file or an HF config.json")


# -- parameters -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ParamCount:
    """Parameter counts by part; ``active`` is what one token uses (top-k experts for MoE)."""

    embedding: int
    lm_head: int
    attention: int
    ffn: int
    router: int
    norms: int
    active_ffn: int

    @property
    def total(self) -> int:
        return self.embedding + self.lm_head + self.attention + self.ffn + self.router + self.norms

    @property
    def active(self) -> int:
        return self.total - self.ffn + self.active_ffn


def attention_params(c: LlmConfig) -> int:
    """Attention weights (and q/k/v biases) of one layer."""
    q_out, kv_out = c.heads * c.head_dim, c.kv_heads * c.head_dim
    bias = (q_out + 2 * kv_out) if c.attn_bias else 0
    return c.hidden * (q_out + 2 * kv_out) + q_out * c.hidden + bias


def expert_params(c: LlmConfig) -> int:
    """Weights of one SwiGLU FFN: one expert of an MoE, or the dense FFN (gate, up, down)."""
    return 3 * c.hidden * c.ffn


def expert_bytes(c: LlmConfig) -> float:
    """Bytes of one expert's weights at the config's weight precision."""
    return expert_params(c) * c.weight_bits / 8


def touched_experts(c: LlmConfig, tokens: Any) -> Any:
    """Expected distinct experts of one layer that ``tokens`` tokens touch under uniform routing."""
    return c.experts * (1 - (1 - c.top_k / c.experts) ** tokens)


def param_count(c: LlmConfig) -> ParamCount:
    """Parameters of the model, counting tied embeddings once."""
    expert = expert_params(c)
    n_exp = max(c.experts, 1)
    k = max(c.top_k, 1)
    qk = 0
    if c.qk_norm:
        qk = 2 * c.head_dim if c.qk_norm_per_head else c.hidden + c.kv_heads * c.head_dim
    return ParamCount(
        embedding=c.vocab * c.hidden,
        lm_head=0 if c.tied_embeddings else c.vocab * c.hidden,
        attention=c.layers * attention_params(c),
        ffn=c.layers * n_exp * expert,
        router=c.layers * c.hidden * c.experts,
        norms=c.layers * (2 * c.hidden + qk) + c.hidden,
        active_ffn=c.layers * k * expert,
    )


def weight_bytes(c: LlmConfig) -> float:
    """Bytes of all weights at ``weight_bits`` (the model's size in memory, scales excluded)."""
    return param_count(c).total * c.weight_bits / 8


def kv_bytes_per_token(c: LlmConfig) -> float:
    """KV-cache bytes added per token of context (all layers, K and V)."""
    return c.layers * 2 * c.kv_heads * c.head_dim * c.kv_bits / 8


def kv_cache_bytes(c: LlmConfig, context: int | np.ndarray, batch: int = 1) -> Any:
    """KV-cache bytes held for ``batch`` sequences of ``context`` tokens."""
    out = batch * np.asarray(context, dtype=float) * kv_bytes_per_token(c)
    return float(out) if out.ndim == 0 else out


# -- FLOPs and bytes of a pass ------------------------------------------------------------------

@dataclass(frozen=True)
class PassCount:
    """FLOPs and DRAM bytes of one forward pass, by component (totals over all layers).

    FLOP components: ``attn_proj``, ``attn_scores``, ``ffn`` (dense) or ``router`` and
    ``experts`` (MoE), ``lm_head``. Byte components: ``attn_weights``, ``ffn_weights``,
    ``embedding``, ``lm_head_weights``, ``kv_read``, ``kv_write``. Values are floats, or arrays
    when ``context`` was an array (one pass per context length).
    """

    config: LlmConfig
    tokens: int
    context: Any
    batch: int
    flops: Mapping[str, Any]
    bytes: Mapping[str, Any]

    @property
    def flops_total(self) -> Any:
        return sum(self.flops.values())

    @property
    def bytes_total(self) -> Any:
        return sum(self.bytes.values())

    @property
    def macs_total(self) -> Any:
        return self.flops_total / 2

    def per_layer(self) -> dict[str, Any]:
        """FLOPs of one transformer layer by component (lm_head is outside the layers)."""
        return {k: v / self.config.layers for k, v in self.flops.items() if k != "lm_head"}


def pass_counts(c: LlmConfig, tokens: int, context: int | np.ndarray = 0, *, batch: int = 1,
                all_logits: bool = False) -> PassCount:
    """FLOPs and bytes of a pass over ``tokens`` new tokens per sequence (see module docstring)."""
    for name, v in (("tokens", tokens), ("batch", batch)):
        if not isinstance(v, int | np.integer) or v < 1:
            raise SpecError(f"pass_counts: '{name}' must be a positive integer, got {v!r}")
    ctx = np.asarray(context, dtype=float)
    if np.any(ctx < 0):
        raise SpecError(f"pass_counts: 'context' must be >= 0, got {context!r}")
    n = batch * tokens
    h, hd, L = c.hidden, c.head_dim, c.layers
    wb, kvb = c.weight_bits / 8, c.kv_bits / 8
    attn_w = attention_params(c)
    keys = batch * (tokens * ctx + tokens * (tokens + 1) / 2)
    flops: dict[str, Any] = {
        "attn_proj": 2.0 * n * L * h * hd * 2 * (c.heads + c.kv_heads),
        "attn_scores": 4.0 * L * c.heads * hd * keys,
    }
    expert = expert_params(c)
    if c.is_moe:
        touched = touched_experts(c, n)
        flops["router"] = 2.0 * n * L * h * c.experts
        flops["experts"] = 2.0 * n * L * c.top_k * expert
        ffn_w = (h * c.experts + touched * expert) * wb
    else:
        flops["ffn"] = 2.0 * n * L * expert
        ffn_w = expert * wb
    flops["lm_head"] = 2.0 * (n if all_logits else batch) * h * c.vocab
    kv_tok = 2 * c.kv_heads * hd * kvb * L
    nbytes: dict[str, Any] = {
        "attn_weights": L * attn_w * wb,
        "ffn_weights": L * ffn_w,
        "embedding": n * h * wb,
        "lm_head_weights": c.vocab * h * wb,
        "kv_read": batch * ctx * kv_tok,
        "kv_write": n * kv_tok,
    }
    if np.ndim(ctx) == 0:
        flops = {k: float(v) for k, v in flops.items()}
        nbytes = {k: float(v) for k, v in nbytes.items()}
    return PassCount(c, int(tokens), context, int(batch), flops, nbytes)


def prefill(c: LlmConfig, n_tokens: int, *, batch: int = 1, all_logits: bool = False) -> PassCount:
    """The prefill pass over a prompt of ``n_tokens`` tokens."""
    return pass_counts(c, n_tokens, 0, batch=batch, all_logits=all_logits)


def decode_step(c: LlmConfig, context: int | np.ndarray, *, batch: int = 1) -> PassCount:
    """One decode step (one new token per sequence) with ``context`` tokens already cached."""
    return pass_counts(c, 1, context, batch=batch)


def pass_gemms(c: LlmConfig, tokens: int, *, batch: int = 1,
               all_logits: bool = False) -> list[tuple[str, Gemm]]:
    """The weight GEMMs (the model's Linear layers) of a pass over ``tokens`` new tokens per
    sequence, named by component; attention-score products (activation × activation) are not
    included. Each transformer layer's GEMMs carry ``batch=layers``; MoE experts are one GEMM
    with ``batch=layers*top_k`` (each token through k experts), so their MACs match
    :func:`pass_counts` exactly. Feed them to any substrate's ``cost``."""
    if not isinstance(tokens, int) or tokens < 1 or not isinstance(batch, int) or batch < 1:
        raise SpecError(f"pass_gemms needs positive integer tokens and batch, got {tokens!r}, "
                        f"{batch!r}")
    n, h, hd, L = batch * tokens, c.hidden, c.head_dim, c.layers
    out = [("q_proj", Gemm(n, h, c.heads * hd, L)), ("k_proj", Gemm(n, h, c.kv_heads * hd, L)),
           ("v_proj", Gemm(n, h, c.kv_heads * hd, L)), ("o_proj", Gemm(n, c.heads * hd, h, L))]
    if c.is_moe:
        k = L * c.top_k
        out += [("router", Gemm(n, h, c.experts, L)), ("expert_gate", Gemm(n, h, c.ffn, k)),
                ("expert_up", Gemm(n, h, c.ffn, k)), ("expert_down", Gemm(n, c.ffn, h, k))]
    else:
        out += [("gate_proj", Gemm(n, h, c.ffn, L)), ("up_proj", Gemm(n, h, c.ffn, L)),
                ("down_proj", Gemm(n, c.ffn, h, L))]
    out.append(("lm_head", Gemm(n if all_logits else batch, h, c.vocab)))
    return out


# -- cost on a device ---------------------------------------------------------------------------

def _check_fit(c: LlmConfig, dev: Device, context: int, batch: int) -> None:
    need = weight_bytes(c) + kv_cache_bytes(c, context, batch)
    if need > dev.mem_capacity:
        raise SpecError(f"{c.name} at {c.weight_bits:g}-bit weights with {batch}×{context} tokens "
                        f"of KV cache needs {need / 1e9:.2f} GB but {dev.name} holds "
                        f"{dev.mem_capacity / 1e9:.2f} GB; lower weight_bits/kv_bits, the batch "
                        "or the context, or pass check_fit=False")


def request_cost(model: LlmConfig | str | Path, dev: Device | str, n_in: int, n_out: int, *,
                 batch: int = 1, precision: str | None = None,
                 efficiency: Efficiency | None = None, params: Registry | None = None,
                 check_fit: bool = True) -> Cost:
    """Roofline Cost of ``batch`` requests of ``n_in`` prompt and ``n_out`` generated tokens.

    ``model`` is a config, a shipped config name or a config file (see :func:`llm_config`);
    ``dev`` a Device or a registry device name.
    The prefill yields the first generated token; ``n_out - 1`` decode steps follow at contexts
    ``n_in .. n_in + n_out - 2``. ``precision`` is the compute precision (default: the device's
    16-bit float; weight-only quantised models still compute at it). Counts: ``tokens``
    (prompt + generated, all sequences), ``tokens_in``, ``tokens_out``, ``ops``, ``bytes``,
    ``prefill_s`` (time to first token).
    """
    if not (isinstance(n_in, int) and n_in >= 1 and isinstance(n_out, int) and n_out >= 0):
        raise SpecError(f"request_cost needs n_in >= 1 and n_out >= 0 (integers); "
                        f"got n_in={n_in!r}, n_out={n_out!r}")
    c = model if isinstance(model, LlmConfig) else llm_config(model)
    dev = dev if isinstance(dev, Device) else Device.from_registry(dev, params)
    if check_fit:
        _check_fit(c, dev, n_in + n_out, batch)
    prec = precision or dev.default_precision
    pre = prefill(c, n_in, batch=batch)
    cost = dev.roofline(pre.flops_total, pre.bytes_total, prec, efficiency, params=params)
    ttft = cost.latency_s
    if n_out > 1:
        dec = decode_step(c, np.arange(n_in, n_in + n_out - 1), batch=batch)
        eff = efficiency or Efficiency.default(params)
        r = dev.roofline_arrays(dec.flops_total, dec.bytes_total, prec, eff)
        cost = cost + Cost(energy_j={k: float(r[k].sum()) for k in ("compute", "memory", "static")},
                           latency_s=float(r["time"].sum()),
                           counts={"ops": float(dec.flops_total.sum()),
                                   "bytes": float(dec.bytes_total.sum())})
    counts = {**cost.counts, "tokens": float(batch * (n_in + n_out)),
              "tokens_in": float(batch * n_in), "tokens_out": float(batch * n_out),
              "prefill_s": ttft}
    return Cost(cost.energy_j, cost.latency_s, cost.area_mm2, counts, cost.boundary, cost.sources)


__all__ = [
    "LlmConfig",
    "ParamCount",
    "PassCount",
    "attention_params",
    "decode_step",
    "expert_bytes",
    "expert_params",
    "known_llms",
    "kv_bytes_per_token",
    "kv_cache_bytes",
    "llm_config",
    "param_count",
    "pass_counts",
    "pass_gemms",
    "prefill",
    "request_cost",
    "touched_experts",
    "weight_bytes",
]
