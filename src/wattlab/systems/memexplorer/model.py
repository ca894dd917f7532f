"""MemExplorer's NPU model: prefill and decode rooflines with memory energy and static power,
vectorised over NumPy columns of configurations (reconstruction; research notes section 6).

A configuration (one value per column):

``me``          matrix-engine side (``me x me`` fp16 MACs per device)
``clock``       clock, Hz
``onchip``      on-chip memory technology (catalogue name, e.g. ``sram_7nm_128mb``, ``sram3d``)
``onchip_mb``   on-chip capacity per device, MB (10^6 B)
``offchip``     off-chip technology (catalogue name: ``hbm3``, ``lpddr5x``, ``gddr6``, ``hbf``...)
``units``       off-chip units per device (stacks / packages / chips)
``devices``     devices in the phase's group (weights and KV sharded evenly; links not modelled)

Per device, with ``W`` its weight bytes, ``KV`` its KV-cache bytes and ``C`` its on-chip bytes:

* **Decode** (one step of ``batch`` sequences at the trace's mean context): off-chip bytes
  ``W + KV − min(C, W)`` (MemExplorer eq. 4 as read by a third party [V2]: weights pinned
  on chip up to capacity); on-chip bytes ``min(C, W)``.
* **Prefill** (``S`` input tokens) [I, a wattlab assumption]: a share ``weight_share`` of ``C``
  buffers activation tiles of ``(2·hidden + ffn)·act_bytes`` per token, the rest pins weights;
  weights not pinned are re-read from off-chip once per activation tile. On-chip traffic is
  weight-stationary GEMM operand traffic, ``MACs·(1/me + 1/me)·act_bytes`` (each activation is
  re-read once per engine column block, each partial sum once per row block), plus the pinned
  weights once per tile.
* **Time** ``max(FLOPs / (devices·peak·utilisation), off-chip bytes / off-chip BW, on-chip bytes
  / on-chip BW)``; **energy** MACs × fp16 MAC energy (catalogue ``op_energy``: Horowitz 45 nm
  scaled to ``node_nm``) + bytes × 8 × ``e_bit`` per level + (engine + uncore + memory static power) × time.

Every constant comes from the registry: ``memexplorer.*``, the catalogue's memory technologies
(``wattlab.hardware.memory``: ``mem.<tech>.*``), its operation energies and the H100 (``dev.h100.*``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.hardware import memory, memory_technologies, op_energy
from wattlab.params import Registry
from wattlab.workloads.llm import LlmConfig, kv_bytes_per_token, llm_config, pass_counts, weight_bytes

Phase = Literal["prefill", "decode"]
P = "memexplorer."
FIELDS = ("e_bit", "bw", "capacity", "static_power")
CONFIG_COLUMNS = ("me", "clock", "onchip", "onchip_mb", "offchip", "units", "devices")


def memory_table(params: Registry, techs: Sequence[str]) -> dict[str, dict[str, float]]:
    """``{tech: {e_bit J/bit, bw B/s, capacity B, static_power W}}`` from ``mem.<tech>.*``."""
    out: dict[str, dict[str, float]] = {}
    for t in techs:
        spec = memory(params, str(t))
        missing = [spec.key(f) for f in FIELDS if not spec.has(f)]
        if missing:
            known = [m for m in memory_technologies(params)
                     if all(memory(params, m).has(f) for f in FIELDS)]
            raise SpecError(f"memory technology '{t}' lacks catalogue entries {missing}; "
                            f"complete technologies: {known}. Add them in a parameter file")
        out[spec.name] = {"e_bit": spec.e_bit, "bw": spec.bw, "capacity": spec.capacity,
                          "static_power": spec.static_power}
    return out


def _lookup(col: np.ndarray, table: Mapping[str, Mapping[str, float]], what: str) -> dict[str, np.ndarray]:
    uniq, inv = np.unique(np.asarray(col).astype(str), return_inverse=True)
    bad = [u for u in uniq if u.replace("-", "_") not in table]
    if bad:
        raise SpecError(f"{what}: unknown technology {bad} (known: {sorted(table)})")
    return {f: np.array([table[u.replace("-", "_")][f] for u in uniq])[inv] for f in FIELDS}


@dataclass(frozen=True)
class Trace:
    """An agentic request: ``input_tokens`` of context, ``output_tokens`` generated, decode
    served ``batch`` sequences at a time."""

    input_tokens: int
    output_tokens: int
    batch: int = 1

    @classmethod
    def from_params(cls, params: Registry) -> Trace:
        i, o, b = params.values(P + "input_tokens", P + "output_tokens", P + "decode_batch")
        return cls(int(i), int(o), int(b))

    @property
    def mean_context(self) -> float:
        """Decode's mean context: KV traffic is linear in context, so the mean step is exact."""
        return self.input_tokens + (self.output_tokens - 1) / 2


@dataclass
class NpuModel:
    """Vectorised evaluator for one model, phase and trace (picklable for process pools)."""

    model: LlmConfig | str
    phase: Phase
    params: Registry
    trace: Trace | None = None
    techs: Sequence[str] = ()
    _mem: dict[str, dict[str, float]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.phase not in ("prefill", "decode"):
            raise SpecError(f"phase must be 'prefill' or 'decode', got {self.phase!r}")
        if isinstance(self.model, str):
            self.model = llm_config(self.model)
        self.trace = self.trace or Trace.from_params(self.params)
        pr = self.params
        self.node = pr.value(P + "node_nm")
        self.e_mac = op_energy(pr, "mac", "fp16", node_nm=self.node)
        self.mac_static, self.uncore, self.util, self.w_share, self.act_bytes = pr.values(
            P + "mac_static_power", P + "uncore_static_power", P + "utilization",
            P + "weight_share", P + "act_bytes")
        if self.techs:
            self._mem = memory_table(pr, self.techs)
        c = self.model
        assert isinstance(c, LlmConfig)
        tr = self.trace
        self.w_total = weight_bytes(c)
        if self.phase == "prefill":
            pc = pass_counts(c, tr.input_tokens, 0)
            self.tokens = float(tr.input_tokens)
            self.kv_total = kv_bytes_per_token(c) * tr.input_tokens  # written once
        else:
            pc = pass_counts(c, 1, np.asarray(tr.mean_context), batch=tr.batch)
            self.tokens = float(tr.batch)
            self.kv_total = kv_bytes_per_token(c) * tr.mean_context * tr.batch  # read per step
        self.flops = float(pc.flops_total)
        self.act_per_token = (2 * c.hidden + c.ffn) * self.act_bytes

    def fingerprint(self) -> str:
        c = self.model
        assert isinstance(c, LlmConfig) and self.trace is not None
        return f"memexplorer.NpuModel({c.name},{self.phase},{self.trace},params={self.params.digest()})"

    def table(self, techs: Sequence[str]) -> dict[str, dict[str, float]]:
        missing = [t for t in {str(x).replace('-', '_') for x in techs} if t not in self._mem]
        if missing:
            self._mem.update(memory_table(self.params, missing))
        return self._mem

    def __call__(self, cols: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        miss = [k for k in CONFIG_COLUMNS if k not in cols]
        if miss:
            raise SpecError(f"MemExplorer configurations need columns {list(CONFIG_COLUMNS)}; "
                            f"missing {miss} (declare them as dimensions or fixed values)")
        me = np.asarray(cols["me"], dtype=float)
        clock = np.asarray(cols["clock"], dtype=float)
        dev = np.asarray(cols["devices"], dtype=float)
        units = np.asarray(cols["units"], dtype=float)
        on_cap = np.asarray(cols["onchip_mb"], dtype=float) * 1e6
        tab = self.table(list(np.unique(cols["onchip"])) + list(np.unique(cols["offchip"])))
        on = _lookup(cols["onchip"], tab, "onchip")
        off = _lookup(cols["offchip"], tab, "offchip")
        w = self.w_total / dev
        kv = self.kv_total / dev
        macs = self.flops / 2 / dev
        peak = 2 * me * me * clock * self.util
        on_units = np.ceil(on_cap / on["capacity"])
        on_bw = np.maximum(on_units, 1) * on["bw"]
        off_bw = units * off["bw"]
        off_cap = units * off["capacity"]
        if self.phase == "decode":
            pinned = np.minimum(on_cap, w)
            off_bytes = w + kv - pinned
            on_bytes = pinned + 0 * w
            resident_need = w + kv  # the off-chip memory holds weights and the KV cache
        else:
            s = self.tokens
            act_buf = np.minimum(s * self.act_per_token, on_cap * (1 - self.w_share))
            pinned = np.minimum(w, on_cap - act_buf)
            tile = np.maximum(1.0, np.floor(act_buf / self.act_per_token))
            n_tiles = np.ceil(s / tile)
            off_bytes = n_tiles * (w - pinned) + kv
            on_bytes = macs * (2.0 / me) * self.act_bytes + n_tiles * pinned
            resident_need = w + kv
        t_c = self.flops / dev / peak
        t_off = off_bytes / off_bw
        t_on = on_bytes / on_bw
        t = np.maximum(np.maximum(t_c, t_off), t_on)
        p_static = (me * me * self.mac_static + self.uncore + on_units * on["static_power"]
                    + units * off["static_power"])
        e_compute = macs * self.e_mac
        e_off = off_bytes * 8 * off["e_bit"]
        e_on = on_bytes * 8 * on["e_bit"]
        e_static = p_static * t
        e_dev = e_compute + e_off + e_on + e_static
        energy = e_dev * dev
        power = energy / t
        return {
            "latency_s": t, "energy_j": energy, "power_w": power,
            "tokens_per_s": self.tokens / t, "tokens_per_j": self.tokens / energy,
            "j_per_token": energy / self.tokens,
            "e_compute_j": e_compute * dev, "e_offchip_j": e_off * dev, "e_onchip_j": e_on * dev,
            "e_static_j": e_static * dev, "offchip_bytes": off_bytes * dev,
            "bound": np.select([t == t_c, t == t_off], [0, 1], 2).astype(np.int8),
            "mem_fit": off_cap / resident_need,
            "peak_flops": 2 * me * me * clock * dev,
        }


def npu_cost(ev: NpuModel, cfg: Mapping[str, Any]) -> Cost:
    """One configuration as a :class:`~wattlab.cost.Cost` (for reported points only)."""
    r = evaluate_one(ev, cfg)
    keys = [k for k in ev.params.params if k.startswith(P) or k.startswith("mem.")]
    return Cost(energy_j={"compute": r["e_compute_j"], "offchip_memory": r["e_offchip_j"],
                          "onchip_memory": r["e_onchip_j"], "static": r["e_static_j"]},
                latency_s=r["latency_s"],
                counts={"tokens": ev.tokens, "ops": ev.flops, "offchip_bytes": r["offchip_bytes"]},
                sources=ev.params.subset(*keys))


def baseline_config(params: Registry) -> dict[str, Any]:
    """The baseline NPU (a homogeneous HBM3 NPU; every figure an assumption, ``memexplorer.*``)."""
    me, clock, onchip, stacks = params.values(P + "baseline_me", P + "baseline_clock",
                                              P + "baseline_onchip", P + "baseline_hbm_stacks")
    return {"me": me, "clock": clock, "onchip": "sram_7nm_128mb", "onchip_mb": onchip / 8 / 1e6,
            "offchip": "hbm3", "units": stacks, "devices": 1}


def evaluate_one(ev: NpuModel, cfg: Mapping[str, Any]) -> dict[str, float]:
    """One configuration through the vectorised evaluator (for baselines and reports)."""
    cols = {k: np.array([cfg[k]]) for k in CONFIG_COLUMNS}
    return {k: float(v[0]) for k, v in ev(cols).items()}


def h100_point(model: LlmConfig | str, phase: Phase, params: Registry, trace: Trace | None = None,
               gpus: int | None = None) -> dict[str, float]:
    """The H100 arm: the catalogue's H100 roofline (``dev.h100.*``, wattlab's default
    efficiencies) on the same FLOPs and DRAM bytes (weights + KV per pass), on the fewest GPUs
    whose memory holds weights and KV."""
    from wattlab.hardware import Device, Efficiency

    c = llm_config(model) if isinstance(model, str) else model
    tr = trace or Trace.from_params(params)
    d = Device.from_registry("h100", params)
    w = weight_bytes(c)
    if phase == "prefill":
        pc = pass_counts(c, tr.input_tokens, 0)
        tokens, kv = float(tr.input_tokens), kv_bytes_per_token(c) * tr.input_tokens
    else:
        pc = pass_counts(c, 1, np.asarray(tr.mean_context), batch=tr.batch)
        tokens, kv = float(tr.batch), kv_bytes_per_token(c) * tr.mean_context * tr.batch
    n = gpus or max(1, math.ceil((w + kv) / d.mem_capacity))
    r = d.roofline_arrays(pc.flops_total / n, pc.bytes_total / n, "fp16", Efficiency.default(params))
    t = float(r["time"])
    e = n * float(r["compute"] + r["memory"] + r["static"])
    return {"gpus": float(n), "latency_s": t, "energy_j": e, "power_w": e / t,
            "tokens_per_s": tokens / t, "tokens_per_j": tokens / e}


__all__ = ["CONFIG_COLUMNS", "NpuModel", "Trace", "baseline_config", "evaluate_one", "h100_point",
           "memory_table", "npu_cost"]
