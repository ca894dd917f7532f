"""The spiking substrate's option names, importable without torch (for early CLI checks)."""

from __future__ import annotations

from collections.abc import Sequence

from wattlab.errors import SpecError

KINDS = ("rate", "bitwise", "ternary_rate", "ternary_bitwise", "twos_complement")
GRANULARITIES = ("tensor", "token", "channel")
BOUNDARIES = ("ops", "ops+memory")
PRECISION_BITS = {"int8": 8, "int16": 16, "int32": 32, "fp16": 16, "fp32": 32}


def check_choice(field: str, value: str, choices: Sequence[str]) -> str:
    """``value`` if it is one of ``choices``, else a SpecError naming ``field``."""
    if value not in choices:
        raise SpecError(f"{field} must be one of {list(choices)}, got {value!r}")
    return value


__all__ = ["BOUNDARIES", "GRANULARITIES", "KINDS", "PRECISION_BITS", "check_choice"]
