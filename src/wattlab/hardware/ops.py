"""Energy per arithmetic operation and per SRAM access, by precision and process node.

The table is Horowitz's 45 nm figures (``op45.<precision>_<op>``), scaled to other nodes by
the registry's Stillmaker-Baas logic table (:func:`wattlab.physics.scale_energy`); SRAM reads
(``op45.sram_64b_<size>``) scale with the SRAM power law of the same module.
"""

from __future__ import annotations

import math

import numpy as np

from wattlab.errors import SpecError
from wattlab.params import Registry
from wattlab.physics import scale_energy

OPS = ("add", "mult", "mac")
REFERENCE_NODE_NM = 45.0
_SRAM_SIZES = {"8kb": 8 * 1024, "32kb": 32 * 1024, "1mb": 1024 * 1024}
_SRAM_WORD_BITS = 64


def op_key(op: str, precision: str) -> str:
    return f"op45.{precision}_{op}"


def op_energy(params: Registry, op: str, precision: str, node_nm: float = REFERENCE_NODE_NM) -> float:
    """Energy (J) of one ``op`` ∈ {add, mult, mac} at ``precision`` (e.g. int8, fp16) and node."""
    if op not in OPS:
        raise SpecError(f"op must be one of {', '.join(OPS)}, got {op!r}")
    key = op_key(op, precision)
    if key not in params:
        have = sorted({k[5:].rsplit("_", 1)[0] for k in params.params
                       if k.startswith("op45.") and k.endswith(f"_{op}")})
        raise SpecError(f"no {op} energy for precision '{precision}'; the catalogue has "
                        f"{', '.join(have)} (or add '{key}')")
    e = params.value(key)
    return e if node_nm == REFERENCE_NODE_NM else float(scale_energy(params, e, REFERENCE_NODE_NM, node_nm))


def sram_energy(params: Registry, bits: float, macro_bytes: float,
                node_nm: float = REFERENCE_NODE_NM) -> float:
    """Energy (J) to read ``bits`` from an SRAM macro of ``macro_bytes``.

    Per-bit energy of a 64-bit read, log-log interpolated in macro size between Horowitz's
    8 KB, 32 KB and 1 MB points (clamped at the ends: a stated assumption), then node-scaled.
    """
    if not (math.isfinite(bits) and bits >= 0):
        raise SpecError(f"bits must be a finite number >= 0, got {bits!r}")
    if not (math.isfinite(macro_bytes) and macro_bytes > 0):
        raise SpecError(f"macro_bytes must be a finite number > 0, got {macro_bytes!r}")
    sizes = np.array(list(_SRAM_SIZES.values()), dtype=float)
    per_bit = np.array([params.value(f"op45.sram_64b_{s}") for s in _SRAM_SIZES]) / _SRAM_WORD_BITS
    e_bit = float(np.exp(np.interp(math.log(macro_bytes), np.log(sizes), np.log(per_bit))))
    if node_nm != REFERENCE_NODE_NM:
        e_bit = float(scale_energy(params, e_bit, REFERENCE_NODE_NM, node_nm, kind="sram"))
    return bits * e_bit
