"""Cost model of a matrix engine (TPU-like systolic MXU + vector unit + HBM) running the kernels.

Work is counted from the kernel objects themselves (:class:`~wattlab.kernels.ntt.MatrixNTT`,
:class:`~wattlab.kernels.rns.RNSField`), in three units:

- int8 MACs on the MXU (each GEMM constant in four 7-bit digits, as the int8 path computes it);
- 32-bit vector ops (byte split, digit recombination, Montgomery, k·g, twiddle products);
- HBM bytes, assuming each GEMM step streams its residues (uint32) in and out once, with the
  elementwise work of the step fused, and the constants read once per batch.

Time is the MORPH-style "Big-T" max over units (work/rate, overlapped) [inferred form, research
notes §1 G]; the serial sum is kept in ``counts`` as ``t_serial_s``. A batch of independent
transforms is spread over the chips with no communication (an assumption; one transform per chip).
Energy = assumed board power × time (labelled assumed in the registry).

The GPU baseline ("GZKP-class") is a model too: a butterfly NTT / Pippenger MSM whose field
multiplications run on the int32 pipeline as CIOS Montgomery (2l^2 + l multiply-adds over
l 32-bit limbs, lo and hi halves), at an assumed fraction of the int32 peak.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.hardware import spec
from wattlab.kernels.fields import PrimeField, get_field
from wattlab.kernels.msm import choose_window
from wattlab.kernels.ntt import MatrixNTT
from wattlab.kernels.rns import BYTES, RNSField
from wattlab.params import Registry

# Vector ops per residue, counted from the int8 kernels in rns.py/ntt.py (algorithm constants).
SPLIT_OPS = 3 * BYTES        # shift, mask, int8 offset per byte
COMBINE_OPS = 2 * 4 + 2      # four 7-bit digits: shift+add each, plus the column correction
MONT_OPS = 6                 # and, mul, and, mul, add, shift
KG_OPS = 2                   # k·g_j + add
HADAMARD_OPS = 1 + MONT_OPS
RESIDUE_BYTES = 4
# Field multiplications per point operation (Jacobian, a = 0; counts of curves.py's formulas).
MULS_MIXED_ADD, MULS_ADD, MULS_DOUBLE = 11, 16, 7
FIELD_ADDS_PER_POINT_OP = 8


@dataclass(frozen=True)
class Engine:
    """Rates of one accelerator chip (SI) and the registry keys they came from."""

    name: str
    int8_ops_per_s: float
    vector_ops_per_s: float
    mem_bytes_per_s: float
    power_w: float
    chips: int
    keys: tuple[str, ...]


def engine(params: Registry, name: str) -> Engine:
    """'tpu-v6e' (the chips of one host) or 'h100' (int8 tensor cores + int32 lanes), read from
    the catalogue (``dev.<device>.*``) at the assumed matrix-engine utilisation."""
    util_key = "zkp.matrix_engine.utilisation"
    if name == "tpu-v6e":
        dev, vector_field, chips_key = "tpu_v6e", "vector_ops_per_s", "zkp.tpu_v6e.chips"
    elif name == "h100":
        dev, vector_field, chips_key = "h100", "peak_int32", None
    else:
        raise SpecError(f"unknown engine '{name}'; use 'tpu-v6e' or 'h100'")
    d = spec(params, dev)
    u = params.value(util_key)
    keys = (*(d.key(f) for f in ("peak_int8", vector_field, "mem_bw", "tdp")), util_key)
    chips = 1
    if chips_key:
        chips = int(params.value(chips_key))
        keys += (chips_key,)
    return Engine(name, d.value("peak_int8") * u, d.value(vector_field) * u,
                  d.value("mem_bw") / 8, d.value("tdp"), chips, keys)


def _cost(eng: Engine, params: Registry, macs: float, vec: float, mem: float,
          items: float, extra: dict[str, float] | None = None) -> Cost:
    """Cost of ``items`` independent jobs each needing (macs, vec, mem), spread over the chips."""
    per_chip = math.ceil(items / eng.chips)
    t = (2 * macs / eng.int8_ops_per_s, vec / eng.vector_ops_per_s, mem / eng.mem_bytes_per_s)
    latency = per_chip * max(t)
    counts = {"ops": items * (2 * macs + vec), "int8_macs": items * macs,
              "vector_ops": items * vec, "hbm_bytes": items * mem,
              "t_mxu_s": per_chip * t[0], "t_vector_s": per_chip * t[1],
              "t_memory_s": per_chip * t[2], "t_serial_s": per_chip * sum(t), **(extra or {})}
    return Cost(energy_j={eng.name: eng.power_w * latency * eng.chips}, latency_s=latency,
                counts=counts, sources=params.subset(*eng.keys))


def ntt_work(rns: RNSField, log_n: int, steps: int = 3) -> tuple[float, float, float]:
    """(int8 MACs, vector ops, HBM bytes) of one forward NTT of size 2^log_n."""
    plan = MatrixNTT(rns, log_n, steps=steps)
    n, nm, dims = plan.n, rns.n_moduli, len(plan.splits)
    macs = float(sum(plan.macs(int8=True).values()))
    crns_vec = n * (nm * (SPLIT_OPS + KG_OPS + MONT_OPS) + (nm + 1) * COMBINE_OPS)
    step_vec = n * nm * (SPLIT_OPS + COMBINE_OPS + MONT_OPS)
    vec = dims * step_vec + (2 * dims - 1) * crns_vec + (dims - 1) * n * nm * HADAMARD_OPS
    data = n * nm * RESIDUE_BYTES
    consts = sum(nm * nd * BYTES * nd * 4 for nd in plan.splits) + (dims - 1) * data
    mem = (2 * dims + 2 * (dims - 1)) * data + consts
    return macs, float(vec), float(mem)


def ntt_cost(params: Registry, field: PrimeField | str, log_n: int, *, batch: int = 1,
             steps: int = 3, engine_name: str = "tpu-v6e") -> Cost:
    """Modelled cost of ``batch`` forward NTTs of size 2^log_n on the matrix engine."""
    rns = RNSField(field)
    macs, vec, mem = ntt_work(rns, log_n, steps)
    return _cost(engine(params, engine_name), params, macs, vec, mem, batch,
                 {"elements": batch * (1 << log_n)})


def _cios_ops(bits: int) -> float:
    limbs = -(-bits // 32)
    return 2.0 * (2 * limbs * limbs + limbs)


def gzkp_ntt_cost(params: Registry, field: PrimeField | str, log_n: int, *,
                  batch: int = 1) -> Cost:
    """GZKP-class butterfly NTT on the H100 int32 pipeline (a model; see module docstring)."""
    f = get_field(field)
    keys = ("dev.h100.peak_int32", "zkp.gzkp.int32_efficiency", "dev.h100.mem_bw",
            "dev.h100.tdp", "zkp.gzkp.tile_log2")
    rate, eff, bw, power, tile = params.values(*keys)
    n, limbs = 1 << log_n, -(-f.bits // 32)
    butterflies = n // 2 * log_n
    ops = butterflies * (_cios_ops(f.bits) + 4 * limbs)
    mem = math.ceil(log_n / tile) * 2 * n * limbs * 4
    t = batch * max(ops / (rate * eff), mem / (bw / 8))
    return Cost(energy_j={"h100": power * t}, latency_s=t,
                counts={"ops": batch * ops, "elements": batch * n, "hbm_bytes": batch * mem},
                sources=params.subset(*keys))


def msm_point_muls(n: int, bits: int) -> tuple[int, int]:
    """(field multiplications, field additions) of one signed-digit Pippenger MSM of n points."""
    c = choose_window(n, bits)
    windows = math.ceil((bits + 1) / c)
    mixed, general, dbl = windows * n, windows * (1 << c), windows * c
    muls = mixed * MULS_MIXED_ADD + general * MULS_ADD + dbl * MULS_DOUBLE
    return muls, (mixed + general + dbl) * FIELD_ADDS_PER_POINT_OP


def msm_cost(params: Registry, curve_base: PrimeField | str, scalar_bits: int, log_n: int, *,
             engine_name: str = "tpu-v6e") -> Cost:
    """Modelled Pippenger MSM of 2^log_n points on the matrix engine: every field product is a
    residue-wise Montgomery product plus one CRNS GEMM; compute-bound (points assumed resident)."""
    rns = RNSField(curve_base)
    nm = rns.n_moduli
    muls, adds = msm_point_muls(1 << log_n, scalar_bits)
    macs = muls * rns.crns_macs_per_element * 4.0
    vec = muls * (nm * (1 + MONT_OPS + SPLIT_OPS + KG_OPS + MONT_OPS) + (nm + 1) * COMBINE_OPS) \
        + adds * nm * 2
    eng = engine(params, engine_name)
    # One MSM is split over the chips by windows (independent), so it is ``chips`` jobs of 1/chips.
    c = _cost(eng, params, macs / eng.chips, vec / eng.chips, 0.0, eng.chips,
              {"points": 1 << log_n})
    return c


def gzkp_msm_cost(params: Registry, curve_base: PrimeField | str, scalar_bits: int,
                  log_n: int) -> Cost:
    """GZKP-class Pippenger MSM on the H100 int32 pipeline (same operation counts)."""
    f = get_field(curve_base)
    keys = ("dev.h100.peak_int32", "zkp.gzkp.int32_efficiency", "dev.h100.tdp")
    rate, eff, power = params.values(*keys)
    muls, adds = msm_point_muls(1 << log_n, scalar_bits)
    ops = muls * _cios_ops(f.bits) + adds * 4 * -(-f.bits // 32)
    t = ops / (rate * eff)
    return Cost(energy_j={"h100": power * t}, latency_s=t,
                counts={"ops": ops, "points": 1 << log_n}, sources=params.subset(*keys))
