"""Physical limits, noise floors, ADC energy and process-node scaling from registry constants.

Every function takes a :class:`~wattlab.params.Registry` first and reads its constants there
(``phys.*``, ``adc.*``, ``scale.*``, ``op45.*``). Inputs are SI floats or NumPy arrays (which
broadcast); a scalar input gives a float. Bad input raises :class:`SpecError` naming the argument.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from wattlab.errors import SpecError
from wattlab.params import Registry

Real = float | NDArray[np.float64]

#: Input-validity bound for ADC resolution: far above any converter in the Murmann survey.
MAX_ENOB = 32.0
#: Ideal-quantiser SNDR of an N-bit converter: 20 log10(2) dB per bit plus 10 log10(3/2) dB.
_DB_PER_BIT = 20.0 * math.log10(2.0)
_DB_OFFSET = 10.0 * math.log10(1.5)


def _arr(name: str, x: ArrayLike, *, allow_zero: bool = False) -> NDArray[np.float64]:
    """``x`` as a float array, required finite and > 0 (or >= 0 with ``allow_zero``)."""
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise SpecError(f"{name} must be a number or an array of numbers, got {x!r}") from None
    if not np.all(np.isfinite(a)):
        raise SpecError(f"{name} must be finite, got {x!r}")
    if np.any(a < 0) or (not allow_zero and np.any(a == 0)):
        bound = ">= 0" if allow_zero else "> 0"
        raise SpecError(f"{name} must be {bound} (SI units), got {x!r}")
    return a


def _out(a: NDArray[np.float64]) -> Real:
    return float(a) if a.ndim == 0 else a


def _temperature(params: Registry, temperature_k: ArrayLike | None, default_key: str) -> NDArray:
    if temperature_k is None:
        return np.asarray(params.value(default_key))
    return _arr("temperature_k", temperature_k)


# -- limits and noise ----------------------------------------------------------------------------

def thermal_energy_j(params: Registry, temperature_k: ArrayLike | None = None) -> Real:
    """kT (J); ``temperature_k`` defaults to ``phys.room_temperature``."""
    t = _temperature(params, temperature_k, "phys.room_temperature")
    return _out(params.value("phys.boltzmann") * t)


def landauer_limit_j(params: Registry, temperature_k: ArrayLike | None = None) -> Real:
    """Minimum energy to erase one bit, kT ln 2 (J); 2.87e-21 J at 300 K."""
    return _out(np.asarray(thermal_energy_j(params, temperature_k)) * math.log(2.0))


def thermal_noise_floor_w(params: Registry, bandwidth_hz: ArrayLike,
                          temperature_k: ArrayLike | None = None) -> Real:
    """Available thermal noise power kTB (W); ``temperature_k`` defaults to the 290 K reference,
    which gives the familiar -174 dBm/Hz."""
    b = _arr("bandwidth_hz", bandwidth_hz)
    t = _temperature(params, temperature_k, "phys.noise_reference_temperature")
    return _out(params.value("phys.boltzmann") * t * b)


def johnson_noise_voltage_v(params: Registry, resistance_ohm: ArrayLike, bandwidth_hz: ArrayLike,
                            temperature_k: ArrayLike | None = None) -> Real:
    """RMS open-circuit thermal noise of a resistor, sqrt(4kTRB) (V)."""
    r = _arr("resistance_ohm", resistance_ohm)
    b = _arr("bandwidth_hz", bandwidth_hz)
    kt = np.asarray(thermal_energy_j(params, temperature_k))
    return _out(np.sqrt(4.0 * kt * r * b))


def ktc_noise_voltage_v(params: Registry, capacitance_f: ArrayLike,
                        temperature_k: ArrayLike | None = None) -> Real:
    """RMS sampling noise on a capacitor, sqrt(kT/C) (V); 2.04 mV at 1 fF and 300 K."""
    c = _arr("capacitance_f", capacitance_f)
    kt = np.asarray(thermal_energy_j(params, temperature_k))
    return _out(np.sqrt(kt / c))


def shot_noise_current_a(params: Registry, current_a: ArrayLike, bandwidth_hz: ArrayLike) -> Real:
    """RMS shot noise of a DC current, sqrt(2qIB) (A)."""
    i = _arr("current_a", current_a, allow_zero=True)
    b = _arr("bandwidth_hz", bandwidth_hz)
    return _out(np.sqrt(2.0 * params.value("phys.elementary_charge") * i * b))


def photon_energy_j(params: Registry, wavelength_m: ArrayLike) -> Real:
    """hc/lambda (J); 0.128 aJ at 1550 nm."""
    lam = _arr("wavelength_m", wavelength_m)
    h, c = params.values("phys.planck", "phys.speed_of_light")
    return _out(h * c / lam)


def shot_limited_optical_energy_j(params: Registry, bits: ArrayLike,
                                  wavelength_m: ArrayLike) -> Real:
    """Optical energy at the detector for a shot-noise-limited SNR of 2^bits: 4^bits photons (J).

    A lower bound before laser wall-plug efficiency, coupling and detector losses.
    """
    n = _arr("bits", bits)
    return _out(4.0**n * np.asarray(photon_energy_j(params, wavelength_m)))


# -- ADC energy (Murmann survey frontier) ---------------------------------------------------

AdcFom = Literal["walden", "schreier", "frontier"]


def adc_energy_j(params: Registry, enob: ArrayLike, sample_rate_hz: ArrayLike,
                 fom: AdcFom = "frontier") -> Real:
    """Energy per conversion (J) of an ADC on the survey's efficiency frontier.

    ``walden``: E = FOM_W 2^ENOB (``adc.walden_fom``), the technology-limited regime.
    ``schreier``: E = 10^((SNDR - FOM_S)/10) / 2 with SNDR = 6.02 ENOB + 1.76 dB and the
    Pareto-front FOM_S(f_s) = min(``adc.schreier_fom_max``, intercept - slope ln f_s): the
    thermal-noise-limited regime (4x per bit) with its high-speed roll-off.
    ``frontier`` (default): the larger of the two, i.e. a converter must satisfy both bounds.
    Taking the max of the two regimes is a stated modelling assumption, not a survey fit.
    """
    n = _arr("enob", enob)
    fs = _arr("sample_rate_hz", sample_rate_hz)
    if np.any(n > MAX_ENOB):
        raise SpecError(f"enob must be <= {MAX_ENOB:g} bits, got {enob!r}")
    if fom not in ("walden", "schreier", "frontier"):
        raise SpecError(f"fom must be 'walden', 'schreier' or 'frontier', got {fom!r}")
    try:
        n, fs = np.broadcast_arrays(n, fs)
    except ValueError:
        raise SpecError(f"enob {n.shape} and sample_rate_hz {fs.shape} do not broadcast") from None
    walden = params.value("adc.walden_fom") * 2.0**n
    fom_max, intercept, slope = params.values(
        "adc.schreier_fom_max", "adc.schreier_fom_intercept", "adc.schreier_fom_slope")
    fom_s = np.minimum(fom_max, intercept - slope * np.log(fs))
    schreier = 10.0 ** ((_DB_PER_BIT * n + _DB_OFFSET - fom_s) / 10.0) / 2.0
    out = {"walden": walden, "schreier": schreier, "frontier": np.maximum(walden, schreier)}
    return _out(np.asarray(out[fom], dtype=float))


# -- process-node scaling ------------------------------------------------------------------------

ScaleKind = Literal["logic", "sram"]


def _node_table(params: Registry, prefix: str) -> tuple[NDArray[np.float64], list[str]]:
    """Nodes (ascending, nm) and their keys for registry entries ``scale.<prefix>_<N>nm``."""
    keys = [k for k in params.params if k.startswith(f"scale.{prefix}_")]
    nodes = np.array([params.params[k].node_nm or math.nan for k in keys], dtype=float)
    if not keys or not np.all(nodes > 0):
        raise SpecError(f"the registry has no complete 'scale.{prefix}_*' table with node_nm set")
    order = np.argsort(nodes)
    return nodes[order], [keys[i] for i in order]


def _scalar(name: str, x: float) -> float:
    a = _arr(name, x)
    if a.ndim:
        raise SpecError(f"{name} must be a single number, got {x!r}")
    return float(a)


def _check_node(name: str, node: float, lo: float, hi: float, extrapolate: bool) -> float:
    node = _scalar(name, node)
    if not extrapolate and not lo <= node <= hi:
        raise SpecError(f"{name}={node:g} nm is outside the table range [{lo:g}, {hi:g}] nm; "
                        "pass extrapolate=True to extend it with the stated rule")
    return node


def _stillmaker_energy(params: Registry, table: NDArray[np.float64], keys: list[str],
                       nodes_nm: tuple[float, float],
                       vdds: tuple[float, float]) -> NDArray[np.float64]:
    """The Stillmaker-Baas energy polynomial at each (node, vdd), log-log interpolated over the
    tabulated nodes ``table`` whose ``c`` coefficients are ``keys``."""
    coeff = np.array([[params.value(k.replace("_c_", f"_{x}_")) for x in "abc"] for k in keys])
    v = np.asarray(vdds, dtype=float)[:, None]
    f = coeff[:, 0] * v**2 + coeff[:, 1] * v + coeff[:, 2]  # (2, nodes)
    if np.any(f <= 0):
        raise SpecError(f"supply voltages {vdds} make the Stillmaker-Baas energy fit "
                        "non-positive at some node; use voltages inside the fit's range")
    node = np.asarray(nodes_nm, dtype=float)
    inside = np.clip(node, table[0], table[-1])
    log_table = np.log(table)
    log_f = [np.interp(math.log(x), log_table, np.log(row))
             for x, row in zip(inside, f, strict=True)]
    beyond = params.value("scale.energy_exponent_beyond_table")
    return np.exp(log_f) * (node / inside) ** beyond


def scale_energy(params: Registry, energy_j: ArrayLike, from_nm: float, to_nm: float,
                 kind: ScaleKind = "logic", *, from_v: float | None = None,
                 to_v: float | None = None, extrapolate: bool = False) -> Real:
    """Scale an energy from node ``from_nm`` to ``to_nm``.

    ``logic``: device scaling after Stillmaker & Baas, the ratio of the per-node energy
    polynomials at the two supply voltages (default ``scale.vdd_reference``). Between tabulated
    nodes the polynomial is interpolated linearly in log(node)-log(energy) (a wattlab assumption);
    beyond the 7-130 nm table, and only with ``extrapolate=True``, it follows
    (node ratio)^``scale.energy_exponent_beyond_table``.
    ``sram``: wire/SRAM-dominated energy, a power law in node fitted to the 8 KB SRAM read at
    45 nm (``op45.sram_64b_8kb``) and 7 nm (``scale.tpuv4i_sram_64b_8kb``, a recalled value
    labelled ``assumed``): about 1.3x from 45 to 7 nm instead of about 10x.
    """
    e = _arr("energy_j", energy_j, allow_zero=True)
    if kind == "logic":
        nodes, keys = _node_table(params, "stillmaker_c")
        lo, hi = float(nodes[0]), float(nodes[-1])
        f_nm = _check_node("from_nm", from_nm, lo, hi, extrapolate)
        t_nm = _check_node("to_nm", to_nm, lo, hi, extrapolate)
        v_ref = params.value("scale.vdd_reference")
        fv = v_ref if from_v is None else _scalar("from_v", from_v)
        tv = v_ref if to_v is None else _scalar("to_v", to_v)
        e_from, e_to = _stillmaker_energy(params, nodes, keys, (f_nm, t_nm), (fv, tv))
        factor = float(e_to / e_from)
    elif kind == "sram":
        if from_v is not None or to_v is not None:
            raise SpecError("from_v/to_v apply to kind='logic' only; the 'sram' fit has no voltage")
        old, new = params["op45.sram_64b_8kb"], params["scale.tpuv4i_sram_64b_8kb"]
        if old.node_nm is None or new.node_nm is None:
            raise SpecError("the SRAM scaling anchors need node_nm set in the registry")
        lo, hi = sorted((old.node_nm, new.node_nm))
        f_nm = _check_node("from_nm", from_nm, lo, hi, extrapolate)
        t_nm = _check_node("to_nm", to_nm, lo, hi, extrapolate)
        alpha = math.log(new.value / old.value) / math.log(new.node_nm / old.node_nm)
        factor = (t_nm / f_nm) ** alpha
    else:
        raise SpecError(f"kind must be 'logic' or 'sram', got {kind!r}")
    return _out(e * factor)


def scale_area(params: Registry, area: ArrayLike, from_nm: float, to_nm: float) -> Real:
    """Scale an area (any unit) between nodes with the Stillmaker-Baas area table.

    Uses the table's 45 nm row (``scale.area_rel45_<N>nm``), log-log interpolated between
    tabulated nodes; no extrapolation beyond the table.
    """
    a = _arr("area", area, allow_zero=True)
    nodes, keys = _node_table(params, "area_rel45")
    rel = np.log([params.value(k) for k in keys])
    lo, hi = float(nodes[0]), float(nodes[-1])
    f_nm = _check_node("from_nm", from_nm, lo, hi, False)
    t_nm = _check_node("to_nm", to_nm, lo, hi, False)
    log_n = np.log(nodes)
    factor = math.exp(np.interp(math.log(t_nm), log_n, rel) - np.interp(math.log(f_nm), log_n, rel))
    return _out(a * factor)


__all__ = ["MAX_ENOB", "adc_energy_j", "johnson_noise_voltage_v", "ktc_noise_voltage_v",
           "landauer_limit_j", "photon_energy_j", "scale_area", "scale_energy",
           "shot_limited_optical_energy_j", "shot_noise_current_a", "thermal_energy_j",
           "thermal_noise_floor_w"]
