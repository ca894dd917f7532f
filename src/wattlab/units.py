"""SI units at the edges: parse "3.9 pJ/bit" into SI floats, format SI floats for people.

Inside wattlab every quantity is a plain float in SI base units (J, s, W, m, Hz, bit, ...).
Only files and displays carry prefixes.
"""

from __future__ import annotations

import math
import re

from wattlab.errors import SpecError

PREFIXES: dict[str, float] = {
    "y": 1e-24, "z": 1e-21, "a": 1e-18, "f": 1e-15, "p": 1e-12, "n": 1e-9,
    "u": 1e-6, "µ": 1e-6, "m": 1e-3, "c": 1e-2, "": 1.0,
    "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
}

#: Base units wattlab understands, with the factor that converts them to the SI unit named.
BASE_UNITS: dict[str, tuple[float, str]] = {
    "J": (1.0, "J"), "Wh": (3600.0, "J"), "eV": (1.602176634e-19, "J"),
    "W": (1.0, "W"), "s": (1.0, "s"), "h": (3600.0, "s"), "min": (60.0, "s"),
    "Hz": (1.0, "Hz"), "Bd": (1.0, "Bd"), "m": (1.0, "m"), "m2": (1.0, "m2"),
    "B": (8.0, "bit"), "bit": (1.0, "bit"), "b": (1.0, "bit"),
    "V": (1.0, "V"), "A": (1.0, "A"), "K": (1.0, "K"), "dB": (1.0, "dB"), "dBm": (1.0, "dBm"),
    "F": (1.0, "F"), "C": (1.0, "C"), "Ohm": (1.0, "Ohm"), "ops": (1.0, "op"), "op": (1.0, "op"),
    "FLOPS": (1.0, "op/s"), "OPS": (1.0, "op/s"), "flop": (1.0, "op"), "MAC": (1.0, "MAC"),
    "USD": (1.0, "USD"), "1": (1.0, "1"), "%": (0.01, "1"),
    "gCO2": (1e-3, "kgCO2"),  # mass of CO2(-equivalent) emitted; SI base is the kilogram
}

#: Units whose prefix must not be split off (they start with a letter that is also a prefix).
_UNPREFIXED = {"min", "mm2", "m2", "dB", "dBm", "USD", "h", "1", "%"}
_SPECIAL = {"mm2": (1e-6, "m2"), "um2": (1e-12, "m2"), "µm2": (1e-12, "m2"), "nm": (1e-9, "m")}

_PREFIX_BY_EXP = {-24: "y", -21: "z", -18: "a", -15: "f", -12: "p", -9: "n", -6: "µ", -3: "m",
                  0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"}

_NUM = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def _atom(token: str) -> tuple[float, str]:
    """Factor and SI name of one unit atom such as 'pJ', 'GHz', 'mm2' or 'bit'."""
    if token in _SPECIAL:
        return _SPECIAL[token]
    if token in BASE_UNITS:
        return BASE_UNITS[token]
    for base in sorted(BASE_UNITS, key=len, reverse=True):
        prefix = token[: -len(base)]
        if token.endswith(base) and base not in _UNPREFIXED and prefix in PREFIXES:
            factor, si = BASE_UNITS[base]
            return PREFIXES[prefix] * factor, si
    raise SpecError(f"unknown unit '{token}': use one of {sorted(BASE_UNITS)} with an SI prefix")


def to_si(value: float, unit: str) -> tuple[float, str]:
    """Convert ``value`` in ``unit`` (e.g. 'pJ/bit', 'GB/s', 'mW') to (SI value, SI unit)."""
    unit = unit.strip()
    if not unit or unit == "1":
        return float(value), "1"
    num, _, den = unit.partition("/")
    if unit.endswith("/") or "//" in unit or not num:
        raise SpecError(f"unit '{unit}' has an empty numerator or denominator; write e.g. 'pJ/bit'")
    f_num, si_num = 1.0, []
    for tok in num.split("*"):
        f, s = _atom(tok.strip())
        f_num *= f
        si_num.append(s)
    f_den, si_den = 1.0, []
    for tok in (den.split("/") if den else []):
        f, s = _atom(tok.strip())
        f_den *= f
        si_den.append(s)
    si = "*".join(si_num) + ("/" + "/".join(si_den) if si_den else "")
    return float(value) * f_num / f_den, si


def parse_quantity(text: str) -> tuple[float, str]:
    """Parse '3.9 pJ/bit' into (3.9e-12, 'J/bit')."""
    if not isinstance(text, str):
        raise SpecError(f"cannot parse quantity {text!r}: give text such as '3.9 pJ/bit'")
    m = _NUM.match(text)
    if not m:
        raise SpecError(f"cannot parse quantity '{text}': expected a number then a unit, e.g. '3.9 pJ/bit'")
    value, unit = to_si(float(m.group(1)), m.group(2) or "1")
    if not math.isfinite(value):
        raise SpecError(f"quantity '{text}' is not a finite number in SI units ({value!r}); "
                        "use a value within the float range")
    return value, unit


def format_si(value: float, unit: str = "", digits: int = 3) -> str:
    """Format an SI float with an engineering prefix: format_si(3.9e-12, 'J/bit') -> '3.9 pJ/bit'."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g} {unit}".strip()
    if unit == "m2":  # squared units scale by the square of the prefix
        for name, f in (("m2", 1.0), ("mm2", 1e-6), ("µm2", 1e-12)):
            if abs(value) >= f or name == "µm2":
                return f"{value / f:.{digits}g} {name}"
    if unit in ("1", "", "%", "dB", "dBm", "USD"):
        return f"{value:.{digits}g} {unit if unit != '1' else ''}".strip()
    exp = int(math.floor(math.log10(abs(value)) / 3) * 3)
    exp = max(-24, min(18, exp))
    prefix = _PREFIX_BY_EXP[exp]
    return f"{value / 10.0**exp:.{digits}g} {prefix}{unit}".strip()
