"""Energy, latency and resources of the generated designs on a catalogue FPGA.

Model (stated assumptions; every figure is a registry entry):

- resources of the generated datapath from its structure: multipliers on DSP slices or in LUTs
  (``fpga.lut_per_mult_bit2``·W²), adders and accumulators (``fpga.lut_per_adder_bit`` per bit),
  hard activation units (``fpga.lut_hard_act_per_bit``·W) or ROM tables in fabric
  (entries·W / ``fpga.rom_bits_per_lut``), a controller (``fpga.lut_control``); registers as FFs;
  weights in block RAM;
- dynamic energy per cycle = used LUTs·e_lut + FFs·e_ff + active DSPs·e_dsp + clock tree, plus
  e_bram_bit per weight bit read (every resource is taken as active every cycle);
- energy per inference = static power × latency + dynamic energy; latency = cycles / clock.

Device fields (``dev.<name>.static_power``, ``clock``, ``luts``, ``dsp_slices``, ``bram_bits``,
``e_lut_cycle``, ``e_ff_cycle``, ``e_dsp_cycle``, ``e_bram_bit``, ``e_clock_cycle``) come from the
hardware catalogue (``params/data/devices_fpga.toml``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.hardware import spec
from wattlab.params import Param, Registry
from wattlab.substrates.fpga.fxp import QFormat
from wattlab.substrates.fpga.lstm import LSTMSpec

FPGAS = ("xc7s15", "ice40up5k")
DEVICE_FIELDS = ("static_power", "clock", "luts", "dsp_slices", "bram_bits", "e_lut_cycle",
                 "e_ff_cycle", "e_dsp_cycle", "e_bram_bit", "e_clock_cycle")
DESIGN_KEYS = ("fpga.lut_per_mult_bit2", "fpga.lut_per_adder_bit", "fpga.lut_hard_act_per_bit",
               "fpga.rom_bits_per_lut", "fpga.lut_control")
LUT_ACT_RANGE = 8  # a ROM activation covers |x| <= 8 (sigmoid/tanh are flat beyond, < 1 LSB at F <= 10)


def _spec_value(params: Registry, device: str, field: str) -> float:
    return spec(params, device).value(field)


@dataclass(frozen=True)
class FPGADevice:
    name: str
    static_power: float
    clock_hz: float
    luts: float
    dsp_slices: float
    bram_bits: float
    e_lut_cycle: float
    e_ff_cycle: float
    e_dsp_cycle: float
    e_bram_bit: float
    e_clock_cycle: float
    sources: dict[str, Param]

    @classmethod
    def from_registry(cls, name: str, params: Registry) -> FPGADevice:
        name = name.lower().replace("-", "_")
        v = {f: _spec_value(params, name, f) for f in DEVICE_FIELDS}
        keys = [f"dev.{name}.{f}" for f in DEVICE_FIELDS]
        return cls(name=name, static_power=v["static_power"], clock_hz=v["clock"],
                   luts=v["luts"], dsp_slices=v["dsp_slices"], bram_bits=v["bram_bits"],
                   e_lut_cycle=v["e_lut_cycle"], e_ff_cycle=v["e_ff_cycle"],
                   e_dsp_cycle=v["e_dsp_cycle"], e_bram_bit=v["e_bram_bit"],
                   e_clock_cycle=v["e_clock_cycle"], sources=params.subset(*keys))

    def with_clock(self, clock_hz: float) -> FPGADevice:
        from dataclasses import replace

        if not clock_hz > 0:
            raise SpecError(f"'clock' is {clock_hz!r}; it must be > 0 Hz")
        return replace(self, clock_hz=clock_hz)


@dataclass(frozen=True)
class Resources:
    luts: float
    ffs: float
    dsps: float
    bram_bits: float
    bits_read_per_cycle: float  # weight bits read per MAC cycle

    def fits(self, dev: FPGADevice) -> tuple[bool, str]:
        over = [f"{what} {need:.0f} > {have:.0f}" for what, need, have in
                (("LUTs", self.luts, dev.luts), ("DSPs", self.dsps, dev.dsp_slices),
                 ("BRAM bits", self.bram_bits, dev.bram_bits)) if need > have]
        return (not over, "; ".join(over))

    def as_dict(self) -> dict[str, float]:
        return {"luts": round(self.luts), "ffs": round(self.ffs), "dsps": self.dsps,
                "bram_bits": self.bram_bits}


def _design(params: Registry) -> tuple[float, ...]:
    return params.values(*DESIGN_KEYS)


def _act_entries(fmt: QFormat) -> int:
    return min(1 << fmt.total_bits, 2 * LUT_ACT_RANGE * fmt.one + 1)


def lstm_resources(spec: LSTMSpec, params: Registry) -> Resources:
    mult2, add_b, hard_b, rom_b, ctrl = _design(params)
    w, h = spec.fmt.total_bits, spec.hidden_size
    n_sig, n_tanh = (1, 2) if spec.shared_act else (3, 2)
    n_mult = 4 + 3 + (n_sig if spec.activation == "hard" else 0)
    dsps = float(n_mult) if spec.multiplier == "dsp" else 0.0
    luts = ctrl + 4 * spec.acc * add_b + 5 * (w + 1) * add_b
    if spec.multiplier == "lut":
        luts += n_mult * mult2 * w * w
    if spec.activation == "hard":
        luts += (n_sig + n_tanh) * hard_b * w
    else:
        luts += (n_sig + n_tanh) * _act_entries(spec.fmt) * w / rom_b
    ffs = 3 * h * w + 4 * spec.acc + 6 * w + 2 * 16
    weight_bits = (4 * h * spec.n_in + 4 * h) * w
    return Resources(luts, ffs, dsps, float(weight_bits), 4.0 * w)


def mlp_resources(sizes: Sequence[int], fmt: QFormat, acc_bits: int, multiplier: str,
                  params: Registry) -> Resources:
    mult2, add_b, _, _, ctrl = _design(params)
    w = fmt.total_bits
    dsps = 1.0 if multiplier == "dsp" else 0.0
    luts = ctrl + acc_bits * add_b + (w + 1) * add_b + w  # accumulator, bias add, ReLU
    if multiplier == "lut":
        luts += mult2 * w * w
    ffs = sum(sizes) * w + acc_bits + 3 * 16
    weight_bits = sum(a * b + b for a, b in itertools.pairwise(sizes)) * w
    return Resources(luts, ffs, dsps, float(weight_bits), float(w))


@dataclass(frozen=True)
class Pricing:
    """One inference of a design on a device."""

    device: str
    cycles: int
    latency_s: float
    static_j: float
    dynamic_j: float
    resources: Resources
    fits: bool
    why_not: str
    ops: float

    @property
    def energy_j(self) -> float:
        return self.static_j + self.dynamic_j

    @property
    def power_w(self) -> float:
        return self.energy_j / self.latency_s

    @property
    def throughput(self) -> float:
        return 1.0 / self.latency_s

    @property
    def gops_per_w(self) -> float:
        return self.ops / self.energy_j / 1e9

    def cost(self, sources: dict[str, Param] | None = None) -> Cost:
        return Cost(energy_j={"fpga_static": self.static_j, "fpga_dynamic": self.dynamic_j},
                    latency_s=self.latency_s, counts={"cycles": float(self.cycles),
                                                      "ops": float(self.ops)},
                    sources=sources or {})

    def as_row(self) -> dict[str, Any]:
        return {"device": self.device, "cycles": self.cycles,
                "latency_us": round(self.latency_s * 1e6, 4),
                "energy_uJ": round(self.energy_j * 1e6, 6),
                "static_uJ": round(self.static_j * 1e6, 6),
                "dynamic_uJ": round(self.dynamic_j * 1e6, 6),
                "power_mW": round(self.power_w * 1e3, 4),
                "throughput_per_s": round(self.throughput, 1),
                "GOP/s/W": round(self.gops_per_w, 4), "fits": self.fits,
                **self.resources.as_dict()}


def _price(dev: FPGADevice, res: Resources, cycles: int, mac_cycles: int, ops: float) -> Pricing:
    t = cycles / dev.clock_hz
    per_cycle = (res.luts * dev.e_lut_cycle + res.ffs * dev.e_ff_cycle
                 + res.dsps * dev.e_dsp_cycle + dev.e_clock_cycle)
    dyn = cycles * per_cycle + mac_cycles * res.bits_read_per_cycle * dev.e_bram_bit
    ok, why = res.fits(dev)
    return Pricing(dev.name, cycles, t, dev.static_power * t, dyn, res, ok, why, ops)


def price_lstm(spec: LSTMSpec, seq_len: int, device: FPGADevice, params: Registry) -> Pricing:
    """One inference = ``seq_len`` timesteps of the cell."""
    if seq_len < 1:
        raise SpecError(f"'seq_len' is {seq_len}; it must be >= 1")
    res = lstm_resources(spec, params)
    mac_cycles = seq_len * spec.hidden_size * spec.n_in
    return _price(device, res, spec.cycles(seq_len), mac_cycles, seq_len * spec.ops_per_step())


def mlp_ops(sizes: Sequence[int]) -> int:
    """2 ops per MAC + 1 per bias add + 1 per ReLU (not after the last layer)."""
    macs = sum(a * b for a, b in itertools.pairwise(sizes))
    return 2 * macs + sum(sizes[1:]) + sum(sizes[1:-1])


def price_mlp(sizes: Sequence[int], fmt: QFormat, acc_bits: int, device: FPGADevice,
              params: Registry, multiplier: str = "dsp") -> Pricing:
    from wattlab.substrates.fpga.vhdl import mlp_cycles

    res = mlp_resources(sizes, fmt, acc_bits, multiplier, params)
    macs = sum(a * b for a, b in itertools.pairwise(sizes))
    return _price(device, res, mlp_cycles(sizes), macs, mlp_ops(sizes))


def device_sources(device: FPGADevice, params: Registry) -> dict[str, Param]:
    return {**device.sources, **params.subset(*DESIGN_KEYS)}
