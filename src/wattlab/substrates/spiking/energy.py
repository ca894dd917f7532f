"""Energy of spiking layers against the ANN, and a bit-serial accelerator model.

Boundary ``ops`` (the usual SNN convention): SOPs x E_AC + neuron updates x E_update (+ the
zero-point adds of unsigned codings) against MACs x E_MAC. Boundary ``ops+memory`` adds SRAM
traffic, after Dampfhoffer et al. (arXiv 2409.08290), who show that once data movement is
counted rate-coded SNNs need very low firing to beat an equivalent quantised ANN:

- SNN: weights (``weight_bits`` each), input spikes (1 bit binary, 2 bits ternary, per
  activation per timestep), membrane read + write per neuron update (``spiking.membrane_bits``),
  outputs (``ann`` precision bits);
- ANN: weights and activations at the ``ann`` precision, outputs.

Operation energies are Horowitz 45 nm from the catalogue (``wattlab.hardware.op_energy``), SRAM
energy per bit is the catalogue's 45 nm 8 kB macro (``wattlab.hardware.sram_energy``).
Everything assumed lives under ``spiking.*`` in ``params/data/spiking.toml``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.params import Param, Registry
from wattlab.substrates.spiking.names import BOUNDARIES as _B
from wattlab.substrates.spiking.names import PRECISION_BITS

Boundary = Literal["ops", "ops+memory"]
BOUNDARIES = _B
_BITS = PRECISION_BITS
SRAM_MACRO_BYTES = 8 * 1024  # the buffer the spikes, membranes and weights stream through
SRAM_KEY = "op45.sram_64b_8kb"


def op_energy(params: Registry, op: str, precision: str) -> tuple[float, dict[str, Param]]:
    """(J, sources) of one 45 nm operation from the hardware catalogue."""
    from wattlab.hardware import op_energy as catalogue
    from wattlab.hardware.ops import op_key

    e = catalogue(params, op, precision)
    return e, params.subset(op_key(op, precision))


@dataclass(frozen=True)
class SpikeEnergy:
    """Per-action energies (J) for the spiking layer and its ANN twin, under ``boundary``."""

    e_ac: float
    e_mac: float
    e_update: float
    e_bit: float
    membrane_bits: float
    acc: str
    ann: str
    boundary: Boundary
    sources: dict[str, Param] = field(default_factory=dict, repr=False)

    @classmethod
    def from_registry(cls, params: Registry, *, acc: str = "int32", ann: str = "fp16",
                      boundary: Boundary = "ops") -> SpikeEnergy:
        """``acc``: precision of the SNN accumulator adds; ``ann``: precision of the ANN MACs."""
        if boundary not in BOUNDARIES:
            raise SpecError(f"boundary must be one of {BOUNDARIES}, got {boundary!r}")
        for what, p in (("acc", acc), ("ann", ann)):
            if p not in _BITS:
                raise SpecError(f"{what} precision must be one of {sorted(_BITS)}, got {p!r}")
        e_ac, s1 = op_energy(params, "add", acc)
        e_mac, s2 = op_energy(params, "mac", ann)
        from wattlab.hardware import sram_energy

        ops, mem_bits = params.values("spiking.neuron_ops_per_update", "spiking.membrane_bits")
        e_bit = sram_energy(params, 1.0, SRAM_MACRO_BYTES)
        src = {**s1, **s2, **params.subset("spiking.neuron_ops_per_update",
                                           "spiking.membrane_bits", SRAM_KEY)}
        return cls(e_ac=e_ac, e_mac=e_mac, e_update=ops * e_ac, e_bit=e_bit,
                   membrane_bits=mem_bits, acc=acc, ann=ann, boundary=boundary, sources=src)

    @property
    def boundary_text(self) -> str:
        base = (f"SNN: SOPs x E_AC({self.acc} add) + neuron updates + zero-point adds; "
                f"ANN: MACs x E_MAC({self.ann} mac); Horowitz 45 nm")
        if self.boundary == "ops":
            return base + "; operations only (no memory, no control, no static power)"
        return base + ("; plus SRAM traffic (weights, spikes/activations, membrane state, "
                       "outputs) at the 45 nm 8 kB macro energy, after arXiv 2409.08290")

    def spiking_cost(self, counts: dict[str, Any], coding: Any, weight_bits: int) -> Cost:
        """Cost of a spiking matmul from its counts (see ``spiking_matmul``)."""
        ops = {"accumulate": counts["sops"] * self.e_ac,
               "neuron": counts["neuron_updates"] * self.e_update,
               "zero_point": counts.get("zero_point_adds", 0) * self.e_ac}
        if self.boundary == "ops+memory":
            spike_bits = 2 if coding.kind.startswith("ternary") else 1
            bits = (counts.get("weight_reads", 0) * weight_bits
                    + counts.get("quantised", 0) * coding.T * spike_bits
                    + 2 * counts["neuron_updates"] * self.membrane_bits
                    + counts.get("outputs", 0) * _BITS[self.ann])
            ops["sram"] = bits * self.e_bit
        keep = {k: float(v) for k, v in counts.items() if k != "timesteps"}
        return Cost(energy_j=ops, counts=keep, sources=self.sources)

    def ann_cost(self, counts: dict[str, Any]) -> Cost:
        """The dense ANN doing the same products: MACs x E_MAC (+ SRAM traffic)."""
        e = {"mac": counts["macs"] * self.e_mac}
        if self.boundary == "ops+memory":
            b = _BITS[self.ann]
            e["sram"] = (counts.get("weight_reads", 0) * b + counts.get("quantised", 0) * b
                         + counts.get("outputs", 0) * b) * self.e_bit
        return Cost(energy_j=e, counts={"macs": float(counts["macs"])}, sources=self.sources)

    def implied_firing_budget(self, reduction: float) -> float:
        """Spikes per neuron per layer pass that give ``reduction`` (e.g. 0.93) of the ANN's
        operation energy: ``fr*T = (1 - reduction) * E_MAC / E_AC`` (operations only, neuron
        updates ignored, as the convention does)."""
        if not 0 <= reduction < 1:
            raise SpecError(f"reduction must be in [0, 1), got {reduction!r}")
        return (1 - reduction) * self.e_mac / self.e_ac


@dataclass(frozen=True)
class BitSerialAccelerator:
    """A spike-driven bit-serial accumulate array (assumed figures, ``spiking.acc_*``).

    ``rows`` output channels are processed in parallel, each with ``lanes`` accumulate lanes
    along K; one input timestep per pass, so an (M tokens) x (K -> N) layer takes
    ``M * ceil(N / rows) * T * ceil(K / lanes)`` cycles (T * ceil(K/lanes) per tile). Zero
    spikes are not skipped in time (a dense bit-serial schedule); they are skipped in energy.
    """

    lanes: int
    rows: int
    clock_hz: float
    static_w: float
    dram_bw: float
    dram_e_bit: float
    sources: dict[str, Param] = field(default_factory=dict, repr=False)

    @classmethod
    def from_registry(cls, params: Registry) -> BitSerialAccelerator:
        """The ``spiking.acc_*`` array; weights come from ``spiking.acc_dram_units`` LPDDR5
        channels (catalogue ``mem.lpddr5.*``)."""
        from wattlab.hardware import memory

        keys = ("spiking.acc_lanes", "spiking.acc_rows", "spiking.acc_clock",
                "spiking.acc_static_power", "spiking.acc_dram_units")
        lanes, rows, clock, static, units = params.values(*keys)
        dram = memory(params, "lpddr5")
        return cls(int(lanes), int(rows), clock, static, units * dram.bw, dram.e_bit,
                   params.subset(*keys, "mem.lpddr5.bw", "mem.lpddr5.e_bit"))

    def cycles(self, m: int, k: int, n: int, timesteps: int) -> int:
        if min(m, k, n, timesteps) < 1:
            raise SpecError(f"m, k, n and T must be >= 1, got {(m, k, n, timesteps)}")
        return m * math.ceil(n / self.rows) * timesteps * math.ceil(k / self.lanes)

    def latency_s(self, shapes: list[tuple[int, int, int]], timesteps: int) -> float:
        """Seconds for a list of (M, K, N) layer products at ``timesteps``."""
        return sum(self.cycles(m, k, n, timesteps) for m, k, n in shapes) / self.clock_hz


__all__ = ["BOUNDARIES", "BitSerialAccelerator", "Boundary", "SpikeEnergy", "op_energy"]
