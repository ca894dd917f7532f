"""CIM macros (CIM-Tuner-style abstraction) and macro arrays with their interconnect, vectorised.

A :class:`Macro` is AccelCIM's macro abstraction (CIM-Tuner fields): accumulation length ``al``
(rows), parallel channels ``pc`` (columns), storage-to-compute ratio ``scr`` (weight sets per
compute cell: ping-pong reload when >= 2), input/weight/output widths, clock, TOPS/W and area.
Published macros come from the registry (``cim.<name>.*``); :meth:`Macro.from_cfg` reads a
CIM-Tuner-style ``key = value`` file.

Macros of other sizes scale from a reference macro by an assumed decomposition (AccelCIM
reconstruction [I], research notes section 7; every share is an ``accelcim.*`` registry entry):

* energy per MAC ``E(al, pc) = E_ref·[s_cell + s_col·al_ref/al + s_row·pc_ref/pc
  + s_rc·(al/al_ref + pc/pc_ref)/2]`` — periphery amortised over the lines, RC growing with them;
* area ``A(al, pc) = A_ref·[a_cell·(al·pc)/(al_ref·pc_ref) + a_col·pc/pc_ref + a_row·al/al_ref
  + a_ctrl]``.

An array of ``rows × cols`` macros runs a GEMM weight-stationary: the array holds a
``(rows·al) × (cols·pc)`` weight tile; inputs are bit-serial (``in_bits`` cycles per vector).
Input distribution along a macro row is a **broadcast** bus (one wire of ``cols·pitch``, whose
repeated-wire delay can stretch the cycle: ``t_cycle = max(1/f, wire_delay·cols·pitch)``; bus
area ``al·cols·pitch·repeater_area`` per row) or **systolic** (a register hop per macro: register
energy and area per bit, the clock kept, ``rows + cols − 2`` fill/drain cycles per tile).
Partial sums reduce across the ``rows`` macros of a column by an adder **tree** (wire ``rows·pitch``
per output, ``log2 rows`` levels) or a **chain** (register hop per macro, ``rows`` cycles of
latency per tile). Weights beyond the array's capacity (``rows·cols·al·pc·scr`` weights) are
reloaded from the global buffer per tile; reload overlaps compute when ``scr >= 2``.
"""

from __future__ import annotations

import configparser
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.params import Registry, default_registry
from wattlab.workloads.gemm import Gemm

A = "accelcim."


@dataclass(frozen=True)
class Macro:
    """One CIM macro (SI: ``freq`` Hz, ``area_mm2`` mm², ``tops_per_w`` at its widths)."""

    name: str
    al: int
    pc: int
    scr: int = 1
    in_bits: int = 8
    w_bits: int = 8
    out_bits: int = 32
    freq: float = 200e6
    tops_per_w: float = 20.0
    area_mm2: float = 1.0
    simultaneous_write_compute: bool = False

    def __post_init__(self) -> None:
        for f in ("al", "pc", "scr", "in_bits", "w_bits", "out_bits"):
            v = getattr(self, f)
            if not (isinstance(v, int | np.integer) and v >= 1):
                raise SpecError(f"macro '{self.name}': {f} must be a positive integer, got {v!r}")
        for f in ("freq", "tops_per_w", "area_mm2"):
            v = getattr(self, f)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise SpecError(f"macro '{self.name}': {f} must be a positive number, got {v!r}")

    @property
    def e_mac(self) -> float:
        """Energy per MAC (J) at the macro's widths: 2 ops per MAC / (TOPS/W)."""
        return 2.0 / (self.tops_per_w * 1e12)

    @property
    def capacity_weights(self) -> int:
        return self.al * self.pc * self.scr

    @classmethod
    def from_registry(cls, name: str, params: Registry | None = None) -> Macro:
        """A published macro: ``cim.<name>.{al,pc,scr,freq,tops_per_w,area}`` (+ widths)."""
        p = params or default_registry()
        pre = f"cim.{name}."
        if not any(k.startswith(pre) for k in p):
            known = sorted({k.split(".")[1] for k in p if k.startswith("cim.")})
            raise SpecError(f"unknown CIM macro '{name}'; known: {known}. Add cim.{name}.<field> "
                            "entries or read a cfg with Macro.from_cfg")

        def get(f: str, default: float | None = None) -> float:
            if pre + f in p:
                return p.value(pre + f)
            if default is None:
                raise SpecError(f"CIM macro '{name}' lacks '{pre + f}' in the registry")
            return default

        return cls(name, int(get("al")), int(get("pc")), int(get("scr", 1)),
                   int(get("in_bits", 8)), int(get("w_bits", 8)), int(get("out_bits", 32)),
                   get("freq"), get("tops_per_w"), get("area") * 1e6)

    @classmethod
    def from_cfg(cls, path: str | Path) -> Macro:
        """Read a CIM-Tuner-style cfg (``key = value`` lines, optional ``[section]``): fields
        ``single_macro_al``, ``single_macro_pc``, ``initial_scr``, ``input_width``,
        ``weight_width``, ``output_width``, ``frequency`` (MHz), ``energy_efficiency`` (TOPS/W),
        ``area`` (mm²), ``simultaneously_write_compute``."""
        p = Path(path)
        if not p.exists():
            raise SpecError(f"CIM macro cfg {p} does not exist")
        text = p.read_text()
        cp = configparser.ConfigParser()
        try:
            cp.read_string(text if text.lstrip().startswith("[") else "[macro]\n" + text)
        except configparser.Error as e:
            raise SpecError(f"CIM macro cfg {p}: cannot parse ({e})") from e
        kv = {k.lower(): v.split("#")[0].strip() for s in cp.sections() for k, v in cp[s].items()}

        def num(key: str, default: float | None = None) -> float:
            if key not in kv:
                if default is None:
                    raise SpecError(f"CIM macro cfg {p}: missing field '{key}'")
                return default
            try:
                return float(kv[key])
            except ValueError as e:
                raise SpecError(f"CIM macro cfg {p}: field '{key}' = {kv[key]!r} is not a number") from e

        return cls(p.stem, int(num("single_macro_al")), int(num("single_macro_pc")),
                   int(num("initial_scr", 1)), int(num("input_width", 8)), int(num("weight_width", 8)),
                   int(num("output_width", 32)), num("frequency") * 1e6, num("energy_efficiency"),
                   num("area"), kv.get("simultaneously_write_compute", "0").lower() in ("1", "true", "yes"))


@dataclass(frozen=True)
class ArrayModel:
    """Vectorised macro-array cost model: constants read once from the registry."""

    ref: Macro
    params: Registry

    def _c(self) -> dict[str, float]:
        keys = ("share_cell", "share_column", "share_row", "share_rc", "area_cell", "area_column",
                "area_row", "area_ctrl", "wire_cap", "vdd", "wire_delay", "repeater_area",
                "reg_energy", "reg_area", "adder_energy_bit", "weight_bw", "gbuf_e_bit")
        return dict(zip(keys, self.params.values(*(A + k for k in keys)), strict=True))

    def macro_scaling(self, al: Any, pc: Any) -> tuple[np.ndarray, np.ndarray]:
        """(energy per MAC in J, area in mm²) of macros of size ``al × pc``."""
        c = self._c()
        al = np.asarray(al, dtype=float)
        pc = np.asarray(pc, dtype=float)
        r = self.ref
        e = r.e_mac * (c["share_cell"] + c["share_column"] * r.al / al + c["share_row"] * r.pc / pc
                       + c["share_rc"] * 0.5 * (al / r.al + pc / r.pc))
        a = r.area_mm2 * (c["area_cell"] * (al * pc) / (r.al * r.pc) + c["area_column"] * pc / r.pc
                          + c["area_row"] * al / r.al + c["area_ctrl"])
        return e, a

    def gemm(self, cols: Mapping[str, Any], gemms: Sequence[Gemm]) -> dict[str, np.ndarray]:
        """Latency, energy by part, area and utilisation of ``gemms`` (run in sequence) on
        arrays described by ``cols`` (``al``, ``pc``, ``scr``, ``rows``, ``cols``,
        ``interconnect`` ∈ {broadcast, systolic}, ``reduction`` ∈ {tree, chain}; optional
        ``freq``). Steady state: when all the GEMMs' weights fit the array's capacity they stay
        resident (no loads); otherwise every tile is (re)loaded from the global buffer."""
        c = self._c()
        need = ("al", "pc", "scr", "rows", "cols", "interconnect", "reduction")
        miss = [k for k in need if k not in cols]
        if miss:
            raise SpecError(f"CIM array configurations need columns {list(need)}; missing {miss}")
        al, pc, scr, R, C = (np.asarray(cols[k], dtype=float) for k in ("al", "pc", "scr", "rows", "cols"))
        ic = np.asarray(cols["interconnect"]).astype(str)
        rd = np.asarray(cols["reduction"]).astype(str)
        bad = sorted(set(np.unique(ic)) - {"broadcast", "systolic"}) + \
            sorted(set(np.unique(rd)) - {"tree", "chain"})
        if bad:
            raise SpecError(f"unknown interconnect/reduction {bad}: use broadcast|systolic, tree|chain")
        f = np.asarray(cols["freq"], dtype=float) if "freq" in cols else np.full(al.shape, self.ref.freq)
        r = self.ref
        e_mac, a_macro = self.macro_scaling(al, pc)
        pitch_mm = np.sqrt(a_macro)
        syst = ic == "systolic"
        chain = rd == "chain"
        bus_mm = C * pitch_mm
        t_cycle = np.where(syst, 1.0 / f, np.maximum(1.0 / f, c["wire_delay"] * bus_mm * 1e-3))
        cv2 = c["wire_cap"] * c["vdd"] ** 2  # J per m per bit toggle
        # energy per input bit delivered to one macro row (C macros)
        e_in_bit = np.where(syst, C * (c["reg_energy"] + cv2 * pitch_mm * 1e-3), cv2 * bus_mm * 1e-3)
        red_mm = R * pitch_mm
        e_red_out = ((R - 1) * c["adder_energy_bit"] * r.out_bits
                     + np.where(chain, (R - 1) * c["reg_energy"] * r.out_bits,
                                cv2 * red_mm * 1e-3 * r.out_bits))
        cap = R * C * al * pc * scr  # weights held
        steady = sum(g.k * g.n for g in gemms) <= cap
        lat = np.zeros(al.shape)
        parts = {k: np.zeros(al.shape) for k in ("macro", "input", "reduction", "weight_load")}
        useful = np.zeros(al.shape)
        active = np.zeros(al.shape)
        for g in gemms:
            tk = np.ceil(g.k / (R * al))
            tn = np.ceil(g.n / (C * pc))
            tiles = tk * tn
            m = float(g.m * g.batch)
            cyc_tile = (m * r.in_bits + np.where(syst, R + C - 2, 0)
                        + np.where(chain, R, np.log2(np.maximum(R, 1))))
            reload_tiles = np.where(steady, 0.0, tiles)
            w_bits_tile = R * al * C * pc * r.w_bits
            t_load = w_bits_tile / (c["weight_bw"] * R * C) * t_cycle
            t_comp = cyc_tile * t_cycle
            overlap = (scr >= 2) | r.simultaneous_write_compute
            per_tile = np.where(overlap, np.maximum(t_comp, t_load), t_comp + t_load)
            # tiles that reload pay per_tile, the others compute only
            lat += np.where(steady, tiles * t_comp, tiles * per_tile)
            act_mac = tiles * m * R * C * al * pc
            useful += m * g.k * g.n
            active += act_mac
            parts["macro"] += act_mac * e_mac
            parts["input"] += tiles * m * r.in_bits * R * al * e_in_bit
            parts["reduction"] += tiles * m * C * pc * e_red_out
            parts["weight_load"] += reload_tiles * w_bits_tile * c["gbuf_e_bit"]
        area_macros = R * C * a_macro
        area_ic = np.where(syst, R * C * al * c["reg_area"] * 1e6,
                           R * al * bus_mm * c["repeater_area"] * 1e6)
        area_red = np.where(chain, R * C * pc * r.out_bits * c["reg_area"] * 1e6,
                            C * pc * r.out_bits * red_mm * c["repeater_area"] * 1e6)
        energy = sum(parts.values())
        area = area_macros + area_ic + area_red
        ops = 2 * useful
        return {"latency_s": lat, "energy_j": energy, "area_mm2": area, "area_macros_mm2": area_macros,
                "area_interconnect_mm2": area_ic + area_red, "utilization": useful / active,
                "tops": ops / lat / 1e12, "tops_per_w": ops / energy / 1e12,
                "tops_per_mm2": ops / lat / 1e12 / area, "energy_area": energy * area,
                "e_macro_j": parts["macro"], "e_input_j": parts["input"],
                "e_reduction_j": parts["reduction"], "e_weight_load_j": parts["weight_load"],
                "cycle_s": t_cycle, "capacity_weights": cap}

    def cost(self, cfg: Mapping[str, Any], gemms: Sequence[Gemm]) -> Cost:
        """One configuration as a ``Cost`` (for reported points)."""
        out = self.gemm({k: np.array([v]) for k, v in cfg.items()}, gemms)
        g = {k: float(v[0]) for k, v in out.items()}
        return Cost(energy_j={"cim_macro": g["e_macro_j"], "input_network": g["e_input_j"],
                              "psum_reduction": g["e_reduction_j"], "weight_load": g["e_weight_load_j"]},
                    latency_s=g["latency_s"],
                    area_mm2={"macros": g["area_macros_mm2"], "interconnect": g["area_interconnect_mm2"]},
                    counts={"ops": 2.0 * sum(x.macs for x in gemms),
                            "macs": float(sum(x.macs for x in gemms))},
                    sources=self.params.subset(*(k for k in self.params if k.startswith(A)
                                                 or k.startswith(f"cim.{self.ref.name}."))))


__all__ = ["ArrayModel", "Macro"]
